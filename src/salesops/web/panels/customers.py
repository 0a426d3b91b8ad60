"""客户 Customers: value tiers, RFM matrix, lifecycle, churn warnings, credit and overdue
receivables, cohort retention. Every number comes from ``salesops.analysis`` or the engine."""

from __future__ import annotations

from typing import Any

from salesops.analysis.churn import churn_warnings
from salesops.analysis.lifecycle import STAGES, lifecycle
from salesops.analysis.rfm import SEGMENTS, rfm
from salesops.analysis.tiers import value_tiers
from salesops.metrics.engagement import BAND_IDS
from salesops.web import charts
from salesops.web.board import Board
from salesops.web.formatting import format_value
from salesops.web.panels import customers_credit
from salesops.web.panels.base import PageSpec, Panel, PanelSpec, chart, table, titled
from salesops.web.panels.common import breakdown_panel, records_of, value_label
from salesops.web.records import RECORDS_LIMIT, Column, RecordSet, from_rows

CARDS = (
    "active_customers",
    "new_customers",
    "repeat_rate",
    "retention_rate",
    "clv",
    "collection_rate",
    "overdue_receivables",
)

TIER_COLORS = {"A": "#2f6bff", "B": "#17b3c4", "C": "#c3cad8"}
BAND_COLORS = {"high": "#2f6bff", "medium": "#17b3c4", "low": "#f59f00", "none": "#c3cad8"}
STAGE_COLORS = {
    "potential": "#a5b4fc",
    "new": "#12b886",
    "active": "#2f6bff",
    "dormant": "#f59f00",
    "churned": "#f0574b",
}


def _zh(board: Board) -> bool:
    return board.locale.startswith("zh")


def _as_of(board: Board) -> Any:
    return board.filters.end


# ------------------------------------------------------------------------ tiers


def tiers_panel(board: Board) -> Panel:
    """Customers and revenue share per ABC tier (trailing 12 months to the period end)."""
    result = board.analysis(value_tiers, as_of=_as_of(board), limit=0)
    names = [t.name_zh if _zh(board) else t.name_en for t in result.tiers]
    option = charts.category_chart(
        names,
        [
            charts.Series(board.t("Customers"), [t.customers for t in result.tiers], "count"),
            charts.Series(
                board.t("Revenue share"),
                [t.revenue_share for t in result.tiers],
                "ratio",
                kind="line",
                axis=1,
                color="#f59f00",
                symbol=True,
            ),
        ],
    )
    # Each bar coloured by its tier; ``key`` is what a click drills into.
    option["series"][0]["data"] = [
        {"value": t.customers, "key": t.tier, "itemStyle": {"color": TIER_COLORS[t.tier]}}
        for t in result.tiers
    ]
    return chart(
        board,
        "tiers",
        board.t(titled("tiers", "Value tiers (ABC)")),
        option,
        subtitle=board.t(
            "Revenue {start} to {end}: A = top 80%, B = next 15%, C = the rest",
            start=result.window_start.isoformat(),
            end=result.window_end.isoformat(),
        ),
        empty=result.customers == 0,
        drill={"kind": "records"},
    )


def tiers_records(board: Board, sel: str | None) -> RecordSet:
    result = board.analysis(value_tiers, as_of=_as_of(board))
    rows = [r.model_dump() for r in result.rows if sel in (None, "", r.tier)]
    columns = [
        Column("rank", "#"),
        Column("customer", board.t("Customer")),
        Column("tier", board.t("Tier")),
        Column("revenue", board.t("Revenue (12 months)"), "money"),
        Column("orders", board.t("Orders"), "count"),
        Column("share", board.t("Share"), "ratio"),
        Column("cumulative_share", board.t("Cumulative share"), "ratio"),
        Column("last_order_on", board.t("Last order")),
    ]
    return from_rows(board.t("Value tiers (ABC)"), rows, columns, limit=RECORDS_LIMIT)


# ------------------------------------------------------------------------ RFM

#: The matrix: rows R high / low, columns (F, M) high-high, low-high, high-low, low-low.
RFM_GRID = (
    ("important_value", "important_develop", "general_value", "general_develop"),
    ("important_keep", "important_win_back", "general_keep", "general_win_back"),
)


