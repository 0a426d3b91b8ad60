"""目标管理 Targets page: the target tree with attainment bars and pacing, setting and editing
targets, the decomposition wizard and the reps far below their team.

Everything is computed by :mod:`salesops.targets` (tree, decomposition, attainment, flags); this
module shapes it for display. Forms post to ``/targets/...`` and redirect back (no script
needed); the wizard previews a split (``decompose.plan``) before it is written.

Query parameters: ``metric``, ``target_period`` (``2026``, ``2026-Q1`` …), ``asof`` (shared with
the board), ``basis`` (calendar | working), ``decompose`` (target id: opens the wizard) with
``over``, ``method``, ``into``, ``weights`` and ``preview``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from salesops.api.deps import ActorDep, EngineDep, Require, RowId, ScopeDep
from salesops.auth.roles import Permission as P
from salesops.metrics.scope import Scope
from salesops.targets.attainment import Attainment, Basis
from salesops.targets.calendar import PeriodError, parse_period, period_containing
from salesops.targets.decompose import ORG_METHODS, TIME_METHODS, Over, decompose, plan
from salesops.targets.flags import rep_flags
from salesops.targets.kpis import MetricError, known_metrics, metric_info
from salesops.targets.org import Directory, ScopeError
from salesops.targets.service import (
    TargetError,
    delete_target,
    get_target,
    set_target,
    target_tree,
    update_target,
)
from salesops.targets.tree import TargetRecord, TreeNode
from salesops.web.filters import today_in_zone
from salesops.web.formatting import format_value
from salesops.web.i18n import translate
from salesops.web.render import render, request_locale, shell

router = APIRouter(include_in_schema=False)

#: This page's own query parameters (kept out of the navigation links to other pages).
OWN_KEYS = (
    "metric",
    "target_period",
    "basis",
    "decompose",
    "over",
    "method",
    "into",
    "weights",
    "preview",
    "msg",
    "err",
)
VIEW_KEYS = ("metric", "target_period", "asof", "basis", "lang")
_BAD = (MetricError, PeriodError, ScopeError, TargetError, ValueError)

STATUS_LABELS = {
    "ahead": "Ahead",
    "on_track": "On track",
    "behind": "Behind",
    "at_risk": "At risk",
    "not_started": "Not started",
    "no_data": "No data",
}
STATUS_TONE = {"ahead": "good", "on_track": "good", "behind": "warn", "at_risk": "bad"}
SCOPE_LABELS = {
    "company": "Company",
    "region": "Region",
    "org_unit": "Team",
    "rep": "Sales rep",
    "product_line": "Product line",
}
METHOD_LABELS = {
    "even": "Evenly",
    "calendar_days": "By calendar days",
    "working_days": "By working days",
    "seasonality": "By last year's seasonality",
    "weights": "By weights",
    "share": "By each unit's share of last year",
}
INTO_LABELS = {
    "quarter": "Quarters",
    "month": "Months",
    "region": "Regions",
    "team": "Teams",
    "rep": "Sales reps",
    "product_line": "Product lines",
    "channel": "Sales channels",
}
MESSAGES = {
    "saved": "Target saved.",
    "updated": "Target updated.",
    "decomposed": "Target decomposed into {n} children.",
    "deleted": "{n} target(s) deleted.",
}


# --------------------------------------------------------------------------- view state


class View:
    """What the page shows: KPI, period, as-of date and pacing basis, from the query string."""

    def __init__(self, request: Request) -> None:
        q = request.query_params
        self.locale = request_locale(request)
        self.metric = (q.get("metric") or "revenue").strip()
        try:
            self.as_of = dt.date.fromisoformat(q["asof"]) if q.get("asof") else today_in_zone()
        except ValueError:
            self.as_of = today_in_zone()
        self.basis: Basis = "working" if q.get("basis") == "working" else "calendar"
        self.period_text = (q.get("target_period") or "").strip()
        try:
            self.period = (
                parse_period(self.period_text)
                if self.period_text
                else period_containing(self.as_of, "year")
            )
        except PeriodError:
            self.period = period_containing(self.as_of, "year")
        self.params = {k: q[k] for k in VIEW_KEYS if q.get(k)}

    def t(self, message: str, **params: object) -> str:
        return translate(self.locale, message, **params)

    def href(self, **extra: object) -> str:
        """This view's URL with ``extra`` parameters."""
        params = {**self.params, **{k: str(v) for k, v in extra.items() if v is not None}}
        return "/targets" + (f"?{urlencode(params)}" if params else "")


def _back(form_back: str, **extra: object) -> RedirectResponse:
    """Back to the page (only this page's view parameters are carried over)."""
    params = {k: v for k, v in parse_qsl(form_back) if k in VIEW_KEYS}
    params.update({k: str(v) for k, v in extra.items()})
    return RedirectResponse("/targets?" + urlencode(params), status_code=303)


