"""``/api/v1/targets``: create, read, update, delete and decompose targets; the target tree with
attainment and pacing; reps far below their team.

Periods are written ``2026`` (fiscal year), ``2026-Q1`` (fiscal quarter) or ``2026-03`` (month);
scopes ``company``, ``region:华东``, ``team:NAME``, ``rep:NAME`` or ``product_line:NAME``. Money
and counts are plain numbers, ratios fractions.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, Field

from salesops.api.deps import ActorDep, EngineDep, Require, RowId, ScopeDep
from salesops.api.errors import responses
from salesops.auth.roles import Permission as P
from salesops.targets.attainment import evaluate, today
from salesops.targets.calendar import Period, PeriodError, parse_period, period_containing
from salesops.targets.decompose import Decomposition, Plan, decompose, decompose_children, plan
from salesops.targets.flags import rep_flags
from salesops.targets.kpis import MetricError
from salesops.targets.org import Directory, ScopeError
from salesops.targets.service import (
    TargetError,
    TargetNotFound,
    delete_target,
    get_target,
    list_targets,
    set_target,
    target_tree,
    update_target,
)

router = APIRouter(prefix="/targets", tags=["targets"])

Basis = Literal["calendar", "working"]
_BAD_INPUT = (MetricError, PeriodError, ScopeError, TargetError)


# --------------------------------------------------------------------------- schemas


class AttainmentOut(BaseModel):
    """Attainment and pacing of one target as of a date (see docs/targets.md)."""

    as_of: dt.date
    basis: Basis
    target: float
    actual: float | None
    attainment: float | None = Field(description="actual / target")
    elapsed_days: int
    total_days: int
    elapsed_share: float
    expected_to_date: float | None
    gap: float | None = Field(description="actual − expected to date")
    remaining: float | None = Field(description="target − actual")
    projection: float | None = Field(description="run rate to the period's end")
    pacing: float | None = Field(description="attainment / elapsed share (flows)")
    status: Literal["ahead", "on_track", "behind", "at_risk", "not_started", "no_data"]
    error: str | None = Field(default=None, description="why the actual could not be measured")


class CheckOut(BaseModel):
    """Whether the children of one axis add up to their parent (additive KPIs)."""

    axis: Literal["time", "org", "mixed"]
    level: str = Field(description="quarter | month | region | team | rep | product_line | channel")
    children: int
    children_sum: float
    parent_value: float
    difference: float = Field(description="children's sum − parent's value")
    adds_up: bool


class TargetOut(BaseModel):
    id: int
    external_id: str
    metric: str
    period: str
    period_grain: Literal["year", "quarter", "month"]
    period_start: dt.date
    period_end: dt.date
    scope_kind: str
    scope: str
    scope_name: str
    org_unit_id: int | None
    rep_id: int | None
    region_id: int | None
    product_line: str | None
    channel: str | None = Field(
        default=None, description="the sales channel this target is a part for (NULL: whole)"
    )
    value: float
    parent_id: int | None
    attainment: AttainmentOut | None = None


class TargetNodeOut(TargetOut):
    checks: list[CheckOut]
    adds_up: bool
    children: list[TargetNodeOut]


class TargetIn(BaseModel):
    metric: str = Field(examples=["revenue"])
    period: str = Field(examples=["2026", "2026-Q1", "2026-03"])
    scope: str = Field(
        default="company", examples=["company", "region:华东", "rep:张伟", "rep:张伟;channel:直销"]
    )
    channel: str | None = Field(
        default=None,
        max_length=100,
        description="narrow the scope to one sales channel (same as ;channel:NAME in scope)",
    )
    value: float | str = Field(examples=[12000000])
    parent_id: int | None = None


class TargetPatch(BaseModel):
    value: float | str | None = None
    parent_id: int | None = None
    clear_parent: bool = False


class DecomposeIn(BaseModel):
    over: Literal["time", "org"]
    method: str = Field(
        default="even",
        description="time: even | calendar_days | working_days | seasonality; "
        "org: even | weights | share",
    )
    into: str | None = Field(
        default=None,
        description="time: quarter | month; org: region | team | rep | product_line | channel "
        "(default: the next level down)",
    )
    weights: dict[str, float] | str | None = Field(
        default=None, description='for method weights: {"华东": 3, "华南": 2} or "华东=3,华南=2"'
    )
    dry_run: bool = Field(default=False, description="plan the children without writing them")


class ChildOut(BaseModel):
    name: str
    period: str
    scope: str
    weight: float
    value: float
    id: int | None = None


class DecompositionOut(BaseModel):
    parent_id: int
    over: str
    method: str
    into: str
    copied: bool = Field(description="a ratio KPI: the parent's value copied, not split")
    dry_run: bool
    created: int
    updated: int
    removed: int
    children: list[ChildOut]


class FlagOut(BaseModel):
    rep_id: int
    rep: str
    team_id: int | None
    team: str
    reason: Literal["attainment", "opportunities"]
    value: float
    team_average: float
    ratio: float
    threshold: float
    team_size: int


class FlagsOut(BaseModel):
    period: str
    as_of: dt.date
    flags: list[FlagOut]


# --------------------------------------------------------------------------- helpers


def _plain(value: Any) -> Any:
    """Decimals as floats, recursively (money is a plain JSON number)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _period(text: str | None) -> Period | None:
    if not text:
        return None
    try:
        return parse_period(text)
    except PeriodError as exc:
        raise HTTPException(422, str(exc)) from None


