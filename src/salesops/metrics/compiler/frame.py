"""The time frame of a query: which periods are computed, and how rows fall into them.

Three modes:

* ``single``  — no grain, no comparison: one period [start, end] (either side may be open);
  measures carry no ``bucket`` column.
* ``windows`` — no grain, with a comparison: the period and its comparison period, each a
  *window* keyed by its start date (``bucket``). "prev" is the period of the same length just
  before (whole calendar months step by months: March's previous period is February);
  "yoy" is the same dates a year earlier.
* ``grain``   — rows fall into time buckets (``date_trunc`` on the time column; ISO weeks; fiscal
  quarters/years from the configured start month), keyed by the bucket's first day.

Stock measures (open pipeline ...) need an explicit list of periods and their end dates
(:meth:`Frame.periods`); retention needs each period's previous one (``lookback``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Date, and_, case, cast, extract, literal, null, or_
from sqlalchemy.sql.elements import ColumnElement

from salesops.metrics.dialects import (
    GRAIN_UNITS,
    add_days,
    add_months,
    bucket_of,
    bucket_start,
    shift_months,
    step,
)

Mode = Literal["single", "windows", "grain"]
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """One period: its key (``bucket`` value) and inclusive bounds (None = open)."""

    key: dt.date
    start: dt.date | None
    end: dt.date | None


def _month_aligned(start: dt.date, end: dt.date) -> int | None:
    """Number of whole calendar months [start, end] spans, or None when not month-aligned."""
    if start.day != 1 or (end + ONE_DAY).day != 1:
        return None
    after = end + ONE_DAY
    return (after.year - start.year) * 12 + after.month - start.month


def previous_window(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length just before [start, end] (whole months step by months)."""
    months = _month_aligned(start, end)
    if months:
        return shift_months(start, -months), start - ONE_DAY
    length = (end - start).days + 1
    return start - dt.timedelta(days=length), start - ONE_DAY


