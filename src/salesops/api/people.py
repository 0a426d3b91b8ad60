"""``/api/v1/people``: incentive plans, commission statements (what-if, XLSX, closing),
deal splits, scorecards and ratings, the coaching log, target proposals and good news.

Reps are given by id; periods as ``2026-Q1`` / ``2026-03`` / ``2026``. Commission statements
need VIEW_COMMISSION and the rep in the caller's data scope: the rep themselves, their
managers and finance. Every write is audited by the service it calls. Money and scores are
plain JSON numbers.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Body, HTTPException, Query, Response
from pydantic import BaseModel, Field

from salesops.api.deps import ActorDep, EngineDep, Require, ScopeDep
from salesops.api.errors import responses
from salesops.auth.audit import record_now
from salesops.auth.roles import Permission as P
from salesops.config import local_today
from salesops.people import coaching, proposals, recognition, scorecards
from salesops.people import statements as st
from salesops.people.export import plain as _plain
from salesops.people.export import scorecard_xlsx, statement_xlsx, summary_xlsx
from salesops.people.plans import PlanError, load_yaml, parse_rules
from salesops.targets.calendar import Period, PeriodError, parse_period

router = APIRouter(prefix="/people", tags=["people"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RepQ = Annotated[int, Query(ge=1, le=2_147_483_647, description="the rep's id")]
PeriodQ = Annotated[str, Query(description="2026-Q1 / 2026-03 / 2026", max_length=20)]


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except PeriodError as exc:
        raise HTTPException(422, str(exc)) from None


def _bad(exc: Exception) -> HTTPException:
    if isinstance(exc, st.NotVisible):
        return HTTPException(404, str(exc))
    return HTTPException(422, str(exc))


_ERRORS = (st.PeopleError, PlanError, ValueError)


# ------------------------------------------------------------------------------------ plans


@router.get("/plans", dependencies=[Require(P.VIEW_COMMISSION)], summary="Incentive plans")
def plans_route(engine: EngineDep) -> list[dict[str, Any]]:
    """Every plan's rules (as loaded; see docs/people.md)."""
    try:
        return [
            {"id": p.id, "active": p.active, **_plain(p.rules.model_dump(mode="json"))}
            for p in st.list_plans(engine)
        ]
    except _ERRORS as exc:
        raise _bad(exc) from None


@router.put(
    "/plans",
    dependencies=[Require(P.MANAGE_INCENTIVES)],
    summary="Create or replace plans (rules as JSON, or {yaml: text})",
    responses=responses(422),
)
def save_plans_route(
    engine: EngineDep, actor: ActorDep, body: Annotated[dict[str, Any], Body()]
) -> list[str]:
    """Plans are matched by ``code``; the answer lists the codes saved."""
    try:
        rules = (
            load_yaml(str(body["yaml"]), where="yaml")
            if "yaml" in body
            else [parse_rules(body, where="body")]
        )
        for r in rules:
            st.save_plan(engine, r, actor)
    except _ERRORS as exc:
        raise _bad(exc) from None
    return [r.code for r in rules]


# ------------------------------------------------------------------------------- statements


RepOptional = Annotated[
    int | None, Query(ge=1, le=2_147_483_647, description="the rep's id (none: every rep)")
]


def _summary_row(view: st.StatementView) -> dict[str, Any]:
    data = view.to_dict()
    data.pop("lines")
    return _plain(data)


def _view(
    engine: Any, scope: Any, rep: int, plan: str | None, period: str | None, what_if: list[int]
) -> st.StatementView:
    if plan is None:
        found = st.plans_for_rep(engine, rep)
        if not found:
            raise st.NotVisible("no incentive plan applies to this rep")
        plan = found[0].rules.code
    the_plan = st.get_plan(engine, plan)
    if period is None:
        from salesops.targets.calendar import period_containing

        day = local_today()
        chosen = period_containing(day, the_plan.rules.period)
    else:
        chosen = _period(period)
    return st.statement(engine, plan, rep, chosen, scope, what_if=what_if)


