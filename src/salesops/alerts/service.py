"""The alert runner: evaluate the rules that are due, keep what fired, send the outbox.

One runner at a time: on PostgreSQL a session advisory lock (several server processes and a
cron job may all try; the others answer ``busy``), on DuckDB (one process) a process lock.
Each rule's due time is claimed by moving ``alert_rule.last_due_at`` forward with a
compare-and-set UPDATE *in the transaction that stores its alerts*: a runner that dies
mid-evaluation rolls back and the rule stays due, and two runners can never both evaluate the
same due time. A rule is due when its cron schedule had a fire time after its last claimed
one (or its creation): a restart after a pause evaluates each missed rule once (catch-up).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from salesops.alerts.evaluate import Evaluator, Finding
from salesops.alerts.store import StoredRule, list_rules, store_findings
from salesops.auth.secrets import utcnow
from salesops.db.schema import AlertRule, AlertRun
from salesops.metrics.engine import MetricsEngine, shared_engine

#: the advisory lock key of the alert runner ("ALRT")
LOCK_KEY = 0x414C5254
_process_lock = threading.Lock()


@dataclass
class RunReport:
    status: str = "ok"  # ok | busy | failed
    evaluated: list[str] = field(default_factory=list)
    fired: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    delivery: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


@contextmanager
def runner_lock(engine: Engine) -> Iterator[bool]:
    """True when this runner may evaluate now (nobody else holds the lock)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar()
            )
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                    conn.commit()
        return
    got = _process_lock.acquire(blocking=False)
    try:
        yield got
    finally:
        if got:
            _process_lock.release()


def _zone() -> ZoneInfo:
    from salesops.config import get_settings

    return ZoneInfo(get_settings().timezone)


def due_time(rule: StoredRule, created: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
    """The latest scheduled time in (last claimed or creation, now], or None (not due).
    Times are naive UTC; the schedule is read in the board's time zone."""
    from salesops.schedule.cron import trigger as cron_trigger

    zone = _zone()
    trigger = cron_trigger(rule.spec.schedule, zone)
    base = rule.last_due_at or created or now - dt.timedelta(days=1)
    aware_now = now.replace(tzinfo=dt.UTC)
    # the first fire time strictly after the base (APScheduler returns one at or after 'now')
    fire = trigger.get_next_fire_time(None, base.replace(tzinfo=dt.UTC) + dt.timedelta(seconds=1))
    if fire is None or fire > aware_now:
        return None
    # the latest fire time not after now (missed ones are coalesced into one evaluation)
    latest = fire
    for _ in range(10_000):
        nxt = trigger.get_next_fire_time(latest, latest + dt.timedelta(seconds=1))
        if nxt is None or nxt > aware_now:
            break
        latest = nxt
    return latest.astimezone(dt.UTC).replace(tzinfo=None)


def local_day(now: dt.datetime) -> dt.date:
    return now.replace(tzinfo=dt.UTC).astimezone(_zone()).date()


def evaluate_rule(
    engine: Engine, rule: StoredRule, today: dt.date, metrics: MetricsEngine | None = None
) -> list[Finding]:
    """What ``rule`` finds as of ``today`` (nothing is stored)."""
    metrics = metrics or shared_engine(engine)
    return Evaluator(engine, metrics, rule.scope, today).run(rule.spec)


def run(
    engine: Engine,
    *,
    now: dt.datetime | None = None,
    force: bool = False,
    only: str | None = None,
    deliver: bool = True,
    metrics: MetricsEngine | None = None,
    policy: Any = None,
) -> RunReport:
    """Evaluate the due rules (``force``: every enabled rule now; ``only``: one rule), store
    what fired with its outbox rows, then deliver the outbox."""
    import time

    started = time.perf_counter()
    now = now or utcnow()
    report = RunReport()
    metrics = metrics or shared_engine(engine)
    with runner_lock(engine) as got:
        if not got:
            report.status = "busy"
            return report
        created = _created(engine)
        for rule in list_rules(engine, enabled_only=True):
            if only and rule.spec.name != only:
                continue
            due = now if force else due_time(rule, created.get(rule.id), now)
            if due is None:
                continue
            try:
                fired = _claim_and_evaluate(engine, rule, due, now, metrics)
            except Exception as exc:  # one broken rule must not stop the others
                report.errors[rule.spec.name] = f"{type(exc).__name__}: {exc}"[:300]
                continue
            if fired is None:
                continue  # another runner claimed this due time
            report.evaluated.append(rule.spec.name)
            report.fired[rule.spec.name] = fired
        if deliver:
            from salesops.notify.outbox import deliver_due

            report.delivery = deliver_due(engine, policy)
        report.seconds = round(time.perf_counter() - started, 3)
        if not (report.evaluated or report.errors or any(report.delivery.values())):
            return report  # an idle tick (every minute in serve) leaves no row
        with engine.begin() as conn:
            conn.execute(
                insert(AlertRun).values(
                    runner=runner_name()[:100],
                    started_at=now,
                    finished_at=utcnow(),
                    rules_evaluated=len(report.evaluated),
                    alerts_fired=sum(report.fired.values()),
                    messages_sent=report.delivery.get("sent", 0),
                    status="failed" if report.errors else "ok",
                    detail=str(report.errors)[:2000] if report.errors else None,
                )
            )
    return report


def _created(engine: Engine) -> dict[int, dt.datetime | None]:
    with engine.connect() as conn:
        return {r[0]: r[1] for r in conn.execute(select(AlertRule.id, AlertRule.created_at))}


def _claim_and_evaluate(
    engine: Engine, rule: StoredRule, due: dt.datetime, now: dt.datetime, metrics: MetricsEngine
) -> int | None:
    try:
        with engine.begin() as conn:
            old = rule.last_due_at
            cond = AlertRule.last_due_at.is_(None) if old is None else AlertRule.last_due_at == old
            claimed = conn.execute(
                update(AlertRule).where(AlertRule.id == rule.id, cond).values(last_due_at=due)
            ).rowcount
            if claimed != 1:
                return None
            findings = evaluate_rule(engine, rule, local_day(due), metrics)
            return len(store_findings(conn, rule, findings, now))
    except DBAPIError as exc:
        if "conflict" in str(exc).lower():  # DuckDB: another transaction claimed it first
            return None
        raise


def tick(engine: Engine) -> RunReport:
    """The scheduler's job: run what is due (a restart catches up on what was missed)."""
    return run(engine)
