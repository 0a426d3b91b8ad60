"""The reports page (issue #26): generate a review (kind, period, scope, language), view it,
download it as pdf / xlsx / md / html, and add and close its action items. Everything in the
caller's scope; the report itself comes from ``GET /api/v1/reports/{kind}``."""

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
    )
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
