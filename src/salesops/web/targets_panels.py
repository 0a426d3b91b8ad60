"""Target panels on the board's pages: reps far below their team (team page).

The numbers come from :func:`salesops.targets.flags.rep_flags`; this module only lays them out.
"""

from __future__ import annotations

from typing import Any

from salesops.targets.calendar import Period
from salesops.targets.flags import RepFlag, rep_flags
from salesops.web.board import Board
from salesops.web.panels.base import Panel, table, titled
from salesops.web.records import Column


def _row(board: Board, flag: RepFlag) -> dict[str, Any]:
    unit = "ratio" if flag.reason == "attainment" else "count"
    return {
        "rep": flag.rep,
        "team": flag.team,
        "measure": board.t(
            "Target attainment" if flag.reason == "attainment" else "New opportunities"
        ),
        "value": board.fmt(flag.value, unit),
        "average": board.fmt(flag.team_average, unit)
        if unit == "ratio"
        else f"{flag.team_average:.1f}",
        "ratio": flag.ratio,
        "rep_id": flag.rep_id,
    }


def rep_flags_panel(board: Board) -> Panel:
    """Reps under half of their team's average attainment or new opportunities, with the
    numbers that raised each flag (a month, quarter or year of the board)."""
    f = board.filters
    columns = [
        Column("rep", board.t("Sales rep")),
        Column("team", board.t("Team")),
        Column("measure", board.t("Measure")),
        Column("value", board.t("Rep")),
        Column("average", board.t("Team average")),
        Column("ratio", board.t("Rep / average"), "ratio"),
        Column("coaching", board.t("Coaching history")),  # issue #27
    ]
    rows: list[dict[str, Any]] = []
    subtitle = board.t("Under half of their team's average attainment or new opportunities")
    if f.target_grain is not None:
        period = Period(f.start, f.target_grain)
        flags = rep_flags(board.engine, period, as_of=f.end, scope=board.scope)
        teams, reps = f.values("team"), f.values("rep")
        rows = [
            _row(board, flag)
            for flag in flags
            if (not teams or flag.team in teams) and (not reps or flag.rep in reps)
        ]
        # issue #27: the coaching a flagged rep has had, next to the flag
        from salesops.web.people_panels import coaching_history

        history = coaching_history(board, sorted({r["rep_id"] for r in rows}))
        for row in rows:
            row["coaching"] = history.get(row["rep_id"], board.t("No coaching yet"))
    else:
        subtitle = board.t("Choose a month, quarter or year to compare reps with their team.")
    panel = table(
        board,
        "rep_flags",
        board.t(titled("rep_flags", "Reps who need help")),
        columns,
        rows,
        subtitle=subtitle,
        records=False,
        href=lambda r: "/team/rep?" + board.filters.query_string(rep=str(r["rep"])),
    )
    for col in panel["table"]["columns"][3:5]:
        col["cls"] = "num"  # already formatted numbers
    return panel
