"""Customer and pipeline analyses under ``/api/v1/analysis`` (thin wrappers of
:mod:`salesops.analysis`; every number is computed there, in the database).

Common query parameters: ``as_of`` (YYYY-MM-DD, default today), ``from``/``to`` for a period,
and any dimension id as a filter, repeated for several values (``region=East&region=West``).
Bad parameters get a 4xx with a message, never a 500.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from salesops.analysis.churn import ChurnResult, churn_warnings
from salesops.analysis.cohorts import CohortsResult, cohort_retention
from salesops.analysis.common import AnalysisError
from salesops.analysis.credit import CreditResult, credit_grades
from salesops.analysis.deals import SourceChannelsResult, WinLossResult, source_channels, win_loss
from salesops.analysis.funnel import FunnelResult, funnel
from salesops.analysis.lifecycle import LifecycleResult, lifecycle
from salesops.analysis.movement import MovementResult, pipeline_movement
from salesops.analysis.rfm import RfmResult, rfm
from salesops.analysis.stuck import StuckDealsResult, stuck_deals
from salesops.analysis.tiers import TiersResult, value_tiers
from salesops.api.deps import ReadEngineDep, Require, ScopeDep
from salesops.api.errors import responses
from salesops.auth.roles import Permission as P
from salesops.metrics.dimensions import engagement_as_of
from salesops.metrics.query import DIMENSIONS


def _no_nul(request: Request) -> None:
    """A NUL character in a query value is a 400 (PostgreSQL text cannot hold it: the query
    would fail with a server error)."""
    for name, value in request.query_params.multi_items():
        if "\x00" in value:
            raise HTTPException(400, f"the value of {name!r} contains a NUL character")


router = APIRouter(
    prefix="/analysis",
    tags=["analysis"],
    responses=responses(400),
    dependencies=[Depends(_no_nul)],
)

T = TypeVar("T")

MAX_ROWS = 100_000


def _filters(request: Request, **_: Any) -> dict[str, list[str]]:
    """Dimension filters from the query string (a dimension may repeat)."""
    out: dict[str, list[str]] = {}
    for dim in DIMENSIONS:
        values = [v for v in request.query_params.getlist(dim) if v != ""]
        if values:
            out[dim] = values
    return out


# Declared one by one so that the OpenAPI schema lists every dimension filter.
_filters.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        *(
            inspect.Parameter(
                dim,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[
                    list[str] | None, Query(description=f"keep only these {dim} values")
                ],
                default=None,
            )
            for dim in DIMENSIONS
        ),
    ],
    return_annotation=dict[str, list[str]],
)

FiltersDep = Annotated[dict[str, list[str]], Depends(_filters)]
AsOf = Annotated[dt.date | None, Query(description="as-of date (YYYY-MM-DD; default today)")]
From = Annotated[dt.date | None, Query(alias="from", description="period start (YYYY-MM-DD)")]
To = Annotated[dt.date | None, Query(alias="to", description="period end (YYYY-MM-DD)")]
Pipeline = Annotated[str, Query(max_length=100, description="pipeline name")]
Limit = Annotated[
    int | None, Query(ge=0, le=MAX_ROWS, description="at most this many rows (summary: all)")
]


def _run(call: Callable[[], T]) -> T:
    """Run an analysis; bad parameters become a 400 with the analysis' message."""
    try:
        return call()
    except AnalysisError as exc:
        raise HTTPException(400, str(exc)) from None


@router.get(
    "/tiers", dependencies=[Require(P.VIEW_BOARD)], summary="ABC value tiers (trailing 12 months)"
)
def tiers_endpoint(
    engine: ReadEngineDep,
    scope: ScopeDep,
    filters: FiltersDep,
    as_of: AsOf = None,
    limit: Limit = None,
) -> TiersResult:
    """Customers ranked by trailing-12-month revenue, in tiers A (80 %), B (15 %), C (rest)."""
    return _run(lambda: value_tiers(engine, scope, filters, as_of=as_of, limit=limit))


