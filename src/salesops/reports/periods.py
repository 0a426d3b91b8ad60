"""Report periods: ``2026-12-01`` (day), ``2026-W48`` (ISO week), ``2026-11`` (month),
``2026-Q4`` (calendar quarter), ``2026`` (calendar year).

Every report compares its period with the previous one of the same kind and with the same
period a year earlier (for an ISO week: the same week number; week 53 of a year compares with
week 52 of a year that has no week 53). Bad labels raise :class:`PeriodError` with a message
that says what was expected, never another exception.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal, get_args

ReportKind = Literal["daily", "weekly", "monthly", "quarterly", "yearly"]
KINDS: tuple[ReportKind, ...] = get_args(ReportKind)

MIN_YEAR, MAX_YEAR = 1900, 2999

_EXAMPLES: dict[ReportKind, str] = {
    "daily": "2026-12-01",
    "weekly": "2026-W48",
    "monthly": "2026-11",
    "quarterly": "2026-Q4",
    "yearly": "2026",
}
_PATTERNS: dict[ReportKind, re.Pattern[str]] = {
    "daily": re.compile(r"(\d{4})-(\d{2})-(\d{2})"),
    "weekly": re.compile(r"(\d{4})-W(\d{1,2})", re.IGNORECASE),
    "monthly": re.compile(r"(\d{4})-(\d{1,2})"),
    "quarterly": re.compile(r"(\d{4})-Q(\d)", re.IGNORECASE),
    "yearly": re.compile(r"(\d{4})"),
}


class PeriodError(ValueError):
    """A report kind or period label that cannot be understood."""


def check_kind(kind: str) -> ReportKind:
    """``kind`` if it is a report kind; a clear error otherwise."""
    if kind not in KINDS:
        raise PeriodError(f"unknown report {kind!r}; known: {', '.join(KINDS)}")
    return kind


def iso_weeks(year: int) -> int:
    """52 or 53: the number of ISO weeks of ``year`` (28 December is always in the last)."""
    return dt.date(year, 12, 28).isocalendar()[1]


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class ReportPeriod:
    """One report period: its kind, first and last day (inclusive)."""

    kind: ReportKind
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        """The label it parses from (``2026-W48`` …)."""
        if self.kind == "daily":
            return self.start.isoformat()
        if self.kind == "weekly":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "monthly":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarterly":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> ReportPeriod:
        """The period of the same kind just before."""
        return containing(self.kind, self.start - dt.timedelta(days=1))

    def next(self) -> ReportPeriod:
        """The period of the same kind just after."""
        return containing(self.kind, self.end + dt.timedelta(days=1))

    def year_ago(self) -> ReportPeriod:
        """The same period a year earlier (29 February → 28 February; W53 → W52 when the year
        before has no week 53)."""
        if self.kind == "weekly":
            year, week, _ = self.start.isocalendar()
            week = min(week, iso_weeks(year - 1))
            return week_period(year - 1, week)
        if self.kind == "daily":
            day = self.start
            try:
                before = day.replace(year=day.year - 1)
            except ValueError:  # 29 February
                before = dt.date(day.year - 1, 2, 28)
            return ReportPeriod("daily", before, before)
        return containing(self.kind, self.start.replace(year=self.start.year - 1))


def week_period(year: int, week: int) -> ReportPeriod:
    """ISO week ``week`` of ``year`` (checked)."""
    last = iso_weeks(year)
    if not 1 <= week <= last:
        raise PeriodError(f"{year} has ISO weeks 1 to {last}, not week {week}")
    start = dt.date.fromisocalendar(year, week, 1)
    return ReportPeriod("weekly", start, start + dt.timedelta(days=6))


def containing(kind: ReportKind, day: dt.date) -> ReportPeriod:
    """The period of ``kind`` that contains ``day``."""
    if kind == "daily":
        return ReportPeriod(kind, day, day)
    if kind == "weekly":
        start = day - dt.timedelta(days=day.weekday())
        return ReportPeriod(kind, start, start + dt.timedelta(days=6))
    if kind == "monthly":
        start = day.replace(day=1)
        return ReportPeriod(kind, start, _add_months(start, 1) - dt.timedelta(days=1))
    if kind == "quarterly":
        start = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return ReportPeriod(kind, start, _add_months(start, 3) - dt.timedelta(days=1))
    return ReportPeriod(kind, dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))


def default_period(kind: ReportKind, today: dt.date) -> ReportPeriod:
    """The last complete period before ``today`` (the daily report: yesterday)."""
    return containing(kind, today).previous()


def parse_period(kind: str, label: str | None, today: dt.date) -> ReportPeriod:
    """The period ``label`` names for a report of ``kind`` (None or empty: the default)."""
    k = check_kind(kind)
    if label is None or not label.strip():
        return default_period(k, today)
    text = label.strip()
    match = _PATTERNS[k].fullmatch(text)
    if match is None:
        raise PeriodError(f"period {label!r} does not fit a {k} report; use e.g. {_EXAMPLES[k]}")
    year = int(match.group(1))
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(f"period {label!r}: the year must be between {MIN_YEAR} and {MAX_YEAR}")
    if k == "weekly":
        return week_period(year, int(match.group(2)))
    if k == "quarterly":
        quarter = int(match.group(2))
        if not 1 <= quarter <= 4:
            raise PeriodError(f"period {label!r}: the quarter must be Q1 to Q4")
        return containing(k, dt.date(year, quarter * 3 - 2, 1))
    if k == "monthly":
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(f"period {label!r}: the month must be 01 to 12")
        return containing(k, dt.date(year, month, 1))
    if k == "daily":
        try:
            day = dt.date(year, int(match.group(2)), int(match.group(3)))
        except ValueError:
            raise PeriodError(f"period {label!r} is not a calendar date") from None
        return containing(k, day)
    return containing(k, dt.date(year, 1, 1))