# --------------------------------------------------------------------------- shaping rows


def _scope_label(view: View, t: TargetRecord) -> str:
    kind = view.t(SCOPE_LABELS.get(t.scope.kind, t.scope.kind))
    if t.scope.kind == "company" and not t.scope.channel:
        return kind
    return f"{kind} · {t.scope_name}"


def _row(view: View, depth: int, node: TreeNode, unit: str) -> dict[str, Any]:
    t = node.target
    a: Attainment | None = node.attainment
    status = a.status if a else "no_data"
    attained = a.attainment if a else None
    expected_share = a.elapsed_share if a and unit and a.status != "not_started" else None
    checks = [
        {
            "level": view.t(INTO_LABELS.get(c.level, c.level)),
            "ok": c.adds_up,
            "diff": ("+" if c.difference > 0 else "−")
            + format_value(abs(c.difference), unit, view.locale, full=True),
        }
        for c in node.checks
    ]
    return {
        "id": t.id,
        "depth": depth,
        "period": t.period.label(),
        "scope": _scope_label(view, t),
        "value": format_value(t.value, unit, view.locale),
        "value_full": format_value(t.value, unit, view.locale, full=True),
        "actual": format_value(a.actual if a else None, unit, view.locale),
        "attainment": attained,
        "attainment_display": format_value(attained, "ratio", view.locale),
        "bar": min(100.0, max(0.0, (attained or 0.0) * 100)),
        "marker": None if expected_share is None else min(100.0, expected_share * 100),
        "expected": format_value(a.expected_to_date if a else None, unit, view.locale),
        "gap": format_value(a.gap if a else None, unit, view.locale),
        "gap_tone": "" if not a or a.gap is None else ("bad" if a.gap < 0 else "good"),
        "projection": format_value(a.projection if a else None, unit, view.locale),
        "pacing": "—" if not a or a.pacing is None else f"{a.pacing:.2f}",
        "status": status,
        "status_label": view.t(STATUS_LABELS[status]),
        "status_note": a.error if a and a.error else "",
        "tone": STATUS_TONE.get(status, ""),
        "checks": checks,
        "checks_ok": all(c["ok"] for c in checks),
        "checks_title": " · ".join(f"{c['level']} {'✓' if c['ok'] else c['diff']}" for c in checks),
        "has_children": bool(node.children),
        "rep_href": (
            "/team/rep?" + urlencode({"rep": _rep_name(t)}) if t.scope.kind == "rep" else None
        ),
        "split_time": t.period.grain != "month",
        # A whole target splits into its channels too; a channel's part keeps its channel.
        "split_org": t.scope.kind not in ("rep", "product_line") or not t.scope.channel,
        "raw_value": str(t.value),
    }


def _rep_name(t: TargetRecord) -> str:
    """The rep's name of a rep target (a channel's part shows "张伟 · 直销")."""
    suffix = f" · {t.scope.channel}" if t.scope.channel else ""
    return t.scope_name.removesuffix(suffix) if suffix else t.scope_name


def _metric_options(view: View) -> list[tuple[str, str]]:
    out = []
    for metric in known_metrics():
        try:
            info = metric_info(metric)
        except MetricError:
            continue
        out.append((metric, info.name_zh if view.locale.startswith("zh") else info.name_en))
    return out


def _scope_options(view: View, directory: Directory, scope: Scope) -> list[tuple[str, str]]:
    """The scopes a target can be set for; a scoped caller (manager, rep) sees only the units
    and reps inside their data scope, never the names of other teams' reps."""
    inside = set(directory.subtree(scope.org_unit_id)) if scope.org_unit_id else set()
    opts: list[tuple[str, str]] = []
    if scope.is_full:
        opts = [("company", view.t("Company"))]
        opts += [(f"region:{n}", f"{view.t('Region')} · {n}") for n in directory.regions.values()]
    units = [u for u in directory.units.values() if scope.is_full or u.id in inside]
    reps = [
        r
        for r in directory.reps.values()
        if scope.is_full or r.id == scope.rep_id or (r.org_unit_id in inside)
    ]
    opts += [(f"team:{u.name}", f"{view.t('Team')} · {u.name}") for u in units]
    opts += [
        (f"rep:{r.name}", f"{view.t('Sales rep')} · {r.name}")
        for r in reps
        if r.works_during(view.as_of, view.as_of) or r.active
    ]
    if scope.is_full:
        opts += [
            (f"product_line:{p}", f"{view.t('Product line')} · {p}")
            for p in directory.product_lines
        ]
    return opts


