"""One customer's page (客户档案): profile, standing, money, deals, contacts, tasks, timeline.

:func:`customer_profile` reads everything for one customer the caller's scope sees. The scope
decides *whether* the customer is visible (its current owner must be) and *which of its rows*
are: like every fact the metrics engine reads, each order, deal, payment, activity, feedback
and task is attributed to a rep and read only when that rep is in scope (SPEC §7). So a rep
who owns a customer sees their own dealings with it, not a colleague's; a manager sees those
of their subtree; full scope sees all.

Cold cost on the ``medium`` demo (docs/benchmarks.md): tier and RFM segment come back as one
row (the scope's orders are aggregated per customer in the database, not in Python); the rest
are reads of one customer's rows and the churn / credit analyses filtered to that customer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Date, Engine, and_, case, func, literal, or_, select, true
from sqlalchemy.orm import aliased

from salesops.analysis.common import money, years_before
from salesops.analysis.facts import orders
from salesops.analysis.lifecycle import COOLING_BANDS, COOLING_LOOKBACK_DAYS, COOLING_STAGES
from salesops.analysis.rfm import _BY_FLAGS
from salesops.analysis.rfm import WINDOW_DAYS as RFM_DAYS
from salesops.customers import ownership
from salesops.customers.access import get_customer, in_scope
from salesops.customers.engagement import Engagement, engagement
from salesops.customers.tasks import TaskView, list_tasks
from salesops.db.schema import (
    Activity,
    Feedback,
    Opportunity,
    OpportunityChange,
    OrderHeader,
    Payment,
    Region,
    Rep,
)
from salesops.metrics.dimensions import SIZE_BANDS
from salesops.metrics.scope import FULL_SCOPE, Scope

LIST_LIMIT = 200


@dataclass
class Standing:
    """Where the customer stands in the whole company (tier and RFM need everyone)."""

    tier: str | None = None
    revenue_12m: Decimal = Decimal("0")
    orders_12m: int = 0
    rfm_segment: str | None = None
    recency_days: int | None = None


@dataclass
class Profile:
    customer: dict[str, Any]
    as_of: dt.date
    standing: Standing
    lifecycle: str | None
    credit: Any | None
    churn: Any | None
    engagement: Engagement
    trend: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    deals: list[dict[str, Any]]
    deal_changes: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    activities: list[dict[str, Any]]
    feedback: list[dict[str, Any]]
    tasks: list[TaskView]
    owners: list[dict[str, Any]]
    timeline: list[dict[str, Any]] = field(default_factory=list)
    #: the engagement score 90 days before ``as_of`` and whether the customer is cooling
    #: (:mod:`salesops.analysis.lifecycle`: still buying, engagement low and fallen)
    engagement_before: float = 0.0
    cooling: bool = False

    @property
    def overdue_amount(self) -> Decimal:
        return sum((p["outstanding"] for p in self.payments if p["overdue"]), Decimal("0"))

    @property
    def nps(self) -> float | None:
        scores = [f["nps"] for f in self.feedback if f["nps"] is not None]
        if not scores:
            return None
        promoters = sum(1 for s in scores if s >= 9)
        detractors = sum(1 for s in scores if s <= 6)
        return round(100.0 * (promoters - detractors) / len(scores), 1)


def size_band_of(size: str | None) -> str | None:
    """The band of a size text, as :func:`salesops.metrics.dimensions.size_band` says in SQL."""
    if not size:
        return None
    head = size.strip().replace("+", "").split("-")[0].strip()
    try:
        n = float(head)
    except ValueError:
        return None
    for bound, label in SIZE_BANDS:
        if bound is None or n < bound:
            return label
    return None  # pragma: no cover


def standing(
    conn: Connection, customer_id: int, day: dt.date, scope: Scope = FULL_SCOPE
) -> Standing:
    """The customer's ABC tier and RFM segment among the customers ``scope`` sees (the
    definitions of :mod:`salesops.analysis.tiers` and :mod:`salesops.analysis.rfm`, which rank
    the customers of the caller's scope too), read as **one row** from the database.

    Tier and segment are relative to everyone (the share of revenue ranked above this
    customer; the means of R, F and M), so the orders of the whole scope are aggregated per
    customer — in the database; only this customer's figures and the population's sums come
    back, not one row per customer.
    """
    from salesops.db.schema import Customer

    tier_start = years_before(day)
    rfm_start = day - dt.timedelta(days=RFM_DAYS - 1)
    zero = literal(Decimal("0"))
    # The customers' own first/last-order days (kept by the loader) are exact when no order is
    # later than the day and nothing is hidden by a scope: then only the trailing year of
    # orders is read, not the whole history.
    fast = False
    if scope.is_full:
        latest = conn.execute(select(func.max(Customer.last_order_on))).scalar()
        fast = latest is None or latest <= day
    since = min(tier_start + dt.timedelta(days=1), rfm_start) if fast else None
    o = orders(scope, (), since=since, until=day)
    per = select(
        o.c.customer_id,
        func.sum(case((o.c.order_date > tier_start, o.c.amount), else_=zero)).label("rev_t"),
        func.count(case((o.c.order_date > tier_start, literal(1)))).label("n_t"),
        func.sum(case((o.c.order_date >= rfm_start, o.c.amount), else_=zero)).label("rev_r"),
        func.count(case((o.c.order_date >= rfm_start, literal(1)))).label("n_r"),
        func.max(o.c.order_date).label("last"),
    ).group_by(o.c.customer_id)
    if fast:
        w = per.subquery("standing_window")
        pop: Any = (
            select(
                Customer.id.label("customer_id"),
                func.coalesce(w.c.rev_t, zero).label("rev_t"),
                func.coalesce(w.c.n_t, 0).label("n_t"),
                func.coalesce(w.c.rev_r, zero).label("rev_r"),
                func.coalesce(w.c.n_r, 0).label("n_r"),
                Customer.last_order_on.label("last"),
            )
            .select_from(Customer)
            .outerjoin(w, w.c.customer_id == Customer.id)
            .where(Customer.first_order_on.is_not(None), Customer.first_order_on <= day)
            .cte("standing_population")
        )
    else:
        pop = per.cte("standing_population")
    mine = select(pop).where(pop.c.customer_id == customer_id).subquery("standing_mine")
    above = or_(
        pop.c.rev_t > mine.c.rev_t,
        and_(pop.c.rev_t == mine.c.rev_t, pop.c.customer_id < mine.c.customer_id),
    )
    recency = literal(day, Date) - pop.c.last
    row = conn.execute(
        select(
            func.count().label("n"),
            func.sum(pop.c.rev_t).label("total"),
            func.sum(case((above, pop.c.rev_t), else_=zero)).label("before"),
            func.sum(recency).label("sum_r"),
            func.sum(pop.c.n_r).label("sum_f"),
            func.sum(pop.c.rev_r).label("sum_m"),
            func.max(mine.c.rev_t).label("rev_t"),
            func.max(mine.c.n_t).label("n_t"),
            func.max(mine.c.rev_r).label("rev_r"),
            func.max(mine.c.n_r).label("n_r"),
            func.max(mine.c.last).label("last"),
        ).select_from(pop.join(mine, true()))
    ).one()
    out = Standing()
    if not row.n:
        return out
    mine_rev = Decimal(row.rev_t or 0)
    total = Decimal(row.total or 0)
    before = Decimal(row.before or 0)
    out.revenue_12m = money(mine_rev)
    out.orders_12m = int(row.n_t or 0)
    if mine_rev <= 0:
        out.tier = "C"
    elif before < total * Decimal("0.80"):
        out.tier = "A"
    elif before < total * Decimal("0.95"):
        out.tier = "B"
    else:
        out.tier = "C"
    n = int(row.n)
    last = row.last.date() if isinstance(row.last, dt.datetime) else row.last
    recency_days = (day - last).days
    flags = (
        recency_days * n < int(row.sum_r or 0),
        int(row.n_r or 0) * n > int(row.sum_f or 0),
        Decimal(row.rev_r or 0) * n > Decimal(row.sum_m or 0),
    )
    out.rfm_segment = _BY_FLAGS.get(flags, "general_win_back")
    out.recency_days = recency_days
    return out


def lifecycle_stage(
    conn: Connection, customer_id: int, day: dt.date, scope: Scope = FULL_SCOPE
) -> str | None:
    """The customer's lifecycle stage as of ``day``, by the definition of
    :mod:`salesops.analysis.lifecycle` (thresholds from the settings), from this customer's
    own orders and deals in ``scope`` instead of a pass over every customer."""
    from salesops.config import get_settings
    from salesops.db.schema import Customer

    first: dt.date | None = None
    last: dt.date | None = None
    known = False
    if scope.is_full:
        # The customer's own first/last-order days (kept by the loader) are exact when none of
        # its orders is later than the day: no pass over its order history.
        kept = conn.execute(
            select(Customer.first_order_on, Customer.last_order_on).where(
                Customer.id == customer_id
            )
        ).one_or_none()
        if kept is not None and (kept.last_order_on is None or kept.last_order_on <= day):
            first, last, known = kept.first_order_on, kept.last_order_on, True
    if not known:
        o = orders(scope, (), until=day)
        first, last = conn.execute(
            select(func.min(o.c.order_date), func.max(o.c.order_date)).where(
                o.c.customer_id == customer_id
            )
        ).one()
    if first is None:
        deals = conn.execute(
            select(func.count()).where(
                Opportunity.customer_id == customer_id,
                in_scope(scope, Opportunity.owner_id),
                or_(Opportunity.created_on.is_(None), Opportunity.created_on <= day),
            )
        ).scalar_one()
        return "potential" if deals else None
    settings = get_settings()
    if (day - first).days <= settings.lifecycle_new_days:
        return "new"
    since = (day - (last or first)).days
    if since <= settings.lifecycle_active_days:
        return "active"
    if since <= settings.lifecycle_dormant_days:
        return "dormant"
    return "churned"


def customer_profile(
    engine: Engine, scope: Scope, customer_id: int, *, as_of: dt.date, user_id: int | None = None
) -> Profile:
    """Everything the customer page shows; :class:`~salesops.customers.access.NotFound` when
    the customer is missing or outside ``scope``.

    ``scope`` decides whether the customer is visible (its current owner must be) *and* which
    of its rows are: each order, deal (and its history), payment, activity, feedback and task
    is attributed to a rep, and only those of reps in ``scope`` are read (SPEC §7, the rule
    the metrics engine applies to every fact), as are the figures made of them (trend,
    standing, lifecycle, engagement, credit, churn). A rep who owns a customer now sees their
    own dealings with it, not a colleague's; a manager sees their subtree's."""
    from salesops.analysis.churn import churn_warnings
    from salesops.analysis.credit import credit_grades

    with engine.connect() as conn:
        c = get_customer(conn, scope, customer_id)
        owner = conn.execute(select(Rep.name).where(Rep.id == c.owner_id)).scalar()
        region = conn.execute(select(Region.name).where(Region.id == c.region_id)).scalar()
        customer = {
            "id": c.id,
            "external_id": c.external_id,
            "name": c.name,
            "industry": c.industry,
            "segment": c.segment,
            "size": c.size,
            "size_band": size_band_of(c.size),
            "region": region,
            "city": c.city,
            "source_channel": c.source_channel,
            "owner_id": c.owner_id,
            "owner": owner,
            "created_on": c.created_on,
            "credit_limit": c.credit_limit,
            "first_order_on": c.first_order_on,
            "last_order_on": c.last_order_on,
        }
        stand = standing(conn, customer_id, as_of, scope)
        eng = engagement(conn, [customer_id], as_of, scope)[customer_id]
        trend = _trend(conn, scope, customer_id, as_of)
        order_rows = _orders(conn, scope, customer_id)
        deals, changes = _deals(conn, scope, customer_id)
        payments = _payments(conn, scope, customer_id, as_of)
        activities = _activities(conn, scope, customer_id)
        feedback = _feedback(conn, scope, customer_id)
        tasks = list_tasks(
            conn, scope, customer_id=customer_id, user_id=user_id, today=as_of, limit=100
        )
        owners = ownership.history(conn, customer_id)
        life_stage = lifecycle_stage(conn, customer_id, as_of, scope)
        before_day = as_of - dt.timedelta(days=COOLING_LOOKBACK_DAYS)
        before = engagement(conn, [customer_id], before_day, scope)[customer_id]
        cooling = (
            life_stage in COOLING_STAGES and eng.band in COOLING_BANDS and eng.raw < before.raw
        )
    # The analyses filtered to this customer (by name: the filter language is display values;
    # the row with this id is picked, so a namesake does not leak in).
    flt = {"customer": [c.name]}
    credit = next(
        (r for r in credit_grades(engine, scope, flt, as_of=as_of).rows if r.customer_id == c.id),
        None,
    )
    churn = next(
        (
            w
            for w in churn_warnings(engine, scope, flt, as_of=as_of).warnings
            if w.customer_id == c.id
        ),
        None,
    )
    profile = Profile(
        customer=customer,
        as_of=as_of,
        standing=stand,
        lifecycle=life_stage,
        credit=credit,
        churn=churn,
        engagement=eng,
        engagement_before=before.score,
        cooling=cooling,
        trend=trend,
        orders=order_rows,
        deals=deals,
        deal_changes=changes,
        payments=payments,
        activities=activities,
        feedback=feedback,
        tasks=tasks,
        owners=owners,
    )
    profile.timeline = _timeline(profile)
    return profile


def _trend(conn: Connection, scope: Scope, customer_id: int, day: dt.date) -> list[dict[str, Any]]:
    start = years_before(day, 2).replace(day=1)
    month = func.date_trunc("month", OrderHeader.order_date)
    q = (
        select(
            month.label("month"),
            func.sum(OrderHeader.amount).label("revenue"),
            func.sum(OrderHeader.cost).label("cost"),
            func.sum(case((OrderHeader.cost.is_not(None), OrderHeader.amount))).label("costed"),
        )
        .where(
            OrderHeader.customer_id == customer_id,
            in_scope(scope, OrderHeader.rep_id),
            OrderHeader.normal_lines > 0,
            OrderHeader.order_date.between(start, day),
        )
        .group_by(month)
        .order_by(month)
    )
    out = []
    for r in conn.execute(q):
        revenue = money(r.revenue)
        costed = Decimal(r.costed or 0)
        margin = None
        if costed:
            margin = round(float((costed - Decimal(r.cost or 0)) / costed), 4)
        m = r.month.date() if isinstance(r.month, dt.datetime) else r.month
        out.append({"month": m.strftime("%Y-%m"), "revenue": revenue, "margin": margin})
    return out


def _orders(conn: Connection, scope: Scope, customer_id: int) -> list[dict[str, Any]]:
    q = (
        select(OrderHeader, Rep.name.label("rep"))
        .outerjoin(Rep, Rep.id == OrderHeader.rep_id)
        .where(OrderHeader.customer_id == customer_id, in_scope(scope, OrderHeader.rep_id))
        .order_by(OrderHeader.order_date.desc(), OrderHeader.order_no.desc())
        .limit(LIST_LIMIT)
    )
    return [
        {
            "order_no": r.order_no,
            "order_date": r.order_date,
            "amount": money(r.amount),
            "cost": r.cost,
            "lines": r.lines,
            "status": "normal" if r.normal_lines else "cancelled",
            "channel": r.channel,
            "rep": r.rep,
        }
        for r in conn.execute(q)
    ]


def _deals(
    conn: Connection, scope: Scope, customer_id: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    q = (
        select(Opportunity, Rep.name.label("owner"))
        .outerjoin(Rep, Rep.id == Opportunity.owner_id)
        .where(Opportunity.customer_id == customer_id, in_scope(scope, Opportunity.owner_id))
        .order_by(
            case((Opportunity.status == "open", 0), else_=1),
            Opportunity.created_on.desc(),
        )
        .limit(LIST_LIMIT)
    )
    deals = [
        {
            "id": r.id,
            "name": r.name or r.external_id,
            "stage": r.stage,
            "status": r.status,
            "amount": r.amount,
            "created_on": r.created_on,
            "expected_close_on": r.expected_close_on,
            "closed_on": r.closed_on,
            "owner": r.owner,
        }
        for r in conn.execute(q)
    ]
    ids = [d["id"] for d in deals]
    if not ids:
        return deals, []
    names = {d["id"]: d["name"] for d in deals}
    ch = OpportunityChange
    changes = [
        {
            "deal": names.get(r.opportunity_id),
            "field": r.field,
            "old": r.old_value,
            "new": r.new_value,
            "at": r.changed_at,
        }
        for r in conn.execute(
            select(ch)
            .where(ch.opportunity_id.in_(ids), ch.field.in_(("stage", "status", "amount", "owner")))
            .order_by(ch.changed_at.desc())
            .limit(LIST_LIMIT)
        )
    ]
    return deals, changes


def _payments(
    conn: Connection, scope: Scope, customer_id: int, day: dt.date
) -> list[dict[str, Any]]:
    q = (
        select(Payment)
        .where(Payment.customer_id == customer_id, in_scope(scope, Payment.rep_id))
        .order_by(Payment.due_date.desc())
        .limit(LIST_LIMIT)
    )
    out = []
    for p in conn.execute(q):
        due = Decimal(p.due_amount or 0)
        paid = Decimal(p.paid_amount or 0) if p.paid_date and p.paid_date <= day else Decimal(0)
        outstanding = max(due - paid, Decimal(0))
        out.append(
            {
                "external_id": p.external_id,
                "order_no": p.order_no,
                "due_date": p.due_date,
                "due_amount": money(p.due_amount),
                "paid_date": p.paid_date,
                "paid_amount": money(p.paid_amount) if p.paid_amount is not None else None,
                "outstanding": money(outstanding),
                "overdue": bool(outstanding > 0 and p.due_date is not None and p.due_date < day),
                "days_late": (day - p.due_date).days
                if outstanding > 0 and p.due_date and p.due_date < day
                else None,
            }
        )
    return out


def _activities(conn: Connection, scope: Scope, customer_id: int) -> list[dict[str, Any]]:
    rep = aliased(Rep)
    q = (
        select(Activity.kind, Activity.occurred_at, rep.name.label("rep"))
        .outerjoin(rep, rep.id == Activity.rep_id)
        .where(Activity.customer_id == customer_id, in_scope(scope, Activity.rep_id))
        .order_by(Activity.occurred_at.desc())
        .limit(LIST_LIMIT)
    )
    return [{"kind": r.kind, "at": r.occurred_at, "rep": r.rep} for r in conn.execute(q)]


def _feedback(conn: Connection, scope: Scope, customer_id: int) -> list[dict[str, Any]]:
    q = (
        select(Feedback)
        .where(Feedback.customer_id == customer_id, in_scope(scope, Feedback.rep_id))
        .order_by(Feedback.received_on.desc())
        .limit(LIST_LIMIT)
    )
    return [
        {
            "received_on": f.received_on,
            "channel": f.channel,
            "nps": f.nps,
            "csat": f.csat,
            "category": f.category,
            "status": f.status,
            "text": f.text,
        }
        for f in conn.execute(q)
    ]


def _timeline(p: Profile) -> list[dict[str, Any]]:
    """Every dated event of the customer, newest first (at most ``LIST_LIMIT``)."""
    items: list[dict[str, Any]] = []

    def add(day: Any, kind: str, text: str, amount: Any = None) -> None:
        if day is None:
            return
        if isinstance(day, dt.datetime):
            day = day.date()
        items.append({"date": day, "kind": kind, "text": text, "amount": amount})

    for o in p.orders:
        add(o["order_date"], "order", o["order_no"], o["amount"])
    for d in p.deals:
        add(d["created_on"], "deal_created", d["name"], d["amount"])
        if d["closed_on"]:
            add(d["closed_on"], f"deal_{d['status']}", d["name"], d["amount"])
    for pay in p.payments:
        if pay["paid_date"]:
            add(
                pay["paid_date"],
                "payment",
                pay["order_no"] or pay["external_id"],
                pay["paid_amount"],
            )
    for a in p.activities:
        add(a["at"], "activity", a["kind"])
    for f in p.feedback:
        add(f["received_on"], "feedback", f"NPS {f['nps']}" if f["nps"] is not None else "")
    for t in p.tasks:
        add(t.created_on, "task", t.title or t.kind)
        if t.done_on:
            add(t.done_on, f"task_{t.status}", t.result or t.title or t.kind)
    for h in p.owners:
        if h["valid_from"]:
            add(h["valid_from"], "owner", h["rep"] or "")
    items.sort(key=lambda i: i["date"], reverse=True)
    return items[:LIST_LIMIT]
