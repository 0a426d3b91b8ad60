"""Building blocks shared by the pages: metric-backed panels and their records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from salesops.web import charts, kpi
from salesops.web.board import Board, Row, period_range
from salesops.web.formatting import plain
from salesops.web.panels.base import Panel, RecordsBuilder, chart
from salesops.web.records import RECORDS_LIMIT, Column, RecordSet, from_rows

#: Label keys of dimension ids (English msgids).
DIM_LABELS = {
    "region": "Region",
    "customer_region": "Customer region",
    "team": "Team",
    "rep": "Sales rep",
    "product": "Product",
    "product_line": "Product line",
    "channel": "Channel",
    "source_channel": "Source channel",
    "customer": "Customer",
    "industry": "Industry",
    "segment": "Segment",
    "stage": "Stage",
    "competitor": "Competitor",
    "lost_reason": "Lost reason",
    "kind": "Activity kind",
    "category": "Category",
    "customer_size": "Customer size",
    "engagement_band": "Engagement band",
}


#: Codes stored in the data, shown by name (English msgids); clicks still use the code.
VALUE_LABELS = {
    "kind": {
        "visit": "Visit",
        "call": "Call",
        "email": "Email",
        "meeting": "Meeting",
        "web_visit": "Web visit",
        "event": "Event",
    },
    "category": {
        "functional": "Functional",
        "emotional": "Emotional",
        "service": "Service",
        "other": "Other",
    },
    # issue #28: bands of the engagement score (salesops.metrics.engagement)
    "engagement_band": {
        "high": "High",
        "medium": "Medium",
        "low": "Low",
        "none": "No interaction",
    },
    # feedback priorities (the SLA table's keys); other imported values are shown as they are
    "priority": {
        "low": "Low",
        "medium": "Medium",
        "high": "High",
        "urgent": "Urgent",
    },
    # order lines, opportunities and feedback (shown in record views)
    "status": {
        "normal": "Normal",
        "cancelled": "Cancelled",
        "returned": "Returned",
        "open": "Open",
        "won": "Won",
        "lost": "Lost",
        "new": "New",
        "assigned": "Assigned",
        "resolved": "Solved",
        "informed": "Customer informed",
    },
}


def value_label(board: Board, dim: str, value: str) -> str:
    """A dimension value for display: translated when it is a known code."""
    found = VALUE_LABELS.get(dim, {}).get(value)
    return board.t(found) if found else value


def dim_label(board: Board, dim: str) -> str:
    """The translated name of a dimension."""
    return board.t(DIM_LABELS.get(dim, dim))


def values(rows: Sequence[Row], key: str = "value") -> list[float | None]:
    """One column of engine rows as JSON numbers."""
    return [plain(r.get(key)) for r in rows]


def names(rows: Sequence[Row], dim: str) -> list[str]:
    """The dimension values of engine rows (None shown as a dash)."""
    return [str(r.get(dim)) if r.get(dim) is not None else "-" for r in rows]


def period_drill(labels: Sequence[str]) -> dict[str, Any]:
    """Drill from a period label of a trend to a custom period of exactly those dates."""
    ranges: dict[str, list[str]] = {}
    for label in labels:
        found = period_range(label)
        if found:
            ranges[label] = [found[0].isoformat(), found[1].isoformat()]
    return {"kind": "period", "ranges": ranges}


def breakdown_panel(
    board: Board,
    panel_id: str,
    title: str,
    metric: str,
    dim: str,
    *,
    style: str = "bars",
    limit: int = 12,
    subtitle: str = "",
    drill: str = "filter",
) -> Panel:
    """``metric`` by one dimension as ranked bars or a doughnut; a click filters by it."""
    unit = kpi.info(metric, board.locale).unit
    rows = [
        r
        for r in board.query(metric, by=(dim,), sort="-value", limit=limit)
        if r.get("value") is not None
    ]
    label = kpi.info(metric, board.locale).label
    keys = names(rows, dim)
    shown = [value_label(board, dim, k) for k in keys]
    if style == "donut":
        option = charts.donut(list(zip(shown, values(rows), strict=True)), unit, name=label)
        for item, key in zip(option["series"][0]["data"], keys, strict=True):
            item["key"] = key  # what a click filters by
    else:
        option = charts.ranked_bars(shown, values(rows), unit, name=label)
        if shown != keys:
            option["series"][0]["data"] = [
                {"value": v, "key": k}
                for v, k in zip(option["series"][0]["data"], list(reversed(keys)), strict=True)
            ]
    spec: dict[str, Any] = {"kind": "filter", "dim": dim}
    if drill == "records":
        spec = {"kind": "records", "dim": dim}
    return chart(
        board,
        panel_id,
        title,
        option,
        subtitle=subtitle
        or (
            board.t("Click to filter the board by {dimension}", dimension=dim_label(board, dim))
            if drill == "filter"
            else board.t("Click a {dimension} for its records", dimension=dim_label(board, dim))
        ),
        empty=not rows,
        drill=spec,
    )


def engine_records(board: Board, metric: str, title: str, sel: str | None = None) -> RecordSet:
    """The rows behind ``metric`` for the board's filters, from the engine's ``records``."""
    query = board.metric_query(metric)
    result = board.metrics.records(query, board.scope, limit=RECORDS_LIMIT + 1)
    columns_attr = getattr(result, "columns", None)
    rows_attr = getattr(result, "rows", result)
    rows: list[dict[str, Any]] = [dict(r) for r in rows_attr]
    keys: list[str] = list(columns_attr) if columns_attr else (list(rows[0]) if rows else [])
    columns = [Column(k, board.t(_record_label(k)), _record_unit(k, rows)) for k in readable(keys)]
    coded = [k for k in keys if k in VALUE_LABELS]
    for row in rows:  # codes by name, in the dialog and the exports alike
        for k in coded:
            if isinstance(row.get(k), str):
                row[k] = value_label(board, k, row[k])
    return from_rows(title, rows, columns, limit=RECORDS_LIMIT)


def records_of(metric: str, title: str) -> RecordsBuilder:
    """A records builder: the engine's rows behind ``metric`` (``title`` is a msgid)."""

    def build(board: Board, sel: str | None) -> RecordSet:
        return engine_records(board, metric, board.t(title), sel)

    return build


