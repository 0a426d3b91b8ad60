"""The forecast page in headless Chromium: landing, category bar, series chart with its dashed
line and band, calls; a rep submits a call through the form; both languages; no console errors.
Screenshots go to ``SALESOPS_SHOTS`` when it is set (for a person to look at)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine, select

from salesops.db.schema import ForecastCall
from salesops.forecast import service
from tests.auth_helpers import link_path
from tests.browser import chromium, live_server
from tests.conftest import Db
from tests.web.data import ASOF, seed

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SALESOPS_SHOTS")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def _open(
    browser: Browser, base: str, engine: Engine, locale: str, **user: str
) -> tuple[Page, list[str]]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale=locale)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + link_path(engine, **user))
    return page, errors


def _forecast(page: Page, base: str, lang: str) -> None:
    page.goto(f"{base}/forecast?period=2026-Q2&asof={ASOF}&lang={lang}")
    # The first view may be computing: the page reloads itself until the numbers are there.
    page.wait_for_selector("#landing-expected", timeout=120_000)
    page.wait_for_selector("svg.series polyline.forecast", state="attached", timeout=120_000)


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def test_forecast_page_in_both_languages(browser: Browser, db: Db) -> None:
    service.forget()
    seed(db.engine)
    with live_server(db.engine) as base:
        for locale, lang, title in (("zh-CN", "zh", "预测"), ("en-US", "en", "Forecast")):
            page, errors = _open(browser, base, db.engine, locale)
            _forecast(page, base, lang)
            assert page.locator("h1").inner_text().strip() == title
            assert page.locator("svg.catbar rect").count() >= 1
            dash = page.locator("svg.series polyline.forecast").evaluate(
                "el => getComputedStyle(el).strokeDasharray"
            )
            assert dash not in ("", "none")
            assert page.locator("svg.series polygon.band").count() == 1
            assert page.locator("#baselines").inner_text().count("·") == 2
            _shot(page, f"forecast-{lang}.png")
            assert errors == []
            page.context.close()


def test_a_rep_submits_a_call_through_the_page(browser: Browser, db: Db) -> None:
    service.forget()
    seed(db.engine)
    with live_server(db.engine) as base:
        page, errors = _open(
            browser, base, db.engine, "zh-CN", login="zw-b", role="rep", rep="张伟"
        )
        _forecast(page, base, "zh")
        assert page.locator("#adjust-call").count() == 0  # a rep does not adjust
        form = page.locator("#submit-call")
        form.locator("input[name=commit]").fill("90000")
        form.locator("input[name=best_case]").fill("120000")
        form.locator("button[type=submit]").click()
        page.wait_for_selector("#forecast-message", timeout=60_000)
        assert "¥9万" in page.locator("#calls-table").inner_text()  # 90 000 in 万
        _shot(page, "forecast-rep-call.png")
        assert errors == []
    with db.engine.connect() as conn:
        (commit,) = conn.execute(select(ForecastCall.commit_amount)).one()
    assert float(commit) == 90000
