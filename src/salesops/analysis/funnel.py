"""The sales funnel from stage history (销售漏斗): reach, conversion and dwell per stage.

Definitions (docs/analyses.md), for one pipeline, as of D, over the opportunities in scope and
filters (current owner and attributes) created on or before D — and, for the funnel, created
in [start, end] when a period is given:

* **Stages**: the pipeline's ``pipeline_stage`` rows of kind *open*, by position, then the
  *won* stage(s). Lost stages are not funnel steps.
* **Reached** a stage: the furthest funnel stage an opportunity was ever in up to D (from its
  stage stays, see :mod:`salesops.analysis.pipeline_history`; status *won* as of D counts as
  the won stage) is at or after it. Skipping a stage counts as passing through it, so every
  conversion is at most 100 %.
* **Conversion to next** = reached(next) / reached(stage); **from first** = reached(stage) /
  reached(first stage).
* **Mean dwell days** (stage_dwell_days), open stages only: over *completed* stays (ended by
  D: moved to another stage, or the deal was won or lost), the mean of ``ended_at -
  entered_at`` in days (fractional). **Open stays** (opportunities open at D, still in the
  stage) are shown apart: their count and mean age ``D - entry date`` in whole days.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Date,
    Engine,
    Float,
    Select,
    String,
    cast,
    func,
    literal,
    null,
    select,
    true,
    union_all,
)

from salesops.analysis.common import (
    Filters,
    NormalFilters,
    Result,
    as_float,
    check_period,
    normalise_filters,
    ratio,
    resolve_as_of,
)
from salesops.analysis.facts import check_applicable
from salesops.analysis.pipeline_history import (
    KeptDates,
    kept_dates,
    population,
    stage_config,
    states_as_of,
    stays_as_of,
)
from salesops.analysis.stuck import StuckDealsResult, stuck_deals
from salesops.metrics.scope import FULL_SCOPE, Scope

# Stuck deals moved to their own module; importable from here too.
__all__ = [
    "FunnelResult",
    "FunnelStage",
    "StuckDealsResult",
    "funnel",
    "funnel_statement",
    "stuck_deals",
]


class FunnelStage(Result):
    stage: str
    position: int
    kind: str  # open | won
    reached: int
    conversion_to_next: float | None
    conversion_from_first: float | None
    completed_stays: int
    mean_dwell_days: float | None
    open_stays: int
    mean_open_age_days: float | None


class FunnelResult(Result):
    pipeline: str
    as_of: dt.date
    start: dt.date | None
    end: dt.date | None
    opportunities: int
    open: int
    won: int
    lost: int
    stages: list[FunnelStage]


def funnel_statement(
    scope: Scope,
    filters: NormalFilters,
    pipeline: str,
    day: dt.date,
    start: dt.date | None = None,
    end: dt.date | None = None,
    kept: KeptDates | None = None,
) -> CompoundSelect[Any]:
    """One statement for the whole funnel, so history is read once.

    Rows ``(part, stage, n, days)``: ``reached`` per step; ``completed`` and ``open`` stays per
    stage (count, mean days); ``total``, ``is_open``, ``won``, ``lost`` counts (stage NULL).
    ``kept``: read the states from what the writers keep where that is exact (see
    :func:`~salesops.analysis.pipeline_history.states_as_of`).
    """
    pop = population(scope, filters, pipeline, start, end)
    everyone = states_as_of(day, fields=(), kept=kept).subquery("funnel_states_all")
    states = (
        select(everyone.c.id, everyone.c.status, everyone.c.is_open)
        .join(pop, pop.c.opportunity_id == everyone.c.id)
        .cte("funnel_states")
    )
    cfg = stage_config(pipeline).cte("funnel_steps")
    among = select(pop.c.opportunity_id)
    all_stays = stays_as_of(day, among=among, kept=kept).subquery("funnel_stays_all")
    stays = (
        select(
            all_stays.c.opportunity_id,
            all_stays.c.stage,
            all_stays.c.entered_at,
            all_stays.c.dwell_days,
            cfg.c.position,
            cfg.c.kind,
            states.c.is_open,
        )
        .join(states, states.c.id == all_stays.c.opportunity_id)
        .join(cfg, cfg.c.name == all_stays.c.stage)
        .cte("funnel_stays")
    )
    won_position = select(func.min(cfg.c.position)).where(cfg.c.kind == "won").scalar_subquery()
    positions = union_all(
        select(stays.c.opportunity_id, stays.c.position),
        select(states.c.id, won_position).where(states.c.status == "won"),
    ).subquery("funnel_positions")
    furthest = (
        select(positions.c.opportunity_id, func.max(positions.c.position).label("max_position"))
        .group_by(positions.c.opportunity_id)
        .subquery("funnel_furthest")
    )
    no_days = cast(null(), Float)
    age = cast(literal(day, Date) - cast(stays.c.entered_at, Date), Float)

    def count_of(part: str, where: Any) -> Select[Any]:
        return select(
            literal(part).label("part"),
            cast(null(), String).label("stage"),
            func.count().label("n"),
            no_days.label("days"),
        ).where(where)

    return union_all(
        select(
            literal("reached").label("part"),
            cfg.c.name.label("stage"),
            func.count().label("n"),
            no_days.label("days"),
        )
        .join(furthest, furthest.c.max_position >= cfg.c.position)
        .group_by(cfg.c.name),
        select(
            literal("completed"),
            stays.c.stage,
            func.count(),
            func.avg(stays.c.dwell_days),
        )
        .where(stays.c.dwell_days.is_not(None), stays.c.kind == "open")
        .group_by(stays.c.stage),
        select(literal("open"), stays.c.stage, func.count(), func.avg(age))
        .where(stays.c.dwell_days.is_(None), stays.c.is_open)
        .group_by(stays.c.stage),
        count_of("total", true()).select_from(states),
        count_of("is_open", states.c.is_open).select_from(states),
        count_of("won", states.c.status == "won").select_from(states),
        count_of("lost", states.c.status == "lost").select_from(states),
    )


def funnel(
    engine: Engine,
    scope: Scope = FULL_SCOPE,
    filters: Filters | None = None,
    *,
    pipeline: str = "default",
    start: dt.date | None = None,
    end: dt.date | None = None,
    as_of: dt.date | None = None,
) -> FunnelResult:
    """The funnel of ``pipeline`` as of ``as_of`` (default today), optionally for the
    opportunities created in [start, end]."""
    check_period(start, end)
    flt = normalise_filters(filters)
    check_applicable(flt, ("opportunity",), "funnel")
    day = resolve_as_of(as_of)
    with engine.connect() as conn:
        config = list(conn.execute(stage_config(pipeline)))
        statement = funnel_statement(scope, flt, pipeline, day, start, end, kept_dates(conn))
        parts: dict[tuple[str, str | None], Any] = {
            (r.part, r.stage): r for r in conn.execute(statement)
        }

    def n(part: str, stage: str | None = None) -> int:
        row = parts.get((part, stage))
        return int(row.n) if row is not None else 0

    def days(part: str, stage: str) -> float | None:
        row = parts.get((part, stage))
        return as_float(row.days) if row is not None else None

    stages: list[FunnelStage] = []
    first = n("reached", config[0].name) if config else 0
    for i, s in enumerate(config):
        here = n("reached", s.name)
        following = n("reached", config[i + 1].name) if i + 1 < len(config) else None
        stages.append(
            FunnelStage(
                stage=s.name,
                position=s.position,
                kind=s.kind,
                reached=here,
                conversion_to_next=ratio(following, here) if following is not None else None,
                conversion_from_first=ratio(here, first),
                completed_stays=n("completed", s.name),
                mean_dwell_days=days("completed", s.name),
                open_stays=n("open", s.name),
                mean_open_age_days=days("open", s.name),
            )
        )
    return FunnelResult(
        pipeline=pipeline,
        as_of=day,
        start=start,
        end=end,
        opportunities=n("total"),
        open=n("is_open"),
        won=n("won"),
        lost=n("lost"),
        stages=stages,
    )
