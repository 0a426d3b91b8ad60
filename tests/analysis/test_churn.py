"""Churn warnings on hand-made data: each reason with its numbers, at its boundaries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from salesops.analysis.churn import churn_warnings
from salesops.analysis.common import AnalysisError
from salesops.metrics.scope import Scope
from tests.analysis.data import build
from tests.conftest import Db

AS_OF = dt.date(2025, 6, 30)  # current: 2025-04-02 .. 06-30, previous: 2025-01-02 .. 04-01
#: The plain rule (SPEC §4) whose boundaries these tests pin down; the B2B guards that the
#: defaults add (at least 3 previous orders; nobody silent for over a year) are tested below.
PLAIN: dict[str, Any] = {"min_orders": 1, "churned_after_days": None}


def _data(db: Db) -> dict[str, int]:
    with build(db.engine) as b:
        b.rep("R1")
        b.rep("R2")
        for name in ("K1", "K2", "K3", "K4", "K5", "K6", "K7"):
            b.customer(name)

        def o(no: str, day: str, cust: str, amount: int) -> None:
            rep = "R1" if cust == "K1" else "R2"
            b.order(no, day, cust, amount, rep=rep, region="East" if cust == "K1" else "West")

        # K1: revenue 12000 -> 3000 (-75 %), orders 2 -> 1 (-50 %)
        o("k1a", "2025-02-01", "K1", 6000)
        o("k1b", "2025-03-01", "K1", 6000)
        o("k1c", "2025-05-01", "K1", 3000)
        # K2: 1000 -> 600 (-40 %), each on a window's edge; visited yesterday
        o("k2a", "2025-04-01", "K2", 1000)
        o("k2b", "2025-04-02", "K2", 600)
        b.activity("K2", "2025-06-29", kind="visit", rep="R2")
        # K3: bought every 30 days until 2024-12-30, last called 2025-03-01 (121 days ago)
        for i, day in enumerate(("2024-10-01", "2024-10-31", "2024-11-30", "2024-12-30")):
            o(f"k3{i}", day, "K3", 1000)
        b.activity("K3", "2025-03-01", kind="call", rep="R1")
        # K4: one order only: no buying interval
        o("k4", "2024-01-01", "K4", 5000)
        # K5: orders 4 -> 2 (-50 %) while revenue grows 400 -> 600
        for i, day in enumerate(("2025-01-10", "2025-02-10", "2025-03-10", "2025-03-20")):
            o(f"k5{i}", day, "K5", 100)
        o("k5x", "2025-05-10", "K5", 300)
        o("k5y", "2025-06-20", "K5", 300)
        # K6: interval 40 days, silent exactly 80 days: not warned; K7: silent 81 days: warned
        o("k6a", "2025-03-02", "K6", 500)
        o("k6b", "2025-04-11", "K6", 500)
        o("k7a", "2025-03-01", "K7", 500)
        o("k7b", "2025-04-10", "K7", 500)
        return dict(b.ids)


def _reasons(result: Any) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    return {w.customer: [(r.reason, r.params) for r in w.reasons] for w in result.warnings}


def test_churn_warnings_with_reasons_and_numbers(db: Db) -> None:
    _data(db)
    result = churn_warnings(db.engine, as_of=AS_OF, **PLAIN)
    assert [w.customer for w in result.warnings] == ["K1", "K3", "K5", "K7"]
    assert [w.trailing_revenue for w in result.warnings] == [
        Decimal("15000.00"),
        Decimal("4000.00"),
        Decimal("1000.00"),
        Decimal("1000.00"),
    ]
    assert _reasons(result) == {
        "K1": [
            (
                "revenue_drop",
                {"previous": 12000.0, "current": 3000.0, "drop": 0.75, "window_days": 90},
            ),
            ("order_drop", {"previous": 2, "current": 1, "drop": 0.5, "window_days": 90}),
        ],
        "K3": [
            (
                "no_contact",
                {
                    "days_silent": 121,
                    "usual_interval_days": 30.0,
                    "threshold_days": 60.0,
                    "order_days": 4,
                },
            )
        ],
        "K5": [("order_drop", {"previous": 4, "current": 2, "drop": 0.5, "window_days": 90})],
        "K7": [
            (
                "no_contact",
                {
                    "days_silent": 81,
                    "usual_interval_days": 40.0,
                    "threshold_days": 80.0,
                    "order_days": 2,
                },
            )
        ],
    }
    k3 = result.warnings[1]
    assert (k3.last_order_on, k3.last_activity_on) == (dt.date(2024, 12, 30), dt.date(2025, 3, 1))
    assert result.customers_checked == 7
    assert result.warnings_count == 4
    assert result.revenue_at_risk == Decimal("21000.00")
    assert {r.reason: r.customers for r in result.reasons} == {
        "revenue_drop": 1,
        "order_drop": 2,
        "no_contact": 2,
    }


def test_churn_rep_scope_hides_other_reps_rows(db: Db) -> None:
    ids = _data(db)
    result = churn_warnings(db.engine, Scope.single_rep(ids["rep:R2"]), as_of=AS_OF, **PLAIN)
    assert [w.customer for w in result.warnings] == ["K3", "K5", "K7"]
    # K3's call was made by R1, invisible to R2: silent since the last order (182 days)
    k3 = result.warnings[0]
    assert k3.last_activity_on is None
    assert k3.reasons[0].params["days_silent"] == 182


def test_churn_filters(db: Db) -> None:
    _data(db)
    east = churn_warnings(db.engine, filters={"region": ["East"]}, as_of=AS_OF, **PLAIN)
    assert [w.customer for w in east.warnings] == ["K1"]
    # only calls count as contact: K2's visit no longer does, silent 89 days > 2 x 1 day
    calls = churn_warnings(db.engine, filters={"kind": ["call"]}, as_of=AS_OF, **PLAIN)
    k2 = next(w for w in calls.warnings if w.customer == "K2")
    assert k2.reasons[0].params == {
        "days_silent": 89,
        "usual_interval_days": 1.0,
        "threshold_days": 2.0,
        "order_days": 2,
    }
    with pytest.raises(AnalysisError):
        churn_warnings(db.engine, as_of=AS_OF, drop_threshold=0, **PLAIN)


def test_churn_totals_cover_every_customer_whatever_the_limit(db: Db) -> None:
    _data(db)
    full = churn_warnings(db.engine, as_of=AS_OF, **PLAIN)
    first = churn_warnings(db.engine, as_of=AS_OF, limit=1, **PLAIN)
    assert [w.customer for w in first.warnings] == [full.warnings[0].customer]
    assert (first.customers_checked, first.warnings_count) == (7, 4)
    assert first.revenue_at_risk == Decimal("21000.00")
    assert first.reasons == full.reasons
    none_shown = churn_warnings(db.engine, as_of=AS_OF, limit=0, **PLAIN)
    assert (none_shown.warnings, none_shown.warnings_count) == ([], 4)
    # K1 alone, before its drop: one customer checked, nobody warned
    calm = churn_warnings(
        db.engine, filters={"region": ["East"]}, as_of=dt.date(2025, 2, 15), **PLAIN
    )
    assert (calm.customers_checked, calm.warnings_count, calm.warnings) == (1, 0, [])
    assert calm.revenue_at_risk == Decimal("0.00")
    assert [r.customers for r in calm.reasons] == [0, 0, 0]
    # nobody at all in scope
    none = churn_warnings(
        db.engine, filters={"region": ["East"]}, as_of=dt.date(2024, 1, 1), **PLAIN
    )
    assert (none.customers_checked, none.warnings_count, none.warnings) == (0, 0, [])


def test_b2b_guards_lumpy_revenue_and_long_gone_customers(db: Db) -> None:
    """The defaults: a drop needs >= 3 orders in the previous window (and a revenue drop a
    quarter fewer orders too); a customer silent for more than 365 days has churned already."""
    with build(db.engine) as b:
        b.rep("R1")
        for name in ("L1", "L2", "L3", "L4", "L5"):
            b.customer(name)

        def o(no: str, day: str, cust: str, amount: int) -> None:
            b.order(no, day, cust, amount, rep="R1", region="East")

        # L1: one project order (10000) and nothing since: -100 %, but 1 previous order
        o("l1a", "2025-03-01", "L1", 10000)
        # L2: steady small orders (4 x 100) and a 10000 project before, the same 4 x 100 now:
        # revenue -96 %, but 5 -> 4 orders is not a quarter fewer (4 x 4 > 5 x 3): no warning
        for i, day in enumerate(("2025-01-10", "2025-02-10", "2025-03-10", "2025-03-20")):
            o(f"l2{i}", day, "L2", 100)
        o("l2p", "2025-02-15", "L2", 10000)
        for i, day in enumerate(("2025-04-10", "2025-05-10", "2025-06-10", "2025-06-20")):
            o(f"l2n{i}", day, "L2", 100)
        # L3: 4 orders (4000) -> 1 order (500): revenue -87.5 %, orders -75 %: warned for both;
        # and its interval is (05-01 - 01-10) / 4 = 27.75 days: silent 60 > 55.5 days too
        for i, day in enumerate(("2025-01-10", "2025-02-10", "2025-03-10", "2025-03-20")):
            o(f"l3{i}", day, "L3", 1000)
        o("l3n", "2025-05-01", "L3", 500)
        # L4: bought every 30 days until 2024-05-01: silent 425 days: churned, not warned
        for i, day in enumerate(("2024-02-01", "2024-03-02", "2024-04-01", "2024-05-01")):
            o(f"l4{i}", day, "L4", 1000)
        # L5: same rhythm until 2024-08-01: silent 333 days (> 2 x 30, <= 365): warned
        for i, day in enumerate(("2024-05-03", "2024-06-02", "2024-07-02", "2024-08-01")):
            o(f"l5{i}", day, "L5", 1000)
    guarded = _reasons(churn_warnings(db.engine, as_of=AS_OF))
    assert {c: [r for r, _ in rs] for c, rs in guarded.items()} == {
        "L3": ["revenue_drop", "order_drop", "no_contact"],
        "L5": ["no_contact"],
    }
    assert guarded["L3"][0][1] == {
        "previous": 4000.0,
        "current": 500.0,
        "drop": 0.875,
        "window_days": 90,
    }
    plain = _reasons(churn_warnings(db.engine, as_of=AS_OF, **PLAIN))
    assert {c: [r for r, _ in rs] for c, rs in plain.items()} == {
        "L1": ["revenue_drop", "order_drop"],
        "L2": ["revenue_drop"],
        "L3": ["revenue_drop", "order_drop", "no_contact"],
        "L4": ["no_contact"],
        "L5": ["no_contact"],
    }
    with pytest.raises(AnalysisError):
        churn_warnings(db.engine, as_of=AS_OF, min_orders=0)
