"""总览 Overview: the KPIs a director looks at first, the revenue trend against last year and
target, and where revenue and pipeline come from."""

from __future__ import annotations

import datetime as dt

from salesops.web import charts, kpi
from salesops.web.board import Board
from salesops.web.panels.base import PageSpec, Panel, PanelSpec, chart, titled
from salesops.web.panels.common import (
    breakdown_panel,
    names,
    period_drill,
    records_of,
    values,
)
from salesops.web.panels.forecast_overlay import stored_forecast
from salesops.web.panels.trend import mark_to_date, series_with_last_year

CARDS = (
    "revenue",
    "bookings",
    "win_rate",
    "avg_deal_size",
    "new_customers",
    "collection_rate",
    "gross_margin",
    "nps",
    "open_pipeline",
    "pipeline_coverage",
)


def trend_window(board: Board) -> tuple[dt.date, dt.date, dt.date]:
    """(start, data end, axis end): a calendar period shows its whole year by month."""
    f = board.filters
    if f.target_grain is not None:
        first, last = f.year_window()
        return first, f.end, last
    return f.start, f.end, f.end


def revenue_trend(board: Board) -> Panel:
    """Revenue by period, the same periods last year, and the monthly target line."""
    start, end, axis_end = trend_window(board)
    grain = "month" if board.filters.target_grain is not None else board.filters.trend_grain
    labels, current, last = series_with_last_year(
        board, "revenue", start, end, grain, axis_end=axis_end
    )
    series = [
        charts.Series(board.t("Revenue"), current, "money", kind="bar"),
        charts.Series(
            board.t("Same period last year"),
            last,
            "money",
            kind="line",
            dashed=True,
            color="#98a2b3",
        ),
    ]
    if grain == "month" and not board.filters.where:
        targets = kpi.month_targets(board.engine, "revenue", start, axis_end, board.scope)
        if targets:
            series.append(
                charts.Series(
                    board.t("Target"),
                    [float(targets[x]) if x in targets else None for x in labels],
                    "money",
                    kind="line",
                    color="#f59f00",
                    smooth=False,
                    symbol=True,
                )
            )
    option = charts.category_chart(labels, series)
    option["grain"] = grain
    to_date = mark_to_date(board, option, labels, end, grain)
    subtitle = board.t(
        "{start} to {end}, against last year and target",
        start=labels[0] if labels else "",
        end=labels[-1] if labels else "",
    )
    return chart(
        board,
        "revenue_trend",
        board.t(titled("revenue_trend", "Revenue trend")),
        option,
        subtitle=f"{subtitle} · {to_date}" if to_date else subtitle,
        empty=all(v is None for v in current) and all(v is None for v in last),
        drill=period_drill(labels),
    )


def revenue_by_region(board: Board) -> Panel:
    return breakdown_panel(
        board,
        "revenue_by_region",
        board.t(titled("revenue_by_region", "Revenue by region")),
        "revenue",
        "region",
    )


def revenue_by_product_line(board: Board) -> Panel:
    return breakdown_panel(
        board,
        "revenue_by_product_line",
        board.t(titled("revenue_by_product_line", "Revenue by product line")),
        "revenue",
        "product_line",
        style="donut",
    )


def top_reps(board: Board) -> Panel:
    """The ten reps with most revenue; a click opens the rep's page."""
    rows = [
        r
        for r in board.query("revenue", by=("rep",), sort="-value", limit=10)
        if r.get("value") is not None
    ]
    rep_names = names(rows, "rep")
    option = charts.ranked_bars(rep_names, values(rows), "money", name=board.t("Revenue"))
    urls = {name: "/team/rep?" + board.filters.query_string(rep=name) for name in rep_names}
    return chart(
        board,
        "top_reps",
        board.t(titled("top_reps", "Top sales reps")),
        option,
        subtitle=board.t("Revenue, top 10; click a rep for details"),
        empty=not rows,
        drill={"kind": "link", "urls": urls},
    )


def pipeline_by_stage(board: Board) -> Panel:
    """Open pipeline (at the period end) by stage, in stage order."""
    rows = board.query("open_pipeline", by=("stage",), as_of=board.filters.end)
    rows = [r for r in rows if r.get("value")]
    option = charts.category_chart(
        names(rows, "stage"),
        [charts.Series(board.t("Open pipeline"), values(rows), "money", kind="bar")],
        legend=False,
    )
    return chart(
        board,
        "pipeline_by_stage",
        board.t(titled("pipeline_by_stage", "Open pipeline by stage")),
        option,
        subtitle=board.t("Open at {date}", date=board.filters.end.isoformat()),
        empty=not rows,
        drill={
            "kind": "link",
            "urls": {
                n: "/pipeline?" + board.filters.query_string(stage=n) for n in names(rows, "stage")
            },
        },
    )


PAGE = PageSpec(
    id="overview",
    title="Overview",
    cards=CARDS,
    panels=(
        PanelSpec(
            "revenue_trend",
            revenue_trend,
            records_of("revenue", "Revenue trend"),
            finish=stored_forecast("revenue"),
        ),
        PanelSpec(
            "revenue_by_region", revenue_by_region, records_of("revenue", "Revenue by region")
        ),
        PanelSpec(
            "revenue_by_product_line",
            revenue_by_product_line,
            records_of("revenue", "Revenue by product line"),
        ),
        PanelSpec("top_reps", top_reps, records_of("revenue", "Top sales reps")),
        PanelSpec(
            "pipeline_by_stage",
            pipeline_by_stage,
            records_of("open_pipeline", "Open pipeline by stage"),
        ),
    ),
    layout=(
        ("revenue_trend", 8, "tall"),
        ("revenue_by_product_line", 4, "tall"),
        ("revenue_by_region", 4, ""),
        ("pipeline_by_stage", 4, ""),
        ("top_reps", 4, ""),
    ),
)
