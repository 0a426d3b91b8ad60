"""A rule's preview: how often it would have fired over the last days, evaluated as of each
of its scheduled days ("this rule would have fired 3 times in the last 90 days: …").

Nothing is stored or sent; the numbers are those of the caller's scope (a preview never shows
more than the caller may see). Item rules count an item once, on the first day it appears.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from salesops.alerts.evaluate import Evaluator
from salesops.alerts.rules import ITEM_KINDS, RuleError, parse_rule
from salesops.alerts.words import describe
from salesops.metrics.engine import MetricsEngine, shared_engine
from salesops.metrics.scope import Scope

MAX_EVALUATIONS = 100


class PreviewError(ValueError):
    """A rule that cannot be previewed (the message says why)."""


def scheduled_days(schedule: str, start: dt.date, end: dt.date, zone: ZoneInfo) -> list[dt.date]:
    """The local days in [start, end] on which the cron ``schedule`` fires."""
    from salesops.schedule.cron import trigger as cron_trigger

    trigger = cron_trigger(schedule, zone)
    days: list[dt.date] = []
    t = dt.datetime.combine(start, dt.time(), tzinfo=zone)
    stop = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    fire = trigger.get_next_fire_time(None, t)
    while fire is not None and fire < stop:
        day = fire.astimezone(zone).date()
        if not days or days[-1] != day:
            days.append(day)
        # on to the next day: hourly schedules evaluate once a day here
        nxt = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        fire = trigger.get_next_fire_time(fire, nxt)
    return days


def preview(
    engine: Engine,
    rule: dict[str, Any],
    scope: Scope,
    *,
    days: int = 90,
    today: dt.date | None = None,
    metrics: MetricsEngine | None = None,
) -> dict[str, Any]:
    from salesops.config import get_settings, local_today

    try:
        spec = parse_rule({"name": "preview", **rule} if "name" not in rule else rule)
    except RuleError as exc:
        raise PreviewError(str(exc)) from None
    metrics = metrics or shared_engine(engine)
    today = today or local_today()
    zone = ZoneInfo(get_settings().timezone)
    when = scheduled_days(spec.schedule, today - dt.timedelta(days=days - 1), today, zone)
    when = when[-MAX_EVALUATIONS:]
    seen: set[str] = set()
    fired: list[dict[str, Any]] = []
    for day in when:
        for f in Evaluator(engine, metrics, scope, day).run(spec):
            if spec.kind in ITEM_KINDS:
                new = [it for it in f.items if it["key"] not in seen]
                seen.update(it["key"] for it in f.items)
                if not new:
                    continue
                f.items = new
                f.value = float(len(new))
                f.info["items_count"] = len(new)
                f.info["amount"] = sum(float(it.get("amount") or 0) for it in new)
                key = f"{day}|{f.subject}"
            else:
                key = f"{f.period.label}|{f.subject}"
            if key in seen:
                continue
            seen.add(key)
            ex = f.explanation(spec)
            fired.append(
                {
                    "day": day.isoformat(),
                    "period": f.period.label,
                    "subject": f.subject,
                    "what": ex["what"],
                    "link": f.link,
                }
            )
    return {"rule": describe(spec), "days": days, "fired": len(fired), "examples": fired[-10:]}
