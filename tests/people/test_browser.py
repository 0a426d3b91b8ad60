"""People pages in headless Chromium, zh and en: the scorecard on the team and rep pages, a
commission statement (with what-if), a target proposal accepted with an adjustment, and a
喜报 on the wall. Screenshots go to ``SALESOPS_SHOTS`` (default: a temporary folder)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from salesops.config import get_settings
from salesops.people import coaching
from salesops.people import scorecards as sc
from salesops.people import statements as st
from salesops.people.plans import parse_rules
from salesops.targets.calendar import Period
from salesops.targets.service import list_targets
from tests.auth_helpers import link_path
from tests.browser import chromium, live_server
from tests.conftest import Db
from tests.people.test_scorecards import CARD
from tests.people.world import build

pytestmark = pytest.mark.browser

Q1 = Period(dt.date(2024, 1, 1), "quarter")
ASOF = "2024-03-10"
TIERS = [{"upto": 1.0, "rate": 0.03}, {"upto": 1.2, "rate": 0.05}, {"rate": 0.08}]


@pytest.fixture(autouse=True)
def _settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SALESOPS_BOARD_WARMUP", "0")
    monkeypatch.setenv("SALESOPS_RECOGNITION_DEAL_THRESHOLD", "5000")
    monkeypatch.setenv("SALESOPS_RECOGNITION_DAYS", "30")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def shot(page: Page, name: str, db: Db) -> None:
    folder = Path(os.environ.get("SALESOPS_SHOTS", "/tmp/salesops-shots-people"))
    folder.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(folder / f"{name}-{db.kind}.png"), full_page=True)


class Session:
    def __init__(self, browser: Browser, base: str, db: Db, locale: str, **user: str) -> None:
        self.context = browser.new_context(viewport={"width": 1440, "height": 900}, locale=locale)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.base = base
        self.page.goto(base + link_path(db.engine, **user, then="/api/v1/health"))

    def open(self, path: str, ready: bool = True) -> Page:
        self.page.goto(self.base + path)
        if ready:
            self.page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        return self.page


def _world(db: Db) -> dict[str, int]:
    ids = build(db.engine)
    st.save_plan(db.engine, parse_rules({"code": "ae", "name": "AE plan", "tiers": TIERS,
                 "spiffs": [{"product_line": "Cloud", "rate": 0.02}]}), "t")  # fmt: skip
    sc.save_scorecard(db.engine, sc.parse_scorecard(CARD), "t")
    sc.rate(db.engine, "rep-q", "attitude", ids["rep:Ann"], Q1, Decimal(90), "steady", "mgr")
    coaching.add_entry(db.engine, ids["rep:Ann"], "one_to_one", dt.date(2024, 2, 1),
                       "Pipeline review", "mgr")  # fmt: skip
    return ids


def test_people_pages(browser: Browser, db: Db) -> None:
    _world(db)
    with live_server(db.engine) as base:
        mgr = Session(browser, base, db, "en-GB", login="mgr", role="manager", org_unit="east")
        # the scorecard on the team page: Ann 103 (see test_scorecards), Bob no KPI, no rating
        page = mgr.open(f"/team?period=quarter&asof={ASOF}&lang=en")
        card = page.locator('[data-panel="scorecard"]')
        card.scroll_into_view_if_needed()
        assert "Ann" in card.inner_text() and "103" in card.inner_text()
        assert "Cat" not in card.inner_text()  # West is outside the manager's scope
        shot(page, "team-scorecard-en", db)
        page = mgr.open(f"/team/rep?rep=Ann&period=quarter&asof={ASOF}&lang=en")
        mine = page.locator('[data-panel="rep_scorecard"]').inner_text()
        assert "103" in mine and "steady" in mine
        assert "Pipeline review" in page.locator('[data-panel="rep_coaching"]').inner_text()
        shot(page, "rep-scorecard-en", db)
        # the same in Chinese: the KPI's value is 实际 (not 价值观, the culture kind "value")
        page = mgr.open(f"/team?period=quarter&asof={ASOF}&lang=zh")
        card = page.locator('[data-panel="scorecard"]').inner_text()
        assert "Ann" in card and "103" in card
        shot(page, "team-scorecard-zh", db)
        page = mgr.open(f"/team/rep?rep=Ann&period=quarter&asof={ASOF}&lang=zh")
        mine = page.locator('[data-panel="rep_scorecard"]').inner_text()
        assert "103" in mine and "实际" in mine and "价值观" not in mine
        shot(page, "rep-scorecard-zh", db)

        ann = Session(browser, base, db, "zh-CN", login="ann", role="rep", rep="ann")
        page = ann.open("/people?period=2024-Q1&lang=zh", ready=False)
        # S1 4000 x 3 % + S2 3000 x 3 % + S3 3000 x 3 % + 2000 x 5 % + S5 2000 x 8 % = 560,
        # SPIFF on Cloud: S2 3000 x 2 % = 60
        assert "620" in page.locator("#statement-total").inner_text()
        assert page.locator("#statement-lines tbody tr").count() == 6
        shot(page, "statement-zh", db)
        page = ann.open("/people?period=2024-Q1&lang=en", ready=False)
        assert "620" in page.locator("#statement-total").inner_text()
        shot(page, "statement-en", db)
        page.locator("#what-if-form input[type=checkbox]").nth(0).check()
        page.locator("#what-if-form button").click()
        page.wait_for_selector("#what-if-result")
        # D2 (Cloud, 6000, the larger open deal) above 120 %: 480 + SPIFF 120
        assert "600" in page.locator("#what-if-result").inner_text()
        shot(page, "statement-what-if-zh", db)

        # Ann proposes next quarter's target; her manager adjusts it with a comment
        page = ann.open("/people?lang=zh", ready=False)
        form = page.locator("#proposal-form")
        form.locator("input[name=value]").fill("12000")
        form.locator("input[name=comment]").fill("两个续约")
        form.locator("button").click()
        page.wait_for_selector("#people-message")
        page = mgr.open("/people?lang=en", ready=False)
        row = page.locator("#proposal-list tbody tr", has_text="Ann")
        row.locator("input[name=value]").fill("13000")
        row.locator("input[name=comment]").fill("the pipeline supports more")
        row.locator("button[value=adjust]").click()
        page.wait_for_selector("#people-message")
        row = page.locator("#proposal-list tbody tr", has_text="Ann")
        assert "Adjusted" in row.inner_text() and "13,000" in row.inner_text()
        shot(page, "proposal-adjusted-en", db)
        set_ = [t for t in list_targets(db.engine, metric="revenue") if t.value == Decimal(13000)]
        assert len(set_) == 1 and set_[0].scope.kind == "rep"
        # the target tree says who proposed what
        page = mgr.open(f"/targets?metric=revenue&target_period={set_[0].period.label()}&lang=en",
                        ready=False)  # fmt: skip
        assert "Proposed by ann: ¥12K; Adjusted by mgr" in page.locator("#target-tree").inner_text()
        shot(page, "target-tree-proposal-en", db)

        # 喜报 on the wall, zh and en; the manager's scope includes Ann
        for lang, label in (("zh", "喜报"), ("en", "Good news")):
            page = mgr.open(f"/wall?asof={ASOF}&lang={lang}&rotate=0", ready=False)
            ticker = page.locator(".banner .ticker")
            ticker.wait_for()
            text = ticker.inner_text()
            assert label in text and "Ann" in text, text
            shot(page, f"wall-good-news-{lang}", db)
        west = Session(browser, base, db, "en-GB", login="west", role="manager", org_unit="west")
        page = west.open(f"/?asof={ASOF}&lang=en")
        news = page.locator("#announcements li").all_inner_texts()
        assert any("A colleague" in n for n in news)
        assert not any("Ann" in n or "Acme" in n for n in news)
        shot(page, "overview-good-news-masked-en", db)
        assert mgr.errors == [] and ann.errors == [] and west.errors == []
