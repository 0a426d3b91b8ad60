"""The board in headless Chromium: every page renders its charts, the KPI cards show exactly what
the engine returns, filters and drill-downs change the numbers, both languages, no console
errors. One browser per module; one live server per database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine

from salesops.metrics.engine import MetricsEngine
from salesops.metrics.query import MetricQuery
from salesops.metrics.scope import FULL_SCOPE
from salesops.web.formatting import format_value
from salesops.web.kpi import info
from tests.auth_helpers import link_path
from tests.browser import chromium, live_server
from tests.conftest import Db
from tests.web.data import ASOF, REVENUE_MARCH, REVENUE_YTD, REVENUE_YTD_EAST, seed

pytestmark = pytest.mark.browser

PAGES = ("/", "/orders", "/pipeline", "/team", "/team/rep?rep=" + quote("王芳"), "/customers")


@pytest.fixture(autouse=True)
def _no_warmup(monkeypatch: pytest.MonkeyPatch) -> None:
    """Background warm-up (tested in test_api) would only add load to these page checks."""
    monkeypatch.setenv("SALESOPS_BOARD_WARMUP", "0")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


class Watch:
    """A page that records console errors and uncaught exceptions."""

    def __init__(self, browser: Browser, locale: str = "zh-CN", width: int = 1440) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def sign_in(self, base: str, engine: Engine, **user: Any) -> Watch:
        """Start a session through a one-time sign-in link (an admin unless ``user`` says)."""
        self.page.goto(base + link_path(engine, **user))
        return self

    def open(self, url: str) -> Page:
        self.page.goto(url)
        self.page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        return self.page

    def card(self, metric: str) -> tuple[str, str]:
        value = self.page.locator(f'.kpi[data-metric="{metric}"] .kpi-value')
        return value.inner_text().strip(), value.get_attribute("data-value") or ""

    def close(self) -> None:
        self.context.close()


def _charts_rendered(page: Page) -> tuple[int, int]:
    """(chart boxes shown, of them with an ECharts canvas)."""
    result: list[int] = page.evaluate(
        """() => {
            // On the wall, the slide on screen (the others draw when they appear).
            const boxes = [...document.querySelectorAll('.panel .chart')]
                .filter((b) => b.style.display !== 'none')
                .filter((b) => !b.closest('.slide') || b.closest('.slide.on'));
            const drawn = boxes.filter(
                (b) => echarts.getInstanceByDom(b) && b.querySelector('canvas'));
            return [boxes.length, drawn.length];
        }"""
    )
    return result[0], result[1]


def _settled(page: Page, panel: str) -> None:
    """Wait until the chart's entry animation is over: a click on a bar still growing from
    zero width can land beside it (seen on a fast, idle machine)."""
    page.wait_for_function(
        """(panel) => {
            const box = document.querySelector(`[data-panel="${panel}"] .chart`);
            const chart = box && echarts.getInstanceByDom(box);
            return !!chart && chart.getZr().animation.isFinished();
        }""",
        arg=panel,
    )


def _click_bar(page: Page, panel: str, category: str) -> None:
    """Click the bar of ``category`` in a horizontal ranked-bar chart (a real mouse click)."""
    _settled(page, panel)
    point = page.evaluate(
        """([panel, category]) => {
            const box = document.querySelector(`[data-panel="${panel}"] .chart`);
            box.scrollIntoView({ block: "center" });
            const chart = echarts.getInstanceByDom(box);
            const opt = chart.getOption();
            const index = opt.yAxis[0].data.indexOf(category);
            const value = opt.series[0].data[index];
            const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, [value / 2, index]);
            const r = box.getBoundingClientRect();
            return [r.left + x, r.top + y];
        }""",
        [panel, category],
    )
    page.mouse.click(point[0], point[1])


def _engine_value(db: Db, metric: str, start: dt.date, end: dt.date, **where: str) -> object:
    query = MetricQuery(
        metric=metric,
        start=start,
        end=end,
        where=tuple(sorted((d, (v,)) for d, v in where.items())),
    )
    rows = MetricsEngine(db.engine).query(query, FULL_SCOPE).rows
    return rows[0]["value"] if rows else None


def test_every_page_renders_its_charts(db: Db, browser: Browser) -> None:
    seed(db.engine)
    with live_server(db.engine) as base:
        for lang, width in (("zh", 1440), ("en", 390)):
            watch = Watch(browser, width=width).sign_in(base, db.engine)
            for path in (*PAGES, "/wall?rotate=0&refresh=0", "/data"):
                sep = "&" if "?" in path else "?"
                page = watch.open(f"{base}{path}{sep}asof={ASOF}&lang={lang}")
                shown, drawn = _charts_rendered(page)
                assert drawn == shown, f"{path}: {drawn} of {shown} charts drawn"
                if path not in ("/data",):
                    assert shown >= 2, path
                notices = page.locator(".panel .notice:visible").all_inner_texts()
                assert notices == [], f"{path}: {notices}"
            assert watch.errors == []
            watch.close()


def test_kpi_cards_show_the_engine_numbers(db: Db, browser: Browser) -> None:
    seed(db.engine)
    start, end = dt.date(2026, 1, 1), dt.date.fromisoformat(ASOF)
    with live_server(db.engine) as base:
        watch = Watch(browser).sign_in(base, db.engine)
        page = watch.open(f"{base}/?asof={ASOF}&lang=zh")
        metrics = page.locator(".kpi[data-metric]").evaluate_all(
            "(cards) => cards.map((c) => c.dataset.metric)"
        )
        assert len(metrics) == 10
        for metric in metrics:
            expected = _engine_value(db, metric, start, end)
            text, raw = watch.card(metric)
            assert text == format_value(expected, info(metric, "zh_CN").unit, "zh_CN"), metric
            if expected is not None:
                assert float(raw) == pytest.approx(float(expected)), metric
        # Written out by hand from tests/web/data.py:
        text, raw = watch.card("revenue")
        assert (text, float(raw)) == ("¥54万", REVENUE_YTD)
        # Every card has its twelve-month line, the open pipeline (a stock) too: eleven whole
        # months solid, then June so far (the as-of date is 15 June) dashed to a marked point.
        count = "(lines) => lines.map((l) => l.getAttribute('points').split(' ').length)"
        lines = page.locator(".kpi[data-metric] svg.spark polyline:not(.mtd)").evaluate_all(count)
        assert lines == [11] * len(metrics)
        to_date = page.locator(".kpi[data-metric] svg.spark polyline.mtd").evaluate_all(count)
        assert to_date == [2] * len(metrics)
        dot = page.locator('.kpi[data-metric="revenue"] .spark-mtd')
        assert dot.get_attribute("title") == "2026-06 截至 06-15"
        assert dot.is_visible()
        # A KPI measured against a target that does not exist says so rather than "-".
        today = dt.date.fromisoformat(ASOF)
        coverage = MetricsEngine(db.engine, today=today).query(
            MetricQuery("pipeline_coverage", start=start, end=end)
        )
        assert coverage.rows == [{"value": None}]  # no target for the next period
        page = watch.open(f"{base}/pipeline?asof={ASOF}&lang=en")
        card = page.locator('.kpi[data-metric="pipeline_coverage"]')
        assert card.locator(".prev").inner_text().strip() == "No target set"
        assert watch.errors == []
        watch.close()


def test_filter_and_drill_down_change_the_numbers(db: Db, browser: Browser) -> None:
    seed(db.engine)
    with live_server(db.engine) as base:
        watch = Watch(browser).sign_in(base, db.engine)
        page = watch.open(f"{base}/?asof={ASOF}&lang=zh")
        assert float(watch.card("revenue")[1]) == REVENUE_YTD
        # The filter bar: pick a region; the URL carries it and the cards follow.
        with page.expect_navigation():
            page.select_option('select[name="region"]', "华东")
        page.wait_for_selector("body[data-ready='1']")
        assert parse_qs(urlparse(page.url).query)["region"] == ["华东"]
        assert float(watch.card("revenue")[1]) == REVENUE_YTD_EAST
        # Drill-down: a click on the 华南 bar filters by 华南 instead.
        page = watch.open(f"{base}/?asof={ASOF}&lang=zh")
        with page.expect_navigation():
            _click_bar(page, "revenue_by_region", "华南")
        page.wait_for_selector("body[data-ready='1']")
        assert parse_qs(urlparse(page.url).query)["region"] == ["华南"]
        assert float(watch.card("revenue")[1]) == REVENUE_YTD - REVENUE_YTD_EAST
        # Drill into a period: the trend's March bar becomes a custom period of March.
        page = watch.open(f"{base}/orders?asof={ASOF}&lang=zh&grain=month")
        _settled(page, "orders_trend")
        point = page.evaluate(
            """() => {
                const box = document.querySelector('[data-panel="orders_trend"] .chart');
                box.scrollIntoView({ block: "center" });
                const chart = echarts.getInstanceByDom(box);
                const i = chart.getOption().xAxis[0].data.indexOf('2026-03');
                const v = chart.getOption().series[0].data[i];
                const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, [i, v / 2]);
                const r = box.getBoundingClientRect();
                return [r.left + x, r.top + y];
            }"""
        )
        with page.expect_navigation():
            page.mouse.click(point[0], point[1])
        page.wait_for_selector("body[data-ready='1']")
        query = parse_qs(urlparse(page.url).query)
        assert (query["from"], query["to"]) == (["2026-03-01"], ["2026-03-31"])
        assert float(watch.card("revenue")[1]) == REVENUE_MARCH
        assert watch.errors == []
        watch.close()


def test_records_dialog_language_switch_and_wall(db: Db, browser: Browser) -> None:
    seed(db.engine)
    with live_server(db.engine) as base:
        watch = Watch(browser, locale="en-US").sign_in(base, db.engine)
        page = watch.open(f"{base}/customers?asof={ASOF}")
        assert page.locator('[data-nav="overview"]').inner_text() == "Overview"
        page.click('[data-panel="tiers"] [data-action="records"]')
        page.wait_for_selector("dialog#records table.data tbody tr")
        assert page.locator("dialog#records tbody tr").count() == 4
        assert page.locator("dialog#records .count").inner_text() == "4 records"
        page.click("dialog#records .close")
        page.click("text=中文")
        page.wait_for_selector("body[data-ready='1']")
        assert page.locator('[data-nav="overview"]').inner_text() == "总览"
        assert page.locator('[data-panel="tiers"] h2').inner_text() == "客户价值分层（ABC）"
        # The choice is remembered: a page without ?lang stays in Chinese.
        page = watch.open(f"{base}/team?asof={ASOF}")
        assert page.locator("h1").inner_text() == "团队绩效"
        # The wall refreshes from the JSON API without reloading the page.
        page = watch.open(f"{base}/wall?asof={ASOF}&rotate=0&refresh=0")
        page.evaluate("() => { window.__same = true; }")
        page.evaluate(
            "() => window.SalesOpsBoard.refresh(["
            "{page: 'overview', panels: ['revenue_trend'], cards: ['revenue']}])"
        )
        page.wait_for_function("() => document.querySelector('.updated').textContent.length > 0")
        assert page.evaluate("() => window.__same") is True
        assert float(watch.card("revenue")[1]) == REVENUE_YTD
        assert watch.errors == []
        watch.close()
