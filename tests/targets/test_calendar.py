"""Periods, fiscal years and working days, with the numbers counted by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from salesops.config import get_settings
from salesops.targets.calendar import (
    CN_HOLIDAY_YEARS,
    Period,
    PeriodError,
    WorkCalendar,
    fiscal_year,
    parse_period,
    period_containing,
    work_calendar,
)

D = dt.date.fromisoformat


def test_calendar_year_periods() -> None:
    year = parse_period("2026", fy_start=1)
    assert (year.start, year.end, year.days) == (D("2026-01-01"), D("2026-12-31"), 365)
    q1 = parse_period("2026-Q1", fy_start=1)
    assert (q1.start, q1.end) == (D("2026-01-01"), D("2026-03-31"))
    feb = parse_period("2028-02", fy_start=1)
    assert (feb.start, feb.end, feb.days) == (D("2028-02-01"), D("2028-02-29"), 29)
    assert [p.label(1) for p in year.split("quarter")] == [
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
        "2026-Q4",
    ]


def test_fiscal_year_starting_in_april() -> None:
    fy = parse_period("FY2026", fy_start=4)
    assert (fy.start, fy.end, fy.days) == (D("2026-04-01"), D("2027-03-31"), 365)
    assert parse_period("2026", fy_start=4) == fy
    quarters = fy.split("quarter")
    assert [(q.start, q.end) for q in quarters] == [
        (D("2026-04-01"), D("2026-06-30")),
        (D("2026-07-01"), D("2026-09-30")),
        (D("2026-10-01"), D("2026-12-31")),
        (D("2027-01-01"), D("2027-03-31")),
    ]
    assert [q.label(4) for q in quarters] == [
        "FY2026-Q1",
        "FY2026-Q2",
        "FY2026-Q3",
        "FY2026-Q4",
    ]
    assert parse_period("2026-Q4", fy_start=4).start == D("2027-01-01")
    months = fy.split("month")
    assert (months[0].label(4), months[-1].label(4)) == ("2026-04", "2027-03")
    # 2027-02-15 lies in FY2026's fourth quarter; 2026-03-31 in FY2025.
    assert period_containing(D("2027-02-15"), "quarter", 4) == quarters[3]
    assert period_containing(D("2026-03-31"), "year", 4) == fiscal_year(2025, 4)


def test_fiscal_year_comes_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESOPS_FISCAL_YEAR_START_MONTH", "4")
    get_settings.cache_clear()
    try:
        assert parse_period("2026").start == D("2026-04-01")
        assert parse_period("2026").label() == "FY2026"
    finally:
        monkeypatch.delenv("SALESOPS_FISCAL_YEAR_START_MONTH")
        get_settings.cache_clear()


@pytest.mark.parametrize("text", ["26", "2026-Q5", "2026-13", "2026/03", "Q1 2026"])
def test_bad_period_labels(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text)


def test_a_month_cannot_be_split() -> None:
    with pytest.raises(PeriodError):
        Period(D("2026-03-01"), "month").split("month")


def test_weekdays_of_leap_year_2024() -> None:
    cal = WorkCalendar.weekends_only()
    months = Period(D("2024-01-01"), "year").split("month")
    counts = [cal.working_days(m.start, m.end) for m in months]
    # Counted on a 2024 wall calendar: February has 29 days, Thursday the 29th a working day.
    assert counts == [23, 21, 21, 22, 23, 20, 23, 22, 21, 23, 21, 22]
    assert cal.working_days(D("2024-01-01"), D("2024-12-31")) == 262
    assert cal.is_working_day(D("2024-02-29"))


def test_china_working_days_2026() -> None:
    cal = WorkCalendar.china()
    months = Period(D("2026-01-01"), "year").split("month")
    counts = [cal.working_days(m.start, m.end) for m in months]
    # 2026 schedule of the State Council: e.g. February = 20 weekdays − 6 Spring Festival
    # weekdays (16-20, 23) + 2 makeup Saturdays (14, 28) = 16.
    assert counts == [21, 16, 22, 21, 19, 21, 23, 21, 22, 18, 21, 23]
    assert cal.working_days(D("2026-01-01"), D("2026-12-31")) == 248
    assert not cal.is_working_day(D("2026-10-05"))  # a Monday of the National Day week
    assert cal.is_working_day(D("2026-10-10"))  # a makeup Saturday


def test_china_working_days_2025() -> None:
    cal = WorkCalendar.china()
    # 2025: 261 weekdays − 18 holiday weekdays (Jan 1; Jan 28-31, Feb 3-4; Apr 4; May 1-2, 5;
    # Jun 2; Oct 1-3, 6-8) + 5 makeup days (Jan 26, Feb 8, Apr 27, Sep 28, Oct 11) = 248.
    assert cal.working_days(D("2025-01-01"), D("2025-12-31")) == 248
    jan = cal.working_days(D("2025-01-01"), D("2025-01-31"))
    # January 2025: 23 weekdays − Jan 1 − Jan 28, 29, 30, 31 + Sunday Jan 26 = 19.
    assert jan == 19
    oct_ = cal.working_days(D("2025-10-01"), D("2025-10-31"))
    # October 2025: 23 weekdays − Oct 1, 2, 3, 6, 7, 8 + Saturday Oct 11 = 18.
    assert oct_ == 18


def test_every_year_of_the_kept_library_not_only_those_shipped_by_hand() -> None:
    # From the chinesecalendar package: 2024 (the demo's first year, never shipped by hand).
    # National Day 2024: 1-7 October off, Sunday 29 September and Saturday 12 October worked;
    # Mid-Autumn: 15-17 September off, Saturday 14 September worked.
    cal = WorkCalendar.china()
    assert not cal.is_working_day(D("2024-10-01"))
    assert cal.is_working_day(D("2024-09-29")) and cal.is_working_day(D("2024-10-12"))
    # September: 21 weekdays - 16, 17 + 14, 29 = 21; October: 23 - 1, 2, 3, 4, 7 + 12 = 19
    assert cal.working_days(D("2024-09-01"), D("2024-09-30")) == 21
    assert cal.working_days(D("2024-10-01"), D("2024-10-31")) == 19
    assert {2024, 2025, 2026} <= set(CN_HOLIDAY_YEARS)


def test_a_year_the_library_does_not_know_yet_has_weekends_only_unless_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A year past the library's schedules (2027 with chinesecalendar 1.11): weekends only;
    # holidays can be added in the settings (a newer library brings them without a release).
    year = max(CN_HOLIDAY_YEARS) + 1
    first, week = dt.date(year, 10, 1), dt.date(year, 10, 7)
    plain = WorkCalendar.weekends_only()
    assert work_calendar().working_days(first, week) == plain.working_days(first, week)
    weekdays = [d for d in (first + dt.timedelta(days=i) for i in range(7)) if d.weekday() < 5]
    saturday = next(
        first + dt.timedelta(days=i) for i in range(7) if (first.weekday() + i) % 7 == 5
    )
    monkeypatch.setenv("SALESOPS_EXTRA_HOLIDAYS", ",".join(d.isoformat() for d in weekdays[:2]))
    monkeypatch.setenv("SALESOPS_EXTRA_WORKDAYS", saturday.isoformat())
    assert work_calendar().working_days(first, week) == len(weekdays) - 2 + 1
    monkeypatch.setenv("SALESOPS_HOLIDAY_CALENDAR", "none")
    monkeypatch.delenv("SALESOPS_EXTRA_HOLIDAYS")
    monkeypatch.delenv("SALESOPS_EXTRA_WORKDAYS")
    assert work_calendar().working_days(D("2026-10-01"), D("2026-10-07")) == 5


def test_working_days_of_an_empty_range() -> None:
    assert WorkCalendar.china().working_days(D("2026-03-02"), D("2026-03-01")) == 0