@router.get(
    "/rfm", dependencies=[Require(P.VIEW_BOARD)], summary="RFM scores and the eight segments"
)
def rfm_endpoint(
    engine: ReadEngineDep,
    scope: ScopeDep,
    filters: FiltersDep,
    as_of: AsOf = None,
    rfm_segment: Annotated[
        str | None, Query(description="only this RFM segment's rows (``segment`` is a filter)")
    ] = None,
    limit: Limit = None,
) -> RfmResult:
    """Recency, frequency, monetary, their 1-5 scores and the segment of every customer."""
    return _run(lambda: rfm(engine, scope, filters, as_of=as_of, segment=rfm_segment, limit=limit))


@router.get("/lifecycle", dependencies=[Require(P.VIEW_BOARD)], summary="Customer lifecycle stages")
def lifecycle_endpoint(
    engine: ReadEngineDep,
    scope: ScopeDep,
    filters: FiltersDep,
    as_of: AsOf = None,
    lifecycle_stage: Annotated[
        str | None, Query(description="only this lifecycle stage's rows (``stage`` is a filter)")
    ] = None,
    band: Annotated[
        str | None,
        Query(
            description="only the rows of this engagement band: high, medium, low, none "
            "(``engagement_band`` is a filter)"
        ),
    ] = None,
    cooling: Annotated[
        bool, Query(description="only the cooling customers (buying, engagement fallen)")
    ] = False,
    limit: Limit = None,
) -> LifecycleResult:
    """Potential, new, active, dormant and churned customers (thresholds from settings), each
    stage per engagement band, and the cooling customers (issue #28)."""

    def run() -> LifecycleResult:
        # an engagement band filter is computed as of the same day as the stages
        with engagement_as_of(as_of):
            return lifecycle(
                engine,
                scope,
                filters,
                as_of=as_of,
                stage=lifecycle_stage,
                band=band,
                cooling=cooling,
                limit=limit,
            )

    return _run(run)


@router.get(
    "/churn",
    dependencies=[Require(P.VIEW_BOARD)],
    summary="Churn warnings with reasons and numbers",
)
def churn_endpoint(
    engine: ReadEngineDep,
    scope: ScopeDep,
    filters: FiltersDep,
    as_of: AsOf = None,
    window_days: Annotated[int, Query(ge=1, le=366)] = 90,
    drop_threshold: Annotated[float, Query(gt=0, le=1)] = 0.5,
    silence_factor: Annotated[float, Query(gt=0, le=100)] = 2.0,
    limit: Limit = None,
) -> ChurnResult:
    """Customers whose revenue or orders dropped, or who went silent; high value first."""
    return _run(
        lambda: churn_warnings(
            engine,
            scope,
            filters,
            as_of=as_of,
            window_days=window_days,
            drop_threshold=drop_threshold,
            silence_factor=silence_factor,
            limit=limit,
        )
    )


@router.get(
    "/credit", dependencies=[Require(P.VIEW_BOARD)], summary="Credit grades and overdue ageing"
)
def credit_endpoint(
    engine: ReadEngineDep,
    scope: ScopeDep,
    filters: FiltersDep,
    as_of: AsOf = None,
    grade: Annotated[str | None, Query(description="only this grade's rows (A-D)")] = None,
    limit: Limit = None,
) -> CreditResult:
    """Grade A-D per customer from payment behaviour; overdue receivables by age."""
    return _run(
        lambda: credit_grades(engine, scope, filters, as_of=as_of, grade=grade, limit=limit)
    )


