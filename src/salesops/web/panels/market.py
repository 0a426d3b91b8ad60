"""市场与渠道 Market & channels: market share and its trend, growth against the market,
penetration, a China map, competitors, and the economics of each acquisition channel (CAC, ROI,
CLV/CAC) with a recommendation per channel. Every number comes from the metrics engine.

Market sizes are usually yearly: share and penetration are read over the calendar year(s) the
board's period falls in (a year in progress shows its share to date, said on the panel).
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from salesops.web import charts
from salesops.web.board import Board, Row
from salesops.web.formatting import format_change, plain
from salesops.web.panels.base import PageSpec, Panel, PanelSpec, chart, table, titled
from salesops.web.panels.common import names, period_drill, records_of, values
from salesops.web.panels.geo import provinces_of
from salesops.web.records import Column

#: ROI and CLV/CAC read every order line of new customers (about a third of a second each on
#: the medium demo): they are in the channel economics table, built after the page is shown.
CARDS = (
    "market_share",
    "penetration",
    "marketing_spend",
    "new_customers",
    "cac",
    "leads",
    "lead_conversion",
    "win_rate",
)


def _years(board: Board) -> tuple[dt.date, dt.date]:
    """The calendar years the board's period falls in (market sizes are yearly)."""
    f = board.filters
    return dt.date(f.start.year, 1, 1), dt.date(f.end.year, 12, 31)


def _year_note(board: Board) -> str:
    start, end = _years(board)
    label = str(start.year) if start.year == end.year else f"{start.year}–{end.year}"
    if end > board.filters.today:
        return board.t("Calendar year {years}, to date", years=label)
    return board.t("Calendar year {years}", years=label)


# ------------------------------------------------------------------------ market share


def share_trend(board: Board) -> Panel:
    """Revenue against market size by year, and the share (line): up to five years."""
    end_year = board.filters.end.year
    start = dt.date(end_year - 4, 1, 1)
    end = dt.date(end_year, 12, 31)
    revenue, size, share = board.query_many(
        ("revenue", {"grain": "year", "start": start, "end": end}),
        ("market_size", {"grain": "year", "start": start, "end": end}),
        ("market_share", {"grain": "year", "start": start, "end": end}),
    )
    by_rev = {str(r["period"]): plain(r.get("value")) for r in revenue}
    by_size = {str(r["period"]): plain(r.get("value")) for r in size}
    by_share = {str(r["period"]): plain(r.get("value")) for r in share}
    labels = [y for y in (str(y) for y in range(end_year - 4, end_year + 1)) if by_size.get(y)]
    sizes = [by_size.get(y) for y in labels]
    option = charts.category_chart(
        labels,
        [
            charts.Series(board.t("Revenue"), [by_rev.get(y) for y in labels], "money"),
            charts.Series(board.t("Market size"), sizes, "money", color="#c3cad8"),
            charts.Series(
                board.t("Market share"),
                [by_share.get(y) for y in labels],
                "ratio",
                kind="line",
                axis=1,
                color="#f59f00",
                symbol=True,
            ),
        ],
    )
    return chart(
        board,
        "share_trend",
        board.t(titled("share_trend", "Market share by year")),
        option,
        subtitle=board.t("Revenue over the imported market size; click a year to focus on it"),
        empty=not labels,
        drill=period_drill(labels),
    )


def growth_vs_market(board: Board) -> Panel:
    """Our revenue growth against the market's, year on year: above it we gain share."""
    end_year = board.filters.end.year
    start, end = dt.date(end_year - 4, 1, 1), dt.date(end_year, 12, 31)
    revenue, sizes = board.query_many(
        ("revenue", {"grain": "year", "start": start, "end": end}),
        ("market_size", {"grain": "year", "start": start, "end": end}),
    )
    rev = {str(r["period"]): plain(r.get("value")) for r in revenue}
    size = {str(r["period"]): plain(r.get("value")) for r in sizes if r.get("value")}
    labels, ours, market = [], [], []
    for year in range(end_year - 3, end_year + 1):
        y, p = str(year), str(year - 1)
        if y in size and p in size and rev.get(p):
            labels.append(y)
            ours.append((rev[y] or 0.0) / (rev[p] or 1.0) - 1)
            market.append((size[y] or 0.0) / (size[p] or 1.0) - 1)
    option = charts.category_chart(
        labels,
        [
            charts.Series(board.t("Our growth"), ours, "ratio"),
            charts.Series(board.t("Market growth"), market, "ratio", color="#c3cad8"),
        ],
    )
    subtitle = board.t("Revenue growth against market growth, year on year")
    if labels:
        gaining = ours[-1] >= market[-1]
        verdict = board.t("gaining share") if gaining else board.t("losing share")
        subtitle = f"{subtitle} · {labels[-1]}: {verdict}"
    return chart(
        board,
        "growth_vs_market",
        board.t(titled("growth_vs_market", "Growth against the market")),
        option,
        subtitle=subtitle,
        empty=not labels,
    )


