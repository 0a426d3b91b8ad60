"""The fact rows behind a number ("which orders make up this revenue?").

For a KPI and query: the rows of the KPI's main fact in the query's period, with its filters
and the caller's scope, that any of the KPI's measures on that fact counts — with the display
names of their region, rep and customer. Stock KPIs list the rows as they stood at the end of
the period (open opportunities from history, overdue payments).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import FromClause, Select, and_, literal, or_, select, true

from salesops.metrics import catalog, dimensions
from salesops.metrics.compiler.plan import MetricQueryError, kpi_formula
from salesops.metrics.history import opportunity_states
from salesops.metrics.measures import MEASURES, Measure, RowCtx, time_expression
from salesops.metrics.query import MetricQuery
from salesops.metrics.scope import Scope

#: Display columns added to each record, when the fact has that dimension.
_LABELS = ("region", "rep", "customer", "product")


def _main_measures(kpi: catalog.Kpi, q: MetricQuery) -> tuple[str, list[Measure]]:
    names = kpi_formula(kpi, dict(q.extra)).measures()
    measures = [MEASURES[n] for n in sorted(names) if MEASURES[n].kind != "target"]
    if not measures:
        raise MetricQueryError(f"{kpi.id} has no fact rows to list")
    facts = [m.fact for m in measures]
    fact = kpi.fact if kpi.fact in facts else facts[0]
    return fact, [m for m in measures if m.fact == fact]


def fact_records(
    kpi: catalog.Kpi, q: MetricQuery, scope: Scope, *, limit: int, today: dt.date
) -> Select[Any]:
    """SELECT of the rows behind ``q`` (see the module docstring)."""
    fact, measures = _main_measures(kpi, q)
    info = dimensions.fact(fact)
    end = q.end or today
    as_of = q.as_of or min(end, today)
    src: FromClause
    if any(m.kind == "snapshot" for m in measures) and fact == "opportunity":
        src = opportunity_states(as_of, open_only=True).subquery("opportunity")
    else:
        src = info.table
    ctx = RowCtx(literal(q.start or dt.date(1900, 1, 1)), literal(end), as_of=literal(as_of))
    where: list[Any] = []
    conds = [m.where(src, ctx) for m in measures if m.where is not None]
    if conds and len(conds) == len(measures):
        where.append(or_(*conds))
    time_col = next((m.time for m in measures if m.time), None)
    order: list[Any] = []
    if time_col and any(m.kind in ("flow", "per_customer") for m in measures):
        t = time_expression(fact, time_col, src)
        if q.start is not None:
            where.append(t >= q.start)
        if q.end is not None:
            where.append(t <= q.end)
        order.append(t.desc())
    if fact == "payment" and any(m.kind == "snapshot" for m in measures):
        where.append(src.c.due_date < as_of)
    band = dimensions.band_day(q.as_of, q.end, today)
    where += dimensions.conditions(fact, q.filters(), scope, src, as_of=band)
    cols: list[Any] = list(src.c)
    joins: list[dimensions.Join] = []
    for dim in _LABELS:
        if dim in q.by or dimensions.applies(fact, dim):
            try:
                label, needed = dimensions.dimension_column(fact, dim, src)
            except dimensions.DimensionError:
                continue
            if fact == "customer" and dim == "customer":
                continue
            cols.append(label.label(f"{dim}_name"))
            joins.extend(needed)
    stmt = select(*cols).select_from(dimensions.join_all(src, joins)).where(and_(true(), *where))
    return stmt.order_by(*order, src.c[src.c.keys()[0]]).limit(limit)
