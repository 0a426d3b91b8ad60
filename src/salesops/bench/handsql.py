"""The core overview numbers from SQL written by hand (the speed limit for the engine).

One plain, portable statement per fact table and shape (total, by month, by region, by rep),
the way an analyst would write them for a dashboard: conditional sums, a join for display
names, ``date_trunc`` for months. Each returns ``{(metric, shape): [(key, value), ...]}`` in
the engine's units (ratios as fractions), so the three benchmark paths can be compared.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, text

Answers = dict[tuple[str, str], list[tuple[Any, float | None]]]

# shape -> (SELECT key expression, GROUP BY, JOIN) given the fact's alias, date, region and rep
_SHAPES: dict[str, Callable[[str, str, str], tuple[str, str, str]]] = {
    "total": lambda d, region, rep: ("NULL", "", ""),
    "month": lambda d, region, rep: (
        f"CAST(date_trunc('month', {d}) AS DATE)",
        "GROUP BY 1",
        "",
    ),
    "region": lambda d, region, rep: (
        "g.name",
        "GROUP BY g.id, g.name",
        f"LEFT JOIN region g ON g.id = {region}",
    ),
    "rep": lambda d, region, rep: (
        "g.name",
        "GROUP BY g.id, g.name",
        f"LEFT JOIN rep g ON g.id = {rep}",
    ),
}

# fact -> (FROM, date column, region column, rep column, aggregates SQL, metrics and formulas)
_FACTS: list[tuple[str, str, str, str, str, dict[str, Callable[[dict[str, Any]], Any]]]] = [
    (
        "order_line f",
        "f.order_date",
        "f.region_id",
        "f.rep_id",
        """SUM(CASE WHEN f.status = 'normal' THEN f.amount END) AS revenue,
           SUM(CASE WHEN f.status = 'normal' AND f.cost IS NOT NULL THEN f.amount - f.cost END)
               AS profit,
           SUM(CASE WHEN f.status = 'normal' AND f.cost IS NOT NULL THEN f.amount END) AS costed""",
        {
            "revenue": lambda r: r["revenue"] or 0,
            "gross_profit": lambda r: r["profit"] or 0,
            "gross_margin": lambda r: _div(r["profit"], r["costed"]),
        },
    ),
    (
        "order_header f",
        "f.order_date",
        "f.region_id",
        "f.rep_id",
        """COUNT(CASE WHEN f.normal_lines > 0 THEN 1 END) AS orders,
           COUNT(DISTINCT CASE WHEN f.normal_lines > 0 THEN f.customer_id END) AS customers,
           SUM(CASE WHEN f.normal_lines > 0 THEN f.amount END) AS revenue""",
        {
            "orders": lambda r: r["orders"],
            "active_customers": lambda r: r["customers"],
            "aov": lambda r: _div(r["revenue"], r["orders"]),
        },
    ),
    (
        "customer f",
        "f.first_order_on",
        "f.region_id",
        "f.owner_id",
        "COUNT(*) AS n",
        {"new_customers": lambda r: r["n"]},
    ),
    (
        "opportunity f",
        "f.closed_on",
        "f.region_id",
        "f.owner_id",
        """SUM(CASE WHEN f.status = 'won' THEN f.amount END) AS bookings,
           COUNT(CASE WHEN f.status = 'won' THEN 1 END) AS won,
           COUNT(CASE WHEN f.status = 'lost' THEN 1 END) AS lost,
           SUM(CASE WHEN f.status = 'won' AND f.created_on IS NOT NULL
                    THEN f.closed_on - f.created_on END) AS cycle_days,
           COUNT(CASE WHEN f.status = 'won' AND f.created_on IS NOT NULL THEN 1 END) AS cycle_n""",
        {
            "bookings": lambda r: r["bookings"] or 0,
            "won_deals": lambda r: r["won"],
            "lost_deals": lambda r: r["lost"],
            "win_rate": lambda r: _div(r["won"], (r["won"] or 0) + (r["lost"] or 0)),
            "avg_deal_size": lambda r: _div(r["bookings"], r["won"]),
            "sales_cycle_days": lambda r: _div(r["cycle_days"], r["cycle_n"]),
        },
    ),
    (
        "opportunity f",
        "f.created_on",
        "f.region_id",
        "f.owner_id",
        "COUNT(*) AS n, SUM(f.amount) AS amount",
        {"new_opportunities": lambda r: r["n"], "new_pipeline": lambda r: r["amount"] or 0},
    ),
    (
        "payment f",
        "f.due_date",
        "f.region_id",
        "f.rep_id",
        """SUM(f.due_amount) AS due,
           SUM(CASE WHEN f.paid_date <= {period_end} THEN COALESCE(f.paid_amount, 0) ELSE 0 END)
               AS paid""",
        {"collection_rate": lambda r: _div(r["paid"], r["due"])},
    ),
    (
        "feedback f",
        "f.received_on",
        "f.region_id",
        "f.rep_id",
        """COUNT(CASE WHEN f.nps >= 9 THEN 1 END) AS promoters,
           COUNT(CASE WHEN f.nps <= 6 THEN 1 END) AS detractors,
           COUNT(f.nps) AS responses""",
        {
            "nps": lambda r: _div(
                100.0 * ((r["promoters"] or 0) - (r["detractors"] or 0)), r["responses"]
            )
        },
    ),
]


def _div(a: Any, b: Any) -> float | None:
    if a is None or b is None or float(b) == 0:
        return None
    return float(a) / float(b)


def _key(shape: str, value: Any) -> Any:
    if shape == "month" and value is not None:
        return f"{value:%Y-%m}"
    return value


def handwritten(conn: Connection, year: int, today: dt.date) -> Answers:
    """Every core KPI in every shape for ``year``, by hand-written SQL."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    out: Answers = {}
    for table, day, region, rep, aggs, metrics in _FACTS:
        for shape, parts in _SHAPES.items():
            key, group, join = parts(day, region, rep)
            period_end = "CAST(:end AS DATE)" if shape != "month" else (
                f"CAST(CAST(date_trunc('month', {day}) AS DATE) + INTERVAL '1 month' "
                "- INTERVAL '1 day' AS DATE)"
            )  # fmt: skip
            sql = (
                f"SELECT {key} AS k, {aggs.format(period_end=period_end)} "  # noqa: S608 - our own SQL
                f"FROM {table} {join} WHERE {day} BETWEEN :start AND :end {group}"
            )
            rows = conn.execute(text(sql), {"start": start, "end": end}).mappings().all()
            for metric, formula in metrics.items():
                out[(metric, shape)] = [(_key(shape, r["k"]), _num(formula(dict(r)))) for r in rows]
    _open_pipeline(conn, today, out)
    return out


def _open_pipeline(conn: Connection, today: dt.date, out: Answers) -> None:
    """Open pipeline at the end of the year as of today (the current rows)."""
    for shape in ("total", "region", "rep"):
        key, group, join = _SHAPES[shape]("", "f.region_id", "f.owner_id")
        sql = (
            f"SELECT {key} AS k, SUM(f.amount) AS amount FROM opportunity f {join} "  # noqa: S608
            "WHERE (f.created_on IS NULL OR f.created_on <= :today) AND (f.status = 'open' "
            "OR (f.status IN ('won', 'lost') AND f.closed_on > :today)) " + group
        )
        rows = conn.execute(text(sql), {"today": today}).mappings().all()
        out[("open_pipeline", shape)] = [(r["k"], _num(r["amount"] or 0)) for r in rows]


def _num(value: Any) -> float | None:
    return None if value is None else float(value)
