"""Last year's shape of a KPI: the one seasonal weighting of targets and alerts.

:func:`seasonal_weights` measures a KPI over spans of days one year earlier. Target
decomposition (``seasonality``) splits a target over its sub-periods in proportion to these
weights; a seasonal pacing rule (``pace: seasonal``) compares attainment with the share of last
year's period that had been reached by the same day (weights of the elapsed and the remaining
part). Both read the numbers from the metrics engine, in the caller's scope, with the same
filters; negative values (returns larger than sales) count as 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import Engine

from salesops.metrics.engine import MetricsEngine
from salesops.metrics.query import MetricQuery
from salesops.metrics.scope import FULL_SCOPE, Scope
from salesops.targets.kpis import MetricError, metrics_engine, to_decimal

Span = tuple[dt.date, dt.date]
Filters = tuple[tuple[str, tuple[str, ...]], ...]


def year_before(day: dt.date) -> dt.date:
    """The same day one year earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def seasonal_weights(
    engine: Engine,
    metric: str,
    spans: Sequence[Span],
    *,
    where: Filters = (),
    by: tuple[str, ...] = (),
    scope: Scope = FULL_SCOPE,
    metrics: MetricsEngine | None = None,
) -> dict[tuple[str, ...], list[Decimal]]:
    """``metric`` over each span (inclusive dates) moved one year back, per group of ``by``.

    Answers ``{group: [weight of each span]}``; without ``by`` the only group is ``()``. A
    group missing from a span weighs 0 there, and so does a negative value. All spans are
    asked in one engine call."""
    queries = [
        MetricQuery(
            metric=metric, by=by, start=year_before(start), end=year_before(end), where=where
        )
        for start, end in spans
    ]
    if not queries:
        return {}
    m = metrics or metrics_engine(engine)
    try:
        results = m.query_many(queries, scope)
    except MetricError:
        raise
    except ValueError as exc:
        raise MetricError(str(exc)) from exc
    out: dict[tuple[str, ...], list[Decimal]] = {} if by else {(): [Decimal(0)] * len(spans)}
    for i, result in enumerate(results):
        for row in result.rows:
            key = tuple(str(row[d]) for d in by)
            weights = out.setdefault(key, [Decimal(0)] * len(spans))
            value = to_decimal(row.get("value"))
            weights[i] = max(value or Decimal(0), Decimal(0))
    return out


def seasonal_share(
    engine: Engine,
    metric: str,
    start: dt.date,
    end: dt.date,
    today: dt.date,
    *,
    where: Filters = (),
    by: tuple[str, ...] = (),
    scope: Scope = FULL_SCOPE,
    metrics: MetricsEngine | None = None,
) -> dict[tuple[str, ...], float | None]:
    """The share of the period ``start``..``end`` reached by ``today``, in last year's shape:
    last year's ``metric`` from the start to the same day / last year's whole period, per group
    (None where last year had nothing to measure the shape by)."""
    if today < start:
        return {(): 0.0} if not by else {}
    cut = min(today, end)
    spans: list[Span] = [(start, cut)]
    if cut < end:
        spans.append((cut + dt.timedelta(days=1), end))
    weights = seasonal_weights(
        engine, metric, spans, where=where, by=by, scope=scope, metrics=metrics
    )
    shares: dict[tuple[str, ...], float | None] = {}
    for key, ws in weights.items():
        whole = sum(ws, Decimal(0))
        shares[key] = float(ws[0] / whole) if whole > 0 else None
    return shares
