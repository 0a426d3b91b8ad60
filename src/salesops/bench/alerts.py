"""Benchmark: evaluating the default alert rules (docs/benchmarks.md, "Alerts").

    from salesops.bench.alerts import run_alert_bench
    print(run_alert_bench("duckdb:////tmp/medium.duckdb", dt.date(2026, 12, 7)))

Installs the default rules when missing (the copy of the database is changed: use a copy),
then evaluates every enabled rule ``rounds`` times, each round with a new metrics engine (no
cached results); nothing is stored. Wall and CPU (user+sys of the process, DuckDB's threads
included) times per round: on a shared machine the CPU time is the steadier figure.
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
    cpu: list[float] = []
    per_rule: dict[str, list[float]] = {}
    fired: dict[str, int] = {}
    for _ in range(rounds):
        metrics = MetricsEngine(engine)
        started = time.perf_counter()
        cpu_started = time.process_time()
        for rule in list_rules(engine, enabled_only=True):
            t = time.perf_counter()
            found = evaluate_rule(engine, rule, as_of, metrics)
            per_rule.setdefault(rule.spec.name, []).append(round(time.perf_counter() - t, 2))
            fired[rule.spec.name] = len(found)
        totals.append(round(time.perf_counter() - started, 2))
        cpu.append(round(time.process_time() - cpu_started, 2))
    engine.dispose()
    return {
        "rounds": totals,
        "median": statistics.median(totals),
        "cpu_rounds": cpu,
        "cpu_median": statistics.median(cpu),
        "per_rule": per_rule,
        "fired": fired,
    }


def run_first_days(url: str, as_of: dt.date) -> dict[str, Any]:
    """A new company's first two days with the default rules, on a copy of the database: the
    alerts a first run fires (every rule, as of ``as_of``) and the messages it makes for one
    DingTalk group subscribed by everyone (item alerts in digests per team), then the same
    for a run the next day; and the share of customers the default churn rule flags."""
    from salesops.alerts import service
    from salesops.alerts.defaults import install
    from salesops.alerts.evaluate import Evaluator
    from salesops.alerts.store import get_rule
    from salesops.auth.audit import Actor
    from salesops.db.engine import make_engine
    from salesops.db.migrate import upgrade
    from salesops.db.schema import AlertDelivery
    from salesops.metrics.engine import MetricsEngine
    from salesops.metrics.scope import FULL_SCOPE
    from salesops.notify.outbox import DeliveryPolicy, _digests, save_channel, subscribe

    engine = make_engine(url)
    upgrade(engine)
    install(engine)
    actor = Actor.cli()
    save_channel(
        engine, "bench-group", "dingtalk", target="http://127.0.0.1:9/robot/send", actor=actor
    )
    subscribe(engine, "bench-group", kind="all", actor=actor)
    out: dict[str, Any] = {}
    churn = get_rule(engine, "新流失预警 New churn warnings")
    from salesops.analysis.churn import churn_warnings

    checked = churn_warnings(engine, FULL_SCOPE, None, as_of=as_of).customers_checked
    flagged = sum(
        f.info["items_count"]
        for f in Evaluator(engine, MetricsEngine(engine, today=as_of), FULL_SCOPE, as_of).run(
            churn.spec
        )
    )
    out["churn"] = {"customers": checked, "flagged": flagged, "share": flagged / checked}
    for label, day in (("first", as_of), ("next_day", as_of + dt.timedelta(days=1))):
        now = dt.datetime.combine(day, dt.time(1, 0))
        report = service.run(
            engine,
            now=now,
            force=True,
            deliver=False,
            metrics=MetricsEngine(engine, today=day),
        )
        from sqlalchemy import select

        with engine.connect() as conn:
            due = [
                int(i)
                for i in conn.execute(
                    select(AlertDelivery.id).where(AlertDelivery.status == "pending")
                ).scalars()
            ]
        messages = len(_digests(engine, due, DeliveryPolicy()))
        out[label] = {
            "alerts": sum(report.fired.values()),
            "by_rule": report.fired,
            "outbox_rows": len(due),
            "messages": messages,
        }
        with engine.begin() as conn:  # as if sent: the next day starts from an empty outbox
            from sqlalchemy import update

            conn.execute(
                update(AlertDelivery)
                .where(AlertDelivery.status == "pending")
                .values(status="sent", sent_at=now)
            )
    engine.dispose()
    return out
