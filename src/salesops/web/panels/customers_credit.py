"""Customer panels on receivables and retention: credit grades, overdue ageing, the most overdue
customers and the cohort retention heatmap (numbers from ``salesops.analysis``)."""

from __future__ import annotations

from typing import Any

from salesops.analysis.credit import GRADES, credit_grades
from salesops.web import charts
from salesops.web.board import Board
from salesops.web.panels.base import Panel, chart, table, titled
from salesops.web.records import RECORDS_LIMIT, Column, RecordSet, from_rows

GRADE_COLORS = {"A": "#12b886", "B": "#2f6bff", "C": "#f59f00", "D": "#f0574b"}
AGEING_LABELS = {
    "1_30": "1–30 days",
    "31_60": "31–60 days",
    "61_90": "61–90 days",
    "over_90": "> 90 days",
}


def _grade_name(board: Board, grade: str) -> str:
    zh, en = GRADES[grade]
    return zh if board.locale.startswith("zh") else en


#: Rows of the credit analysis the page reads: the overdue table's candidates. The grade and
#: ageing panels ask for the same call (their counts cover every customer whatever the
#: limit), so one computation serves all three panels.
PAGE_ROWS = 200


def _page_credit(board: Board) -> Any:
    return board.analysis(credit_grades, as_of=board.filters.end, grade=None, limit=PAGE_ROWS)


def credit_panel(board: Board) -> Panel:
    """Customers per credit grade, with their overdue amount."""
    result = _page_credit(board)
    labels = [_grade_name(board, g.grade) for g in result.grades]
    option = charts.category_chart(
        labels,
        [
            charts.Series(board.t("Customers"), [], "count"),
            charts.Series(
                board.t("Overdue"),
                [float(g.overdue_amount) for g in result.grades],
                "money",
                kind="line",
                axis=1,
                color="#f0574b",
                symbol=True,
            ),
        ],
    )
    option["series"][0]["data"] = [
        {"value": g.customers, "key": g.grade, "itemStyle": {"color": GRADE_COLORS[g.grade]}}
        for g in result.grades
    ]
    return chart(
        board,
        "credit",
        board.t(titled("credit", "Credit grades")),
        option,
        subtitle=board.t(
            "{count} customers with payments due; {overdue} overdue",
            count=f"{result.customers:,}",
            overdue=board.fmt(result.overdue_amount, "money"),
        ),
        empty=result.customers == 0,
        drill={"kind": "records"},
    )


def ageing_panel(board: Board) -> Panel:
    """Overdue receivables by how long they are overdue."""
    result = _page_credit(board)
    labels = [board.t(AGEING_LABELS[b.bucket]) for b in result.ageing]
    colors = ["#ffd08a", "#f59f00", "#f0774b", "#d6342c"]
    option = charts.category_chart(
        labels, [charts.Series(board.t("Overdue"), [], "money")], legend=False
    )
    option["series"][0]["data"] = [
        {"value": float(b.amount), "itemStyle": {"color": c}}
        for b, c in zip(result.ageing, colors, strict=False)
    ]
    option["series"][0]["label"] = {"show": True, "position": "top", "_fmt": True}
    return chart(
        board,
        "ageing",
        board.t(titled("ageing", "Overdue receivables ageing")),
        option,
        subtitle=board.t("As of {date}", date=result.as_of.isoformat()),
        empty=not any(b.amount for b in result.ageing),
    )


def _credit_rows(board: Board, grade: str | None, limit: int | None) -> list[dict[str, Any]]:
    result = board.analysis(
        credit_grades,
        as_of=board.filters.end,
        grade=grade if grade in GRADES else None,
        limit=limit,
    )
    rows = []
    for r in result.rows:
        row = r.model_dump()
        row["grade_name"] = _grade_name(board, r.grade)
        row["over_90"] = r.ageing.get("over_90")
        rows.append(row)
    return rows


