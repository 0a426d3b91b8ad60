"""客户之声 Customer voice: NPS and CSAT with their samples, categories and topics from the free
text with the verbatims behind them, the link to revenue (detractors' revenue and churn
warnings, top customers' NPS), and the closed feedback loop (反馈闭环).

KPIs come from the metrics engine; topics, the score distribution and the loop's standing
from :mod:`salesops.feedback` under the same scope and filters.
"""

from __future__ import annotations

import threading
from typing import Any

from salesops.analysis.churn import churn_warnings
from salesops.feedback import voice
from salesops.feedback.loop import list_items
from salesops.feedback.topics import _segmenter, topics
from salesops.web import charts
from salesops.web.board import Board, Row
from salesops.web.formatting import plain
from salesops.web.panels.base import PageSpec, Panel, PanelSpec, chart, table, titled
from salesops.web.panels.common import (
    breakdown_panel,
    names,
    period_drill,
    records_of,
    value_label,
    values,
)
from salesops.web.panels.trend import aligned, by_label, period_labels
from salesops.web.records import RECORDS_LIMIT, Column, RecordSet, from_rows

CARDS = (
    "nps",
    "csat",
    "nps_responses",
    "feedback_first_response_days",
    "feedback_resolution_days",
    "feedback_sla_rate",
    "feedback_informed_rate",
)

#: Below this many responses a group's NPS is marked as a small sample.
SMALL_SAMPLE = 30

# jieba's dictionary takes about a second to load: load it beside the first page served, not
# in front of the first topics panel.
threading.Thread(target=_segmenter, name="salesops-jieba", daemon=True).start()


def nps_trend(board: Board) -> Panel:
    """NPS and CSAT by the board's grain, with the responses behind each point (bars)."""
    f = board.filters
    grain = f.trend_grain
    labels = period_labels(f.start, f.end, grain)
    nps, csat, responses = board.query_many(
        ("nps", {"grain": grain}), ("csat", {"grain": grain}), ("nps_responses", {"grain": grain})
    )
    csat_values = aligned(by_label(csat), labels, False, f.end)
    option = charts.category_chart(
        labels,
        [
            charts.Series(
                board.t("Responses"),
                aligned(by_label(responses), labels, True, f.end),
                "count",
                axis=1,
                color="#d9def0",
            ),
            charts.Series(
                board.t("NPS"), aligned(by_label(nps), labels, False, f.end), "score",
                kind="line", symbol=True,
            ),
            charts.Series(
                board.t("CSAT × 20"),
                [None if v is None else v * 20 for v in csat_values],
                "score", kind="line", color="#12b886", symbol=True,
            ),
        ],
    )  # fmt: skip
    return chart(
        board,
        "nps_trend",
        board.t(titled("nps_trend", "NPS and CSAT over time")),
        option,
        subtitle=board.t(
            "CSAT (1-5) drawn × 20 on the NPS scale; grey bars: responses. Click a period"
        ),
        empty=not any(r.get("value") for r in responses),
        drill=period_drill(labels),
    )


def _nps_by(board: Board, panel_id: str, title: str, dim: str) -> Panel:
    """NPS by ``dim``, the sample size in each name; small samples are marked."""
    nps, responses = board.query_many(("nps", {"by": (dim,)}), ("nps_responses", {"by": (dim,)}))
    counts = {str(r.get(dim)): plain(r.get("value")) or 0 for r in responses}
    rows = sorted(
        (r for r in nps if r.get("value") is not None and r.get(dim) is not None),
        key=lambda r: -(plain(r["value"]) or 0),
    )[:12]
    keys = names(rows, dim)
    shown = []
    for k in keys:
        n = int(counts.get(k, 0))
        mark = " ⚠" if n < SMALL_SAMPLE else ""
        shown.append(f"{value_label(board, dim, k)} (n={n}){mark}")
    option = charts.ranked_bars(shown, values(rows), "score", name=board.t("NPS"))
    option["series"][0]["data"] = [
        {"value": v, "key": k}
        for v, k in zip(option["series"][0]["data"], list(reversed(keys)), strict=True)
    ]
    return chart(
        board,
        panel_id,
        board.t(titled(panel_id, title)),
        option,
        subtitle=board.t(
            "n = responses; ⚠ fewer than {n}: read with care. Click to filter", n=SMALL_SAMPLE
        ),
        empty=not rows,
        drill={"kind": "filter", "dim": dim},
    )


