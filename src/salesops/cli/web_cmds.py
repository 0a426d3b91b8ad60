"""``salesops screenshots``: every board page in desktop, phone and wall mode, in both languages."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import typer
from rich.console import Console

from salesops.cli.common import BOARD

console = Console(stderr=True)

CHROMIUM = os.environ.get("SALESOPS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: (file name, path) of the pages; the rep page is added with the first rep the data knows.
PAGES = (
    ("overview", "/"),
    ("orders", "/orders"),
    ("pipeline", "/pipeline"),
    ("team", "/team"),
    ("customers", "/customers"),
    ("market", "/market"),
    ("voice", "/voice"),
)
#: Pages without charts of their own (targets, people, alerts, reports, data): timed after the
#: wall by ``page-timings``, not screenshot.
OTHER_PAGES = (
    ("targets", "/targets"),
    ("people", "/people"),
    ("alerts", "/alerts"),
    ("reports", "/reports"),
    ("data", "/data"),
)
#: (mode, viewport width, height, device scale, full page)
MODES = (("desktop", 1440, 900, 1, True), ("phone", 390, 844, 2, True))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class _Served:
    """A board to load pages from: its base URL and, when it runs in this process, a way to
    drop every cached result (engine, analyses, panels) so the next load is cold."""

    url: str
    forget: Callable[[], None] | None = None
    #: a fresh one-time sign-in path (``/login/link?token=…``) for each browser context
    sign_in: Callable[[], str] | None = None
    #: CPU seconds (user + system) the database server has spent for this board so far
    #: (PostgreSQL only: its server processes, not this one, run the statements)
    db_cpu: Callable[[], float] | None = None
    token: str | None = None  # or a bearer token for a board started elsewhere
    first_rep: Callable[[], str | None] | None = None

    def open(self, context: Any) -> None:
        """Sign ``context`` in: through a one-time link, or with the bearer token."""
        if self.sign_in is not None:
            page = context.new_page()
            # the link answers with the overview, computed cold on a fresh board
            page.goto(self.url + self.sign_in(), wait_until="commit", timeout=120_000)
            page.close()
        elif self.token:
            context.set_extra_http_headers({"Authorization": f"Bearer {self.token}"})


def _signer(engine: Any, login: str | None) -> tuple[Callable[[], str], Callable[[], str | None]]:
    """One-time sign-in links for ``login`` (default: the first active admin; on a board
    without users, an ``admin`` user without a password is made, as ``serve`` does), and
    the first rep that user may see."""
    from salesops.auth import sessions, users
    from salesops.auth.audit import Actor
    from salesops.web.options import filter_options

    actor = Actor.cli()
    if login is None:
        admins = [u for u in users.list_users(engine) if u.role == "admin" and u.active]
        if admins:
            login = admins[0].username
        else:
            login = users.add_user(engine, "admin", role="admin", actor=actor).username
    with engine.connect() as conn:
        user = users.get_user(conn, username=login)  # fails early for an unknown login

    def first_rep() -> str | None:
        reps = filter_options(engine, user.scope).get("rep", [])
        return str(reps[0]) if reps else None

    def link() -> str:
        return "/login/link?token=" + sessions.create_sign_in_link(
            engine, user.username, actor=actor
        )

    return link, first_rep


@contextmanager
def _local_server(login: str | None = None) -> Iterator[_Served]:
    """Serve the app on the configured database on a free loopback port (a thread)."""
    import uvicorn

    from salesops.app import create_app
    from salesops.cli.common import open_database
    from salesops.web import warmup

    engine = open_database(migrate=True)
    # As `salesops serve` starts: the default views are built (or, with warm-up off, the
    # process is primed and the results dropped); pages are timed once that is done.
    warmup.warm_at_start(engine).join(timeout=600)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(engine), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the board server did not start")
        time.sleep(0.05)
    try:
        link, first_rep = _signer(engine, login)
        yield _Served(
            f"http://127.0.0.1:{port}",
            lambda: _forget_all(engine),
            sign_in=link,
            first_rep=first_rep,
            db_cpu=_server_cpu(engine) if engine.dialect.name == "postgresql" else None,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


def _forget_all(engine: Any) -> None:
    """Every cached result: the board's (engine, analyses, panels) and the kept forecasts."""
    from salesops.forecast import service as forecast_service
    from salesops.web import warmup

    warmup.forget_results(engine)
    forecast_service.forget(engine)