def _org_intos(target: TargetRecord) -> list[str]:
    """What the wizard offers to split ``target`` into over the organisation."""
    if target.scope.kind in ("rep", "product_line"):
        levels = []
    else:
        levels = ["region", "team", "rep", "product_line"]
    if not target.scope.channel:
        levels.append("channel")
    return levels


def _wizard(view: View, request: Request, engine: Any, scope: Any) -> dict[str, Any] | None:
    q = request.query_params
    if not q.get("decompose", "").isdigit():
        return None
    try:
        target = get_target(engine, int(q["decompose"]), scope)
    except TargetError as exc:
        return {"error": str(exc)}
    default = "time" if target.period.grain != "month" else "org"
    over: Over = "time" if (q.get("over") or default) == "time" else "org"
    methods = TIME_METHODS if over == "time" else ORG_METHODS
    method = next((m for m in methods if m == q.get("method")), methods[0])
    grains = ("year", "quarter", "month")
    below = grains[grains.index(target.period.grain) + 1 :]
    intos = list(below) if over == "time" else _org_intos(target)
    into = q.get("into") if q.get("into") in intos else None
    wizard: dict[str, Any] = {
        "target": target,
        "label": f"{target.period.label()} · {_scope_label(view, target)}",
        "value_display": format_value(
            target.value, metric_info(target.metric).unit, view.locale, full=True
        ),
        "over": over,
        "method": method,
        "into": into or "",
        "weights": q.get("weights", ""),
        "methods": [(m, view.t(METHOD_LABELS[m])) for m in methods],
        "intos": [(i, view.t(INTO_LABELS[i])) for i in intos],
        "preview": None,
        "error": None,
    }
    if q.get("preview"):
        try:
            info = metric_info(target.metric)
            the_plan = plan(
                engine,
                target,
                over,
                method,
                into=into,
                weights=q.get("weights") or None,
                scope=scope,
            )
            total = sum(c.weight for c in the_plan.children) or 1
            wizard["into"] = the_plan.into
            wizard["copied"] = the_plan.copied
            wizard["preview"] = [
                {
                    "name": c.name,
                    "share": format_value(c.weight / total, "ratio", view.locale),
                    "value": format_value(c.value, info.unit, view.locale, full=True),
                }
                for c in the_plan.children
            ]
        except _BAD as exc:
            wizard["error"] = str(exc)
    return wizard


# --------------------------------------------------------------------------- the page


@router.get("/targets", dependencies=[Require(P.VIEW_BOARD)], response_class=HTMLResponse)
def targets_page(request: Request, engine: EngineDep, scope: ScopeDep) -> HTMLResponse:
    """目标管理: the target tree of one KPI and period, with attainment and pacing."""
    view = View(request)
    error = request.query_params.get("err")
    rows: list[dict[str, Any]] = []
    counts = dict.fromkeys(STATUS_LABELS, 0)
    unit = ""
    try:
        unit = metric_info(view.metric).unit
        roots = target_tree(
            engine,
            metric=view.metric,
            period=view.period,
            as_of=view.as_of,
            basis=view.basis,
            scope=scope,
        )
        for root in roots:
            for depth, node in root.walk():
                row = _row(view, depth, node, unit)
                rows.append(row)
                counts[row["status"]] += 1
        _proposed_by(view, engine, scope, rows, unit)  # issue #27
    except _BAD as exc:
        error = str(exc)
    try:
        flags = rep_flags(
            engine,
            view.period,
            as_of=view.as_of,
            metric=view.metric,
            scope=scope,
            basis=view.basis,
        )
    except _BAD:
        flags = []
    with engine.connect() as conn:
        directory = Directory(conn)
    context = shell(request, None, "targets")
    _strip_own_keys(request, context)
    msg = request.query_params.get("msg")
    context.update(
        page_title=view.t("Target management"),
        view=view,
        rows=rows,
        counts=[
            (s, view.t(STATUS_LABELS[s]), n, STATUS_TONE.get(s, "")) for s, n in counts.items() if n
        ],
        metric_options=_metric_options(view),
        scope_options=_scope_options(view, directory, scope),
        channel_options=directory.channels,
        period_options=_period_options(view),
        wizard=_wizard(view, request, engine, scope),
        flags=[_flag(view, f) for f in flags],
        error=(view.t("Could not do that: {reason}", reason=error) if error else None),
        message=(
            view.t(MESSAGES[msg], n=request.query_params.get("n", "")) if msg in MESSAGES else None
        ),
        back=urlencode(view.params),
        unit=unit,
    )
    return render(request, "targets.html", **context)