def nps_by_region(board: Board) -> Panel:
    return _nps_by(board, "nps_by_region", "NPS by region", "region")


def nps_by_channel(board: Board) -> Panel:
    return _nps_by(board, "nps_by_channel", "NPS by feedback channel", "channel")


def nps_by_segment(board: Board) -> Panel:
    return _nps_by(board, "nps_by_segment", "NPS by customer segment", "segment")


def nps_by_rep(board: Board) -> Panel:
    """Per rep: responses, NPS and CSAT (the rep who owned the customer)."""
    by = {"by": ("rep",)}
    nps, csat, responses = board.query_many(("nps", by), ("csat", by), ("nps_responses", by))

    def of(rows: list[Row]) -> dict[str, Any]:
        return {str(r["rep"]): r.get("value") for r in rows if r.get("rep")}

    n, c, r = of(nps), of(csat), of(responses)
    rows = [
        {"rep": rep, "responses": r.get(rep), "nps": n.get(rep), "csat": c.get(rep)}
        for rep in sorted(n, key=lambda k: -(plain(r.get(k)) or 0))
    ][:15]
    columns = [
        Column("rep", board.t("Sales rep")),
        Column("responses", board.t("Responses"), "count"),
        Column("nps", board.t("NPS"), "score"),
        Column("csat", board.t("CSAT"), "score"),
    ]
    return table(
        board,
        "nps_by_rep",
        board.t(titled("nps_by_rep", "NPS by sales rep")),
        columns,
        rows,
        subtitle=board.t("Most responses first; click a rep to filter"),
        href=lambda row: "?" + board.filters.query_string(rep=str(row["rep"])),
    )


def score_distribution(board: Board) -> Panel:
    """Responses per score 0-10, coloured detractor / passive / promoter."""
    f = board.filters
    dist = board.analysis(voice.score_distribution, f.start, f.end)
    labels = [str(s) for s in range(11)]
    colors = ["#f0574b"] * 7 + ["#c3cad8"] * 2 + ["#12b886"] * 2
    option = charts.category_chart(
        labels, [charts.Series(board.t("Responses"), [dist.get(s, 0) for s in range(11)], "count")]
    )
    option["series"][0]["data"] = [
        {"value": dist.get(s, 0), "key": str(s), "itemStyle": {"color": colors[s]}}
        for s in range(11)
    ]
    total = sum(dist.values())
    return chart(
        board,
        "score_distribution",
        board.t(titled("score_distribution", "Distribution of scores")),
        option,
        subtitle=board.t(
            "{n} responses · red: detractors (0-6), grey: passives, green: promoters (9-10)",
            n=total,
        ),
        empty=not total,
        drill={"kind": "records", "dim": None},
    )


def score_records(board: Board, sel: str | None) -> RecordSet:
    """The items behind a score (``sel`` = the score), or all items with a score."""
    f = board.filters
    rows = board.analysis(voice.texts, f.start, f.end)
    if sel is not None and sel.isdigit():
        rows = [r for r in rows if r.get("nps") == int(sel)]
    return _verbatim_set(board, board.t("Distribution of scores"), rows)


def categories(board: Board) -> Panel:
    return breakdown_panel(
        board,
        "categories",
        board.t(titled("categories", "Feedback by category")),
        "nps_responses",
        "category",
        style="donut",
    )


# ------------------------------------------------------------------------ topics


def _topics(board: Board) -> list[Any]:
    f = board.filters
    rows = board.analysis(voice.texts, f.start, f.end)
    return board.cached(("voice_topics",), lambda: topics(rows, limit=15))


