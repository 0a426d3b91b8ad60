"""Credit grades and overdue ageing on hand-made payments, at each grade's boundary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from salesops.analysis.common import AnalysisError
from salesops.analysis.credit import CreditRules, credit_grades
from salesops.metrics.scope import Scope
from tests.analysis.data import build
from tests.conftest import Db

AS_OF = dt.date(2025, 6, 30)


def _data(db: Db) -> dict[str, int]:
    with build(db.engine) as b:
        b.rep("R1")
        b.rep("R2")
        limits = {"G1": 100000, "G2": 10000, "G3": 10000, "G4": 10000, "G7": 50000}
        for name in ("G1", "G2", "G3", "G4", "G5", "G6", "G7", "G8"):
            limit = limits.get(name)
            b.customer(name, credit_limit=Decimal(limit) if limit else None)

        def pay(cust: str, due: str, amount: int, paid: str | None = None, **kw: object) -> None:
            rep = "R1" if cust in ("G1", "G2", "G3") else "R2"
            region = "North" if cust in ("G5", "G6") else "South"
            paid_amount = kw.get("paid_amount", amount if paid else None)
            b.payment(cust, due, amount, paid=paid, paid_amount=paid_amount, rep=rep, region=region)  # type: ignore[arg-type]

        # G1: 9 of 10 on time, one 5 days late, nothing overdue -> A (on the A boundary)
        for month in range(1, 10):
            pay("G1", f"2024-{month:02d}-10", 100, f"2024-{month:02d}-10")
        pay("G1", "2025-03-10", 100, "2025-03-15")
        pay("G1", "2025-07-15", 100)  # not due yet
        pay("G1", "2025-06-30", 100)  # due on the as-of day: not due *before* it
        # G2: 3 of 4 on time, one paid 15 days late -> B
        for month in (1, 2, 3):
            pay("G2", f"2025-{month:02d}-10", 500, f"2025-{month:02d}-10")
        pay("G2", "2025-04-10", 500, "2025-04-25")
        # G3: 3 of 4 on time, 1000 unpaid for 10 days = 10 % of its limit -> B
        for month in (1, 2, 3):
            pay("G3", f"2025-{month:02d}-10", 500, f"2025-{month:02d}-05")
        pay("G3", "2025-06-20", 1000)
        # G4: the same with 1001 unpaid (just over 10 %) -> C
        for month in (1, 2, 3):
            pay("G4", f"2025-{month:02d}-10", 500, f"2025-{month:02d}-10")
        pay("G4", "2025-06-20", 1001)
        # G5 (no limit): 1 of 3 on time; 20000 unpaid 121 days, 300 unpaid 46 days -> D
        pay("G5", "2025-01-10", 700, "2025-01-01")
        pay("G5", "2025-03-01", 20000)
        pay("G5", "2025-05-15", 300)
        # G6 (no limit): 4 of 7 on time; paid 40 days late, 5000 unpaid 20 days, 2000 paid
        # only after the as-of day (29 days late at it) -> mean late 29.67, overdue 7000 -> C
        for month in (1, 2, 3, 4):
            pay("G6", f"2025-{month:02d}-10", 100, f"2025-{month:02d}-10")
        pay("G6", "2025-01-20", 100, "2025-03-01")
        pay("G6", "2025-06-10", 5000)
        pay("G6", "2025-06-01", 2000, "2025-07-05")
        # G7: paid 4000 of 10000 before the due day: not on time, 6000 overdue 90 days -> D
        pay("G7", "2025-04-01", 10000, "2025-03-25", paid_amount=4000)
        # G8: only a future payment: not graded
        pay("G8", "2025-08-01", 100)
        return dict(b.ids)


def test_credit_grades_and_numbers(db: Db) -> None:
    _data(db)
    result = credit_grades(db.engine, as_of=AS_OF)
    got = {
        r.customer: (r.grade, r.payments_due, r.on_time_share, r.mean_days_late, r.overdue_amount)
        for r in result.rows
    }
    assert got == {
        "G1": ("A", 10, 0.9, 5.0, Decimal("0.00")),
        "G2": ("B", 4, 0.75, 15.0, Decimal("0.00")),
        "G3": ("B", 4, 0.75, 10.0, Decimal("1000.00")),
        "G4": ("C", 4, 0.75, 10.0, Decimal("1001.00")),
        "G5": ("D", 3, 0.3333, 83.5, Decimal("20300.00")),
        "G6": ("C", 7, 0.5714, 29.67, Decimal("7000.00")),
        "G7": ("D", 1, 0.0, 90.0, Decimal("6000.00")),
    }
    # worst grade first, then the largest overdue amount
    assert [r.customer for r in result.rows] == ["G5", "G7", "G6", "G4", "G3", "G2", "G1"]
    g3 = next(r for r in result.rows if r.customer == "G3")
    assert (g3.credit_limit, g3.overdue_ratio) == (Decimal("10000.00"), 0.1)
    g5 = result.rows[0]
    assert g5.credit_limit is None and g5.overdue_ratio is None
    assert g5.ageing == {
        "1_30": Decimal("0.00"),
        "31_60": Decimal("300.00"),
        "61_90": Decimal("0.00"),
        "over_90": Decimal("20000.00"),
    }
    assert {g.grade: g.customers for g in result.grades} == {"A": 1, "B": 2, "C": 2, "D": 2}
    assert [(a.bucket, a.amount, a.payments) for a in result.ageing] == [
        ("1_30", Decimal("9001.00"), 4),
        ("31_60", Decimal("300.00"), 1),
        ("61_90", Decimal("6000.00"), 1),
        ("over_90", Decimal("20000.00"), 1),
    ]
    assert result.overdue_amount == Decimal("35301.00")
    assert (result.customers, result.overdue_customers) == (7, 5)


def test_credit_rules_are_parameters(db: Db) -> None:
    _data(db)
    strict = CreditRules(b_max_overdue_share=0.05)
    grades = {r.customer: r.grade for r in credit_grades(db.engine, as_of=AS_OF, rules=strict).rows}
    assert grades["G3"] == "C"
    only_d = credit_grades(db.engine, as_of=AS_OF, grade="D")
    assert [r.customer for r in only_d.rows] == ["G5", "G7"]
    with pytest.raises(AnalysisError):
        credit_grades(db.engine, as_of=AS_OF, grade="E")


def test_credit_scope_and_region_filter(db: Db) -> None:
    ids = _data(db)
    mine = credit_grades(db.engine, Scope.single_rep(ids["rep:R1"]), as_of=AS_OF)
    assert {r.customer: r.grade for r in mine.rows} == {"G1": "A", "G2": "B", "G3": "B"}
    assert mine.overdue_amount == Decimal("1000.00")
    north = credit_grades(db.engine, filters={"region": ["North"]}, as_of=AS_OF)
    assert {r.customer: r.grade for r in north.rows} == {"G5": "D", "G6": "C"}
    with pytest.raises(AnalysisError):
        credit_grades(db.engine, filters={"product": ["X"]}, as_of=AS_OF)


def test_credit_totals_cover_every_customer_whatever_the_rows_shown(db: Db) -> None:
    _data(db)
    full = credit_grades(db.engine, as_of=AS_OF)
    top = credit_grades(db.engine, as_of=AS_OF, limit=2)
    assert [r.customer for r in top.rows] == ["G5", "G7"]
    worst_c = credit_grades(db.engine, as_of=AS_OF, grade="C", limit=1)
    assert [r.customer for r in worst_c.rows] == ["G6"]
    assert credit_grades(db.engine, as_of=AS_OF, limit=0).rows == []
    for part in (top, worst_c):
        assert (part.grades, part.ageing) == (full.grades, full.ageing)
        assert (part.customers, part.overdue_customers) == (7, 5)
        assert part.overdue_amount == Decimal("35301.00")
    # no payment due yet: nothing graded, every total zero
    early = credit_grades(db.engine, as_of=dt.date(2000, 1, 1))
    assert (early.customers, early.overdue_customers, early.rows) == (0, 0, [])
    assert [g.customers for g in early.grades] == [0, 0, 0, 0]
    assert [(a.amount, a.payments) for a in early.ageing] == [(Decimal("0.00"), 0)] * 4