def rfm_panel(board: Board) -> Panel:
    """The eight RFM segments as a 2×4 matrix of customer counts."""
    result = board.analysis(rfm, as_of=_as_of(board), limit=0)
    by_id = {s.segment: s for s in result.segments}
    x = [
        board.t("F high · M high"),
        board.t("F low · M high"),
        board.t("F high · M low"),
        board.t("F low · M low"),
    ]
    y = [board.t("Recent (R high)"), board.t("Lapsed (R low)")]
    cells: list[list[Any]] = []
    for j, row in enumerate(RFM_GRID):
        for i, seg in enumerate(row):
            s = by_id.get(seg)
            name = SEGMENTS[seg][0] if _zh(board) else SEGMENTS[seg][1]
            cells.append([x[i], y[j], s.customers if s else 0, name, seg])
    option = charts.heatmap(x, y, [], "count", name=board.t("Customers"))
    counts = [float(c[2]) for c in cells]
    option["series"][0]["data"] = charts.heat_cells(cells, [0.0, *counts])
    option["visualMap"]["min"] = 0
    option["visualMap"]["max"] = max(counts, default=1) or 1
    return chart(
        board,
        "rfm",
        board.t(titled("rfm", "RFM segments")),
        option,
        subtitle=board.t(
            "Customers per segment, as of {date}; click a cell for the list",
            date=result.as_of.isoformat(),
        ),
        empty=result.customers == 0,
        drill={"kind": "records", "index": 4},
    )


def rfm_records(board: Board, sel: str | None) -> RecordSet:
    result = board.analysis(rfm, as_of=_as_of(board), segment=sel or None)
    rows = []
    for r in result.rows:
        row = r.model_dump()
        row["segment_name"] = SEGMENTS[r.segment][0] if _zh(board) else SEGMENTS[r.segment][1]
        rows.append(row)
    columns = [
        Column("customer", board.t("Customer")),
        Column("segment_name", board.t("Segment")),
        Column("rfm", "RFM"),
        Column("recency_days", board.t("Days since last order"), "count"),
        Column("frequency", board.t("Orders (12 months)"), "count"),
        Column("monetary", board.t("Revenue (12 months)"), "money"),
        Column("last_order_on", board.t("Last order")),
    ]
    return from_rows(board.t("RFM segments"), rows, columns, limit=RECORDS_LIMIT)


# ------------------------------------------------------------------------ lifecycle


def lifecycle_panel(board: Board) -> Panel:
    """Customers per lifecycle stage, each bar split by engagement band (issue #28): a click
    on a part lists that stage's customers of that band."""
    result = board.analysis(lifecycle, as_of=_as_of(board), limit=0)
    names = [s.name_zh if _zh(board) else s.name_en for s in result.stages]
    option = charts.category_chart(
        names,
        [
            charts.Series(
                board.t(value_label(board, "engagement_band", b)),
                [s.bands[b] for s in result.stages],
                "count",
                stack="bands",
                color=BAND_COLORS[b],
            )
            for b in BAND_IDS
        ],
    )
    for series, b in zip(option["series"], BAND_IDS, strict=True):
        # ``key`` is what a click lists: the stage's customers of the band
        series["data"] = [{"value": s.bands[b], "key": f"{s.stage}:{b}"} for s in result.stages]
    return chart(
        board,
        "lifecycle",
        board.t(titled("lifecycle", "Lifecycle stages")),
        option,
        subtitle=board.t(
            "Customers per stage and engagement band as of {date}; {count} cooling",
            date=result.as_of.isoformat(),
            count=f"{result.cooling:,}",
        ),
        empty=result.customers == 0,
        drill={"kind": "records"},
    )


def _lifecycle_rows(board: Board, result: Any) -> list[dict[str, Any]]:
    rows = []
    for r in result.rows:
        row = r.model_dump()
        row["stage_name"] = STAGES[r.stage][0] if _zh(board) else STAGES[r.stage][1]
        row["band_name"] = value_label(board, "engagement_band", r.engagement_band)
        row["cooling_text"] = board.t("Cooling") if r.cooling else ""
        rows.append(row)
    return rows


