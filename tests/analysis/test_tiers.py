"""ABC value tiers on hand-made data, with the expected tiers written out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from salesops.analysis.common import AnalysisError
from salesops.analysis.tiers import value_tiers
from salesops.metrics.scope import Scope
from tests.analysis.data import build
from tests.conftest import Db

AS_OF = dt.date(2025, 6, 30)  # window: 2024-07-01 .. 2025-06-30


def _data(db: Db) -> dict[str, int]:
    with build(db.engine) as b:
        b.team("T")
        b.team("T2", parent="T")
        b.rep("R1", team="T")
        b.rep("R2", team="T2")
        b.product("HW", "Hardware")
        b.product("SW", "Software")
        for name in ("C1", "C2", "C3", "C4", "C5", "C6", "C7"):
            b.customer(name)
        # C1: 5000 in two orders, one of them with two lines
        b.order("O1", "2025-01-10", "C1", 2000, rep="R1", region="East", product="HW")
        b.order("O1", "2025-01-10", "C1", 1000, rep="R1", region="East", product="SW", line_no=2)
        b.order("O2", "2025-05-01", "C1", 2000, rep="R1", region="East", product="HW")
        # C2: 3000 on the first day of the window
        b.order("O3", "2024-07-01", "C2", 3000, rep="R1", region="East")
        # C3: 1000 on the as-of day; an order after as-of does not count
        b.order("O4", "2025-06-30", "C3", 1000, rep="R2", region="East")
        b.order("O5", "2025-07-01", "C3", 9999, rep="R2", region="East")
        # C4 and C5 tie at 500 (C4 ranks first: lower id); C4's cancelled line is not revenue
        b.order("O6", "2025-03-01", "C4", 500, rep="R2", region="West")
        b.order(
            "O6", "2025-03-01", "C4", 700, rep="R2", region="West", status="cancelled", line_no=2
        )
        b.order("O7", "2025-03-01", "C5", 500, rep="R2", region="West")
        # C6 bought only the day before the window opened: revenue 0, tier C
        b.order("O8", "2024-06-30", "C6", 800, rep="R2", region="West")
        # C7 never ordered: not tiered
        return dict(b.ids)


def test_tiers_cumulative_share_and_boundaries(db: Db) -> None:
    _data(db)
    result = value_tiers(db.engine, as_of=AS_OF)
    assert result.window_start == dt.date(2024, 7, 1)
    assert result.revenue == Decimal("10000.00")
    got = [(r.customer, r.rank, r.revenue, r.orders, r.tier) for r in result.rows]
    assert got == [
        ("C1", 1, Decimal("5000.00"), 2, "A"),  # before 0 %
        ("C2", 2, Decimal("3000.00"), 1, "A"),  # before 50 %, reaches exactly 80 %
        ("C3", 3, Decimal("1000.00"), 1, "B"),  # before 80 %: not below 80 % -> B
        ("C4", 4, Decimal("500.00"), 1, "B"),  # before 90 %
        ("C5", 5, Decimal("500.00"), 1, "C"),  # before 95 %
        ("C6", 6, Decimal("0.00"), 0, "C"),  # bought before the window only
    ]
    assert [r.cumulative_share for r in result.rows] == [0.5, 0.8, 0.9, 0.95, 1.0, 1.0]
    assert result.rows[5].last_order_on == dt.date(2024, 6, 30)
    summary = {t.tier: (t.customers, t.revenue, t.revenue_share) for t in result.tiers}
    assert summary == {
        "A": (2, Decimal("8000.00"), 0.8),
        "B": (2, Decimal("1500.00"), 0.15),
        "C": (2, Decimal("500.00"), 0.05),
    }
    assert result.customers == 6


def test_tiers_limit_keeps_the_summary_whole(db: Db) -> None:
    _data(db)
    result = value_tiers(db.engine, as_of=AS_OF, limit=2)
    assert [r.customer for r in result.rows] == ["C1", "C2"]
    assert result.customers == 6


def test_tiers_rep_scope_sees_only_its_own_customers(db: Db) -> None:
    ids = _data(db)
    result = value_tiers(db.engine, Scope.single_rep(ids["rep:R2"]), as_of=AS_OF)
    # C3 1000, C4 500, C5 500 of 2000: before 0 %, 50 %, 75 % -> all A; C6 -> C
    assert [(r.customer, r.tier) for r in result.rows] == [
        ("C3", "A"),
        ("C4", "A"),
        ("C5", "A"),
        ("C6", "C"),
    ]
    assert result.revenue == Decimal("2000.00")


def test_tiers_org_subtree_scope(db: Db) -> None:
    ids = _data(db)
    sub = value_tiers(db.engine, Scope.subtree(ids["team:T2"]), as_of=AS_OF)
    assert [r.customer for r in sub.rows] == ["C3", "C4", "C5", "C6"]
    whole = value_tiers(db.engine, Scope.subtree(ids["team:T"]), as_of=AS_OF)
    assert whole.customers == 6 and whole.revenue == Decimal("10000.00")


def test_tiers_region_and_product_line_filters(db: Db) -> None:
    _data(db)
    east = value_tiers(db.engine, filters={"region": ["East"]}, as_of=AS_OF)
    # 5000 + 3000 + 1000 = 9000: C2 starts at 55.6 % -> A, C3 at 88.9 % -> B
    assert [(r.customer, r.tier) for r in east.rows] == [("C1", "A"), ("C2", "A"), ("C3", "B")]
    software = value_tiers(db.engine, filters={"product_line": ["Software"]}, as_of=AS_OF)
    assert [(r.customer, r.revenue, r.orders) for r in software.rows] == [
        ("C1", Decimal("1000.00"), 1)
    ]


def test_tiers_reject_unknown_and_inapplicable_dimensions(db: Db) -> None:
    with pytest.raises(AnalysisError, match="unknown dimension"):
        value_tiers(db.engine, filters={"colour": ["red"]}, as_of=AS_OF)
    with pytest.raises(AnalysisError, match="does not apply"):
        value_tiers(db.engine, filters={"competitor": ["Acme"]}, as_of=AS_OF)
