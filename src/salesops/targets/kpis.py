"""What targets need from the metrics engine: KPI facts from the catalog, and numbers.

Every actual, seasonality share and last-year share comes from :class:`MetricsEngine`; this
module only adapts its answers (one engine per database, so its cache is shared).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from salesops.metrics import catalog
from salesops.metrics.engine import MetricsEngine, shared_engine
from salesops.metrics.query import MetricQuery
from salesops.metrics.scope import Scope


class MetricError(ValueError):
    """An unknown KPI, or one targets cannot use."""


@dataclass(frozen=True)
class MetricInfo:
    """The catalog facts targets need about one KPI."""

    id: str
    name_en: str
    name_zh: str
    unit: str  # money | count | ratio | days | score | money_per_day
    good: str  # up | down
    additive: bool  # children add up to the parent across units
    over_time: bool  # ... and across periods (flows, not stocks or distinct counts)
    stock: bool  # measured as of a date (open pipeline), not over a period

    @property
    def decimals(self) -> int:
        """Decimal places a split child is rounded to: cents for money, whole counts."""
        return 2 if self.unit == "money" else 0 if self.unit == "count" else 4


def metric_info(metric: str) -> MetricInfo:
    """Catalog facts of ``metric``; raises MetricError for an id the catalog does not know or
    a KPI that is itself about targets (attainment, pacing)."""
    try:
        kpi = catalog.get(metric)
    except catalog.UnknownMetric as exc:
        raise MetricError(str(exc)) from exc
    if kpi.fact == "target":
        raise MetricError(f"{metric} is measured against targets; it cannot have a target")
    return MetricInfo(
        id=kpi.id,
        name_en=kpi.name_en,
        name_zh=kpi.name_zh,
        unit=kpi.unit,
        good=kpi.good,
        additive=kpi.additive,
        over_time=kpi.additive_over_time,
        stock=kpi.stock,
    )


def known_metrics() -> list[str]:
    """Ids of every KPI in the catalog that a target can be set for (in catalog order; not the
    target KPIs themselves, attainment and pacing)."""
    return [k.id for k in catalog.all_kpis() if k.fact != "target"]


def metrics_engine(engine: Engine) -> MetricsEngine:
    """The process-wide metrics engine of ``engine``: one per database, one shared cache."""
    return shared_engine(engine)


def query_rows(engine: Engine, query: MetricQuery, scope: Scope) -> list[dict[str, Any]]:
    """The rows of the engine's answer (dimension keys, optional ``period``, ``value``).

    A query the engine cannot answer (a KPI that cannot be split by that dimension ...) raises
    MetricError with the engine's reason."""
    try:
        result = metrics_engine(engine).query(query, scope)
    except MetricError:
        raise
    except ValueError as exc:
        raise MetricError(str(exc)) from exc
    return [dict(r) for r in result.rows]


def query_many_rows(
    engine: Engine, queries: Sequence[MetricQuery], scope: Scope
) -> list[list[dict[str, Any]]]:
    """The rows of several queries answered in one engine call (one connection, one data
    version check, KPIs that share a pass fused); errors as in :func:`query_rows`."""
    if not queries:
        return []
    try:
        results = metrics_engine(engine).query_many(list(queries), scope)
    except MetricError:
        raise
    except ValueError as exc:
        raise MetricError(str(exc)) from exc
    return [[dict(r) for r in result.rows] for result in results]


def to_decimal(value: object) -> Decimal | None:
    """An engine value as an exact decimal (None stays None)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))
