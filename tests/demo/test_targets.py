"""Demo targets read back through the targets module: natural keys, a tree that adds up."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal

from salesops.demo import generate_demo
from salesops.metrics.engine import MetricsEngine
from salesops.metrics.query import MetricQuery
from salesops.targets.org import Directory
from salesops.targets.service import natural_key
from salesops.targets.tree import add_up_checks, load_targets
from tests.conftest import Db
from tests.demo.helpers import TINY, rows


def test_targets_are_keyed_and_add_up_like_decomposed_ones(db: Db) -> None:
    generate_demo(db.engine, TINY)
    with db.engine.connect() as conn:
        directory = Directory(conn)
        targets = load_targets(conn, directory)
    assert targets
    for t in targets:
        assert t.external_id == natural_key(t.metric, t.period, t.scope, directory)
    children = defaultdict(list)
    for t in targets:
        if t.parent_id is not None:
            children[t.parent_id].append(t)
    levels: Counter[str] = Counter()
    for t in targets:
        for check in add_up_checks(t, children.get(t.id, [])):
            assert check.adds_up, (t.external_id, check)
            levels[check.level] += 1
    # revenue and bookings for 2024, 2025, 2026 and (set in the autumn: today is 22 November
    # 2026) 2027: company → quarters → months; company → regions → teams (one per region) →
    # reps, each of them with quarters; product lines.
    yearly = [t for t in targets if t.period.grain == "year" and t.metric != "new_customers"]
    assert levels["quarter"] == sum(t.scope.kind != "product_line" for t in yearly)
    assert levels["month"] == 2 * 4 * 4
    assert levels["region"] == 2 * 4
    assert levels["product_line"] == 2 * 4
    assert levels["team"] == 2 * 4 * 2
    assert levels["rep"] == 2 * 4 * 2
    assert sum(t.metric == "new_customers" for t in targets) == 4


def test_company_targets_stretch_last_years_actuals(db: Db) -> None:
    generate_demo(db.engine, TINY)
    revenue_2025 = rows(
        db.engine,
        "SELECT sum(amount) FROM order_line WHERE status = 'normal' "
        "AND order_date BETWEEN '2025-01-01' AND '2025-12-31'",
    )[0][0]
    target_2026 = rows(
        db.engine,
        "SELECT value FROM target WHERE external_id = 'revenue|year|2026-01-01|company||||'",
    )[0][0]
    # this year's target is last year's revenue plus 25 %, in whole hundreds of yuan
    assert abs(target_2026 - revenue_2025 * Decimal("1.25")) <= 50
    assert target_2026 % 100 == 0
    goal = rows(db.engine, "SELECT text_zh FROM announcement WHERE external_id = 'ANN-001'")[0][0]
    assert goal.startswith(f"2026 年公司目标：销售额 {target_2026 / Decimal(10**8):.2f} 亿元")


def test_in_the_autumn_the_company_has_next_years_targets(db: Db) -> None:
    # On 7 December 2026 the 2027 plan is set: pipeline coverage (open pipeline expected to
    # close next period / next period's bookings target) is a number for December and for
    # the whole of 2026.
    generate_demo(db.engine, dataclasses.replace(TINY, today=dt.date(2026, 12, 7)))
    yearly = "SELECT metric FROM target WHERE external_id LIKE '%|year|2027-01-01|company||||'"
    assert sorted(r[0] for r in rows(db.engine, yearly)) == ["bookings", "new_customers", "revenue"]
    assert rows(db.engine, "SELECT count(*) FROM target WHERE period_start = '2027-01-01' "
                "AND period_grain = 'month' AND scope_kind = 'company'") == [(2,)]  # fmt: skip
    engine = MetricsEngine(db.engine, today=dt.date(2026, 12, 7))
    for start in (dt.date(2026, 12, 1), dt.date(2026, 1, 1)):
        q = MetricQuery("pipeline_coverage", start=start, end=dt.date(2026, 12, 31))
        value = engine.query(q).rows[0]["value"]
        assert isinstance(value, float) and value > 0, (start, value)
    # in the summer there is no plan for next year yet
    generate_demo(db.engine, dataclasses.replace(TINY, today=dt.date(2026, 7, 1)), replace=True)
    assert rows(db.engine, "SELECT count(*) FROM target WHERE period_start >= '2027-01-01'") == [
        (0,)
    ]
