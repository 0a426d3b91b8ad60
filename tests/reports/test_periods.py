"""Report periods: every label form, the comparisons, and clear errors for bad labels."""

from __future__ import annotations

import datetime as dt

import pytest

from salesops.reports.periods import PeriodError, iso_weeks, parse_period

TODAY = dt.date(2026, 12, 7)


@pytest.mark.parametrize(
    ("kind", "label", "start", "end"),
    [
        ("daily", "2026-12-01", "2026-12-01", "2026-12-01"),
        ("weekly", "2026-W48", "2026-11-23", "2026-11-29"),
        ("weekly", "2020-W53", "2020-12-28", "2021-01-03"),
        ("monthly", "2026-11", "2026-11-01", "2026-11-30"),
        ("monthly", "2024-02", "2024-02-01", "2024-02-29"),
        ("quarterly", "2026-Q4", "2026-10-01", "2026-12-31"),
        ("yearly", "2026", "2026-01-01", "2026-12-31"),
    ],
)
def test_labels(kind: str, label: str, start: str, end: str) -> None:
    p = parse_period(kind, label, TODAY)
    assert (p.start.isoformat(), p.end.isoformat()) == (start, end)
    assert p.label == label


def test_defaults_are_the_last_complete_period() -> None:
    assert parse_period("daily", None, TODAY).label == "2026-12-06"
    assert parse_period("weekly", "", TODAY).label == "2026-W49"
    assert parse_period("monthly", None, TODAY).label == "2026-11"
    assert parse_period("quarterly", None, TODAY).label == "2026-Q3"
    assert parse_period("yearly", None, TODAY).label == "2025"


def test_comparisons() -> None:
    w = parse_period("weekly", "2026-W01", TODAY)
    assert w.previous().label == "2025-W52"
    assert w.year_ago().label == "2025-W01"
    assert parse_period("weekly", "2026-W53", TODAY).year_ago().label == "2025-W52"
    assert parse_period("daily", "2028-02-29", TODAY).year_ago().label == "2027-02-28"
    q = parse_period("quarterly", "2026-Q1", TODAY)
    assert (q.previous().label, q.next().label, q.year_ago().label) == (
        "2025-Q4",
        "2026-Q2",
        "2025-Q1",
    )
    assert parse_period("monthly", "2026-01", TODAY).previous().label == "2025-12"


def test_week_53_only_when_the_year_has_it() -> None:
    assert (iso_weeks(2026), iso_weeks(2025), iso_weeks(2020)) == (53, 52, 53)
    assert parse_period("weekly", "2026-W53", TODAY).start == dt.date(2026, 12, 28)
    with pytest.raises(PeriodError, match="2025 has ISO weeks 1 to 52, not week 53"):
        parse_period("weekly", "2025-W53", TODAY)


@pytest.mark.parametrize(
    ("kind", "label", "message"),
    [
        ("weekly", "2026-W00", "ISO weeks 1 to 53"),
        ("weekly", "2026-W54", "ISO weeks 1 to 53"),
        ("monthly", "2026-13", "month must be 01 to 12"),
        ("quarterly", "2026-Q5", "quarter must be Q1 to Q4"),
        ("daily", "2026-02-30", "not a calendar date"),
        ("yearly", "1899", "between 1900 and 2999"),
        ("yearly", "3000", "between 1900 and 2999"),
        ("monthly", "0000-01", "between 1900 and 2999"),
        ("monthly", "2026-W48", "does not fit a monthly report; use e.g. 2026-11"),
        ("yearly", "twenty", "does not fit a yearly report"),
        ("hourly", "2026", "unknown report 'hourly'"),
    ],
)
def test_bad_labels(kind: str, label: str, message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        parse_period(kind, label, TODAY)
