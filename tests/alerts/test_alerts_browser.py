"""The alerts page and the bell in headless Chromium, in Chinese and English: explanations
shown, acknowledge lowers the bell's count, a rep sees only their own deals, the rule editor's
preview counts firings. Screenshots go to /work/notes/shots/alerts/ when that folder exists."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from salesops.alerts import service
from salesops.alerts.rules import parse_rule
from salesops.alerts.store import save_rules
from salesops.auth.audit import Actor
from salesops.metrics.engine import MetricsEngine
from tests.alerts.test_delivery import NOW, RULE
from tests.alerts.test_rules import TODAY, _sales
from tests.analysis.data import build
from tests.auth_helpers import link_path
from tests.browser import chromium, live_server
from tests.conftest import Db

pytestmark = pytest.mark.browser
SHOTS = Path("/work/notes/shots/alerts")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def _seed(db: Db) -> None:
    ids = _sales(db)
    with build(db.engine) as b:
        b.ids.update(ids)
        b.customer("Big Co")
        b.opportunity(
            "大单 R1",
            customer="Big Co",
            owner="R1",
            status="won",
            amount=800000,
            closed="2025-12-08",
        )
        b.opportunity(
            "大单 R2",
            customer="Big Co",
            owner="R2",
            status="lost",
            amount=900000,
            closed="2025-12-09",
        )
    big = {
        "name": "大单赢输 Big deals",
        "kind": "big_deal",
        "amount": 500000,
        "days": 7,
        "group": "rep",
        "severity": "info",
    }
    save_rules(db.engine, [parse_rule(RULE), parse_rule(big)], Actor("test"))
    report = service.run(
        db.engine, now=NOW, force=True, deliver=False, metrics=MetricsEngine(db.engine, today=TODAY)
    )
    assert sum(report.fired.values()) == 3  # East revenue; R1's deal; R2's deal


def _page(browser: Browser, base: str, db: Db, locale: str, **user: str) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + link_path(db.engine, **user, then="/api/v1/health"))
    page.goto(base + "/alerts")
    page.wait_for_selector("#alerts")
    assert errors == []
    return page


def _shot(page: Page, name: str) -> None:
    if SHOTS.parent.is_dir():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / name), full_page=True)


def test_alerts_page_and_bell_in_both_languages(db: Db, browser: Browser) -> None:
    _seed(db)
    with live_server(db.engine) as base:
        zh = _page(browser, base, db, "zh-CN")
        assert zh.locator("#bell .count").inner_text() == "3"
        cards = zh.locator(".alert-card")
        assert cards.count() == 3
        text = zh.locator("#alerts").inner_text()
        assert "区域 East：销售额为 1,000.00，阈值 < 2,000.00" in text
        assert "主要贡献" in text and "R2: 400" in text and "在看板中查看" in text
        assert "大单 R1" in text and "大单 R2" in text
        _shot(zh, f"alerts-zh-{db.kind}.png")
        # acknowledge the revenue alert: the bell drops to 2, it moves to "acknowledged"
        card = zh.locator(".alert-card", has_text="东区回款")
        card.locator("button.ack").click()
        zh.wait_for_selector("#alerts")
        assert zh.locator("#bell .count").inner_text() == "2"
        zh.goto(base + "/alerts?state=acknowledged")
        assert zh.locator(".alert-card").count() == 1
        assert "已由 test-admin 确认" in zh.locator("#alerts").inner_text()

        en = _page(browser, base, db, "en-US")
        en.goto(base + "/alerts?lang=en&state=all")
        text = en.locator("#alerts").inner_text()
        assert "Acknowledged by test-admin" in text and "Top contributors" in text
        assert "Revenue is 1,000.00, threshold < 2,000.00" in text
        assert en.locator("h1").inner_text() == "Alerts"
        _shot(en, f"alerts-en-{db.kind}.png")


def test_a_rep_sees_only_their_own_deals(db: Db, browser: Browser) -> None:
    _seed(db)
    with live_server(db.engine) as base:
        page = _page(browser, base, db, "zh-CN", login="rep-r1", role="rep", rep="R1")
        assert page.locator("#bell .count").inner_text() == "1"
        text = page.locator("#alerts").inner_text()
        assert "大单 R1" in text and "大单 R2" not in text and "East" not in text


def test_rule_editor_preview(db: Db, browser: Browser) -> None:
    _seed(db)
    with live_server(db.engine) as base:
        page = _page(browser, base, db, "en-US")
        page.goto(base + "/alerts/rules?lang=en")
        assert "Revenue by region where" not in page.inner_text("#rules")
        page.fill(
            "textarea[name=yaml_text]",
            "- {name: p, kind: big_deal, amount: 500000, days: 7, group: none}\n",
        )
        page.click("#rule-form button[type=submit]:not(.primary)")
        page.wait_for_selector("#preview")
        # as of each day of the last 90 (today's real date): the 2025 deals are long gone
        assert "would have fired 0 times in the last 90 days" in page.inner_text("#preview")
        _shot(page, f"rule-editor-en-{db.kind}.png")


def test_a_rule_is_created_through_the_form(db: Db, browser: Browser) -> None:
    _seed(db)
    with live_server(db.engine) as base:
        page = _page(browser, base, db, "zh-CN")
        page.goto(base + "/alerts/rules")
        page.click("#new-rule")
        page.wait_for_selector("#rule-form-fields")
        assert page.locator("h1").inner_text() == "预警规则"
        page.fill("input[name=name]", "华东回款率 East collection")
        page.select_option("select[name=metric]", "collection_rate")
        page.select_option("select[name=by]", ["region"])
        page.fill("textarea[name=where]", "region: East")
        page.select_option("select[name=period]", "last_month")
        page.fill("input[name=value]", "八成")  # not a number: refused beside the field
        page.click("#save-rule")
        page.wait_for_selector(".field-error[data-field=value]")
        assert "规则未保存" in page.inner_text("#form-errors")
        _shot(page, f"rule-form-error-zh-{db.kind}.png")
        assert page.input_value("input[name=name]") == "华东回款率 East collection"
        page.fill("input[name=value]", "0.85")
        page.click("#save-rule")
        page.wait_for_selector("#rules")
        assert "华东回款率 East collection" in page.inner_text("#rules")
        _shot(page, f"rule-form-saved-zh-{db.kind}.png")
    from salesops.alerts.store import get_rule

    spec = get_rule(db.engine, "华东回款率 East collection").spec
    assert (spec.metric, spec.by, spec.where, spec.value) == (
        "collection_rate",
        ["region"],
        {"region": ["East"]},
        0.85,
    )
