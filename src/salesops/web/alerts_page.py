"""The alerts page (active, snoozed, acknowledged, history; filters), acknowledge and snooze,
and the rule editor with its preview. Every list is in the caller's scope (``ScopeDep``)."""

from __future__ import annotations

from typing import Any, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from salesops.alerts.rules import Op, PeriodName
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


@router.post("/alerts/deliveries/{delivery_id}/resend", dependencies=[Require(P.MANAGE_ALERTS)])
def resend_form(
    delivery_id: RowId,
    engine: EngineDep,
    actor: ActorDep,
    back: str = Form("/alerts", max_length=500),
) -> Response:
    """Send an unconfirmed or failed message again (the next delivery round sends it)."""
    from salesops.notify.outbox import ResendError, resend

    try:
        resend(engine, [delivery_id], actor)
    except ResendError as exc:
        code = 404 if str(exc).startswith("no delivery") else 400
        return Response(str(exc), status_code=code)
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


@router.get("/alerts/rules/export.yaml", dependencies=[Require(P.VIEW_BOARD)])
def rules_export(engine: EngineDep) -> Response:
    """Every rule as YAML, for version control (``salesops alerts import`` reads it back)."""
    from salesops.alerts.rules import dump_yaml
    from salesops.alerts.store import list_rules

    text = dump_yaml([r.spec for r in list_rules(engine)])
    return Response(
        text,
        media_type="application/x-yaml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="alert-rules.yaml"'},
    )


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


# ---------------------------------------------------------------------------- the rule form

#: The fields of each kind, beside those every rule has (name, kind, severity, scope, schedule,
#: quiet hours, enabled, channels).
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "threshold": ("metric", "by", "where", "period", "op", "value", "contributors_by"),
    "change": (
        "metric",
        "by",
        "where",
        "grain",
        "baseline",
        "periods",
        "k",
        "direction",
        "min_change",
        "contributors_by",
    ),
    "pacing": ("target_metric", "by", "where", "period", "behind", "pace"),
    "stuck_deals": ("where", "days", "quantile", "limit", "group"),
    "churn_warning": (
        "where",
        "drop_threshold",
        "silence_factor",
        "min_revenue",
        "limit",
        "group",
    ),
    "overdue_receivables": ("where", "days", "amount", "limit", "group"),
    "big_deal": ("where", "amount", "days", "outcome", "limit", "group"),
    "credit_grade_drop": ("where", "days", "limit", "group"),
}
NUMBERS = {
    "value": float,
    "periods": int,
    "k": float,
    "min_change": float,
    "behind": float,
    "days": int,
    "quantile": float,
    "amount": float,
    "limit": int,
    "drop_threshold": float,
    "silence_factor": float,
    "min_revenue": float,
}
CHOICES = {
    "period": get_args(PeriodName),  # the names the rule model accepts, in its order
    "op": get_args(Op),
    "grain": ("week", "month", "quarter"),
    "baseline": ("prev", "yoy", "rolling"),
    "direction": ("down", "up", "any"),
    "pace": ("linear", "seasonal"),
    "outcome": ("both", "won", "lost"),
    "group": ("team", "rep", "none"),
}


def _where_text(where: dict[str, list[str]]) -> str:
    return "\n".join(f"{d}: {', '.join(vs)}" for d, vs in where.items())


def _parse_where(text: str) -> tuple[dict[str, list[str]], str | None]:
    out: dict[str, list[str]] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        dim, sep, values = line.partition(":")
        if not sep or not dim.strip():
            return out, f"line {n}: write DIMENSION: value, value (e.g. region: 华东, 华南)"
        out[dim.strip()] = [v.strip() for v in values.split(",") if v.strip()]
    return out, None


def form_values(spec: Any) -> dict[str, Any]:
    """The form's inputs for a stored rule (or the defaults of a new one)."""
    data = spec.model_dump()
    scope = data.pop("scope") or {}
    data["scope_kind"] = "org_unit" if scope.get("org_unit") else "rep" if scope.get("rep") else ""
    data["scope_value"] = scope.get("org_unit") or scope.get("rep") or ""
    data["where"] = _where_text(spec.where)
    return {k: ("" if v is None else v) for k, v in data.items()}


