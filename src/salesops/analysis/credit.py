"""Credit grades A-D (信用等级) and overdue receivables ageing (逾期应收账龄), as of a date.

Definition (docs/analyses.md), as of D, over the payments (回款计划) in scope with a due amount
> 0 and ``due_date < D``. A payment counts as paid by D only when ``paid_date <= D`` (its
``paid_amount``, or the due amount when the paid amount is empty):

* **on time** — paid in full (paid >= due) with ``paid_date <= due_date``;
* **outstanding** — ``max(due - paid by D, 0)``; a payment with an outstanding amount is overdue;
* **days late** of a payment that is not on time — ``paid_date - due_date`` when it was paid in
  full by D, else ``D - due_date``;
* per customer: on-time share = on-time payments / payments due; mean days late over the
  payments not on time (0 when there are none); overdue = sum of outstanding amounts; the
  overdue ratio = overdue / ``credit_limit`` when the customer has a positive limit.

Grades (first rule that holds; thresholds are :class:`CreditRules` fields):

* **A** on-time share >= 90 %, mean days late <= 5 and nothing overdue;
* **B** on-time share >= 75 %, mean days late <= 15 and overdue <= 10 % of the credit limit
  (without a limit: overdue <= 10,000);
* **C** on-time share >= 50 %, mean days late <= 45 and overdue <= 50 % of the credit limit
  (without a limit: overdue <= 100,000);
* **D** otherwise.

Ageing buckets sort each outstanding amount by ``D - due_date``: 1-30, 31-60, 61-90, > 90 days.
Every comparison is exact (counts and sums multiplied out, no rounded ratios).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import (
    CTE,
    ColumnElement,
    Date,
    Engine,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    true,
)

from salesops.analysis.common import (
    AnalysisError,
    Filters,
    Money,
    NormalFilters,
    Result,
    as_float,
    money,
    normalise_filters,
    ratio,
    resolve_as_of,
)
from salesops.analysis.facts import check_applicable, conditions
from salesops.db.schema import Customer, Payment
from salesops.metrics.scope import FULL_SCOPE, Scope

Grade = Literal["A", "B", "C", "D"]
GRADES: dict[str, tuple[str, str]] = {
    "A": ("A 级 (优)", "A (excellent)"),
    "B": ("B 级 (良)", "B (good)"),
    "C": ("C 级 (关注)", "C (watch)"),
    "D": ("D 级 (高风险)", "D (high risk)"),
}
#: Ageing bucket id -> (lowest, highest days overdue; None = open-ended).
AGEING: dict[str, tuple[int, int | None]] = {
    "1_30": (1, 30),
    "31_60": (31, 60),
    "61_90": (61, 90),
    "over_90": (91, None),
}


@dataclass(frozen=True)
class CreditRules:
    """The grading thresholds (shares are fractions, amounts in the data's currency)."""

    a_on_time: float = 0.90
    a_max_days_late: float = 5
    b_on_time: float = 0.75
    b_max_days_late: float = 15
    b_max_overdue_share: float = 0.10
    b_max_overdue_amount: float = 10_000
    c_on_time: float = 0.50
    c_max_days_late: float = 45
    c_max_overdue_share: float = 0.50
    c_max_overdue_amount: float = 100_000


class AgeingBucket(Result):
    bucket: str
    min_days: int
    max_days: int | None
    amount: Money
    payments: int


class CreditCustomer(Result):
    customer_id: int
    customer: str
    grade: Grade
    payments_due: int
    on_time: int
    on_time_share: float | None
    mean_days_late: float | None
    overdue_amount: Money
    credit_limit: Money | None
    overdue_ratio: float | None
    ageing: dict[str, Money]


class CreditGradeCount(Result):
    grade: Grade
    name_zh: str
    name_en: str
    customers: int
    overdue_amount: Money


class CreditResult(Result):
    as_of: dt.date
    rules: dict[str, float]
    customers: int
    overdue_amount: Money
    overdue_customers: int
    grades: list[CreditGradeCount]
    ageing: list[AgeingBucket]
    rows: list[CreditCustomer]


def _dec(value: float) -> ColumnElement[Any]:
    return literal(Decimal(str(value)))


def _payments(scope: Scope, filters: NormalFilters, day: dt.date) -> CTE:
    pay = Payment
    d = literal(day, Date)
    due = pay.due_amount
    paid_by = case(
        (pay.paid_date <= day, func.coalesce(pay.paid_amount, due)), else_=literal(Decimal("0"))
    )
    outstanding = case((due - paid_by > 0, due - paid_by), else_=literal(Decimal("0")))
    on_time = and_(
        pay.paid_date.is_not(None),
        pay.paid_date <= pay.due_date,
        func.coalesce(pay.paid_amount, due) >= due,
    )
    days_late = case(
        (on_time, None),
        (outstanding <= 0, pay.paid_date - pay.due_date),
        else_=d - pay.due_date,
    )
    return (
        select(
            pay.customer_id,
            case((on_time, 1), else_=0).label("on_time"),
            days_late.label("days_late"),
            outstanding.label("outstanding"),
            (d - pay.due_date).label("days_overdue"),
        )
        .where(
            pay.customer_id.is_not(None),
            pay.due_date < day,
            due > 0,
            *conditions(pay, scope, filters),
        )
        .cte("credit_payment")
    )


def _in_bucket(p: Any, low: int, high: int | None) -> ColumnElement[bool]:
    parts = [p.outstanding > 0, p.days_overdue >= low]
    if high is not None:
        parts.append(p.days_overdue <= high)
    return and_(*parts)


def _graded(payments: CTE, rules: CreditRules) -> CTE:
    p = payments.c
    zero = literal(Decimal("0"))
    ageing = [
        func.sum(case((_in_bucket(p, low, high), p.outstanding), else_=zero)).label(f"age_{b}")
        for b, (low, high) in AGEING.items()
    ]
    ageing_count = [
        func.sum(case((_in_bucket(p, low, high), 1), else_=0)).label(f"n_{b}")
        for b, (low, high) in AGEING.items()
    ]
    per = (
        select(
            p.customer_id,
            func.count().label("due_count"),
            func.sum(p.on_time).label("on_time"),
            func.count(p.days_late).label("late_count"),
            func.sum(p.days_late).label("late_days"),
            func.sum(p.outstanding).label("overdue"),
            *ageing,
            *ageing_count,
        )
        .group_by(p.customer_id)
        .cte("credit_customer")
    )
    c = per.c
    limit = Customer.credit_limit
    late_days = func.coalesce(c.late_days, 0)

    def rule(on_time: float, days: float, share: float | None, amount: float | None) -> Any:
        parts = [c.on_time >= c.due_count * _dec(on_time), late_days <= c.late_count * _dec(days)]
        if share is None:
            parts.append(c.overdue <= 0)
        else:
            parts.append(
                or_(
                    c.overdue <= 0,
                    and_(limit > 0, c.overdue <= limit * _dec(share)),
                    and_(or_(limit.is_(None), limit <= 0), c.overdue <= _dec(amount or 0)),
                )
            )
        return and_(*parts)

    grade = case(
        (rule(rules.a_on_time, rules.a_max_days_late, None, None), "A"),
        (
            rule(
                rules.b_on_time,
                rules.b_max_days_late,
                rules.b_max_overdue_share,
                rules.b_max_overdue_amount,
            ),
            "B",
        ),
        (
            rule(
                rules.c_on_time,
                rules.c_max_days_late,
                rules.c_max_overdue_share,
                rules.c_max_overdue_amount,
            ),
            "C",
        ),
        else_="D",
    )
    return (
        select(per, Customer.name, limit.label("credit_limit"), grade.label("grade"))
        .join(Customer, Customer.id == c.customer_id)
        .cte("credit_graded")
    )


def credit_grades(
    engine: Engine,
    scope: Scope = FULL_SCOPE,
    filters: Filters | None = None,
    *,
    as_of: dt.date | None = None,
    rules: CreditRules | None = None,
    grade: str | None = None,
    limit: int | None = None,
) -> CreditResult:
    """Credit grade and overdue ageing of every customer with payments due before ``as_of``.

    ``rows`` (optionally one ``grade``, at most ``limit``) go from D to A, then by overdue
    amount (largest first); the grade counts and the ageing buckets cover every customer.
    """
    if grade is not None and grade not in GRADES:
        raise AnalysisError(f"unknown credit grade {grade!r}; known: A, B, C, D")
    rules = rules or CreditRules()
    flt = normalise_filters(filters)
    check_applicable(flt, ("payment",), "credit")
    day = resolve_as_of(as_of)
    table = _graded(_payments(scope, flt, day), rules)
    graded = table.c
    # One statement, so the payments are read once: every customer's grade with the totals
    # per grade and over all customers (window sums); the wanted rows, ranked, plus the first
    # row of each grade to carry its totals.
    by = graded.grade
    order = (graded.overdue.desc(), graded.customer_id)
    counted = select(
        table,
        func.count().over(partition_by=by).label("grade_n"),
        func.sum(graded.overdue).over(partition_by=by).label("grade_overdue"),
        func.sum(case((graded.overdue > 0, 1), else_=0)).over(partition_by=by).label("grade_late"),
        *(func.sum(graded[f"n_{b}"]).over().label(f"all_n_{b}") for b in AGEING),
        *(func.sum(graded[f"age_{b}"]).over().label(f"all_age_{b}") for b in AGEING),
        func.row_number().over(order_by=order, partition_by=by).label("grade_rn"),
        func.row_number().over(order_by=(graded.grade.desc(), *order)).label("rn"),
    ).subquery("credit_ranked")
    c = counted.c
    rank = c.rn if grade is None else c.grade_rn
    wanted = true() if grade is None else c.grade == grade
    if limit is not None:
        wanted = and_(wanted, rank <= limit)
    with engine.connect() as conn:
        found = conn.execute(
            select(counted, rank.label("rank"), wanted.label("wanted")).where(
                or_(c.grade_rn == 1, wanted)
            )
        ).all()
    by_grade = {r.grade: r for r in found if r.grade_rn == 1}
    rows = sorted((r for r in found if r.wanted), key=lambda r: int(r.rank))
    ageing = found[0] if found else None

    def total(name: str) -> Any:
        return getattr(ageing, f"all_{name}") if ageing is not None else None

    return CreditResult(
        as_of=day,
        rules={k: float(v) for k, v in asdict(rules).items()},
        customers=sum(int(r.grade_n) for r in by_grade.values()),
        overdue_amount=money(sum((money(r.grade_overdue) for r in by_grade.values()), Decimal(0))),
        overdue_customers=sum(int(r.grade_late) for r in by_grade.values()),
        grades=[
            CreditGradeCount(
                grade=g,  # type: ignore[arg-type]
                name_zh=zh,
                name_en=en,
                customers=int(by_grade[g].grade_n) if g in by_grade else 0,
                overdue_amount=money(by_grade[g].grade_overdue if g in by_grade else None),
            )
            for g, (zh, en) in GRADES.items()
        ],
        ageing=[
            AgeingBucket(
                bucket=b,
                min_days=low,
                max_days=high,
                amount=money(total(f"age_{b}")),
                payments=int(total(f"n_{b}") or 0),
            )
            for b, (low, high) in AGEING.items()
        ],
        rows=[_row(r) for r in rows],
    )


def _row(r: Any) -> CreditCustomer:
    limit = money(r.credit_limit) if r.credit_limit is not None else None
    return CreditCustomer(
        customer_id=r.customer_id,
        customer=r.name,
        grade=r.grade,
        payments_due=int(r.due_count),
        on_time=int(r.on_time),
        on_time_share=ratio(r.on_time, r.due_count),
        mean_days_late=as_float(Decimal(int(r.late_days)) / r.late_count) if r.late_count else None,
        overdue_amount=money(r.overdue),
        credit_limit=limit,
        overdue_ratio=ratio(r.overdue, limit) if limit else None,
        ageing={b: money(getattr(r, f"age_{b}")) for b in AGEING},
    )