@router.get(
    "/cohorts",
    dependencies=[Require(P.VIEW_BOARD)],
    summary="Cohort retention by first-order month",
)
def cohorts_endpoint(
    engine: ReadEngineDep,
    scope: ScopeDep,
    filters: FiltersDep,
    start: From = None,
    end: To = None,
    months: Annotated[int, Query(ge=0, le=120)] = 12,
    as_of: AsOf = None,
) -> CohortsResult:
    """Share of each first-order-month cohort buying again in each following month."""
    return _run(
        lambda: cohort_retention(
            engine, scope, filters, start=start, end=end, months=months, as_of=as_of
        )
    )


@router.get(
    "/source-channels", dependencies=[Require(P.VIEW_BOARD)], summary="Source-channel quality"
)
def source_channels_endpoint(
    engine: ReadEngineDep, scope: ScopeDep, filters: FiltersDep, start: From = None, end: To = None
) -> SourceChannelsResult:
    """Opportunities created in the period per source channel, their outcome and value."""
    return _run(lambda: source_channels(engine, scope, filters, start=start, end=end))


@router.get(
    "/win-loss",
    dependencies=[Require(P.VIEW_BOARD)],
    summary="Win/loss by competitor and lost reason",
)
def win_loss_endpoint(
    engine: ReadEngineDep, scope: ScopeDep, filters: FiltersDep, start: From = None, end: To = None
) -> WinLossResult:
    """Deals closed in the period per competitor, and the reasons for the lost ones."""
    return _run(lambda: win_loss(engine, scope, filters, start=start, end=end))


@router.get(
    "/funnel",
    dependencies=[Require(P.VIEW_BOARD)],
    summary="Funnel: stage conversion and dwell time",
)
def funnel_endpoint(
    engine: ReadEngineDep,
    scope: ScopeDep,
    filters: FiltersDep,
    pipeline: Pipeline = "default",
    start: From = None,
    end: To = None,
    as_of: AsOf = None,
) -> FunnelResult:
    """Per stage: opportunities that reached it, conversion, dwell days and open stays."""
    return _run(
        lambda: funnel(engine, scope, filters, pipeline=pipeline, start=start, end=end, as_of=as_of)
    )


@router.get(
    "/stuck-deals", dependencies=[Require(P.VIEW_BOARD)], summary="Open deals stuck in their stage"
)
def stuck_deals_endpoint(
    engine: ReadEngineDep,
    scope: ScopeDep,
    filters: FiltersDep,
    pipeline: Pipeline = "default",
    as_of: AsOf = None,
    days: Annotated[int | None, Query(ge=0, le=3650, description="fixed threshold in days")] = None,
    factor: Annotated[
        float, Query(gt=0, le=100, description="threshold = factor x stage median dwell")
    ] = 2.0,
    fallback_days: Annotated[int, Query(ge=0, le=3650)] = 30,
    limit: Limit = None,
) -> StuckDealsResult:
    """Open opportunities whose current stage was entered longer ago than the threshold."""
    return _run(
        lambda: stuck_deals(
            engine,
            scope,
            filters,
            pipeline=pipeline,
            as_of=as_of,
            days=days,
            factor=factor,
            fallback_days=fallback_days,
            limit=limit,
        )
    )


@router.get(
    "/movement", dependencies=[Require(P.VIEW_BOARD)], summary="Pipeline movement between two dates"
)
def movement_endpoint(
    engine: ReadEngineDep,
    scope: ScopeDep,
    filters: FiltersDep,
    start: Annotated[dt.date, Query(alias="from", description="D1 (YYYY-MM-DD)")],
    end: Annotated[dt.date, Query(alias="to", description="D2 (YYYY-MM-DD), after D1")],
    pipeline: Annotated[
        str | None, Query(max_length=100, description="one pipeline (default: all)")
    ] = None,
    limit: Limit = None,
) -> MovementResult:
    """New, advanced, pushed out, grown, won, lost ... deals and the reconciliation."""
    return _run(
        lambda: pipeline_movement(
            engine, scope, filters, start=start, end=end, pipeline=pipeline, limit=limit
        )
    )