def lifecycle_records(board: Board, sel: str | None) -> RecordSet:
    """A stage's customers (``sel``: ``stage``, ``stage:band`` or ``cooling``)."""
    stage_text, _, band_text = (sel or "").partition(":")
    stage = stage_text if stage_text in STAGES else None
    band = band_text if band_text in BAND_IDS else None
    cooling = sel == "cooling"
    result = board.analysis(lifecycle, as_of=_as_of(board), stage=stage, band=band, cooling=cooling)
    columns = [
        Column("customer", board.t("Customer")),
        Column("stage_name", board.t("Stage")),
        Column("band_name", board.t("Engagement band")),
        Column("engagement_score", board.t("Engagement score"), "number"),
        Column("engagement_score_before", board.t("Engagement 90 days before"), "number"),
        Column("cooling_text", board.t("Cooling")),
        Column("first_order_on", board.t("First order")),
        Column("last_order_on", board.t("Last order")),
        Column("days_since_last_order", board.t("Days since last order"), "count"),
        Column("orders", board.t("Orders"), "count"),
        Column("opportunities", board.t("Opportunities"), "count"),
    ]
    rows = _lifecycle_rows(board, result)
    return from_rows(board.t("Lifecycle stages"), rows, columns, limit=RECORDS_LIMIT)


def cooling_panel(board: Board) -> Panel:
    """Customers still buying (new, active) whose engagement is low or none and has fallen
    over 90 days: the ones to call before they go dormant (issue #28)."""
    result = board.analysis(lifecycle, as_of=_as_of(board), cooling=True, limit=12)
    rows = _lifecycle_rows(board, result)
    columns = [
        Column("customer", board.t("Customer")),
        Column("stage_name", board.t("Stage")),
        Column("engagement_score", board.t("Engagement score"), "number"),
        Column("engagement_score_before", board.t("Engagement 90 days before"), "number"),
        Column("last_order_on", board.t("Last order")),
    ]
    return table(
        board,
        "cooling",
        board.t(titled("cooling", "Cooling customers")),
        columns,
        rows,
        subtitle=board.t(
            "{count} customers still buying whose engagement is low and fell since {date}",
            count=f"{result.cooling:,}",
            date=result.engagement_before.isoformat(),
        ),
        href=lambda r: f"/customers/{r['customer_id']}",
    )


def cooling_records(board: Board, sel: str | None) -> RecordSet:
    return lifecycle_records(board, "cooling")


# ------------------------------------------------------------------------ engagement bands


def _band_rows(board: Board) -> list[dict[str, Any]]:
    """Per engagement band: the customer base, active customers and revenue in the period
    (the metrics engine, by ``engagement_band``) and churn warnings (issue #28)."""
    from salesops.customers.engagement import band_counts, engagement

    as_of = _as_of(board)
    with board.engine.connect() as conn:
        base = band_counts(conn, as_of, board.scope, board.filters.where)
    active, revenue = board.query_many(
        ("active_customers", {"by": ("engagement_band",)}),
        ("revenue", {"by": ("engagement_band",)}),
    )
    warned = board.analysis(churn_warnings, as_of=as_of, limit=None)
    ids = [w.customer_id for w in warned.warnings]
    with board.engine.connect() as conn:
        scored = engagement(conn, ids, as_of, board.scope)
    warnings = {b: 0 for b in BAND_IDS}
    at_risk = {b: 0.0 for b in BAND_IDS}
    for w in warned.warnings:
        b = scored[w.customer_id].band
        warnings[b] += 1
        at_risk[b] += float(w.trailing_revenue or 0)
    act = {r.get("engagement_band"): r.get("value") for r in active}
    rev = {r.get("engagement_band"): r.get("value") for r in revenue}
    total = sum(float(v or 0) for v in rev.values())
    return [
        {
            "band": b,
            "band_name": value_label(board, "engagement_band", b),
            "customers": base[b],
            "active_customers": act.get(b) or 0,
            "revenue": rev.get(b) or 0,
            "revenue_share": (float(rev.get(b) or 0) / total) if total else None,
            "churn_warnings": warnings[b],
            "revenue_at_risk": at_risk[b],
        }
        for b in BAND_IDS
    ]


