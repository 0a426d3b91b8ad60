"""Time series of a KPI over the board's period, aligned with the same periods a year earlier."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from salesops.metrics.query import Grain
from salesops.web import kpi
from salesops.web.board import Board, Row, period_range
from salesops.web.formatting import plain


def period_labels(start: dt.date, end: dt.date, grain: Grain) -> list[str]:
    """Every period label between ``start`` and ``end`` in the engine's format."""
    labels: list[str] = []
    day = start
    while day <= end:
        label = label_of(day, grain)
        if not labels or labels[-1] != label:
            labels.append(label)
        day = _next(day, grain)
    return labels


def label_of(day: dt.date, grain: Grain) -> str:
    """The engine's label of the period of ``grain`` that contains ``day``."""
    if grain == "day":
        return day.isoformat()
    if grain == "week":
        iso = day.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if grain == "month":
        return f"{day:%Y-%m}"
    if grain == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return str(day.year)


def _next(day: dt.date, grain: Grain) -> dt.date:
    if grain == "day":
        return day + dt.timedelta(days=1)
    if grain == "week":
        return day + dt.timedelta(days=7 - day.weekday())
    if grain == "month":
        return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    if grain == "quarter":
        month = 3 * ((day.month - 1) // 3) + 4
        return dt.date(day.year + (month > 12), (month - 1) % 12 + 1, 1)
    return dt.date(day.year + 1, 1, 1)


def year_earlier(label: str) -> str:
    """The label of the same period a year earlier (2026-03 -> 2025-03, 2026-W09 -> 2025-W09)."""
    year = int(label[:4])
    return f"{year - 1}{label[4:]}"


def shift_year(day: dt.date, years: int = -1) -> dt.date:
    """The same calendar day ``years`` away (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def by_label(rows: Sequence[Row], key: str = "value") -> dict[str, float | None]:
    """Engine rows keyed by their ``period`` label."""
    return {str(r.get("period")): plain(r.get(key)) for r in rows}


def aligned(
    values: dict[str, float | None], labels: Sequence[str], additive: bool, until: dt.date
) -> list[float | None]:
    """``values`` in the order of ``labels``. For sums and counts a period without rows is a
    zero (no sales is no revenue), up to ``until``; later periods have no value yet."""
    out: list[float | None] = []
    for label in labels:
        if label in values:
            out.append(values[label])
            continue
        found = period_range(label)
        out.append(0.0 if additive and found and found[0] <= until else None)
    return out


def series_with_last_year(
    board: Board,
    metric: str,
    start: dt.date,
    end: dt.date,
    grain: Grain,
    *,
    axis_end: dt.date | None = None,
) -> tuple[list[str], list[float | None], list[float | None]]:
    """Labels from ``start`` to ``axis_end`` (default ``end``), this year's values up to ``end``
    and last year's for the same periods (both straight from the engine)."""
    labels = period_labels(start, axis_end or end, grain)
    additive = kpi.info(metric, board.locale).additive
    current = by_label(board.query(metric, grain=grain, start=start, end=end))
    last_start = shift_year(start)
    last_end = shift_year(axis_end or end)
    previous = by_label(board.query(metric, grain=grain, start=last_start, end=last_end))
    shifted = {
        label: previous.get(year_earlier(label))
        for label in labels
        if year_earlier(label) in previous
    }
    return (
        labels,
        aligned(current, labels, additive, end),
        aligned(shifted, labels, additive, axis_end or end),
    )


def partial_index(labels: Sequence[str], end: dt.date, grain: Grain) -> int | None:
    """The position of the period that ``end`` cuts short (this month on its first day), or
    None when ``end`` closes its period."""
    label = label_of(end, grain)
    found = period_range(label)
    if label not in labels or found is None or end >= found[1]:
        return None
    return labels.index(label)


def mark_to_date(
    board: Board, option: dict[str, Any], labels: Sequence[str], end: dt.date, grain: Grain
) -> str:
    """Show the bar of a period cut short by ``end`` as such (lighter, labelled "to date"), so
    one day of December is not read as a collapse; returns a note for the subtitle ("")."""
    index = partial_index(labels, end, grain)
    if index is None:
        return ""
    bars = option["series"][0]
    value = bars["data"][index]
    if value is None:
        return ""
    bars["data"][index] = {
        "value": value,
        "itemStyle": {"opacity": 0.5},
        "label": {"show": True, "position": "top", "formatter": board.t("To date")},
    }
    return board.t("{period} to {day}", period=labels[index], day=f"{end:%m-%d}")
