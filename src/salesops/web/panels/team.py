"""团队绩效 Team: the leaderboard with each rep against the team average, and a rep's own page."""

from __future__ import annotations

from typing import Any

from salesops.web import charts, kpi
from salesops.web.board import Board
from salesops.web.formatting import plain
from salesops.web.panels.base import PageSpec, Panel, PanelSpec, chart, table, titled
from salesops.web.panels.common import breakdown_panel, names, period_drill, records_of, values
from salesops.web.panels.trend import series_with_last_year
from salesops.web.people_panels import (
    honour_roll_panel,
    rep_coaching_panel,
    rep_scorecard_panel,
    scorecard_panel,
    team_scores_panel,
)
from salesops.web.records import Column, RecordSet, from_rows
from salesops.web.targets_panels import rep_flags_panel

CARDS = ("revenue", "bookings", "win_rate", "won_deals", "per_rep_output", "activities")
LEADERBOARD_METRICS = ("bookings", "win_rate", "won_deals", "activities")


def rep_href(board: Board, rep: str) -> str:
    """The rep's detail page with the current filters."""
    return "/team/rep?" + board.filters.query_string(rep=rep)


def leaderboard_rows(board: Board) -> list[dict[str, Any]]:
    """One row per rep: revenue, the team's revenue per rep, bookings, win rate, deals, activities,
    and the revenue target when one exists. Every number is an engine result.

    A rep sees their own row ranked within their team and the team's average; the other reps'
    rows (names and numbers) only where ``leaderboard_names_for_reps`` allows it."""
    if board.scope.kind == "rep" and board.scope.rep_id:
        return _rep_leaderboard(board, board.scope.rep_id)
    return _team_rows(board)


def _rep_leaderboard(board: Board, rep_id: int) -> list[dict[str, Any]]:
    from dataclasses import replace

    from sqlalchemy import select

    from salesops.config import get_settings
    from salesops.db.schema import Rep
    from salesops.metrics.scope import Scope

    with board.engine.connect() as conn:
        me = conn.execute(select(Rep.name, Rep.org_unit_id).where(Rep.id == rep_id)).first()
    if me is None or me.org_unit_id is None:
        return _team_rows(board)
    # The one place a rep's numbers are compared with a wider scope: their own team's.
    team = replace(board, scope=Scope.subtree(me.org_unit_id), _metrics=None)
    rows = _team_rows(team)
    if get_settings().leaderboard_names_for_reps:
        return rows
    mine = [r for r in rows if r["rep"] == me.name]
    if not rows:
        return mine
    for row in mine:
        row["rank"] = f"{row['rank']} / {len(rows)}"
    average: dict[str, Any] = {
        "rank": "",
        "rep": board.t("Team average"),
        "team": rows[0].get("team"),
        "revenue": rows[0].get("team_avg"),
        "vs_team": 1.0,
        "win_rate": team.total("win_rate").get("value"),
        "average": True,
    }
    for metric in ("bookings", "won_deals", "activities"):
        known = [plain(r.get(metric)) or 0.0 for r in rows]
        average[metric] = sum(known) / len(rows)
    return [*mine, average]


def _team_rows(board: Board) -> list[dict[str, Any]]:
    revenue, per_rep, *by_rep = board.query_many(
        ("revenue", {"by": ("rep", "team")}),
        ("per_rep_output", {"by": ("team",)}),
        *((metric, {"by": ("rep",)}) for metric in LEADERBOARD_METRICS),
    )
    rows: dict[str, dict[str, Any]] = {}
    for r in revenue:
        rep = r.get("rep")
        if rep is None:
            continue
        rows[str(rep)] = {"rep": str(rep), "team": r.get("team"), "revenue": r.get("value")}
    team_avg = {str(r.get("team")): r.get("value") for r in per_rep}
    for metric, answer in zip(LEADERBOARD_METRICS, by_rep, strict=True):
        for r in answer:
            rep = r.get("rep")
            if rep is None:
                continue
            rows.setdefault(str(rep), {"rep": str(rep), "team": None, "revenue": None})[metric] = (
                r.get("value")
            )
    attained = board.cached(
        ("rep_attainments", "revenue"),
        lambda: kpi.rep_attainments(board.engine, board.scope, "revenue", board.filters),
    )
    for row in rows.values():
        avg = team_avg.get(str(row.get("team")))
        row["team_avg"] = avg
        # Index against the team's revenue per rep: a display ratio of two engine numbers.
        row["vs_team"] = _ratio(row.get("revenue"), avg)
        att = attained.get(row["rep"])
        row["target"] = att.target if att else None
        row["attainment"] = att.attainment if att else None
    ordered = sorted(rows.values(), key=lambda r: -(plain(r.get("revenue")) or 0.0))
    for i, row in enumerate(ordered, start=1):
        row["rank"] = i
    return ordered


def _ratio(numerator: Any, denominator: Any) -> float | None:
    num, den = plain(numerator), plain(denominator)
    if num is None or not den:
        return None
    return num / den


