"""人员与绩效 People page: one rep's commission statement (with what-if and XLSX), their
scorecard with the ratings a manager enters, their coaching log, and target proposals.

Everything is computed by :mod:`salesops.people`; this module shapes it for display. Forms
post to ``/people/...`` and redirect back. The statement section is there only for a caller
with VIEW_COMMISSION (the rep, their managers, finance); the scope does the rest.

Query parameters: ``rep`` (name), ``period`` (``2026-Q1``), ``plan`` (code), ``what_if``
(open deal ids, repeatable), ``msg`` / ``err`` (after a form).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from salesops.api.deps import ActorDep, EngineDep, Require, ScopeDep
from salesops.auth.principal import Principal
from salesops.auth.roles import Permission as P
from salesops.db.schema import OrgUnit, Rep
from salesops.metrics import catalog, dimensions
from salesops.metrics.scope import Scope, visible_reps
from salesops.people import coaching, proposals, scorecards
from salesops.people import statements as st
from salesops.people.plans import PlanError
from salesops.targets.calendar import Period, PeriodError, parse_period, period_containing
from salesops.web.filters import today_in_zone
from salesops.web.formatting import format_value
from salesops.web.i18n import translate
from salesops.web.render import render, request_locale, shell

router = APIRouter(include_in_schema=False)
_BAD = (st.PeopleError, PlanError, PeriodError, ValueError)

KIND_LABELS = {
    "commission": "Commission",
    "spiff": "SPIFF",
    "bonus": "Bonus",
    "clawback": "Clawback",
}
SOURCE_LABELS = {
    "order_line": "Order",
    "opportunity": "Deal",
    "payment": "Payment",
    "kpi": "KPI",
}
STATUS_LABELS = {
    "open": "Waiting for a decision",
    "accepted": "Accepted",
    "adjusted": "Adjusted",
    "rejected": "Rejected",
}
MESSAGES = {
    "closed": "The statement is closed: its lines are kept as paid.",
    "rated": "Rating saved.",
    "coached": "Coaching entry added.",
    "proposed": "Proposal sent to your manager.",
    "decided": "Decision saved; the target is set.",
    "rejected": "Proposal rejected.",
}


def _reps(engine: Any, scope: Scope) -> list[tuple[int, str, str | None]]:
    stmt = (
        select(Rep.id, Rep.name, OrgUnit.name)
        .outerjoin(OrgUnit, OrgUnit.id == Rep.org_unit_id)
        .order_by(OrgUnit.name, Rep.name)
    )
    reps = visible_reps(scope)
    if reps is not None:
        stmt = stmt.where(Rep.id.in_(reps))
    with engine.connect() as conn:
        return [(int(i), str(n), t) for i, n, t in conn.execute(stmt)]


def _units(engine: Any, scope: Scope) -> list[tuple[int, str]]:
    from salesops.metrics.scope import subtree_units

    stmt = select(OrgUnit.id, OrgUnit.name).where(OrgUnit.kind == "team").order_by(OrgUnit.name)
    if scope.kind == "rep":
        return []
    if scope.kind == "org_unit" and scope.org_unit_id:
        stmt = stmt.where(OrgUnit.id.in_(subtree_units(scope.org_unit_id)))
    with engine.connect() as conn:
        return [(int(i), str(n)) for i, n in conn.execute(stmt)]


def _money(value: Any, locale: str) -> str:
    return "" if value is None else format_value(float(value), "money", locale, full=True)


def _statement(
    request: Request, engine: Any, scope: Scope, rep_id: int, period: Period, t: Any, locale: str
) -> dict[str, Any]:
    plans = st.plans_for_rep(engine, rep_id)
    out: dict[str, Any] = {"plans": [(p.rules.code, p.rules.name) for p in plans]}
    if not plans:
        return out
    wanted = request.query_params.get("plan") or plans[0].rules.code
    plan = next((p for p in plans if p.rules.code == wanted), plans[0])
    grain_period = (
        period
        if period.grain == plan.rules.period
        else period_containing(period.end, plan.rules.period)
    )
    what_if = [int(v) for v in request.query_params.getlist("what_if") if v.isdigit()][:20]
    view = st.statement(engine, plan.rules.code, rep_id, grain_period, scope, what_if=what_if)
    base = st.statement(engine, plan.rules.code, rep_id, grain_period, scope) if what_if else view
    s = view.statement
    out.update(
        plan=plan.rules,
        period=grain_period.label(),
        closed=view.closed,
        lines=[
            {
                "kind": t(KIND_LABELS[ln.kind]),
                "kind_id": ln.kind,
                "source": t(SOURCE_LABELS[ln.source]),
                "reference": ln.reference,
                "day": ln.day.isoformat() if ln.day else "",
                "credit": _money(ln.credit, locale) if ln.kind != "bonus" else str(ln.credit),
                "share": format_value(float(ln.share), "ratio", locale) if ln.share else "",
                "tier": ln.tier or "",
                "rate": format_value(float(ln.rate), "ratio", locale) if ln.rate else "",
                "amount": _money(ln.amount, locale),
                "what_if": ln.hypothetical,
            }
            for ln in s.lines
        ],
        total=_money(s.total, locale),
        by_kind=[(t(KIND_LABELS[k]), _money(v, locale)) for k, v in s.by_kind().items()],
        credit=_money(s.credit, locale),
        target=_money(s.target, locale) if s.target else t("No target"),
        attainment=format_value(float(s.attainment), "ratio", locale) if s.attainment else "–",
        notes=[t(n) for n in s.notes],
        what_if=what_if,
        what_if_gain=_money(s.total - base.statement.total, locale) if what_if else None,
        open_deals=_open_deals(engine, rep_id, scope, locale),
        xlsx="/api/v1/people/statements.xlsx?"
        + urlencode(
            {
                "rep": rep_id,
                "plan": plan.rules.code,
                "period": grain_period.label(),
                "lang": locale,
            }
        ),
    )
    return out


def _open_deals(engine: Any, rep_id: int, scope: Scope, locale: str) -> list[dict[str, Any]]:
    from salesops.db.schema import Opportunity

    stmt = (
        select(Opportunity.id, Opportunity.name, Opportunity.external_id, Opportunity.amount)
        .where(Opportunity.owner_id == rep_id, Opportunity.status == "open")
        .where(*dimensions.conditions("opportunity", {}, scope))
        .order_by(Opportunity.amount.desc().nulls_last(), Opportunity.id)
        .limit(15)
    )
    with engine.connect() as conn:
        return [
            {"id": int(r.id), "name": r.name or r.external_id, "amount": _money(r.amount, locale)}
            for r in conn.execute(stmt)
        ]


def _part_value(value: Decimal | None, unit: str, locale: str) -> str:
    if value is None:
        return ""
    return format_value(float(value), unit, locale, full=unit == "money")


def _scorecard(
    engine: Any, scope: Scope, rep_id: int, period: Period, locale: str
) -> dict[str, Any] | None:
    try:
        card = scorecards.load_scorecard(engine)
    except st.PeopleError:
        return None
    chosen = (
        period if period.grain == card.period else period_containing(period.end, card.period)  # type: ignore[arg-type]
    )
    found = scorecards.compute(
        engine, chosen, Scope.single_rep(rep_id), code=card.code, locale=locale
    )
    mine = next((r for r in found.reps if r.rep_id == rep_id), None)
    units = {i.code: str(catalog.get(i.metric).unit) for i in card.items if i.metric}
    return {
        "card": card,
        "period": chosen.label(),
        "score": None if mine is None or mine.score is None else f"{mine.score:.1f}",
        "parts": [
            {
                "code": p.code,
                "label": p.label,
                "kind": p.kind,
                "weight": format_value(float(p.weight), "ratio", locale),
                "value": _part_value(p.value, units.get(p.code, "score"), locale),
                "against": _part_value(p.against, units.get(p.code, "score"), locale),
                "score": "" if p.score is None else f"{p.score:.1f}",
                "comment": p.comment or "",
            }
            for p in (mine.parts if mine else [])
        ],
        "rated": [(i.code, i.label(locale)) for i in card.items if i.kind == "rated"],
    }


@router.get("/people", dependencies=[Require(P.VIEW_BOARD)], response_class=HTMLResponse)
def people_page(request: Request, engine: EngineDep, scope: ScopeDep) -> HTMLResponse:
    """人员与绩效: a rep's statement, scorecard and coaching; target proposals."""
    locale = request_locale(request)

    def t(message: str, **params: object) -> str:
        return translate(locale, message, **params)

    principal: Principal | None = getattr(request.state, "principal", None)

    def can(p: P) -> bool:
        return principal is not None and principal.can(p)

    today = today_in_zone()
    error = request.query_params.get("err")
    reps = _reps(engine, scope)
    wanted = request.query_params.get("rep", "")
    if not wanted and scope.kind == "rep":
        wanted = next((n for i, n, _ in reps if i == scope.rep_id), "")
    rep = next(((i, n) for i, n, _ in reps if n == wanted), None)
    try:
        period = (
            parse_period(request.query_params.get("period") or "")
            if request.query_params.get("period")
            else period_containing(today, "quarter")
        )
    except PeriodError as exc:
        error, period = str(exc), period_containing(today, "quarter")
    statement: dict[str, Any] | None = None
    card = None
    log: list[coaching.Entry] = []
    if rep is not None:
        try:
            if can(P.VIEW_COMMISSION):
                statement = _statement(request, engine, scope, rep[0], period, t, locale)
            card = _scorecard(engine, scope, rep[0], period, locale)
        except _BAD as exc:
            error = str(exc)
        log = coaching.entries(engine, scope, rep_ids=[rep[0]])
    next_quarter = period_containing(
        period_containing(today, "quarter").end + dt.timedelta(days=1), "quarter"
    )
    found = proposals.list_proposals(engine, scope, limit=50)
    context = shell(request, None, "people")
    msg = request.query_params.get("msg")
    context.update(
        page_title=t("People and performance"),
        reps=reps,
        rep=rep,
        period=period.label(),
        periods=sorted({*_periods(today), period.label()}),
        statement=statement,
        card=card,
        log=[{**e.to_dict(), "kind_label": t(coaching.KIND_LABELS[e.kind])} for e in log],
        coaching_kinds=[(k, t(v)) for k, v in coaching.KIND_LABELS.items()],
        proposals=[
            {
                **p.to_dict(),
                "value_text": _money(p.value, locale),
                "decided_text": _money(p.decided_value, locale),
                "status_label": t(STATUS_LABELS[p.status]),
                "metric_label": t("Revenue") if p.metric == "revenue" else p.metric,
            }
            for p in found
        ],
        next_period=next_quarter.label(),
        units=_units(engine, scope),
        channels=_channels(engine),
        can_commission=can(P.VIEW_COMMISSION),
        can_close=can(P.MANAGE_INCENTIVES),
        can_rate=can(P.RATE_REPS),
        can_propose=can(P.PROPOSE_TARGETS),
        can_decide=can(P.EDIT_TARGETS),
        me=principal.actor.name if principal else "",
        today=today.isoformat(),
        back=urlencode(
            [(k, v) for k, v in request.query_params.multi_items() if k not in ("msg", "err")]
        ),
        error=t("Could not do that: {reason}", reason=error) if error else None,
        message=t(MESSAGES[msg]) if msg in MESSAGES else None,
    )
    return render(request, "people.html", **context)


