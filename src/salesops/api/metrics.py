"""``/api/v1/metrics``: the KPI catalog, KPI queries and their explanations.

The query parameters and the JSON shape are those of ``salesops metric`` (SPEC §5):
``{"metric": "win_rate", "rows": [{"region": "East", "value": 0.63}, ...]}``. Bad parameters
get a 400 with a clear message, never a 500.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from salesops.api.deps import ReadEngineDep, Require, ScopeDep
from salesops.api.errors import responses
from salesops.auth.roles import Permission as P
from salesops.metrics.compiler import MetricQueryError
from salesops.metrics.engine import shared_engine
from salesops.metrics.query import DIMENSIONS, MetricQuery
from salesops.metrics.request import build_query

router = APIRouter(prefix="/metrics", tags=["metrics"])


class KpiInfo(BaseModel):
    """One KPI of the catalog, in both languages."""

    id: str
    name_zh: str
    name_en: str
    unit: str = Field(description="money | count | ratio | days | score | money_per_day")
    fact: str
    time: str
    good: str = Field(description="up | down: which direction is good")
    stock: bool = Field(description="measured at the end of the period (as of a date)")
    description_en: str
    description_zh: str
    formula: str


class Catalog(BaseModel):
    metrics: list[KpiInfo]
    dimensions: list[str]


class MetricRows(BaseModel):
    """One KPI's rows: dimension display names, optional ``period``, ``value`` (and
    ``previous`` / ``change`` with a comparison)."""

    metric: str
    rows: list[dict[str, Any]]


class Explanation(BaseModel):
    metric: str
    name_zh: str
    name_en: str
    unit: str
    good: str
    fact: str
    time: str
    description_en: str
    description_zh: str
    formula: str
    measures: list[dict[str, Any]]
    sql: str
    dialect: str
    query: dict[str, Any]


By = Annotated[
    list[str] | None,
    Query(description=f"group by a dimension (repeatable): {', '.join(DIMENSIONS)}"),
]
GrainQ = Annotated[
    str | None,
    Query(description="day | week | month | quarter | year | fiscal_quarter | fiscal_year"),
]
FromQ = Annotated[str | None, Query(alias="from", description="first day (YYYY-MM-DD)")]
ToQ = Annotated[str | None, Query(alias="to", description="last day (YYYY-MM-DD)")]
AsOfQ = Annotated[str | None, Query(description="stocks as of this date (YYYY-MM-DD)")]
WhereQ = Annotated[list[str] | None, Query(description="filter DIM=VALUE (repeatable)")]
CompareQ = Annotated[str | None, Query(description="prev | yoy")]
SortQ = Annotated[
    str | None, Query(description="value, -value, change, period or a grouped dimension")
]
LimitQ = Annotated[int | None, Query(ge=1, le=100_000, description="at most this many rows")]
TargetQ = Annotated[
    str | None, Query(description="for target_attainment / pacing: the KPI targeted")
]


@router.get("", dependencies=[Require(P.VIEW_BOARD)], summary="The KPI catalog (both languages)")
def list_metrics(engine: ReadEngineDep) -> Catalog:
    """Every KPI with its names, unit, fact, time column, good direction and formula."""
    items = [KpiInfo(**k) for k in shared_engine(engine).catalog()]
    return Catalog(metrics=items, dimensions=list(DIMENSIONS))


def metric_query(
    metric: str,
    by: By = None,
    grain: GrainQ = None,
    start: FromQ = None,
    end: ToQ = None,
    as_of: AsOfQ = None,
    where: WhereQ = None,
    compare: CompareQ = None,
    sort: SortQ = None,
    limit: LimitQ = None,
    target_metric: TargetQ = None,
) -> MetricQuery:
    """The query model from the path and query parameters (404 unknown KPI, 400 bad input)."""
    try:
        return build_query(
            metric,
            by=by or (),
            grain=grain,
            start=start,
            end=end,
            as_of=as_of,
            where=where or (),
            compare=compare,
            sort=sort,
            limit=limit,
            target_metric=target_metric,
        )
    except MetricQueryError as exc:
        status = 404 if "unknown metric" in str(exc) else 400
        raise HTTPException(status, str(exc)) from None


QueryDep = Annotated[MetricQuery, Depends(metric_query)]


@router.get(
    "/{metric}",
    dependencies=[Require(P.VIEW_BOARD)],
    summary="One KPI by dimensions and periods",
    responses=responses(400, 404),
)
def get_metric(q: QueryDep, engine: ReadEngineDep, scope: ScopeDep) -> MetricRows:
    """The KPI's rows, computed in the database under the caller's data scope."""
    try:
        result = shared_engine(engine).query(q, scope)
    except MetricQueryError as exc:
        raise HTTPException(400, str(exc)) from None
    return MetricRows(**result.to_json())


@router.get(
    "/{metric}/explain",
    dependencies=[Require(P.VIEW_BOARD)],
    summary="A KPI's definition and the SQL it runs",
    responses=responses(400, 404),
)
def explain_metric(q: QueryDep, engine: ReadEngineDep, scope: ScopeDep) -> Explanation:
    """The definition in both languages and the SQL text (not run)."""
    try:
        info = shared_engine(engine).explain(q, scope)
    except MetricQueryError as exc:
        raise HTTPException(400, str(exc)) from None
    return Explanation(**info.to_json())