@router.get(
    "/statements",
    dependencies=[Require(P.VIEW_COMMISSION)],
    summary="A rep's commission statement (with what-if deals)",
    responses=responses(404, 422),
)
def statement_route(
    engine: EngineDep,
    scope: ScopeDep,
    rep: RepOptional = None,
    plan: Annotated[str | None, Query(max_length=100)] = None,
    period: Annotated[str | None, Query(max_length=20)] = None,
    what_if: Annotated[list[int], Query(description="open deal ids counted as won")] = [],  # noqa: B006
) -> dict[str, Any]:
    """Every line says what it is paid on (order line, deal, payment or KPI), the tier and the
    rate; ``total`` is the sum of the lines. Without ``rep``: every statement in the caller's
    scope for the period (no lines), ``{"statements": [...]}``."""
    try:
        if rep is None:
            views = st.summary(engine, scope, _period(period) if period else None, local_today())
            return {"statements": [_summary_row(v) for v in views]}
        view = _view(engine, scope, rep, plan, period, [i for i in what_if if 0 < i < 2**31])
    except _ERRORS as exc:
        raise _bad(exc) from None
    return _plain(view.to_dict())


@router.get(
    "/statements.xlsx",
    dependencies=[Require(P.VIEW_COMMISSION)],
    summary="A rep's commission statement as XLSX (audited)",
    responses=responses(404, 422),
    response_class=Response,
)
def statement_xlsx_route(
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    rep: RepOptional = None,
    plan: Annotated[str | None, Query(max_length=100)] = None,
    period: Annotated[str | None, Query(max_length=20)] = None,
    lang: Annotated[Literal["zh_CN", "en"], Query()] = "zh_CN",
) -> Response:
    """One rep's statement, line by line; without ``rep``: one row per rep in scope."""
    from salesops.web.i18n import translate

    if rep is None:
        try:
            views = st.summary(engine, scope, _period(period) if period else None, local_today())
        except _ERRORS as exc:
            raise _bad(exc) from None
        name = "commission-statements.xlsx"
        record_now(engine, actor, "commission.export", name, {"reps": len(views)})
        return Response(
            summary_xlsx(views, lambda text: translate(lang, text)),
            media_type=XLSX,
            headers={"Content-Disposition": _attachment(name)},
        )
    try:
        view = _view(engine, scope, rep, plan, period, [])
    except _ERRORS as exc:
        raise _bad(exc) from None
    name = f"commission-{view.rep}-{view.period.label()}.xlsx"
    record_now(
        engine, actor, "commission.export", name, {"rep": rep, "lines": len(view.statement.lines)}
    )
    return Response(
        statement_xlsx(view, lambda text: translate(lang, text)),
        media_type=XLSX,
        headers={"Content-Disposition": _attachment(name)},
    )


