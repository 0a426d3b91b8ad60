"""Pipeline panels from the analyses: funnel with stage conversion, time in stage, stuck deals,
source-channel quality, win/loss by competitor and lost reason, pipeline movement."""

from __future__ import annotations

import datetime as dt
from typing import Any

from salesops.analysis.deals import source_channels, win_loss
from salesops.analysis.funnel import FunnelResult, funnel
from salesops.analysis.movement import BUCKETS, pipeline_movement
from salesops.analysis.stuck import stuck_deals
from salesops.web import charts
from salesops.web.board import Board
from salesops.web.formatting import format_value, plain
from salesops.web.panels.base import Panel, chart, table, titled
from salesops.web.records import RECORDS_LIMIT, Column, RecordSet, from_rows


def _funnel(board: Board) -> FunnelResult:
    f = board.filters
    return board.analysis(funnel, start=f.start, end=f.end, as_of=f.end)


def funnel_panel(board: Board) -> Panel:
    """Opportunities created in the period that reached each stage, with the conversion."""
    result = _funnel(board)
    items = []
    for s in result.stages:
        label = f"{s.stage}  {s.reached:,}"
        if s.conversion_to_next is not None:
            rate = format_value(s.conversion_to_next, "ratio", board.locale)
            label += "\n" + board.t("→ next {rate}", rate=rate)
        # A literal label (ECharts reads braces as placeholders, so none may remain).
        items.append((s.stage, s.reached, label.replace("{", "(").replace("}", ")")))
    option = charts.funnel([(n, v) for n, v, _ in items], "count", name=board.t("Opportunities"))
    for item, (_, _, label) in zip(option["series"][0]["data"], items, strict=True):
        item["label"] = {"formatter": label}
    option["series"][0]["label"] = {
        "show": True,
        "position": "inside",
        "lineHeight": 17,
        "color": "#fff",
        "fontWeight": 600,
        "textBorderWidth": 0,
    }
    return chart(
        board,
        "funnel",
        board.t(titled("funnel", "Funnel and stage conversion")),
        option,
        subtitle=board.t(
            "{count} opportunities created in the period: {won} won, {lost} lost, {open} open",
            count=f"{result.opportunities:,}",
            won=f"{result.won:,}",
            lost=f"{result.lost:,}",
            open=f"{result.open:,}",
        ),
        empty=not any(s.reached for s in result.stages),
        drill={"kind": "records"},
    )


def dwell_panel(board: Board) -> Panel:
    """Mean days in each stage: completed stays, and the age of stays still open (apart)."""
    result = _funnel(board)
    stages = [s for s in result.stages if s.kind == "open"]
    option = charts.category_chart(
        [s.stage for s in stages],
        [
            charts.Series(board.t("Completed stays"), [s.mean_dwell_days for s in stages], "days"),
            charts.Series(
                board.t("Open stays, age so far"),
                [s.mean_open_age_days for s in stages],
                "days",
                color="#f59f00",
            ),
        ],
    )
    return chart(
        board,
        "stage_dwell",
        board.t(titled("stage_dwell", "Time in stage")),
        option,
        subtitle=board.t("Mean days between entering a stage and leaving it"),
        empty=not any(s.mean_dwell_days or s.mean_open_age_days for s in stages),
        drill={"kind": "records"},
    )


def funnel_records(board: Board, sel: str | None) -> RecordSet:
    """Per stage: reached, conversion and dwell (the funnel's own table)."""
    result = _funnel(board)
    rows = [s.model_dump() for s in result.stages]
    columns = [
        Column("stage", board.t("Stage")),
        Column("reached", board.t("Reached"), "count"),
        Column("conversion_to_next", board.t("Conversion to next"), "ratio"),
        Column("conversion_from_first", board.t("Conversion from first"), "ratio"),
        Column("completed_stays", board.t("Completed stays"), "count"),
        Column("mean_dwell_days", board.t("Mean days in stage"), "days"),
        Column("open_stays", board.t("Open stays"), "count"),
        Column("mean_open_age_days", board.t("Open stays, age so far"), "days"),
    ]
    return from_rows(board.t("Funnel and stage conversion"), rows, columns)


# ------------------------------------------------------------------------ stuck deals


def _stuck_rows(board: Board, limit: int | None) -> tuple[list[dict[str, Any]], Any]:
    result = board.analysis(stuck_deals, as_of=board.filters.end, limit=limit)
    return [r.model_dump() for r in result.rows], result


def _stuck_columns(board: Board) -> list[Column]:
    return [
        Column("opportunity", board.t("Opportunity")),
        Column("customer", board.t("Customer")),
        Column("owner", board.t("Sales rep")),
        Column("stage", board.t("Stage")),
        Column("days_in_stage", board.t("Days in stage"), "count"),
        Column("threshold_days", board.t("Threshold"), "days"),
        Column("amount", board.t("Amount"), "money"),
        Column("expected_close_on", board.t("Expected close")),
    ]


