"""Cron lines read as cron reads them.

APScheduler's ``CronTrigger.from_crontab`` numbers the weekdays from 0 = Monday, so the
standard ``0 8 * * 1`` ("Mondays 08:00") would fire on Tuesdays. Every schedule in the project
(alert rules, report schedules, import sources, the scheduler's own jobs) is read here, with
the weekday field translated to names: 0 or 7 = Sunday, 1 = Monday … 6 = Saturday, names too.
"""

from __future__ import annotations

from typing import Any

_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def weekdays(field: str) -> str:
    """A cron weekday field as APScheduler's day names (``1-5`` → ``mon,tue,wed,thu,fri``)."""
    if not any(c.isdigit() for c in field):
        return field
    days: set[int] = set()
    for part in field.lower().split(","):
        rng, _, step_s = part.partition("/")
        step = int(step_s) if step_s.isdigit() else 0
        if rng == "*":
            lo, hi = 0, 6
        else:
            a, _, b = rng.partition("-")
            lo = _day(a)
            hi = _day(b) if b else lo
            if step_s and not b:
                hi = 7
        if not (0 <= lo <= 7 and 0 <= hi <= 7 and lo <= hi and (step >= 1 or not step_s)):
            raise ValueError(f"bad weekday field {field!r}")
        days.update(d % 7 for d in range(lo, hi + 1, step or 1))
    return ",".join(_DAYS[d] for d in sorted(days))


def _day(text: str) -> int:
    if text[:3] in _DAYS:
        return _DAYS.index(text[:3])
    if not text.isdigit():
        raise ValueError(f"bad weekday {text!r}")
    return int(text)


def trigger(line: str, zone: Any = None) -> Any:
    """An APScheduler trigger for the five-field cron ``line`` (ValueError when it is not one)."""
    from apscheduler.triggers.cron import CronTrigger

    fields = line.split()
    if len(fields) != 5:
        raise ValueError(f"wrong number of fields; got {len(fields)}, expected 5")
    minute, hour, day, month, weekday = fields
    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=weekdays(weekday),
        timezone=zone,
    )  # fmt: skip