def leaderboard(board: Board) -> Panel:
    rows = leaderboard_rows(board)
    has_targets = any(r.get("target") is not None for r in rows)
    columns = [
        Column("rank", "#"),
        Column("rep", board.t("Sales rep")),
        Column("team", board.t("Team")),
        Column("revenue", board.t("Revenue"), "money"),
        Column("vs_team", board.t("vs team average"), "ratio"),
        Column("bookings", board.t("Bookings"), "money"),
        Column("win_rate", board.t("Win rate"), "ratio"),
        Column("won_deals", board.t("Won deals"), "count"),
        Column("activities", board.t("Activities"), "count"),
    ]
    if has_targets:
        columns.append(Column("attainment", board.t("Target attainment"), "ratio"))
    return table(
        board,
        "leaderboard",
        board.t(titled("leaderboard", "Leaderboard")),
        columns,
        rows,
        subtitle=board.t(
            "vs team average: revenue against the team's revenue per rep (100% = average)"
        ),
        href=lambda r: None if r.get("average") else rep_href(board, str(r["rep"])),
    )


def rep_revenue(board: Board) -> Panel:
    """Revenue per rep with the average per rep as a reference line."""
    rows = [
        r for r in board.query("revenue", by=("rep",), sort="-value", limit=15) if r.get("value")
    ]
    avg = plain(board.total("per_rep_output").get("value"))
    rep_names = names(rows, "rep")
    option = charts.ranked_bars(
        rep_names,
        values(rows),
        "money",
        name=board.t("Revenue"),
        mark=avg,
        mark_label=board.t("Average per rep"),
    )
    return chart(
        board,
        "rep_revenue",
        board.t(titled("rep_revenue", "Revenue by rep")),
        option,
        subtitle=board.t("Top 15; dashed line: revenue per rep"),
        empty=not rows,
        drill={"kind": "link", "urls": {n: rep_href(board, n) for n in rep_names}},
    )


def win_rate_by_team(board: Board) -> Panel:
    return breakdown_panel(
        board,
        "win_rate_by_team",
        board.t(titled("win_rate_by_team", "Win rate by team")),
        "win_rate",
        "team",
    )


def activities_by_kind(board: Board) -> Panel:
    return breakdown_panel(
        board,
        "activities_by_kind",
        board.t(titled("activities_by_kind", "Activities by kind")),
        "activities",
        "kind",
        style="donut",
        drill="records",
    )


# ------------------------------------------------------------------------ rep detail

REP_CARDS = (
    "revenue",
    "bookings",
    "win_rate",
    "avg_deal_size",
    "open_pipeline",
    "sales_cycle_days",
    "activities",
    "new_customers",
)
COMPARE_METRICS = (
    "revenue",
    "bookings",
    "win_rate",
    "avg_deal_size",
    "sales_cycle_days",
    "activities",
)


def rep_vs_team(board: Board) -> Panel:
    """The rep's KPIs next to the rep's team and the whole company."""
    rep = board.filters.value("rep")
    team_rows = board.query("revenue", by=("team",)) if rep else []
    team = next((str(r.get("team")) for r in team_rows if r.get("team")), "")
    rows = []
    for metric in COMPARE_METRICS:
        info = kpi.info(metric, board.locale)
        mine = board.total(metric).get("value")
        theirs = (
            board.total(metric, where=[("rep", ()), ("team", (team,))]).get("value")
            if team
            else None
        )
        rows.append({"metric": info.label, "unit": info.unit, "rep": mine, "team": theirs})
    columns = [
        Column("metric", board.t("KPI")),
        Column("rep", rep or board.t("Sales rep")),
        Column("team", team or board.t("Team")),
    ]
    formatted = [
        {
            "metric": r["metric"],
            "rep": board.fmt(r["rep"], str(r["unit"])),
            "team": board.fmt(r["team"], str(r["unit"])),
        }
        for r in rows
    ]
    panel = table(
        board,
        "rep_vs_team",
        board.t(titled("rep_vs_team", "Rep against team")),
        columns,
        formatted,
        subtitle=board.t("Team totals for additive KPIs, team rates for ratios"),
        records=False,
    )
    for col in panel["table"]["columns"][1:]:
        col["cls"] = "num"  # already formatted text, aligned as numbers
    return panel


def rep_trend(board: Board) -> Panel:
    f = board.filters
    year_start, year_end = f.year_window()
    start = year_start if f.target_grain is not None else f.start
    axis_end = year_end if f.target_grain is not None else f.end
    labels, current, last = series_with_last_year(
        board, "revenue", start, f.end, "month", axis_end=axis_end
    )
    option = charts.category_chart(
        labels,
        [
            charts.Series(board.t("Revenue"), current, "money"),
            charts.Series(
                board.t("Same period last year"),
                last,
                "money",
                kind="line",
                dashed=True,
                color="#98a2b3",
            ),
        ],
    )
    return chart(
        board,
        "rep_trend",
        board.t(titled("rep_trend", "Revenue trend")),
        option,
        subtitle=board.t("By month, against last year"),
        empty=all(v is None for v in current + last),
        drill=period_drill(labels),
    )


