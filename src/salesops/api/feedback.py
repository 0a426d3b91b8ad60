"""/api/v1/feedback: the closed feedback loop (反馈闭环). Reading needs ``view_board`` (within
the caller's scope); every step needs ``manage_feedback`` and is audited."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from salesops.api.deps import ActorDep, EngineDep, Require, RowId, ScopeDep
from salesops.api.errors import responses
from salesops.auth.roles import Permission as P
from salesops.config import get_settings
from salesops.feedback import loop

router = APIRouter(prefix="/feedback", tags=["feedback"])

Status = Literal["new", "assigned", "resolved", "informed"]


class HistoryOut(BaseModel):
    at: str
    actor: str
    action: str
    from_: str | None = Field(None, alias="from")
    to: str | None
    assignee: str | None
    due_on: str | None
    note: str | None


class ItemOut(BaseModel):
    id: int
    external_id: str
    customer: str | None
    received_on: str | None
    channel: str | None
    nps: int | None
    category: str | None
    priority: str | None
    status: str
    assignee: str | None
    due_on: str | None
    overdue: bool
    text: str | None


class ItemDetail(ItemOut):
    csat: int | None
    first_response_on: str | None
    resolved_on: str | None
    informed_on: str | None
    history: list[dict[str, Any]]


class ItemList(BaseModel):
    total: int
    items: list[ItemOut]


class AssignIn(BaseModel):
    kind: Literal["rep", "user", "department"] = Field(
        description="a sales rep (name or external id), a user (login) or a department"
    )
    name: str = Field(min_length=1, max_length=100)
    due_on: dt.date | None = Field(None, description="default: received + the priority's SLA")
    note: str | None = Field(None, max_length=loop.NOTE_MAX)


class NoteIn(BaseModel):
    note: str | None = Field(None, max_length=loop.NOTE_MAX)


class ReasonIn(BaseModel):
    note: str = Field(min_length=1, max_length=loop.NOTE_MAX)


class SlaOut(BaseModel):
    days: dict[str, int]
    default_days: int


def _bad(exc: Exception) -> HTTPException:
    if isinstance(exc, loop.FeedbackNotFound):
        return HTTPException(404, str(exc))
    if isinstance(exc, loop.LoopError) and exc.conflict:
        return HTTPException(409, str(exc))
    return HTTPException(422, str(exc))


_ERRORS = (loop.FeedbackNotFound, loop.LoopError)


@router.get(
    "",
    dependencies=[Require(P.VIEW_BOARD)],
    summary="Feedback items in scope, overdue first",
    responses=responses(422),
)
def list_route(
    engine: EngineDep,
    scope: ScopeDep,
    status: Annotated[list[Status] | None, Query()] = None,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> ItemList:
    try:
        total, items = loop.list_items(
            engine, scope=scope, status=status or (), only_overdue=overdue, limit=limit,
            offset=offset,
        )  # fmt: skip
    except _ERRORS as exc:
        raise _bad(exc) from None
    return ItemList(total=total, items=[ItemOut.model_validate(i) for i in items])


@router.get("/sla", dependencies=[Require(P.VIEW_BOARD)], summary="The SLA days by priority")
def sla_route() -> SlaOut:
    settings = get_settings()
    return SlaOut(
        days=dict(settings.feedback_sla_days), default_days=settings.feedback_sla_default_days
    )


@router.get(
    "/{feedback_id}",
    dependencies=[Require(P.VIEW_BOARD)],
    summary="One item with its history",
    responses=responses(404, 422),
)
def get_route(feedback_id: RowId, engine: EngineDep, scope: ScopeDep) -> ItemDetail:
    try:
        return ItemDetail.model_validate(loop.get(engine, feedback_id, scope=scope))
    except _ERRORS as exc:
        raise _bad(exc) from None


_WRITE = responses(404, 409, 422)


@router.post(
    "/{feedback_id}/assign",
    dependencies=[Require(P.MANAGE_FEEDBACK)],
    summary="Assign (or hand on) an open item",
    responses=_WRITE,
)
def assign_route(
    feedback_id: RowId, body: AssignIn, engine: EngineDep, scope: ScopeDep, actor: ActorDep
) -> ItemDetail:
    try:
        item = loop.assign(
            engine, feedback_id, loop.Assignee(body.kind, body.name), actor,
            due_on=body.due_on, note=body.note, scope=scope,
        )  # fmt: skip
    except _ERRORS as exc:
        raise _bad(exc) from None
    return ItemDetail.model_validate(item)


@router.post(
    "/{feedback_id}/resolve",
    dependencies=[Require(P.MANAGE_FEEDBACK)],
    summary="Record the resolution of an assigned item",
    responses=_WRITE,
)
def resolve_route(
    feedback_id: RowId, body: NoteIn, engine: EngineDep, scope: ScopeDep, actor: ActorDep
) -> ItemDetail:
    try:
        item = loop.resolve(engine, feedback_id, actor, note=body.note, scope=scope)
    except _ERRORS as exc:
        raise _bad(exc) from None
    return ItemDetail.model_validate(item)


@router.post(
    "/{feedback_id}/inform",
    dependencies=[Require(P.MANAGE_FEEDBACK)],
    summary="Record that the customer was told the outcome",
    responses=_WRITE,
)
def inform_route(
    feedback_id: RowId, body: NoteIn, engine: EngineDep, scope: ScopeDep, actor: ActorDep
) -> ItemDetail:
    try:
        item = loop.inform(engine, feedback_id, actor, note=body.note, scope=scope)
    except _ERRORS as exc:
        raise _bad(exc) from None
    return ItemDetail.model_validate(item)


@router.post(
    "/{feedback_id}/reopen",
    dependencies=[Require(P.MANAGE_FEEDBACK)],
    summary="Reopen a resolved or informed item (a reason is required)",
    responses=_WRITE,
)
def reopen_route(
    feedback_id: RowId, body: ReasonIn, engine: EngineDep, scope: ScopeDep, actor: ActorDep
) -> ItemDetail:
    try:
        item = loop.reopen(engine, feedback_id, actor, note=body.note, scope=scope)
    except _ERRORS as exc:
        raise _bad(exc) from None
    return ItemDetail.model_validate(item)


@router.post(
    "/{feedback_id}/notes",
    dependencies=[Require(P.MANAGE_FEEDBACK)],
    summary="Add a note to an open item",
    responses=_WRITE,
)
def note_route(
    feedback_id: RowId, body: ReasonIn, engine: EngineDep, scope: ScopeDep, actor: ActorDep
) -> ItemDetail:
    try:
        item = loop.add_note(engine, feedback_id, actor, note=body.note, scope=scope)
    except _ERRORS as exc:
        raise _bad(exc) from None
    return ItemDetail.model_validate(item)
