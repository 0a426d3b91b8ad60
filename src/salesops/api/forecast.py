"""``/api/v1/forecast``: landing forecast, time series with intervals, accuracy of stored
forecasts, and forecast calls (submit; managers adjust). Everything is within the caller's data
scope; money is a plain number, probabilities fractions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from salesops.api.deps import ActorDep, EngineDep, PrincipalDep, Require, ScopeDep
from salesops.api.errors import responses
from salesops.auth.roles import Permission as P
from salesops.targets.calendar import Period, PeriodError, parse_period, period_containing

router = APIRouter(prefix="/forecast", tags=["forecast"])

SeriesMethod = Literal["auto", "seasonal_naive", "ets", "arima", "theta"]


def _today() -> dt.date:
    from salesops.analysis.common import resolve_as_of

    return resolve_as_of(None)


def _period(text: str | None, as_of: dt.date) -> Period:
    if not text:
        return period_containing(as_of, "quarter")
    try:
        return parse_period(text)
    except PeriodError as exc:
        raise HTTPException(400, str(exc)) from None


class LandingOut(BaseModel):
    """A landing forecast (see docs/forecast.md): the model's, both baselines, top deals."""

    landing: dict[str, Any] = Field(
        description="expected, low, high, closed_to_date, "
        "pipeline_expected, new_expected, target, gap, categories"
    )
    baselines: dict[str, float] = Field(description="expected value by method")
    deals: list[dict[str, Any]] = Field(description="the open deals that move the forecast most")
    model: dict[str, Any]
    open_deals: int
    seconds: float


@router.get(
    "/landing",
    summary="Where the period will land, against its target",
    dependencies=[Require(P.VIEW_BOARD)],
    responses=responses(400),
)
def landing(
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    period: Annotated[str | None, Query(description="2026-Q4, 2026-11 or 2026")] = None,
    as_of: Annotated[
        dt.date | None, Query(description="forecast as of this day (default today)")
    ] = None,
) -> LandingOut:
    """Closed to date + the open pipeline expected to close in the period + expected new
    business, with an 80 % range; forecast categories; the baselines."""
    from salesops.forecast.service import landing_view

    day = as_of or _today()
    view = landing_view(engine, scope, _period(period, day), day, actor=actor)
    assert view is not None
    return LandingOut(**view.to_dict())


class SeriesOut(BaseModel):
    metric: str
    grain: str
    where: dict[str, str]
    periods: list[str]
    actual: list[float]
    forecast_periods: list[str]
    mean: list[float]
    low: list[float] = Field(description="80 % interval, lower bound")
    high: list[float] = Field(description="80 % interval, upper bound")
    method: str
    chosen_by: dict[str, float | None] = Field(description="backtest WAPE of each method")
    targets: dict[str, float]


@router.get(
    "/series",
    summary="Monthly or weekly forecast of an additive KPI with an interval",
    dependencies=[Require(P.VIEW_BOARD)],
    responses=responses(400),
)
def series(
    engine: EngineDep,
    scope: ScopeDep,
    actor: ActorDep,
    metric: str = "bookings",
    region: str | None = None,
    product_line: str | None = None,
    team: str | None = None,
    horizon: Annotated[
        int, Query(ge=1, le=104, description="periods ahead: 1-24 months or 1-104 weeks")
    ] = 3,
    method: SeriesMethod = "auto",
    grain: Annotated[
        Literal["month", "week"], Query(description="month, or week (ISO weeks)")
    ] = "month",
    as_of: dt.date | None = None,
) -> SeriesOut:
    """History and forecast of ``metric`` (bookings, revenue, orders, new customers ...) for
    the scope, or one region / product line / team of it."""
    from salesops.forecast.service import series_view
    from salesops.metrics.catalog import UnknownMetric

    where = {"region": region or "", "product_line": product_line or "", "team": team or ""}
    try:
        view = series_view(
            engine,
            scope,
            metric,
            as_of or _today(),
            where=where,
            horizon=horizon,
            method=method,
            grain=grain,
            actor=actor,
        )
    except (UnknownMetric, ValueError) as exc:
        raise HTTPException(400, str(exc).strip('"')) from None
    assert view is not None  # computed in this thread: never pending
    return SeriesOut(**view.to_dict())


