"""The customer base across the team (客户资源分布): is it spread evenly?

Per rep the scope sees, for a period [start, end] and as of its end D:

* ``customers`` — customers the rep owned on D (:func:`~salesops.customers.ownership.owners_as_of`:
  the ownership history, so a reassignment after D does not change the figure);
* ``tier_a`` / ``tier_b`` — of those, the ABC tier A / B customers (company-wide tiers,
  :mod:`salesops.analysis.tiers`, trailing 12 months to D);
* ``revenue`` — revenue of the rep's own normal orders dated in the period (the order's rep:
  a reassigned customer's past revenue stays with the rep who earned it);
* ``top10_share`` — the rep's ten largest customers' share of that revenue (concentration);
* against the team: ``customers`` and ``revenue`` divided by their mean over the reps listed.

And for the whole scope: customers without an owner (full scope only: a scoped caller sees
no customer without an owner) and owned customers without an order or activity in the
``silent_days`` up to D.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Date, Engine, and_, cast, func, select

from salesops.analysis.common import Filters, normalise_filters
from salesops.analysis.facts import conditions
from salesops.customers.ownership import owners_as_of
from salesops.db.schema import Activity, OrderHeader, Rep
from salesops.metrics.measures import time_expression
from salesops.metrics.scope import FULL_SCOPE, Scope, visible_reps


@dataclass(frozen=True)
class RepBase:
    rep_id: int
    rep: str
    customers: int
    tier_a: int
    tier_b: int
    revenue: Decimal
    top10_share: float | None
    customers_vs_avg: float | None
    revenue_vs_avg: float | None


@dataclass(frozen=True)
class Distribution:
    start: dt.date
    end: dt.date
    silent_days: int
    reps: list[RepBase]
    avg_customers: float | None
    avg_revenue: Decimal | None
    without_owner: int
    without_contact: int


def customer_distribution(
    engine: Engine,
    scope: Scope = FULL_SCOPE,
    filters: Filters | None = None,
    *,
    start: dt.date,
    end: dt.date,
    silent_days: int = 90,
) -> Distribution:
    """The figures above for the reps ``scope`` sees (filters narrow the revenue's orders)."""
    from salesops.analysis.tiers import value_tiers

    if start > end:
        raise ValueError(f"period start {start} is after its end {end}")
    if silent_days < 1:
        raise ValueError("silent_days must be at least 1")
    flt = normalise_filters(filters)
    owners = owners_as_of(end).subquery("owners")
    reps_q = select(Rep.id, Rep.name)
    seen = visible_reps(scope)
    if seen is not None:
        reps_q = reps_q.where(Rep.id.in_(seen))
    tiers = {r.customer_id: r.tier for r in value_tiers(engine, FULL_SCOPE, as_of=end).rows}
    head = OrderHeader
    revenue_q = (
        select(head.rep_id, head.customer_id, func.sum(head.amount).label("revenue"))
        .where(
            head.normal_lines > 0,
            head.order_date.between(start, end),
            head.rep_id.is_not(None),
            *conditions(head, scope, flt),
        )
        .group_by(head.rep_id, head.customer_id)
    )
    since = end - dt.timedelta(days=silent_days - 1)
    contacted = select(Activity.customer_id).where(
        Activity.customer_id.is_not(None),
        cast(time_expression("activity", "occurred_at", Activity.__table__), Date).between(
            since, end
        ),
    )
    ordered = select(head.customer_id).where(
        head.normal_lines > 0, head.order_date.between(since, end)
    )
    with engine.connect() as conn:
        reps = {int(r.id): str(r.name) for r in conn.execute(reps_q)}
        owned: dict[int, list[int]] = defaultdict(list)
        for r in conn.execute(select(owners.c.customer_id, owners.c.rep_id)):
            if r.rep_id is not None and int(r.rep_id) in reps:
                owned[int(r.rep_id)].append(int(r.customer_id))
        per_customer: dict[int, list[Decimal]] = defaultdict(list)
        for sold in conn.execute(revenue_q):
            if int(sold.rep_id or 0) in reps:
                per_customer[int(sold.rep_id or 0)].append(Decimal(sold.revenue or 0))
        without_owner = 0
        if scope.is_full:
            without_owner = int(
                conn.execute(
                    select(func.count()).select_from(owners).where(owners.c.rep_id.is_(None))
                ).scalar_one()
            )
        silent_q = (
            select(func.count())
            .select_from(owners)
            .where(
                owners.c.rep_id.in_(list(reps)) if reps else and_(owners.c.rep_id.is_(None)),
                ~owners.c.customer_id.in_(contacted),
                ~owners.c.customer_id.in_(ordered),
            )
        )
        without_contact = int(conn.execute(silent_q).scalar_one()) if reps else 0
    listed = [rid for rid in reps if owned.get(rid) or per_customer.get(rid)]
    n = len(listed)
    avg_c = sum(len(owned.get(r, [])) for r in listed) / n if n else None
    total_rev = sum((sum(per_customer.get(r, []), Decimal(0)) for r in listed), Decimal(0))
    avg_r = total_rev / n if n else None
    rows = []
    for rid in sorted(listed, key=lambda r: reps[r]):
        cust = owned.get(rid, [])
        amounts = sorted(per_customer.get(rid, []), reverse=True)
        revenue = sum(amounts, Decimal(0))
        top = sum(amounts[:10], Decimal(0))
        rows.append(
            RepBase(
                rep_id=rid,
                rep=reps[rid],
                customers=len(cust),
                tier_a=sum(1 for c in cust if tiers.get(c) == "A"),
                tier_b=sum(1 for c in cust if tiers.get(c) == "B"),
                revenue=revenue.quantize(Decimal("0.01")),
                top10_share=round(float(top / revenue), 4) if revenue > 0 else None,
                customers_vs_avg=round(len(cust) / avg_c, 4) if avg_c else None,
                revenue_vs_avg=round(float(revenue / avg_r), 4) if avg_r else None,
            )
        )
    return Distribution(
        start=start,
        end=end,
        silent_days=silent_days,
        reps=rows,
        avg_customers=round(avg_c, 2) if avg_c is not None else None,
        avg_revenue=avg_r.quantize(Decimal("0.01")) if avg_r is not None else None,
        without_owner=without_owner,
        without_contact=without_contact,
    )
