"""Report periods: ``2026-12-01`` (day), ``2026-W48`` (ISO week), ``2026-11`` (month),
``2026-Q4`` (calendar quarter), ``2026`` (calendar year), and — when the fiscal year does not
start in January (``SALESOPS_FISCAL_YEAR_START_MONTH``) — ``FY2026-Q2`` (fiscal quarter) and
``FY2026`` (fiscal year), named like the board's filter bar and the targets: after the calendar
year the fiscal year starts in (with April, FY2026 is 2026-04-01 .. 2027-03-31).

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
_DAY = dt.timedelta(days=1)

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
#: Fiscal labels (quarterly and yearly reports only).
_FISCAL = {
    "quarterly": re.compile(r"FY(\d{4})-Q(\d)", re.IGNORECASE),
    "yearly": re.compile(r"FY(\d{4})", re.IGNORECASE),
}


def fiscal_start() -> int:
    """The configured fiscal year start month (1: the calendar year)."""
    from salesops.config import get_settings

    return get_settings().fiscal_year_start_month


def _fiscal_year_start(day: dt.date, fy: int) -> dt.date:
    return dt.date(day.year if day.month >= fy else day.year - 1, fy, 1)


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
    """One report period: its kind, first and last day (inclusive); ``fy`` is the fiscal year
    start month of a fiscal quarter or year (1: a calendar one)."""

    kind: ReportKind
    start: dt.date
    end: dt.date
    fy: int = 1

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
        if self.fy != 1:
            year = _fiscal_year_start(self.start, self.fy).year
            if self.kind == "quarterly":
                return f"FY{year}-Q{(self.start.month - self.fy) % 12 // 3 + 1}"
            return f"FY{year}"
        if self.kind == "quarterly":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> ReportPeriod:
        """The period of the same kind just before."""
        return containing(self.kind, self.start - dt.timedelta(days=1), self.fy)

    def next(self) -> ReportPeriod:
        """The period of the same kind just after."""
        return containing(self.kind, self.end + dt.timedelta(days=1), self.fy)

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
        return containing(self.kind, self.start.replace(year=self.start.year - 1), self.fy)


def week_period(year: int, week: int) -> ReportPeriod:
    """ISO week ``week`` of ``year`` (checked)."""
    last = iso_weeks(year)
    if not 1 <= week <= last:
        raise PeriodError(f"{year} has ISO weeks 1 to {last}, not week {week}")
    start = dt.date.fromisocalendar(year, week, 1)
    return ReportPeriod("weekly", start, start + dt.timedelta(days=6))


def containing(kind: ReportKind, day: dt.date, fy: int = 1) -> ReportPeriod:
    """The period of ``kind`` that contains ``day`` (quarters and years: fiscal ones when
    ``fy``, the fiscal year start month, is not January)."""
    if fy != 1 and kind in ("quarterly", "yearly"):
        year_start = _fiscal_year_start(day, fy)
        if kind == "yearly":
            return ReportPeriod(kind, year_start, _add_months(year_start, 12) - _DAY, fy)
        start = _add_months(year_start, (day.month - fy) % 12 // 3 * 3)
        return ReportPeriod(kind, start, _add_months(start, 3) - _DAY, fy)
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


def default_period(kind: ReportKind, today: dt.date, fy: int = 1) -> ReportPeriod:
    """The last complete period before ``today`` (the daily report: yesterday); with ``fy``
    (not January) the last complete fiscal quarter or year."""
    return containing(kind, today, fy).previous()


def parse_period(kind: str, label: str | None, today: dt.date) -> ReportPeriod:
    """The period ``label`` names for a report of ``kind`` (None or empty: the default)."""
    k = check_kind(kind)
    if label is None or not label.strip():
        return default_period(k, today)
    text = label.strip()
    if k in _FISCAL and text[:2].upper() == "FY":
        return _parse_fiscal(k, label, text)
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


def _parse_fiscal(kind: ReportKind, label: str, text: str) -> ReportPeriod:
    """``FY2026-Q2`` / ``FY2026`` with the configured fiscal year start month."""
    match = _FISCAL[kind].fullmatch(text)
    if match is None:
        example = "FY2026-Q2" if kind == "quarterly" else "FY2026"
        raise PeriodError(f"period {label!r} does not fit a {kind} report; use e.g. {example}")
    year = int(match.group(1))
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(f"period {label!r}: the year must be between {MIN_YEAR} and {MAX_YEAR}")
    fy = fiscal_start()
    start = dt.date(year, fy, 1)
    if kind == "quarterly":
        quarter = int(match.group(2))
        if not 1 <= quarter <= 4:
            raise PeriodError(f"period {label!r}: the quarter must be Q1 to Q4")
        start = _add_months(start, 3 * (quarter - 1))
    return containing(kind, start, fy)
