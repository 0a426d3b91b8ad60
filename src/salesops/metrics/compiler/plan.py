"""Planning: check a query, resolve its KPIs' formulas, pick a source for every measure, and group
measures that can share one pass over a fact."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, get_args

from sqlalchemy import FromClause, Select

from salesops.metrics import catalog
from salesops.metrics.compiler import accel, summary
from salesops.metrics.compiler.context import BuildCtx
from salesops.metrics.compiler.flows import build_flow, build_next_flow, build_per_customer
from salesops.metrics.compiler.special import build_dwell, build_funnel, build_retention
from salesops.metrics.compiler.stocks import build_interval, build_snapshot
from salesops.metrics.compiler.targets import build_target
from salesops.metrics.compiler.visits import build_visit
from salesops.metrics.dimensions import (
    DimensionError,
    applies,
    suggest_dimension,
    unknown_dimension_message,
)
from salesops.metrics.formula import Bin, Expr, Inverse, Least, M, PositiveOrNull, Pow
from salesops.metrics.measures import MEASURES, Measure
from salesops.metrics.query import DIMENSIONS, Grain, MetricQuery


class MetricQueryError(ValueError):
    """A query the engine cannot answer: unknown metric, dimension, grain, bad dates ..."""


#: Facts whose measures do not restrict which dimensions a query may use (targets simply have
#: no value for a grouping they cannot express).
_LENIENT_FACTS = frozenset({"target"})
SORT_KEYS = ("value", "previous", "change", "period")


def substitute(expr: Expr, name: str, replacement: Expr) -> Expr:
    """``expr`` with every measure ``name`` replaced by ``replacement``."""
    if isinstance(expr, M):
        return replacement if expr.name == name else expr
    if isinstance(expr, Bin):
        return Bin(
            expr.op,
            substitute(expr.left, name, replacement),
            substitute(expr.right, name, replacement),
        )
    if isinstance(expr, Least):
        return Least(
            substitute(expr.left, name, replacement), substitute(expr.right, name, replacement)
        )
    if isinstance(expr, Pow):
        return Pow(
            substitute(expr.base, name, replacement), substitute(expr.exponent, name, replacement)
        )
    if isinstance(expr, PositiveOrNull):
        return PositiveOrNull(substitute(expr.inner, name, replacement))
    if isinstance(expr, Inverse):
        return Inverse(substitute(expr.inner, name, replacement), expr.cap)
    return expr


def kpi_formula(kpi: catalog.Kpi, params: dict[str, Any]) -> Expr:
    """The KPI's formula with the dynamic ``actual`` measure resolved (the target's metric)."""
    if "actual" not in kpi.formula.measures():
        return kpi.formula
    metric = str(params.get("target_metric") or "revenue")
    if metric not in catalog.CATALOG or metric in ("target_attainment", "pacing"):
        raise MetricQueryError(f"target_metric {metric!r} is not a KPI targets can be set for")
    return substitute(kpi.formula, "actual", catalog.get(metric).formula)


def check_query(q: MetricQuery) -> catalog.Kpi:
    """Validate the parts of ``q`` that do not depend on the KPI's facts."""
    try:
        kpi = catalog.get(q.metric)
    except catalog.UnknownMetric as exc:
        raise MetricQueryError(str(exc)) from None
    for dim in (*q.by, *(d for d, _ in q.where)):
        if dim not in DIMENSIONS:
            raise MetricQueryError(unknown_dimension_message(dim))
    if len(set(q.by)) != len(q.by):
        raise MetricQueryError("a dimension is listed twice in 'by'")
    if q.grain is not None and q.grain not in get_args(Grain):
        raise MetricQueryError(f"unknown grain {q.grain!r}; known: {', '.join(get_args(Grain))}")
    if q.start is not None and q.end is not None and q.start > q.end:
        raise MetricQueryError(f"period start {q.start} is after its end {q.end}")
    if q.compare is not None and q.compare not in ("prev", "yoy"):
        raise MetricQueryError(f"unknown comparison {q.compare!r}; known: prev, yoy")
    if q.sort is not None:
        key = q.sort.removeprefix("-")
        if key not in SORT_KEYS and key not in q.by:
            allowed = ", ".join((*SORT_KEYS, *q.by))
            raise MetricQueryError(f"cannot sort by {q.sort!r}; use one of {allowed} (- for desc)")
    if q.limit is not None and q.limit < 1:
        raise MetricQueryError("limit must be at least 1")
    return kpi