def share_matrix(board: Board) -> Panel:
    """Market share by region × product line over the market year(s)."""
    start, end = _years(board)
    rows = [
        r
        for r in board.query("market_share", by=("region", "product_line"), start=start, end=end)
        if r.get("value") is not None
    ]
    regions = sorted({str(r["region"]) for r in rows})
    lines = sorted({str(r["product_line"]) for r in rows})
    cells = [
        (lines.index(str(r["product_line"])), regions.index(str(r["region"])), plain(r["value"]))
        for r in rows
    ]
    option = charts.heatmap(lines, regions, cells, "ratio", name=board.t("Market share"))
    return chart(
        board,
        "share_matrix",
        board.t(titled("share_matrix", "Market share by region and product line")),
        option,
        subtitle=f"{_year_note(board)} · {board.t('Click a cell for its records')}",
        empty=not rows,
        drill={"kind": "records", "index": 1, "dim": "region"},
    )


def share_by_region(board: Board) -> Panel:
    """Market share and revenue by region: every region, those outside China included."""
    start, end = _years(board)
    rows = [
        r
        for r in board.query("market_share", by=("region",), start=start, end=end, sort="-value")
        if r.get("value") is not None
    ]
    keys = names(rows, "region")
    option = charts.ranked_bars(keys, values(rows), "ratio", name=board.t("Market share"))
    return chart(
        board,
        "share_by_region",
        board.t(titled("share_by_region", "Market share by region")),
        option,
        subtitle=f"{_year_note(board)} · {board.t('Click to filter the board by region')}",
        empty=not rows,
        drill={"kind": "filter", "dim": "region"},
    )


# ------------------------------------------------------------------------ the map

MAP_COLORS = ("#e8efff", "#2f6bff")


def china_map(board: Board) -> Panel:
    """Revenue in the period by province: a sales region colours the provinces it covers; a
    click filters the board by that region. Regions without a province are listed below."""
    rows = [r for r in board.query("revenue", by=("region",), compare=True) if r.get("region")]
    data: list[dict[str, Any]] = []
    off_map: list[str] = []
    label = board.t("Revenue")
    for r in rows:
        region = str(r["region"])
        value = plain(r.get("value"))
        provinces = provinces_of(region)
        if not provinces:
            off_map.append(region)
            continue
        change = format_change(r.get("change"), board.locale)
        for province in provinces:
            tip = (
                f"{html.escape(province)} · {html.escape(region)}<br/>"
                f"{html.escape(label)} {html.escape(board.fmt(value, 'money'))}"
                f" ({html.escape(change)})"
            )
            data.append(
                {"name": province, "value": value, "key": region, "tooltip": {"formatter": tip}}
            )
    numbers = [d["value"] for d in data if d["value"] is not None]
    option: dict[str, Any] = {
        "tooltip": {"trigger": "item"},
        "visualMap": {
            "type": "continuous",
            "min": min(numbers, default=0),
            "max": max(numbers, default=1) or 1,
            "left": 8,
            "bottom": 8,
            "itemHeight": 90,
            "calculable": False,
            "inRange": {"color": list(MAP_COLORS)},
            "_unit": "money",
        },
        "series": [
            {
                "name": label,
                "type": "map",
                "map": "china",
                "roam": False,
                "layoutCenter": ["50%", "58%"],
                "layoutSize": "118%",
                "_unit": "money",
                "label": {"show": False},
                "itemStyle": {"areaColor": "#f3f5f9", "borderColor": "#fff", "borderWidth": 0.8},
                "emphasis": {"label": {"show": True}, "itemStyle": {"areaColor": "#f59f00"}},
                "select": {"disabled": True},
                "data": data,
            }
        ],
    }
    subtitle = board.t("Revenue by province of each sales region; click to filter by region")
    if off_map:
        subtitle += " · " + board.t("Not on the map: {regions}", regions=", ".join(off_map[:6]))
    return chart(
        board,
        "china_map",
        board.t(titled("china_map", "Revenue on the map of China")),
        option,
        subtitle=subtitle,
        empty=not rows,
        drill={"kind": "filter", "dim": "region"},
    ) | {"map": "china", "provinces": len(data)}


