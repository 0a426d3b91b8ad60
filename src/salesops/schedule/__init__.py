"""One place that runs jobs on a schedule inside ``salesops serve`` (APScheduler).

Alerts (every minute) and the task rules (``task_rules``, hourly) register here; imports and
report schedules register the same way::

    from salesops.schedule import register
    register("alerts", alerts_tick, seconds=60)

A job is a function of the engine; it runs in the scheduler's thread pool, one instance at a
time (``max_instances=1``, missed runs coalesced). Jobs must be safe to run from several
processes at once (the alert runner takes a database lock), since each server process has
its own scheduler; a job that finds the lock taken simply returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

log = logging.getLogger(__name__)

Job = Callable[[Engine], Any]


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Job
    seconds: int | None = None  # an interval ...
    cron: str | None = None  # ... or a cron line (board time zone)


_JOBS: dict[str, JobSpec] = {}


def register(name: str, func: Job, *, seconds: int | None = None, cron: str | None = None) -> None:
    """Add (or replace) a job: every ``seconds`` or on a ``cron`` line."""
    if (seconds is None) == (cron is None):
        raise ValueError("a job runs every N seconds or on a cron line, not both or neither")
    _JOBS[name] = JobSpec(name, func, seconds, cron)


def jobs() -> dict[str, JobSpec]:
    return dict(_JOBS)


def _register_builtin() -> None:
    from salesops.alerts.service import tick
    from salesops.customers import rules
    from salesops.integrate import sources
    from salesops.reports import schedules

    if "alerts" not in _JOBS:
        register("alerts", tick, seconds=60)
    if "import-sources" not in _JOBS:  # issue #21: SQL pulls and watched folders
        register("import-sources", sources.tick, seconds=sources.TICK_SECONDS)
    if rules.JOB_NAME not in _JOBS:
        # warnings (churn, overdue receivables, detractors, stuck deals, care plans) -> tasks
        register(rules.JOB_NAME, rules.tick, cron=rules.JOB_CRON)
    if schedules.JOB_NAME not in _JOBS:  # issue #26: reviews delivered on a schedule
        register(schedules.JOB_NAME, schedules.tick, seconds=schedules.TICK_SECONDS)


def start(engine: Engine) -> Any:
    """A started BackgroundScheduler running every registered job against ``engine``."""
    from zoneinfo import ZoneInfo

    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    from salesops.config import get_settings
    from salesops.schedule.cron import trigger as cron_trigger

    _register_builtin()
    zone = ZoneInfo(get_settings().timezone)
    scheduler = BackgroundScheduler(
        timezone=zone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )

    def runner(spec: JobSpec) -> Callable[[], None]:
        def run() -> None:
            try:
                spec.func(engine)
            except Exception:  # a failing job is logged and runs again next time
                log.exception("scheduled job %s failed", spec.name)

        return run

    for spec in _JOBS.values():
        trigger: Any = (
            IntervalTrigger(seconds=spec.seconds, timezone=zone)
            if spec.seconds
            else cron_trigger(spec.cron or "", zone)
        )
        scheduler.add_job(runner(spec), trigger, id=spec.name, name=spec.name)
    scheduler.start()
    return scheduler
