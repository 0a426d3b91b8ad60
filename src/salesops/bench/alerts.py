"""Benchmark: evaluating the default alert rules (docs/benchmarks.md, "Alerts").

    from salesops.bench.alerts import run_alert_bench
    print(run_alert_bench("duckdb:////tmp/medium.duckdb", dt.date(2026, 12, 7)))

Installs the default rules when missing (the copy of the database is changed: use a copy),
then evaluates every enabled rule ``rounds`` times, each round with a new metrics engine (no
cached results); nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from typing import Any


def run_alert_bench(url: str, as_of: dt.date, rounds: int = 3) -> dict[str, Any]:
    from salesops.alerts.defaults import install
    from salesops.alerts.service import evaluate_rule
    from salesops.alerts.store import list_rules
    from salesops.db.engine import make_engine
    from salesops.db.migrate import upgrade
    from salesops.metrics.engine import MetricsEngine

    engine = make_engine(url)
    upgrade(engine)
    install(engine)
    totals: list[float] = []
    per_rule: dict[str, list[float]] = {}
    fired: dict[str, int] = {}
    for _ in range(rounds):
        metrics = MetricsEngine(engine)
        started = time.perf_counter()
        for rule in list_rules(engine, enabled_only=True):
            t = time.perf_counter()
            found = evaluate_rule(engine, rule, as_of, metrics)
            per_rule.setdefault(rule.spec.name, []).append(round(time.perf_counter() - t, 2))
            fired[rule.spec.name] = len(found)
        totals.append(round(time.perf_counter() - started, 2))
    engine.dispose()
    return {
        "rounds": totals,
        "median": statistics.median(totals),
        "per_rule": per_rule,
        "fired": fired,
    }
