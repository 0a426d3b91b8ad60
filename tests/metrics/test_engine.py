"""Engine services: cache, explain, records, query_many; and golden checks against SQL
written by hand."""

from __future__ import annotations

import datetime as dt
import gc
import re
from typing import Any

import pytest
from sqlalchemy import event, text

from salesops.db.derived import bump_data_version
from salesops.metrics.query import MetricQuery
from tests.metrics.conftest import World
from tests.metrics.world import Q1

START, END = Q1


def test_cache_hit_then_miss_after_a_write(world: World) -> None:
    e = world.engine
    q = MetricQuery("revenue", by=("region",), start=START, end=END)
    first = e.query(q)
    info = e.cache_info()
    assert (info["hits"], info["misses"]) == (0, 1)
    assert e.query(q).rows == first.rows
    assert e.cache_info()["hits"] == 1
    with world.db.engine.begin() as conn:
        bump_data_version(conn)
    assert e.query(q).rows == first.rows
    assert e.cache_info()["misses"] == 2
    assert e.cache_info()["hit_ms_median"] is not None


def test_cached_rows_cannot_be_changed_through_an_answer(world: World) -> None:
    q = MetricQuery("revenue", start=START, end=END)
    answer = world.engine.query(q)
    with pytest.raises(TypeError, match="shared with the cache"):
        answer.rows[0]["value"] = -1
    with pytest.raises(TypeError):
        answer.rows[0].update(value=-1)
    mine = dict(answer.rows[0])  # a copy is the caller's to change
    mine["value"] = -1
    answer.rows.clear()  # and so is the list
    assert world.engine.query(q).rows == [{"value": 730.0}]


def test_answers_leave_the_cycle_collector_as_they_found_it(world: World) -> None:
    q = MetricQuery("revenue", by=("region",), start=START, end=END)
    assert gc.isenabled()
    world.engine.query(q)
    assert gc.isenabled()
    gc.disable()
    try:
        world.engine.clear_cache()
        world.engine.query(q)
        assert not gc.isenabled()  # a caller that switched it off keeps it off
    finally:
        gc.enable()


def test_retention_of_one_period_reads_that_period_and_the_one_before_only(world: World) -> None:
    # 2024-Q1 against 2023-Q4: the quarter before that (2023-Q3) is never a window.
    sql = world.engine.explain(MetricQuery("retention_rate", start=START, end=END)).sql
    windows = re.findall(r"CAST\(DATE '([0-9-]+)' AS DATE\) AS bucket", sql)
    assert sorted(windows) == ["2023-10-01", "2024-01-01"]