# ------------------------------------------------------------------------ penetration


def penetration(board: Board) -> Panel:
    """Active customers over target accounts by region × industry."""
    start, end = _years(board)
    rows = [
        r
        for r in board.query("penetration", by=("region", "industry"), start=start, end=end)
        if r.get("value") is not None and r.get("industry") is not None
    ]
    regions = sorted({str(r["region"]) for r in rows})
    industries = sorted({str(r["industry"]) for r in rows})
    cells = [
        (
            industries.index(str(r["industry"])),
            regions.index(str(r["region"])),
            plain(r["value"]),
        )
        for r in rows
    ]
    option = charts.heatmap(industries, regions, cells, "ratio", name=board.t("Penetration"))
    return chart(
        board,
        "penetration",
        board.t(titled("penetration", "Penetration by region and industry")),
        option,
        subtitle=(
            f"{_year_note(board)} · {board.t('Active customers / target accounts')}"
            if rows
            else board.t("Import target-account counts with the market sizes to see it")
        ),
        empty=not rows,
        drill={"kind": "filter", "dim": "region", "index": 1},
    )


# ------------------------------------------------------------------------ competitors


def _top_competitors(board: Board, n: int = 5) -> list[str]:
    """The competitors met in most closed deals in the period."""
    lost, won = board.query_many(
        ("lost_deals", {"by": ("competitor",)}), ("won_deals", {"by": ("competitor",)})
    )
    seen: dict[str, float] = {}
    for r in [*lost, *won]:
        if r.get("competitor"):
            key = str(r["competitor"])
            seen[key] = seen.get(key, 0.0) + float(r["value"] or 0)
    return [c for c, _ in sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))][:n]


def competitor_trend(board: Board) -> Panel:
    """Win rate against the five competitors met most often, by the board's grain."""
    from salesops.web.panels.trend import aligned, by_label, period_labels

    f = board.filters
    grain = f.trend_grain if f.trend_grain != "day" else "week"
    labels = period_labels(f.start, f.end, grain)
    tops = _top_competitors(board)
    rows = (
        board.query("win_rate", by=("competitor",), grain=grain, where=[("competitor", tops)])
        if tops
        else []
    )
    series = [
        charts.Series(
            competitor,
            aligned(
                by_label([r for r in rows if r.get("competitor") == competitor]),
                labels,
                False,
                f.end,
            ),
            "ratio",
            kind="line",
            symbol=True,
            color=charts_palette(i),
        )
        for i, competitor in enumerate(tops)
    ]
    option = charts.category_chart(labels, series)
    return chart(
        board,
        "competitor_trend",
        board.t(titled("competitor_trend", "Win rate against each competitor")),
        option,
        subtitle=board.t("The five competitors met most often; click a period to focus on it"),
        empty=not tops,
        drill=period_drill(labels),
    )


def charts_palette(i: int) -> str:
    return ("#2f6bff", "#17b3c4", "#f59f00", "#7b5cf0", "#f0574b", "#12b886")[i % 6]