def overdue_panel(board: Board) -> Panel:
    """The customers with most overdue money (worst grades first)."""
    rows = [r for r in _credit_rows(board, None, PAGE_ROWS) if r["overdue_amount"]]
    rows.sort(key=lambda r: -float(r["overdue_amount"]))
    columns = [
        Column("customer", board.t("Customer")),
        Column("grade_name", board.t("Credit grade")),
        Column("overdue_amount", board.t("Overdue"), "money"),
        Column("over_90", board.t("> 90 days"), "money"),
        Column("on_time_share", board.t("Paid on time"), "ratio"),
        Column("mean_days_late", board.t("Mean days late"), "days"),
        Column("credit_limit", board.t("Credit limit"), "money"),
    ]
    return table(
        board,
        "overdue",
        board.t(titled("overdue", "Most overdue customers")),
        columns,
        rows[:10],
        subtitle=board.t("Top 10 by overdue amount"),
        href=lambda r: f"/customers/{r['customer_id']}",
    )


def credit_records(board: Board, sel: str | None) -> RecordSet:
    rows = _credit_rows(board, sel, RECORDS_LIMIT + 1)
    columns = [
        Column("customer", board.t("Customer")),
        Column("grade_name", board.t("Credit grade")),
        Column("payments_due", board.t("Payments due"), "count"),
        Column("on_time_share", board.t("Paid on time"), "ratio"),
        Column("mean_days_late", board.t("Mean days late"), "days"),
        Column("overdue_amount", board.t("Overdue"), "money"),
        Column("credit_limit", board.t("Credit limit"), "money"),
        Column("overdue_ratio", board.t("Overdue / limit"), "ratio"),
    ]
    return from_rows(board.t("Credit grades"), rows, columns, limit=RECORDS_LIMIT)


# ------------------------------------------------------------------------ cohorts


def _cohorts(board: Board) -> Any:
    from salesops.analysis.cohorts import cohort_retention

    return board.analysis(cohort_retention, as_of=board.filters.end, months=12)


def cohort_panel(board: Board) -> Panel:
    """Share of each first-order-month cohort that ordered again k months later."""
    result = _cohorts(board)
    months = max((len(c.retention) for c in result.cohorts), default=0)
    x = [board.t("M{k}", k=k) for k in range(months)]
    average = board.t("Average")
    y = [average] + [f"{c.cohort} ({c.customers:,})" for c in result.cohorts]
    cells: list[tuple[int, int, float | None]] = [
        (a.month, 0, a.retention) for a in result.average if a.month < months
    ]
    for j, c in enumerate(result.cohorts, start=1):
        cells.extend((k, j, r) for k, r in enumerate(c.retention))
    # Month 0 is 100 % by definition; leave it out of the colour scale so the rest reads.
    option = charts.heatmap(
        x, y, [c for c in cells if c[0] > 0], "ratio", name=board.t("Retention")
    )
    scale = [0.0, *(v for i, _, v in cells if i > 0 and v is not None)]
    option["series"][0]["data"] = charts.heat_cells([[x[i], y[j], v] for i, j, v in cells], scale)
    option["visualMap"]["min"] = 0
    option["grid"]["left"] = 8
    return chart(
        board,
        "cohorts",
        board.t(titled("cohorts", "Cohort retention")),
        option,
        subtitle=board.t(
            "Customers by first-order month (size), share ordering again k months later"
        ),
        empty=not result.cohorts,
    )


def cohort_records(board: Board, sel: str | None) -> RecordSet:
    result = _cohorts(board)
    months = max((len(c.retention) for c in result.cohorts), default=0)
    rows = []
    for c in result.cohorts:
        row: dict[str, Any] = {"cohort": c.cohort, "customers": c.customers}
        for k, r in enumerate(c.retention):
            row[f"m{k}"] = r
        rows.append(row)
    columns = [
        Column("cohort", board.t("First-order month")),
        Column("customers", board.t("Customers"), "count"),
        *(Column(f"m{k}", board.t("M{k}", k=k), "ratio") for k in range(months)),
    ]
    return from_rows(board.t("Cohort retention"), rows, columns)
