"""Target periods (fiscal years, quarters, months) and the working-day calendar.

Periods
    A target's period is a grain (``year``, ``quarter``, ``month``) and a start date. Years and
    quarters follow the fiscal year start month (``SALESOPS_FISCAL_YEAR_START_MONTH``): with April,
    FY2026 is 2026-04-01 .. 2027-03-31 and its first quarter is April-June 2026. A fiscal year is
    named after the calendar year it starts in. Months are calendar months.

Working days
    Monday to Friday, minus public holidays, plus the weekend days declared working days in their
    place (调休 makeup days). Mainland-China holidays and makeup days come from the
    ``chinesecalendar`` package, which follows the State Council's yearly notice
    (国务院办公厅关于20XX年部分节假日安排的通知) from 2004 on: a newer release of it brings next
    year's schedule without a release of ours. A year it does not know yet (2027 with 1.11)
    counts weekends only unless holidays are configured:

    * ``SALESOPS_HOLIDAY_CALENDAR`` = ``cn`` (default) or ``none`` (weekends only);
    * ``SALESOPS_EXTRA_HOLIDAYS`` = comma-separated ISO dates that are not working days;
    * ``SALESOPS_EXTRA_WORKDAYS`` = comma-separated ISO dates (weekend days) that are.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from salesops.config import get_settings

PeriodGrain = Literal["year", "quarter", "month"]
GRAINS: tuple[PeriodGrain, ...] = ("year", "quarter", "month")
_MONTHS_IN = {"year": 12, "quarter": 3, "month": 1}


class PeriodError(ValueError):
    """A period label or grain that cannot be understood."""


# --------------------------------------------------------------------------- periods


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def fiscal_start_month() -> int:
    """The configured fiscal year start month (1 = January)."""
    return get_settings().fiscal_year_start_month


@dataclass(frozen=True, order=True)
class Period:
    """A whole year, quarter or month; ``start`` is its first day."""

    start: dt.date
    grain: PeriodGrain

    @property
    def end(self) -> dt.date:
        """The last day (inclusive)."""
        return add_months(self.start, _MONTHS_IN[self.grain]) - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        """Calendar days in the period."""
        return (self.end - self.start).days + 1

    def label(self, fy_start: int | None = None) -> str:
        """``2026`` / ``2026-Q1`` / ``2026-03``; ``FY`` in front when the fiscal year is not the
        calendar year."""
        fy_start = fy_start or fiscal_start_month()
        if self.grain == "month":
            return f"{self.start:%Y-%m}"
        year = self.start.year if self.start.month >= fy_start else self.start.year - 1
        prefix = "FY" if fy_start != 1 else ""
        if self.grain == "year":
            return f"{prefix}{year}"
        quarter = ((self.start.month - fy_start) % 12) // 3 + 1
        return f"{prefix}{year}-Q{quarter}"

    def split(self, grain: PeriodGrain) -> list[Period]:
        """The sub-periods of ``grain`` that make up this period, in order."""
        if GRAINS.index(grain) <= GRAINS.index(self.grain):
            raise PeriodError(f"a {self.grain} cannot be split into {grain}s")
        step = _MONTHS_IN[grain]
        count = _MONTHS_IN[self.grain] // step
        return [Period(add_months(self.start, i * step), grain) for i in range(count)]

    def shift_years(self, years: int) -> Period:
        """The same period ``years`` later (negative: earlier)."""
        return Period(self.start.replace(year=self.start.year + years), self.grain)

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def fiscal_year(year: int, fy_start: int | None = None) -> Period:
    """Fiscal year ``year`` (named after the calendar year it starts in)."""
    return Period(dt.date(year, fy_start or fiscal_start_month(), 1), "year")


def fiscal_quarter(year: int, quarter: int, fy_start: int | None = None) -> Period:
    """Quarter ``quarter`` (1-4) of fiscal year ``year``."""
    if not 1 <= quarter <= 4:
        raise PeriodError(f"quarter must be 1 to 4, not {quarter}")
    start = add_months(fiscal_year(year, fy_start).start, 3 * (quarter - 1))
    return Period(start, "quarter")


_LABEL = re.compile(r"^(?:FY)?(\d{4})(?:-(?:Q([1-4])|(\d{2})))?$", re.IGNORECASE)


def parse_period(text: str, fy_start: int | None = None) -> Period:
    """A period from ``2026`` / ``FY2026`` (fiscal year), ``2026-Q1`` (fiscal quarter) or
    ``2026-03`` (calendar month)."""
    found = _LABEL.match(text.strip())
    if not found:
        raise PeriodError(
            f"cannot read the period {text!r}; "
            "use 2026 (year), 2026-Q1 (quarter) or 2026-03 (month)"
        )
    year, quarter, month = found.groups()
    if quarter:
        return fiscal_quarter(int(year), int(quarter), fy_start)
    if month:
        if not 1 <= int(month) <= 12:
            raise PeriodError(f"no month {month} in {text!r}")
        return Period(dt.date(int(year), int(month), 1), "month")
    return fiscal_year(int(year), fy_start)


def period_of(grain: str, start: dt.date) -> Period:
    """The period of a stored target (grain and start date), validated."""
    if grain not in GRAINS:
        raise PeriodError(f"unknown period grain {grain!r}; use year, quarter or month")
    if start.day != 1:
        raise PeriodError(f"a period starts on the first of a month, not {start.isoformat()}")
    return Period(start, grain)


def period_containing(day: dt.date, grain: PeriodGrain, fy_start: int | None = None) -> Period:
    """The fiscal year, fiscal quarter or month that contains ``day``."""
    fy_start = fy_start or fiscal_start_month()
    if grain == "month":
        return Period(day.replace(day=1), "month")
    year = day.year if day.month >= fy_start else day.year - 1
    months_in = (day.month - fy_start) % 12
    if grain == "year":
        return fiscal_year(year, fy_start)
    return fiscal_quarter(year, months_in // 3 + 1, fy_start)


# --------------------------------------------------------------------------- working days


@lru_cache(maxsize=1)
def _cn_schedule() -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """Mainland-China holidays and makeup working days (调休上班) from ``chinesecalendar``."""
    import chinese_calendar

    holidays = frozenset(chinese_calendar.holidays)
    workdays = frozenset(d for d in chinese_calendar.workdays if d.weekday() >= 5)
    return holidays, workdays


def cn_holiday_years() -> tuple[int, ...]:
    """The years whose mainland-China schedule the installed ``chinesecalendar`` knows."""
    return tuple(sorted({d.year for d in _cn_schedule()[0]}))


CN_HOLIDAY_YEARS = cn_holiday_years()


class CalendarSettings(BaseSettings):
    """Working-day settings (same ``SALESOPS_`` prefix as the main settings)."""

    model_config = SettingsConfigDict(env_prefix="SALESOPS_", extra="ignore")

    holiday_calendar: Literal["cn", "none"] = "cn"
    extra_holidays: str = ""
    extra_workdays: str = ""


def _dates(text: str) -> frozenset[dt.date]:
    try:
        return frozenset(dt.date.fromisoformat(p.strip()) for p in text.split(",") if p.strip())
    except ValueError as exc:
        raise PeriodError(f"a holiday setting holds a date that is not YYYY-MM-DD: {exc}") from exc


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days: Mon-Fri minus ``holidays`` plus ``workdays``."""

    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def working_days(self, start: dt.date, end: dt.date) -> int:
        """Working days from ``start`` to ``end``, both included (0 when end < start)."""
        if end < start:
            return 0
        days = (end - start).days + 1
        weeks, rest = divmod(days, 7)
        count = weeks * 5 + sum(
            1 for i in range(rest) if (start + dt.timedelta(days=weeks * 7 + i)).weekday() < 5
        )
        count -= sum(1 for d in self.holidays if start <= d <= end and d.weekday() < 5)
        count += sum(1 for d in self.workdays if start <= d <= end and d.weekday() >= 5)
        return count

    @classmethod
    def weekends_only(cls) -> WorkCalendar:
        return cls()

    @classmethod
    def china(cls) -> WorkCalendar:
        """Mainland-China public holidays and makeup working days (see :data:`CN_HOLIDAY_YEARS`)."""
        holidays, workdays = _cn_schedule()
        return cls(holidays, workdays)


@lru_cache
def _configured(kind: str, extra_holidays: str, extra_workdays: str) -> WorkCalendar:
    base = WorkCalendar.china() if kind == "cn" else WorkCalendar.weekends_only()
    return WorkCalendar(
        base.holidays | _dates(extra_holidays), base.workdays | _dates(extra_workdays)
    )


def work_calendar() -> WorkCalendar:
    """The configured working-day calendar (read from the environment on each call)."""
    s = CalendarSettings()
    return _configured(s.holiday_calendar, s.extra_holidays, s.extra_workdays)
