"""The reports page (issue #26): generate a review (kind, period, scope, language), view it,
download it as pdf / xlsx / md / html, keep it in the archive, add and close its action items;
the archive (view, download) and the delivery schedules (add, remove). Everything in the
caller's scope; the report itself comes from ``GET /api/v1/reports/{kind}``, an archived one
from ``GET /api/v1/reports/archive/{id}``."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from salesops.api.deps import ActorDep, EngineDep, PrincipalDep, Require, RowId, ScopeDep
from salesops.auth.roles import Permission as P
from salesops.web.i18n import translate
from salesops.web.render import render, request_locale, shell

router = APIRouter(include_in_schema=False)

KIND_LABELS = {
    "daily": "Daily report",
    "weekly": "Weekly report",
    "monthly": "Monthly report",
    "quarterly": "Quarterly review",
    "yearly": "Annual review",
}


@router.get("/reports", response_class=HTMLResponse, dependencies=[Require(P.VIEW_BOARD)])
def reports_page(
    request: Request, engine: EngineDep, scope: ScopeDep, principal: PrincipalDep
) -> HTMLResponse:
    """The form, the generated report (in a frame) with its downloads, and action items."""
    from salesops.customers.tasks import REVIEW, list_tasks
    from salesops.reports.periods import PeriodError, parse_period
    from salesops.reports.scope import ScopeError, resolve_scope

    locale = request_locale(request)
    q = request.query_params
    lang = q.get("report_lang") or ("zh" if locale == "zh_CN" else "en")
    lang = lang if lang in ("zh", "en") else "en"
    kind = q.get("kind") or ""
    period = (q.get("period") or "").strip()[:20]
    wanted_scope = (q.get("scope") or "").strip()[:200]
    error = None
    links: dict[str, str] = {}
    review = ""
    if kind:
        try:
            p = parse_period(kind, period or None, dt.date.today())
            _, scope_name = resolve_scope(engine, wanted_scope or None, scope, lang)
        except (PeriodError, ScopeError) as exc:
            error = str(exc)
        else:
            params = {"period": p.label, "scope": wanted_scope, "lang": lang}
            base = f"/api/v1/reports/{kind}?"
            links = {"view": base + urlencode({**params, "format": "html"})}
            for fmt in ("pdf", "xlsx", "md", "html"):
                links[fmt] = base + urlencode({**params, "format": fmt, "download": "true"})
            review = f"{kind}:{p.label}:{scope_name}"
            period = p.label
    items = [t for t in list_tasks(engine, scope, source=REVIEW, limit=200) if t.kind == "action"]
    from salesops.notify.outbox import list_channels
    from salesops.reports.archive import NotFound, get_archived, list_archive
    from salesops.reports.schedules import list_schedules

    archived = list_archive(engine, scope, limit=50)
    shown = None
    wanted_archive = q.get("archive") or ""
    if wanted_archive.isdigit() and 0 < int(wanted_archive) < 2**31:
        try:
            shown = get_archived(engine, int(wanted_archive), scope)
        except NotFound:
            error = translate(locale, "No such archived report in your scope.")
    can_schedule = principal.can(P.MANAGE_REPORTS)
    channels = [c["name"] for c in list_channels(engine)] if can_schedule else []
    ctx = shell(request, None, "reports")
    ctx["page_title"] = translate(locale, "Reports")
    ctx.update(
        kinds=KIND_LABELS,
        kind=kind,
        period=period,
        scope_text=wanted_scope,
        report_lang=lang,
        error=error,
        notice=translate(locale, "Action item added.") if q.get("added") else None,
        links=links,
        review=review,
        items=items,
        can_manage=principal.can(P.MANAGE_TASKS),
        today=dt.date.today().isoformat(),
        archived=archived,
        shown=shown,
        schedules=list_schedules(engine, scope),
        can_schedule=can_schedule,
        channels=channels,
    )
    if q.get("kept"):
        ctx["notice"] = translate(locale, "Kept in the archive.")
    elif q.get("scheduled"):
        ctx["notice"] = translate(locale, "Schedule saved.")
    return render(request, "board/reports.html", **ctx)


@router.post("/reports/actions", dependencies=[Require(P.MANAGE_TASKS)])
def add_action(
    request: Request,
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    title: str = Form(..., max_length=300),
    owner: str = Form(..., max_length=200),
    due_on: dt.date = Form(...),
    review: str = Form(..., max_length=120),
) -> Response:
    """Add an action item from the review on screen (audited)."""
    from salesops.customers.tasks import TaskError
    from salesops.reports.actions import create_action_item

    try:
        create_action_item(
            engine, actor, scope, title=title, owner=owner, due_on=due_on, review=review
        )
    except TaskError as exc:
        return Response(str(exc), status_code=400, media_type="text/plain; charset=utf-8")
    return RedirectResponse("/reports?added=1", status_code=303)


@router.post("/reports/actions/{task_id}/done", dependencies=[Require(P.MANAGE_TASKS)])
def action_done(
    task_id: RowId,
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    result: str = Form(..., max_length=4000),
) -> Response:
    """Close an action item with what came of it (audited)."""
    from salesops.customers.access import NotFound
    from salesops.customers.tasks import TaskError, complete_task

    try:
        complete_task(engine, actor, scope, task_id, result=result)
    except NotFound:
        return Response("no such action item", status_code=404)
    except TaskError as exc:
        return Response(str(exc), status_code=400, media_type="text/plain; charset=utf-8")
    return RedirectResponse("/reports", status_code=303)


def _refused(exc: Exception) -> Response:
    return Response(str(exc), status_code=400, media_type="text/plain; charset=utf-8")


@router.post("/reports/keep", dependencies=[Require(P.MANAGE_REPORTS)])
def keep_report(
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    kind: str = Form(..., max_length=20),
    period: str = Form("", max_length=20),
    report_scope: str = Form("", alias="scope", max_length=200),
    report_lang: str = Form("en", max_length=5),
    pdf: bool = Form(False),
) -> Response:
    """Keep the review on screen in the archive (html, xlsx, md; pdf when asked). Audited."""
    from salesops.reports.archive import keep, render_files
    from salesops.reports.assemble import ReportError, build_report
    from salesops.reports.render import RenderError

    try:
        report = build_report(
            engine, kind, period or None, report_scope or None, report_lang, caller=scope
        )
        files = render_files(report, ["html", "xlsx", "md", *(["pdf"] if pdf else [])])
    except (ReportError, RenderError) as exc:
        return _refused(exc)
    kept = keep(engine, report, files, source="page", actor=actor)
    return RedirectResponse(f"/reports?kept=1&archive={kept}#archive", status_code=303)


@router.post("/reports/schedules", dependencies=[Require(P.MANAGE_REPORTS)])
def add_schedule(
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    name: str = Form(..., max_length=100),
    kind: str = Form(..., max_length=20),
    cron: str = Form(..., max_length=100),
    recipients: str = Form(..., max_length=2000),
    report_scope: str = Form("", alias="scope", max_length=200),
    report_lang: str = Form("zh", max_length=5),
    formats: list[str] = Form(["pdf"]),
    fiscal: bool = Form(False),
) -> Response:
    """Save a delivery schedule (recipients: channels, one a line or separated by ``;``)."""
    from salesops.reports.schedules import ScheduleError
    from salesops.reports.schedules import add_schedule as save

    wanted = [r.strip() for r in recipients.replace(";", "\n").splitlines() if r.strip()]
    try:
        save(
            engine, name, kind=kind, scope=report_scope or None, lang=report_lang,
            formats=formats, cron=cron, recipients=wanted, fiscal=fiscal, caller=scope,
            actor=actor,
        )  # fmt: skip
    except ScheduleError as exc:
        return _refused(exc)
    return RedirectResponse("/reports?scheduled=1#schedules", status_code=303)


@router.post("/reports/schedules/{schedule_id}/remove", dependencies=[Require(P.MANAGE_REPORTS)])
def remove_schedule(
    schedule_id: RowId, engine: EngineDep, scope: ScopeDep, actor: ActorDep
) -> Response:
    """Forget a schedule inside the caller's scope (its archived reviews stay). Audited."""
    from salesops.reports.schedules import ScheduleError
    from salesops.reports.schedules import remove_schedule as forget

    try:
        forget(engine, schedule_id, caller=scope, actor=actor)
    except ScheduleError:
        return Response("no such schedule", status_code=404)
    return RedirectResponse("/reports#schedules", status_code=303)
