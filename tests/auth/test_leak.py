"""Leak test (issue #17): signed in as a rep (张伟) and as the manager of 华东一组 (T-E), walk
every API route, panel, records list and export, and in headless Chromium every board page and
what it links to and fetches. No customer, deal or rep name outside the caller's scope may
appear anywhere; names inside it must appear (so the test can fail); the revenue card and the
API's revenue equal the engine's number for that scope, and the number worked out by hand."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlparse

import openpyxl
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, Response
from sqlalchemy import Engine, select

from salesops.app import OPENAPI_URL, create_app
from salesops.db.schema import OrgUnit, Rep
from salesops.metrics.engine import MetricsEngine
from salesops.metrics.query import MetricQuery
from salesops.metrics.scope import Scope
from tests.auth_helpers import bearer, link_path
from tests.browser import chromium, live_server
from tests.conftest import Db
from tests.web.data import ASOF, REVENUE_YTD_EAST, seed

ALL_OUTSIDE_NAMES = ("张伟", "李娜", "王芳", "上海甲科技", "杭州乙贸易", "深圳丙电子", "广州丁物流")


@dataclass(frozen=True)
class Caller:
    login: str
    role: str
    rep: str | None
    org_unit: str | None
    inside: tuple[str, ...]  # names that must appear somewhere
    outside: tuple[str, ...]  # names that must appear nowhere
    revenue_ytd: int  # 2026-01-01..2026-06-15, worked out by hand from tests/web/data.py

    def user(self) -> dict[str, Any]:
        return {"role": self.role, "rep": self.rep, "org_unit": self.org_unit}

    def scope(self, engine: Engine) -> Scope:
        with engine.connect() as conn:
            if self.rep:
                return Scope.single_rep(conn.scalar(select(Rep.id).where(Rep.name == self.rep)))
            unit = conn.scalar(select(OrgUnit.id).where(OrgUnit.external_id == self.org_unit))
            return Scope.subtree(unit)


CALLERS = {
    # 张伟 2026 YTD: O-2601 120,000 + 30,000, O-2605 60,000.
    "rep-zw": Caller(
        "rep-zw",
        "rep",
        "张伟",
        None,
        inside=("张伟", "上海甲科技"),
        outside=("李娜", "王芳", "杭州乙贸易", "深圳丙电子", "广州丁物流"),
        revenue_ytd=210_000,
    ),
    # 华东 2026 YTD: 张伟 210,000 + 李娜 O-2602 80,000 (data.py's header: 290,000).
    "mgr-east": Caller(
        "mgr-east",
        "manager",
        None,
        "T-E",
        inside=("张伟", "李娜", "上海甲科技", "杭州乙贸易"),
        outside=("王芳", "深圳丙电子", "广州丁物流"),
        revenue_ytd=REVENUE_YTD_EAST,
    ),
}
assert CALLERS["rep-zw"].revenue_ytd + 80_000 == REVENUE_YTD_EAST

BOARD_FILTERS = (
    f"period=year&asof={ASOF}",
    f"period=custom&from=2025-01-01&to=2026-12-31&asof={ASOF}",
)
# Query strings tried in turn for a route that does not read the board's filters.
OTHER_QUERIES = (
    f"as_of={ASOF}&from=2025-01-01&to=2026-06-15",
    f"period=2026&as_of={ASOF}&attainment=true",
)
RECORD_KPIS = ("revenue", "bookings", "win_rate", "open_pipeline", "overdue_receivables", "nps")
START = dt.date(2026, 1, 1)


class Seen:
    """Every body read during a crawl, by where it came from."""

    def __init__(self) -> None:
        self.bodies: list[tuple[str, str]] = []

    def add(self, where: str, text: str) -> None:
        self.bodies.append((where, text))

    def check(self, caller: Caller) -> None:
        leaks = {
            name: sorted({where for where, text in self.bodies if name in text})[:5]
            for name in caller.outside
        }
        assert {k: v for k, v in leaks.items() if v} == {}, f"{caller.login} sees outside names"
        missing = [n for n in caller.inside if not any(n in text for _, text in self.bodies)]
        assert missing == [], f"{caller.login} never sees {missing}: the crawl proves nothing"


def xlsx_text(content: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    cells = [
        str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row
    ]
    book.close()
    return "\n".join(c for c in cells if c != "None")


def engine_revenue(engine: Engine, scope: Scope) -> float:
    query = MetricQuery("revenue", start=START, end=dt.date.fromisoformat(ASOF))
    rows = MetricsEngine(engine).query(query, scope).rows
    return float(rows[0]["value"])


# --------------------------------------------------------------------------- the JSON API


def crawl_api(client: TestClient, seen: Seen) -> None:
    def get(url: str) -> Any:
        response = client.get(url)
        if response.headers.get("content-type", "").startswith("application/vnd.openxml"):
            seen.add(url, xlsx_text(response.content))
        else:
            seen.add(url, response.text)
        return response

    schema = client.get(OPENAPI_URL).json()
    for path, ops in schema["paths"].items():
        if "get" not in ops or "{" in path or path == OPENAPI_URL:
            continue
        statuses = []
        for query in (*BOARD_FILTERS, *OTHER_QUERIES):
            statuses.append(get(f"{path}?{query}").status_code)
            if statuses[-1] in (200, 403):
                break
        assert statuses[-1] in (200, 403), (path, statuses)
        if path == "/api/v1/counts":
            assert statuses[-1] == 403  # whole-database counts are for importers only
    pages = client.get("/api/v1/panels").json()["pages"]
    for filters in BOARD_FILTERS:
        for page, panels in pages.items():
            assert get(f"/api/v1/panels/{page}?{filters}").status_code == 200, page
            for panel in panels:  # (a page's JSON holds each of its panels)
                base = f"/api/v1/panels/{page}/{panel}"
                formats = ("json", "csv", "xlsx") if filters == BOARD_FILTERS[0] else ("json",)
                for fmt in formats:
                    status = get(f"{base}/records?{filters}&format={fmt}").status_code
                    assert status in (200, 404), (base, fmt)  # 404: a panel without records
        for metric in RECORD_KPIS:
            for fmt in ("json", "csv", "xlsx"):
                assert get(f"/api/v1/records/{metric}?{filters}&format={fmt}").status_code == 200
    for metric in RECORD_KPIS:
        get(f"/api/v1/metrics/{metric}?from=2025-01-01&to=2026-12-31&by=rep&by=customer")
        get(f"/api/v1/metrics/{metric}?from=2025-01-01&to=2026-12-31&by=opportunity")
    # The board's HTML pages too (a token opens pages): the HTML carries names in attributes.
    for path in BOARD_PATHS:
        sep = "&" if "?" in path else "?"
        assert get(f"{path}{sep}asof={ASOF}&lang=zh").status_code == 200, path


BOARD_PATHS = (
    "/",
    "/orders",
    "/pipeline",
    "/team",
    "/team/rep?rep=" + quote("张伟"),
    "/customers",
    "/targets",
    "/wall?rotate=0&refresh=0",
    "/account",
)


@pytest.mark.parametrize("login", CALLERS)
def test_api_shows_only_the_callers_data(db: Db, login: str) -> None:
    caller = CALLERS[login]
    seed(db.engine)
    client = TestClient(create_app(db.engine))
    client.headers.update(bearer(db.engine, login, **caller.user()))
    seen = Seen()
    crawl_api(client, seen)
    seen.check(caller)
    # Totals: the engine's number for this scope, and the number worked out by hand.
    expected = engine_revenue(db.engine, caller.scope(db.engine))
    assert expected == caller.revenue_ytd
    rows = client.get(f"/api/v1/metrics/revenue?from=2026-01-01&to={ASOF}").json()["rows"]
    assert rows[0]["value"] == pytest.approx(expected)
    cards = client.get(f"/api/v1/panels/overview?period=year&asof={ASOF}").json()["cards"]
    (card,) = [c for c in cards if c.get("metric") == "revenue"]
    assert card["value"] == pytest.approx(expected)
    # The engine is really scoped: the whole company's revenue is more.
    assert engine_revenue(db.engine, Scope.everything()) > expected


# --------------------------------------------------------------------------- Chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture(autouse=True)
def _no_warmup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESOPS_BOARD_WARMUP", "0")


def _wait_ready(page: Page) -> None:
    if page.evaluate("() => !!window.SalesOpsBoard"):
        page.wait_for_selector("body[data-ready='1']", timeout=60_000)


def _links(page: Page, base: str) -> list[str]:
    hrefs: list[str] = page.locator("a[href]").evaluate_all(
        "(links) => links.map((a) => a.getAttribute('href'))"
    )
    out = []
    for href in hrefs:
        url = urljoin(page.url, href)
        parts = urlparse(url)
        if (
            not url.startswith(base)
            or parts.path in ("/logout",)
            or parts.path.startswith("/login")
        ):
            continue
        out.append(url.split("#")[0])
    return out


class Crawler:
    def __init__(self, browser: Browser, base: str, seen: Seen, locale: str) -> None:
        self.base = base
        self.seen = seen
        self.context = browser.new_context(locale=locale, viewport={"width": 1440, "height": 900})
        self.context.set_default_timeout(60_000)  # a limit for a loaded machine, not a goal
        self.page = self.context.new_page()
        self.responses: list[Response] = []
        self.page.on("response", lambda r: self.responses.append(r))
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def drain(self) -> None:
        """Read the JSON and CSV bodies the page fetched so far."""
        for response in self.responses:
            kind = response.headers.get("content-type", "")
            if response.ok and ("json" in kind or "csv" in kind):
                self.seen.add(response.url, response.text())
        self.responses.clear()

    def visit(self, url: str, records: bool) -> list[str]:
        response = self.page.goto(url)
        assert response is not None and response.ok, (url, response and response.status)
        _wait_ready(self.page)
        self.drain()
        self.seen.add(url, self.page.content())
        links = _links(self.page, self.base)
        if records:
            self.open_records(url)
        return links

    def open_records(self, url: str) -> None:
        # (the wall's slides off screen hide their buttons)
        buttons = self.page.locator("[data-panel] [data-action='records']:visible")
        for i in range(buttons.count()):
            button = buttons.nth(i)
            button.scroll_into_view_if_needed()
            with self.page.expect_response(lambda r: "/records" in r.url):
                button.click()
            self.page.wait_for_selector("dialog#records .body .count, dialog#records .error")
            self.seen.add(f"{url} records #{i}", self.page.inner_text("dialog#records"))
            self.page.click("dialog#records .close")
        self.drain()

    def close(self) -> None:
        self.context.close()


PERIOD_KEYS = frozenset({"lang", "asof", "period", "from", "to", "grain", "compare", "basis"})


def _key(url: str) -> str:
    """A page once per language and filter: the same page for another period, grain or
    comparison shows the same names."""
    parts = urlparse(url)
    query = sorted((k, v) for k, v in parse_qsl(parts.query) if k not in PERIOD_KEYS)
    return parts.path + "?" + urlencode(query)


def crawl_browser(browser: Browser, base: str, engine: Engine, caller: Caller, seen: Seen) -> int:
    """Every board page in both languages, then the same-origin links found on them to depth 2
    (Chinese only: the names are data, the same in both). The records dialogs of every panel
    open once (Chinese); the JSON API test reads every records list in every format."""
    visited = 0
    for lang, locale in (("zh", "zh-CN"), ("en", "en-US")):
        crawler = Crawler(browser, base, seen, locale)
        crawler.page.goto(base + link_path(engine, caller.login, **caller.user()))
        frontier = []
        for path in BOARD_PATHS:
            sep = "&" if "?" in path else "?"
            frontier.append(f"{base}{path}{sep}asof={ASOF}&lang={lang}")
        done: set[str] = set()
        for depth in range(3 if lang == "zh" else 1):
            following: list[str] = []
            for url in frontier:
                if _key(url) in done:
                    continue
                done.add(_key(url))
                following += crawler.visit(url, records=depth == 0 and lang == "zh")
            frontier = list(dict.fromkeys(following))
        visited += len(done)
        assert crawler.errors == []
        crawler.close()
    return visited


@pytest.mark.browser
@pytest.mark.parametrize("login", CALLERS)
# One database: the crawl takes minutes on a shared machine (the JSON API test runs on both,
# and the pages read the same engine).
@pytest.mark.parametrize("db", ["duckdb"], indirect=True)
def test_browser_shows_only_the_callers_data(db: Db, browser: Browser, login: str) -> None:
    caller = CALLERS[login]
    seed(db.engine)
    seen = Seen()
    with live_server(db.engine) as base:
        pages = crawl_browser(browser, base, db.engine, caller, seen)
        # The revenue card shows the engine's number for the caller's scope.
        context = browser.new_context()
        page = context.new_page()
        page.goto(base + link_path(db.engine, caller.login, **caller.user()))
        page.goto(f"{base}/?asof={ASOF}&lang=zh")
        _wait_ready(page)
        raw = page.locator('.kpi[data-metric="revenue"] .kpi-value').get_attribute("data-value")
        context.close()
    assert pages > len(BOARD_PATHS) * 2  # links were followed
    assert any("/records" in where for where, _ in seen.bodies)
    seen.check(caller)
    expected = engine_revenue(db.engine, caller.scope(db.engine))
    assert float(raw or "nan") == expected == caller.revenue_ytd
