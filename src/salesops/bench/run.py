"""``salesops bench``: the metrics engine next to hand-written SQL and pandas, on demo data.

One run, side by side, on a separate database file (``bench-data/bench-<scale>.duckdb``,
filled by the demo generator the first time):

1. the core overview set (:data:`CORE` KPIs for the data's current year: total, by month, by
   region, by rep) from the three paths, checked to agree before anything is timed;
2. timings (medians of ``repeat`` runs): the engine cold (cache cleared) and warm, the
   hand-written SQL, pandas (read the tables + compute, and compute alone);
3. the full overview (every KPI of the catalog in the four shapes) through the engine, cold
   and warm — hand-written and pandas versions exist only for the core set.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from salesops.bench.handsql import Answers, handwritten
from salesops.bench.overview import overview_queries
from salesops.bench.pandas_path import compute, load
from salesops.db.engine import make_engine
from salesops.db.schema import Opportunity, OrderLine
from salesops.metrics import catalog
from salesops.metrics.engine import MetricResult, MetricsEngine
from salesops.metrics.query import MetricQuery

#: KPIs of the core overview that all three paths compute.
CORE = (
    "revenue", "gross_profit", "gross_margin", "orders", "aov", "active_customers",
    "new_customers", "bookings", "won_deals", "lost_deals", "win_rate", "avg_deal_size",
    "sales_cycle_days", "new_opportunities", "new_pipeline", "open_pipeline",
    "collection_rate", "nps",
)  # fmt: skip
_TOLERANCE = {"money": 0.006, "money_per_day": 0.006, "ratio": 1e-5, "days": 1e-3, "score": 1e-3}


@dataclass
class BenchResult:
    """Medians in seconds, sizes, and whether the three paths agreed."""

    scale: str
    database: str
    order_lines: int
    opportunities: int
    year: int
    core_queries: int
    engine_cold_s: float
    engine_warm_s: float
    handwritten_sql_s: float
    pandas_s: float
    pandas_load_s: float
    pandas_compute_s: float
    results_agree: bool
    full_overview_queries: int
    full_overview_cold_s: float
    full_overview_warm_s: float
    repeat: int
    disagreements: list[str] = field(default_factory=list)
    runs: dict[str, list[float]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def bench_path(scale: str, directory: Path | None = None) -> Path:
    """Where the benchmark database of ``scale`` lives."""
    return (directory or Path("bench-data")) / f"bench-{scale}.duckdb"


def ensure_database(scale: str, path: Path, progress: Any = None) -> Engine:
    """The benchmark database, generated with the demo generator when missing or empty."""
    from salesops.db.migrate import upgrade
    from salesops.demo.config import DemoConfig
    from salesops.demo.generate import generate_demo

    path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"duckdb:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        lines = conn.execute(select(func.count()).select_from(OrderLine)).scalar_one()
    if not lines:
        generate_demo(engine, DemoConfig.for_scale(scale), replace=True, progress=progress)
    return engine


def core_queries(year: int) -> list[MetricQuery]:
    """The core KPIs in the four shapes (open pipeline is a stock: no month series)."""
    return [
        q
        for q in overview_queries(year)
        if q.metric in CORE and not (q.metric == "open_pipeline" and q.grain)
    ]


def _shape(q: MetricQuery) -> str:
    return "month" if q.grain else (q.by[0] if q.by else "total")


def engine_answers(results: list[MetricResult], queries: list[MetricQuery]) -> Answers:
    """Engine results in the benchmark's comparable form."""
    out: Answers = {}
    for q, r in zip(queries, results, strict=True):
        shape = _shape(q)
        key = "period" if shape == "month" else (shape if shape != "total" else None)
        out[(q.metric, shape)] = [(row.get(key) if key else None, row["value"]) for row in r.rows]
    return out