def _band_columns(board: Board) -> list[Column]:
    return [
        Column("band_name", board.t("Engagement band")),
        Column("customers", board.t("Customers"), "count"),
        Column("active_customers", board.t("Active customers"), "count"),
        Column("revenue", board.t("Revenue"), "money"),
        Column("revenue_share", board.t("Share"), "ratio"),
        Column("churn_warnings", board.t("Churn warnings"), "count"),
    ]


def engagement_panel(board: Board) -> Panel:
    """The customer base by engagement band; a row filters the whole board by its band."""
    rows = _band_rows(board)
    return table(
        board,
        "engagement_bands",
        board.t(titled("engagement_bands", "Customer base by engagement band")),
        _band_columns(board),
        rows,
        subtitle=board.t(
            "Engagement as of {date}: high ≥ 60, medium ≥ 30, low > 0; click a band to filter",
            date=_as_of(board).isoformat(),
        ),
        href=lambda r: "?" + board.filters.query_string(engagement_band=r["band"]),
    )


def engagement_records(board: Board, sel: str | None) -> RecordSet:
    """The customers of the base (``sel``: one band) with their scores."""
    from salesops.customers.engagement import customer_bands

    band = sel if sel in BAND_IDS else None
    with board.engine.connect() as conn:
        found = customer_bands(
            conn,
            _as_of(board),
            board.scope,
            board.filters.where,
            band=band,
            limit=RECORDS_LIMIT + 1,
        )
    rows = [
        {
            "customer": c.customer,
            "score": c.score,
            "band_name": value_label(board, "engagement_band", c.band),
            "interactions": c.interactions,
        }
        for c in found
    ]
    columns = [
        Column("customer", board.t("Customer")),
        Column("score", board.t("Engagement score"), "number"),
        Column("band_name", board.t("Engagement band")),
        Column("interactions", board.t("Interactions (365 days)"), "count"),
    ]
    title = board.t("Customer base by engagement band")
    return from_rows(title, rows, columns, limit=RECORDS_LIMIT)


# ------------------------------------------------------------------------ churn


def reason_text(board: Board, reason: str, params: dict[str, Any]) -> str:
    """One churn reason with its numbers, in the board's language."""
    if reason == "revenue_drop":
        return board.t(
            "Revenue down {drop} in {days} days ({previous} → {current})",
            drop=format_value(params.get("drop"), "ratio", board.locale),
            days=params.get("window_days"),
            previous=board.fmt(params.get("previous"), "money"),
            current=board.fmt(params.get("current"), "money"),
        )
    if reason == "order_drop":
        return board.t(
            "Orders down {drop} in {days} days ({previous} → {current})",
            drop=format_value(params.get("drop"), "ratio", board.locale),
            days=params.get("window_days"),
            previous=params.get("previous"),
            current=params.get("current"),
        )
    return board.t(
        "No order or contact for {days} days (usually every {interval} days)",
        days=params.get("days_silent"),
        interval=format_value(params.get("usual_interval_days"), "number", board.locale),
    )


def follow_up_text(board: Board, task: Any) -> str:
    """What a warning shows of the task that follows it up (issue #28)."""
    if task is None:
        return board.t("Not followed up")
    if task.status == "done":
        return board.t("Followed up: {result}", result=task.result or "")
    if task.status == "cancelled":
        return board.t("Follow-up cancelled")
    due = task.due_on.isoformat() if task.due_on else "–"
    return board.t("Task open, due {date}", date=due)


def _follow_ups(board: Board, customer_ids: list[int]) -> dict[int, Any]:
    from salesops.customers.tasks import latest_by_customer

    with board.engine.connect() as conn:
        return latest_by_customer(conn, "churn_warning", customer_ids)


def _churn_rows(board: Board, limit: int | None) -> tuple[list[dict[str, Any]], Any]:
    result = board.analysis(churn_warnings, as_of=_as_of(board), limit=limit)
    follow = _follow_ups(board, [w.customer_id for w in result.warnings])
    rows = [
        {
            "customer_id": w.customer_id,
            "follow_up": follow_up_text(board, follow.get(w.customer_id)),
            "customer": w.customer,
            "trailing_revenue": w.trailing_revenue,
            "last_order_on": w.last_order_on,
            "last_activity_on": w.last_activity_on,
            "reasons": "；".join(reason_text(board, r.reason, dict(r.params)) for r in w.reasons)
            if _zh(board)
            else "; ".join(reason_text(board, r.reason, dict(r.params)) for r in w.reasons),
        }
        for w in result.warnings
    ]
    return rows, result


