"""客户档案 The customer page, its XLSX export, follow-up tasks (任务) and reassignment forms.

Every route declares its permission and reads the caller's scope from ``ScopeDep``; the
services in :mod:`salesops.customers` enforce it (a customer outside the scope is a 404).
Forms post with the session's CSRF token and redirect back (303) with a notice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from salesops.analysis.churn import REASONS as CHURN_REASONS
from salesops.analysis.lifecycle import STAGES as LIFECYCLE_STAGES
from salesops.analysis.rfm import SEGMENTS
from salesops.api.deps import ActorDep, EngineDep, PrincipalDep, Require, RowId, ScopeDep
from salesops.auth.audit import record_now
from salesops.auth.roles import Permission as P
from salesops.customers import ownership, rules, tasks
from salesops.customers.access import NotFound, get_customer
from salesops.customers.profile import customer_profile
from salesops.db.schema import Rep
from salesops.metrics.scope import visible_reps
from salesops.web.formatting import format_value
from salesops.web.i18n import translate
from salesops.web.panels.common import VALUE_LABELS
from salesops.web.panels.customers import reason_text
from salesops.web.render import render, request_filters, request_locale, shell

router = APIRouter(include_in_schema=False)

KIND_LABELS = {
    "visit": "Visit",
    "call": "Call",
    "care": "Care",
    "collection": "Collection",
    "other": "Other",
    "action": "Action item",
}
STATUS_LABELS = {"open": "Open", "done": "Done", "cancelled": "Cancelled"}
ACTIVITY_LABELS = {
    "visit": "Visit",
    "call": "Call",
    "email": "E-mail",
    "meeting": "Meeting",
    "web_visit": "Website visit",
    "event": "Event",
}
TIMELINE_LABELS = {
    "order": "Order",
    "deal_created": "Deal created",
    "deal_won": "Deal won",
    "deal_lost": "Deal lost",
    "deal_open": "Deal",
    "payment": "Payment received",
    "activity": "Activity",
    "feedback": "Feedback",
    "task": "Task created",
    "task_done": "Task done",
    "task_cancelled": "Task cancelled",
    "owner": "Owner changed",
}
#: The band names the board's engagement band dimension shows (issue #28).
ENGAGEMENT_LABELS = VALUE_LABELS["engagement_band"]


def source_label(locale: str, source: str) -> str:
    """A task's source in the page's language (a rule's own name, or manual/review/alert)."""
    rule = rules.RULES.get(source)
    if rule is not None:
        return rule.label_zh if locale.startswith("zh") else rule.label_en
    return translate(
        locale, {"manual": "By hand", "review": "Review", "alert": "Alert"}.get(source, source)
    )


def _back(path: str, **params: str) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(path + (f"?{query}" if query else ""), status_code=303)


def _reps(engine: Any, scope: Any) -> list[tuple[int, str]]:
    query = select(Rep.id, Rep.name).where(Rep.active.is_not(False)).order_by(Rep.name)
    reps = visible_reps(scope)
    if reps is not None:
        query = query.where(Rep.id.in_(reps))
    with engine.connect() as conn:
        return [(int(r.id), str(r.name)) for r in conn.execute(query)]


@router.get("/customers/find", dependencies=[Require(P.VIEW_BOARD)])
def find_customer(request: Request, engine: EngineDep, scope: ScopeDep) -> Response:
    """A customer's page by its name (the board's tables and records show names): the
    customer of that name in scope (the first by id when names repeat), else 404."""
    from salesops.customers.access import customer_visible
    from salesops.db.schema import Customer

    name = request.query_params.get("name", "").strip()
    if not name or "\x00" in name:
        return Response("name needed", status_code=400)
    with engine.connect() as conn:
        found = conn.execute(
            select(Customer.id)
            .where(Customer.name == name, customer_visible(scope))
            .order_by(Customer.id)
            .limit(1)
        ).scalar()
    if found is None:
        return Response("not found", status_code=404)
    return RedirectResponse(f"/customers/{found}", status_code=303)


@router.get(
    "/customers/{customer_id}", dependencies=[Require(P.VIEW_BOARD)], response_class=HTMLResponse
)
def customer_page(
    request: Request,
    customer_id: RowId,
    engine: EngineDep,
    scope: ScopeDep,
    principal: PrincipalDep,
) -> HTMLResponse:
    """One customer: profile, standing, trend, orders, deals, payments, contacts, tasks."""
    locale = request_locale(request)
    filters, _ = request_filters(request)
    context = shell(request, None, "customers")
    try:
        profile = customer_profile(engine, scope, customer_id, as_of=filters.end)
    except NotFound:
        context["page_title"] = translate(locale, "Customer not found")
        return render(
            request,
            "auth/message.html",
            status_code=404,
            message=translate(locale, "No such customer, or it is not in your data scope."),
            **context,
        )
    context["page_title"] = profile.customer["name"]
    zh = locale.startswith("zh")
    segment = profile.standing.rfm_segment
    segment_name = SEGMENTS[segment][0 if zh else 1] if segment in SEGMENTS else None
    reasons = [
        (CHURN_REASONS[r.reason][0 if zh else 1], reason_text(_Words(locale), r.reason, r.params))  # type: ignore[arg-type]
        for r in (profile.churn.reasons if profile.churn else [])
    ]
    life = LIFECYCLE_STAGES.get(profile.lifecycle or "")
    lifecycle_name = (life[0] if zh else life[1]) if life else None
    can_tasks = principal.can(P.MANAGE_TASKS)
    can_move = principal.can(P.REASSIGN_CUSTOMERS)
    return render(
        request,
        "board/customer.html",
        p=profile,
        segment_name=segment_name,
        lifecycle_name=lifecycle_name,
        churn_reasons=reasons,
        notice=_notice(locale, request.query_params.get("done")),
        error=request.query_params.get("error"),
        kinds=tasks.KINDS,
        KIND_LABELS=KIND_LABELS,
        STATUS_LABELS=STATUS_LABELS,
        ACTIVITY_LABELS=ACTIVITY_LABELS,
        TIMELINE_LABELS=TIMELINE_LABELS,
        ENGAGEMENT_LABELS=ENGAGEMENT_LABELS,
        source_label=lambda s: source_label(locale, s),
        can_tasks=can_tasks,
        can_move=can_move,
        churn_open=bool(profile.churn)
        and not any(t.source == "churn_warning" and t.status == "open" for t in profile.tasks),
        from_warning=request.query_params.get("from") == "churn_warning",
        can_export=principal.can(P.EXPORT_RECORDS),
        reps=_reps(engine, scope) if (can_tasks or can_move) else [],
        today=filters.today.isoformat(),
        trend_json=_trend_json(profile),
        **context,
    )


class _Words:
    """What :func:`salesops.web.panels.customers.reason_text` needs of a board: the words and
    number formats of one language."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def t(self, message: str, **params: object) -> str:
        return translate(self.locale, message, **params)

    def fmt(self, value: Any, unit: str) -> str:
        return format_value(value, unit, self.locale)


def _trend_json(profile: Any) -> str:
    import json

    data = {
        "months": [t["month"] for t in profile.trend],
        "revenue": [float(t["revenue"]) for t in profile.trend],
        "margin": [t["margin"] for t in profile.trend],
    }
    return json.dumps(data).replace("</", "<\\/")


def _notice(locale: str, done: str | None) -> str | None:
    messages = {
        "task": "Task created.",
        "closed": "Task closed; its result is recorded.",
        "moved": "Customer reassigned.",
    }
    return translate(locale, messages[done]) if done in messages else None


def _date(value: str, what: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise tasks.TaskError(f"{what} {value!r} is not a date (YYYY-MM-DD)") from None


@router.post("/customers/{customer_id}/tasks", dependencies=[Require(P.MANAGE_TASKS)])
def create_task_form(
    request: Request,
    customer_id: RowId,
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    kind: str = Form("visit"),
    due_on: str = Form(""),
    title: str = Form(""),
    notes: str = Form(""),
    owner_rep_id: str = Form(""),
    follows: str = Form(""),
) -> Response:
    """A task made by hand on the customer page (``follows=churn_warning``: it follows up
    the customer's churn warning, which then shows the task's result)."""
    path = f"/customers/{customer_id}"
    try:
        owner = int(owner_rep_id) if owner_rep_id.strip() else None
        warning: tuple[str, str] | None = None
        if follows == "churn_warning":
            filters, _ = request_filters(request)
            ref = rules.churn_warning_ref(engine, customer_id, filters.end)
            warning = ("churn_warning", ref) if ref else None
        tasks.create_task(
            engine,
            actor,
            scope,
            customer_id=customer_id,
            kind=kind,
            due_on=_date(due_on, "due date"),
            title=title,
            notes=notes,
            owner_rep_id=owner,
            follows=warning,
        )
    except NotFound:
        return Response("not found", status_code=404)
    except (tasks.TaskError, ValueError) as exc:
        return _back(path, error=str(exc))
    return _back(path, done="task")


@router.post("/tasks/{task_id}/complete", dependencies=[Require(P.MANAGE_TASKS)])
def complete_task_form(
    request: Request,
    task_id: RowId,
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    result: str = Form(""),
    status: str = Form("done"),
    back: str = Form(""),
) -> Response:
    """Close a task with its result; back to the page it was closed on."""
    path = back if back.startswith("/") and not back.startswith("//") else "/tasks"
    try:
        tasks.complete_task(
            engine, actor, scope, task_id, result=result, status=status, user_id=actor.user_id
        )
    except NotFound:
        return Response("not found", status_code=404)
    except tasks.TaskError as exc:
        return _back(path, error=str(exc))
    return _back(path, done="closed")


@router.post("/customers/{customer_id}/reassign", dependencies=[Require(P.REASSIGN_CUSTOMERS)])
def reassign_form(
    request: Request,
    customer_id: RowId,
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    to_rep_id: str = Form(""),
    effective_on: str = Form(""),
    reason: str = Form(""),
) -> Response:
    """Move this customer to another rep from a date, with a reason."""
    path = f"/customers/{customer_id}"
    try:
        with engine.connect() as conn:
            get_customer(conn, scope, customer_id)  # outside the scope: 404, whatever the form
        if not to_rep_id.strip().isdigit():
            raise ownership.ReassignError("choose the rep to move the customer to")
        ownership.reassign(
            engine,
            actor,
            scope,
            [customer_id],
            to_rep_id=int(to_rep_id),
            effective_on=_date(effective_on, "effective date"),
            reason=reason,
        )
    except NotFound:
        return Response("not found", status_code=404)
    except (ownership.ReassignError, tasks.TaskError) as exc:
        return _back(path, error=str(exc))
    return _back(path, done="moved")


@router.get("/customers/{customer_id}/export", dependencies=[Require(P.EXPORT_RECORDS)])
def export_customer(
    request: Request,
    customer_id: RowId,
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
) -> Response:
    """The customer page as an XLSX workbook (one sheet per section; formula-safe)."""
    from salesops.customers.export import profile_xlsx

    locale = request_locale(request)
    filters, _ = request_filters(request)
    try:
        profile = customer_profile(engine, scope, customer_id, as_of=filters.end)
    except NotFound:
        return Response("not found", status_code=404)
    body = profile_xlsx(profile, lambda m, **kw: translate(locale, m, **kw))
    record_now(engine, actor, "export.customer", f"customer:{customer_id}", {"format": "xlsx"})
    name = quote(f"customer-{profile.customer['external_id']}.xlsx")
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )


@router.get("/tasks", dependencies=[Require(P.VIEW_BOARD)], response_class=HTMLResponse)
def tasks_page(
    request: Request, engine: EngineDep, scope: ScopeDep, principal: PrincipalDep
) -> HTMLResponse:
    """任务: open tasks per rep and team with overdue flags (``?status=``, ``?overdue=1``)."""
    locale = request_locale(request)
    filters, _ = request_filters(request)
    status = request.query_params.get("status") or "open"
    if status not in tasks.STATUSES:
        status = "open"
    overdue = request.query_params.get("overdue") == "1"
    user_id = principal.user.id if principal.user else None
    items = tasks.list_tasks(
        engine, scope, status=status, overdue_only=overdue, user_id=user_id, today=filters.today
    )
    per_rep = tasks.tasks_by_rep(engine, scope, today=filters.today)
    context = shell(request, None, "tasks")
    context["page_title"] = translate(locale, "Follow-up tasks")
    return render(
        request,
        "board/tasks.html",
        items=items,
        per_rep=per_rep,
        status=status,
        overdue=overdue,
        notice=_notice(locale, request.query_params.get("done")),
        error=request.query_params.get("error"),
        KIND_LABELS=KIND_LABELS,
        STATUS_LABELS=STATUS_LABELS,
        source_label=lambda s: source_label(locale, s),
        can_tasks=principal.can(P.MANAGE_TASKS),
        **context,
    )


__all__ = ["router"]
