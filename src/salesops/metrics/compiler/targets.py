"""Target measures: the target table's values per group and period."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, func, literal, select

from salesops.metrics.compiler.context import BUCKET, BuildCtx, key_name
from salesops.metrics.compiler.special import empty_part
from salesops.metrics.dialects import add_days
from salesops.metrics.measures import Measure

#: Query dimension -> (target scope kind, target column holding the same key as the facts).
TARGET_DIMENSIONS = {
    "region": ("region", "region_id"),
    "team": ("org_unit", "org_unit_id"),
    "rep": ("rep", "rep_id"),
    "product_line": ("product_line", "product_line"),
}
#: The dimension a target's ``channel`` column answers (order_line.channel).
CHANNEL = "channel"
_GRAIN_RANK = {"month": 1, "quarter": 2, "year": 3}


def target_metric(ctx: BuildCtx, m: Measure) -> str:
    """The KPI a target measure reads targets of (the query's ``target_metric``, else revenue)."""
    return str(m.param("metric") or ctx.params.get("target_metric") or "revenue")


def build_target(ctx: BuildCtx, m: Measure) -> Select[Any]:
    """Target values per group and period: targets of the coarsest grain lying inside the
    period (this one, or the next one for ``window=next``). A grouping or filter the target
    table cannot express (two dimensions, a customer ...) has no target: no rows.

    Without ``channel`` in the query only whole targets count (a channel's part is not the
    scope's quota); filtered or grouped by channel, only the channels' parts do."""
    from salesops.db.tables import OrgUnit, Region, Rep, Target
    from salesops.metrics.compiler.context import periods_table
    from salesops.metrics.dialects import add_months
    from salesops.metrics.scope import restrict, subtree_units

    used = set(ctx.dims) | set(ctx.filters)
    used.discard(CHANNEL)
    if len(used) > 1 or not used <= set(TARGET_DIMENSIONS):
        return empty_part(ctx, [m])
    dim = next(iter(used), None)
    kind = "company" if dim is None else TARGET_DIMENSIONS[dim][0]
    tgt = Target.__table__
    nxt = m.param("window") == "next"
    periods = ctx.frame.periods() if ctx.frame.bucketed else ctx.frame.current()
    table = periods_table(periods, ctx.frame, with_next=nxt, name=ctx.name("target_periods"))
    lo, hi = (table.c.n_start, table.c.n_end) if nxt else (table.c.p_start, table.c.p_end)
    t_end = add_days(
        case(
            (tgt.c.period_grain == "year", add_months(tgt.c.period_start, 12)),
            (tgt.c.period_grain == "quarter", add_months(tgt.c.period_start, 3)),
            else_=add_months(tgt.c.period_start, 1),
        ),
        -1,
    )
    where: list[Any] = [
        tgt.c.metric == target_metric(ctx, m),
        tgt.c.scope_kind == kind,
        tgt.c.period_start >= lo,
        t_end <= hi,
    ]
    if CHANNEL in ctx.filters:
        where.append(tgt.c.channel.in_(ctx.filters[CHANNEL]))
    elif CHANNEL in ctx.dims:
        where.append(tgt.c.channel.is_not(None))
    else:
        where.append(tgt.c.channel.is_(None))
    if dim is not None and dim in ctx.filters:
        values = ctx.filters[dim]
        lookups = {
            "region": select(Region.id).where(Region.name.in_(values)),
            "team": select(OrgUnit.id).where(OrgUnit.name.in_(values)),
            "rep": select(Rep.id).where(Rep.name.in_(values)),
        }
        column = tgt.c[TARGET_DIMENSIONS[dim][1]]
        where.append(column.in_(lookups[dim]) if dim in lookups else column.in_(values))
    if not ctx.scope.is_full:
        if kind == "rep":
            where.append(restrict(ctx.scope, tgt.c.rep_id))
        elif kind == "org_unit" and ctx.scope.kind == "org_unit":
            assert ctx.scope.org_unit_id is not None
            where.append(tgt.c.org_unit_id.in_(subtree_units(ctx.scope.org_unit_id)))
        else:
            where.append(literal(False))
    rank = case(*((tgt.c.period_grain == g, r) for g, r in _GRAIN_RANK.items()), else_=0)
    key_cols = [
        (tgt.c.channel if d == CHANNEL else tgt.c[TARGET_DIMENSIONS[d][1]]).label(key_name(d))
        for d in ctx.dims
    ]
    part: list[Any] = [*key_cols]
    if ctx.frame.bucketed:
        part.append(table.c.bucket)
    ranked_cols: list[Any] = [*key_cols, tgt.c.value, rank.label("rank")]
    if ctx.frame.bucketed:
        ranked_cols.append(table.c.bucket.label(BUCKET))
    ranked_cols.append(func.max(rank).over(partition_by=part or None).label("top"))
    ranked = (
        select(*ranked_cols)
        .select_from(tgt.join(table, literal(True)))
        .where(*where)
        .subquery(ctx.name("targets"))
    )
    keys: list[Any] = [ranked.c[key_name(d)] for d in ctx.dims]
    if ctx.frame.bucketed:
        keys.append(ranked.c[BUCKET])
    stmt = select(*keys, func.sum(ranked.c.value).label(m.name)).where(
        ranked.c.rank == ranked.c.top
    )
    return stmt.group_by(*keys) if keys else stmt
