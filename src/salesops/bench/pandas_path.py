"""The core overview numbers the way many Python dashboards compute them: read the tables
into pandas DataFrames, then filter, group and divide in Python.

:func:`load` reads the tables (the columns the KPIs need); :func:`compute` answers every core
KPI in every shape from the frames, in the engine's units, as ``{(metric, shape): [(key,
value), ...]}``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from salesops.bench.handsql import Answers

_TABLES = {
    "order_line": "SELECT order_date, region_id, rep_id, amount, cost, status FROM order_line",
    "order_header": (
        "SELECT order_date, region_id, rep_id, customer_id, amount, normal_lines FROM order_header"
    ),
    "customer": "SELECT first_order_on, region_id, owner_id FROM customer",
    "opportunity": (
        "SELECT created_on, closed_on, region_id, owner_id, status, amount FROM opportunity"
    ),
    "payment": (
        "SELECT due_date, region_id, rep_id, due_amount, paid_date, paid_amount FROM payment"
    ),
    "feedback": "SELECT received_on, region_id, rep_id, nps FROM feedback",
    "region": "SELECT id, name FROM region",
    "rep": "SELECT id, name FROM rep",
}


def load(engine: Engine) -> dict[str, pd.DataFrame]:
    """Every table the core KPIs read, as DataFrames (dates as datetime64, money as float)."""
    frames: dict[str, pd.DataFrame] = {}
    with engine.connect() as conn:
        for name, sql in _TABLES.items():
            frame = pd.read_sql_query(sql, conn)
            for col in frame.columns:
                if col.endswith(("_date", "_on")):
                    frame[col] = pd.to_datetime(frame[col])
                elif col in ("amount", "cost", "due_amount", "paid_amount"):
                    frame[col] = frame[col].astype("float64")
            frames[name] = frame
    return frames


def _div(a: Any, b: Any) -> float | None:
    if a is None or b is None or pd.isna(a) or pd.isna(b) or float(b) == 0:
        return None
    return float(a) / float(b)


def _groups(
    df: pd.DataFrame, day: str, region: str, rep: str, names: dict[str, pd.Series]
) -> dict[str, list[tuple[Any, pd.DataFrame]]]:
    """The frame split per shape: total, month, region name, rep name."""
    month = df[day].dt.strftime("%Y-%m")
    return {
        "total": [(None, df)],
        "month": list(df.groupby(month, sort=True)),
        "region": [(names["region"].get(k), g) for k, g in df.groupby(df[region], dropna=False)],
        "rep": [(names["rep"].get(k), g) for k, g in df.groupby(df[rep], dropna=False)],
    }


def compute(frames: dict[str, pd.DataFrame], year: int, today: dt.date) -> Answers:
    """Every core KPI in every shape for ``year`` from the loaded frames."""
    start, end = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
    names = {
        "region": frames["region"].set_index("id")["name"],
        "rep": frames["rep"].set_index("id")["name"],
    }
    out: Answers = {}

    def add(
        table: str,
        day: str,
        region: str,
        rep: str,
        metrics: dict[str, Callable[[pd.DataFrame], Any]],
    ) -> None:
        df = frames[table]
        df = df[(df[day] >= start) & (df[day] <= end)]
        for shape, groups in _groups(df, day, region, rep, names).items():
            for metric, fn in metrics.items():
                values = [(k, _num(fn(g))) for k, g in groups]
                out[(metric, shape)] = values

    def normal(g: pd.DataFrame) -> pd.DataFrame:
        return g[g["status"] == "normal"]

    def costed(g: pd.DataFrame) -> pd.DataFrame:
        n = normal(g)
        return n[n["cost"].notna()]

    add("order_line", "order_date", "region_id", "rep_id", {
        "revenue": lambda g: normal(g)["amount"].sum(),
        "gross_profit": lambda g: (costed(g)["amount"] - costed(g)["cost"]).sum(),
        "gross_margin": lambda g: _div(
            (costed(g)["amount"] - costed(g)["cost"]).sum(), costed(g)["amount"].sum()
        ),
    })  # fmt: skip

    def orders(g: pd.DataFrame) -> pd.DataFrame:
        return g[g["normal_lines"] > 0]

    add("order_header", "order_date", "region_id", "rep_id", {
        "orders": lambda g: len(orders(g)),
        "active_customers": lambda g: orders(g)["customer_id"].nunique(),
        "aov": lambda g: _div(orders(g)["amount"].sum(), len(orders(g))),
    })  # fmt: skip
    add("customer", "first_order_on", "region_id", "owner_id", {"new_customers": len})

    def won(g: pd.DataFrame) -> pd.DataFrame:
        return g[g["status"] == "won"]

    def cycle(g: pd.DataFrame) -> Any:
        w = won(g)
        w = w[w["created_on"].notna()]
        return _div((w["closed_on"] - w["created_on"]).dt.days.sum(), len(w))

    add("opportunity", "closed_on", "region_id", "owner_id", {
        "bookings": lambda g: won(g)["amount"].sum(),
        "won_deals": lambda g: len(won(g)),
        "lost_deals": lambda g: int((g["status"] == "lost").sum()),
        "win_rate": lambda g: _div(len(won(g)), int(g["status"].isin(["won", "lost"]).sum())),
        "avg_deal_size": lambda g: _div(won(g)["amount"].sum(), len(won(g))),
        "sales_cycle_days": cycle,
    })  # fmt: skip
    add("opportunity", "created_on", "region_id", "owner_id", {
        "new_opportunities": len,
        "new_pipeline": lambda g: g["amount"].sum(),
    })  # fmt: skip

    def collection(g: pd.DataFrame, period_end: pd.Timestamp | None) -> Any:
        ends = period_end if period_end is not None else (g["due_date"] + pd.offsets.MonthEnd(0))
        paid = g["paid_amount"].fillna(0).where(g["paid_date"] <= ends, 0)
        return _div(paid.sum(), g["due_amount"].sum())

    pay = frames["payment"]
    pay = pay[(pay["due_date"] >= start) & (pay["due_date"] <= end)]
    for shape, groups in _groups(pay, "due_date", "region_id", "rep_id", names).items():
        period_end = None if shape == "month" else end
        out[("collection_rate", shape)] = [(k, _num(collection(g, period_end))) for k, g in groups]

    add("feedback", "received_on", "region_id", "rep_id", {
        "nps": lambda g: _div(
            100.0 * (int((g["nps"] >= 9).sum()) - int((g["nps"] <= 6).sum())),
            int(g["nps"].notna().sum()),
        ),
    })  # fmt: skip

    opp = frames["opportunity"]
    now = pd.Timestamp(today)
    open_now = opp[
        (opp["created_on"].isna() | (opp["created_on"] <= now))
        & (
            (opp["status"] == "open")
            | (opp["status"].isin(["won", "lost"]) & (opp["closed_on"] > now))
        )
    ]
    for shape, groups in _groups(open_now, "created_on", "region_id", "owner_id", names).items():
        if shape != "month":
            out[("open_pipeline", shape)] = [(k, _num(g["amount"].sum())) for k, g in groups]
    return out


def _num(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)
