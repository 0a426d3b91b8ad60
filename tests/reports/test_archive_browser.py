"""The archive and the schedules on the reports page in headless Chromium: keep the review on
screen, see it in the archive and open it, add a weekly schedule to a channel and see it
listed. Screenshots go to /work/notes/shots/sched/ when that folder exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from salesops.auth.audit import Actor
from salesops.notify.outbox import save_channel
from tests.auth_helpers import link_path
from tests.browser import chromium, live_server
from tests.conftest import Db
from tests.web.data import seed

pytestmark = pytest.mark.browser
SHOTS = Path("/work/notes/shots/sched")


@pytest.mark.parametrize("db", ["duckdb"], indirect=True)
def test_keep_open_and_schedule(db: Db) -> None:
    seed(db.engine)
    save_channel(db.engine, "东区钉钉", "dingtalk", target="https://oapi.dingtalk.com/robot/send?access_token=x",
                 actor=Actor("t"))  # fmt: skip
    with live_server(db.engine) as base, chromium() as browser:
        page = browser.new_context(locale="zh-CN").new_page()
        page.set_default_timeout(120_000)  # a review takes seconds on a loaded machine
        page.goto(base + link_path(db.engine, "mgr", "manager", org_unit="T-E",
                                   then="/api/v1/health"))  # fmt: skip
        page.goto(
            base + "/reports?lang=zh_CN&kind=weekly&period=2026-W23&scope=T-E",
            wait_until="domcontentloaded",
        )
        page.frame_locator("#report-frame").locator("text=销售周报").first.wait_for()
        page.click("#keep", no_wait_after=True)
        page.locator("text=已存档。").wait_for()
        page.frame_locator("#archived-frame").locator("text=销售周报").first.wait_for()
        row = page.locator("#archive tbody tr").first
        assert "2026-W23" in row.inner_text() and "华东一组" in row.inner_text()
        page.fill("#schedule-form input[name=name]", "东区周报")
        page.fill("#schedule-form input[name=scope]", "T-E")
        page.fill("#schedule-form input[name=recipients]", "东区钉钉")
        page.check("#schedule-form input[value=md]")
        page.click("#add-schedule", no_wait_after=True)
        page.locator("text=定时发送已保存。").wait_for()
        listed = page.locator("#schedules tbody tr").first.inner_text()
        assert "东区周报" in listed and "30 8 * * 1" in listed and "东区钉钉" in listed
        if SHOTS.is_dir():
            page.screenshot(path=str(SHOTS / "reports-archive-zh.png"), full_page=True)