def rep_pipeline(board: Board) -> Panel:
    return breakdown_panel(
        board,
        "rep_pipeline",
        board.t(titled("rep_pipeline", "Open pipeline by stage")),
        "open_pipeline",
        "stage",
        drill="records",
    )


def rep_customers(board: Board) -> Panel:
    return breakdown_panel(
        board,
        "rep_customers",
        board.t(titled("rep_customers", "Top customers")),
        "revenue",
        "customer",
        limit=10,
        drill="records",
    )


def customer_base_rows(board: Board) -> tuple[list[dict[str, Any]], Any]:
    """Issue #28: the customer base per rep against the team average."""
    from salesops.customers.distribution import customer_distribution

    result = board.analysis(customer_distribution, start=board.filters.start, end=board.filters.end)
    rows = [
        {
            "rep": r.rep,
            "customers": r.customers,
            "customers_vs_avg": r.customers_vs_avg,
            "tier_a": r.tier_a,
            "tier_b": r.tier_b,
            "revenue": r.revenue,
            "revenue_vs_avg": r.revenue_vs_avg,
            "top10_share": r.top10_share,
        }
        for r in result.reps
    ]
    return rows, result


def _customer_base_columns(board: Board) -> list[Column]:
    return [
        Column("rep", board.t("Sales rep")),
        Column("customers", board.t("Customers"), "count"),
        Column("customers_vs_avg", board.t("Customers vs team average"), "ratio"),
        Column("tier_a", board.t("Tier A"), "count"),
        Column("tier_b", board.t("Tier B"), "count"),
        Column("revenue", board.t("Revenue"), "money"),
        Column("revenue_vs_avg", board.t("Revenue vs team average"), "ratio"),
        Column("top10_share", board.t("Top 10 customers' share"), "ratio"),
    ]


def customer_base(board: Board) -> Panel:
    rows, result = customer_base_rows(board)
    return table(
        board,
        "customer_base",
        board.t(titled("customer_base", "Customer base by rep")),
        _customer_base_columns(board),
        rows,
        subtitle=board.t(
            "Owned on {date}; {none} customers without an owner, {silent} without an order or "
            "contact for {days} days",
            date=result.end.isoformat(),
            none=f"{result.without_owner:,}",
            silent=f"{result.without_contact:,}",
            days=result.silent_days,
        ),
        href=lambda r: rep_href(board, str(r["rep"])),
    )


def customer_base_records(board: Board, sel: str | None) -> RecordSet:
    rows, _ = customer_base_rows(board)
    return from_rows(board.t("Customer base by rep"), rows, _customer_base_columns(board))


PAGE = PageSpec(
    id="team",
    title="Team performance",
    cards=CARDS,
    panels=(
        PanelSpec("leaderboard", leaderboard, records_of("revenue", "Leaderboard")),
        PanelSpec("rep_flags", rep_flags_panel),
        # issue #27: scorecards, team scores and the honour roll
        PanelSpec("scorecard", scorecard_panel),
        PanelSpec("team_scores", team_scores_panel),
        PanelSpec("honour_roll", honour_roll_panel),
        PanelSpec("rep_revenue", rep_revenue, records_of("revenue", "Revenue by rep")),
        PanelSpec(
            "win_rate_by_team", win_rate_by_team, records_of("won_deals", "Win rate by team")
        ),
        PanelSpec(
            "activities_by_kind", activities_by_kind, records_of("activities", "Activities by kind")
        ),
        PanelSpec(
            "customer_base",
            customer_base,
            customer_base_records,
            lazy=True,
            title="Customer base by rep",
            kind="table",
        ),
    ),
    layout=(
        ("leaderboard", 12, ""),
        ("rep_flags", 12, ""),
        ("scorecard", 8, ""),
        ("team_scores", 4, ""),
        ("honour_roll", 4, ""),
        ("rep_revenue", 4, "tall"),
        ("win_rate_by_team", 4, "tall"),
        ("activities_by_kind", 4, "tall"),
        ("customer_base", 12, ""),
    ),
)

REP_PAGE = PageSpec(
    id="rep",
    title="Sales rep",
    cards=REP_CARDS,
    panels=(
        PanelSpec("rep_vs_team", rep_vs_team),
        PanelSpec("rep_trend", rep_trend, records_of("revenue", "Revenue trend")),
        PanelSpec(
            "rep_pipeline", rep_pipeline, records_of("open_pipeline", "Open pipeline by stage")
        ),
        PanelSpec("rep_customers", rep_customers, records_of("revenue", "Top customers")),
        PanelSpec(
            "rep_activities", activities_by_kind, records_of("activities", "Activities by kind")
        ),
        # issue #27: the rep's scorecard and coaching log
        PanelSpec("rep_scorecard", rep_scorecard_panel),
        PanelSpec("rep_coaching", rep_coaching_panel),
    ),
    layout=(
        ("rep_vs_team", 4, ""),
        ("rep_trend", 8, ""),
        ("rep_pipeline", 4, ""),
        ("rep_customers", 4, ""),
        ("rep_activities", 4, ""),
        ("rep_scorecard", 6, ""),
        ("rep_coaching", 6, ""),
    ),
)