def churn_panel(board: Board) -> Panel:
    rows, result = _churn_rows(board, 12)
    columns = [
        Column("customer", board.t("Customer")),
        Column("trailing_revenue", board.t("Revenue (12 months)"), "money"),
        Column("last_order_on", board.t("Last order")),
        Column("reasons", board.t("Why")),
        Column("follow_up", board.t("Follow-up")),
    ]
    panel = table(
        board,
        "churn_warnings",
        board.t(titled("churn_warnings", "Churn warnings")),
        columns,
        rows,
        subtitle=board.t(
            "{count} customers at risk, {revenue} revenue in the last 12 months",
            count=f"{result.warnings_count:,}",
            revenue=board.fmt(result.revenue_at_risk, "money"),
        ),
        href=lambda r: f"/customers/{r['customer_id']}?from=churn_warning",
    )
    panel["table"]["columns"][3]["cls"] = "wrap"
    panel["table"]["columns"][4]["cls"] = "wrap"
    return panel


def churn_records(board: Board, sel: str | None) -> RecordSet:
    rows, _ = _churn_rows(board, None)
    columns = [
        Column("customer", board.t("Customer")),
        Column("trailing_revenue", board.t("Revenue (12 months)"), "money"),
        Column("last_order_on", board.t("Last order")),
        Column("last_activity_on", board.t("Last activity")),
        Column("reasons", board.t("Why")),
        Column("follow_up", board.t("Follow-up")),
    ]
    return from_rows(board.t("Churn warnings"), rows, columns, limit=RECORDS_LIMIT)


def by_industry(board: Board) -> Panel:
    return breakdown_panel(
        board,
        "customers_by_industry",
        board.t(titled("customers_by_industry", "Active customers by industry")),
        "active_customers",
        "industry",
    )


PAGE = PageSpec(
    id="customers",
    title="Customers",
    cards=CARDS,
    panels=(
        PanelSpec("tiers", tiers_panel, tiers_records),
        PanelSpec("rfm", rfm_panel, rfm_records),
        PanelSpec("lifecycle", lifecycle_panel, lifecycle_records),
        # issue #28: engagement as a band of the customer base, and in the lifecycle
        PanelSpec(
            "engagement_bands",
            engagement_panel,
            engagement_records,
            lazy=True,
            title="Customer base by engagement band",
            kind="table",
        ),
        PanelSpec(
            "cooling",
            cooling_panel,
            cooling_records,
            lazy=True,
            title="Cooling customers",
            kind="table",
        ),
        # The churn and credit analyses read every customer's orders and payments: built
        # beside the page (see PanelSpec.lazy) rather than before it is shown.
        PanelSpec(
            "churn_warnings",
            churn_panel,
            churn_records,
            lazy=True,
            title="Churn warnings",
            kind="table",
        ),
        PanelSpec(
            "credit",
            customers_credit.credit_panel,
            customers_credit.credit_records,
            lazy=True,
            title="Credit grades",
        ),
        PanelSpec(
            "ageing",
            customers_credit.ageing_panel,
            customers_credit.credit_records,
            lazy=True,
            title="Overdue receivables ageing",
        ),
        PanelSpec(
            "overdue",
            customers_credit.overdue_panel,
            customers_credit.credit_records,
            lazy=True,
            title="Most overdue customers",
            kind="table",
        ),
        PanelSpec("cohorts", customers_credit.cohort_panel, customers_credit.cohort_records),
        PanelSpec(
            "customers_by_industry",
            by_industry,
            records_of("active_customers", "Active customers by industry"),
        ),
    ),
    layout=(
        ("tiers", 4, ""),
        ("rfm", 8, ""),
        ("lifecycle", 4, ""),
        ("churn_warnings", 8, ""),
        ("engagement_bands", 7, ""),
        ("cooling", 5, ""),
        ("credit", 4, ""),
        ("ageing", 4, ""),
        ("customers_by_industry", 4, ""),
        ("overdue", 12, ""),
        ("cohorts", 12, "tall"),
    ),
)
