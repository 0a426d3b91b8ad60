"""The stored forecast on the overview's and the orders page's revenue trends, in headless
Chromium: a dashed line at the stored values and its 80 % band (a range stacked on its low
edge), the axis extended to the forecast's months; none when the filters name a series that
has no stored forecast (DuckDB and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from salesops.forecast import service
from salesops.metrics.scope import FULL_SCOPE
from tests.auth_helpers import link_path
from tests.browser import chromium, live_server
from tests.conftest import Db
from tests.web.data import ASOF, seed

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _no_warmup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESOPS_BOARD_WARMUP", "0")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def _series(page: Page, panel: str) -> dict[str, Any]:
    return page.evaluate(
        """(panel) => {
            const box = document.querySelector(`[data-panel="${panel}"] .chart`);
            const opt = echarts.getInstanceByDom(box).getOption();
            const byId = Object.fromEntries(opt.series.map((s) => [s.id, s]));
            const f = byId.stored_forecast, lo = byId.stored_forecast_low,
                  band = byId.stored_forecast_band;
            return {
                labels: opt.xAxis[0].data,
                forecast: f ? f.data : null,
                dashed: f ? f.lineStyle.type : null,
                low: lo ? lo.data : null,
                width: band ? band.data : null,
                area: band ? !!band.areaStyle : false,
                stacked: band && lo ? band.stack === lo.stack : false,
            };
        }""",
        panel,
    )


def test_stored_forecast_on_the_revenue_trends(browser: Browser, db: Db) -> None:
    service.forget()
    seed(db.engine)
    view = service.compute_series(
        db.engine, FULL_SCOPE, "revenue", dt.date.fromisoformat(ASOF), method="seasonal_naive"
    )
    assert view.forecast_periods == ["2026-06", "2026-07", "2026-08"]
    stored = dict(zip(view.forecast_periods, view.mean, strict=True))
    lows = dict(zip(view.forecast_periods, view.low, strict=True))
    highs = dict(zip(view.forecast_periods, view.high, strict=True))
    with live_server(db.engine) as base:
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + link_path(db.engine, then="/api/v1/health"))
        for path, panel in (("/", "revenue_trend"), ("/orders", "orders_trend")):
            page.goto(f"{base}{path}?asof={ASOF}&lang=zh&grain=month")
            page.wait_for_selector("body[data-ready='1']", timeout=60_000)
            got = _series(page, panel)
            assert got["forecast"] is not None, (path, got)
            assert got["dashed"] == "dashed" and got["area"] and got["stacked"]
            for label in ("2026-07", "2026-08"):
                i = got["labels"].index(label)  # the axis reaches the forecast's months
                assert got["forecast"][i] == pytest.approx(stored[label])
                assert got["low"][i] == pytest.approx(lows[label])
                assert got["low"][i] + got["width"][i] == pytest.approx(highs[label])
            assert "80%" in page.locator(f'[data-panel="{panel}"]').inner_text()
        # a region without a stored forecast of its own: no forecast drawn
        page.goto(f"{base}/orders?asof={ASOF}&lang=zh&grain=month&region=华东")
        page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        assert _series(page, "orders_trend")["forecast"] is None
        context.close()
    assert errors == []
