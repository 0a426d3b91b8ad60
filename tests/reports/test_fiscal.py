"""Fiscal quarters and years in reviews (``FY2026-Q1``, ``FY2026``, named like the filter bar
and the targets): periods by hand, and a fiscal-quarter target found by the quarterly review."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from salesops.config import get_settings
from salesops.db.engine import session_scope
from salesops.db.schema import Target
from salesops.reports.assemble import build_report
from salesops.reports.periods import PeriodError, containing, default_period, parse_period
from tests.conftest import Db
from tests.web.data import seed

D = dt.date.fromisoformat


@pytest.fixture
def april(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESOPS_FISCAL_YEAR_START_MONTH", "4")
    get_settings.cache_clear()


def test_fiscal_labels_with_an_april_year(april: None) -> None:
    today = D("2026-06-15")
    q = parse_period("quarterly", "FY2026-Q2", today)
    assert (q.start, q.end, q.label) == (D("2026-07-01"), D("2026-09-30"), "FY2026-Q2")
    y = parse_period("yearly", "fy2026", today)
    assert (y.start, y.end, y.label) == (D("2026-04-01"), D("2027-03-31"), "FY2026")
    q4 = parse_period("quarterly", "FY2025-Q4", today)
    assert (q4.start, q4.end) == (D("2026-01-01"), D("2026-03-31"))
    assert q4.next().label == "FY2026-Q1" and q4.previous().label == "FY2025-Q3"
    assert q4.year_ago().label == "FY2024-Q4" and q4.year_ago().start == D("2025-01-01")
    assert y.previous().label == "FY2025" and y.previous().start == D("2025-04-01")
    # the last complete fiscal quarter and year before 15 June 2026
    assert default_period("quarterly", today, 4).label == "FY2025-Q4"
    assert default_period("yearly", today, 4).label == "FY2025"
    # calendar labels stay calendar
    assert parse_period("quarterly", "2026-Q2", today).start == D("2026-04-01")
    assert parse_period("quarterly", "2026-Q1", today).label == "2026-Q1"
    for bad, kind in (("FY2026-Q5", "quarterly"), ("FY2026-Q1", "yearly"), ("FY26", "yearly")):
        with pytest.raises(PeriodError):
            parse_period(kind, bad, today)
    # a January fiscal year is the calendar year
    assert containing("quarterly", D("2026-05-05"), 1).label == "2026-Q2"


def test_a_fiscal_quarter_review_finds_its_target(db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fiscal year from February: FY2026-Q1 is February-April 2026. Revenue by hand from the
    board tests' company: 80,000 (O-2602, 20 Feb) + 200,000 (O-2603, 10 Mar) + 50,000 (O-2604,
    5 Apr) = 330,000; the quarter before (Nov 2025-Jan 2026): 120,000 + 30,000 = 150,000; a year
    before (Feb-Apr 2025): 100,000. Target 400,000 → 82.5 %."""
    monkeypatch.setenv("SALESOPS_FISCAL_YEAR_START_MONTH", "2")
    get_settings.cache_clear()
    seed(db.engine)
    with session_scope(db.engine) as s:
        s.add(
            Target(
                external_id="T-FY2026-Q1", metric="revenue", period_grain="quarter",
                period_start=D("2026-02-01"), scope_kind="company", value=Decimal(400_000),
            )
        )  # fmt: skip
    r = build_report(db.engine, "quarterly", "FY2026-Q1", "company", "en", today=D("2026-06-15"))
    assert r.title == "Quarterly review · FY2026-Q1 · Company"
    assert (r.period.start, r.period.end) == (D("2026-02-01"), D("2026-04-30"))
    head = r.section("headline")
    assert head is not None
    revenue = next(row for row in head.rows if row["metric_id"] == "revenue")
    assert revenue["value"] == 330_000
    assert revenue["previous"] == 150_000 and revenue["year_ago"] == 100_000
    assert revenue["target"] == 400_000 and revenue["attainment_pct"] == pytest.approx(0.825)
    attainment = r.section("attainment")
    assert attainment is not None
    assert [(row["target"], row["actual"]) for row in attainment.rows] == [(400_000, 330_000)]