def _bad(exc: Exception) -> HTTPException:
    if isinstance(exc, TargetNotFound):
        return HTTPException(404, str(exc))
    return HTTPException(422, str(exc))


AsOf = Annotated[dt.date | None, Query(description="evaluate as of this date (default today)")]
# Ids are 32-bit integers in the database: a larger one is a 422, not a PostgreSQL error.
TargetId = RowId
BasisQ = Annotated[Basis, Query(description="pacing by calendar or working days")]


# --------------------------------------------------------------------------- routes


@router.get(
    "", dependencies=[Require(P.VIEW_BOARD)], summary="List targets", responses=responses(422)
)
def list_route(
    engine: EngineDep,
    scope: ScopeDep,
    metric: str | None = None,
    period: Annotated[
        str | None, Query(description="targets overlapping 2026 / 2026-Q1 / 2026-03")
    ] = None,
    as_of: AsOf = None,
    basis: BasisQ = "calendar",
    attainment: Annotated[bool, Query(description="include attainment and pacing")] = False,
) -> list[TargetOut]:
    """Targets visible to the caller, optionally with attainment and pacing."""
    found = list_targets(engine, metric=metric, period=_period(period), scope=scope)
    results = evaluate(engine, found, as_of=as_of, basis=basis, scope=scope) if attainment else {}
    out = []
    for t in found:
        row = _plain(t.to_dict())
        if t.id in results:
            row["attainment"] = _plain(results[t.id].to_dict())
        out.append(TargetOut.model_validate(row))
    return out


@router.get(
    "/tree",
    dependencies=[Require(P.VIEW_BOARD)],
    summary="The target tree with attainment, pacing and add-up checks",
    responses=responses(422),
)
def tree_route(
    engine: EngineDep,
    scope: ScopeDep,
    metric: str | None = None,
    period: Annotated[str | None, Query(description="targets overlapping this period")] = None,
    as_of: AsOf = None,
    basis: BasisQ = "calendar",
) -> list[TargetNodeOut]:
    """Roots with their children; every node has its attainment and, when it has children,
    whether they add up to it (additive KPIs) and by how much."""
    try:
        roots = target_tree(
            engine, metric=metric, period=_period(period), as_of=as_of, basis=basis, scope=scope
        )
    except _BAD_INPUT as exc:
        raise _bad(exc) from None
    return [TargetNodeOut.model_validate(_plain(r.to_dict())) for r in roots]


@router.get(
    "/flags",
    dependencies=[Require(P.VIEW_BOARD)],
    summary="Reps far below their team",
    responses=responses(422),
)
def flags_route(
    engine: EngineDep,
    scope: ScopeDep,
    period: Annotated[str | None, Query(description="default: the month of as_of")] = None,
    as_of: AsOf = None,
    metric: str = "revenue",
    basis: BasisQ = "calendar",
    threshold: Annotated[float, Query(gt=0, le=1)] = 0.5,
) -> FlagsOut:
    """Reps whose attainment or new-opportunity count is under ``threshold`` × their team's
    average, with the numbers that raised each flag."""
    day = as_of or today()
    the_period = _period(period) or period_containing(day, "month")
    try:
        flags = rep_flags(
            engine,
            the_period,
            as_of=day,
            metric=metric,
            basis=basis,
            threshold=threshold,
            scope=scope,
        )
    except _BAD_INPUT as exc:
        raise _bad(exc) from None
    return FlagsOut(
        period=the_period.label(),
        as_of=day,
        flags=[FlagOut.model_validate(f.to_dict()) for f in flags],
    )


@router.post(
    "",
    dependencies=[Require(P.EDIT_TARGETS)],
    status_code=201,
    summary="Set a target (create, or update its value)",
    responses=responses(404, 422),
)
def create_route(
    body: TargetIn, engine: EngineDep, scope: ScopeDep, actor: ActorDep, response: Response
) -> TargetOut:
    """Create the target of a KPI, period and scope; when it exists, its value is updated
    (status 200 instead of 201)."""
    try:
        with engine.connect() as conn:
            target_scope = Directory(conn).parse(body.scope, body.channel)
        result = set_target(
            engine,
            body.metric,
            parse_period(body.period),
            target_scope,
            body.value,
            parent_id=body.parent_id,
            actor=actor,
            data_scope=scope,
        )
    except _BAD_INPUT as exc:
        raise _bad(exc) from None
    if not result.created:
        response.status_code = 200
    return TargetOut.model_validate(_plain(result.target.to_dict()))


