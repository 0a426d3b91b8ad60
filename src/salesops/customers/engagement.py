"""The engagement score of customers (definition and weights: :mod:`salesops.metrics.engagement`).

One statement: the customers' interactions in the window — activities by kind, feedback,
normal orders — as (customer, day, weight) rows, summed with the recency decay in the
database (``exp(-ln 2 × age / half-life)``, the same on DuckDB and PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Date, Float, case, cast, func, literal, select, union_all

from salesops.customers.access import in_scope
from salesops.db.schema import Activity, Feedback, OrderHeader
from salesops.metrics import engagement as definition
from salesops.metrics.measures import time_expression
from salesops.metrics.scope import FULL_SCOPE, Scope


@dataclass(frozen=True)
class Engagement:
    customer_id: int
    raw: float
    score: float
    band: str
    interactions: int


def engagement(
    conn: Connection, customer_ids: Sequence[int], as_of: dt.date, scope: Scope = FULL_SCOPE
) -> dict[int, Engagement]:
    """The engagement of each of ``customer_ids`` as of ``as_of`` (every id is in the answer;
    a customer without interactions scores 0, band ``none``), from the interactions whose rep
    ``scope`` sees (the customer page's rule: a rep's score is not made of another rep's
    visits)."""
    ids = list(customer_ids)
    if not ids:
        return {}
    lo = as_of - dt.timedelta(days=definition.WINDOW_DAYS - 1)
    a = Activity.__table__
    day = cast(time_expression("activity", "occurred_at", a), Date)
    weights = case(
        *((a.c.kind == kind, literal(w)) for kind, w in definition.WEIGHTS.items()),
        else_=literal(definition.OTHER_ACTIVITY),
    )
    acts = select(a.c.customer_id, day.label("day"), weights.label("w")).where(
        a.c.customer_id.in_(ids),
        in_scope(scope, a.c.rep_id),
        a.c.occurred_at >= dt.datetime.combine(lo - dt.timedelta(days=1), dt.time()),
        a.c.occurred_at < dt.datetime.combine(as_of + dt.timedelta(days=2), dt.time()),
    )
    fb = select(
        Feedback.customer_id,
        Feedback.received_on.label("day"),
        literal(definition.WEIGHTS["feedback"]).label("w"),
    ).where(
        Feedback.customer_id.in_(ids),
        in_scope(scope, Feedback.rep_id),
        Feedback.received_on.between(lo, as_of),
    )
    orders = select(
        OrderHeader.customer_id,
        OrderHeader.order_date.label("day"),
        literal(definition.WEIGHTS["order"]).label("w"),
    ).where(
        OrderHeader.customer_id.in_(ids),
        in_scope(scope, OrderHeader.rep_id),
        OrderHeader.normal_lines > 0,
        OrderHeader.order_date.between(lo, as_of),
    )
    events = union_all(acts, fb, orders).subquery("interactions")
    rate = math.log(2) / definition.HALF_LIFE_DAYS
    age = cast(literal(as_of, Date) - events.c.day, Float)
    query = (
        select(
            events.c.customer_id,
            func.sum(cast(events.c.w, Float) * func.exp(-rate * age)).label("raw"),
            func.count().label("n"),
        )
        .where(events.c.day.between(lo, as_of))
        .group_by(events.c.customer_id)
    )
    found = {int(r.customer_id): (float(r.raw or 0), int(r.n)) for r in conn.execute(query)}
    out: dict[int, Engagement] = {}
    for cid in ids:
        raw, n = found.get(cid, (0.0, 0))
        value = definition.score(raw)
        out[cid] = Engagement(cid, round(raw, 4), value, definition.band(value), n)
    return out
