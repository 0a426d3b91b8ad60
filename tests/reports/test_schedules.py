"""The archive of reviews and their scheduled delivery (issue #26), on the hand-made company of
the board tests, with real local receivers (HTTP robots and webhook, SMTP over STARTTLS).

Runs are idempotent: four runners at once for one due time build, keep and send the review
once; a second call for the same due time does nothing; a runner that died after its claim is
finished by the next one; a robot message cut off mid-send is ``unconfirmed``, not repeated."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from salesops.auth.audit import Actor
from salesops.db.schema import AuditEvent, OrgUnit, ReportArchive, ReportDelivery, ReportSchedule
from salesops.metrics.scope import Scope
from salesops.notify.outbox import DeliveryPolicy, save_channel
from salesops.reports import schedules
from salesops.reports.archive import NotFound, get_file, keep, list_archive, render_files
from salesops.reports.assemble import build_report
from salesops.reports.schedules import ScheduleError, add_schedule, run_due
from tests.alerts.receivers import SECRET, http_receiver, smtp_receiver
from tests.conftest import Db
from tests.web.data import seed

ACTOR = Actor("test")
TODAY = dt.date(2026, 6, 15)  # a Monday
CREATED = dt.datetime(2026, 6, 14, 12, 0)  # UTC
DUE = dt.datetime(2026, 6, 15, 0, 30)  # Monday 08:30 in Shanghai
POLICY = DeliveryPolicy(
    max_attempts=3, retry_base_seconds=1, timeout_seconds=2, base_url="https://board.example.com"
)


def _count(db: Db, table: Any) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _unit(db: Db, external_id: str) -> int:
    with db.engine.connect() as conn:
        return int(
            conn.execute(select(OrgUnit.id).where(OrgUnit.external_id == external_id)).scalar_one()
        )


# ---------------------------------------------------------------------------- archive


def test_archive_keeps_the_files_and_shows_each_caller_their_scope(db: Db) -> None:
    seed(db.engine)
    kept = {}
    for scope in ("company", "T-S", "张伟"):
        report = build_report(db.engine, "monthly", "2026-05", scope, "zh", today=TODAY)
        files = render_files(report, ["md", "xlsx"])
        kept[scope] = (keep(db.engine, report, files, source="cli", actor=ACTOR), files)
    company_id, files = kept["company"]
    name, data = get_file(db.engine, company_id, "md", Scope.everything())
    assert name == "monthly-2026-05-全公司-zh.md" and data == files["md"]
    assert data.decode().startswith("# 销售月报 · 2026-05 · 全公司")
    # The manager of 华东一组 sees 张伟's review (a rep of the team), not 华南's nor the company's.
    east = Scope.subtree(_unit(db, "T-E"))
    seen = {a.scope for a in list_archive(db.engine, east)}
    assert seen == {"张伟"}
    with pytest.raises(NotFound):
        get_file(db.engine, company_id, "md", east)
    assert {a.scope for a in list_archive(db.engine, Scope.everything())} == {
        "全公司",
        "华南一组",
        "张伟",
    }
    listed = list_archive(db.engine, Scope.everything(), kind="monthly")[0]
    assert listed.formats == ("md", "xlsx") and listed.source == "cli"
    assert listed.period == "2026-05" and listed.generated_by == "test"
    with db.engine.connect() as conn:
        actions = conn.execute(
            select(AuditEvent.action).where(AuditEvent.action == "report.archive")
        ).all()
    assert len(actions) == 3


# ---------------------------------------------------------------------------- schedules


def _robots(db: Db, url: str) -> None:
    save_channel(db.engine, "东区钉钉", "dingtalk", target=f"{url}/dingtalk/x", secret=SECRET,
                 actor=ACTOR)  # fmt: skip
    save_channel(db.engine, "hook", "webhook", target=f"{url}/webhook/x", secret=SECRET,
                 actor=ACTOR)  # fmt: skip


def test_a_schedule_checks_what_it_is_given(db: Db) -> None:
    seed(db.engine)
    save_channel(db.engine, "hook", "webhook", target="http://127.0.0.1:9/x", actor=ACTOR)
    base: dict[str, Any] = {
        "kind": "weekly", "scope": "T-E", "lang": "zh", "formats": ["md"], "cron": "30 8 * * 1",
        "recipients": ["hook"], "actor": ACTOR, "now": CREATED,
    }  # fmt: skip
    s = add_schedule(db.engine, "东区周报", **base)
    assert s.next_due_at == DUE and s.scope == "华东一组"
    for change, message in (
        ({"cron": "every monday"}, "is not a cron line"),
        ({"recipients": ["nobody"]}, "no alert channel 'nobody'"),
        ({"recipients": ["hook=a@b.cn"]}, "is not e-mail"),
        ({"formats": ["docx"]}, "unknown format 'docx'"),
        ({"kind": "weekly", "fiscal": True}, "only quarterly and yearly"),
        ({"scope": "T-S", "caller": Scope.subtree(_unit(db, "T-E"))}, "outside your data scope"),
    ):
        with pytest.raises(ScheduleError, match=message):
            add_schedule(db.engine, "another", **{**base, **change})
    with pytest.raises(ScheduleError, match="exists already"):
        add_schedule(db.engine, "东区周报", **base)
    # 华南's manager does not see (nor remove) 华东's schedule
    south = Scope.subtree(_unit(db, "T-S"))
    assert schedules.list_schedules(db.engine, south) == []
    with pytest.raises(ScheduleError, match="no report schedule"):
        schedules.remove_schedule(db.engine, "东区周报", caller=south, actor=ACTOR)
    schedules.remove_schedule(db.engine, "东区周报", actor=ACTOR)
    assert schedules.list_schedules(db.engine) == []


def test_four_runners_at_once_build_keep_and_send_once(db: Db) -> None:
    seed(db.engine)
    with http_receiver() as rec:
        _robots(db, rec.url)
        add_schedule(
            db.engine, "东区周报", kind="weekly", scope="T-E", lang="zh", formats=["md", "xlsx"],
            cron="30 8 * * 1", recipients=["东区钉钉", "hook"], actor=ACTOR, now=CREATED,
        )  # fmt: skip
        # not due yet: nothing
        early = run_due(db.engine, now=DUE - dt.timedelta(minutes=1), policy=POLICY)
        assert early.runs == [] and _count(db, ReportArchive) == 0
        start = threading.Barrier(4)
        summaries: list[schedules.RunSummary] = []
        errors: list[BaseException] = []

        def runner() -> None:
            start.wait()
            try:
                summaries.append(run_due(db.engine, now=DUE + dt.timedelta(minutes=1),
                                         policy=POLICY))  # fmt: skip
            except BaseException as exc:  # pragma: no cover - shown by the assert below
                errors.append(exc)

        threads = [threading.Thread(target=runner) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert sum(len(s.runs) for s in summaries) == 1, [s.runs for s in summaries]
        # the same due time again, and later the same day: nothing more
        again = run_due(db.engine, now=DUE + dt.timedelta(minutes=2), policy=POLICY)
        later = run_due(db.engine, now=DUE + dt.timedelta(hours=5), policy=POLICY)
        assert again.runs == [] and later.runs == []
        assert _count(db, ReportArchive) == 1 and _count(db, ReportDelivery) == 2
        got = rec.accepted()
    assert sorted(g.path.split("/")[1] for g in got) == ["dingtalk", "webhook"]
    [a] = list_archive(db.engine, Scope.everything())
    assert (a.kind, a.period, a.scope, a.source) == ("weekly", "2026-W24", "华东一组", "schedule")
    assert a.generated_by == "schedule:东区周报" and a.formats == ("md", "xlsx")
    robot = next(g for g in got if g.path.startswith("/dingtalk")).json()
    text = robot["markdown"]["text"]
    assert f"https://board.example.com/reports?archive={a.id}" in text
    assert "2026-06-08 – 2026-06-14" in text and "华东一组" in text
    assert a.summary and a.summary[0].split("，")[0] in text
    hook = next(g for g in got if g.path.startswith("/webhook")).json()
    assert hook["report_id"] == a.id and hook["period"] == "2026-W24"
    with db.engine.connect() as conn:
        s = conn.execute(select(ReportSchedule)).one()
        statuses = conn.execute(select(ReportDelivery.status)).scalars().all()
    assert s.next_due_at == DUE + dt.timedelta(days=7) and s.running_due_at is None
    assert s.last_error is None and statuses == ["sent", "sent"]


def test_a_run_abandoned_after_its_claim_is_finished_once_by_the_next_runner(db: Db) -> None:
    seed(db.engine)
    with http_receiver() as rec:
        _robots(db, rec.url)
        add_schedule(
            db.engine, "周报", kind="weekly", scope=None, lang="en", formats=["md"],
            cron="30 8 * * 1", recipients=["hook"], actor=ACTOR, now=CREATED,
        )  # fmt: skip
        now = DUE + dt.timedelta(minutes=1)
        assert schedules.claim_due(db.engine, now) == [(1, DUE)]  # ... and the runner dies
        # within the lease nobody touches it; after it, one runner finishes the run
        assert run_due(db.engine, now=now + dt.timedelta(minutes=5), policy=POLICY).runs == []
        late = now + schedules.LEASE + dt.timedelta(minutes=1)
        done = run_due(db.engine, now=late, policy=POLICY)
        assert [r["due_at"] for r in done.runs] == ["2026-06-15T00:30:00Z"]
        assert run_due(db.engine, now=late, policy=POLICY).runs == []
        assert len(rec.accepted()) == 1
    with db.engine.connect() as conn:
        assert conn.execute(select(ReportArchive.due_at)).scalars().all() == [DUE]


def test_a_robot_message_cut_off_mid_send_is_unconfirmed_not_repeated(db: Db) -> None:
    seed(db.engine)
    with http_receiver() as rec:
        _robots(db, rec.url)
        add_schedule(
            db.engine, "周报", kind="weekly", scope=None, lang="zh", formats=["md"],
            cron="30 8 * * 1", recipients=["东区钉钉"], actor=ACTOR, now=CREATED,
        )  # fmt: skip
        # the run is made and queued, but its sender dies after claiming the message
        [(sid, due)] = schedules.claim_due(db.engine, DUE)
        schedules.run_one(db.engine, sid, due, now=DUE)
        with db.engine.begin() as conn:
            conn.execute(
                update(ReportDelivery).values(
                    status="sending", attempts=1, claimed_until=DUE + dt.timedelta(minutes=2)
                )
            )
        later = run_due(db.engine, now=DUE + dt.timedelta(minutes=10), policy=POLICY)
        assert later.deliveries == {"unconfirmed": 1}
        assert rec.got == []
    with db.engine.connect() as conn:
        assert conn.execute(select(ReportDelivery.status)).scalar_one() == "unconfirmed"


def test_email_carries_the_files_to_each_address(db: Db, tmp_path: Path) -> None:
    seed(db.engine)
    with smtp_receiver(tmp_path) as box:
        settings = {
            "host": "127.0.0.1", "port": box.port, "from": "board@example.com",
            "to": ["all@example.com"], "ca_file": str(box.ca_file),
        }  # fmt: skip
        save_channel(db.engine, "mail", "email", target=None, settings=settings, actor=ACTOR)
        add_schedule(
            db.engine, "月报", kind="monthly", scope="T-E", lang="en", formats=["md", "xlsx"],
            cron="0 9 1 * *", recipients=["mail=east@example.com,boss@example.com"],
            actor=ACTOR, now=dt.datetime(2026, 5, 31, 12),
        )  # fmt: skip
        summary = run_due(db.engine, now=dt.datetime(2026, 6, 1, 1, 5), policy=POLICY)
        assert summary.deliveries == {"sent": 2}
        messages = sorted(box.messages, key=lambda m: m[0])
    [a] = list_archive(db.engine, Scope.everything())
    assert a.period == "2026-05"
    assert [m[0] for m in messages] == [["boss@example.com"], ["east@example.com"]]
    for _, msg in messages:
        assert msg["Subject"] == "Monthly sales report · 2026-05 · 华东一组"
        attached = {
            p.get_filename(): p.get_payload(decode=True)
            for p in msg.iter_attachments()  # type: ignore[attr-defined]
        }
        stem = "monthly-2026-05-华东一组-en"
        assert set(attached) == {f"{stem}.md", f"{stem}.xlsx"}
        _, md_file = get_file(db.engine, a.id, "md", Scope.everything())
        _, xlsx_file = get_file(db.engine, a.id, "xlsx", Scope.everything())
        assert attached["monthly-2026-05-华东一组-en.md"] == md_file
        assert attached["monthly-2026-05-华东一组-en.xlsx"] == xlsx_file


def test_email_with_the_pdf_attached(db: Db, tmp_path: Path) -> None:
    """The one PDF test of the schedule path (Chromium prints it: slow)."""
    if db.kind != "postgresql":
        pytest.skip("the PDF path does not depend on the database; once is enough")
    seed(db.engine)
    with smtp_receiver(tmp_path) as box:
        settings = {
            "host": "127.0.0.1", "port": box.port, "from": "board@example.com",
            "to": ["boss@example.com"], "ca_file": str(box.ca_file),
        }  # fmt: skip
        save_channel(db.engine, "mail", "email", target=None, settings=settings, actor=ACTOR)
        add_schedule(
            db.engine, "日报", kind="daily", scope="company", lang="zh", formats=["pdf"],
            cron="0 8 * * *", recipients=["mail"], actor=ACTOR, now=CREATED,
        )  # fmt: skip
        summary = run_due(db.engine, now=dt.datetime(2026, 6, 15, 0, 1), policy=POLICY)
        assert summary.deliveries == {"sent": 1}
        [(rcpt, msg)] = box.messages
    assert rcpt == ["boss@example.com"]
    [pdf] = list(msg.iter_attachments())  # type: ignore[attr-defined]
    assert pdf.get_filename() == "daily-2026-06-14-全公司-zh.pdf"
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_content()[:5] == b"%PDF-"


def test_the_archive_is_in_the_backup(db: Db, tmp_path: Path) -> None:
    """An archived review's files come back byte for byte from a backup restored into the
    other database (the archive is tables of the schema, nothing outside them)."""
    from salesops.backup import backup_database, restore_database
    from tests.backup.helpers import fresh_database

    if db.kind != "postgresql":
        pytest.skip("one leg is enough: backed up from PostgreSQL, restored into DuckDB")
    seed(db.engine)
    report = build_report(db.engine, "monthly", "2026-05", "T-E", "zh", today=TODAY)
    files = render_files(report, ["md", "xlsx"])
    kept = keep(db.engine, report, files, source="cli", actor=ACTOR)
    made = backup_database(db.engine, tmp_path / "a.zip")
    assert {t.name: t.rows for t in made.tables}["report_file"] == 2
    other = "postgresql" if db.kind == "duckdb" else "duckdb"
    with fresh_database(other, tmp_path) as restored:
        restore_database(restored, tmp_path / "a.zip")
        for fmt, data in files.items():
            assert get_file(restored, kept, fmt, Scope.everything())[1] == data
        [a] = list_archive(restored, Scope.everything())
        assert (a.id, a.period, a.scope) == (kept, "2026-05", "华东一组")
