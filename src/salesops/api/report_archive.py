"""``/api/v1/reports/archive`` and ``/api/v1/reports/schedules`` (issue #26): reviews kept in
the archive and delivered on a schedule. A caller sees (and removes) only what is inside their
data scope; keeping and scheduling need ``MANAGE_REPORTS`` and are audited.

Registered before ``/api/v1/reports/{kind}`` so that ``archive`` and ``schedules`` are not read
as report kinds."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, Field

from salesops.api.deps import ActorDep, EngineDep, Require, RowId, ScopeDep
from salesops.api.errors import responses
from salesops.auth.roles import Permission as P

router = APIRouter(prefix="/reports", tags=["reports"])

Kind = Literal["daily", "weekly", "monthly", "quarterly", "yearly"]
FileFormat = Literal["html", "pdf", "xlsx", "md"]


class ArchivedOut(BaseModel):
    id: int
    kind: str
    period: str
    start: str
    end: str
    scope: str
    lang: str
    title: str
    source: str
    generated_by: str
    created_at: str
    formats: list[str]


class ArchiveList(BaseModel):
    items: list[ArchivedOut]


class KeepIn(BaseModel):
    kind: Kind
    period: str | None = Field(default=None, max_length=20)
    scope: str | None = Field(default=None, max_length=200)
    lang: Literal["zh", "en"] = "en"
    formats: list[FileFormat] = Field(default=["html", "xlsx", "md"], min_length=1, max_length=4)


class IdOut(BaseModel):
    id: int


@router.get(
    "/archive",
    dependencies=[Require(P.VIEW_BOARD)],
    summary="Archived reviews inside the caller's scope, newest first",
)
def list_archived(
    engine: EngineDep,
    scope: ScopeDep,
    kind: Kind | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ArchiveList:
    from salesops.reports.archive import list_archive

    found = list_archive(engine, scope, kind=kind, limit=limit)
    return ArchiveList(items=[ArchivedOut(**a.to_json()) for a in found])


@router.post(
    "/archive",
    dependencies=[Require(P.MANAGE_REPORTS)],
    responses=responses(400, 500),
    status_code=201,
    summary="Generate a review and keep it in the archive (audited)",
)
def keep_report(body: KeepIn, engine: EngineDep, scope: ScopeDep, actor: ActorDep) -> IdOut:
    from salesops.reports.archive import keep, render_files
    from salesops.reports.assemble import ReportError, build_report
    from salesops.reports.render import RenderError

    try:
        report = build_report(engine, body.kind, body.period, body.scope, body.lang, caller=scope)
        files = render_files(report, list(body.formats))
    except ReportError as exc:
        raise HTTPException(400, str(exc)) from None
    except RenderError as exc:
        raise HTTPException(500, str(exc)) from None
    return IdOut(id=keep(engine, report, files, source="api", actor=actor))


@router.get(
    "/archive/{archive_id}",
    dependencies=[Require(P.VIEW_BOARD)],
    responses=responses(404),
    summary="One file of an archived review (inside the caller's scope)",
)
def archived_file(
    archive_id: RowId,
    engine: EngineDep,
    scope: ScopeDep,
    format: FileFormat = "html",
    download: bool = False,
) -> Response:
    from salesops.api.reports import REPORT_CSP, content_disposition
    from salesops.reports.archive import NotFound, get_file
    from salesops.reports.render import MEDIA_TYPES

    try:
        name, data = get_file(engine, archive_id, format, scope)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    inline = not download and format in ("html", "pdf")
    headers = {"Content-Disposition": content_disposition(name, inline=inline)}
    if format == "html":  # the same sandbox as a freshly generated review
        headers["Content-Security-Policy"] = REPORT_CSP
        headers["X-Frame-Options"] = "SAMEORIGIN"
    return Response(data, media_type=MEDIA_TYPES[format], headers=headers)


class ScheduleOut(BaseModel):
    id: int
    name: str
    kind: str
    scope: str
    lang: str
    formats: str
    fiscal: bool
    cron: str
    recipients: str
    enabled: bool
    next_due_at: str
    last_run_at: str | None
    last_error: str | None
    created_by: str


class ScheduleList(BaseModel):
    items: list[ScheduleOut]


class ScheduleIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    kind: Kind
    cron: str = Field(min_length=9, max_length=100, description="e.g. '30 8 * * 1'")
    recipients: list[str] = Field(
        min_length=1, max_length=50, description="alert channels; e-mail: 'mail=a@x.cn,b@x.cn'"
    )
    scope: str | None = Field(default=None, max_length=200)
    lang: Literal["zh", "en"] = "zh"
    formats: list[FileFormat] = Field(default=["pdf"], min_length=1, max_length=4)
    fiscal: bool = False


@router.get(
    "/schedules",
    dependencies=[Require(P.VIEW_BOARD)],
    summary="Report schedules inside the caller's scope",
)
def list_report_schedules(engine: EngineDep, scope: ScopeDep) -> ScheduleList:
    from salesops.reports.schedules import list_schedules

    return ScheduleList(items=[ScheduleOut(**s.to_json()) for s in list_schedules(engine, scope)])


@router.post(
    "/schedules",
    dependencies=[Require(P.MANAGE_REPORTS)],
    responses=responses(400),
    status_code=201,
    summary="Deliver a review on a schedule to alert channels (audited)",
)
def add_report_schedule(
    body: ScheduleIn, engine: EngineDep, scope: ScopeDep, actor: ActorDep
) -> ScheduleOut:
    from salesops.reports.schedules import ScheduleError, add_schedule

    try:
        s = add_schedule(
            engine, body.name, kind=body.kind, scope=body.scope, lang=body.lang,
            formats=list(body.formats), cron=body.cron, recipients=body.recipients,
            fiscal=body.fiscal, caller=scope, actor=actor,
        )  # fmt: skip
    except ScheduleError as exc:
        raise HTTPException(400, str(exc)) from None
    return ScheduleOut(**s.to_json())


@router.delete(
    "/schedules/{schedule_id}",
    dependencies=[Require(P.MANAGE_REPORTS)],
    responses=responses(404),
    summary="Forget a report schedule inside the caller's scope (audited)",
)
def remove_report_schedule(
    schedule_id: RowId, engine: EngineDep, scope: ScopeDep, actor: ActorDep
) -> dict[str, Any]:
    from salesops.reports.schedules import ScheduleError, remove_schedule

    try:
        name = remove_schedule(engine, schedule_id, caller=scope, actor=actor)
    except ScheduleError as exc:
        raise HTTPException(404, str(exc)) from None
    return {"removed": name}