def compare(a: Answers, b: Answers, name: str) -> list[str]:
    """Differences between two answer sets (a missing group equals a 0 / no value)."""
    problems = []
    for (metric, shape), rows in a.items():
        unit = catalog.get(metric).unit
        tol = _TOLERANCE.get(unit, 0.0)
        mine: dict[Any, float | None] = {}
        for k, v in rows:
            mine[k] = (mine.get(k) or 0) + v if v is not None and k in mine else v
        theirs: dict[Any, float | None] = {}
        for k, v in b.get((metric, shape), []):
            theirs[k] = (theirs.get(k) or 0) + v if v is not None and k in theirs else v
        for k in set(mine) | set(theirs):
            x, y = mine.get(k), theirs.get(k)
            if (x in (None, 0)) and (y in (None, 0)):
                continue
            if x is None or y is None or abs(x - y) > tol + 1e-9 * abs(y):
                problems.append(f"{metric} {shape} {k!r}: engine {x} vs {name} {y}")
    return problems


def _median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float]]:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), runs


def run_bench(
    scale: str = "small",
    *,
    repeat: int = 3,
    directory: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> BenchResult:
    """Generate (if needed) and measure; see the module docstring."""
    say = progress or (lambda _msg: None)
    path = bench_path(scale, directory)
    say(f"database {path}")
    engine = ensure_database(scale, path)
    try:
        with engine.connect() as conn:
            lines = conn.execute(select(func.count()).select_from(OrderLine)).scalar_one()
            opps = conn.execute(select(func.count()).select_from(Opportunity)).scalar_one()
            today = conn.execute(select(func.max(OrderLine.order_date))).scalar_one()
        year = today.year
        metrics = MetricsEngine(engine, today=today)
        queries = core_queries(year)
        say("checking that the three paths agree")
        mine = engine_answers(metrics.query_many(queries), queries)
        with engine.connect() as conn:
            by_sql = handwritten(conn, year, today)
        by_pandas = compute(load(engine), year, today)
        problems = compare(mine, by_sql, "sql") + compare(mine, by_pandas, "pandas")
        problems += [p for p in compare(by_sql, mine, "engine") if "engine None" in p]

        def cold() -> None:
            metrics.clear_cache()
            metrics.query_many(queries)

        def sql() -> None:
            with engine.connect() as conn:
                handwritten(conn, year, today)

        frames: dict[str, Any] = {}

        def read() -> None:
            frames.update(load(engine))

        say("timing the engine, hand-written SQL and pandas")
        cold_s, cold_runs = _median_time(cold, repeat)
        warm_s, warm_runs = _median_time(lambda: metrics.query_many(queries), repeat)
        sql_s, sql_runs = _median_time(sql, repeat)
        load_s, load_runs = _median_time(read, repeat)
        comp_s, comp_runs = _median_time(lambda: compute(frames, year, today), repeat)
        # The pandas path's tables (gigabytes at `large`) go before the engine is timed
        # again: a server holds no such frames, and a collector walking them is no part of
        # the engine's time.
        frames.clear()
        del by_pandas
        gc.collect()
        full = overview_queries(year)

        def full_cold() -> None:
            metrics.clear_cache()
            metrics.query_many(full)

        say(f"timing the full overview ({len(full)} queries)")
        metrics.query_many(full)  # builds its statements, as the agreement check did the core's
        full_s, full_runs = _median_time(full_cold, repeat)
        full_warm_s, full_warm_runs = _median_time(lambda: metrics.query_many(full), repeat)
    finally:
        engine.dispose()
    return BenchResult(
        scale=scale,
        database=str(path),
        order_lines=int(lines),
        opportunities=int(opps),
        year=year,
        core_queries=len(queries),
        engine_cold_s=cold_s,
        engine_warm_s=warm_s,
        handwritten_sql_s=sql_s,
        pandas_s=load_s + comp_s,
        pandas_load_s=load_s,
        pandas_compute_s=comp_s,
        results_agree=not problems,
        full_overview_queries=len(full),
        full_overview_cold_s=full_s,
        full_overview_warm_s=full_warm_s,
        repeat=repeat,
        disagreements=problems[:20],
        runs={
            "engine_cold": cold_runs,
            "engine_warm": warm_runs,
            "handwritten_sql": sql_runs,
            "pandas_load": load_runs,
            "pandas_compute": comp_runs,
            "full_overview_cold": full_runs,
            "full_overview_warm": full_warm_runs,
        },
    )
