"""The hourly ``task_rules`` scheduler job turns warnings (churn, overdue receivable, stuck
deal) into follow-up tasks, once: run twice — or by two runners at once — one task per
warning. Both databases."""

from __future__ import annotations

import datetime as dt
import logging
import threading

import pytest
from sqlalchemy import select

from salesops import schedule
from salesops.customers import rules
from salesops.db.schema import Task
from tests.analysis.data import build, ts
from tests.conftest import Db

D = dt.date
AS_OF = D(2026, 3, 1)


def _warnings(db: Db) -> dict[str, int]:
    with build(db.engine) as b:
        b.rep("Ann")
        b.rep("Bob")
        b.stage("Qualify", 1)
        b.customer("Slipping", owner="Ann")
        # usual interval 10 days; 49 days silent on 03-01 > 2 x 10: a churn warning
        b.order("S1", "2026-01-01", "Slipping", 100, rep="Ann")
        b.order("S2", "2026-01-11", "Slipping", 100, rep="Ann")
        b.customer("Late", owner="Bob")
        b.payment("Late", "2026-01-15", 500, rep="Bob")  # 45 days overdue > 30 days' grace
        b.customer("Stuck", owner="Bob")
        b.opportunity("Deal", customer="Stuck", owner="Bob", stage="Qualify", amount=50)
        b.change("Deal", "stage", None, "Qualify", ts("2025-12-01"))  # 90 days > 30
    return b.ids


def _tasks(db: Db) -> list[tuple[str, str | None, int | None, int | None, str]]:
    with db.engine.connect() as conn:
        q = select(Task.source, Task.source_ref, Task.customer_id, Task.owner_rep_id, Task.kind)
        return sorted(tuple(r) for r in conn.execute(q))  # type: ignore[misc]


def test_the_hourly_job_is_registered() -> None:
    schedule._register_builtin()
    spec = schedule.jobs()["task_rules"]
    assert (spec.func, spec.cron, spec.seconds) == (rules.tick, "0 * * * *", None)


def test_the_job_makes_one_task_per_warning_however_often_it_runs(db: Db) -> None:
    ids = _warnings(db)
    first = {r.name: r.created for r in rules.tick(db.engine, as_of=AS_OF)}
    assert (first["churn_warning"], first["overdue_receivable"], first["stuck_deal"]) == (1, 1, 1)
    expected = [
        ("churn_warning", f"{ids['customer:Slipping']}:2026-01-11", ids["customer:Slipping"],
         ids["rep:Ann"], "visit"),
        ("overdue_receivable", f"{ids['customer:Late']}:2026-01-15", ids["customer:Late"],
         ids["rep:Bob"], "collection"),
        ("stuck_deal", f"{ids['opp:Deal']}:Qualify:2025-12-01", ids["customer:Stuck"],
         ids["rep:Bob"], "visit"),
    ]  # fmt: skip
    # (no care visit: 30 days after the first order is past the 7 days' catch-up)
    assert _tasks(db) == expected
    made = len(_tasks(db))
    again = rules.tick(db.engine, as_of=AS_OF)
    assert sum(r.created for r in again) == 0
    an_hour_later = rules.tick(db.engine, as_of=AS_OF + dt.timedelta(days=1))
    assert sum(r.created for r in an_hour_later) == 0  # the same warnings, tasks still open
    assert len(_tasks(db)) == made


def test_two_runners_at_once_still_make_one_task_per_warning(
    db: Db, caplog: pytest.LogCaptureFixture
) -> None:
    """Each server process has its own scheduler: two ticks at the same time. Neither fails
    (without the lock, the second would break the unique (source, source_ref) and log)."""
    _warnings(db)
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def runner() -> None:
        try:
            barrier.wait()
            rules.tick(db.engine, as_of=AS_OF)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    refs = [ref for _, ref, *_ in _tasks(db)]
    assert len(refs) == len(set(refs)) == 3  # churn, overdue, stuck
