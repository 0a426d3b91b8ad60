"""``salesops loadtest``: many people using the board at once, against a real server.

Each simulated user signs in with a token of one of several users of different scopes (an
admin, a regional manager, a rep, a viewer — the demo company's users) and browses as a person
does: pages, the same pages with a filter, the panels' JSON, the records behind a KPI, an
export, a KPI from the API; after each answer they pause 1–3 s (``--think``). The run is
bounded in time. The report gives p50 / p95 / p99 per route (query strings and ids folded
away), for the whole run and for the part after the warm-up, and every error (any status of
400 and up, and connections refused or timed out).

``run_load`` drives an already running server; ``load_test`` (what the command calls) makes
the tokens, starts ``salesops serve`` on a free port of 127.0.0.1 with the asked number of
processes, runs the load and stops the server again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import re
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

#: what a person opens, with weights (how often, relative to each other)
PAGES = ("/", "/orders", "/pipeline", "/team", "/customers", "/targets")
PANEL_PAGES = ("overview", "orders", "pipeline", "team", "customers")
METRICS = ("revenue", "orders", "win_rate", "open_pipeline", "collection_rate")
DIMENSIONS = ("region", "product_line", "segment")


@dataclass(frozen=True)
class Hit:
    """One request: the route it is counted under, when it started (s from the start), how
    long it took (s) and its status (0: no answer)."""

    route: str
    at: float
    seconds: float
    status: int
    user: str
    path: str = ""  # the request, for errors
    detail: str = ""  # the start of an error's answer


@dataclass
class LoadReport:
    """Every hit of a run, and what was asked."""

    users: int
    duration_s: float
    warmup_s: float
    hits: list[Hit] = field(default_factory=list)

    def errors(self) -> list[Hit]:
        return [h for h in self.hits if h.status == 0 or h.status >= 400]

    def table(self, *, warm: bool) -> list[dict[str, Any]]:
        """Per route: count, errors, p50 / p95 / p99 / max in ms (warm: after the warm-up)."""
        groups: dict[str, list[Hit]] = defaultdict(list)
        for hit in self.hits:
            if not warm or hit.at >= self.warmup_s:
                groups[hit.route].append(hit)
        rows = []
        for route, hits in sorted(groups.items()):
            ms = sorted(h.seconds * 1000 for h in hits)
            rows.append(
                {
                    "route": route,
                    "requests": len(hits),
                    "errors": sum(1 for h in hits if h.status == 0 or h.status >= 400),
                    "p50_ms": round(_quantile(ms, 0.50), 1),
                    "p95_ms": round(_quantile(ms, 0.95), 1),
                    "p99_ms": round(_quantile(ms, 0.99), 1),
                    "max_ms": round(ms[-1], 1),
                }
            )
        return rows

    def summary(self) -> dict[str, Any]:
        warm = [h.seconds * 1000 for h in self.hits if h.at >= self.warmup_s]
        pages = [
            h.seconds * 1000
            for h in self.hits
            if h.at >= self.warmup_s and (h.route.startswith("GET /") and "/api/" not in h.route)
        ]
        panels = [
            h.seconds * 1000
            for h in self.hits
            if h.at >= self.warmup_s and h.route.startswith("GET /api/v1/panels")
        ]
        warm_rows = self.table(warm=True)
        slowest = max(warm_rows, key=lambda r: r["p95_ms"], default=None)
        return {
            "users": self.users,
            "duration_s": self.duration_s,
            "warmup_s": self.warmup_s,
            "requests": len(self.hits),
            "errors": len(self.errors()),
            "requests_per_s": round(len(self.hits) / self.duration_s, 1),
            "warm_p50_ms": round(_quantile(sorted(warm), 0.5), 1) if warm else None,
            "warm_p95_ms": round(_quantile(sorted(warm), 0.95), 1) if warm else None,
            "warm_p99_ms": round(_quantile(sorted(warm), 0.99), 1) if warm else None,
            "warm_page_html_p95_ms": round(_quantile(sorted(pages), 0.95), 1) if pages else None,
            "warm_panel_json_p95_ms": round(_quantile(sorted(panels), 0.95), 1) if panels else None,
            "slowest_route": slowest["route"] if slowest else None,
        }


def _quantile(sorted_ms: Sequence[float], q: float) -> float:
    """The q-quantile (nearest rank, as load-test tools report it) of sorted values."""
    if not sorted_ms:
        return 0.0
    rank = max(1, min(len(sorted_ms), int(-(-q * len(sorted_ms) // 1))))
    return float(sorted_ms[rank - 1])


_IDS = re.compile(r"/\d+(?=/|$)")


def route_of(method: str, path: str) -> str:
    """``GET /api/v1/records/revenue?region=x`` → ``GET /api/v1/records/{metric}``-like keys:
    query strings dropped, numeric ids folded."""
    path = _IDS.sub("/{id}", path.split("?", 1)[0])
    if path.startswith("/api/v1/records/"):
        path = "/api/v1/records/{metric}"
    elif path.startswith("/api/v1/metrics/"):
        path = "/api/v1/metrics/{metric}"
    return f"{method} {path}"


@dataclass
class Browser:
    """One simulated person: what they click next, given the filter values they can see."""

    user: str
    rng: random.Random
    values: dict[str, list[str]]

    def filter(self, dimensions: Sequence[str] = DIMENSIONS) -> str:
        """A filter a person could pick on the page (``?dim=value``), or nothing."""
        usable = [d for d in dimensions if self.values.get(d)]
        if not usable:
            return ""
        dim = self.rng.choice(usable)
        return f"?{dim}={httpx.QueryParams({'v': self.rng.choice(self.values[dim])})['v']}"

    def next_request(self) -> tuple[str, str]:
        """(method, path with query) of the next click."""
        roll = self.rng.random()
        if roll < 0.30:
            return "GET", self.rng.choice(PAGES)
        if roll < 0.45:
            page = self.rng.choice(PAGES[:5])
            return "GET", page + self.filter()
        if roll < 0.70:
            return "GET", f"/api/v1/panels/{self.rng.choice(PANEL_PAGES)}{self.filter()}"
        if roll < 0.82:
            # Every KPI's facts have a region (a product line is not one of payments).
            return "GET", f"/api/v1/records/{self.rng.choice(METRICS)}{self.filter(['region'])}"
        if roll < 0.86:
            sep = "&" if (f := self.filter()) else "?"
            return "GET", f"/api/v1/records/revenue{f}{sep}format=csv"
        dim = self.rng.choice(DIMENSIONS)
        return "GET", f"/api/v1/metrics/{self.rng.choice(METRICS)}?by={dim}"


async def _person(
    client: httpx.AsyncClient,
    browser: Browser,
    token: str,
    start: float,
    stop: float,
    think: tuple[float, float],
    hits: list[Hit],
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    # People do not all arrive in the same second.
    await asyncio.sleep(browser.rng.uniform(0, think[1]))
    while time.monotonic() < stop:
        method, path = browser.next_request()
        began = time.monotonic()
        detail = ""
        try:
            answer = await client.request(method, path, headers=headers)
            await answer.aread()
            status = answer.status_code
            if status >= 400:
                detail = answer.text[:300]
        except httpx.HTTPError as exc:
            status, detail = 0, f"{type(exc).__name__}: {exc}"[:300]
        seconds = time.monotonic() - began
        error = status == 0 or status >= 400
        hits.append(
            Hit(
                route_of(method, path),
                began - start,
                seconds,
                status,
                browser.user,
                path if error else "",
                detail,
            )
        )
        await asyncio.sleep(browser.rng.uniform(*think))


async def _values(client: httpx.AsyncClient, token: str) -> dict[str, list[str]]:
    answer = await client.get(
        "/api/v1/panels/options", headers={"Authorization": f"Bearer {token}"}
    )
    if answer.status_code != 200:
        return {}
    data = answer.json()
    return {k: [str(v) for v in vs][:20] for k, vs in data.items() if isinstance(vs, list)}


async def _run(
    base_url: str,
    tokens: dict[str, str],
    users: int,
    duration_s: float,
    warmup_s: float,
    think: tuple[float, float],
    seed: int,
    tick: Callable[[float], None] | None,
) -> LoadReport:
    report = LoadReport(users=users, duration_s=duration_s, warmup_s=warmup_s)
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    timeout = httpx.Timeout(60.0)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout) as client:
        logins = sorted(tokens)
        values = {login: await _values(client, tokens[login]) for login in logins}
        rng = random.Random(seed)
        start = time.monotonic()
        stop = start + duration_s
        people = []
        for i in range(users):
            login = logins[i % len(logins)]
            browser = Browser(login, random.Random(rng.random()), values[login])
            people.append(
                asyncio.create_task(
                    _person(client, browser, tokens[login], start, stop, think, report.hits)
                )
            )
        while (now := time.monotonic()) < stop:
            if tick:
                tick(now - start)
            await asyncio.sleep(min(1.0, stop - now))
        await asyncio.gather(*people)
    return report


def run_load(
    base_url: str,
    tokens: dict[str, str],
    *,
    users: int = 50,
    duration_s: float = 300.0,
    warmup_s: float = 30.0,
    think: tuple[float, float] = (1.0, 3.0),
    seed: int = 7,
    tick: Callable[[float], None] | None = None,
) -> LoadReport:
    """Browse ``base_url`` with ``users`` people (round-robin over ``tokens``: login → bearer
    token) for ``duration_s`` seconds; every request is in the report."""
    return asyncio.run(_run(base_url, tokens, users, duration_s, warmup_s, think, seed, tick))


def make_tokens(logins: Sequence[str]) -> dict[str, str]:
    """A fresh read-only token for each of ``logins`` that exists and is active (the
    configured database; the server must not hold an embedded file open yet). A database
    without any user gets the demo company's four users first, as ``salesops demo`` does."""
    from salesops.auth import tokens, users
    from salesops.auth.audit import Actor
    from salesops.db.engine import make_engine
    from salesops.demo.users import ensure_demo_users

    engine = make_engine()
    try:
        if not users.has_users(engine):
            ensure_demo_users(engine)
        known = {u.username for u in users.list_users(engine) if u.active}
        made = {}
        for login in logins:
            if login in known:
                secret, _ = tokens.create_token(
                    engine,
                    login,
                    name="loadtest",
                    read_only=True,
                    expires_in=dt.timedelta(days=1),
                    actor=Actor("loadtest"),
                )
                made[login] = secret
        return made
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    port: int, workers: int, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """``salesops serve`` on 127.0.0.1:``port``; returns once it answers."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "salesops.cli.main",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 600
    while True:
        if server.poll() is not None:
            err = server.stderr.read() if server.stderr else ""
            raise RuntimeError(f"the server stopped: {err[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            server.kill()
            raise RuntimeError("the server did not answer within 10 minutes")
        time.sleep(0.25)


def stop_server(server: subprocess.Popen[str]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    if server.stderr is not None:
        server.stderr.close()
