"""``/api/v1/reports``: reviews (issue #26) in the caller's scope as html, pdf, xlsx, md or
JSON, and their action items (tasks of kind ``action`` from a review; audited)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, Field

from salesops.api.deps import ActorDep, EngineDep, Require, RowId, ScopeDep
from salesops.api.errors import responses
from salesops.auth.roles import Permission as P

router = APIRouter(prefix="/reports", tags=["reports"])

REPORT_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; frame-ancestors 'self'; sandbox allow-scripts"
)

Kind = Literal["daily", "weekly", "monthly", "quarterly", "yearly"]
Format = Literal["html", "pdf", "xlsx", "md", "json"]


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """``attachment`` (or ``inline``) with an ASCII fallback name and the UTF-8 one (RFC 6266)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def _json_report(report: Any) -> dict[str, Any]:
    def plain(v: Any) -> Any:
        if isinstance(v, dt.date):
            return v.isoformat()
        if hasattr(v, "as_tuple"):  # Decimal
            return float(v)
        return v

    return {
        "kind": report.kind,
        "period": report.period.label,
        "start": report.period.start.isoformat(),
        "end": report.period.end.isoformat(),
        "scope": report.scope_name,
        "lang": report.lang,
        "title": report.title,
        "summary": report.summary,
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "note": s.note,
                "columns": [{"key": c.key, "label": c.label, "unit": c.unit} for c in s.columns],
                "rows": [{k: plain(v) for k, v in r.items()} for r in s.rows],
            }
            for s in report.sections
        ],
    }


@router.get(
    "/{kind}",
    dependencies=[Require(P.VIEW_BOARD)],
    responses=responses(400, 500),
    summary="A review in the caller's scope (html, pdf, xlsx, md or json)",
)
def get_report(
    kind: Kind,
    engine: EngineDep,
    scope: ScopeDep,
    period: Annotated[str | None, Query(max_length=20)] = None,
    report_scope: Annotated[str | None, Query(alias="scope", max_length=200)] = None,
    lang: Literal["zh", "en"] = "en",
    format: Format = "html",
    download: bool = False,
) -> Response:
    """The review ``kind`` for ``period`` (default: the last complete one) and ``scope``
    (company, an org unit or a rep; default: the caller's own, never wider)."""
    from salesops.reports.assemble import ReportError, build_report
    from salesops.reports.render import MEDIA_TYPES, RenderError, render

    try:
        report = build_report(engine, kind, period, report_scope, lang, caller=scope)
    except ReportError as exc:
        raise HTTPException(400, str(exc)) from None
    if format == "json":
        import json

        body = json.dumps(_json_report(report), ensure_ascii=False, default=str)
        return Response(body.encode("utf-8"), media_type="application/json; charset=utf-8")
    try:
        data = render(report, format)
    except RenderError as exc:
        raise HTTPException(500, str(exc)) from None
    name = f"{report.filename_stem}.{format}"
    inline = not download and format in ("html", "pdf")
    headers = {"Content-Disposition": content_disposition(name, inline=inline)}
    if format == "html":
        # A standalone file: its own inline chart script and styles, shown in the reports
        # page's frame. Sandboxed (an opaque origin: no cookies, no API), so the script
        # cannot reach anything even if escaping failed; framed by this origin only.
        headers["Content-Security-Policy"] = REPORT_CSP
        headers["X-Frame-Options"] = "SAMEORIGIN"
    return Response(data, media_type=MEDIA_TYPES[format], headers=headers)


class ActionIn(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    owner: str = Field(min_length=1, max_length=200, description="rep external id or name")
    due_on: dt.date
    review: str = Field(min_length=1, max_length=120, description="e.g. monthly:2026-10:Company")
    notes: str | None = Field(default=None, max_length=4000)


class ActionOut(BaseModel):
    id: int


class ActionsOut(BaseModel):
    items: list[dict[str, Any]]


class DoneIn(BaseModel):
    result: str = Field(min_length=1, max_length=4000)


@router.post(
    "/actions/items",
    dependencies=[Require(P.MANAGE_TASKS)],
    responses=responses(400),
    status_code=201,
    summary="Create an action item from a review (audited)",
)
def create_item(body: ActionIn, engine: EngineDep, scope: ScopeDep, actor: ActorDep) -> ActionOut:
    from salesops.customers.tasks import TaskError
    from salesops.reports.actions import create_action_item

    try:
        task_id = create_action_item(
            engine, actor, scope, title=body.title, owner=body.owner, due_on=body.due_on,
            review=body.review, notes=body.notes,
        )  # fmt: skip
    except TaskError as exc:
        raise HTTPException(400, str(exc)) from None
    return ActionOut(id=task_id)


@router.get(
    "/actions/items",
    dependencies=[Require(P.VIEW_BOARD)],
    summary="Action items of reviews in the caller's scope",
)
def list_items(
    engine: EngineDep, scope: ScopeDep, status: Literal["open", "done", "cancelled"] | None = None
) -> ActionsOut:
    from salesops.customers.tasks import REVIEW, list_tasks

    items = [
        {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in t.as_dict().items()}
        for t in list_tasks(engine, scope, source=REVIEW, status=status)
        if t.kind == "action"
    ]
    return ActionsOut(items=items)


@router.post(
    "/actions/items/{task_id}/done",
    dependencies=[Require(P.MANAGE_TASKS)],
    responses=responses(400, 404),
    summary="Mark an action item done (audited)",
)
def done_item(
    task_id: RowId, body: DoneIn, engine: EngineDep, scope: ScopeDep, actor: ActorDep
) -> ActionOut:
    from salesops.customers.access import NotFound
    from salesops.customers.tasks import TaskError, complete_task

    try:
        complete_task(engine, actor, scope, task_id, result=body.result)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except TaskError as exc:
        raise HTTPException(400, str(exc)) from None
    return ActionOut(id=task_id)