def competitor_table(board: Board) -> Panel:
    """Per competitor: deals won and lost against it, win rate, deal size, and the region
    where we lose to it most."""
    tops = _top_competitors(board, 10)
    where = [("competitor", tops)]
    won, lost, rate, size, by_region = board.query_many(
        ("won_deals", {"by": ("competitor",), "where": where}),
        ("lost_deals", {"by": ("competitor",), "where": where}),
        ("win_rate", {"by": ("competitor",), "where": where}),
        ("avg_deal_size", {"by": ("competitor",), "where": where}),
        ("lost_deals", {"by": ("competitor", "region"), "where": where}),
    )

    def of(rows: list[Row]) -> dict[str, Any]:
        return {str(r["competitor"]): r.get("value") for r in rows}

    worst: dict[str, tuple[str, float]] = {}
    for r in by_region:
        c, v = str(r["competitor"]), float(r.get("value") or 0)
        if v and (c not in worst or v > worst[c][1]):
            worst[c] = (str(r.get("region") or "-"), v)
    w, lo, ra, si = of(won), of(lost), of(rate), of(size)
    rows = [
        {
            "competitor": c,
            "won": w.get(c),
            "lost": lo.get(c),
            "win_rate": ra.get(c),
            "avg_deal_size": si.get(c),
            "lose_most_in": worst.get(c, ("-", 0))[0],
        }
        for c in tops
    ]
    columns = [
        Column("competitor", board.t("Competitor")),
        Column("won", board.t("Won deals"), "count"),
        Column("lost", board.t("Lost deals"), "count"),
        Column("win_rate", board.t("Win rate"), "ratio"),
        Column("avg_deal_size", board.t("Average deal size"), "money"),
        Column("lose_most_in", board.t("Lost most in")),
    ]
    return table(
        board,
        "competitor_table",
        board.t(titled("competitor_table", "Where we lose to whom")),
        columns,
        rows,
        subtitle=board.t("Deals closed in the period; click a competitor to filter by it"),
        href=lambda r: "?" + board.filters.query_string(competitor=str(r["competitor"])),
    )


# ------------------------------------------------------------------------ channels


def _channels(board: Board) -> list[str]:
    spend = board.query("marketing_spend", by=("source_channel",), sort="-value")
    leads = board.query("leads", by=("source_channel",))
    found = [str(r["source_channel"]) for r in spend if r.get("source_channel")]
    found += [
        str(r["source_channel"])
        for r in leads
        if r.get("source_channel") and str(r["source_channel"]) not in found
    ]
    return found[:12]


#: Every KPI the channel panels (funnel, economics, spend mix) show by source channel. Asked of
#: the engine at once, those of one shape are one statement: the order lines of the period are
#: read once for revenue, ROI and CLV / CAC instead of once per panel (on the medium demo the
#: funnel's and the spend mix's own statements cost 0.2 s of CPU on a cold page).
CHANNEL_KPIS = (
    "marketing_spend",
    "new_customers",
    "roi",
    "clv_cac",
    "revenue",
    "leads",
    "lead_conversion",
    "new_opportunities",
    "won_deals",
    "win_rate",
)


def _by_channel(board: Board) -> dict[str, list[Row]]:
    """The rows of :data:`CHANNEL_KPIS` by source channel, and of ``cac_compare`` (CAC with
    its comparison), computed once per page for the three panels that share them."""

    def ask() -> dict[str, list[Row]]:
        by = {"by": ("source_channel",)}
        answers = board.query_many(
            *((m, by) for m in CHANNEL_KPIS), ("cac", by | {"compare": True})
        )
        return dict(zip((*CHANNEL_KPIS, "cac_compare"), answers, strict=True))

    return board.cached(("market_by_channel",), ask)


def channel_funnel(board: Board) -> Panel:
    """Leads, opportunities, won deals and revenue by source channel, with the conversion of
    each step."""
    found = _by_channel(board)
    chans = _channels(board)
    # Every channel's row of the shared answer: a channel's numbers are the same whether or
    # not the other channels are filtered out (the rows shown are those of ``chans``).
    leads, conv, opps, won, rate, revenue = (
        found[m]
        for m in ("leads", "lead_conversion", "new_opportunities", "won_deals", "win_rate",
                  "revenue")
    )  # fmt: skip

    def of(rows: list[Row]) -> dict[str, Any]:
        return {str(r["source_channel"]): r.get("value") for r in rows}

    ld, c, o, w, ra, rv = of(leads), of(conv), of(opps), of(won), of(rate), of(revenue)
    rows = [
        {
            "channel": ch,
            "leads": ld.get(ch),
            "lead_conversion": c.get(ch),
            "opportunities": o.get(ch),
            "won": w.get(ch),
            "win_rate": ra.get(ch),
            "revenue": rv.get(ch),
        }
        for ch in chans
    ]
    rows.sort(key=lambda r: -(plain(r["revenue"]) or 0))
    columns = [
        Column("channel", board.t("Source channel")),
        Column("leads", board.t("Leads"), "count"),
        Column("lead_conversion", board.t("Lead conversion"), "ratio"),
        Column("opportunities", board.t("New opportunities"), "count"),
        Column("win_rate", board.t("Win rate"), "ratio"),
        Column("won", board.t("Won deals"), "count"),
        Column("revenue", board.t("Revenue"), "money"),
    ]
    return table(
        board,
        "channel_funnel",
        board.t(titled("channel_funnel", "Channels: from lead to revenue")),
        columns,
        rows,
        subtitle=board.t("Conversion at each step by source channel; click to filter"),
        href=lambda r: "?" + board.filters.query_string(source_channel=str(r["channel"])),
    )