#: Display names the engine adds to fact rows, shown instead of the integer keys.
NAME_KEYS = {
    "customer_name": "Customer",
    "rep_name": "Sales rep",
    "region_name": "Region",
    "product_name": "Product",
}
_LEADING = ("external_id", "order_no", "line_no", "name", "order_date", "received_on", "due_date")


def readable(keys: Sequence[str]) -> list[str]:
    """Record columns for people: no surrogate keys, the names right after the identifiers."""
    kept = [k for k in keys if (k != "id" and not k.endswith("_id")) or k == "external_id"]
    names_ = [k for k in kept if k in NAME_KEYS]
    rest = [k for k in kept if k not in NAME_KEYS]
    lead = 0
    while lead < len(rest) and rest[lead] in _LEADING:
        lead += 1
    return [*rest[:lead], *names_, *rest[lead:]]


def _record_label(key: str) -> str:
    if key in NAME_KEYS:
        return NAME_KEYS[key]
    return RECORD_LABELS.get(key, key.replace("_", " ").capitalize())


def _record_unit(key: str, rows: Sequence[dict[str, Any]]) -> str | None:
    if key in MONEY_KEYS:
        return "money"
    if key in ("probability",):
        return "ratio"
    if key in ("quantity", "nps", "csat", "line_no"):
        return "number"
    return None


MONEY_KEYS = frozenset(
    {"amount", "cost", "profit", "due_amount", "paid_amount", "revenue", "overdue", "credit_limit"}
)

#: Column headers of record views (English msgids).
RECORD_LABELS = {
    "order_no": "Order no.",
    "line_no": "Line",
    "order_date": "Order date",
    "customer": "Customer",
    "rep": "Sales rep",
    "product": "Product",
    "product_line": "Product line",
    "region": "Region",
    "channel": "Channel",
    "quantity": "Quantity",
    "amount": "Amount",
    "cost": "Cost",
    "status": "Status",
    "name": "Name",
    "stage": "Stage",
    "probability": "Probability",
    "created_on": "Created",
    "expected_close_on": "Expected close",
    "closed_on": "Closed",
    "competitor": "Competitor",
    "lost_reason": "Lost reason",
    "source_channel": "Source channel",
    "due_date": "Due date",
    "due_amount": "Amount due",
    "paid_date": "Paid on",
    "paid_amount": "Amount paid",
    "kind": "Activity kind",
    "occurred_at": "Time",
    "received_on": "Received",
    "nps": "NPS",
    "csat": "CSAT",
    "category": "Category",
    "external_id": "ID",
    "team": "Team",
    "industry": "Industry",
    "segment": "Segment",
    "size": "Size",
    "city": "City",
    "pipeline": "Pipeline name",
    "priority": "Priority",
    "text": "Text",
    "resolved_on": "Resolved",
    "first_order_on": "First order",
    "last_order_on": "Last order",
    "credit_limit": "Credit limit",
    "channel_name": "Channel",
}


def month_index(label: str) -> int | None:
    """Month number (1–12) of a ``YYYY-MM`` period label."""
    try:
        return dt.date.fromisoformat(label + "-01").month
    except ValueError:
        return None