def stuck_panel(board: Board) -> Panel:
    rows, result = _stuck_rows(board, 10)
    return table(
        board,
        "stuck_deals",
        board.t(titled("stuck_deals", "Stuck deals")),
        _stuck_columns(board),
        rows,
        subtitle=board.t(
            "{count} open deals ({amount}) in their stage for over twice the usual time",
            count=f"{result.deals:,}",
            amount=board.fmt(result.amount, "money"),
        ),
        href=lambda r: (
            "/team/rep?" + board.filters.query_string(rep=str(r["owner"]))
            if r.get("owner")
            else None
        ),
    )


def stuck_records(board: Board, sel: str | None) -> RecordSet:
    rows, _ = _stuck_rows(board, RECORDS_LIMIT + 1)
    return from_rows(board.t("Stuck deals"), rows, _stuck_columns(board))


# ------------------------------------------------------------------------ deal quality


def _channels(board: Board) -> list[dict[str, Any]]:
    f = board.filters
    result = board.analysis(source_channels, start=f.start, end=f.end)
    rows = []
    for r in result.rows:
        row = r.model_dump()
        row["name"] = r.source_channel or "-"
        rows.append(row)
    return rows


def _channel_columns(board: Board) -> list[Column]:
    return [
        Column("name", board.t("Source channel")),
        Column("opportunities", board.t("Opportunities"), "count"),
        Column("won", board.t("Won deals"), "count"),
        Column("lost", board.t("Lost deals"), "count"),
        Column("win_rate", board.t("Win rate"), "ratio"),
        Column("bookings", board.t("Bookings"), "money"),
        Column("avg_deal_size", board.t("Average deal size"), "money"),
        Column("open_pipeline", board.t("Open pipeline"), "money"),
    ]


def channel_quality(board: Board) -> Panel:
    """Per source channel: the opportunities created in the period and how they ended."""
    return table(
        board,
        "channel_quality",
        board.t(titled("channel_quality", "Source channel quality")),
        _channel_columns(board),
        _channels(board),
        subtitle=board.t("Opportunities created in the period, by source; click to filter"),
        href=lambda r: (
            "?" + board.filters.query_string(source_channel=str(r["name"]))
            if r["name"] != "-"
            else None
        ),
    )


def channel_records(board: Board, sel: str | None) -> RecordSet:
    return from_rows(board.t("Source channel quality"), _channels(board), _channel_columns(board))


def _win_loss(board: Board) -> Any:
    f = board.filters
    return board.analysis(win_loss, start=f.start, end=f.end)


def win_loss_competitor(board: Board) -> Panel:
    """Won and lost deals against each competitor (stacked), with the win rate."""
    result = _win_loss(board)
    rows = [r for r in result.competitors if r.competitor][:10]
    keys = [str(r.competitor) for r in rows]
    option = charts.category_chart(
        keys,
        [
            charts.Series(
                board.t("Won deals"), [r.won for r in rows], "count", stack="wl", color="#12b886"
            ),
            charts.Series(
                board.t("Lost deals"), [r.lost for r in rows], "count", stack="wl", color="#f0574b"
            ),
            charts.Series(
                board.t("Win rate"),
                [r.win_rate for r in rows],
                "ratio",
                kind="line",
                axis=1,
                color="#2f6bff",
                symbol=True,
            ),
        ],
    )
    return chart(
        board,
        "win_loss_competitor",
        board.t(titled("win_loss_competitor", "Win / loss by competitor")),
        option,
        subtitle=board.t(
            "Deals closed in the period: {won} won, {lost} lost, win rate {rate}",
            won=f"{result.won:,}",
            lost=f"{result.lost:,}",
            rate=format_value(result.win_rate, "ratio", board.locale),
        ),
        empty=not rows,
        drill={"kind": "filter", "dim": "competitor"},
    )


def win_loss_records(board: Board, sel: str | None) -> RecordSet:
    result = _win_loss(board)
    rows = [r.model_dump() | {"name": r.competitor or "-"} for r in result.competitors]
    columns = [
        Column("name", board.t("Competitor")),
        Column("won", board.t("Won deals"), "count"),
        Column("lost", board.t("Lost deals"), "count"),
        Column("win_rate", board.t("Win rate"), "ratio"),
        Column("won_amount", board.t("Won amount"), "money"),
        Column("lost_amount", board.t("Lost amount"), "money"),
    ]
    return from_rows(board.t("Win / loss by competitor"), rows, columns)


