"""Named periods of alert rules, resolved against the evaluation day, with stable labels
(the label is part of an alert's de-duplication key: the same period gives the same label)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    label: str  # 2026-12, 2026-W49, 2026-Q4, 2026, 2026-12-07, or 2026-11-08..2026-12-07

    def shift(self, grain: str, back: int) -> Period:
        """The same kind of period ``back`` grains earlier (whole periods only)."""
        return whole(grain, self.start, -back)


def _month_start(day: dt.date, add: int = 0) -> dt.date:
    m = day.year * 12 + day.month - 1 + add
    return dt.date(m // 12, m % 12 + 1, 1)


def whole(grain: str, day: dt.date, add: int = 0) -> Period:
    """The whole ``grain`` period containing ``day``, moved by ``add`` periods."""
    if grain == "day":
        d = day + add * DAY
        return Period(d, d, d.isoformat())
    if grain == "week":
        start = day - dt.timedelta(days=day.weekday()) + dt.timedelta(weeks=add)
        year, week, _ = start.isocalendar()
        return Period(start, start + 6 * DAY, f"{year}-W{week:02d}")
    if grain == "month":
        start = _month_start(day, add)
        return Period(start, _month_start(start, 1) - DAY, f"{start:%Y-%m}")
    if grain == "quarter":
        first = _month_start(day.replace(day=1), -((day.month - 1) % 3) + 3 * add)
        return Period(
            first, _month_start(first, 3) - DAY, f"{first.year}-Q{(first.month - 1) // 3 + 1}"
        )
    if grain == "year":
        y = day.year + add
        return Period(dt.date(y, 1, 1), dt.date(y, 12, 31), str(y))
    raise ValueError(f"unknown grain {grain!r}")


def resolve(name: str, today: dt.date) -> Period:
    """``this_month`` … as of ``today``; ``this_*`` periods end today (to date)."""
    if name == "today":
        return whole("day", today)
    if name == "yesterday":
        return whole("day", today, -1)
    if name.startswith("last_") and name.endswith("_days"):
        n = int(name.split("_")[1])
        start = today - (n - 1) * DAY
        return Period(start, today, f"{start.isoformat()}..{today.isoformat()}")
    kind, _, grain = name.partition("_")
    if kind == "this":
        p = whole(grain, today)
        return Period(p.start, today, p.label)
    if kind == "last":
        return whole(grain, today, -1)
    raise ValueError(f"unknown period {name!r}")


def last_complete(grain: str, today: dt.date) -> Period:
    """The last whole ``grain`` period that ended before ``today``."""
    return whole(grain, today, -1)


def elapsed_share(p: Period, today: dt.date) -> float:
    """The share of ``p``'s calendar days up to and including ``today``."""
    whole_days = (p.end - p.start).days + 1
    gone = min(max((today - p.start).days + 1, 0), whole_days)
    return gone / whole_days
