"""Visit conversion: customers visited in the period, and those who then bought.

A visit converts when the customer has a won deal or a normal order within 90 days after it
(the same day counts). Rather than probing every visit against every order of its customer,
visits and conversions go into one list per customer, sorted by day; a window gives each visit
the first conversion at or after it — one sort instead of a join that fans out.

In the full data scope that first conversion day does not depend on the query, so the writers
keep it on every visit (``visit_conversion.converts_on``, :func:`visit_conversion_rows`) and a
query only counts; a narrower scope counts its own deals and orders only and sorts them here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union,
    union_all,
)

from salesops.db.tables import Activity, Opportunity, OrderHeader, OrderLine, VisitConversion
from salesops.metrics import dimensions as dims_mod
from salesops.metrics.compiler.context import BUCKET, BuildCtx, key_name
from salesops.metrics.dialects import add_days
from salesops.metrics.measures import Measure, time_expression

WINDOW_DAYS = 90


def build_visit(ctx: BuildCtx, measures: Sequence[Measure]) -> Select[Any]:
    """``visited_customers`` and ``converted_customers`` per group and period (deals and
    orders in the caller's scope only)."""
    if ctx.visits and ctx.scope.is_full:
        return _build_kept(ctx, measures)
    act = dims_mod.fact("activity").table
    day, bucket, key_cols, joins, where = _visits_in_period(ctx, act)
    where += [act.c.kind == "visit", act.c.customer_id.is_not(None)]
    lo, hi = ctx.frame.span()
    keys = [key_name(d) for d in ctx.dims]
    visit_cols: list[Any] = [*key_cols, act.c.customer_id.label("customer_id"), day.label("day")]
    if bucket is not None:
        visit_cols.append(bucket.label(BUCKET))
    visits = (
        select(*visit_cols)
        .select_from(dims_mod.join_all(act, joins))
        .where(*where)
        .distinct()
        .subquery("visits")
    )
    pad: list[Any] = [cast(null(), visits.c[k].type).label(k) for k in keys]
    if bucket is not None:
        pad.append(cast(null(), Date).label(BUCKET))
    rows: list[Any] = [
        select(
            *(visits.c[k] for k in keys),
            *([visits.c[BUCKET]] if bucket is not None else []),
            visits.c.customer_id,
            visits.c.day,
            literal(1, Integer).label("is_visit"),
            cast(null(), Date).label("conv"),
        )
    ]
    until = hi + dt.timedelta(days=WINDOW_DAYS) if hi is not None else None
    visited = select(visits.c.customer_id)
    for conv_day, base in _conversions(ctx, lo, until, visited):
        rows.append(
            select(
                *pad,
                base.c.customer_id,
                conv_day.label("day"),
                literal(0, Integer).label("is_visit"),
                conv_day.label("conv"),
            ).select_from(base)
        )
    events = union_all(*rows).subquery("visit_events")
    following = func.min(events.c.conv).over(
        partition_by=events.c.customer_id,
        order_by=(events.c.day, events.c.is_visit.desc()),
        rows=(0, None),
    )
    marked = select(events, following.label("next_conv")).subquery("visits_marked")
    converted = and_(
        marked.c.next_conv.is_not(None),
        marked.c.next_conv <= add_days(marked.c.day, WINDOW_DAYS),
    )
    values = {
        False: func.count(marked.c.customer_id.distinct()),
        True: func.count(case((converted, marked.c.customer_id), else_=null()).distinct()),
    }
    group: list[Any] = [marked.c[k] for k in keys]
    if bucket is not None:
        group.append(marked.c[BUCKET])
    aggs = [values[bool(m.param("converted"))].label(m.name) for m in measures]
    stmt = select(*group, *aggs).where(marked.c.is_visit == 1)
    return stmt.group_by(*group) if group else stmt


def _conversions(
    ctx: BuildCtx, lo: dt.date | None, until: dt.date | None, visited: Select[Any]
) -> list[tuple[Any, Any]]:
    """(day column, source) of won deals and normal orders that can convert a visit: of
    the visited customers only (the others' orders never meet a visit in the window)."""
    opp = Opportunity.__table__.alias("visit_deal")
    head = OrderHeader.__table__.alias("visit_order")
    won_where = [opp.c.status == "won", opp.c.customer_id.in_(visited)]
    won_where += dims_mod.conditions("opportunity", {}, ctx.scope, opp)
    line = OrderLine.__table__.alias("visit_line")
    order_where = [head.c.order_date >= lo] if lo is not None else []
    line_where = [line.c.order_date >= lo] if lo is not None else []
    if lo is not None:
        won_where.append(opp.c.closed_on >= lo)
    if until is not None:
        won_where.append(opp.c.closed_on <= until)
        order_where.append(head.c.order_date <= until)
        line_where.append(line.c.order_date <= until)
    order_where += dims_mod.conditions("order_header", {}, ctx.scope, head)
    line_where += dims_mod.conditions("order_line", {}, ctx.scope, line)
    won = (
        select(opp.c.customer_id, opp.c.closed_on.label("d"))
        .where(*won_where)
        .distinct()
        .subquery("won_days")
    )
    by_header, by_line = _order_days(visited, head, line)
    ordered = union(by_header.where(*order_where), by_line.where(*line_where)).subquery(
        "order_days"
    )
    return [(won.c.d, won), (ordered.c.d, ordered)]


def _order_days(
    visited: Select[Any], head: Any = None, line: Any = None
) -> tuple[Select[Any], Select[Any]]:
    """(customer, day) of the normal orders of the ``visited`` customers: from the headers,
    and for the few orders whose lines name several customers (``order_header.shared``) from
    their lines — every customer of such an order bought that day, not only the header's."""
    head = OrderHeader.__table__ if head is None else head
    line = OrderLine.__table__ if line is None else line
    by_header = select(head.c.customer_id, head.c.order_date.label("d")).where(
        head.c.normal_lines > 0, head.c.shared.is_(None), head.c.customer_id.in_(visited)
    )
    shared = select(OrderHeader.__table__.c.id).where(OrderHeader.__table__.c.shared)
    by_line = select(line.c.customer_id, line.c.order_date.label("d")).where(
        line.c.status == "normal", line.c.order_id.in_(shared), line.c.customer_id.in_(visited)
    )
    return by_header, by_line


def _visits_in_period(ctx: BuildCtx, table: Any) -> tuple[Any, Any, list[Any], Any, list[Any]]:
    """For activity rows of ``table``: the local day, its bucket, the grouping keys and their
    joins, and the conditions (scope, filters, the period)."""
    day = time_expression("activity", "occurred_at", table)
    key_cols, joins = ctx.keys("activity", table)
    where = [*ctx.conditions("activity", table), *ctx.in_periods("activity", "occurred_at", table)]
    return day, ctx.frame.bucket(day), key_cols, joins, where


def _build_kept(ctx: BuildCtx, measures: Sequence[Measure]) -> Select[Any]:
    """:func:`build_visit` in the full scope, from the conversion day kept on each visit."""
    vis = VisitConversion.__table__
    day, bucket, key_cols, joins, where = _visits_in_period(ctx, vis)
    converted = case((vis.c.converts_on <= add_days(day, WINDOW_DAYS), 1), else_=0)
    group: list[Any] = [*key_cols]
    if bucket is not None:
        group.append(bucket.label(BUCKET))
    # Each visited customer once per group and period, with whether a visit converted: the
    # two distinct counts become plain counts over these rows — one hash of (group, customer)
    # rather than two, and no shared pass DuckDB builds for distinct aggregates.
    visitors = (
        select(*group, vis.c.customer_id, func.max(converted).label("converted"))
        .select_from(dims_mod.join_all(vis, joins))
        .where(*where, vis.c.customer_id.is_not(None))
        .group_by(*group, vis.c.customer_id)
        .subquery(ctx.name("visitors"))
    )
    values = {
        False: func.count(),
        True: func.count(case((visitors.c.converted == 1, 1), else_=null())),
    }
    outer = [visitors.c[c.name] for c in group]
    aggs = [values[bool(m.param("converted"))].label(m.name) for m in measures]
    stmt = select(*outer, *aggs)
    return stmt.group_by(*outer) if outer else stmt


def visit_conversion_rows(customers: Select[Any] | None = None) -> Select[Any]:
    """The rows of ``visit_conversion`` (see :class:`salesops.db.schema.VisitConversion`):
    every visit with its customer's first won deal or normal order on or after its day, over
    all the data; ``customers``: only the visits of these customer ids."""
    act = Activity.__table__
    day = time_expression("activity", "occurred_at", act)
    where = [act.c.kind == "visit", act.c.customer_id.is_not(None)]
    if customers is not None:
        where.append(act.c.customer_id.in_(customers))
    visits = select(act.c.id, act.c.customer_id, day.label("day")).where(*where).subquery("v")
    visited = select(visits.c.customer_id)
    opp = Opportunity.__table__
    won = select(opp.c.customer_id, opp.c.closed_on.label("d")).where(
        opp.c.status == "won", opp.c.closed_on.is_not(None), opp.c.customer_id.in_(visited)
    )
    days = union_all(won, *_order_days(visited)).subquery("conversion_days")
    no_day = cast(null(), Date)
    events = union_all(
        select(
            visits.c.id,
            visits.c.customer_id,
            visits.c.day,
            literal(1, Integer).label("is_visit"),
            no_day.label("conv"),
        ),
        select(
            cast(null(), Integer).label("id"),
            days.c.customer_id,
            days.c.d.label("day"),
            literal(0, Integer).label("is_visit"),
            days.c.d.label("conv"),
        ).distinct(),
    ).subquery("visit_events")
    following = func.min(events.c.conv).over(
        partition_by=events.c.customer_id,
        order_by=(events.c.day, events.c.is_visit.desc()),
        rows=(0, None),
    )
    marked = select(events.c.id, events.c.is_visit, following.label("converts_on")).subquery(
        "visits_marked"
    )
    return (
        select(
            act.c.id,
            act.c.kind,
            act.c.customer_id,
            act.c.rep_id,
            act.c.opportunity_id,
            act.c.region_id,
            act.c.occurred_at,
            marked.c.converts_on,
        )
        .select_from(act.join(marked, marked.c.id == act.c.id))
        .where(marked.c.is_visit == 1)
    )
