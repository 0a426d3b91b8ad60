"""Loose ends of the metrics engine (issue 23), each on hand-made data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from salesops.cli.main import app
from salesops.db.schema import Rep, Target
from salesops.metrics.engine import MetricsEngine
from salesops.metrics.query import MetricQuery
from tests.analysis.data import build
from tests.conftest import Db
from tests.metrics.conftest import World

Q1 = {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 3, 31)}


def test_clv_of_a_rep_who_retained_no_customer(db: Db) -> None:
    # Rep R sold to X in 2023-Q4 and to Y in 2024-Q1: retention 0 / 1 = 0, so the annual
    # churn is 1 - 0 ^ (365 / 91) = 1 and the lifetime 1 year. CLV = 200 / 1 customer x
    # 365 / 91 x margin (200 - 120) / 200 x 1 = 320.879121. Rep S kept Z: retention 1,
    # churn 0, lifetime capped at 10: 50 x 365 / 91 x 0.5 x 10 = 1002.747253.
    with build(db.engine) as b:
        b.rep("R")
        b.rep("S")
        for c in ("X", "Y", "Z"):
            b.customer(c)
        b.order("O1", "2023-11-10", "X", 100, rep="R", cost=60)
        b.order("O2", "2024-02-10", "Y", 200, rep="R", cost=120)
        b.order("O3", "2023-11-10", "Z", 40, rep="S", cost=20)
        b.order("O4", "2024-02-10", "Z", 50, rep="S", cost=25)
    engine = MetricsEngine(db.engine, today=dt.date(2024, 6, 1))
    by_rep = engine.query(MetricQuery("clv", by=("rep",), **Q1)).rows
    assert by_rep == [{"rep": "R", "value": 320.8791}, {"rep": "S", "value": 1002.7473}]
    quarters = engine.query(MetricQuery("clv", by=("rep",), grain="quarter", **Q1)).rows
    assert [r["value"] for r in quarters] == [320.8791, 1002.7473]
    compared = engine.query(MetricQuery("clv", where=(("rep", ("R",)),), compare="prev", **Q1))
    assert compared.rows[0]["value"] == 320.8791


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        # revenue counts order lines: no feedback category, but a product line
        (["metric", "revenue", "--by", "category"], "did you mean 'product_line'?"),
        (["metric", "win_rate", "--where", "category=Hardware"], "did you mean 'product_line'?"),
        (["metric", "revenue", "--by", "prodct"], "did you mean 'product'?"),
        (["metric", "bookings", "--by", "owner"], "did you mean 'rep'?"),
    ],
)
def test_a_dimension_that_does_not_apply_names_the_one_meant(
    db: Db, args: list[str], hint: str
) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert hint in " ".join(result.output.split())
    assert "Traceback" not in result.output


EXPLAINED = [
    MetricQuery("revenue", by=("rep",), **Q1),
    MetricQuery("clv", **Q1),  # retention: CASE over period starts
    MetricQuery("retention_rate", by=("region",), grain="month", **Q1),
    MetricQuery("open_pipeline", grain="month", **Q1),
    MetricQuery("pipeline_coverage", **Q1),
    MetricQuery("win_rate", by=("region",), compare="prev", **Q1),
    MetricQuery("pacing", **Q1),
    MetricQuery("stage_dwell_days", by=("stage",), **Q1),
    MetricQuery("overdue_receivables", **Q1),
    # each period's end picked by a CASE whose branches are all dates: DuckDB read them as
    # text (bare '2024-03-31') and refused to compare them with paid_date
    MetricQuery("collection_rate", compare="prev", **Q1),
]


@pytest.mark.parametrize("q", EXPLAINED, ids=[f"{q.metric}-{i}" for i, q in enumerate(EXPLAINED)])
def test_the_explained_sql_runs_verbatim_and_gives_the_engines_numbers(
    world: World, q: MetricQuery
) -> None:
    sql = world.engine.explain(q).sql
    assert "DATE '2024-03-31'" in sql
    with world.db.engine.connect() as conn:
        rows = conn.exec_driver_sql(sql).mappings().all()
    got = [round(float(r["value"]), 2) if r["value"] is not None else None for r in rows]
    expected = [r["value"] for r in world.engine.query(q).rows]
    assert got == [round(v, 2) if v is not None else None for v in expected]


def test_revenue_per_rep_counts_sellers_not_managers_met_as_references(db: Db) -> None:
    # 2024-Q1 revenue 300 (A). Sellers: A (an order), B (owns a deal open during the quarter,
    # no order), C (a rep target for the quarter, nothing else). Not sellers: M (created as
    # A's manager by an import, no quota, deal or order), P (sells only in Q2), L (left in
    # 2023). 300 / 3 = 100 (counting every rep employed in the quarter gave 300 / 5 = 60).
    with build(db.engine) as b:
        for name in ("M", "A", "B", "C", "P", "L"):
            b.rep(name)
        b.customer("K")
        b.order("O1", "2024-02-01", "K", 300, rep="A")
        b.order("O2", "2024-04-05", "K", 80, rep="P")
        b.order("O3", "2023-11-05", "K", 50, rep="L")
        b.opportunity("D1", customer="K", owner="B", created="2023-12-01", amount=500,
                      closed="2024-04-10", status="won")  # fmt: skip
        b.s.add(Target(external_id="T1", metric="revenue", period_grain="quarter",
                       period_start=dt.date(2024, 1, 1), value=Decimal(1000),
                       scope_kind="rep", rep_id=b.ids["rep:C"]))  # fmt: skip
        b.s.execute(update(Rep).where(Rep.id == b.ids["rep:A"]).values(manager_id=b.ids["rep:M"]))
        b.s.execute(
            update(Rep).where(Rep.id == b.ids["rep:L"]).values(left_on=dt.date(2023, 12, 31))
        )
    engine = MetricsEngine(db.engine, today=dt.date(2024, 6, 1))
    assert engine.query(MetricQuery("per_rep_output", **Q1)).rows == [{"value": 100.0}]
    # Q2: A has no order, no deal, no target; B's deal was open until 10 April; P sold 80: 80 / 2
    q2 = {"start": dt.date(2024, 4, 1), "end": dt.date(2024, 6, 30)}
    assert engine.query(MetricQuery("per_rep_output", **q2)).rows == [{"value": 40.0}]
