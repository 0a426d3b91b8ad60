"""Assembly: measure parts → one row per group and period → KPI values → comparison → display
names → order and limit. One SQL statement, with the parts as CTEs.

Parts are combined by ``UNION ALL`` + ``GROUP BY`` (each part contributes its own columns and
NULLs for the others), which needs no chain of full outer joins and gives every group that any
measure has. A missing measure reads 0 in a group other measures have (NULL for targets and
market sizes), so ratios of empty denominators are NULL and sums of nothing are 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Date,
    Double,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from salesops.db.tables import PipelineStage
from salesops.metrics.compiler.context import BUCKET, BuildCtx, as_float, key_name
from salesops.metrics.dialects import days_between, fdiv
from salesops.metrics.dimensions import dimension_label, join_all
from salesops.metrics.formula import Expr, powers, variables
from salesops.metrics.measures import MEASURES


@dataclass(frozen=True)
class Part:
    """The SELECT of one builder and the measures it computes."""

    select: Select[Any]
    measures: tuple[str, ...]


def value_column(kpi: str, multi: bool, what: str = "value") -> str:
    """Name of a KPI's value / previous / change column in the compiled statement."""
    return f"{what}__{kpi}" if multi else what


def _combine(ctx: BuildCtx, parts: Sequence[Part]) -> tuple[Any, dict[str, Any]]:
    keys = [key_name(d) for d in ctx.dims]
    bucketed = ctx.frame.bucketed
    ctes = [p.select.cte(ctx.name("m_" + "_".join(p.measures))[:60]) for p in parts]
    if len(parts) == 1:
        cte = ctes[0]
        return cte, {m: cte.c[m] for m in parts[0].measures}
    names = [m for p in parts for m in p.measures]
    branches = []
    for part, cte in zip(parts, ctes, strict=True):
        cols: list[Any] = [cte.c[k] for k in keys]
        if bucketed:
            cols.append(cte.c[BUCKET])
        for n in names:
            cols.append(
                as_float(cte.c[n]).label(n) if n in part.measures else cast(null(), Double).label(n)
            )
        branches.append(select(*cols))
    u = union_all(*branches).subquery(ctx.name("measure_rows"))
    group = [u.c[k] for k in keys] + ([u.c[BUCKET]] if bucketed else [])
    stmt = select(*group, *(func.sum(u.c[n]).label(n) for n in names))
    comb = (stmt.group_by(*group) if group else stmt).cte(ctx.name("measures"))
    return comb, {n: comb.c[n] for n in names}


def _period_vars(ctx: BuildCtx, bucket: Any) -> dict[str, ColumnElement[Any]]:
    bounds = ctx.frame.bucket_bounds(bucket)
    if bounds is None:
        return {"period_days": literal(365.0, Double), "elapsed_share": literal(1.0, Double)}
    start, end = bounds
    days = cast(days_between(start, end) + 1, Double)
    cap = literal(ctx.frame.cap, Date)
    upto = case((end < cap, end), else_=cap)
    elapsed = cast(days_between(start, upto) + 1, Double)
    share = case(
        (elapsed <= 0, literal(0.0, Double)),
        (elapsed >= days, literal(1.0, Double)),
        else_=fdiv(elapsed, days),
    )
    return {"period_days": days, "elapsed_share": share}