def topics_panel(board: Board) -> Panel:
    """The most mentioned words of the free text; a click shows the verbatims behind one."""
    found = _topics(board)
    words = [t.word for t in found]
    option = charts.ranked_bars(
        words, [float(t.count) for t in found], "count", name=board.t("Mentions")
    )
    option["series"][0]["data"] = [
        {
            "value": t.count,
            "key": t.word,
            "itemStyle": {
                "color": "#12b886"
                if (t.nps or 0) >= 30
                else "#f0574b"
                if (t.nps or 0) < 0
                else "#f59f00"
            },
        }
        for t in reversed(found)
    ]
    return chart(
        board,
        "topics",
        board.t(titled("topics", "Topics in the customers' words")),
        option,
        subtitle=board.t(
            "Items mentioning each word; green: liked (NPS ≥ 30), red: disliked (NPS < 0). "
            "Click a topic for its verbatims"
        ),
        empty=not found,
        drill={"kind": "records", "dim": None},
    )


def topics_compare(board: Board) -> Panel:
    """Detractors' topics against promoters': mentions by each group, side by side."""
    found = sorted(_topics(board), key=lambda t: -(t.detractors + t.promoters))[:12]
    words = [t.word for t in found]
    option = charts.category_chart(
        words,
        [
            charts.Series(board.t("Detractors"), [-t.detractors for t in found], "count",
                          stack="s", color="#f0574b"),
            charts.Series(board.t("Promoters"), [t.promoters for t in found], "count",
                          stack="s", color="#12b886"),
        ],
    )  # fmt: skip
    # horizontal: words down the side, detractors to the left
    option["xAxis"], option["yAxis"] = option["yAxis"][0], option["xAxis"]
    option["yAxis"]["inverse"] = True
    for s in option["series"]:
        s["yAxisIndex"] = 0
        s["data"] = [{"value": v, "key": w} for v, w in zip(s["data"], words, strict=True)]
    return chart(
        board,
        "topics_compare",
        board.t(titled("topics_compare", "What detractors and promoters talk about")),
        option,
        subtitle=board.t("Mentions by detractors (left) and promoters (right); click a topic"),
        empty=not found,
        drill={"kind": "records", "dim": None},
    )


def topic_records(board: Board, sel: str | None) -> RecordSet:
    """The verbatims behind a topic (``sel`` = the word), or behind all topics."""
    found = _topics(board)
    chosen = [t for t in found if sel is None or t.word == sel]
    seen: set[int] = set()
    rows = []
    for t in chosen:
        for item in t.items:
            if item["id"] not in seen:
                seen.add(item["id"])
                rows.append(item | {"topic": t.word})
    title = board.t("Verbatims: {topic}", topic=sel) if sel else board.t("Verbatims")
    return _verbatim_set(board, title, rows, topic=True)


def _verbatim_set(
    board: Board, title: str, rows: list[dict[str, Any]], *, topic: bool = False
) -> RecordSet:
    columns = [
        *([Column("topic", board.t("Topic"))] if topic else []),
        Column("external_id", board.t("ID")),
        Column("received_on", board.t("Received")),
        Column("customer", board.t("Customer")),
        Column("channel", board.t("Channel")),
        Column("nps", board.t("NPS"), "number"),
        Column("csat", board.t("CSAT"), "number"),
        Column("category", board.t("Category")),
        Column("text", board.t("Text")),
    ]
    shown = [
        r | {"category": value_label(board, "category", str(r["category"]))}
        if r.get("category")
        else r
        for r in rows
    ]
    return from_rows(title, shown, columns, limit=RECORDS_LIMIT)


# ------------------------------------------------------------------------ revenue link


def detractor_revenue(board: Board) -> Panel:
    """Customers who gave a detractor score in the period: their revenue, their NPS, and
    whether a churn warning is up for them."""
    detractor_rows = [
        r
        for r in board.query("nps", by=("customer",), sort="value", limit=200)
        if r.get("value") is not None and plain(r["value"]) is not None and r["value"] < 0
    ]
    keys = names(detractor_rows, "customer")[:50]
    revenue = (
        {
            str(r["customer"]): r.get("value")
            for r in board.query("revenue", by=("customer",), where=[("customer", keys)])
        }
        if keys
        else {}
    )
    warned = _warned(board, keys)
    nps = {str(r["customer"]): r.get("value") for r in detractor_rows}
    rows = [
        {
            "customer": k,
            "nps": nps.get(k),
            "revenue": revenue.get(k),
            "churn": board.t("Churn warning") if k in warned else "",
        }
        for k in keys
    ]
    rows.sort(key=lambda r: (r["churn"] == "", -(plain(r["revenue"]) or 0)))
    at_risk = sum(plain(r["revenue"]) or 0 for r in rows)
    columns = [
        Column("customer", board.t("Customer")),
        Column("nps", board.t("NPS"), "score"),
        Column("revenue", board.t("Revenue"), "money"),
        Column("churn", board.t("Churn warning")),
    ]
    return table(
        board,
        "detractor_revenue",
        board.t(titled("detractor_revenue", "Detractors and their revenue")),
        columns,
        rows[:20],
        subtitle=board.t(
            "{n} customers with a negative NPS, revenue {revenue}; warned ones first",
            n=len(rows),
            revenue=board.fmt(at_risk, "money"),
        ),
        href=lambda r: "?" + board.filters.query_string(customer=str(r["customer"])),
    )


