"""The market & channels and customer voice pages in headless Chromium (issue #25): every chart
drawn, the China map's provinces, a drill-down that changes the numbers, the feedback loop
assigned and resolved from the board, both languages; screenshots on desktop, phone and wall
when SALESOPS_SHOTS names a folder.

The data is the small hand-made company of the board tests, plus what a new user would add
through the documented mappings: a survey export with Chinese free text, a spend sheet and
target accounts (docs/samples), and a market size per region and product line."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from salesops.db.derived import bump_data_version
from salesops.db.schema import Feedback, MarketSize, Region
from salesops.ingest import import_file
from tests.browser import chromium, live_server
from tests.conftest import Db
from tests.web.data import ASOF, seed
from tests.web.test_board_browser import Watch, _charts_rendered, _click_bar

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[2] / "docs"
Q = f"asof={ASOF}"
#: Both pages over a period that holds every kind of row (the survey answers are of November).
YEAR = "period=custom&from=2026-01-01&to=2026-11-30"
SHOTS = os.environ.get("SALESOPS_SHOTS")


@pytest.fixture(autouse=True)
def _no_warmup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESOPS_BOARD_WARMUP", "0")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def _company(db: Db) -> None:
    seed(db.engine)
    maps, samples = DOCS / "mappings", DOCS / "samples"
    for entity, sample, mapping in (
        ("feedback", "survey-wjx.csv", "survey-wjx-feedback.yaml"),
        ("marketing_spend", "marketing-spend.csv", "marketing-spend.yaml"),
        ("market_size", "market-target-accounts.csv", "market-target-accounts.yaml"),
    ):
        report = import_file(db.engine, entity, samples / sample, maps / mapping)
        assert report.status == "ok", [str(e) for e in report.errors]
    with db.engine.begin() as conn:
        regions = dict(conn.execute(select(Region.name, Region.id)).all())
        for year in (2025, 2026):
            for region, size in (("华东", 4_000_000), ("华南", 6_000_000)):
                for line in ("软件", "服务"):
                    conn.execute(
                        MarketSize.__table__.insert().values(
                            external_id=f"MS-{year}-{region}-{line}", region_id=regions[region],
                            product_line=line, period_start=dt.date(year, 1, 1),
                            period_grain="year", amount=Decimal(size),
                        )
                    )  # fmt: skip
        bump_data_version(conn)


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(800)  # entry animations
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _all_drawn(page: Page) -> int:
    """Every chart panel has data and is drawn; the number of them."""
    empty = page.evaluate(
        """() => [...document.querySelectorAll('.panel[data-kind="chart"]')]
            .filter((p) => p.querySelector('.chart').style.display === 'none')
            .map((p) => p.dataset.panel)"""
    )
    assert empty == []
    shown, drawn = _charts_rendered(page)
    assert shown == drawn, f"{drawn} of {shown} charts drawn"
    return shown


def test_both_pages_in_both_languages(db: Db, browser: Browser) -> None:
    _company(db)
    with live_server(db.engine) as base:
        for locale, lang in (("zh-CN", "zh"), ("en-US", "en")):
            w = Watch(browser, locale=locale).sign_in(base, db.engine)
            page = w.open(f"{base}/market?{YEAR}&lang={lang}")
            assert _all_drawn(page) == 9
            # the map: ECharts knows the provinces and the series coloured some of them
            provinces = page.evaluate(
                """() => {
                    const box = document.querySelector('[data-panel="china_map"] .chart');
                    const chart = echarts.getInstanceByDom(box);
                    const geo = chart.getModel().getSeriesByIndex(0).coordinateSystem;
                    const section = document.querySelector('[data-panel="china_map"]');
                    const named = section.__panel.option.series[0].data.map((d) => d.name);
                    return [geo.regions.length, named.length, !!echarts.getMap('china')];
                }"""
            )
            assert provinces[0] >= 34 and provinces[2]
            assert provinces[1] == 12  # 华东's seven provinces and 华南's five
            # penetration from the imported target accounts: C1 of 40 (华东, 制造)
            penetration = page.locator('[data-panel="penetration"] .chart')
            assert penetration.is_visible()
            _shot(page, f"market-desktop-{lang}")
            page = w.open(f"{base}/voice?{YEAR}&lang={lang}")
            page.wait_for_selector('[data-panel="topics"]:not(.loading)', timeout=60_000)
            assert _all_drawn(page) == 9
            title = page.locator('[data-panel="topics"] h2').inner_text()
            assert title == (
                "客户原话中的话题" if lang == "zh" else "Topics in the customers' words"
            )
            _shot(page, f"voice-desktop-{lang}")
            assert w.errors == []
            w.close()


def test_a_drill_down_changes_the_numbers(db: Db, browser: Browser) -> None:
    _company(db)
    with live_server(db.engine) as base:
        w = Watch(browser).sign_in(base, db.engine)
        page = w.open(f"{base}/market?{Q}&lang=zh")
        before = w.card("market_share")
        _click_bar(page, "share_by_region", "华东")
        page.wait_for_url("**region=%E5%8D%8E%E4%B8%9C**")
        page.wait_for_selector("body[data-ready='1']")
        after = w.card("market_share")
        assert after != before
        # 2026 to 15 June, 华东: revenue 290,000 over 软件 + 服务 4,000,000 each
        assert after[1] == str(290_000 / 8_000_000)
        assert w.errors == []
        w.close()


def test_assign_and_resolve_from_the_board(db: Db, browser: Browser) -> None:
    _company(db)
    with db.engine.connect() as conn:
        item = conn.execute(
            select(Feedback.id).where(Feedback.external_id == "2026Q4-2")
        ).scalar_one()
    with live_server(db.engine) as base:
        w = Watch(browser).sign_in(base, db.engine)
        page = w.open(f"{base}/voice?period=custom&from=2026-11-01&to=2026-11-30&lang=zh")
        row = page.locator(f'[data-panel="open_items"] tr[data-sel="{item}"]')
        row.click()
        dialog = page.locator("dialog#loop")
        dialog.locator('dd[data-f="status"]').filter(has_text="新建").wait_for()
        assert dialog.locator(".verbatim").inner_text() == "设备掉线频繁，交付周期太长。"
        form = dialog.locator('form[data-step="assign"]')
        form.locator("select[name=kind]").select_option("department")
        form.locator("input[name=name]").fill("产品开发")
        form.locator("button").click()
        dialog.locator('dd[data-f="assignee"]').filter(has_text="产品开发").wait_for()
        assert not dialog.locator('form[data-step="inform"]').is_visible()
        resolve = dialog.locator('form[data-step="resolve"]')
        resolve.locator("input[name=note]").fill("固件已升级")
        resolve.locator("button").click()
        dialog.locator('dd[data-f="status"]').filter(has_text="已解决").wait_for()
        assert dialog.locator("ol.history li").count() == 2
        assert "固件已升级" in dialog.locator("ol.history").inner_text()
        _shot(page, "voice-loop-dialog-zh")
        # Closing after a change reloads the page: wait for that navigation, not for the old
        # page's load state (which has already fired, and raced the reload once in CI).
        with page.expect_navigation():
            dialog.locator("button.close").click()
        page.wait_for_selector("body[data-ready='1']")
        with db.engine.connect() as conn:
            status, department = conn.execute(
                select(Feedback.status, Feedback.assignee_department).where(Feedback.id == item)
            ).one()
        assert (status, department) == ("resolved", "产品开发")
        # the item has left the open list
        assert page.locator(f'[data-panel="open_items"] tr[data-sel="{item}"]').count() == 0
        assert w.errors == []
        w.close()


def test_phone_and_wall(db: Db, browser: Browser) -> None:
    _company(db)
    with live_server(db.engine) as base:
        for page_id in ("market", "voice"):
            w = Watch(browser, width=390).sign_in(base, db.engine)
            page = w.open(f"{base}/{page_id}?{YEAR}&lang=zh")
            assert _all_drawn(page) >= 9
            # nothing wider than the phone
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 400
            _shot(page, f"{page_id}-phone-zh")
            w.close()
        w = Watch(browser, width=1920).sign_in(base, db.engine)
        w.page.set_viewport_size({"width": 1920, "height": 1080})
        page = w.open(f"{base}/wall?{YEAR}&rotate=4&refresh=0&slides=market,voice&lang=zh")
        slides = page.evaluate(
            "() => [...document.querySelectorAll('.slide')].map((s) => s.dataset.slide)"
        )
        assert slides[-2:] == ["market", "voice"]
        for page_id in ("market", "voice"):
            # the wall rotates every 4 s: wait for the slide, then for its charts
            page.wait_for_selector(f'.slide.on[data-slide="{page_id}"]', timeout=60_000)
            page.wait_for_timeout(1000)
            drawn = page.evaluate(
                """(id) => [...document.querySelectorAll(`.slide[data-slide="${id}"] .chart`)]
                    .filter((b) => b.style.display !== 'none')
                    .map((b) => !!echarts.getInstanceByDom(b))""",
                page_id,
            )
            assert drawn and all(drawn), (page_id, drawn)
            if SHOTS:
                page.screenshot(path=str(Path(SHOTS) / f"{page_id}-wall-zh.png"))
        assert w.errors == []
        w.close()
