"""Issue #28 in headless Chromium: the customers page shows the customer base by engagement
band (customers, active customers, revenue, churn warnings per band) and the lifecycle with
engagement; a click on a band filters the whole board by it and the numbers change; zh and en;
screenshots saved for people to look at.

The data is the hand-made set of ``test_engagement_band`` moved so that its as-of day
(2026-06-30) is today, plus 星辰 (Hotel), a regular buyer silent for 70 days (a churn
warning): orders 90, 80 and 70 days ago (5 × (0.5 + 0.5400 + 0.5832) = 8.116) and a visit 75
days ago (3 × 0.5612 = 1.684): raw 9.80, score 38.7, medium.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from salesops.config import local_today
from tests.analysis.data import Builder
from tests.auth_helpers import link_path
from tests.browser import chromium, live_server
from tests.conftest import Db
from tests.customers.test_engagement_band import seed

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("SALESOPS_SHOTS_DIR", "/tmp/salesops-shots/engagement"))


@pytest.fixture(autouse=True)
def _no_warmup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESOPS_BOARD_WARMUP", "0")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def _page(browser: Browser, base: str, db: Db, locale: str) -> Page:
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale=locale)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    page.goto(
        base + link_path(db.engine, "t-manager", "manager", org_unit="T", then="/api/v1/health")
    )
    return page


def _bands(page: Page) -> dict[str, list[str]]:
    """The band table: band name -> its cells."""
    rows = page.locator('[data-panel="engagement_bands"] tbody tr')
    rows.first.wait_for(timeout=60_000)
    out = {}
    for i in range(rows.count()):
        cells = [c.strip() for c in rows.nth(i).locator("td").all_inner_texts()]
        out[cells[0]] = cells[1:]
    return out


def _active_card(page: Page) -> float:
    card = page.locator('.kpi[data-metric="active_customers"] .kpi-value')
    return float(card.get_attribute("data-value") or "nan")


def test_customers_page_by_engagement_band(db: Db, browser: Browser) -> None:
    today = local_today()
    shift = today - dt.date(2026, 6, 30)

    def hotel(b: Builder) -> None:
        b.customer("星辰", owner="Bob")
        for no, days in (("H1", 90), ("H2", 80), ("H3", 70)):
            b.order(no, (today - dt.timedelta(days=days)).isoformat(), "星辰", 1000, rep="Bob")
        b.activity("星辰", (today - dt.timedelta(days=75)).isoformat(), kind="visit", rep="Bob")

    ids = seed(db, shift, hotel)
    start = (dt.date(2025, 1, 1) + shift).isoformat()
    period = f"period=custom&from={start}&to={today.isoformat()}"
    with live_server(db.engine) as base:
        page = _page(browser, base, db, "zh-CN")
        page.goto(f"{base}/customers?{period}&lang=zh")
        got = _bands(page)
        # customers, active customers, revenue, share, churn warnings
        assert {k: (v[0], v[1], v[4]) for k, v in got.items()} == {
            "高": ("1", "1", "0"),  # Alpha
            "中": ("2", "2", "1"),  # Beta, 星辰 (warned)
            "低": ("2", "2", "0"),  # Gamma, Echo
            "无互动": ("2", "1", "0"),  # Delta (bought, 394 days ago), Foxtrot
        }
        assert "1,090" in got["高"][2] and "3,400" in got["中"][2]
        assert _active_card(page) == 6
        # the lifecycle chart and the cooling list (Gamma: new, low, fell from 28.1)
        cooling = page.locator('[data-panel="cooling"] tbody tr', has_text="Gamma")
        cooling.wait_for(timeout=60_000)
        assert "15.2" in cooling.inner_text() and "28.1" in cooling.inner_text()
        assert "互动下降 1" in page.locator('[data-panel="lifecycle"] .sub').inner_text()
        page.wait_for_timeout(300)  # charts finish their entry animation
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"customers-bands-zh-{db.kind}.png"), full_page=True)

        # A click on 中 filters the board by the band: a chip, and every number follows.
        page.locator('[data-panel="engagement_bands"] tbody tr', has_text="中").click()
        page.wait_for_url("**engagement_band=medium**", timeout=30_000)
        assert "活跃度分档: 中" in page.locator('.chip[data-chip="engagement_band"]').inner_text()
        got = _bands(page)
        assert {k: (v[0], v[1]) for k, v in got.items()} == {
            "高": ("0", "0"),
            "中": ("2", "2"),
            "低": ("0", "0"),
            "无互动": ("0", "0"),
        }
        assert _active_card(page) == 2
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / f"customers-medium-zh-{db.kind}.png"), full_page=True)

        # The cooling customer's own page says so, with the same score and band.
        page.goto(f"{base}/customers/{ids['customer:Gamma']}?{period}&lang=zh")
        assert page.locator("#engagement").inner_text() == "15.2 · 低"
        assert "新客户 · 互动下降" in page.locator("#lifecycle").inner_text()
        page.screenshot(path=str(SHOTS / f"customer-cooling-zh-{db.kind}.png"))
        assert page.errors == []  # type: ignore[attr-defined]
        page.context.close()

        page = _page(browser, base, db, "en-US")
        page.goto(f"{base}/customers?{period}&lang=en")
        got = _bands(page)
        assert list(got) == ["High", "Medium", "Low", "No interaction"]
        assert (got["Low"][0], got["No interaction"][0]) == ("2", "2")
        heading = page.locator('[data-panel="engagement_bands"] h2').inner_text()
        assert heading == "Customer base by engagement band"
        page.locator('[data-panel="engagement_bands"] tbody tr', has_text="High").click()
        page.wait_for_url("**engagement_band=high**", timeout=30_000)
        assert "Engagement band: High" in page.locator(".chip").inner_text()
        assert _active_card(page) == 1
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / f"customers-high-en-{db.kind}.png"), full_page=True)
        assert page.errors == []  # type: ignore[attr-defined]
        page.context.close()