def advice(board: Board, cac_change: float | None, clv_cac: float | None, roi: float | None) -> str:
    """The rule behind a channel's recommendation (documented in the import guide)."""
    if clv_cac is not None and clv_cac >= 3 and (roi is None or roi >= 1):
        return board.t("scale up")
    if (clv_cac is not None and clv_cac < 1) or (roi is not None and roi < 0.3):
        return board.t("cut back or rethink")
    if cac_change is not None and cac_change > 0.2:
        return board.t("watch: acquisition is getting dearer")
    return board.t("hold")


def channel_economics(board: Board) -> Panel:
    """Spend, new customers, CAC (and its change), ROI and CLV/CAC by channel, each with a
    recommendation computed by rule."""
    found = _by_channel(board)
    spend, new, cac, roi, clv_cac = (
        found[m] for m in ("marketing_spend", "new_customers", "cac_compare", "roi", "clv_cac")
    )

    def of(rows: list[Row], key: str = "value") -> dict[str, Any]:
        return {str(r["source_channel"]): r.get(key) for r in rows if r.get("source_channel")}

    sp, nw, ca, ch, ro, cc = (
        of(spend), of(new), of(cac), of(cac, "change"), of(roi), of(clv_cac),
    )  # fmt: skip
    rows = []
    for channel in sorted(sp, key=lambda k: -(plain(sp[k]) or 0)):
        change, ratio, ret = plain(ch.get(channel)), plain(cc.get(channel)), plain(ro.get(channel))
        sentence = board.t(
            "{channel}: CAC {change} vs the comparison period, CLV/CAC {ratio} — {advice}",
            channel=channel,
            change=format_change(change, board.locale),
            ratio="-" if ratio is None else f"{ratio:.1f}",
            advice=advice(board, change, ratio, ret),
        )
        rows.append(
            {
                "channel": channel,
                "spend": sp.get(channel),
                "new_customers": nw.get(channel),
                "cac": ca.get(channel),
                "roi": ro.get(channel),
                "clv_cac": cc.get(channel),
                "advice": sentence,
            }
        )
    columns = [
        Column("channel", board.t("Source channel")),
        Column("spend", board.t("Marketing spend"), "money"),
        Column("new_customers", board.t("New customers"), "count"),
        Column("cac", board.t("CAC"), "money"),
        Column("roi", board.t("ROI"), "ratio"),
        Column("clv_cac", board.t("CLV / CAC"), "multiple"),
        Column("advice", board.t("Recommendation")),
    ]
    return table(
        board,
        "channel_economics",
        board.t(titled("channel_economics", "Channel economics")),
        columns,
        rows,
        subtitle=board.t("CAC = spend / new customers; ROI = their gross profit / spend"),
        href=lambda r: "?" + board.filters.query_string(source_channel=str(r["channel"])),
    )