def _warned(board: Board, keys: list[str]) -> set[str]:
    """Which of the customers ``keys`` (names) have a churn warning up.

    A customer's warning reads only its own orders and contacts, so the analysis runs for these
    customers alone (a customer filter on top of the board's): the same answer for them as
    over every customer, without grouping every order of the database by customer and day
    (0.27 s of CPU on the medium demo, for the fifty names the panel asks about)."""
    if not keys:
        return set()
    where = dict(board.filters.where) | {"customer": tuple(keys)}
    found = board.cached(
        ("voice_churn", tuple(keys)),
        lambda: churn_warnings(
            board.engine, board.scope, where, as_of=board.filters.end, limit=None
        ),
    )
    return {w.customer for w in found.warnings}


def top_customer_nps(board: Board) -> Panel:
    """NPS of the ten customers with the most revenue in the period."""
    top = [r for r in board.query("revenue", by=("customer",), sort="-value", limit=10)]
    keys = names(top, "customer")
    nps = (
        {
            str(r["customer"]): r.get("value")
            for r in board.query("nps", by=("customer",), where=[("customer", keys)])
        }
        if keys
        else {}
    )
    rows = [
        {"customer": k, "revenue": r.get("value"), "nps": nps.get(k)}
        for k, r in zip(keys, top, strict=True)
    ]
    columns = [
        Column("customer", board.t("Customer")),
        Column("revenue", board.t("Revenue"), "money"),
        Column("nps", board.t("NPS"), "score"),
    ]
    return table(
        board,
        "top_customer_nps",
        board.t(titled("top_customer_nps", "NPS of the top customers")),
        columns,
        rows,
        subtitle=board.t("Ten largest customers by revenue; a dash: no response in the period"),
        href=lambda r: "?" + board.filters.query_string(customer=str(r["customer"])),
    )


# ------------------------------------------------------------------------ the loop

STATUS_COLORS = {
    "new": "#f59f00",
    "assigned": "#2f6bff",
    "resolved": "#17b3c4",
    "informed": "#12b886",
}


def loop_status(board: Board) -> Panel:
    """Where the items received in the period stand, and how many open ones are overdue."""
    f = board.filters
    counts = board.analysis(voice.loop_status, f.start, f.end, f.today)
    labels = [value_label(board, "status", s) for s in STATUS_COLORS]
    option = charts.category_chart(
        labels, [charts.Series(board.t("Items"), [counts[s] for s in STATUS_COLORS], "count")]
    )
    option["series"][0]["data"] = [
        {"value": counts[s], "key": s, "itemStyle": {"color": c}} for s, c in STATUS_COLORS.items()
    ]
    total = sum(counts[s] for s in STATUS_COLORS)
    return chart(
        board,
        "loop_status",
        board.t(titled("loop_status", "The feedback loop")),
        option,
        subtitle=board.t(
            "{n} items received in the period; {late} open ones overdue",
            n=total,
            late=counts["overdue"],
        ),
        empty=not total,
    ) | {"overdue": counts["overdue"]}