@router.get(
    "/accuracy",
    summary="How good stored forecasts were once their periods ended",
    dependencies=[Require(P.VIEW_BOARD)],
)
def accuracy(engine: EngineDep, scope: ScopeDep) -> dict[str, Any]:
    """Per kind and method: WAPE, bias, 80 % interval coverage, count; landing history per
    period; the latest win-model Brier score against the stage probabilities."""
    from salesops.forecast.service import accuracy_view

    return accuracy_view(engine, scope)


class CallIn(BaseModel):
    period: str | None = Field(default=None, description="2026-Q4 (default: this quarter)")
    commit: Decimal = Field(ge=0, lt=Decimal("1e15"))
    best_case: Decimal = Field(ge=0, lt=Decimal("1e15"))
    note: str | None = Field(default=None, max_length=2000)


class AdjustIn(CallIn):
    rep: str | None = Field(default=None, description="a rep's id or name (else the team)")
    team: str | None = Field(default=None, description="an org unit's id or name (else your scope)")


class CallsOut(BaseModel):
    period: str
    commit: float = Field(description="sum of the latest call of each rep")
    best_case: float
    reps: list[dict[str, Any]]
    adjusted: dict[str, dict[str, Any]]
    rows: list[dict[str, Any]]


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in row.items():
        if isinstance(v, Decimal):
            v = float(v)
        elif isinstance(v, dt.date | dt.datetime):
            v = v.isoformat()
        out[k] = v
    return out


@router.get(
    "/calls",
    summary="Forecast calls of a period, rolled up",
    dependencies=[Require(P.VIEW_BOARD)],
    responses=responses(400),
)
def calls(engine: EngineDep, scope: ScopeDep, period: str | None = None) -> CallsOut:
    """Each visible rep's latest call (an adjustment replaces it), their sum, and the latest
    adjustment of each team / the company; every row with its time stamp."""
    from salesops.forecast.service import calls_view

    the_period = _period(period, _today())
    view = calls_view(engine, scope, the_period)
    reps = [
        {
            "rep_id": e["rep_id"],
            "name": e["name"],
            **{k: _plain(v) for k, v in e.items() if k in ("submitted", "adjusted", "latest")},
        }
        for e in view["reps"]
    ]
    return CallsOut(
        period=the_period.label(),
        commit=float(view["commit"]),
        best_case=float(view["best_case"]),
        reps=reps,
        adjusted={k: _plain(v) for k, v in view["adjusted"].items()},
        rows=[_plain(r) for r in view["rows"]],
    )


def _write(
    engine: Any,
    scope: Any,
    principal: Any,
    body: CallIn,
    kind: str,
    rep: str | None,
    team: str | None,
) -> dict[str, Any]:
    from salesops.forecast.store import (
        CallTarget,
        ForecastError,
        NotInScope,
        resolve_target,
        submit_call,
    )

    the_period = _period(body.period, _today())
    try:
        with engine.begin() as conn:
            if kind == "submitted":
                rep_id = principal.user.rep_id if principal.user else None
                if rep_id is None:
                    raise ForecastError("your account is not linked to a sales rep")
                target = CallTarget(rep_id=rep_id)
            else:
                target = resolve_target(conn, scope, rep, team)
            ident = submit_call(
                conn,
                period=the_period,
                target=target,
                kind=kind,
                commit=body.commit,
                best_case=body.best_case,
                note=body.note,
                actor=principal.actor,
            )
    except NotInScope as exc:
        raise HTTPException(404, str(exc)) from None
    except ForecastError as exc:
        raise HTTPException(400, str(exc)) from None
    return {"id": ident, "period": the_period.label(), "kind": kind}


@router.post(
    "/calls",
    summary="Submit your forecast call (commit and best case)",
    dependencies=[Require(P.SUBMIT_FORECAST)],
    status_code=201,
    responses=responses(400, 422),
)
def submit(
    engine: EngineDep, scope: ScopeDep, principal: PrincipalDep, body: CallIn
) -> dict[str, Any]:
    """The signed-in rep's own call for the period (audited)."""
    return _write(engine, scope, principal, body, "submitted", None, None)


@router.post(
    "/calls/adjust",
    summary="Adjust a rep's call or your team's roll-up",
    dependencies=[Require(P.ADJUST_FORECAST)],
    status_code=201,
    responses=responses(400, 404, 422),
)
def adjust(
    engine: EngineDep, scope: ScopeDep, principal: PrincipalDep, body: AdjustIn
) -> dict[str, Any]:
    """A manager's adjustment of a rep in their scope, a team in it, or their own roll-up
    (audited)."""
    return _write(engine, scope, principal, body, "adjusted", body.rep, body.team)