def _channels(engine: Any) -> list[str]:
    """The sales channels a proposal can be for (those orders were taken through)."""
    from salesops.targets.org import Directory

    with engine.connect() as conn:
        return Directory(conn).channels


def _periods(today: dt.date) -> list[str]:
    year = period_containing(today, "year")
    out = []
    for offset in (-1, 0, 1):
        out += [q.label() for q in year.shift_years(offset).split("quarter")]
    return out


def _back(back: str, **params: str) -> RedirectResponse:
    from urllib.parse import parse_qsl

    keep = [(k, v) for k, v in parse_qsl(back) if k not in ("msg", "err")]
    keep += list(params.items())
    return RedirectResponse("/people?" + urlencode(keep), status_code=303)


def _rep_id(engine: Any, scope: Scope, name: str) -> int:
    found = next((i for i, n, _ in _reps(engine, scope) if n == name), None)
    if found is None:
        raise st.NotVisible(f"no sales rep {name!r}")
    return found


@router.post("/people/statement/close", dependencies=[Require(P.MANAGE_INCENTIVES)])
def close_form(
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    rep: str = Form(...),
    plan: str = Form(...),
    period: str = Form(...),
    back: str = Form(""),
) -> RedirectResponse:
    try:
        st.close_statement(
            engine, plan, _rep_id(engine, scope, rep), parse_period(period), actor, scope
        )
    except _BAD as exc:
        return _back(back, err=str(exc))
    return _back(back, msg="closed")


