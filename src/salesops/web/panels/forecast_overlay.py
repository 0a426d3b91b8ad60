"""The stored forecast on a trend chart: a dashed line with its shaded 80 % band.

The forecast page (and the API and CLI) store every series forecast they make
(:func:`salesops.forecast.store.freeze`). A revenue trend by month or ISO week shows the newest
stored forecast of the same KPI, grain, scope and series (the whole scope, or the one region /
product line / team the filters name), extending the axis with the forecast's periods.

It is applied after the cached panel payload (:attr:`PanelSpec.finish`), from its own cache
kept per data version and :func:`salesops.forecast.store.generation`: a forecast this process
stores (or takes from another process) shows at once, without a query per view (the wall is
served without one).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from salesops.forecast import store
from salesops.web.board import _ANALYSES, Board
from salesops.web.panels.trend import label_of

#: Filters a stored series can stand for (SPEC: forecasts per region / product line / team)
SERIES_DIMENSIONS = ("product_line", "region", "team")
FORECAST_COLOR = "#7048e8"
STACK = "stored_forecast_band"


def series_key(where: tuple[tuple[str, tuple[str, ...]], ...]) -> str | None:
    """The stored ``series_key`` for the board's filters (None: no stored series fits)."""
    parts = []
    for dim, values in where:
        if dim not in SERIES_DIMENSIONS or len(values) != 1:
            return None
        parts.append((dim, values[0]))
    return ";".join(f"{k}={v}" for k, v in sorted(parts))


def stored_forecast(metric: str) -> Callable[[Board, dict[str, Any]], dict[str, Any]]:
    """A :attr:`PanelSpec.finish` that draws the newest stored forecast of ``metric``."""

    def finish(board: Board, panel: dict[str, Any]) -> dict[str, Any]:
        return with_forecast(board, panel, metric)

    return finish


def with_forecast(board: Board, panel: dict[str, Any], metric: str) -> dict[str, Any]:
    """``panel`` with the stored forecast added to its chart (unchanged when there is none)."""
    option = panel.get("option") or {}
    grain = option.get("grain")
    labels = list((option.get("xAxis") or {}).get("data") or [])
    key = series_key(board.filters.where)
    if grain not in ("month", "week") or not labels or key is None or panel.get("empty"):
        return panel

    def read() -> list[dict[str, Any]]:
        with board.engine.connect() as conn:
            return store.latest_series(conn, board.scope, metric, grain, key)

    cache_key = ("stored_forecast", board.scope.cache_key(), metric, grain, key, store.generation())
    rows = _ANALYSES.get(board.engine, cache_key, read, board.data_version)
    points = {label_of(r["period_start"], grain): r for r in rows}
    points = {k: v for k, v in points.items() if k >= labels[0]}
    if not points:
        return panel
    option = copy.deepcopy(option)
    added = sorted(k for k in points if k > labels[-1])
    labels += added
    option["xAxis"]["data"] = labels
    for s in option.get("series", []):
        s["data"] = list(s.get("data", [])) + [None] * len(added)

    def value(label: str, field: str) -> float | None:
        row = points.get(label)
        return None if row is None or row[field] is None else float(row[field])

    mean = [value(x, "expected") for x in labels]
    low = [value(x, "low") for x in labels]
    high = [value(x, "high") for x in labels]
    width = [
        None if lo is None or hi is None else hi - lo for lo, hi in zip(low, high, strict=True)
    ]
    name = board.t("Forecast")
    band = board.t("80% interval")
    hidden = {"opacity": 0}
    option["series"] += [
        {
            "id": "stored_forecast",
            "name": name,
            "type": "line",
            "data": mean,
            "_unit": "money",
            "yAxisIndex": 0,
            "showSymbol": True,
            "symbolSize": 5,
            "connectNulls": False,
            "lineStyle": {"type": "dashed", "width": 2, "color": FORECAST_COLOR},
            "itemStyle": {"color": FORECAST_COLOR},
            "z": 4,
        },
        {
            "id": "stored_forecast_low",
            "name": board.t("80% low"),
            "type": "line",
            "data": low,
            "_unit": "money",
            "yAxisIndex": 0,
            "stack": STACK,
            "showSymbol": False,
            "lineStyle": hidden,
            "itemStyle": {"color": FORECAST_COLOR},
            "silent": True,
        },
        {
            "id": "stored_forecast_band",
            "name": band,
            "type": "line",
            "data": width,
            "_unit": "money",
            "_bandLow": low,
            "yAxisIndex": 0,
            "stack": STACK,
            "showSymbol": False,
            "lineStyle": hidden,
            "areaStyle": {"opacity": 0.16, "color": FORECAST_COLOR},
            "itemStyle": {"color": FORECAST_COLOR},
            "silent": True,
        },
    ]
    legend = option.setdefault("legend", {})
    legend["show"] = True
    legend["data"] = [s["name"] for s in option["series"] if s.get("id") != "stored_forecast_low"]
    method = next(iter(points.values()))
    subtitle = board.t(
        "dashed: forecast made {date} ({method}), shaded: its 80% interval",
        date=method["as_of"].isoformat(),
        method=method["method"],
    )
    out = dict(panel)
    out["option"] = option
    out["subtitle"] = f"{panel.get('subtitle') or ''} · {subtitle}".strip(" ·")
    return out