def open_items(board: Board) -> Panel:
    """Open items (new and assigned), overdue first: the work list of the loop."""
    f = board.filters
    total, items = list_items(
        board.engine,
        scope=board.scope,
        where=dict(f.where),
        start=f.start,
        end=f.end,
        status=("new", "assigned"),
        limit=20,
        today=f.today,
    )
    rows = [
        i
        | {
            "status_label": value_label(board, "status", i["status"]),
            "priority": value_label(board, "priority", i["priority"] or ""),
            "due": (f"⚠ {i['due_on']}" if i["overdue"] else i["due_on"]),
            "category_label": value_label(board, "category", i["category"] or "")
            if i["category"]
            else "",
        }
        for i in items
    ]
    columns = [
        Column("external_id", board.t("ID")),
        Column("received_on", board.t("Received")),
        Column("customer", board.t("Customer")),
        Column("nps", board.t("NPS"), "number"),
        Column("priority", board.t("Priority")),
        Column("status_label", board.t("Status")),
        Column("assignee", board.t("Assignee")),
        Column("due", board.t("Due")),
        Column("text", board.t("Text")),
    ]
    return table(
        board,
        "open_items",
        board.t(titled("open_items", "Open feedback, overdue first")),
        columns,
        rows,
        subtitle=board.t("{n} open items; click one to assign, resolve or inform", n=total),
        sel=lambda r: str(r["id"]),
    )


def open_item_records(board: Board, sel: str | None) -> RecordSet:
    f = board.filters
    _, items = list_items(
        board.engine, scope=board.scope, where=dict(f.where), start=f.start, end=f.end,
        status=("new", "assigned"), limit=RECORDS_LIMIT, today=f.today,
    )  # fmt: skip
    columns = [
        Column("external_id", board.t("ID")),
        Column("received_on", board.t("Received")),
        Column("customer", board.t("Customer")),
        Column("channel", board.t("Channel")),
        Column("nps", board.t("NPS"), "number"),
        Column("priority", board.t("Priority")),
        Column("status", board.t("Status")),
        Column("assignee", board.t("Assignee")),
        Column("due_on", board.t("Due")),
        Column("overdue", board.t("Overdue")),
        Column("text", board.t("Text")),
    ]
    shown = [
        i | {"status": value_label(board, "status", i["status"]),
             "priority": value_label(board, "priority", i["priority"] or ""),
             "overdue": board.t("yes") if i["overdue"] else ""}
        for i in items
    ]  # fmt: skip
    return from_rows(board.t("Open feedback, overdue first"), shown, columns)


PAGE = PageSpec(
    id="voice",
    title="Customer voice",
    cards=CARDS,
    panels=(
        PanelSpec("nps_trend", nps_trend, records_of("nps", "NPS and CSAT over time")),
        PanelSpec("score_distribution", score_distribution, score_records),
        PanelSpec("nps_by_region", nps_by_region, records_of("nps", "NPS by region")),
        PanelSpec("nps_by_channel", nps_by_channel, records_of("nps", "NPS by feedback channel")),
        PanelSpec("nps_by_segment", nps_by_segment, records_of("nps", "NPS by customer segment")),
        PanelSpec("nps_by_rep", nps_by_rep, records_of("nps", "NPS by sales rep")),
        PanelSpec("categories", categories, records_of("nps", "Feedback by category")),
        PanelSpec(
            "topics",
            topics_panel,
            topic_records,
            lazy=True,
            title="Topics in the customers' words",
        ),
        PanelSpec(
            "topics_compare",
            topics_compare,
            topic_records,
            lazy=True,
            title="What detractors and promoters talk about",
        ),
        PanelSpec(
            "detractor_revenue",
            detractor_revenue,
            records_of("nps", "Detractors and their revenue"),
            lazy=True,
            title="Detractors and their revenue",
            kind="table",
        ),
        PanelSpec(
            "top_customer_nps", top_customer_nps, records_of("nps", "NPS of the top customers")
        ),
        PanelSpec("loop_status", loop_status, open_item_records),
        PanelSpec("open_items", open_items, open_item_records),
    ),
    layout=(
        ("nps_trend", 8, ""),
        ("score_distribution", 4, ""),
        ("nps_by_region", 4, ""),
        ("nps_by_channel", 4, ""),
        ("nps_by_segment", 4, ""),
        ("topics", 6, "tall"),
        ("topics_compare", 6, "tall"),
        ("categories", 4, ""),
        ("loop_status", 4, ""),
        ("top_customer_nps", 4, ""),
        ("open_items", 12, ""),
        ("detractor_revenue", 7, ""),
        ("nps_by_rep", 5, ""),
    ),
)
