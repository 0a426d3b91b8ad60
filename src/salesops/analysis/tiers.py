"""ABC value tiers (客户价值分层) over the trailing 12 months.

Definition (docs/analyses.md):

* Window: normal orders with ``as_of - 1 year < order_date <= as_of`` (12 calendar months).
* Customers: every customer with a normal order in scope on or before ``as_of``; a customer whose
  orders are all older than the window is kept with revenue 0 (tier C), customers that never
  ordered are not tiered (they are *potential* in the lifecycle analysis).
* Rank customers by window revenue, descending, ties by customer id (deterministic). With
  ``before`` = the cumulative revenue of the customers ranked above, a customer is
  **A** when ``before < 80 %`` of total revenue (so the customer that crosses 80 % is in A),
  **B** when ``before < 95 %``, else **C**; a customer with revenue <= 0 is always C.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from sqlalchemy import CTE, Engine, case, func, literal, select

from salesops.analysis.common import (
    Filters,
    Money,
    NormalFilters,
    Result,
    money,
    normalise_filters,
    ratio,
    resolve_as_of,
    years_before,
)
from salesops.analysis.facts import check_applicable, orders
from salesops.db.schema import Customer
from salesops.metrics.scope import FULL_SCOPE, Scope

Tier = Literal["A", "B", "C"]
TIERS: tuple[Tier, ...] = ("A", "B", "C")
TIER_LABELS = {
    "A": ("A 类 (核心客户)", "A (top 80 % of revenue)"),
    "B": ("B 类 (重要客户)", "B (next 15 %)"),
    "C": ("C 类 (一般客户)", "C (the rest)"),
}


class TierCustomer(Result):
    customer_id: int
    customer: str
    rank: int
    revenue: Money
    orders: int
    share: float | None
    cumulative_share: float | None
    tier: Tier
    last_order_on: dt.date


class TierSummary(Result):
    tier: Tier
    name_zh: str
    name_en: str
    customers: int
    revenue: Money
    revenue_share: float | None
    customer_share: float | None


class TiersResult(Result):
    as_of: dt.date
    window_start: dt.date
    window_end: dt.date
    a_share: float
    b_share: float
    customers: int
    revenue: Money
    tiers: list[TierSummary]
    rows: list[TierCustomer]


def _ranked(
    scope: Scope,
    filters: NormalFilters,
    as_of: dt.date,
    start: dt.date,
    a_share: float,
    b_share: float,
) -> CTE:
    o = orders(scope, filters, until=as_of)
    in_window = o.c.order_date >= start
    per = (
        select(
            o.c.customer_id,
            func.sum(case((in_window, o.c.amount), else_=literal(Decimal("0")))).label("revenue"),
            func.count(case((in_window, literal(1)))).label("orders"),
            func.max(o.c.order_date).label("last_order_on"),
        )
        .group_by(o.c.customer_id)
        .cte("tier_customer")
    )
    order = (per.c.revenue.desc(), per.c.customer_id)
    cum = func.sum(per.c.revenue).over(order_by=order, rows=(None, 0))
    ranked = select(
        per.c.customer_id,
        per.c.revenue,
        per.c.orders,
        per.c.last_order_on,
        func.row_number().over(order_by=order).label("rank"),
        cum.label("cumulative"),
        func.sum(per.c.revenue).over().label("total"),
    ).cte("tier_ranked")
    before = ranked.c.cumulative - ranked.c.revenue
    tier = case(
        (ranked.c.revenue <= 0, "C"),
        (before < ranked.c.total * literal(Decimal(str(a_share))), "A"),
        (before < ranked.c.total * literal(Decimal(str(b_share))), "B"),
        else_="C",
    )
    return select(ranked, tier.label("tier")).cte("tier_result")


def value_tiers(
    engine: Engine,
    scope: Scope = FULL_SCOPE,
    filters: Filters | None = None,
    *,
    as_of: dt.date | None = None,
    a_share: float = 0.80,
    b_share: float = 0.95,
    limit: int | None = None,
) -> TiersResult:
    """ABC tiers of the customers in ``scope`` as of ``as_of`` (default today).

    ``rows`` lists customers by rank (at most ``limit`` when given); ``tiers`` summarises all.
    """
    flt = normalise_filters(filters)
    check_applicable(flt, ("order_header",), "tiers")
    day = resolve_as_of(as_of)
    start = years_before(day) + dt.timedelta(days=1)
    result = _ranked(scope, flt, day, start, a_share, b_share)
    summary_q = select(
        result.c.tier,
        func.count().label("customers"),
        func.sum(result.c.revenue).label("revenue"),
    ).group_by(result.c.tier)
    rows_q = (
        select(result, Customer.name)
        .join(Customer, Customer.id == result.c.customer_id)
        .order_by(result.c.rank)
        .limit(limit)
    )
    with engine.connect() as conn:
        summary = {r.tier: r for r in conn.execute(summary_q)}
        rows = conn.execute(rows_q).all()
    total_customers = sum(int(r.customers) for r in summary.values())
    total_revenue = money(sum((money(r.revenue) for r in summary.values()), Decimal(0)))
    tiers = [
        TierSummary(
            tier=t,
            name_zh=TIER_LABELS[t][0],
            name_en=TIER_LABELS[t][1],
            customers=int(summary[t].customers) if t in summary else 0,
            revenue=money(summary[t].revenue if t in summary else None),
            revenue_share=ratio(summary[t].revenue, total_revenue) if t in summary else None,
            customer_share=ratio(summary[t].customers, total_customers) if t in summary else None,
        )
        for t in TIERS
    ]
    return TiersResult(
        as_of=day,
        window_start=start,
        window_end=day,
        a_share=a_share,
        b_share=b_share,
        customers=total_customers,
        revenue=total_revenue,
        tiers=tiers,
        rows=[
            TierCustomer(
                customer_id=r.customer_id,
                customer=r.name,
                rank=int(r.rank),
                revenue=money(r.revenue),
                orders=int(r.orders),
                share=ratio(r.revenue, r.total),
                cumulative_share=ratio(r.cumulative, r.total),
                tier=r.tier,
                last_order_on=r.last_order_on,
            )
            for r in rows
        ],
    )