def assemble(
    ctx: BuildCtx,
    formulas: Sequence[tuple[str, Expr]],
    parts: Sequence[Part],
    *,
    sort: str | None = None,
    limit: int | None = None,
) -> Select[Any]:
    """The final statement: dimension display names, ``period`` (bucket date), values."""
    multi = len(formulas) > 1
    comb, measure_cols = _combine(ctx, parts)
    keys = [key_name(d) for d in ctx.dims]
    bucketed = ctx.frame.bucketed
    # The period's length and elapsed share are columns of a layer of their own, computed
    # once per row: inlined, a formula that reads them several times (CLV, through a power
    # with its guards) repeated a large CASE dozens of times, and DuckDB's optimizer spent
    # longer on the expression than the data took to read.
    used = set().union(*(variables(f) for _, f in formulas))
    every_var = _period_vars(ctx, comb.c[BUCKET] if bucketed else None)
    period_vars = {n: v for n, v in every_var.items() if n in used}
    layer = select(comb, *(v.label(n) for n, v in period_vars.items())).subquery(
        ctx.name("measures_in_period")
    )

    def readable_of(src: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in measure_cols:
            zero = MEASURES[name].zero if name in MEASURES else True
            out[name] = func.coalesce(src.c[name], literal(0)) if zero else src.c[name]
        return out | {n: src.c[n] for n in period_vars}

    # Likewise every power, in one more layer (see formula.powers).
    ahead = {p.column: p for _, formula in formulas for p in powers(formula)}
    if ahead:
        inline = readable_of(layer)
        layer = select(layer, *(p.sql(inline).label(n) for n, p in ahead.items())).subquery(
            ctx.name("measures_powered")
        )
    readable = readable_of(layer) | {n: layer.c[n] for n in ahead}
    cols = {name: layer.c[name] for name in measure_cols}
    bucket = layer.c[BUCKET] if bucketed else None
    kv_cols: list[Any] = [layer.c[k] for k in keys] + ([bucket] if bucket is not None else [])
    for kpi, formula in formulas:
        value: Any = cast(formula.sql(readable), Double)
        if multi:
            # A group another KPI of the statement has is not a group of this KPI: its value
            # stays NULL and the row is dropped, exactly as if the KPI had been queried alone.
            present = or_(*(cols[m].is_not(None) for m in sorted(formula.measures())))
            value = case((present, value), else_=null())
            kv_cols.append(present.label(value_column(kpi, multi, "present")))
        kv_cols.append(value.label(value_column(kpi, multi)))
    kv = select(*kv_cols).cte(ctx.name("kpi_values"))

    cur = kv.alias("cur")
    frm: Any = cur
    out: list[Any] = []
    where: list[Any] = []
    compare = ctx.frame.compare is not None
    if bucketed and compare:
        # Only a comparison adds buckets the answer does not show (the previous periods). A
        # part that looks back (retention) keeps its own rows to the periods asked for, so
        # without a comparison the filter is redundant — and not free: the database pushes
        # it into every part, where it computed each row's bucket twice (1.5 M activities
        # by month at large).
        current = ctx.frame.is_current(cur.c[BUCKET])
        if current is not None:
            where.append(current)
    if compare:
        prv = kv.alias("prv")
        on = and_(
            *(cur.c[k].is_not_distinct_from(prv.c[k]) for k in keys),
            ctx.frame.compare_on(cur.c[BUCKET], prv.c[BUCKET]),
        )
        frm = frm.outerjoin(prv, on)
    label_joins = []
    for dim in ctx.dims:
        label, join = dimension_label(dim, cur.c[key_name(dim)])
        out.append(label.label(dim))
        if join is not None:
            label_joins.append(join)
    frm = join_all(frm, label_joins)
    if ctx.frame.grain is not None:
        out.append(cur.c[BUCKET].label("period"))
    for kpi, _ in formulas:
        v = cur.c[value_column(kpi, multi)]
        out.append(v.label(value_column(kpi, multi)))
        if multi:
            present_col = value_column(kpi, multi, "present")
            out.append(cur.c[present_col].label(present_col))
        if compare:
            p = prv.c[value_column(kpi, multi)]
            out.append(p.label(value_column(kpi, multi, "previous")))
            change = case((p == 0, null()), else_=fdiv(v - p, p))
            out.append(change.label(value_column(kpi, multi, "change")))
    stmt = select(*out).select_from(frm).where(*where)
    stmt = stmt.order_by(*_order(ctx, out, cur, sort, multi, formulas))
    return stmt.limit(limit) if limit else stmt


def _stage_rank(stage: Any) -> Any:
    st = PipelineStage
    return select(func.min(st.position)).where(st.name == stage).scalar_subquery()


def _order(
    ctx: BuildCtx,
    out: list[Any],
    cur: Any,
    sort: str | None,
    multi: bool,
    formulas: Sequence[tuple[str, Expr]],
) -> list[Any]:
    by_name = {c.name: c for c in out}
    default: list[Any] = []
    if ctx.frame.grain is not None:
        default.append(cur.c[BUCKET].asc())
    for dim in ctx.dims:
        if dim == "stage":
            default.append(_stage_rank(cur.c[key_name(dim)]).asc().nulls_last())
        default.append(by_name[dim].element.asc().nulls_last())
    if not sort:
        return default
    desc = sort.startswith("-")
    key = sort.removeprefix("-")
    if key == "period":
        col: Any = cur.c[BUCKET] if ctx.frame.grain is not None else None
    elif key in ("value", "previous", "change"):
        name = value_column(formulas[0][0], multi, key)
        col = by_name[name].element if name in by_name else None
    else:
        col = by_name[key].element if key in by_name else None
    if col is None:
        return default
    first = col.desc().nulls_last() if desc else col.asc().nulls_last()
    return [first, *default]