def next_window(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length just after [start, end]."""
    months = _month_aligned(start, end)
    if months:
        return end + ONE_DAY, shift_months(end + ONE_DAY, months) - ONE_DAY
    length = (end - start).days + 1
    return end + ONE_DAY, end + dt.timedelta(days=length)


def year_before(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The same dates a year earlier (29 February becomes 28 February)."""
    return shift_months(start, -12), shift_months(end, -12)


class Frame:
    """Periods of one query. ``cap`` is the as-of date stocks are capped at (as_of or today)."""

    def __init__(
        self,
        *,
        grain: str | None,
        start: dt.date | None,
        end: dt.date | None,
        compare: str | None,
        as_of: dt.date | None,
        today: dt.date,
        fiscal_start_month: int = 1,
        data_start: dt.date | None = None,
    ) -> None:
        self.grain = grain
        self.start, self.end = start, end
        self.as_of = as_of
        self.today = today
        self.cap = as_of or today
        self.fiscal = fiscal_start_month
        self.data_start = data_start
        self.compare = compare if (grain or (start and end)) else None
        self.mode: Mode = "grain" if grain else ("windows" if self.compare else "single")

    # ------------------------------------------------------------------ periods

    @property
    def bucketed(self) -> bool:
        """Whether measures carry a ``bucket`` column."""
        return self.mode != "single"

    def _bucket_end(self, key: dt.date) -> dt.date:
        assert self.grain is not None
        return step(self.grain, key) - ONE_DAY

    def _series_start(self) -> dt.date | None:
        return self.start or self.data_start

    def current(self) -> list[Period]:
        """The periods the answer has rows for."""
        if self.mode == "single":
            return [Period(self.start or dt.date.min, self.start, self.end)]
        if self.mode == "windows":
            return [Period(self.start or dt.date.min, self.start, self.end)]
        first = self._series_start()
        if first is None:
            return []
        last = self.end or max(self.cap, first)
        assert self.grain is not None
        key = bucket_of(self.grain, first, self.fiscal)
        out: list[Period] = []
        while key <= last:
            end = self._bucket_end(key)
            out.append(Period(key, max(key, first), min(end, last) if self.end else end))
            key = step(self.grain, key)
        return out

    def prev_period(self, p: Period) -> Period:
        """The period of the same length just before ``p``."""
        if self.mode == "grain":
            assert self.grain is not None
            key = step(self.grain, p.key, -1)
            return Period(key, key, self._bucket_end(key))
        assert p.start is not None and p.end is not None
        s, e = previous_window(p.start, p.end)
        return Period(s, s, e)

    def compared(self, p: Period) -> Period | None:
        """The comparison period of ``p`` (None without a comparison)."""
        if not self.compare:
            return None
        if self.compare == "prev":
            return self.prev_period(p)
        if self.mode == "grain":
            assert self.grain is not None
            if self.grain == "week":
                year, week, _ = p.key.isocalendar()
                try:
                    key = dt.date.fromisocalendar(year - 1, week, 1)
                except ValueError:  # week 53 of a year whose previous year has 52
                    return None
            else:
                key = shift_months(p.key, -12)
            return Period(key, key, self._bucket_end(key))
        assert p.start is not None and p.end is not None
        s, e = year_before(p.start, p.end)
        return Period(s, s, e)

    def periods(self, lookback: int = 0) -> list[Period]:
        """Current and comparison periods, and ``lookback`` previous periods of each, by key."""
        found: dict[dt.date, Period] = {}
        todo = list(self.current())
        todo += [c for c in (self.compared(p) for p in todo) if c is not None]
        for p in todo:
            found.setdefault(p.key, p)
            q = p
            for _ in range(lookback):
                q = self.prev_period(q)
                found.setdefault(q.key, q)
        return sorted(found.values(), key=lambda p: p.key)

    def span(self, lookback: int = 0) -> tuple[dt.date | None, dt.date | None]:
        """The first and last day any computed period covers (None: open)."""
        if self.mode == "single":
            return self.start, self.end
        periods = self.periods(lookback) if (self.mode == "windows" or self.start) else []
        starts = [p.start for p in periods if p.start is not None]
        ends = [p.end for p in periods if p.end is not None]
        lo = min(starts) if starts and self.start else None
        hi = self.end if self.mode == "grain" else (max(ends) if ends else None)
        return lo, hi

    def snapshot_date(self, p: Period) -> dt.date:
        """The date a stock is measured at for ``p``: its end, never after the cap."""
        if self.mode == "single" and self.as_of is not None:
            return self.as_of
        end = p.end if p.end is not None else self.cap
        return min(end, self.cap)

    def overlapping(self, periods: list[Period]) -> bool:
        """True when two of ``periods`` share a day (rows then belong to several)."""
        spans = sorted((p.start or dt.date.min, p.end or dt.date.max) for p in periods)
        return any(a[1] >= b[0] for a, b in itertools.pairwise(spans))

    # ------------------------------------------------------------------ SQL

    def bucket(self, t: Any) -> ColumnElement[Any] | None:
        """The ``bucket`` of a row whose date is ``t`` (None in single mode)."""
        if self.mode == "single":
            return None
        if self.mode == "grain":
            assert self.grain is not None
            return bucket_start(self.grain, t, self.fiscal)
        whens = [(t.between(p.start, p.end), literal(p.key, Date)) for p in self.periods()]
        return case(*whens, else_=cast(null(), Date))

    def time_filter(self, t: Any, lookback: int = 0) -> ColumnElement[bool] | None:
        """Rows whose date ``t`` falls in a period this query (with ``lookback``) computes."""
        if self.mode == "single":
            conds = []
            if self.start is not None:
                conds.append(t >= self.start)
            if self.end is not None:
                conds.append(t <= self.end)
            return and_(*conds) if conds else None
        if self.mode == "windows":
            return or_(*(t.between(p.start, p.end) for p in self.periods(lookback)))
        conds = []
        if self.end is not None:
            conds.append(t <= self.end)
        first = self._series_start()
        if self.start is not None and first is not None:
            lo = min(p.key for p in self.periods(lookback)) if self.periods(lookback) else first
            # The first bucket is clipped at the start; earlier (comparison) buckets are whole.
            assert self.grain is not None
            clipped = bucket_of(self.grain, self.start, self.fiscal)
            if lo >= clipped:  # no earlier bucket: one bound says it all
                conds.append(t >= max(lo, self.start))
            else:
                conds.append(t >= lo)
                conds.append(or_(t >= self.start, t < clipped))
        return and_(*conds) if conds else None

    def covered(self, lookback: int = 0) -> list[tuple[dt.date | None, dt.date | None]] | None:
        """The dates :meth:`time_filter` keeps, as inclusive ranges (None: open side), or None
        when that cannot be said in ranges. Keep the two in step: the monthly order-line
        summary trusts these ranges to know which months a query takes whole (a test checks
        them against the SQL filter)."""
        if self.mode == "single":
            return [(self.start, self.end)]
        if self.mode == "windows":
            periods = self.periods(lookback)
            if any(p.start is None or p.end is None for p in periods):
                return None
            return [(p.start, p.end) for p in periods]
        first = self._series_start()
        if self.start is None or first is None:
            return [(None, self.end)]
        assert self.grain is not None
        periods = self.periods(lookback)
        lo = min(p.key for p in periods) if periods else first
        clipped = bucket_of(self.grain, self.start, self.fiscal)
        out: list[tuple[dt.date | None, dt.date | None]] = []
        # [lo, end] and (t >= start or t < the first bucket's key)
        early_end = clipped - ONE_DAY if self.end is None else min(clipped - ONE_DAY, self.end)
        if lo <= early_end:
            out.append((lo, early_end))
        late_start = max(lo, self.start)
        if self.end is None or late_start <= self.end:
            out.append((late_start, self.end))
        return out

    def bucket_bounds(self, bucket: Any) -> tuple[ColumnElement[Any], ColumnElement[Any]] | None:
        """SQL for the first and last day of the period ``bucket`` keys (None: unbounded)."""
        if self.mode == "single":
            if self.start is None and self.end is None:
                return None
            return (
                literal(self.start or dt.date.min, Date),
                literal(self.end or self.cap, Date),
            )
        if self.mode == "windows":
            periods = self.periods(1)
            starts = [(bucket == literal(p.key, Date), literal(p.start, Date)) for p in periods]
            ends = [(bucket == literal(p.key, Date), literal(p.end, Date)) for p in periods]
            return case(*starts), case(*ends)
        assert self.grain is not None
        unit = GRAIN_UNITS[self.grain]
        nxt = add_months(bucket, unit.months) if unit.months else add_days(bucket, unit.days)
        end = add_days(nxt, -1)
        if self.end is not None:
            end = case((end > literal(self.end, Date), literal(self.end, Date)), else_=end)
        start: ColumnElement[Any] = cast(bucket, Date)
        if self.start is not None:
            start = case(
                (start < literal(self.start, Date), literal(self.start, Date)), else_=start
            )
        return start, end

    def prev_key(self, bucket: Any) -> ColumnElement[Any]:
        """SQL: the key of the period just before the one ``bucket`` keys."""
        if self.mode == "grain":
            assert self.grain is not None
            unit = GRAIN_UNITS[self.grain]
            if unit.months:
                return add_months(bucket, -unit.months)
            return add_days(bucket, -unit.days)
        whens = [
            (bucket == literal(p.key, Date), literal(self.prev_period(p).key, Date))
            for p in self.periods(1)
            if p.start is not None and p.end is not None
        ]
        return case(*whens, else_=cast(null(), Date))

    def compare_on(self, cur: Any, other: Any) -> ColumnElement[bool]:
        """SQL: ``other`` keys the comparison period of the period ``cur`` keys."""
        if self.mode == "grain" and self.compare == "yoy" and self.grain == "week":
            return and_(
                extract("isoyear", other) == extract("isoyear", cur) - 1,
                extract("week", other) == extract("week", cur),
            )
        if self.mode == "grain":
            assert self.grain is not None
            if self.compare == "prev":
                return other == self.prev_key(cur)
            return other == add_months(cur, -12)
        whens = []
        for p in self.current():
            c = self.compared(p)
            if c is not None:
                whens.append((cur == literal(p.key, Date), literal(c.key, Date)))
        return other == case(*whens, else_=cast(null(), Date))

    def is_current(self, bucket: Any) -> ColumnElement[bool] | None:
        """SQL: ``bucket`` keys a period the answer has rows for (not a comparison-only one)."""
        if self.mode == "single":
            return None
        if self.mode == "windows":
            return bucket == literal(self.current()[0].key, Date)
        if self.start is None:
            return None
        assert self.grain is not None
        return bucket >= literal(bucket_of(self.grain, self.start, self.fiscal), Date)
