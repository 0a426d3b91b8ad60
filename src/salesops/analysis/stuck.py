"""Stuck deals (停滞商机): open opportunities that have stayed in their stage too long.

Definition (docs/analyses.md), for one pipeline, as of D, over its opportunities in scope and
filters: an opportunity open at D whose current stay (see
:mod:`salesops.analysis.pipeline_history`) began longer ago — ``D - entry date`` in whole days —
than the threshold of its stage: ``days`` when given; else ``factor`` (2) x the stage's median
completed dwell (ended stays of the pipeline's opportunities in scope, fractional days); else
``fallback_days`` (30) for a stage without completed stays. Amounts and expected close dates
are those at D. Rows go largest amount first, then longest in stage.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import WithJsonSchema
from sqlalchemy import (
    CompoundSelect,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    Numeric,
    String,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)

from salesops.analysis.common import (
    AnalysisError,
    Filters,
    Money,
    NormalFilters,
    Result,
    as_float,
    money,
    normalise_filters,
    resolve_as_of,
)
from salesops.analysis.facts import check_applicable
from salesops.analysis.pipeline_history import (
    KeptDates,
    kept_dates,
    population,
    states_as_of,
    stays_as_of,
)
from salesops.db.schema import Customer, Opportunity, Rep
from salesops.metrics.scope import FULL_SCOPE, Scope

#: A time as recorded in the CRM history: no UTC offset, so not an RFC 3339 ``date-time``.
LocalDateTime = Annotated[
    dt.datetime,
    WithJsonSchema(
        {"type": "string", "description": "YYYY-MM-DDTHH:MM:SS, as recorded (no UTC offset)"}
    ),
]


class StuckDeal(Result):
    opportunity_id: int
    opportunity: str | None
    customer: str | None
    owner: str | None
    stage: str
    amount: Money | None
    entered_at: LocalDateTime | None
    days_in_stage: int
    threshold_days: float
    median_dwell_days: float | None
    expected_close_on: dt.date | None


class StuckStage(Result):
    stage: str
    deals: int
    amount: Money


class StuckDealsResult(Result):
    pipeline: str
    as_of: dt.date
    days: int | None
    factor: float
    fallback_days: int
    deals: int
    amount: Money
    stages: list[StuckStage]
    rows: list[StuckDeal]


def stuck_statement(
    scope: Scope,
    filters: NormalFilters,
    pipeline: str,
    day: dt.date,
    *,
    days: int | None,
    factor: float,
    fallback_days: int,
    limit: int | None,
    kept: KeptDates | None = None,
    quantile: float = 0.5,
) -> CompoundSelect[Any]:
    """One statement (history read once): ``row`` parts (the deals, at most ``limit``) and
    ``stage`` parts (count and amount per stage, over all stuck deals). ``kept``: read the
    open deals from what the writers keep where that is exact (see
    :func:`~salesops.analysis.pipeline_history.states_as_of`). ``quantile`` picks the stage
    norm that ``factor`` multiplies: 0.5 the median (default), 0.9 the p90 (alert rules)."""
    pop = population(scope, filters, pipeline)
    fields = ("amount", "expected_close_on")
    states = states_as_of(day, fields=fields, open_only=True, kept=kept)
    opened = states.subquery("stuck_open_all")
    open_now = (
        select(opened.c.id, opened.c.amount, opened.c.expected_close_on)
        .join(pop, pop.c.opportunity_id == opened.c.id)
        .cte("stuck_open")
    )
    all_stays = stays_as_of(day, kept=kept).subquery("stuck_stays_all")
    stays = (
        select(all_stays)
        .join(pop, pop.c.opportunity_id == all_stays.c.opportunity_id)
        .cte("stuck_stays")
    )
    medians = (
        select(
            stays.c.stage,
            func.percentile_cont(quantile).within_group(stays.c.dwell_days).label("median"),
        )
        .where(stays.c.dwell_days.is_not(None))
        .group_by(stays.c.stage)
        .subquery("stuck_medians")
    )
    in_stage = literal(day, Date) - cast(stays.c.entered_at, Date)
    threshold: Any = cast(literal(days), Float)
    if days is None:
        fallback = cast(literal(fallback_days), Float)
        threshold = func.coalesce(medians.c.median * literal(factor), fallback)
    zero = literal(Decimal("0"))
    stuck = (
        select(
            stays.c.opportunity_id,
            stays.c.stage,
            stays.c.entered_at,
            in_stage.label("days_in_stage"),
            threshold.label("threshold_days"),
            medians.c.median.label("median_days"),
            open_now.c.amount,
            open_now.c.expected_close_on,
            func.row_number()
            .over(
                order_by=(
                    func.coalesce(open_now.c.amount, zero).desc(),
                    in_stage.desc(),
                    stays.c.opportunity_id,
                )
            )
            .label("rn"),
        )
        .join(open_now, open_now.c.id == stays.c.opportunity_id)
        .outerjoin(medians, medians.c.stage == stays.c.stage)
        .where(stays.c.dwell_days.is_(None), in_stage > threshold)
        .cte("stuck_deals")
    )
    rows = (
        select(
            literal("row").label("part"),
            stuck.c.opportunity_id,
            stuck.c.stage,
            stuck.c.entered_at,
            stuck.c.days_in_stage,
            stuck.c.threshold_days,
            stuck.c.median_days,
            stuck.c.amount,
            stuck.c.expected_close_on,
            stuck.c.rn,
            cast(null(), Integer).label("n"),
            Opportunity.name.label("opportunity"),
            Customer.name.label("customer"),
            Rep.name.label("owner"),
        )
        .join(Opportunity, Opportunity.id == stuck.c.opportunity_id)
        .outerjoin(Customer, Customer.id == Opportunity.customer_id)
        .outerjoin(Rep, Rep.id == Opportunity.owner_id)
    )
    if limit is not None:
        rows = rows.where(stuck.c.rn <= limit)
    stages = select(
        literal("stage"),
        cast(null(), Integer),
        stuck.c.stage,
        cast(null(), DateTime),
        cast(null(), Integer),
        cast(null(), Float),
        cast(null(), Float),
        cast(func.coalesce(func.sum(stuck.c.amount), zero), Numeric(28, 4)),
        cast(null(), Date),
        cast(null(), Integer),
        func.count(),
        cast(null(), String),
        cast(null(), String),
        cast(null(), String),
    ).group_by(stuck.c.stage)
    return union_all(rows, stages)


def stuck_deals(
    engine: Engine,
    scope: Scope = FULL_SCOPE,
    filters: Filters | None = None,
    *,
    pipeline: str = "default",
    as_of: dt.date | None = None,
    days: int | None = None,
    factor: float = 2.0,
    fallback_days: int = 30,
    limit: int | None = None,
    quantile: float = 0.5,
) -> StuckDealsResult:
    """Open opportunities of ``pipeline`` at ``as_of`` stuck in their stage (see module doc).

    ``rows`` holds at most ``limit`` deals; ``stages`` and the totals cover all of them.
    ``quantile`` (default 0.5) is the stage norm ``factor`` multiplies (its value is reported
    as ``median_dwell_days``): ``quantile=0.9, factor=1`` flags deals beyond their stage's p90.
    """
    if (days is not None and days < 0) or factor <= 0 or fallback_days < 0:
        raise AnalysisError("need days >= 0, factor > 0 and fallback_days >= 0")
    if not 0 < quantile < 1:
        raise AnalysisError("need 0 < quantile < 1")
    flt = normalise_filters(filters)
    check_applicable(flt, ("opportunity",), "stuck-deals")
    day = resolve_as_of(as_of)
    with engine.connect() as conn:
        statement = stuck_statement(
            scope,
            flt,
            pipeline,
            day,
            days=days,
            factor=factor,
            fallback_days=fallback_days,
            limit=limit,
            kept=kept_dates(conn),
            quantile=quantile,
        )
        result = conn.execute(statement).all()
    deals = sorted((r for r in result if r.part == "row"), key=lambda r: int(r.rn))
    stages = sorted(
        (r for r in result if r.part == "stage"), key=lambda r: (-int(r.n), str(r.stage))
    )
    return StuckDealsResult(
        pipeline=pipeline,
        as_of=day,
        days=days,
        factor=factor,
        fallback_days=fallback_days,
        deals=sum(int(r.n) for r in stages),
        amount=money(sum((money(r.amount) for r in stages), Decimal(0))),
        stages=[StuckStage(stage=r.stage, deals=int(r.n), amount=money(r.amount)) for r in stages],
        rows=[
            StuckDeal(
                opportunity_id=r.opportunity_id,
                opportunity=r.opportunity,
                customer=r.customer,
                owner=r.owner,
                stage=r.stage,
                amount=money(r.amount) if r.amount is not None else None,
                entered_at=r.entered_at,
                days_in_stage=int(r.days_in_stage),
                threshold_days=round(float(r.threshold_days), 2),
                median_dwell_days=as_float(r.median_days),
                expected_close_on=r.expected_close_on,
            )
            for r in deals
        ],
    )
