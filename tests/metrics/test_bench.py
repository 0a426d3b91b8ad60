"""The benchmark's three paths (engine, hand-written SQL, pandas) agree on the hand-made world,
and its comparison notices a difference."""

from __future__ import annotations

from salesops.bench.handsql import handwritten
from salesops.bench.overview import overview_queries
from salesops.bench.pandas_path import compute, load
from salesops.bench.run import CORE, compare, core_queries, engine_answers
from salesops.metrics import catalog
from tests.metrics.conftest import World
from tests.metrics.world import TODAY


def test_three_paths_agree_on_the_world(world: World) -> None:
    queries = core_queries(2024)
    assert {q.metric for q in queries} == set(CORE)
    mine = engine_answers(world.engine.query_many(queries), queries)
    with world.db.engine.connect() as conn:
        by_sql = handwritten(conn, 2024, TODAY)
    by_pandas = compute(load(world.db.engine), 2024, TODAY)
    assert compare(mine, by_sql, "sql") == []
    assert compare(mine, by_pandas, "pandas") == []
    # spot checks against the hand-worked numbers of tests/metrics/test_kpis.py (all of 2024)
    assert dict(by_sql[("revenue", "total")]) == {None: 1230.0}  # 730 + O7 500
    assert dict(by_pandas[("orders", "month")]) == {"2024-01": 1, "2024-02": 2, "2024-03": 1,
                                                    "2024-04": 1}  # fmt: skip


def test_compare_reports_a_difference() -> None:
    a = {("revenue", "total"): [(None, 730.0)]}
    assert compare(a, {("revenue", "total"): [(None, 730.004)]}, "sql") == []  # cents
    assert compare(a, {("revenue", "total"): [(None, 731.0)]}, "sql") == [
        "revenue total None: engine 730.0 vs sql 731.0"
    ]
    assert compare(a, {}, "sql") == ["revenue total None: engine 730.0 vs sql None"]


def test_overview_covers_every_kpi() -> None:
    queries = overview_queries(2024)
    assert {q.metric for q in queries} == set(catalog.ids())
    # per-rep output has no product, but every KPI has a total and a monthly series
    assert sum(1 for q in queries if not q.by and not q.grain) == len(catalog.ids())