def check_dimensions(kpi_id: str, measures: Sequence[Measure], dims: Sequence[str]) -> None:
    """Every grouped or filtered dimension must apply to every fact the KPI counts on; the
    error names the allowed dimension the user probably meant (``category`` on revenue:
    ``product_line``) and lists them all."""
    facts = sorted({m.fact for m in measures if m.fact not in _LENIENT_FACTS})
    allowed = [d for d in DIMENSIONS if all(applies(f, d) for f in facts)]
    for dim in dims:
        for f in facts:
            if not applies(f, dim):
                hint = suggest_dimension(dim, allowed)
                meant = f"; did you mean {hint!r}?" if hint else "."
                raise MetricQueryError(
                    f"dimension {dim!r} does not apply to {kpi_id} "
                    f"(it counts {f.replace('_', ' ')} rows, which have no {dim}){meant} "
                    f"It can be split by: {', '.join(allowed) or 'nothing'}"
                )


@dataclass(frozen=True)
class Group:
    """Measures built by one builder call."""

    builder: str
    fact: str
    time: str | None
    measures: tuple[Measure, ...]
    #: None: the fact's table; :data:`summary.SOURCE`: order lines through the monthly summary;
    #: :data:`summary.HEADER_SOURCE`: order headers through ``order_header_month``;
    #: :data:`summary.PAYMENT_SOURCE`: payments through ``payment_month``
    source: str | None = None


#: The kept monthly structures a flow group may be read through (:mod:`summary`).
_ROUTES = (summary.route, summary.route_headers, summary.route_payments)


def plan_groups(ctx: BuildCtx, names: Sequence[str]) -> list[Group]:
    """Pick a source per measure (see :mod:`accel`), group those sharing a pass, and read
    order-line sums, order and customer counts and the collection rate's sums through the
    monthly structures where that is exact (:mod:`summary`)."""
    groups: dict[tuple[Any, ...], list[Measure]] = {}
    singles: list[Group] = []
    for name in sorted(set(names)):
        m = accel.choose(MEASURES[name], ctx)
        window = m.param("window")
        if m.kind in ("per_customer", "target"):
            singles.append(summary.route_headers(ctx, Group(m.kind, m.fact, m.time, (m,))))
            continue
        builder = "next_flow" if (m.kind == "flow" and window == "next_to_date") else m.kind
        key = (builder, m.fact, m.time if m.kind == "flow" else None)
        groups.setdefault(key, []).append(m)
    out = []
    for k, ms in groups.items():
        g = Group(k[0], k[1], k[2], tuple(ms))
        for route in _ROUTES:  # each leaves a group it cannot serve as it is
            g = route(ctx, g)
        out.append(g)
    return out + singles


def build_group(ctx: BuildCtx, g: Group, source: FromClause | None = None) -> Select[Any]:
    """The SELECT computing the measures of ``g`` (keys, bucket, one column per measure)."""
    try:
        if g.builder == "flow":
            assert g.time is not None
            if source is None and g.source == summary.SOURCE:
                source = summary.source(ctx)
            if source is None and g.source == summary.HEADER_SOURCE:
                source = summary.header_source(ctx)
            if source is None and g.source == summary.PAYMENT_SOURCE:
                source = summary.payment_source(ctx)
            return build_flow(ctx, g.fact, g.time, g.measures, source)
        if g.builder == "next_flow":
            assert g.time is not None
            return build_next_flow(ctx, g.fact, g.time, g.measures)
        if g.builder == "per_customer":
            assert g.time is not None
            if source is None and g.source == summary.HEADER_SOURCE:
                source = summary.header_source(ctx)
            return build_per_customer(ctx, g.fact, g.time, g.measures[0], source)
        if g.builder == "snapshot":
            return build_snapshot(ctx, g.fact, g.measures)
        if g.builder == "interval":
            return build_interval(ctx, g.fact, g.measures)
        if g.builder == "retention":
            return build_retention(ctx, g.measures)
        if g.builder == "funnel":
            return build_funnel(ctx, g.measures)
        if g.builder == "dwell":
            return build_dwell(ctx, g.measures)
        if g.builder == "visit":
            return build_visit(ctx, g.measures)
        if g.builder == "target":
            return build_target(ctx, g.measures[0])
    except DimensionError as exc:
        raise MetricQueryError(str(exc)) from None
    raise MetricQueryError(f"no builder for {g.builder}")  # pragma: no cover