def _proposed_by(
    view: View, engine: Any, scope: Scope, rows: list[dict[str, Any]], unit: str
) -> None:
    """Who proposed a target and who decided it (issue #27: targets the team takes part in)."""
    from salesops.people.proposals import list_proposals

    if not rows:
        return
    found = list_proposals(engine, scope, target_ids=[r["id"] for r in rows])
    by_target = {p.target_id: p for p in reversed(found)}  # the latest decision wins
    for row in rows:
        p = by_target.get(row["id"])
        if p is not None:
            row["proposal"] = view.t(
                "Proposed by {who}: {value}; {status} by {decider}",
                who=p.proposed_by,
                value=format_value(p.value, unit, view.locale),
                status=view.t(p.status.capitalize()),
                decider=p.decided_by or "",
            )


def _strip_own_keys(request: Request, context: dict[str, Any]) -> None:
    """Navigation links to other pages carry the board's filters, not this page's keys."""
    keep = [(k, v) for k, v in request.query_params.multi_items() if k not in (*OWN_KEYS, "lang")]
    qs = urlencode(keep)
    for item in context["nav"]:
        path = item["href"].split("?")[0]
        item["href"] = path + (f"?{qs}" if qs and item["id"] != "data" else "")


def _period_options(view: View) -> list[tuple[str, str]]:
    year = period_containing(view.as_of, "year")
    out = []
    for offset in (-1, 0, 1):
        fy = year.shift_years(offset)
        out.append((fy.label(), fy.label()))
        out += [(q.label(), q.label()) for q in fy.split("quarter")]
    current = view.period.label()
    if current not in [o[0] for o in out]:
        out.append((current, current))
    return out


def _flag(view: View, f: Any) -> dict[str, Any]:
    if f.reason == "attainment":
        measure = view.t("Target attainment")
        value = format_value(f.value, "ratio", view.locale)
        average = format_value(f.team_average, "ratio", view.locale)
    else:
        measure = view.t("New opportunities")
        value = format_value(f.value, "count", view.locale)
        average = f"{f.team_average:.1f}"
    return {
        "rep": f.rep,
        "team": f.team,
        "measure": measure,
        "value": value,
        "average": average,
        "ratio": format_value(f.ratio, "ratio", view.locale),
        "href": "/team/rep?" + urlencode({"rep": f.rep}),
    }


# --------------------------------------------------------------------------- forms


@router.post("/targets/set", dependencies=[Require(P.EDIT_TARGETS)])
def set_form(
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    metric: str = Form(...),
    target_period: str = Form(...),
    target_scope: str = Form("company"),
    target_channel: str = Form(""),
    value: str = Form(...),
    back: str = Form(""),
) -> RedirectResponse:
    """Create a target or change its value (with a channel: that channel's part)."""
    try:
        with engine.connect() as conn:
            parsed = Directory(conn).parse(target_scope, target_channel.strip() or None)
        set_target(
            engine,
            metric,
            parse_period(target_period),
            parsed,
            value,
            actor=actor,
            data_scope=scope,
        )
    except _BAD as exc:
        return _back(back, err=str(exc))
    return _back(back, msg="saved")


@router.post("/targets/{target_id}/edit", dependencies=[Require(P.EDIT_TARGETS)])
def edit_form(
    target_id: RowId,
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    value: str = Form(...),
    back: str = Form(""),
) -> RedirectResponse:
    """Change one target's value by hand."""
    try:
        update_target(engine, target_id, value=value, scope=scope, actor=actor)
    except _BAD as exc:
        return _back(back, err=str(exc))
    return _back(back, msg="updated")


@router.post("/targets/{target_id}/decompose", dependencies=[Require(P.EDIT_TARGETS)])
def decompose_form(
    target_id: RowId,
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    over: str = Form(...),
    method: str = Form(...),
    into: str = Form(""),
    weights: str = Form(""),
    back: str = Form(""),
) -> RedirectResponse:
    """Write the children the wizard previewed."""
    try:
        result = decompose(
            engine,
            target_id,
            "time" if over == "time" else "org",
            method,
            into=into or None,
            weights=weights or None,
            scope=scope,
            actor=actor,
        )
    except _BAD as exc:
        return _back(back, err=str(exc))
    return _back(back, msg="decomposed", n=len(result.children))


@router.post("/targets/{target_id}/delete", dependencies=[Require(P.EDIT_TARGETS)])
def delete_form(
    target_id: RowId,
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    cascade: str = Form(""),
    back: str = Form(""),
) -> RedirectResponse:
    """Delete a target (and, when asked, everything below it)."""
    try:
        count = delete_target(engine, target_id, cascade=bool(cascade), scope=scope, actor=actor)
    except _BAD as exc:
        return _back(back, err=str(exc))
    return _back(back, msg="deleted", n=count)
