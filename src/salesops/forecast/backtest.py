"""Rolling-origin backtests: replay history, forecasting as of each past origin from what was
known then, and score against what happened.

Landing backtest
    For every ended period (quarter by default) with at least ``history_months`` of data
    before it, at each origin (the day before the period starts, and optionally the end of
    each of its months but the last), everything is reloaded as of the origin
    (:func:`salesops.forecast.compute.load_known`), the win model is retrained as of it, and
    each method forecasts the period; the actual is the amount won in the period. The deals
    open at the origin whose outcome is known today score the win model against the stage
    probabilities (Brier, reliability).
Series backtest
    For each origin month with at least ``history_months`` before it, every series method
    (and ``auto``, which selects on the history before the origin only) forecasts the next
    ``horizon`` periods.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from salesops.db.schema import Opportunity
from salesops.forecast import accuracy, data
from salesops.forecast.compute import METHODS, landing_as_of, load_known, score_open, train_model
from salesops.forecast.landing import same_point
from salesops.metrics.scope import Scope
from salesops.targets.calendar import Period, PeriodGrain, add_months, period_containing


@dataclass
class LandingRow:
    period: str
    origin: dt.date
    months_in: int
    actual: float
    forecasts: dict[str, tuple[float, float, float]]  # method -> (expected, low, high)


@dataclass
class BacktestResult:
    """Rows per (period, origin) and the accuracy table per method."""

    rows: list[LandingRow] = field(default_factory=list)
    probabilities: list[tuple[float, float, int]] = field(default_factory=list)  # model, stage, won
    train_seconds: list[float] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)

    def table(self) -> list[dict[str, Any]]:
        """Per method: WAPE, bias, interval coverage and how many forecasts."""
        out = []
        actual = [r.actual for r in self.rows]
        for method in METHODS:
            fc = [r.forecasts[method][0] for r in self.rows]
            lo = [r.forecasts[method][1] for r in self.rows]
            hi = [r.forecasts[method][2] for r in self.rows]
            ranged = method == "landing"
            out.append(
                {
                    "method": method,
                    "n": len(fc),
                    "wape": accuracy.wape(fc, actual) if fc else None,
                    "bias": accuracy.bias(fc, actual) if fc else None,
                    "coverage": accuracy.coverage(lo, hi, actual) if ranged and fc else None,
                }
            )
        return out

    def brier(self) -> dict[str, Any]:
        """Brier score of the win model and of the stage probabilities, and both
        reliability curves, over the deals open at the origins."""
        model = [p for p, _, _ in self.probabilities]
        stage = [s for _, s, _ in self.probabilities]
        won = [w for _, _, w in self.probabilities]
        return {
            "deals": len(won),
            "win_model": accuracy.brier(model, won),
            "stage_probability": accuracy.brier(stage, won),
            "reliability_model": accuracy.reliability(model, won),
            "reliability_stage": accuracy.reliability(stage, won),
        }


def data_start(conn: Connection) -> dt.date | None:
    """The first close date of a deal (when the pipeline's history starts to count)."""
    return conn.execute(select(func.min(Opportunity.closed_on))).scalar()


def ended_periods(
    first_day: dt.date, today: dt.date, grain: PeriodGrain, history_months: int
) -> list[Period]:
    """Periods of ``grain`` that ended before ``today`` and start at least
    ``history_months`` after ``first_day``'s month."""
    earliest = add_months(first_day.replace(day=1), history_months)
    period = period_containing(earliest, grain)
    if period.start < earliest:
        period = Period(
            add_months(period.start, {"month": 1, "quarter": 3, "year": 12}[grain]), grain
        )
    out = []
    while period.end < today:
        out.append(period)
        period = Period(
            add_months(period.start, {"month": 1, "quarter": 3, "year": 12}[grain]), grain
        )
    return out


def outcomes(conn: Connection, ids: Sequence[int]) -> dict[int, int]:
    """Today's outcome of each closed deal: 1 won, 0 lost (open deals are left out)."""
    o = Opportunity
    out: dict[int, int] = {}
    chunk = 5000
    for i in range(0, len(ids), chunk):
        part = [int(v) for v in ids[i : i + chunk]]
        for ident, status in conn.execute(
            select(o.id, o.status).where(o.id.in_(part), o.status.in_(("won", "lost")))
        ):
            out[int(ident)] = 1 if status == "won" else 0
    return out


def landing_backtest(
    conn: Connection,
    scope: Scope,
    *,
    today: dt.date,
    grain: PeriodGrain = "quarter",
    history_months: int = 12,
    months_in: Sequence[int] = (0,),
    progress: Callable[[str], None] | None = None,
) -> BacktestResult:
    """The landing backtest (see the module docstring)."""
    result = BacktestResult()
    first = data_start(conn)
    if first is None:
        return result
    for period in ended_periods(first, today, grain, history_months):
        actual = data.won_between(conn, period.start, period.end, scope)
        for k in months_in:
            origin = same_point(period, k)
            if origin >= period.end:
                continue
            started = time.perf_counter()
            known = load_known(conn, origin, scope)
            model = train_model(conn, known)
            scored = score_open(known, model)
            result.train_seconds.append(time.perf_counter() - started)
            if model.fallback_reason:
                result.fallbacks.append(f"{origin}: {model.fallback_reason}")
            forecasts = {}
            for method in METHODS:
                land, _ = landing_as_of(
                    conn, period, known, method=method, model=model, scored=scored
                )
                forecasts[method] = (land.expected, land.low, land.high)
            result.rows.append(LandingRow(period.label(), origin, k, actual, forecasts))
            if k == months_in[0]:
                known_outcome = outcomes(conn, list(scored["id"]))
                for ident, p, s in zip(
                    scored["id"], scored["p_win"], scored["p_stage"], strict=False
                ):
                    won = known_outcome.get(int(ident))
                    if won is not None:
                        result.probabilities.append((float(p), float(s), won))
            if progress:
                progress(
                    f"{period.label()} as of {origin}: actual {actual:,.0f}; "
                    + ", ".join(f"{m} {v[0]:,.0f}" for m, v in forecasts.items())
                )
    return result


@dataclass
class SeriesBacktest:
    """Per series method: forecasts and actuals over every origin and horizon step."""

    horizon: int
    errors: dict[str, list[tuple[float, float, float, float]]] = field(default_factory=dict)
    chosen: list[str] = field(default_factory=list)

    def table(self) -> list[dict[str, Any]]:
        out = []
        for method, rows in self.errors.items():
            fc = [r[0] for r in rows]
            lo = [r[1] for r in rows]
            hi = [r[2] for r in rows]
            ac = [r[3] for r in rows]
            out.append(
                {
                    "method": method,
                    "n": len(rows),
                    "wape": accuracy.wape(fc, ac),
                    "bias": accuracy.bias(fc, ac),
                    "coverage": accuracy.coverage(lo, hi, ac),
                }
            )
        return out


def series_backtest(
    values: Sequence[float],
    *,
    grain: str = "month",
    horizon: int = 3,
    history: int = 12,
    methods: Sequence[str] = ("auto", "seasonal_naive", "ets", "arima", "theta"),
    step: int = 1,
) -> SeriesBacktest:
    """Rolling-origin backtest of one series (``values``: complete periods, oldest first):
    an origin every ``step`` periods from period ``history`` on, each forecasting ``horizon``
    periods from the values before it only."""
    from salesops.forecast.series import forecast

    out = SeriesBacktest(horizon)
    for origin in range(history, len(values) - horizon + 1, step):
        past = list(values[:origin])
        future = values[origin : origin + horizon]
        for method in methods:
            fc = forecast(past, horizon, grain, method)
            if method == "auto":
                out.chosen.append(fc.method)
            rows = out.errors.setdefault(method, [])
            rows.extend(zip(fc.mean, fc.low, fc.high, (float(v) for v in future), strict=False))
    return out
