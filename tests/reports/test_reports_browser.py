"""The reports page in headless Chromium, Chinese and English: generate the monthly review,
see it in its frame, download the XLSX, add an action item and close it; the next review
lists it. Screenshots go to /work/notes/shots/reviews/ when that folder exists."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from salesops.demo import generate_demo
from salesops.reports.assemble import build_report
from tests.auth_helpers import link_path
from tests.browser import chromium, live_server
from tests.conftest import Db
from tests.demo.helpers import TINY

pytestmark = pytest.mark.browser
SHOTS = Path("/work/notes/shots/reviews")


@pytest.mark.parametrize("db", ["duckdb"], indirect=True)
def test_reports_page(db: Db) -> None:
    generate_demo(db.engine, TINY)
    with db.engine.connect() as conn:
        rep = conn.exec_driver_sql("SELECT name FROM rep ORDER BY id LIMIT 1").scalar_one()
    with live_server(db.engine) as base, chromium() as browser:
        page = browser.new_context(locale="zh-CN").new_page()
        page.goto(base + link_path(db.engine, then="/api/v1/health"))
        page.goto(base + "/reports?lang=zh_CN")
        assert page.locator("a[data-nav=reports]").count() == 1
        page.select_option("select[name=kind]", "monthly")
        page.fill("input[name=period]", "2026-10")
        page.click("#generate")
        frame = page.frame_locator("#report-frame")
        frame.locator("text=销售月报").first.wait_for()
        frame.locator("#s-revenue_bridge canvas").first.wait_for()  # the waterfall chart
        if SHOTS.is_dir():
            page.screenshot(path=str(SHOTS / "reports-zh.png"), full_page=True)
        with page.expect_download() as dl:
            page.click("#downloads a:text('XLSX')")
        assert dl.value.suggested_filename.endswith(".xlsx")
        page.fill("#action-form input[name=title]", "跟进华东大客户 <b>x</b>")
        page.fill("#action-form input[name=owner]", rep)
        page.fill("#action-form input[name=due_on]", "2026-11-15")
        page.click("#action-form button")
        page.locator("text=已添加行动项").wait_for()
        row = page.locator("#action-items tr.task").first
        assert "跟进华东大客户 <b>x</b>" in row.inner_text()  # escaped, shown as text
        assert "monthly:2026-10:全公司" in row.inner_text()
        en = browser.new_context(locale="en-US").new_page()
        en.goto(base + link_path(db.engine, then="/api/v1/health"))
        en.goto(base + "/reports?lang=en&kind=weekly&report_lang=en")
        en.frame_locator("#report-frame").locator("text=Weekly sales report").first.wait_for()
        en.fill("#action-items input[name=result]", "called them")
        en.click("#action-items button")
        en.locator("#action-items td:text('called them')").wait_for()
        if SHOTS.is_dir():
            en.screenshot(path=str(SHOTS / "reports-en.png"), full_page=True)
    # the next review lists the item as done (it was due in November)
    nov = build_report(db.engine, "monthly", "2026-11", None, "en", today=dt.date(2026, 12, 7))
    actions = nov.section("actions")
    assert actions is not None
    assert [r["state_id"] for r in actions.rows] == ["done"]
