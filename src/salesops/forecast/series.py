"""Time-series forecasts with prediction intervals for additive KPIs (revenue, bookings,
orders, new customers ...), by month or week, per region / product line / team.

Methods (statsmodels): ``seasonal_naive`` (the value one season earlier), ``ets`` (additive
error and damped trend, additive season once two seasons are known; no season on weekly
series), ``arima`` (a seasonal
difference with an AR(1) on the first difference once two seasons are known, else
ARIMA(1,1,1)) and ``theta`` (the Theta method, deseasonalised once two seasons are known).
``auto`` picks, per series, the method with the lowest WAPE over the last
:data:`SELECT_ORIGINS` rolling origins of its own history (no look-ahead: only the history
before the forecast's origin is used). Intervals are 80 % unless asked otherwise.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

METHODS = ("seasonal_naive", "ets", "arima", "theta")
SELECT_ORIGINS = 3
SEASON = {"month": 12, "week": 52}
#: ETS fits a season of at most this many periods (monthly: yes; weekly: no)
ETS_MAX_SEASON = 24
#: Periods of history a series forecast reads by default
HISTORY = {"month": 36, "week": 156}


@dataclass
class SeriesForecast:
    """A forecast of ``horizon`` periods after the history, with its interval."""

    method: str
    mean: list[float]
    low: list[float]
    high: list[float]
    chosen_by: dict[str, float | None] = field(default_factory=dict)


def _z(level: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + level / 2)


def seasonal_naive(y: Sequence[float], h: int, m: int, level: float = 0.8) -> SeriesForecast:
    """The value ``m`` periods earlier (the last value when the history is shorter than a
    season); interval from the spread of the seasonal differences."""
    n = len(y)
    if n == 0:
        return SeriesForecast("seasonal_naive", [0.0] * h, [0.0] * h, [0.0] * h)
    season = m if n >= m else 1
    mean = [float(y[n - season + (i % season)]) for i in range(h)]
    diffs = [float(y[i]) - float(y[i - season]) for i in range(season, n)]
    sd = math.sqrt(sum(d * d for d in diffs) / len(diffs)) if diffs else 0.0
    z = _z(level)
    low, high = [], []
    for i, v in enumerate(mean):
        width = z * sd * math.sqrt(i // season + 1)
        low.append(v - width)
        high.append(v + width)
    return SeriesForecast("seasonal_naive", mean, low, high)


def _fit(method: str, y: Sequence[float], h: int, m: int, level: float) -> SeriesForecast:
    import numpy as np

    if method == "seasonal_naive":
        return seasonal_naive(y, h, m, level)
    arr = np.asarray(y, dtype=float)
    seasonal = len(arr) >= 2 * m
    alpha = 1 - level
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "ets":
            import pandas as pd
            from statsmodels.tsa.exponential_smoothing.ets import ETSModel

            # A weekly season has 52 states to estimate: slow and badly fitted on two or three
            # years, so ETS models weekly series without one (ARIMA and Theta keep it).
            with_season = seasonal and m <= ETS_MAX_SEASON
            model = ETSModel(
                pd.Series(arr),
                error="add",
                trend="add",
                damped_trend=True,
                seasonal="add" if with_season else None,
                seasonal_periods=m if with_season else None,
            )
            fit = model.fit(disp=False, maxiter=200)
            pred = fit.get_prediction(start=len(arr), end=len(arr) + h - 1)
            frame = pred.summary_frame(alpha=alpha)
            mean = frame["mean"].to_numpy()
            low = frame["pi_lower"].to_numpy()
            high = frame["pi_upper"].to_numpy()
        elif method == "arima":
            from statsmodels.tsa.statespace.sarimax import SARIMAX

            if seasonal:
                model = SARIMAX(arr, order=(1, 0, 0), seasonal_order=(0, 1, 0, m), trend="c")
            else:
                model = SARIMAX(arr, order=(1, 1, 1))
            fit = model.fit(disp=False)
            fc = fit.get_forecast(h)
            mean = np.asarray(fc.predicted_mean)
            ci = np.asarray(fc.conf_int(alpha=alpha))
            low, high = ci[:, 0], ci[:, 1]
        elif method == "theta":
            from statsmodels.tsa.forecasting.theta import ThetaModel

            model = ThetaModel(arr, period=m if seasonal else 1, deseasonalize=seasonal)
            fit = model.fit()
            mean = np.asarray(fit.forecast(h))
            pi = np.asarray(fit.prediction_intervals(h, alpha=alpha))
            low, high = pi[:, 0], pi[:, 1]
        else:
            raise ValueError(f"unknown series method {method!r}; one of: {', '.join(METHODS)}")
    out = SeriesForecast(
        method, [float(v) for v in mean], [float(v) for v in low], [float(v) for v in high]
    )
    if not all(math.isfinite(v) for v in (*out.mean, *out.low, *out.high)):
        raise ArithmeticError(f"{method} gave no finite forecast")
    return out


def forecast(
    y: Sequence[float], h: int, grain: str = "month", method: str = "auto", level: float = 0.8
) -> SeriesForecast:
    """Forecast ``h`` periods after ``y`` by ``method`` (``auto``: chosen by backtest on
    ``y`` itself). A method that fails to fit falls back to seasonal naive."""
    out = _forecast(y, h, grain, method, level)
    if y and min(y) >= 0:  # a KPI that never went below zero (amounts, counts) will not now
        out.low = [max(v, 0.0) for v in out.low]
        out.mean = [max(v, 0.0) for v in out.mean]
    return out


def _forecast(y: Sequence[float], h: int, grain: str, method: str, level: float) -> SeriesForecast:
    m = SEASON.get(grain, 12)
    if method == "auto":
        scores = select(y, h, m)
        ranked = sorted((s, name) for name, s in scores.items() if s is not None)
        best = ranked[0][1] if ranked else "seasonal_naive"
        out = _safe(best, y, h, m, level)
        out.chosen_by = scores
        return out
    if method not in METHODS:
        raise ValueError(f"unknown series method {method!r}; one of: auto, {', '.join(METHODS)}")
    return _safe(method, y, h, m, level)


def _safe(method: str, y: Sequence[float], h: int, m: int, level: float) -> SeriesForecast:
    """:func:`_fit`, kept per (method, history, horizon): a backtest and the selection inside
    ``auto`` ask for the same fits again and again. A failed fit gives seasonal naive."""
    found = _cached(method, tuple(float(v) for v in y), h, m, level)
    return SeriesForecast(
        found.method, list(found.mean), list(found.low), list(found.high), dict(found.chosen_by)
    )


@lru_cache(maxsize=4096)
def _cached(method: str, y: tuple[float, ...], h: int, m: int, level: float) -> SeriesForecast:
    from threadpoolctl import threadpool_limits

    try:
        with threadpool_limits(limits=1):
            return _fit(method, y, h, m, level)
    # Any failure of a model on a degenerate series (statsmodels raises several kinds) falls
    # back to seasonal naive: a forecast page must not fail because one model could not fit.
    except Exception:
        fallback = seasonal_naive(y, h, m, level)
        fallback.chosen_by = {"failed": None}
        return fallback


def select(y: Sequence[float], h: int, m: int) -> dict[str, float | None]:
    """WAPE of each method over the last :data:`SELECT_ORIGINS` origins inside ``y`` (each
    forecasting ``h`` periods from the history before it); None when ``y`` is too short."""
    from salesops.forecast.accuracy import wape

    n = len(y)
    origins = [n - h - k for k in range(SELECT_ORIGINS)]
    origins = [o for o in origins if o >= max(m, 6)]
    scores: dict[str, float | None] = {}
    for method in METHODS:
        if not origins:
            scores[method] = None
            continue
        fc: list[float] = []
        actual: list[float] = []
        for o in origins:
            part = _safe(method, y[:o], h, m, 0.8)
            fc.extend(part.mean)
            actual.extend(float(v) for v in y[o : o + h])
        scores[method] = wape(fc, actual)
    return scores


def monthly_values(rows: Sequence[dict[str, Any]], periods: Sequence[str]) -> list[float]:
    """Values of ``periods`` (labels such as ``2026-03`` or ``2026-W09``) from engine rows; a
    missing period of an additive KPI is 0."""
    found = {r["period"]: r["value"] for r in rows}
    return [float(found.get(p) or 0.0) for p in periods]