def spend_vs_result(board: Board) -> Panel:
    """Each channel's share of spend against its share of new customers and of revenue."""
    found = _by_channel(board)
    spend, new, revenue = (found[m] for m in ("marketing_spend", "new_customers", "revenue"))

    def shares(rows: list[Row]) -> dict[str, float]:
        vals = {str(r["source_channel"]): plain(r.get("value")) or 0.0 for r in rows
                if r.get("source_channel")}  # fmt: skip
        total = sum(vals.values())
        return {k: v / total for k, v in vals.items()} if total else {}

    sp, nw, rv = shares(spend), shares(new), shares(revenue)
    chans = sorted(sp, key=lambda k: -sp[k])
    option = charts.category_chart(
        chans,
        [
            charts.Series(board.t("Share of spend"), [sp.get(c) for c in chans], "ratio"),
            charts.Series(
                board.t("Share of new customers"),
                [nw.get(c) for c in chans],
                "ratio",
                color="#12b886",
            ),
            charts.Series(
                board.t("Share of revenue"), [rv.get(c) for c in chans], "ratio", color="#f59f00"
            ),
        ],
    )
    if option.get("xAxis"):
        option["xAxis"]["axisLabel"] = {"_fit": True, "interval": 0}
    return chart(
        board,
        "spend_vs_result",
        board.t(titled("spend_vs_result", "Spend mix against result mix")),
        option,
        subtitle=board.t("A channel whose spend share exceeds its results is costing more"),
        empty=not chans,
        drill={"kind": "filter", "dim": "source_channel"},
    )


def cac_trend(board: Board) -> Panel:
    """CAC by month for each channel."""
    from salesops.web.panels.trend import aligned, by_label, period_labels

    f = board.filters
    labels = period_labels(f.start, f.end, "month")
    rows = board.query("cac", by=("source_channel",), grain="month")
    chans = sorted({str(r["source_channel"]) for r in rows if r.get("source_channel")})
    series = [
        charts.Series(
            ch,
            aligned(
                by_label([r for r in rows if str(r.get("source_channel")) == ch]),
                labels,
                False,
                f.end,
            ),
            "money",
            kind="line",
            color=charts_palette(i),
        )
        for i, ch in enumerate(chans)
    ]
    option = charts.category_chart(labels, series)
    return chart(
        board,
        "cac_trend",
        board.t(titled("cac_trend", "Customer acquisition cost by month")),
        option,
        subtitle=board.t("Spend of the month / customers first buying in it, per channel"),
        empty=not rows,
        drill=period_drill(labels),
    )


PAGE = PageSpec(
    id="market",
    title="Market & channels",
    cards=CARDS,
    panels=(
        PanelSpec("share_trend", share_trend, records_of("market_share", "Market share by year")),
        PanelSpec(
            "growth_vs_market", growth_vs_market, records_of("revenue", "Growth against the market")
        ),
        PanelSpec("china_map", china_map, records_of("revenue", "Revenue on the map of China")),
        PanelSpec(
            "share_by_region", share_by_region, records_of("market_share", "Market share by region")
        ),
        PanelSpec(
            "share_matrix",
            share_matrix,
            records_of("market_share", "Market share by region and product line"),
        ),
        PanelSpec(
            "penetration",
            penetration,
            records_of("penetration", "Penetration by region and industry"),
        ),
        PanelSpec(
            "competitor_trend",
            competitor_trend,
            records_of("win_rate", "Win rate against each competitor"),
        ),
        PanelSpec(
            "competitor_table", competitor_table, records_of("lost_deals", "Where we lose to whom")
        ),
        PanelSpec(
            "channel_funnel",
            channel_funnel,
            records_of("lead_conversion", "Channels: from lead to revenue"),
            lazy=True,
            title="Channels: from lead to revenue",
            kind="table",
        ),
        PanelSpec(
            "channel_economics",
            channel_economics,
            records_of("marketing_spend", "Channel economics"),
            lazy=True,
            title="Channel economics",
            kind="table",
        ),
        PanelSpec(
            "spend_vs_result",
            spend_vs_result,
            records_of("marketing_spend", "Spend mix against result mix"),
        ),
        PanelSpec("cac_trend", cac_trend, records_of("cac", "Customer acquisition cost by month")),
    ),
    layout=(
        ("china_map", 7, "tall"),
        ("share_by_region", 5, "tall"),
        ("share_trend", 6, ""),
        ("growth_vs_market", 6, ""),
        ("share_matrix", 7, ""),
        ("penetration", 5, ""),
        ("channel_economics", 12, ""),
        ("spend_vs_result", 6, ""),
        ("cac_trend", 6, ""),
        ("channel_funnel", 12, ""),
        ("competitor_trend", 7, ""),
        ("competitor_table", 5, ""),
    ),
)