def lost_reasons(board: Board) -> Panel:
    result = _win_loss(board)
    items = [(r.lost_reason or board.t("(not given)"), r.lost) for r in result.lost_reasons]
    option = charts.donut(items, "count", name=board.t("Lost deals"))
    return chart(
        board,
        "lost_reasons",
        board.t(titled("lost_reasons", "Lost reasons")),
        option,
        subtitle=board.t("Deals lost in the period, by reason"),
        empty=not items,
        drill={"kind": "filter", "dim": "lost_reason"},
    )


def lost_reason_records(board: Board, sel: str | None) -> RecordSet:
    result = _win_loss(board)
    rows = [r.model_dump() | {"name": r.lost_reason or "-"} for r in result.lost_reasons]
    columns = [
        Column("name", board.t("Lost reason")),
        Column("lost", board.t("Lost deals"), "count"),
        Column("lost_amount", board.t("Lost amount"), "money"),
        Column("share", board.t("Share"), "ratio"),
    ]
    return from_rows(board.t("Lost reasons"), rows, columns)


# ------------------------------------------------------------------------ movement

#: Waterfall steps: (reconciliation field, bucket id, sign).
_STEPS = (("new", 1), ("reopened", 1), ("grown", 1), ("shrunk", -1), ("won", -1), ("lost", -1))


def _movement(board: Board, limit: int | None) -> Any:
    f = board.filters
    start = f.start - dt.timedelta(days=1)  # D1 = the day before the period
    return board.analysis(pipeline_movement, start=start, end=f.end, limit=limit)


def movement_panel(board: Board) -> Panel:
    """How the open pipeline got from the period's start to its end (a waterfall)."""
    result = _movement(board, 0)
    rec = result.reconciliation
    zh = board.locale.startswith("zh")
    labels = [board.t("Open at start")]
    base: list[float | None] = [0.0]
    up: list[Any] = [{"value": plain(rec.open_d1), "itemStyle": {"color": "#8b95a7"}}]
    running = plain(rec.open_d1) or 0.0
    for key, sign in _STEPS:
        amount = plain(getattr(rec, key)) or 0.0
        zh_name, en_name = BUCKETS[key]
        labels.append(zh_name if zh else en_name)
        if sign > 0:
            base.append(running)
            running += amount
        else:
            running -= amount
            base.append(running)
        # In: light blue; won leaves the pipeline for a good reason (green); lost, shrunk: red.
        color = "#74a1ff" if sign > 0 else "#12b886" if key == "won" else "#f0574b"
        up.append(
            {
                "value": amount,
                "key": key,
                "itemStyle": {"color": color},
                "label": {"show": bool(amount)},
            }
        )
    labels.append(board.t("Open at end"))
    base.append(0.0)
    up.append({"value": plain(rec.open_d2), "itemStyle": {"color": "#2f6bff"}})
    option = charts.category_chart(
        labels, [charts.Series("", base, "money", stack="w")], legend=False
    )
    option["series"][0]["itemStyle"] = {"color": "transparent"}
    option["series"][0]["tooltip"] = {"show": False}
    option["series"][0]["emphasis"] = {"disabled": True}
    option["series"].append(
        {
            "name": board.t("Amount"),
            "type": "bar",
            "stack": "w",
            "data": up,
            "_unit": "money",
            "barMaxWidth": 36,
            "label": {"show": True, "position": "top", "_fmt": True, "fontSize": 11},
        }
    )
    option["tooltip"] = {"trigger": "item"}
    option["xAxis"]["axisLabel"] = {"interval": 0, "overflow": "break", "_fit": True}
    return chart(
        board,
        "pipeline_movement",
        board.t(titled("pipeline_movement", "Pipeline movement")),
        option,
        subtitle=board.t(
            "Open pipeline {start} → {end}: what came in and what went out",
            start=result.start.isoformat(),
            end=result.end.isoformat(),
        ),
        empty=not any(plain(getattr(rec, k)) for k in ("open_d1", "open_d2", "new", "won", "lost")),
        drill={"kind": "records"},
    )


def movement_records(board: Board, sel: str | None) -> RecordSet:
    result = _movement(board, RECORDS_LIMIT)
    zh = board.locale.startswith("zh")
    rows = []
    for bucket in result.buckets:
        if sel and bucket.bucket != sel:
            continue
        for item in bucket.opportunities:
            rows.append(item.model_dump() | {"bucket": bucket.name_zh if zh else bucket.name_en})
    columns = [
        Column("bucket", board.t("Movement")),
        Column("opportunity", board.t("Opportunity")),
        Column("customer", board.t("Customer")),
        Column("owner", board.t("Sales rep")),
        Column("stage_d1", board.t("Stage before")),
        Column("stage_d2", board.t("Stage after")),
        Column("amount_d1", board.t("Amount before"), "money"),
        Column("amount_d2", board.t("Amount after"), "money"),
        Column("expected_close_d2", board.t("Expected close")),
    ]
    return from_rows(board.t("Pipeline movement"), rows, columns)