def _server_cpu(engine: Any) -> Callable[[], float]:
    """CPU seconds the PostgreSQL server processes of ``engine``'s database have used.

    Reads ``/proc/PID/stat`` of every backend connected to the database (the server must run
    on this machine; a backend this process cannot read counts 0). The board's pool keeps its
    connections, so differences over a page load are that load's work; parallel workers
    (which live for one statement) are not counted.
    """
    from sqlalchemy import text

    tick = os.sysconf("SC_CLK_TCK")
    seen: dict[int, float] = {}

    def used() -> float:
        with engine.connect() as conn:
            pids = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid()"
                )
            ).scalars()
            for pid in pids:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                seen[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        # A backend that ended keeps the CPU it had when last seen.
        return sum(seen.values())

    return used


def _first_rep(served: _Served) -> str | None:
    """The first rep the signed-in user may see (for the rep page)."""
    import urllib.request  # http.client, ssl, email: not at startup

    if served.first_rep is not None:
        return served.first_rep()
    headers = {"Authorization": f"Bearer {served.token}"} if served.token else {}
    request = urllib.request.Request(f"{served.url}/api/v1/panels/options", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            reps = json.load(resp).get("rep", [])
    except OSError:
        return None
    return str(reps[0]) if reps else None


def screenshots(
    out: Path = typer.Option(Path("screenshots"), help="Folder for the PNG files."),
    url: str | None = typer.Option(
        None, help="A running board (default: start one on SALESOPS_DATABASE_URL)."
    ),
    query: str = typer.Option(
        "", help="Extra query string for every page, e.g. 'period=year&asof=2026-06-30'."
    ),
    login: str | None = typer.Option(
        None, "--as", help="Sign in as this user (default: an admin) on the board it starts."
    ),
    token: str | None = typer.Option(
        None, "--token", envvar="SALESOPS_TOKEN", help="API token for a board given by --url."
    ),
) -> None:
    """Screenshot every board page (desktop, phone, wall) in 简体中文 and English."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with _local_server(login) if url is None else _given(url, token) as served:
        pages = list(PAGES)
        rep = _first_rep(served)
        if rep:
            pages.insert(4, ("rep", f"/team/rep?rep={quote(rep)}"))
        shots: list[tuple[str, str, str, str, int, int, int, bool]] = []
        for lang in ("zh", "en"):
            for mode, width, height, scale, full in MODES:
                shots.extend((lang, mode, n, p, width, height, scale, full) for n, p in pages)
            shots.append((lang, "wall", "wall", "/wall?rotate=0&refresh=0", 1920, 1080, 1, False))
        written = _take(sync_playwright, served, shots, out, query)
    console.print(f"[green]{written} screenshots[/green] in {out}/")


@contextmanager
def _given(url: str, token: str | None) -> Iterator[_Served]:
    yield _Served(url.rstrip("/"), token=token)


def _take(
    playwright: object,
    served: _Served,
    shots: list[tuple[str, str, str, str, int, int, int, bool]],
    out: Path,
    query: str,
) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    written = 0
    errors: list[str] = []
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console,
    )  # fmt: skip
    with progress, playwright() as pw:  # type: ignore[operator]
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        task = progress.add_task("screenshots", total=len(shots))
        for lang, mode, name, path, width, height, scale, full in shots:
            progress.update(task, description=f"{lang} {mode} {name}")
            context = browser.new_context(
                viewport={"width": width, "height": height},
                device_scale_factor=scale,
                is_mobile=mode == "phone",
                has_touch=mode == "phone",
                locale="zh-CN" if lang == "zh" else "en-US",
                reduced_motion="reduce",  # charts drawn at once: no entry animation to wait out
            )
            served.open(context)
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            sep = "&" if "?" in path else "?"
            extra = f"&{query}" if query else ""
            page.goto(f"{served.url}{path}{sep}lang={lang}{extra}", wait_until="load")
            page.wait_for_selector("body[data-ready='1']", timeout=30_000)
            target = out / lang / f"{mode}-{name}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(target), full_page=full)
            context.close()
            written += 1
            progress.advance(task)
        browser.close()
    for error in errors:
        console.print(f"[yellow]page error:[/yellow] {error}")
    return written


def page_timings(
    url: str | None = typer.Option(
        None, help="A running board (default: start one on SALESOPS_DATABASE_URL)."
    ),
    runs: int = typer.Option(5, min=1, max=50, help="Warm loads per page after the first."),
    cold: int = typer.Option(
        1,
        min=1,
        max=20,
        help="Cold loads per page, each after every cached result was dropped (more than "
        "one needs the board this command starts).",
    ),
    query: str = typer.Option("", help="Extra query string for every page."),
    only: list[str] = typer.Option(
        [],
        "--page",
        help="Time only this page (overview, orders, pipeline, team, rep, customers, "
        "market, voice, wall, targets, people, alerts, reports, data, forecast); repeat for "
        "more. The forecast page is timed only when asked for.",
    ),
    login: str | None = typer.Option(
        None, "--as", help="Sign in as this user (default: an admin) on the board it starts."
    ),
    token: str | None = typer.Option(
        None, "--token", envvar="SALESOPS_TOKEN", help="API token for a board given by --url."
    ),
    customers: list[int] = typer.Option(
        [],
        "--customer",
        help="Time the customer page (客户档案) of this customer id; repeat for more. Only "
        "customer pages are timed then, unless --page names others too.",
    ),
) -> None:
    """Time each board page in Chromium until every chart has painted its first frame.

    \f
    Cold loads: nothing cached (engine, analyses and panels are all computed again); median
    and slowest of ``cold``. Then the median of ``runs`` warm loads. "HTML" is the page's own
    response alone (its lazy panels' requests come after it). On the board this command
    starts, "CPU (cold)" is the median CPU time (user + system) this process — the server, the
    browser runs apart — spent on a cold load: on a busy machine a steadier measure than
    seconds. On PostgreSQL "DB CPU (cold)" adds the median CPU time of the database server's
    processes for this board over a cold load (they run the statements).
    """
    import statistics

    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright
    from rich.table import Table

    if cold > 1 and url is not None:
        raise typer.BadParameter("--cold above 1 needs the board this command starts")
    table = Table(title=f"Board pages (seconds; {cold} cold, {runs} warm loads each)")
    columns = ["page", "cold", "cold (slowest)", "HTML (cold)", "warm", "HTML (warm)"]
    if url is None:
        columns.insert(4, "CPU (cold)")
    with _local_server(login) if url is None else _given(url, token) as served:
        if served.db_cpu is not None:
            columns.insert(5, "DB CPU (cold)")
        for col in columns:
            table.add_column(col, justify="left" if col == "page" else "right")
        base = served.url
        pages = list(PAGES)
        rep = _first_rep(served)
        if rep:
            pages.insert(4, ("rep", f"/team/rep?rep={quote(rep)}"))
        pages.append(("wall", "/wall?rotate=0&refresh=0"))
        pages += OTHER_PAGES
        if "forecast" in only:
            pages.append(("forecast", "/forecast"))
        if only or customers:
            pages = [(name, path) for name, path in pages if name in only]
        pages += [(f"customer {cid}", f"/customers/{cid}") for cid in customers]
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            served.open(context)
            page = context.new_page()

            def load(target: str) -> tuple[float, float]:
                # From a blank page: the page loaded before (the wall's clock, ticker and
                # slides keep running) must not compete with the server for the CPU.
                page.goto("about:blank")
                if "/forecast" in target:
                    return _forecast_load(page, target)
                page.goto(target, timeout=120_000)  # a page without lazy panels: all in HTML
                page.wait_for_selector("body[data-ready='1']", timeout=120_000)
                ready = page.evaluate("() => window.__readyAt") / 1000
                html = page.evaluate(
                    "() => { const n = performance.getEntriesByType('navigation')[0];"
                    " return n.responseEnd - n.requestStart; }"
                )
                return ready, html / 1000

            for name, path in pages:
                sep = "&" if "?" in path else "?"
                target = f"{base}{path}{sep}lang=zh" + (f"&{query}" if query else "")
                colds: list[tuple[float, float]] = []
                cpu: list[float] = []
                db_cpu: list[float] = []
                try:
                    for _ in range(cold):
                        if served.forget is not None:
                            served.forget()
                        before = time.process_time()
                        db_before = served.db_cpu() if served.db_cpu is not None else 0.0
                        colds.append(load(target))
                        cpu.append(time.process_time() - before)
                        if served.db_cpu is not None:
                            db_cpu.append(served.db_cpu() - db_before)
                    warms = [load(target) for _ in range(runs)]
                except PlaywrightTimeout:
                    # One page past the time limit (a loaded machine) loses its row only.
                    table.add_row(name, *(["timeout"] * (len(columns) - 1)))
                    continue
                cells = [
                    name,
                    f"{statistics.median(t for t, _ in colds):.3f}",
                    f"{max(t for t, _ in colds):.3f}",
                    f"{statistics.median(h for _, h in colds):.3f}",
                    f"{statistics.median(t for t, _ in warms):.3f}",
                    f"{statistics.median(h for _, h in warms):.3f}",
                ]
                if url is None:
                    cells.insert(4, f"{statistics.median(cpu):.3f}")
                if db_cpu:
                    cells.insert(5, f"{statistics.median(db_cpu):.3f}")
                table.add_row(*cells)
            browser.close()
    Console().print(table)


#: The forecast page is done when the landing and the series are shown (not "computing")
FORECAST_DONE = "#landing-expected, #landing .notice.error"
FORECAST_SERIES_DONE = "#series-table, #series .notice.error"


def _forecast_load(page: Any, target: str) -> tuple[float, float]:
    """Seconds until the forecast page shows its numbers, and the last HTML response's time.

    A first view while the forecasts are computed answers at once with "being computed" (the
    page reloads itself every 10 s); here it is asked again every 0.5 s instead, so the time
    is the computation's, not the refresh interval's. Measured in this process (wall clock
    from the first request), as the page's own clock restarts with every reload.
    """
    import time

    started = time.perf_counter()
    while True:
        page.goto(target)
        done = page.evaluate(
            "([a, b]) => !!document.querySelector(a) && !!document.querySelector(b)",
            [FORECAST_DONE, FORECAST_SERIES_DONE],
        )
        if done:
            break
        if time.perf_counter() - started > 600:
            raise RuntimeError("the forecast page was not computed within 10 minutes")
        page.wait_for_timeout(500)
    page.wait_for_selector("body[data-ready='1']", timeout=120_000)
    elapsed = time.perf_counter() - started
    html = page.evaluate(
        "() => { const n = performance.getEntriesByType('navigation')[0];"
        " return n.responseEnd - n.requestStart; }"
    )
    return elapsed, html / 1000


def loadtest(
    users: int = typer.Option(50, min=1, max=1000, help="Simulated people browsing at once."),
    duration: float = typer.Option(300.0, min=5, help="Seconds of load."),
    warmup: float = typer.Option(30.0, min=0, help="Seconds at the start left out of 'warm'."),
    workers: int = typer.Option(1, min=1, max=64, help="Server processes (PostgreSQL only)."),
    login: list[str] = typer.Option(
        [], "--as", help="Users to browse as (default: admin, manager, rep, viewer)."
    ),
    url: str | None = typer.Option(
        None, help="A running board (default: start one on SALESOPS_DATABASE_URL)."
    ),
    token: list[str] = typer.Option(
        [], "--token", help="LOGIN=TOKEN for a board given by --url; repeat for more users."
    ),
    think: str = typer.Option("1-3", help="Pause between one person's clicks (seconds, a-b)."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the report here."),
) -> None:
    """Many people browsing the board at once; p50/p95/p99 per route and the errors."""
    import json

    from rich.table import Table

    from salesops.bench import loadtest as lt

    try:
        low, high = (float(x) for x in think.split("-", 1))
    except ValueError:
        raise typer.BadParameter("--think is two numbers of seconds, e.g. 1-3") from None
    logins = login or ["admin", "manager", "rep", "viewer"]
    server = None
    if url is None:
        tokens = lt.make_tokens(logins)
        if not tokens:
            console.print(
                "[red]error:[/red] none of these users exists: "
                f"{', '.join(logins)} (`salesops demo-data` makes the demo users)"
            )
            raise typer.Exit(2)
        port = lt.free_port()
        console.print(f"Starting the board on 127.0.0.1:{port} ({workers} process(es)) …")
        server = lt.start_server(port, workers)
        url = f"http://127.0.0.1:{port}"
    else:
        tokens = dict(t.split("=", 1) for t in token if "=" in t)
        if not tokens:
            raise typer.BadParameter("--url needs at least one --token LOGIN=TOKEN")
    try:
        from rich.progress import Progress

        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"{users} people browsing", total=duration)
            report = lt.run_load(
                url,
                tokens,
                users=users,
                duration_s=duration,
                warmup_s=warmup,
                think=(low, high),
                tick=lambda elapsed: progress.update(task, completed=elapsed),
            )
    finally:
        if server is not None:
            lt.stop_server(server)
    table = Table(title=f"{users} people, {duration:.0f} s, as {', '.join(sorted(tokens))}")
    for col in ("route", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms"):
        table.add_column(col, justify="left" if col == "route" else "right", no_wrap=True)
    for row in report.table(warm=False):
        table.add_row(*(str(v) for v in row.values()))
    Console().print(table)
    summary = report.summary()
    Console().print(summary)
    if json_out is not None:
        json_out.write_text(
            json.dumps(
                {
                    "summary": summary,
                    "all": report.table(warm=False),
                    "warm": report.table(warm=True),
                    "errors": [h.__dict__ for h in report.errors()[:200]],
                },
                ensure_ascii=False,
                indent=2,
            ),
            encoding="utf-8",
        )
    if summary["errors"]:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``salesops`` app."""
    app.command(rich_help_panel=BOARD)(screenshots)
    app.command("page-timings", rich_help_panel=BOARD)(page_timings)
    app.command(rich_help_panel=BOARD)(loadtest)