@router.post("/people/ratings", dependencies=[Require(P.RATE_REPS)])
def rate_form(
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    rep: str = Form(...),
    scorecard: str = Form(...),
    item: str = Form(...),
    period: str = Form(...),
    score: str = Form(...),
    comment: str = Form(""),
    back: str = Form(""),
) -> RedirectResponse:
    try:
        try:
            number = Decimal(score.strip())
        except InvalidOperation:
            raise st.PeopleError(f"{score!r} is not a number") from None
        scorecards.rate(
            engine, scorecard, item, _rep_id(engine, scope, rep), parse_period(period), number,
            comment.strip() or None, actor, scope,
        )  # fmt: skip
    except _BAD as exc:
        return _back(back, err=str(exc))
    return _back(back, msg="rated")


@router.post("/people/coaching", dependencies=[Require(P.RATE_REPS)])
def coaching_form(
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    rep: str = Form(...),
    kind: str = Form(...),
    occurred_on: str = Form(...),
    title: str = Form(...),
    owner: str = Form(""),
    notes: str = Form(""),
    due_on: str = Form(""),
    back: str = Form(""),
) -> RedirectResponse:
    try:
        coaching.add_entry(
            engine,
            _rep_id(engine, scope, rep),
            kind,
            dt.date.fromisoformat(occurred_on),
            title,
            actor,
            owner=owner.strip() or None,
            notes=notes.strip() or None,
            due_on=dt.date.fromisoformat(due_on) if due_on else None,
            scope=scope,
        )
    except _BAD as exc:
        return _back(back, err=str(exc))
    return _back(back, msg="coached")