def rule_from_form(
    form: Any, channel_names: set[str]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """(the rule as data, the inputs to show again, errors by field) from a posted form."""
    from salesops.alerts.rules import KINDS, field_errors

    def one(name: str) -> str:
        value = form.get(name)
        return str(value).strip() if value is not None else ""

    shown: dict[str, Any] = {k: one(k) for k in (*NUMBERS, *CHOICES, "name", "kind")}
    for k in (
        "severity",
        "schedule",
        "quiet_hours",
        "metric",
        "target_metric",
        "contributors_by",
        "scope_kind",
        "scope_value",
        "where",
        "original",
    ):
        shown[k] = one(k)
    shown["by"] = [str(v) for v in form.getlist("by") if str(v)]
    shown["channels"] = [str(v) for v in form.getlist("channels") if str(v)]
    shown["enabled"] = bool(form.get("enabled"))
    errors: dict[str, str] = {}
    kind = shown["kind"]
    data: dict[str, Any] = {
        "name": shown["name"],
        "kind": kind,
        "severity": shown["severity"] or "warning",
        "schedule": shown["schedule"] or "0 8 * * *",
        "quiet_hours": shown["quiet_hours"] or None,
        "enabled": shown["enabled"],
        "channels": shown["channels"],
    }
    if shown["scope_kind"] in ("org_unit", "rep"):
        if not shown["scope_value"]:
            errors["scope"] = "name the org unit or rep (external id or name)"
        data["scope"] = {shown["scope_kind"]: shown["scope_value"]}
    elif shown["scope_kind"]:
        errors["scope"] = "the scope is the company, an org unit or a rep"
    if kind not in KINDS:
        errors["kind"] = f"choose one of: {', '.join(KINDS)}"
    for field in KIND_FIELDS.get(kind, ()):
        raw = shown.get(field)
        if field == "by":
            data["by"] = shown["by"]
        elif field == "where":
            where, problem = _parse_where(shown["where"])
            if problem:
                errors["where"] = problem
            data["where"] = where
        elif field in NUMBERS and raw:
            try:
                data[field] = NUMBERS[field](raw.replace(",", ""))
            except ValueError:
                what = "a whole number" if NUMBERS[field] is int else "a number"
                errors[field] = f"{raw!r} is not {what}"
        elif field in CHOICES and raw:
            if raw not in CHOICES[field]:
                errors[field] = f"choose one of: {', '.join(CHOICES[field])}"
            data[field] = raw
        elif raw:
            data[field] = raw
    unknown = [c for c in shown["channels"] if c not in channel_names]
    if unknown:
        errors["channels"] = f"no channel {unknown[0]!r}"
    if kind in KINDS:
        for field, msg in field_errors(data).items():
            errors.setdefault(field or "name", msg)
    return data, shown, errors


def _form_page(
    request: Request,
    engine: Any,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
    preview: dict[str, Any] | None = None,
) -> HTMLResponse:
    from salesops.alerts.rules import KINDS, SEVERITIES
    from salesops.metrics import catalog
    from salesops.metrics.query import DIMENSIONS
    from salesops.notify.outbox import list_channels

    lang = "zh" if request_locale(request) == "zh_CN" else "en"
    metrics = [(m.id, m.name_zh if lang == "zh" else m.name_en) for m in catalog.CATALOG.values()]
    response = _page(
        request,
        "board/alert_rule_form.html",
        "Alert rule",
        v=values,
        errors=errors or {},
        kinds=KINDS,
        kind_fields=KIND_FIELDS,
        severities=SEVERITIES,
        choices=CHOICES,
        metrics=metrics,
        dimensions=DIMENSIONS,
        channels=[c["name"] for c in list_channels(engine)],
        editing=bool(values.get("original")),
        lang=lang,
        preview=preview,
    )
    response.status_code = status
    return response


@router.get(
    "/alerts/rules/form", response_class=HTMLResponse, dependencies=[Require(P.MANAGE_ALERTS)]
)
def rule_form(request: Request, engine: EngineDep) -> HTMLResponse:
    """A form for one rule: empty (``?kind=``) or a stored one (``?name=``)."""
    from salesops.alerts.rules import KINDS, parse_rule
    from salesops.alerts.store import NotFound, get_rule

    name = request.query_params.get("name")
    if name:
        try:
            spec = get_rule(engine, name).spec
        except NotFound:
            return Response("no such rule", status_code=404)  # type: ignore[return-value]
        values = form_values(spec)
        values["original"] = spec.name
    else:
        kind = request.query_params.get("kind")
        kind = kind if kind in KINDS else "threshold"
        base: dict[str, Any] = {"name": "", "kind": kind}
        if kind == "threshold":
            base.update(metric="revenue", value=0)
        elif kind == "change":
            base["metric"] = "revenue"
        elif kind == "big_deal":
            base["amount"] = 500000
        values = form_values(parse_rule({**base, "name": "x"}))
        values["name"] = ""
    return _form_page(request, engine, values)


@router.post(
    "/alerts/rules/form", response_class=HTMLResponse, dependencies=[Require(P.MANAGE_ALERTS)]
)
async def rule_form_save(request: Request, engine: EngineDep, actor: ActorDep) -> Response:
    """Save a rule from the form: 400 with each problem next to its field, or back to the
    list."""
    from salesops.alerts.rules import RuleError, parse_rule
    from salesops.alerts.store import resolve_scope, save_rules
    from salesops.notify.outbox import list_channels

    form = await request.form()
    names = {c["name"] for c in list_channels(engine)}
    data, shown, errors = rule_from_form(form, names)
    if shown["original"] and shown["original"] != shown["name"]:
        errors.setdefault("name", "a rule keeps its name; create a new rule for a new name")
    if not errors:
        spec = parse_rule(data)
        try:
            with engine.connect() as conn:
                resolve_scope(conn, spec.scope)
        except RuleError as exc:
            errors["scope"] = str(exc).removeprefix("scope: ")
    if errors:
        return _form_page(request, engine, shown, errors, status=400)
    counts = save_rules(engine, [spec], actor)
    return RedirectResponse("/alerts/rules?" + urlencode(counts), status_code=303)


@router.post(
    "/alerts/rules/form/preview",
    response_class=HTMLResponse,
    dependencies=[Require(P.MANAGE_ALERTS)],
)
async def rule_form_preview(request: Request, engine: EngineDep, scope: ScopeDep) -> Response:
    """The form again with how often its rule would have fired in the last 90 days (in the
    caller's scope); nothing is saved. Bad input: 400 with each problem beside its field."""
    from salesops.alerts.preview import PreviewError, preview
    from salesops.notify.outbox import list_channels

    form = await request.form()
    names = {c["name"] for c in list_channels(engine)}
    data, shown, errors = rule_from_form(form, names)
    if errors:
        return _form_page(request, engine, shown, errors, status=400)
    try:
        result = preview(engine, data, scope)
    except PreviewError as exc:
        return _form_page(request, engine, shown, {"name": str(exc)}, status=400)
    return _form_page(request, engine, shown, preview=result)
