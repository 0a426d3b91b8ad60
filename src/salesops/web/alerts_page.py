"""The alerts page (active, snoozed, acknowledged, history; filters), acknowledge and snooze,
and the rule editor with its preview. Every list is in the caller's scope (``ScopeDep``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from salesops.api.deps import ActorDep, EngineDep, PrincipalDep, Require, RowId, ScopeDep
from salesops.auth.roles import Permission as P
from salesops.web.i18n import translate
from salesops.web.render import render, request_locale, shell

router = APIRouter(include_in_schema=False)

STATES = ("active", "snoozed", "acknowledged", "all")
SEVERITIES = ("critical", "warning", "info")
EXAMPLE_RULE = """- name: 回款率偏低 Collection rate below 85%
  kind: threshold
  metric: collection_rate
  by: [region]
  period: last_month
  op: "<"
  value: 0.85
  severity: warning
  schedule: "0 8 2 * *"
"""


def _page(request: Request, template: str, title: str, **context: Any) -> HTMLResponse:
    locale = request_locale(request)
    ctx = shell(request, None, "alerts")
    ctx["page_title"] = translate(locale, title)
    ctx.update(context)
    return render(request, template, **ctx)


@router.get("/alerts", response_class=HTMLResponse, dependencies=[Require(P.VIEW_BOARD)])
def alerts_page(
    request: Request, engine: EngineDep, scope: ScopeDep, principal: PrincipalDep
) -> HTMLResponse:
    """Alerts with their explanations, newest first."""
    from salesops.alerts.store import alert_rows, list_rules

    q = request.query_params
    state = q.get("state") if q.get("state") in STATES else "active"
    severity = q.get("severity") if q.get("severity") in SEVERITIES else None
    names = [r.spec.name for r in list_rules(engine)]
    rule = q.get("rule") if q.get("rule") in names else None
    rows = alert_rows(engine, scope, state=state or "active", severity=severity, rule=rule)
    lang = "zh" if request_locale(request) == "zh_CN" else "en"
    return _page(
        request,
        "board/alerts.html",
        "Alerts",
        alerts=rows,
        lang=lang,
        state=state,
        states=STATES,
        severity=severity or "",
        severities=SEVERITIES,
        rule=rule or "",
        rules=names,
        can_ack=principal.can(P.ACK_ALERTS),
        can_manage=principal.can(P.MANAGE_ALERTS),
        back=request.url.path + ("?" + request.url.query if request.url.query else ""),
        focus=q.get("focus", ""),
    )


def _back(target: str) -> str:
    return target if target.startswith("/alerts") and "//" not in target else "/alerts"


@router.post("/alerts/{alert_id}/ack", dependencies=[Require(P.ACK_ALERTS)])
def ack_form(
    alert_id: RowId,
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    back: str = Form("/alerts", max_length=500),
) -> Response:
    from salesops.alerts.store import NotFound, acknowledge

    try:
        acknowledge(engine, alert_id, scope, actor)
    except NotFound:
        return Response("no such alert", status_code=404)
    return RedirectResponse(_back(back), status_code=303)


@router.post("/alerts/{alert_id}/snooze", dependencies=[Require(P.ACK_ALERTS)])
def snooze_form(
    alert_id: RowId,
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    hours: int = Form(24, ge=1, le=720),
    back: str = Form("/alerts", max_length=500),
) -> Response:
    from salesops.alerts.store import NotFound, snooze

    try:
        snooze(engine, alert_id, hours, scope, actor)
    except NotFound:
        return Response("no such alert", status_code=404)
    return RedirectResponse(_back(back), status_code=303)


def _rules_page(request: Request, engine: Any, principal: Any, **context: Any) -> HTMLResponse:
    from salesops.alerts.rules import KINDS
    from salesops.alerts.store import list_rules

    lang = "zh" if request_locale(request) == "zh_CN" else "en"
    context.setdefault("yaml_text", EXAMPLE_RULE)
    return _page(
        request,
        "board/alert_rules.html",
        "Alert rules",
        rules=list_rules(engine),
        kinds=KINDS,
        lang=lang,
        can_manage=principal.can(P.MANAGE_ALERTS),
        **context,
    )


@router.get("/alerts/rules", response_class=HTMLResponse, dependencies=[Require(P.VIEW_BOARD)])
def rules_page(request: Request, engine: EngineDep, principal: PrincipalDep) -> HTMLResponse:
    """The rules in words, and the editor (YAML) with a preview."""
    return _rules_page(request, engine, principal)


@router.post(
    "/alerts/rules/preview", response_class=HTMLResponse, dependencies=[Require(P.VIEW_BOARD)]
)
def rules_preview(
    request: Request,
    engine: EngineDep,
    scope: ScopeDep,
    principal: PrincipalDep,
    yaml_text: str = Form("", max_length=50_000),
) -> HTMLResponse:
    """How often the first rule of the text would have fired in the last 90 days."""
    from salesops.alerts.preview import PreviewError, preview
    from salesops.alerts.rules import RuleError, load_yaml

    try:
        specs = load_yaml(yaml_text)
        if not specs:
            raise RuleError("no rule in the text")
        result = preview(engine, specs[0].model_dump(), scope)
    except (RuleError, PreviewError) as exc:
        return _rules_page(request, engine, principal, yaml_text=yaml_text, error=str(exc))
    return _rules_page(request, engine, principal, yaml_text=yaml_text, preview=result)


@router.post(
    "/alerts/rules/save", response_class=HTMLResponse, dependencies=[Require(P.MANAGE_ALERTS)]
)
def rules_save(
    request: Request,
    engine: EngineDep,
    principal: PrincipalDep,
    actor: ActorDep,
    yaml_text: str = Form("", max_length=50_000),
) -> Response:
    from salesops.alerts.rules import RuleError, load_yaml
    from salesops.alerts.store import save_rules

    try:
        counts = save_rules(engine, load_yaml(yaml_text), actor)
    except RuleError as exc:
        return _rules_page(request, engine, principal, yaml_text=yaml_text, error=str(exc))
    return RedirectResponse("/alerts/rules?" + urlencode(counts), status_code=303)