def test_explain_does_not_run_the_query(world: World) -> None:
    statements: list[str] = []

    def remember(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(world.db.engine, "before_cursor_execute", remember)
    try:
        info = world.engine.explain(MetricQuery("win_rate", by=("region",), start=START, end=END))
    finally:
        event.remove(world.db.engine, "before_cursor_execute", remember)
    assert statements == []
    assert info.name_zh == "成交率" and info.name_en == "Win rate"
    assert info.formula == "won_deals / (won_deals + lost_deals)"
    assert "FROM opportunity" in info.sql and "DATE '2024-01-01'" in info.sql
    assert {m["name"] for m in info.measures} == {"won_deals", "lost_deals"}


def test_records_behind_a_number(world: World) -> None:
    q = MetricQuery("revenue", start=START, end=END, where=(("rep", ("Ann",)),))
    rows = world.engine.records(q)
    assert sorted((r["order_no"], r["line_no"], float(r["amount"])) for r in rows) == [
        ("O1", 1, 100.0),
        ("O1", 2, 50.0),
        ("O2", 1, 200.0),
    ]
    assert {r["rep_name"] for r in rows} == {"Ann"}
    open_deals = world.engine.records(MetricQuery("open_pipeline", start=START, end=END))
    assert sorted((r["external_id"], float(r["amount"])) for r in open_deals) == [
        ("D4", 600.0),
        ("D5", 300.0),
    ]


def test_query_many_fuses_and_keeps_order(world: World) -> None:
    metrics = ["aov", "revenue", "orders", "win_rate", "new_customers", "open_pipeline"]
    queries = [MetricQuery(m, by=("region",), start=START, end=END) for m in metrics]
    results = world.engine.query_many(queries)
    assert [r.metric for r in results] == metrics
    assert results[1].rows == [
        {"region": "East", "value": 650.0},
        {"region": "West", "value": 80.0},
    ]
    # new customers count on the customer's own region: Beta is in the West
    assert results[4].rows == [{"region": "West", "value": 1}]
    for q, r in zip(queries, results, strict=True):
        assert world.engine.query(q).rows == r.rows


def test_query_many_runs_shapes_side_by_side_with_the_same_answers(world: World) -> None:
    """Queries of different shapes are separate statements; they run on connections of their
    own (``workers``), and give what one connection running them in turn gives."""
    from salesops.metrics.engine import MetricsEngine
    from tests.metrics.world import TODAY

    shapes: list[dict[str, Any]] = [{}, {"grain": "month"}, {"by": ("region",)}, {"by": ("rep",)}]
    metrics = ["revenue", "orders", "win_rate", "open_pipeline", "retention_rate"]
    queries = [MetricQuery(m, start=START, end=END, **s) for s in shapes for m in metrics]
    seen: set[int] = set()

    @event.listens_for(world.db.engine, "before_cursor_execute")
    def _who(conn: Any, *_: Any) -> None:
        seen.add(id(conn.connection.dbapi_connection))

    try:
        side = MetricsEngine(world.db.engine, today=TODAY, workers=2).query_many(queries)
    finally:
        event.remove(world.db.engine, "before_cursor_execute", _who)
    in_turn = MetricsEngine(world.db.engine, today=TODAY, workers=1).query_many(queries)
    assert [r.rows for r in side] == [r.rows for r in in_turn]
    assert len(seen) >= 2  # more than one connection answered
    assert side[2].rows == [{"value": 0.666667}]  # win rate, Q1: 2 won / (2 won + 1 lost)


# --------------------------------------------------------------------------- golden

GOLDEN: list[tuple[MetricQuery, str]] = [
    (
        MetricQuery("revenue", by=("region",), start=START, end=END),
        """SELECT r.name AS region, SUM(l.amount) AS value
           FROM order_line l LEFT JOIN region r ON r.id = l.region_id
           WHERE l.status = 'normal' AND l.order_date BETWEEN '2024-01-01' AND '2024-03-31'
           GROUP BY r.name ORDER BY r.name""",
    ),
    (
        MetricQuery("win_rate", by=("rep",), start=START, end=END),
        """SELECT p.name AS rep,
                  1.0 * SUM(CASE WHEN o.status = 'won' THEN 1 ELSE 0 END)
                  / SUM(CASE WHEN o.status IN ('won', 'lost') THEN 1 ELSE 0 END) AS value
           FROM opportunity o JOIN rep p ON p.id = o.owner_id
           WHERE o.closed_on BETWEEN '2024-01-01' AND '2024-03-31'
           GROUP BY p.name ORDER BY p.name""",
    ),
    (
        MetricQuery("aov", grain="month", start=START, end=END),
        """SELECT EXTRACT(MONTH FROM l.order_date) AS period,
                  SUM(l.amount) / COUNT(DISTINCT l.order_no) AS value
           FROM order_line l
           WHERE l.status = 'normal' AND l.order_date BETWEEN '2024-01-01' AND '2024-03-31'
           GROUP BY 1 ORDER BY 1""",
    ),
    (
        MetricQuery("active_customers", by=("team",), start=START, end=END),
        """SELECT u.name AS team, COUNT(DISTINCT l.customer_id) AS value
           FROM order_line l JOIN rep p ON p.id = l.rep_id JOIN org_unit u ON u.id = p.org_unit_id
           WHERE l.status = 'normal' AND l.order_date BETWEEN '2024-01-01' AND '2024-03-31'
           GROUP BY u.name ORDER BY u.name""",
    ),
    (
        MetricQuery("gross_margin", by=("product_line",), start=START, end=END),
        """SELECT pr.product_line AS product_line,
                  1.0 * SUM(l.amount - l.cost) / SUM(l.amount) AS value
           FROM order_line l JOIN product pr ON pr.id = l.product_id
           WHERE l.status = 'normal' AND l.cost IS NOT NULL
             AND l.order_date BETWEEN '2024-01-01' AND '2024-03-31'
           GROUP BY pr.product_line ORDER BY pr.product_line""",
    ),
]


def test_golden_queries(world: World) -> None:
    for q, sql in GOLDEN:
        with world.db.engine.connect() as conn:
            expected = [dict(r) for r in conn.execute(text(sql)).mappings()]
        got = world.engine.query(q).rows
        if q.grain == "month":
            for row in expected:
                row["period"] = f"2024-{int(row['period']):02d}"
        assert len(got) == len(expected), q.metric
        for g, e in zip(got, expected, strict=True):
            assert {k: v for k, v in g.items() if k != "value"} == {
                k: v for k, v in e.items() if k != "value"
            }
            assert abs(float(g["value"]) - float(e["value"])) < 1e-6, (q.metric, g, e)


def test_a_power_and_the_period_length_are_written_once_per_statement(world: World) -> None:
    # CLV raises the retention to 365 / days in the period, behind guards that read the base
    # and the exponent a dozen times, and uses the result three times (1 / churn, capped).
    # Inlined, the statement repeated the period's length (a CASE over the bucket) dozens of
    # times and DuckDB's optimizer took longer than the data; both are computed once now.
    q = MetricQuery("clv", grain="month", start=START, end=END)
    sql = world.engine.explain(q).sql.lower()
    assert sql.count("power(") == 1
    assert sql.count("interval '-1 days'") <= 2  # a month's last day, in its clip at today
    # ... and the answer is that of the formula (the values are checked in test_kpis).
    assert [r["period"] for r in world.engine.query(q).rows] == ["2024-01", "2024-02", "2024-03"]


def test_stocks_of_a_period_after_today_are_empty_not_an_error(world: World) -> None:
    """A stock (open pipeline, overdue receivables) is measured at a period's end, never after
    today: a period that starts after today has no date to measure at, so no value (this was
    an IndexError, a 500 through the API)."""
    later = dt.date(2030, 1, 1), dt.date(2030, 3, 31)
    for metric in ("open_pipeline", "weighted_pipeline", "overdue_receivables"):
        result = world.engine.query(MetricQuery(metric, start=later[0], end=later[1]))
        assert [row["value"] for row in result.rows] in ([], [None], [0]), metric
        by_region = world.engine.query(
            MetricQuery(metric, by=("region",), start=later[0], end=later[1])
        )
        assert all(row["value"] in (None, 0) for row in by_region.rows), metric
