"""The metrics compiler: :class:`~salesops.metrics.query.MetricQuery` → one SQLAlchemy Core
statement that runs in the database.

Stages, each in its own module: :mod:`.plan` (check the query, resolve formulas, pick sources
and group measures sharing a pass — :mod:`.accel`), builders (:mod:`.flows`, :mod:`.stocks`,
:mod:`.special`: one SELECT per group, on the :mod:`.frame`'s periods), and :mod:`.assemble`
(combine, compute values, compare, label, sort). Database differences live in
:mod:`salesops.metrics.dialects`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select

from salesops.metrics.compiler.assemble import Part, assemble, value_column
from salesops.metrics.compiler.context import BuildCtx
from salesops.metrics.compiler.frame import Frame
from salesops.metrics.compiler.plan import (
    MetricQueryError,
    build_group,
    check_dimensions,
    check_query,
    kpi_formula,
    plan_groups,
)
from salesops.metrics.dimensions import band_day
from salesops.metrics.measures import MEASURES
from salesops.metrics.query import MetricQuery
from salesops.metrics.scope import Scope

__all__ = ["Compiled", "MetricQueryError", "compile_queries", "compile_query", "value_column"]

#: Measure kinds that need an explicit list of periods (a first date for a grain series).
SERIES_KINDS = frozenset({"snapshot", "interval", "retention", "target"})


@dataclass(frozen=True)
class Compiled:
    """A compiled statement and how to read its rows."""

    statement: Select[Any]
    metrics: tuple[str, ...]
    by: tuple[str, ...]
    grain: str | None
    compare: str | None
    multi: bool


def needs_series(q: MetricQuery, params: dict[str, Any] | None = None) -> bool:
    """True when ``q`` has a grain, no start, and measures that need a list of periods."""
    if q.grain is None or q.start is not None:
        return False
    kpi = check_query(q)
    names = kpi_formula(kpi, params or dict(q.extra)).measures()
    return any(MEASURES[n].kind in SERIES_KINDS for n in names)


def compile_queries(
    queries: Sequence[MetricQuery],
    scope: Scope,
    *,
    today: dt.date,
    fiscal_start_month: int = 1,
    data_start: dt.date | None = None,
    summary: bool = True,
    month_ends: tuple[dt.date, dt.date] | None = None,
    payment_month_ends: tuple[dt.date, dt.date] | None = None,
    stays: bool = True,
    visits: bool = True,
    header_months: bool = True,
    kept_payments: bool = True,
    shared_orders: bool = False,
) -> Compiled:
    """Compile queries that differ only in their metric into one statement (shared passes).

    Every query must have the same ``by``, ``grain``, period, ``as_of``, ``where``,
    ``compare`` and ``extra``; ``sort``/``limit`` only with a single query. ``summary``:
    read order-line sums through the monthly summary where that is exact (the database must
    have ``order_line_month``); False reads the lines themselves. ``month_ends``: the first and
    last month end ``opportunity_month_end`` holds (None: read stocks from history);
    ``payment_month_ends``: the same for ``payment_month_end`` (None: overdue amounts from the
    payments); ``stays``:
    read time in stage from ``opportunity_stage_stay`` (False: from history); ``visits``: read
    visit conversion from ``visit_conversion`` (False: from visits, deals and orders);
    ``header_months``: read order and customer counts through ``order_header_month`` where
    exact (False: from the order headers); ``shared_orders``: some order's lines name several
    customers, so order and customer counts read the lines (every customer counts);
    ``kept_payments``: the collection rate's sums
    through ``payment_month`` and overdue amounts through ``payment_open`` where exact (False:
    from all payments).
    """
    if not queries:
        raise MetricQueryError("no query")
    first = queries[0]
    same = ("by", "grain", "start", "end", "as_of", "where", "compare", "extra")
    for q in queries[1:]:
        if any(getattr(q, f) != getattr(first, f) for f in same):
            raise MetricQueryError("queries compiled together must differ only in their metric")
    params = dict(first.extra)
    formulas = []
    names: set[str] = set()
    filters = {d: tuple(v) for d, v in first.where if v}
    for q in queries:
        kpi = check_query(q)
        formula = kpi_formula(kpi, params)
        measures = [MEASURES[n] for n in formula.measures()]
        check_dimensions(kpi.id, measures, (*first.by, *filters))
        formulas.append((kpi.id, formula))
        names |= formula.measures()
    frame = Frame(
        grain=first.grain,
        start=first.start,
        end=first.end,
        compare=first.compare,
        as_of=first.as_of,
        today=today,
        fiscal_start_month=fiscal_start_month,
        data_start=data_start,
    )
    ctx = BuildCtx(
        frame=frame,
        dims=tuple(first.by),
        filters=filters,
        scope=scope,
        params=params,
        summary=summary,
        month_ends=month_ends,
        payment_month_ends=payment_month_ends,
        stays=stays,
        visits=visits,
        header_months=header_months,
        kept_payments=kept_payments,
        shared_orders=shared_orders,
        band_as_of=band_day(first.as_of, first.end, today),
    )
    parts = [
        Part(build_group(ctx, g), tuple(m.name for m in g.measures))
        for g in plan_groups(ctx, sorted(names))
    ]
    single = len(queries) == 1
    stmt = assemble(
        ctx,
        formulas,
        parts,
        sort=first.sort if single else None,
        limit=first.limit if single else None,
    )
    return Compiled(
        statement=stmt,
        metrics=tuple(k for k, _ in formulas),
        by=tuple(first.by),
        grain=first.grain,
        compare=frame.compare,
        multi=not single,
    )


def compile_query(
    q: MetricQuery,
    scope: Scope,
    *,
    today: dt.date,
    fiscal_start_month: int = 1,
    data_start: dt.date | None = None,
    summary: bool = True,
    month_ends: tuple[dt.date, dt.date] | None = None,
    payment_month_ends: tuple[dt.date, dt.date] | None = None,
    stays: bool = True,
    visits: bool = True,
    header_months: bool = True,
    kept_payments: bool = True,
    shared_orders: bool = False,
) -> Compiled:
    """Compile one query (see :func:`compile_queries`)."""
    return compile_queries(
        [q],
        scope,
        today=today,
        fiscal_start_month=fiscal_start_month,
        data_start=data_start,
        summary=summary,
        month_ends=month_ends,
        payment_month_ends=payment_month_ends,
        stays=stays,
        visits=visits,
        header_months=header_months,
        kept_payments=kept_payments,
        shared_orders=shared_orders,
    )
