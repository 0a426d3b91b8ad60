"""One customer's page (客户档案): profile, standing, money, deals, contacts, tasks, timeline.

:func:`customer_profile` reads everything for one customer the caller's scope sees (the
scope decides *whether* the customer is visible — its current owner must be in scope —; the
page then shows the customer's whole history, so a new owner sees what came before).

Cold cost on the ``medium`` demo (15,000 customers, 2 M order lines, DuckDB): the company-wide
standing (tier, RFM segment) is one aggregate over the order headers; the rest are reads of
one customer's rows and the churn / credit / lifecycle analyses filtered to that customer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, case, func, literal, or_, select
from sqlalchemy.orm import aliased

from salesops.analysis.common import money, years_before
from salesops.analysis.facts import orders
from salesops.analysis.rfm import _BY_FLAGS
from salesops.analysis.rfm import WINDOW_DAYS as RFM_DAYS
from salesops.customers import ownership
from salesops.customers.access import get_customer
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


@dataclass(frozen=True)
class _Population:
    """Every ordering customer's numbers for the tier and RFM definitions, as of one day."""

    ids: list[int]
    rev_t: list[Decimal]  # revenue in the tier window (12 calendar months)
    n_t: list[int]
    rev_r: list[Decimal]  # revenue and orders in the RFM window (365 days)
    n_r: list[int]
    last: list[dt.date]  # last order on or before the day


#: (engine, day) -> (data version, population): the company-wide figures are the same for
#: every customer page of a day, so one page pays for them and the others read them.
_POPULATIONS: dict[tuple[int, dt.date], tuple[int, _Population]] = {}


def _population(conn: Connection, day: dt.date) -> _Population:
    from salesops.db.derived import data_version
    from salesops.db.schema import Customer

    version = data_version(conn)
    key = (id(conn.engine), day)
    cached = _POPULATIONS.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    tier_start = years_before(day)
    rfm_start = day - dt.timedelta(days=RFM_DAYS - 1)
    since = min(tier_start + dt.timedelta(days=1), rfm_start)
    zero = literal(Decimal("0"))
    # The customers' own last-order day (kept by the loader) is exact when no order is later
    # than the day: then only the trailing year of orders is read, not the whole history.
    latest = conn.execute(select(func.max(Customer.last_order_on))).scalar()
    fast = latest is None or latest <= day
    o = orders(FULL_SCOPE, (), since=since if fast else None, until=day)
    per = select(
        o.c.customer_id,
        func.sum(case((o.c.order_date > tier_start, o.c.amount), else_=zero)).label("rev_t"),
        func.count(case((o.c.order_date > tier_start, literal(1)))).label("n_t"),
        func.sum(case((o.c.order_date >= rfm_start, o.c.amount), else_=zero)).label("rev_r"),
        func.count(case((o.c.order_date >= rfm_start, literal(1)))).label("n_r"),
        func.max(o.c.order_date).label("last"),
    ).group_by(o.c.customer_id)
    found = {int(r.customer_id): r for r in conn.execute(per)}
    pop = _Population([], [], [], [], [], [])
    if fast:
        everyone = conn.execute(
            select(Customer.id, Customer.last_order_on).where(
                Customer.first_order_on.is_not(None), Customer.first_order_on <= day
            )
        ).all()
        lasts = [(int(r.id), r.last_order_on) for r in everyone]
    else:
        lasts = [(cid, r.last) for cid, r in found.items()]
    for cid, last in lasts:
        r = found.get(cid)
        pop.ids.append(cid)
        pop.rev_t.append(Decimal(r.rev_t) if r is not None else Decimal(0))
        pop.n_t.append(int(r.n_t) if r is not None else 0)
        pop.rev_r.append(Decimal(r.rev_r) if r is not None else Decimal(0))
        pop.n_r.append(int(r.n_r) if r is not None else 0)
        pop.last.append(last)
    if len(_POPULATIONS) > 8:
        _POPULATIONS.clear()
    _POPULATIONS[key] = (version, pop)
    return pop


def standing(conn: Connection, customer_id: int, day: dt.date) -> Standing:
    """The customer's ABC tier and RFM segment among all customers (definitions of
    :mod:`salesops.analysis.tiers` and :mod:`salesops.analysis.rfm`), from one aggregate
    shared by every customer of the day (:data:`_POPULATIONS`)."""
    pop = _population(conn, day)
    out = Standing()
    try:
        i = pop.ids.index(customer_id)
    except ValueError:
        return out
    mine_rev = pop.rev_t[i]
    out.revenue_12m = money(mine_rev)
    out.orders_12m = pop.n_t[i]
    total = sum(pop.rev_t, Decimal("0"))
    before = sum(
        (
            rev
            for cid, rev in zip(pop.ids, pop.rev_t, strict=True)
            if rev > mine_rev or (rev == mine_rev and cid < customer_id)
        ),
        Decimal("0"),
    )
    if mine_rev <= 0:
        out.tier = "C"
    elif before < total * Decimal("0.80"):
        out.tier = "A"
    elif before < total * Decimal("0.95"):
        out.tier = "B"
    else:
        out.tier = "C"
    n = len(pop.ids)
    sum_r = sum((day - last).days for last in pop.last)
    sum_f = sum(pop.n_r)
    sum_m = sum(pop.rev_r, Decimal("0"))
    recency = (day - pop.last[i]).days
    flags = (recency * n < sum_r, pop.n_r[i] * n > sum_f, pop.rev_r[i] * n > sum_m)
    out.rfm_segment = _BY_FLAGS.get(flags, "general_win_back")
    out.recency_days = recency
    return out


