"""ECharts option builders: plain JSON that ``static/board.js`` hands to ``setOption``.

Units travel as ``_unit`` keys on axes and series; the browser turns them into locale-aware
formatters (万/亿 or K/M). Builders never compute a KPI: they receive the engine's numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Option = dict[str, Any]

GRID = {"left": 8, "right": 16, "top": 36, "bottom": 8, "containLabel": True}


@dataclass(frozen=True)
class Series:
    """One series of a category chart."""

    name: str
    values: Sequence[float | None]
    unit: str
    kind: str = "bar"  # bar | line
    axis: int = 0
    dashed: bool = False
    area: bool = False
    stack: str | None = None
    color: str | None = None
    smooth: bool = True
    symbol: bool = False


def _series(s: Series) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": s.name,
        "type": s.kind,
        "data": list(s.values),
        "_unit": s.unit,
        "yAxisIndex": s.axis,
        "emphasis": {"focus": "series"},
    }
    if s.kind == "line":
        out["smooth"] = 0.3 if s.smooth else False
        out["smoothMonotone"] = "x"  # no overshoot below zero between points
        out["showSymbol"] = s.symbol
        out["symbolSize"] = 6
        out["connectNulls"] = False
        style: dict[str, Any] = {"width": 2.4}
        if s.dashed:
            style["type"] = "dashed"
            style["width"] = 1.8
        out["lineStyle"] = style
        if s.area:
            out["areaStyle"] = {"opacity": 0.12}
    else:
        out["barMaxWidth"] = 28
        out["itemStyle"] = {"borderRadius": [4, 4, 0, 0]}
    if s.stack:
        out["stack"] = s.stack
        out["itemStyle"] = {"borderRadius": 0}
    if s.color:
        out.setdefault("itemStyle", {})["color"] = s.color
        if s.kind == "line":
            out["lineStyle"]["color"] = s.color
    return out


def category_chart(
    categories: Sequence[str], series: Sequence[Series], *, legend: bool = True
) -> Option:
    """Bars and/or lines over categories (periods, names); up to two value axes."""
    units: list[str] = []
    for s in series:
        while len(units) <= s.axis:
            units.append(s.unit)
    y_axes = [
        {"type": "value", "_unit": unit, "splitLine": {"show": i == 0}}
        for i, unit in enumerate(units)
    ]
    return {
        "grid": GRID,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"show": legend and len(series) > 1, "top": 0, "right": 0},
        "xAxis": {
            "type": "category",
            "data": list(categories),
            # Few categories: every name, wrapped to its slot (the browser sizes ``_fit``);
            # many (days, weeks): let ECharts thin them out.
            "axisLabel": (
                {"interval": 0, "overflow": "break", "_fit": True}
                if len(categories) <= 8
                else {"hideOverlap": True}
            ),
        },
        "yAxis": y_axes,
        "series": [_series(s) for s in series],
    }


def ranked_bars(
    names: Sequence[str],
    values: Sequence[float | None],
    unit: str,
    *,
    name: str,
    mark: float | None = None,
    mark_label: str = "",
    color: str | None = None,
) -> Option:
    """Horizontal bars, largest on top; ``mark`` draws a reference line (e.g. team average)."""
    series: dict[str, Any] = {
        "name": name,
        "type": "bar",
        "data": list(reversed(values)),
        "_unit": unit,
        "barMaxWidth": 18,
        "itemStyle": {"borderRadius": [0, 4, 4, 0]},
        "label": {"show": True, "position": "right", "_fmt": True, "fontSize": 11},
    }
    if color:
        series["itemStyle"]["color"] = color
    if mark is not None:
        series["markLine"] = {
            "symbol": "none",
            "data": [{"xAxis": mark, "name": mark_label}],
            "label": {"formatter": mark_label, "position": "end"},
            "lineStyle": {"type": "dashed"},
        }
    return {
        "grid": {**GRID, "right": 56, "top": 8},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "xAxis": {"type": "value", "_unit": unit, "splitNumber": 3},
        "yAxis": {
            "type": "category",
            "data": list(reversed(names)),
            "axisLabel": {"width": 110, "overflow": "truncate"},
        },
        "series": [series],
    }


def donut(items: Sequence[tuple[str, float | None]], unit: str, *, name: str) -> Option:
    """A doughnut of a composition (share of each item)."""
    return {
        "tooltip": {"trigger": "item"},
        "legend": {"type": "scroll", "orient": "vertical", "right": 0, "top": "middle"},
        "series": [
            {
                "name": name,
                "type": "pie",
                "radius": ["48%", "74%"],
                "center": ["36%", "52%"],
                "avoidLabelOverlap": True,
                "itemStyle": {"borderRadius": 5, "borderColor": "#fff", "borderWidth": 2},
                "label": {"show": False},
                "_unit": unit,
                "data": [{"name": n, "value": v} for n, v in items],
            }
        ],
    }


def funnel(stages: Sequence[tuple[str, float | None]], unit: str, *, name: str) -> Option:
    """A funnel of stage counts, widest at the top."""
    top = max((v or 0 for _, v in stages), default=0) or 1
    return {
        "tooltip": {"trigger": "item"},
        "series": [
            {
                "name": name,
                "type": "funnel",
                "left": "4%",
                "right": "4%",
                "top": 8,
                "bottom": 8,
                "min": 0,
                "max": top,
                "sort": "none",
                "gap": 3,
                "minSize": "12%",
                "_unit": unit,
                "label": {"show": True, "position": "inside", "formatter": "{b}"},
                "itemStyle": {"borderWidth": 0},
                "data": [{"name": n, "value": v} for n, v in stages],
            }
        ],
    }


def heatmap(
    x: Sequence[str],
    y: Sequence[str],
    cells: Sequence[tuple[int, int, float | None]],
    unit: str,
    *,
    name: str,
    colors: Sequence[str] = ("#eef3ff", "#2f6bff"),
) -> Option:
    """A grid of values (cohort retention, RFM matrix); cells are (x index, y index, value)."""
    values = [v for _, _, v in cells if v is not None]
    return {
        "grid": {**GRID, "top": 4, "bottom": 4},
        "tooltip": {"position": "top"},
        "xAxis": {"type": "category", "data": list(x), "axisLine": {"show": False}},
        "yAxis": {
            "type": "category",
            "data": list(y),
            "axisLine": {"show": False},
            "inverse": True,
        },
        "visualMap": {
            "show": False,
            "dimension": 2,  # cells may carry a name and a key after the value
            "min": min(values, default=0),
            "max": max(values, default=1) or 1,
            "calculable": False,
            "orient": "horizontal",
            "left": "center",
            "bottom": 0,
            "itemHeight": 120,
            "inRange": {"color": list(colors)},
            "_unit": unit,
        },
        "_heatmapUnit": unit,
        "series": [
            {
                "name": name,
                "type": "heatmap",
                "data": heat_cells([[x[i], y[j], v] for i, j, v in cells], values),
                "label": {"show": True, "fontSize": 11},
                "itemStyle": {"borderColor": "#fff", "borderWidth": 2, "borderRadius": 4},
                "emphasis": {"itemStyle": {"shadowBlur": 6}},
            }
        ],
    }


def heat_cells(cells: Sequence[list[Any]], values: Sequence[float]) -> list[dict[str, Any]]:
    """Heatmap cells as items whose label is white on the darker half of the colour scale."""
    low, high = min(values, default=0.0), max(values, default=1.0)
    middle = low + (high - low) * 0.55
    return [
        {
            "value": cell,
            "label": {"color": "#fff" if (cell[2] or 0) > middle else "#34405a"},
        }
        for cell in cells
    ]
