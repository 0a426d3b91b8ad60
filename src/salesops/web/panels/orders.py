"""订单与销售额 Orders & revenue: trend by a chosen grain, composition, AOV, top customers and
products."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from salesops.web import charts
from salesops.web.board import Board
from salesops.web.panels.base import PageSpec, Panel, PanelSpec, chart, table, titled
from salesops.web.panels.common import breakdown_panel, names, period_drill, records_of
from salesops.web.panels.forecast_overlay import stored_forecast
from salesops.web.panels.trend import aligned, by_label, mark_to_date, period_labels
from salesops.web.records import Column

CARDS = (
    "revenue",
    "orders",
    "aov",
    "gross_profit",
    "gross_margin",
    "active_customers",
    "new_customers",
    "repeat_rate",
)


def orders_trend(board: Board) -> Panel:
    """Revenue (bars), orders and average order value (lines) by the chosen grain."""
    f = board.filters
    grain = f.trend_grain
    labels = period_labels(f.start, f.end, grain)
    revenue = aligned(by_label(board.query("revenue", grain=grain)), labels, True, f.end)
    orders = aligned(by_label(board.query("orders", grain=grain)), labels, True, f.end)
    aov = aligned(by_label(board.query("aov", grain=grain)), labels, False, f.end)
    option = charts.category_chart(
        labels,
        [
            charts.Series(board.t("Revenue"), revenue, "money"),
            charts.Series(
                board.t("Average order value"),
                aov,
                "money",
                kind="line",
                axis=0,
                color="#f59f00",
            ),
            charts.Series(
                board.t("Orders"),
                orders,
                "count",
                kind="line",
                axis=1,
                color="#17b3c4",
            ),
        ],
    )
    option["grain"] = grain
    to_date = mark_to_date(board, option, labels, f.end, grain)
    subtitle = board.t(
        "By {grain}; click a period to focus on it", grain=board.t(GRAIN_LABELS[grain])
    )
    return chart(
        board,
        "orders_trend",
        board.t(titled("orders_trend", "Revenue, orders and AOV")),
        option,
        subtitle=f"{subtitle} · {to_date}" if to_date else subtitle,
        empty=not any(revenue),
        drill=period_drill(labels),
    ) | {"grains": _grain_links(board)}


GRAIN_LABELS = {
    "day": "day",
    "week": "week",
    "month": "month",
    "quarter": "quarter",
    "year": "year",
    "fiscal_quarter": "quarter",
    "fiscal_year": "year",
}


def _grain_links(board: Board) -> list[dict[str, Any]]:
    return [
        {
            "grain": g,
            "label": board.t(GRAIN_LABELS[g]),
            "href": "?" + board.filters.query_string(grain=g),
            "on": board.filters.trend_grain == g,
        }
        for g in ("day", "week", "month", "quarter", "year")
    ]


def by_product_line(board: Board) -> Panel:
    return breakdown_panel(
        board,
        "orders_by_product_line",
        board.t(titled("orders_by_product_line", "Revenue by product line")),
        "revenue",
        "product_line",
        style="donut",
    )


def by_region(board: Board) -> Panel:
    return breakdown_panel(
        board,
        "orders_by_region",
        board.t(titled("orders_by_region", "Revenue by region")),
        "revenue",
        "region",
    )


def by_channel(board: Board) -> Panel:
    return breakdown_panel(
        board,
        "orders_by_channel",
        board.t(titled("orders_by_channel", "Revenue by channel")),
        "revenue",
        "channel",
        style="donut",
    )


def by_segment(board: Board) -> Panel:
    return breakdown_panel(
        board,
        "orders_by_segment",
        board.t(titled("orders_by_segment", "Revenue by customer segment")),
        "revenue",
        "segment",
    )


def aov_by_channel(board: Board) -> Panel:
    return breakdown_panel(
        board,
        "aov_by_channel",
        board.t(titled("aov_by_channel", "Average order value by channel")),
        "aov",
        "channel",
    )


def _top(board: Board, dim: str, extra: tuple[str, ...]) -> list[dict[str, Any]]:
    """The ten largest ``dim`` values by revenue, with more KPIs for the same ten."""
    top = [r for r in board.query("revenue", by=(dim,), sort="-value", limit=10) if r.get("value")]
    keys = names(top, dim)
    rows = [{"name": k, "revenue": r.get("value")} for k, r in zip(keys, top, strict=True)]
    if not keys:
        return rows
    for metric in extra:
        got = {
            str(r.get(dim)): r.get("value")
            for r in board.query(metric, by=(dim,), where=[(dim, keys)])
        }
        for row in rows:
            row[metric] = got.get(str(row["name"]))
    return rows


def top_customers(board: Board) -> Panel:
    rows = _top(board, "customer", ("orders", "aov", "gross_margin"))
    columns = [
        Column("name", board.t("Customer")),
        Column("revenue", board.t("Revenue"), "money"),
        Column("orders", board.t("Orders"), "count"),
        Column("aov", board.t("AOV"), "money"),
        Column("gross_margin", board.t("Gross margin"), "ratio"),
    ]
    return table(
        board,
        "top_customers",
        board.t(titled("top_customers", "Top customers")),
        columns,
        rows,
        subtitle=board.t("By revenue in the period"),
        href=lambda r: "/customers/find?" + urlencode({"name": str(r["name"])}),
    )


def top_products(board: Board) -> Panel:
    rows = _top(board, "product", ("gross_margin",))
    columns = [
        Column("name", board.t("Product")),
        Column("revenue", board.t("Revenue"), "money"),
        Column("gross_margin", board.t("Gross margin"), "ratio"),
    ]
    return table(
        board,
        "top_products",
        board.t(titled("top_products", "Top products")),
        columns,
        rows,
        subtitle=board.t("By revenue in the period"),
        href=lambda r: "?" + board.filters.query_string(product=str(r["name"])),
    )


PAGE = PageSpec(
    id="orders",
    title="Orders & revenue",
    cards=CARDS,
    panels=(
        PanelSpec(
            "orders_trend",
            orders_trend,
            records_of("revenue", "Revenue, orders and AOV"),
            finish=stored_forecast("revenue"),
        ),
        PanelSpec(
            "orders_by_product_line",
            by_product_line,
            records_of("revenue", "Revenue by product line"),
        ),
        PanelSpec("orders_by_region", by_region, records_of("revenue", "Revenue by region")),
        PanelSpec("orders_by_channel", by_channel, records_of("revenue", "Revenue by channel")),
        PanelSpec(
            "orders_by_segment", by_segment, records_of("revenue", "Revenue by customer segment")
        ),
        PanelSpec(
            "aov_by_channel", aov_by_channel, records_of("orders", "Average order value by channel")
        ),
        PanelSpec("top_customers", top_customers, records_of("revenue", "Top customers")),
        PanelSpec("top_products", top_products, records_of("revenue", "Top products")),
    ),
    layout=(
        ("orders_trend", 12, "tall"),
        ("orders_by_product_line", 4, ""),
        ("orders_by_channel", 4, ""),
        ("orders_by_region", 4, ""),
        ("orders_by_segment", 4, ""),
        ("aov_by_channel", 4, ""),
        ("top_products", 4, ""),
        ("top_customers", 12, ""),
    ),
)