def lifecycle_stage(conn: Connection, customer_id: int, day: dt.date) -> str | None:
    """The customer's lifecycle stage as of ``day``, by the definition of
    :mod:`salesops.analysis.lifecycle` (thresholds from the settings), from this customer's
    own orders and deals instead of a pass over every customer."""
    from salesops.config import get_settings

    o = orders(FULL_SCOPE, (), until=day)
    first, last = conn.execute(
        select(func.min(o.c.order_date), func.max(o.c.order_date)).where(
            o.c.customer_id == customer_id
        )
    ).one()
    if first is None:
        deals = conn.execute(
            select(func.count()).where(
                Opportunity.customer_id == customer_id,
                or_(Opportunity.created_on.is_(None), Opportunity.created_on <= day),
            )
        ).scalar_one()
        return "potential" if deals else None
    settings = get_settings()
    if (day - first).days <= settings.lifecycle_new_days:
        return "new"
    since = (day - last).days
    if since <= settings.lifecycle_active_days:
        return "active"
    if since <= settings.lifecycle_dormant_days:
        return "dormant"
    return "churned"


def customer_profile(
    engine: Engine, scope: Scope, customer_id: int, *, as_of: dt.date, user_id: int | None = None
) -> Profile:
    """Everything the customer page shows; :class:`~salesops.customers.access.NotFound` when
    the customer is missing or outside ``scope``."""
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
        stand = standing(conn, customer_id, as_of)
        eng = engagement(conn, [customer_id], as_of)[customer_id]
        trend = _trend(conn, customer_id, as_of)
        order_rows = _orders(conn, customer_id)
        deals, changes = _deals(conn, customer_id)
        payments = _payments(conn, customer_id, as_of)
        activities = _activities(conn, customer_id)
        feedback = _feedback(conn, customer_id)
        tasks = list_tasks(conn, FULL_SCOPE, customer_id=customer_id, today=as_of, limit=100)
        owners = ownership.history(conn, customer_id)
    # The analyses filtered to this customer (by name: the filter language is display values;
    # the row with this id is picked, so a namesake does not leak in).
    flt = {"customer": [c.name]}
    with engine.connect() as conn:
        life_stage = lifecycle_stage(conn, customer_id, as_of)
    credit = next(
        (
            r
            for r in credit_grades(engine, FULL_SCOPE, flt, as_of=as_of).rows
            if r.customer_id == c.id
        ),
        None,
    )
    churn = next(
        (
            w
            for w in churn_warnings(engine, FULL_SCOPE, flt, as_of=as_of).warnings
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


def _trend(conn: Connection, customer_id: int, day: dt.date) -> list[dict[str, Any]]:
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


def _orders(conn: Connection, customer_id: int) -> list[dict[str, Any]]:
    q = (
        select(OrderHeader, Rep.name.label("rep"))
        .outerjoin(Rep, Rep.id == OrderHeader.rep_id)
        .where(OrderHeader.customer_id == customer_id)
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


def _deals(conn: Connection, customer_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    q = (
        select(Opportunity, Rep.name.label("owner"))
        .outerjoin(Rep, Rep.id == Opportunity.owner_id)
        .where(Opportunity.customer_id == customer_id)
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


def _payments(conn: Connection, customer_id: int, day: dt.date) -> list[dict[str, Any]]:
    q = (
        select(Payment)
        .where(Payment.customer_id == customer_id)
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


def _activities(conn: Connection, customer_id: int) -> list[dict[str, Any]]:
    rep = aliased(Rep)
    q = (
        select(Activity.kind, Activity.occurred_at, rep.name.label("rep"))
        .outerjoin(rep, rep.id == Activity.rep_id)
        .where(Activity.customer_id == customer_id)
        .order_by(Activity.occurred_at.desc())
        .limit(LIST_LIMIT)
    )
    return [{"kind": r.kind, "at": r.occurred_at, "rep": r.rep} for r in conn.execute(q)]


def _feedback(conn: Connection, customer_id: int) -> list[dict[str, Any]]:
    q = (
        select(Feedback)
        .where(Feedback.customer_id == customer_id)
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
