"""Churn warnings (流失预警): which customers are slipping away, why, and with what numbers.

Definition (docs/analyses.md), as of ``as_of`` = D, over customers with a normal order in scope
on or before D; "current" is the last W = 90 days ``(D - 90, D]``, "previous" the W days before
``(D - 180, D - 90]``:

* ``revenue_drop`` — at least ``min_orders`` (3) orders in the previous window, previous
  revenue > 0, current <= (1 - 50 %) x previous, and (when ``min_orders`` > 1) at most
  three quarters as many orders as before;
* ``order_drop`` — at least ``min_orders`` (3) previous orders and current orders
  <= (1 - 50 %) x previous;
* ``no_contact`` — the customer's usual buying interval is the mean gap between its consecutive
  order *days* (needs >= 2 distinct order days): (last - first) / (days - 1). Warned when the
  days since the last order or activity (in scope, on or before D) exceed 2 x that interval,
  and are at most ``churned_after_days`` (365, the lifecycle's churned line).

Why the two guards (issue #19, "believable warnings"): B2B revenue is lumpy — one project order
in a quarter and none in the next is the normal rhythm of a healthy account, not a warning, so a
drop needs a customer that bought at least three times in the previous window; and a customer
silent for more than a year has churned already (the lifecycle says so) — a warning is for
customers that can still be kept. ``min_orders=1, churned_after_days=None`` is the plain rule.

A customer may have several reasons. Each warning carries the customer's revenue in the trailing
12 months (``D - 1 year < order_date <= D``); warnings are sorted by it, highest first.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import CTE, Date, Engine, Integer, and_, case, cast, func, literal, or_, select

from salesops.analysis.common import (
    AnalysisError,
    Filters,
    Money,
    NormalFilters,
    Result,
    money,
    normalise_filters,
    resolve_as_of,
    years_before,
)
from salesops.analysis.facts import check_applicable, conditions, orders
from salesops.db.schema import Activity, Customer
from salesops.metrics.scope import FULL_SCOPE, Scope

Reason = Literal["revenue_drop", "order_drop", "no_contact"]
REASONS: dict[str, tuple[str, str]] = {
    "revenue_drop": ("销售额下降", "Revenue dropped"),
    "order_drop": ("订单数下降", "Orders dropped"),
    "no_contact": ("超期未联系", "No order or contact for too long"),
}
ParamValue = float | int | str | None


class ChurnReason(Result):
    reason: Reason
    params: dict[str, ParamValue]


class ChurnWarning(Result):
    customer_id: int
    customer: str
    trailing_revenue: Money
    last_order_on: dt.date
    last_activity_on: dt.date | None
    reasons: list[ChurnReason]


class ChurnReasonCount(Result):
    reason: Reason
    name_zh: str
    name_en: str
    customers: int


class ChurnResult(Result):
    as_of: dt.date
    window_days: int
    drop_threshold: float
    silence_factor: float
    customers_checked: int
    warnings_count: int
    revenue_at_risk: Money
    reasons: list[ChurnReasonCount]
    warnings: list[ChurnWarning]


def _flagged(
    scope: Scope,
    filters: NormalFilters,
    day: dt.date,
    window: int,
    drop: Decimal,
    factor: Decimal,
    min_orders: int = 1,
    churned_after: int | None = None,
) -> CTE:
    o = orders(scope, filters, until=day)
    cur_start = day - dt.timedelta(days=window - 1)
    prev_start = day - dt.timedelta(days=2 * window - 1)
    year_start = years_before(day) + dt.timedelta(days=1)
    zero = literal(Decimal("0"))
    current = o.c.order_date >= cur_start
    previous = (o.c.order_date >= prev_start) & (o.c.order_date < cur_start)
    per = (
        select(
            o.c.customer_id,
            func.sum(case((current, o.c.amount), else_=zero)).label("rev_cur"),
            func.sum(case((previous, o.c.amount), else_=zero)).label("rev_prev"),
            func.count(case((current, literal(1)))).label("orders_cur"),
            func.count(case((previous, literal(1)))).label("orders_prev"),
            func.sum(case((o.c.order_date >= year_start, o.c.amount), else_=zero)).label(
                "trailing"
            ),
            func.min(o.c.order_date).label("first_order_on"),
            func.max(o.c.order_date).label("last_order_on"),
            func.count(func.distinct(o.c.order_date)).label("order_days"),
        )
        .group_by(o.c.customer_id)
        .cte("churn_orders")
    )
    act = Activity
    contacted = (
        select(
            act.customer_id,
            cast(func.max(act.occurred_at), Date).label("last_activity_on"),
        )
        .where(
            act.customer_id.is_not(None),
            act.occurred_at < dt.datetime.combine(day + dt.timedelta(days=1), dt.time()),
            *conditions(act, scope, filters),
        )
        .group_by(act.customer_id)
        .cte("churn_activity")
    )
    last_contact = case(
        (
            contacted.c.last_activity_on > per.c.last_order_on,
            contacted.c.last_activity_on,
        ),
        else_=per.c.last_order_on,
    )
    d = literal(day, Date)
    silent = d - last_contact
    span = per.c.last_order_on - per.c.first_order_on
    keep = literal(Decimal(1) - drop)
    regular = per.c.orders_prev >= max(min_orders, 1)
    revenue_drop = regular & (per.c.rev_prev > 0) & (per.c.rev_cur <= per.c.rev_prev * keep)
    if min_orders > 1:
        # ... and the customer ordered at least a quarter less often: one project order
        # fewer among steady small orders is not a warning
        revenue_drop = revenue_drop & (per.c.orders_cur * 4 <= per.c.orders_prev * 3)
    order_drop = regular & (per.c.orders_cur <= per.c.orders_prev * keep)
    # silent > factor * span / (days - 1), multiplied out to stay exact
    no_contact = (per.c.order_days >= 2) & (
        silent * (per.c.order_days - 1) > span * literal(factor)
    )
    if churned_after is not None:
        no_contact = no_contact & (silent <= churned_after)
    return (
        select(
            per,
            contacted.c.last_activity_on,
            silent.label("days_silent"),
            span.label("span_days"),
            revenue_drop.label("revenue_drop"),
            order_drop.label("order_drop"),
            no_contact.label("no_contact"),
            or_(revenue_drop, order_drop, no_contact).label("warned"),
        )
        .select_from(per)
        .outerjoin(contacted, contacted.c.customer_id == per.c.customer_id)
        .cte("churn_flags")
    )


def churn_warnings(
    engine: Engine,
    scope: Scope = FULL_SCOPE,
    filters: Filters | None = None,
    *,
    as_of: dt.date | None = None,
    window_days: int = 90,
    drop_threshold: float = 0.5,
    silence_factor: float = 2.0,
    limit: int | None = None,
    min_orders: int = 3,
    churned_after_days: int | None = 365,
) -> ChurnResult:
    """Churn warnings for the customers in ``scope`` as of ``as_of`` (default today).

    ``warnings`` are sorted by trailing-12-month revenue (highest first), at most ``limit``.
    ``min_orders`` and ``churned_after_days`` are the B2B guards of the module docstring.
    """
    if window_days < 1 or not 0 < drop_threshold <= 1 or silence_factor <= 0:
        raise AnalysisError("need window_days >= 1, 0 < drop_threshold <= 1, silence_factor > 0")
    if min_orders < 1 or (churned_after_days is not None and churned_after_days < 1):
        raise AnalysisError("need min_orders >= 1 and churned_after_days >= 1 (or none)")
    flt = normalise_filters(filters)
    check_applicable(flt, ("order_header", "activity"), "churn")
    day = resolve_as_of(as_of)
    drop = Decimal(str(drop_threshold))
    factor = Decimal(str(silence_factor))
    flags = _flagged(scope, flt, day, window_days, drop, factor, min_orders, churned_after_days)

    def total(value: Any) -> Any:
        return func.sum(value).over()

    # One statement, so the orders are read once: every customer's flags with the totals over
    # all of them (window sums); the warned customers, ranked, plus one row of the others to
    # carry the totals when nobody is warned.
    counted = select(
        flags,
        Customer.name,
        func.count().over().label("n_checked"),
        *(total(cast(flags.c[k], Integer)).label(f"n_{k}") for k in ("warned", *REASONS)),
        total(case((flags.c.warned, flags.c.trailing))).label("at_risk"),
        func.row_number()
        .over(
            partition_by=flags.c.warned,
            order_by=(flags.c.trailing.desc(), flags.c.customer_id),
        )
        .label("rn"),
    ).outerjoin(Customer, Customer.id == flags.c.customer_id)
    ranked = counted.subquery("churn_ranked")
    wanted = ranked.c.warned if limit is None else and_(ranked.c.warned, ranked.c.rn <= limit)
    with engine.connect() as conn:
        found = conn.execute(
            select(ranked, wanted.label("wanted")).where(or_(ranked.c.rn == 1, wanted))
        ).all()
    rows = sorted((r for r in found if r.wanted), key=lambda r: int(r.rn))
    summary = found[0] if found else None

    def count_of(name: str) -> int:
        return int(getattr(summary, f"n_{name}") or 0) if summary is not None else 0

    return ChurnResult(
        as_of=day,
        window_days=window_days,
        drop_threshold=drop_threshold,
        silence_factor=silence_factor,
        customers_checked=count_of("checked"),
        warnings_count=count_of("warned"),
        revenue_at_risk=money(summary.at_risk if summary is not None else None),
        reasons=[
            ChurnReasonCount(
                reason=reason,  # type: ignore[arg-type]
                name_zh=zh,
                name_en=en,
                customers=count_of(reason),
            )
            for reason, (zh, en) in REASONS.items()
        ],
        warnings=[_warning(r, window_days, factor) for r in rows],
    )


def _drop(previous: Any, current: Any) -> float:
    prev = Decimal(str(previous))
    return round(float((prev - Decimal(str(current))) / prev), 4)


def _warning(r: Any, window: int, factor: Decimal) -> ChurnWarning:
    reasons: list[ChurnReason] = []
    if r.revenue_drop:
        reasons.append(
            ChurnReason(
                reason="revenue_drop",
                params={
                    "previous": float(money(r.rev_prev)),
                    "current": float(money(r.rev_cur)),
                    "drop": _drop(r.rev_prev, r.rev_cur),
                    "window_days": window,
                },
            )
        )
    if r.order_drop:
        reasons.append(
            ChurnReason(
                reason="order_drop",
                params={
                    "previous": int(r.orders_prev),
                    "current": int(r.orders_cur),
                    "drop": _drop(r.orders_prev, r.orders_cur),
                    "window_days": window,
                },
            )
        )
    if r.no_contact:
        interval = Decimal(int(r.span_days)) / (int(r.order_days) - 1)
        reasons.append(
            ChurnReason(
                reason="no_contact",
                params={
                    "days_silent": int(r.days_silent),
                    "usual_interval_days": round(float(interval), 2),
                    "threshold_days": round(float(interval * factor), 2),
                    "order_days": int(r.order_days),
                },
            )
        )
    return ChurnWarning(
        customer_id=r.customer_id,
        customer=r.name,
        trailing_revenue=money(r.trailing),
        last_order_on=r.last_order_on,
        last_activity_on=r.last_activity_on,
        reasons=reasons,
    )
