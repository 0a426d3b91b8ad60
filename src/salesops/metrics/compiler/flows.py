"""Flow measures: rows whose time column falls in the period, aggregated per group and bucket.

Measures of one fact and time column are fused into one pass (conditional aggregates). Before
building, :func:`salesops.metrics.compiler.accel.choose` may answer a measure from an equivalent,
smaller structure (order headers, summary tables) — the measure definitions never know.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import FromClause, Select, func, select

from salesops.metrics.compiler.context import (
    BUCKET,
    BuildCtx,
    aggregate,
    finish,
    hoistable,
    key_name,
)
from salesops.metrics.dimensions import Join, join_all
from salesops.metrics.dimensions import fact as fact_info
from salesops.metrics.measures import Measure, RowCtx, time_expression


def _row_ctx(ctx: BuildCtx, bucket: Any) -> RowCtx:
    bounds = ctx.frame.bucket_bounds(bucket) if bucket is not None else None
    if bounds is None and ctx.frame.mode == "single":
        bounds = ctx.frame.bucket_bounds(None)
    if bounds is None:
        return RowCtx(None, None)
    return RowCtx(bounds[0], bounds[1])


def build_flow(
    ctx: BuildCtx,
    fact: str,
    time: str,
    measures: Sequence[Measure],
    source: FromClause | None = None,
    lookback: int = 0,
) -> Select[Any]:
    """One pass over ``fact`` computing every measure of ``measures`` per group and bucket."""
    src = source if source is not None else fact_info(fact).table
    t = time_expression(fact, time, src)
    bucket = ctx.frame.bucket(t)
    key_cols, joins = ctx.keys(fact, src)
    rctx = _row_ctx(ctx, bucket)
    hoist = hoistable(measures)
    where = [*ctx.conditions(fact, src), *ctx.in_periods(fact, time, src, lookback)]
    if hoist and measures[0].where is not None:
        where.append(measures[0].where(src, rctx))
    distinct = [m for m in measures if m.agg == "count_distinct"]
    if len(distinct) == 1 and all(m.where is measures[0].where for m in measures):
        return _per_distinct_value(ctx, src, joins, key_cols, bucket, measures, rctx, where)
    aggs = [aggregate(m, src, rctx, hoist).label(m.name) for m in measures]
    return finish(ctx, src, joins, key_cols, bucket, aggs, where)


def _per_distinct_value(
    ctx: BuildCtx,
    src: FromClause,
    joins: list[Join],
    key_cols: Sequence[Any],
    bucket: Any,
    measures: Sequence[Measure],
    rctx: RowCtx,
    where: Sequence[Any],
) -> Select[Any]:
    """:func:`build_flow` of measures with one distinct count (all with the same row
    condition, already in ``where``) in two steps: sums and counts per group, bucket and
    distinct value, then over the values — the distinct count is a count of values, the
    others sum their parts. The same numbers; DuckDB answers a distinct count next to other
    aggregates with a pass of its own over the rows, which cost as much as the rest of the
    group (active customers beside orders: 0.03-0.04 s of every overview statement at
    ``large``)."""
    (distinct,) = [m for m in measures if m.agg == "count_distinct"]
    others = [m for m in measures if m is not distinct]
    assert distinct.value is not None
    group: list[Any] = list(key_cols)
    if bucket is not None:
        group.append(bucket.label(BUCKET))
    value = distinct.value(src, rctx).label("distinct_value")
    inner = (
        select(*group, value, *(aggregate(m, src, rctx, True).label(m.name) for m in others))
        .select_from(join_all(src, joins))
        .where(*where)
        .group_by(*group, value)
        .subquery(ctx.name(f"{distinct.name}_values"))
    )
    outer_keys = [inner.c[c.name] for c in group]
    aggs: list[Any] = [func.count(inner.c.distinct_value).label(distinct.name)]
    for m in others:
        part = func.sum(inner.c[m.name])
        aggs.append((func.coalesce(part, 0) if m.agg == "count" else part).label(m.name))
    stmt = select(*outer_keys, *aggs)
    return stmt.group_by(*outer_keys) if outer_keys else stmt


def build_per_customer(
    ctx: BuildCtx, fact: str, time: str, m: Measure, source: FromClause | None = None
) -> Select[Any]:
    """Customers of the group with at least ``min_orders`` orders (two steps: per customer,
    then over customers)."""
    src = source if source is not None else fact_info(fact).table
    t = time_expression(fact, time, src)
    bucket = ctx.frame.bucket(t)
    key_cols, joins = ctx.keys(fact, src)
    rctx = _row_ctx(ctx, bucket)
    where = ctx.conditions(fact, src)
    span = ctx.frame.time_filter(t)
    if span is not None:
        where.append(span)
    if m.where is not None:
        where.append(m.where(src, rctx))
    customer = src.c.customer_id
    where.append(customer.is_not(None))
    order_count: Any
    if "orders" in src.c:  # order headers counted per month (``order_header_month``)
        order_count = func.sum(src.c.orders)
    elif fact == "order_header":
        order_count = func.count()
    else:
        order_count = func.count(src.c.order_id.distinct())
    cols: list[Any] = [*key_cols]
    group: list[Any] = [*key_cols]
    if bucket is not None:
        cols.append(bucket.label(BUCKET))
        group.append(bucket)
    inner = (
        select(*cols, customer.label("customer_id"), order_count.label("n"))
        .select_from(join_all(src, joins))
        .where(*where)
        .group_by(*group, customer)
        .subquery(ctx.name(f"{m.name}_per_customer"))
    )
    outer_keys = [inner.c[key_name(d)] for d in ctx.dims]
    if bucket is not None:
        outer_keys.append(inner.c[BUCKET])
    needed = int(m.param("min_orders", 2))
    stmt = select(*outer_keys, func.count().filter(inner.c.n >= needed).label(m.name))
    return stmt.group_by(*outer_keys) if outer_keys else stmt


def build_next_flow(
    ctx: BuildCtx, fact: str, time: str, measures: Sequence[Measure]
) -> Select[Any]:
    """Flow measures over the period just *after* each period, up to its stock date (what was
    already achieved of the next period when the period ended)."""
    from sqlalchemy import case

    from salesops.metrics.compiler.context import periods_table
    from salesops.metrics.compiler.frame import next_window
    from salesops.metrics.compiler.special import empty_part
    from salesops.metrics.compiler.stocks import snapshot_periods

    # Only a period whose stock date falls in the next period has achieved anything of it (a
    # quarter seen as of a day in the next one); measured at its own end, none has. Those
    # periods are known here, so the others never join every row with the periods.
    frame = ctx.frame
    periods = [
        p
        for p in snapshot_periods(ctx)
        if next_window(p.start or dt.date(1900, 1, 1), p.end or frame.cap)[0]
        <= frame.snapshot_date(p)
    ]
    if not periods:
        return empty_part(ctx, measures)
    table = periods_table(periods, frame, with_next=True, name=ctx.name("next_periods"))
    base = fact_info(fact).table
    t = time_expression(fact, time, base)
    upto = case((table.c.n_end < table.c.as_of, table.c.n_end), else_=table.c.as_of)
    src = (
        select(*base.c, table.c.bucket.label(BUCKET))
        .select_from(base.join(table, t.between(table.c.n_start, upto)))
        .subquery(ctx.name(f"{fact}_next"))
    )
    key_cols, joins = ctx.keys(fact, src)
    rctx = RowCtx(None, None)
    hoist = hoistable(measures)
    aggs = [aggregate(m, src, rctx, hoist).label(m.name) for m in measures]
    where = ctx.conditions(fact, src)
    if hoist and measures[0].where is not None:
        where.append(measures[0].where(src, rctx))
    bucket = src.c[BUCKET] if ctx.frame.bucketed else None
    return finish(ctx, src, joins, key_cols, bucket, aggs, where)