def _attachment(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode()
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


class CloseIn(BaseModel):
    rep: int = Field(ge=1, le=2_147_483_647)
    plan: str = Field(max_length=100)
    period: str = Field(max_length=20)


@router.post(
    "/statements/close",
    dependencies=[Require(P.MANAGE_INCENTIVES)],
    summary="Close (pay) a statement: its lines are kept as paid",
    responses=responses(404, 422),
)
def close_route(
    engine: EngineDep, scope: ScopeDep, actor: ActorDep, body: CloseIn
) -> dict[str, Any]:
    try:
        view = st.close_statement(engine, body.plan, body.rep, _period(body.period), actor, scope)
    except _ERRORS as exc:
        raise _bad(exc) from None
    return _plain(view.to_dict())


class SplitIn(BaseModel):
    opportunity_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    order_no: str | None = Field(default=None, max_length=100)
    shares: dict[int, Decimal] = Field(description="rep id: share (shares add up to 1)")


@router.put(
    "/splits",
    dependencies=[Require(P.MANAGE_INCENTIVES)],
    summary="Split a deal or an order between reps",
    responses=responses(422),
)
def split_route(engine: EngineDep, actor: ActorDep, body: SplitIn) -> dict[str, str]:
    try:
        st.set_split(
            engine,
            body.shares,
            actor,
            opportunity_id=body.opportunity_id,
            order_no=body.order_no,
        )
    except _ERRORS as exc:
        raise _bad(exc) from None
    return {"status": "ok"}


# ------------------------------------------------------------------------------- scorecards


@router.get(
    "/scorecards",
    dependencies=[Require(P.VIEW_BOARD)],
    summary="Scores of the reps in scope for a period (a rep: their own)",
    responses=responses(404, 422),
)
def scores_route(
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    period: Annotated[
        str | None, Query(max_length=20, description="default: the current one")
    ] = None,
    code: Annotated[str | None, Query(max_length=100)] = None,
    lang: Annotated[Literal["zh_CN", "en"], Query()] = "en",
    format: Annotated[Literal["json", "xlsx"], Query()] = "json",
) -> Any:
    """Without a scorecard defined: ``{"scorecard": null, "reps": [], "teams": []}``."""
    from salesops.targets.calendar import period_containing

    try:
        card = scorecards.load_scorecard(engine, code)
    except st.NotVisible:
        if code:
            raise HTTPException(404, f"no scorecard {code!r}") from None
        return {"scorecard": None, "name": None, "period": None, "reps": [], "teams": []}
    try:
        chosen = (
            _period(period) if period else period_containing(local_today(), card.period)  # type: ignore[arg-type]
        )
        scores = scorecards.compute(engine, chosen, scope, code=card.code, locale=lang)
    except _ERRORS as exc:
        raise _bad(exc) from None
    if format == "xlsx":
        from salesops.web.i18n import translate

        name = f"scorecard-{scores.card.code}-{scores.period.label()}.xlsx"
        record_now(engine, actor, "scorecard.export", name, {"reps": len(scores.reps)})
        return Response(
            scorecard_xlsx(scores, lambda text: translate(lang, text)),
            media_type=XLSX,
            headers={"Content-Disposition": _attachment(name)},
        )
    return _plain(
        {
            "scorecard": scores.card.code,
            "name": scores.card.name,
            "period": scores.period.label(),
            "reps": [r.to_dict() for r in scores.reps],
            "teams": [t.__dict__ for t in scores.teams],
        }
    )


@router.put(
    "/scorecards",
    dependencies=[Require(P.MANAGE_SCORECARDS)],
    summary="Create or update a scorecard (definition as JSON, or {yaml: text})",
    responses=responses(422),
)
def save_scorecard_route(
    engine: EngineDep, actor: ActorDep, body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(str(body["yaml"])) if "yaml" in body else body
        card = scorecards.parse_scorecard(data, where="body")
        card_id = scorecards.save_scorecard(engine, card, actor)
    except yaml.YAMLError as exc:
        raise HTTPException(422, f"not valid YAML ({exc})") from None
    except _ERRORS as exc:
        raise _bad(exc) from None
    return {"id": card_id, "code": card.code}


class RatingIn(BaseModel):
    scorecard: str = Field(max_length=100)
    item: str = Field(max_length=60)
    rep: int = Field(ge=1, le=2_147_483_647)
    period: str = Field(max_length=20)
    score: Decimal = Field(ge=0, le=100)
    comment: str | None = Field(default=None, max_length=2000)


@router.post(
    "/ratings",
    dependencies=[Require(P.RATE_REPS)],
    summary="Rate a rep on a rated item (attitude, teamwork, peer review)",
    responses=responses(404, 422),
)
def rate_route(
    engine: EngineDep, scope: ScopeDep, actor: ActorDep, body: RatingIn
) -> dict[str, str]:
    try:
        scorecards.rate(
            engine,
            body.scorecard,
            body.item,
            body.rep,
            _period(body.period),
            body.score,
            body.comment,
            actor,
            scope,
        )
    except _ERRORS as exc:
        raise _bad(exc) from None
    return {"status": "ok"}


# --------------------------------------------------------------------------------- coaching


@router.get(
    "/coaching",
    dependencies=[Require(P.VIEW_BOARD)],
    summary="Coaching log of the reps in scope",
)
def coaching_route(
    engine: EngineDep,
    scope: ScopeDep,
    rep: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> list[dict[str, Any]]:
    found = coaching.entries(engine, scope, rep_ids=[rep] if rep else None)
    return [e.to_dict() for e in found]


class CoachingIn(BaseModel):
    rep: int = Field(ge=1, le=2_147_483_647)
    kind: Literal["one_to_one", "training", "skill", "action"]
    occurred_on: dt.date
    title: str = Field(min_length=1, max_length=300)
    owner: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=5000)
    due_on: dt.date | None = None


@router.post(
    "/coaching",
    dependencies=[Require(P.RATE_REPS)],
    status_code=201,
    summary="Add a coaching entry",
    responses=responses(404, 422),
)
def add_coaching_route(
    engine: EngineDep, scope: ScopeDep, actor: ActorDep, body: CoachingIn
) -> dict[str, int]:
    try:
        entry_id = coaching.add_entry(
            engine,
            body.rep,
            body.kind,
            body.occurred_on,
            body.title,
            actor,
            owner=body.owner,
            notes=body.notes,
            due_on=body.due_on,
            scope=scope,
        )
    except _ERRORS as exc:
        raise _bad(exc) from None
    return {"id": entry_id}


# -------------------------------------------------------------------------------- proposals


@router.get(
    "/proposals",
    dependencies=[Require(P.VIEW_BOARD)],
    summary="Target proposals in scope",
)
def proposals_route(
    engine: EngineDep,
    scope: ScopeDep,
    status: Annotated[Literal["open", "accepted", "adjusted", "rejected"] | None, Query()] = None,
) -> list[dict[str, Any]]:
    return [_plain(p.to_dict()) for p in proposals.list_proposals(engine, scope, status=status)]


class ProposalIn(BaseModel):
    metric: str = Field(default="revenue", max_length=60)
    period: str = Field(max_length=20)
    value: Decimal
    rep: int | None = Field(default=None, ge=1, le=2_147_483_647)
    org_unit: int | None = Field(default=None, ge=1, le=2_147_483_647)
    channel: str | None = Field(
        default=None, max_length=100, description="a sales channel's part of the target"
    )
    comment: str | None = Field(default=None, max_length=2000)


@router.post(
    "/proposals",
    dependencies=[Require(P.PROPOSE_TARGETS)],
    status_code=201,
    summary="Propose a target for a rep (yourself) or your team",
    responses=responses(404, 422),
)
def propose_route(
    engine: EngineDep, scope: ScopeDep, actor: ActorDep, body: ProposalIn
) -> dict[str, int]:
    try:
        proposal_id = proposals.propose(
            engine,
            body.metric,
            _period(body.period),
            body.value,
            actor,
            rep_id=body.rep,
            org_unit_id=body.org_unit,
            comment=body.comment,
            scope=scope,
            today=local_today(),
            channel=body.channel,
        )
    except _ERRORS as exc:
        raise _bad(exc) from None
    return {"id": proposal_id}


class DecisionIn(BaseModel):
    proposal: int = Field(ge=1, le=2_147_483_647)
    decision: Literal["accept", "adjust", "reject"]
    value: Decimal | None = None
    comment: str | None = Field(default=None, max_length=2000)


@router.post(
    "/proposals/decide",
    dependencies=[Require(P.EDIT_TARGETS)],
    summary="Accept, adjust (with a comment) or reject a target proposal",
    responses=responses(404, 422),
)
def decide_route(
    engine: EngineDep, scope: ScopeDep, actor: ActorDep, body: DecisionIn
) -> dict[str, Any]:
    try:
        done = proposals.decide(
            engine,
            body.proposal,
            body.decision,
            actor,
            value=body.value,
            comment=body.comment,
            scope=scope,
        )
    except _ERRORS as exc:
        raise _bad(exc) from None
    return _plain(done.to_dict())


# ------------------------------------------------------------------------------ recognition


@router.get(
    "/good-news",
    dependencies=[Require(P.VIEW_BOARD, P.VIEW_WALL)],
    summary="喜报: big wins, targets reached, records (names only in scope)",
)
def good_news_route(
    engine: EngineDep, scope: ScopeDep, asof: dt.date | None = None
) -> list[dict[str, Any]]:
    return [
        _plain(n.to_dict()) for n in recognition.good_news(engine, scope, asof or local_today())
    ]


@router.get(
    "/honour-roll",
    dependencies=[Require(P.VIEW_BOARD)],
    summary="光荣榜: the best scorecard scores of a period (names only in scope)",
    responses=responses(422),
)
def honour_route(engine: EngineDep, scope: ScopeDep, period: PeriodQ) -> list[dict[str, Any]]:
    return [_plain(h.__dict__) for h in recognition.honour_roll(engine, _period(period), scope)]
