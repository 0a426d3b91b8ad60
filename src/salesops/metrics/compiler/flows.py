"""Flow measures: rows whose time column falls in the period, aggregated per group and bucket.

Measures of one fact and time column are fused into one pass (conditional aggregates). Before
building, :func:`salesops.metrics.compiler.accel.choose` may answer a measure from an equivalent,
smaller structure (order headers, summary tables) — the measure definitions never know.
"""

from __future__ import annotations

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
from salesops.metrics.dimensions import fact as fact_info
from salesops.metrics.dimensions import join_all
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
    aggs = [aggregate(m, src, rctx, hoist).label(m.name) for m in measures]
    where = [*ctx.conditions(fact, src), *ctx.in_periods(fact, time, src, lookback)]
    if hoist and measures[0].where is not None:
        where.append(measures[0].where(src, rctx))
    return finish(ctx, src, joins, key_cols, bucket, aggs, where)


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
    from salesops.metrics.compiler.stocks import snapshot_periods

    table = periods_table(
        snapshot_periods(ctx), ctx.frame, with_next=True, name=ctx.name("next_periods")
    )
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