@router.post("/people/proposals", dependencies=[Require(P.PROPOSE_TARGETS)])
def propose_form(
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    period: str = Form(...),
    value: str = Form(...),
    target: str = Form(...),
    channel: str = Form(""),
    comment: str = Form(""),
    back: str = Form(""),
) -> RedirectResponse:
    """``target``: ``rep:NAME`` or ``team:ID``; ``channel``: a sales channel's part (empty:
    the whole target)."""
    try:
        kind, _, ref = target.partition(":")
        rep_id = _rep_id(engine, scope, ref) if kind == "rep" else None
        unit_id = int(ref) if kind == "team" and ref.isdigit() else None
        if rep_id is None and unit_id is None:
            raise st.PeopleError(f"propose for rep:NAME or team:ID, not {target!r}")
        proposals.propose(
            engine, "revenue", parse_period(period), value.replace(",", ""), actor,
            rep_id=rep_id, org_unit_id=unit_id, comment=comment.strip() or None, scope=scope,
            today=today_in_zone(), channel=channel.strip() or None,
        )  # fmt: skip
    except _BAD as exc:
        return _back(back, err=str(exc))
    return _back(back, msg="proposed")


@router.post("/people/proposals/decide", dependencies=[Require(P.EDIT_TARGETS)])
def decide_form(
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    proposal: int = Form(..., ge=1, le=2_147_483_647),
    decision: str = Form(...),
    value: str = Form(""),
    comment: str = Form(""),
    back: str = Form(""),
) -> RedirectResponse:
    try:
        if decision not in ("accept", "adjust", "reject"):
            raise st.PeopleError(f"unknown decision {decision!r}")
        proposals.decide(
            engine, proposal, decision, actor,  # type: ignore[arg-type]
            value=value.replace(",", "") or None, comment=comment, scope=scope,
        )  # fmt: skip
    except _BAD as exc:
        return _back(back, err=str(exc))
    return _back(back, msg="rejected" if decision == "reject" else "decided")
