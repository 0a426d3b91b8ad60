"""``/api/v1/customers/{id}``, ``/api/v1/tasks`` and ``/api/v1/customers/reassign``: the
customer 360, follow-up tasks and reassignment (issue #28) as JSON, under the caller's scope.

The same services as the pages (:mod:`salesops.customers`); writes are audited there."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from salesops.api.deps import ActorDep, EngineDep, PrincipalDep, Require, RowId, ScopeDep
from salesops.api.errors import responses
from salesops.auth.roles import Permission as P
from salesops.config import local_today
from salesops.customers import ownership, tasks
from salesops.customers.access import NotFound
from salesops.customers.profile import customer_profile

router = APIRouter(tags=["customers"])

Id32 = Annotated[int, Field(ge=1, le=2_147_483_647)]
Text = Annotated[str, Field(max_length=4000)]


class TaskOut(BaseModel):
    id: int
    customer_id: int | None
    customer: str | None
    opportunity_id: int | None
    owner_rep_id: int | None
    owner: str | None
    kind: str
    status: str
    title: str | None
    due_on: dt.date | None
    notes: str | None
    result: str | None
    source: str
    source_ref: str | None
    created_on: dt.date
    done_on: dt.date | None
    overdue: bool


class TaskIn(BaseModel):
    kind: Literal["visit", "call", "care", "collection", "other", "action"] = "visit"
    title: Annotated[str, Field(max_length=300)] | None = None
    due_on: dt.date | None = None
    notes: Text | None = None
    owner_rep_id: Id32 | None = None
    opportunity_id: Id32 | None = None


class TaskClose(BaseModel):
    result: Text | None = None
    status: Literal["done", "cancelled"] = "done"


class ReassignIn(BaseModel):
    """Either ``customer_ids``, or the customers of ``from_rep_id`` (null with
    ``unowned: true``: those without an owner) matching ``filters`` (customer dimensions)."""

    to_rep_id: Id32
    reason: Annotated[str, Field(min_length=1, max_length=300)]
    effective_on: dt.date | None = None
    customer_ids: Annotated[list[Id32], Field(max_length=10_000)] | None = None
    from_rep_id: Id32 | None = None
    unowned: bool = False
    filters: dict[
        str, Annotated[list[Annotated[str, Field(max_length=300)]], Field(max_length=100)]
    ] = Field(default_factory=dict, max_length=10)


class ReassignOut(BaseModel):
    moved: list[int]
    unchanged: list[int]
    tasks_moved: int
    to_rep_id: int
    effective_on: dt.date


def _task(t: tasks.TaskView) -> TaskOut:
    return TaskOut.model_validate(
        {k: v for k, v in t.as_dict().items() if k in TaskOut.model_fields}
    )


def _no_nul(*values: Any) -> None:
    for v in values:
        if isinstance(v, str) and "\x00" in v:
            raise HTTPException(400, "text must not contain NUL characters")


@router.get(
    "/customers/{customer_id}",
    dependencies=[Require(P.VIEW_BOARD)],
    summary="One customer: profile, standing, engagement, money, deals, contacts, tasks",
    responses=responses(404, 422),
)
def customer_route(
    customer_id: RowId,
    engine: EngineDep,
    scope: ScopeDep,
    as_of: dt.date | None = None,
) -> dict[str, Any]:
    """The customer page's data (404 outside the caller's scope)."""
    try:
        p = customer_profile(engine, scope, customer_id, as_of=as_of or local_today())
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(
        {
            "customer": p.customer,
            "as_of": p.as_of,
            "tier": p.standing.tier,
            "rfm_segment": p.standing.rfm_segment,
            "revenue_12m": float(p.standing.revenue_12m),
            "lifecycle": p.lifecycle,
            "credit_grade": p.credit.grade if p.credit else None,
            "churn_reasons": [r.model_dump() for r in p.churn.reasons] if p.churn else [],
            "engagement": p.engagement.__dict__,
            "engagement_before": p.engagement_before,
            "cooling": p.cooling,
            "overdue_amount": float(p.overdue_amount),
            "nps": p.nps,
            "trend": p.trend,
            "orders": p.orders,
            "deals": p.deals,
            "payments": p.payments,
            "activities": p.activities,
            "feedback": p.feedback,
            "tasks": [_task(t).model_dump() for t in p.tasks],
            "owners": p.owners,
            "timeline": p.timeline,
        }
    )


@router.get(
    "/tasks",
    dependencies=[Require(P.VIEW_BOARD)],
    summary="Follow-up tasks in the caller's scope",
    responses=responses(400, 422),
)
def tasks_route(
    engine: EngineDep,
    scope: ScopeDep,
    principal: PrincipalDep,
    status: Literal["open", "done", "cancelled"] | None = None,
    overdue: bool = False,
    customer_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    owner_rep_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[TaskOut]:
    """Open ones first by due date; ``overdue`` keeps open tasks past their due date."""
    items = tasks.list_tasks(
        engine,
        scope,
        status=status,
        overdue_only=overdue,
        customer_id=customer_id,
        owner_rep_id=owner_rep_id,
        user_id=principal.user.id if principal.user else None,
        limit=limit,
    )
    return [_task(t) for t in items]


@router.post(
    "/customers/{customer_id}/tasks",
    dependencies=[Require(P.MANAGE_TASKS)],
    status_code=201,
    summary="Create a follow-up task for a customer",
    responses=responses(400, 404, 422),
)
def create_task_route(
    customer_id: RowId, body: TaskIn, engine: EngineDep, scope: ScopeDep, actor: ActorDep
) -> dict[str, int]:
    """The owner defaults to the customer's owner. Audited as ``task.create``."""
    _no_nul(body.title, body.notes)
    try:
        task_id = tasks.create_task(
            engine,
            actor,
            scope,
            customer_id=customer_id,
            kind=body.kind,
            due_on=body.due_on,
            title=body.title,
            notes=body.notes,
            owner_rep_id=body.owner_rep_id,
            opportunity_id=body.opportunity_id,
        )
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except tasks.TaskError as exc:
        raise HTTPException(400, str(exc)) from None
    return {"id": task_id}