@router.get(
    "/{target_id}",
    dependencies=[Require(P.VIEW_BOARD)],
    summary="One target with its attainment",
    responses=responses(404, 422),
)
def read_route(
    target_id: TargetId,
    engine: EngineDep,
    scope: ScopeDep,
    as_of: AsOf = None,
    basis: BasisQ = "calendar",
) -> TargetOut:
    try:
        t = get_target(engine, target_id, scope)
    except TargetNotFound as exc:
        raise _bad(exc) from None
    row = _plain(t.to_dict())
    row["attainment"] = _plain(
        evaluate(engine, [t], as_of=as_of, basis=basis, scope=scope)[t.id].to_dict()
    )
    return TargetOut.model_validate(row)


@router.patch(
    "/{target_id}",
    dependencies=[Require(P.EDIT_TARGETS)],
    summary="Edit a target's value or parent",
    responses=responses(404, 422),
)
def update_route(
    target_id: TargetId, body: TargetPatch, engine: EngineDep, scope: ScopeDep, actor: ActorDep
) -> TargetOut:
    try:
        t = update_target(
            engine,
            target_id,
            value=body.value,
            parent_id=body.parent_id,
            clear_parent=body.clear_parent,
            scope=scope,
            actor=actor,
        )
    except _BAD_INPUT as exc:
        raise _bad(exc) from None
    return TargetOut.model_validate(_plain(t.to_dict()))


@router.delete(
    "/{target_id}",
    dependencies=[Require(P.EDIT_TARGETS)],
    summary="Delete a target (cascade: with its subtree)",
    responses=responses(404, 409, 422),
)
def delete_route(
    target_id: TargetId, engine: EngineDep, scope: ScopeDep, actor: ActorDep, cascade: bool = False
) -> dict[str, int]:
    try:
        count = delete_target(engine, target_id, cascade=cascade, scope=scope, actor=actor)
    except TargetNotFound as exc:
        raise _bad(exc) from None
    except TargetError as exc:
        raise HTTPException(409, str(exc)) from None
    return {"deleted": count}


@router.post(
    "/{target_id}/decompose",
    dependencies=[Require(P.EDIT_TARGETS)],
    summary="Split a target over time or the organisation",
    responses=responses(404, 422),
)
def decompose_route(
    target_id: TargetId, body: DecomposeIn, engine: EngineDep, scope: ScopeDep, actor: ActorDep
) -> DecompositionOut:
    """Generate (or, with ``dry_run``, only plan) the children of a target."""
    try:
        if body.dry_run:
            the_plan = plan(
                engine,
                get_target(engine, target_id, scope),
                body.over,
                body.method,
                into=body.into,
                weights=body.weights,
                scope=scope,
            )
            return _planned(the_plan)
        result = decompose(
            engine,
            target_id,
            body.over,
            body.method,
            into=body.into,
            weights=body.weights,
            scope=scope,
            actor=actor,
        )
    except _BAD_INPUT as exc:
        raise _bad(exc) from None
    return _written(result)


@router.post(
    "/{target_id}/decompose-children",
    dependencies=[Require(P.EDIT_TARGETS)],
    summary="Split every child of a target the same way",
    responses=responses(404, 422),
)
def decompose_children_route(
    target_id: TargetId,
    body: DecomposeIn,
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    level: Annotated[
        str | None, Query(description="only children of this level: team, rep, month …")
    ] = None,
) -> list[DecompositionOut]:
    """After company → teams, each team → reps (by share, evenly …) in one call."""
    try:
        results = decompose_children(
            engine,
            target_id,
            body.over,
            body.method,
            level=level,
            into=body.into,
            weights=body.weights,
            scope=scope,
            actor=actor,
        )
    except _BAD_INPUT as exc:
        raise _bad(exc) from None
    return [_written(r) for r in results]


def _planned(the_plan: Plan) -> DecompositionOut:
    return DecompositionOut(
        parent_id=the_plan.parent.id,
        over=the_plan.over,
        method=the_plan.method,
        into=the_plan.into,
        copied=the_plan.copied,
        dry_run=True,
        created=0,
        updated=0,
        removed=0,
        children=[
            ChildOut(
                name=c.name,
                period=c.period.label(),
                scope=c.scope_text,
                weight=float(c.weight),
                value=float(c.value),
            )
            for c in the_plan.children
        ],
    )


def _written(result: Decomposition) -> DecompositionOut:
    the_plan = result.plan
    return DecompositionOut(
        parent_id=the_plan.parent.id,
        over=the_plan.over,
        method=the_plan.method,
        into=the_plan.into,
        copied=the_plan.copied,
        dry_run=False,
        created=result.created,
        updated=result.updated,
        removed=result.removed,
        children=[
            ChildOut(
                name=c.name,
                period=t.period.label(),
                scope=t.scope_text,
                weight=float(c.weight),
                value=float(t.value),
                id=t.id,
            )
            for c, t in zip(the_plan.children, result.children, strict=True)
        ],
    )