@router.post(
    "/tasks/{task_id}/complete",
    dependencies=[Require(P.MANAGE_TASKS)],
    summary="Close a task as done (with its result) or cancelled",
    responses=responses(400, 404, 422),
)
def complete_task_route(
    task_id: RowId, body: TaskClose, engine: EngineDep, scope: ScopeDep, actor: ActorDep
) -> dict[str, str]:
    """Audited as ``task.complete`` / ``task.cancel``."""
    _no_nul(body.result)
    try:
        tasks.complete_task(
            engine,
            actor,
            scope,
            task_id,
            result=body.result,
            status=body.status,
            user_id=actor.user_id,
        )
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except tasks.TaskError as exc:
        raise HTTPException(400, str(exc)) from None
    return {"status": body.status}


@router.post(
    "/customers/reassign",
    dependencies=[Require(P.REASSIGN_CUSTOMERS)],
    summary="Move customers (a list, or a rep's filtered set) to another rep from a date",
    responses=responses(400, 404, 422),
)
def reassign_route(
    body: ReassignIn, engine: EngineDep, scope: ScopeDep, actor: ActorDep
) -> ReassignOut:
    """History keeps who owned each customer when; revenue stays with the order's rep.
    Audited as ``customer.reassign``."""
    _no_nul(body.reason, *(v for vs in body.filters.values() for v in vs), *body.filters)
    try:
        ids = body.customer_ids
        if ids is None:
            if body.from_rep_id is None and not body.unowned:
                raise ownership.ReassignError(
                    "give customer_ids, or from_rep_id (or unowned: true) with filters"
                )
            with engine.connect() as conn:
                ids = ownership.matching_customers(
                    conn, scope, from_rep_id=body.from_rep_id, filters=body.filters
                )
        result = ownership.reassign(
            engine,
            actor,
            scope,
            ids,
            to_rep_id=body.to_rep_id,
            effective_on=body.effective_on,
            reason=body.reason,
        )
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except ownership.ReassignError as exc:
        raise HTTPException(400, str(exc)) from None
    return ReassignOut(**result.__dict__)
