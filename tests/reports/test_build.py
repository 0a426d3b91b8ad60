"""Every report kind in both languages builds on a small demo company, with the engine's
numbers; scopes are resolved and checked."""

from __future__ import annotations

import datetime as dt

import pytest

from salesops.demo import generate_demo
from salesops.metrics.engine import MetricsEngine
from salesops.metrics.query import MetricQuery
from salesops.metrics.scope import Scope
from salesops.reports.assemble import ReportError, build_report
from salesops.reports.periods import KINDS
from tests.conftest import Db
from tests.demo.helpers import TINY, TODAY


@pytest.fixture
def demo(db: Db) -> Db:
    generate_demo(db.engine, TINY)
    return db


def test_every_kind_in_both_languages(demo: Db) -> None:
    engine = MetricsEngine(demo.engine, today=TODAY)
    for kind in KINDS:
        for lang in ("zh", "en"):
            r = build_report(demo.engine, kind, None, "company", lang, today=TODAY)
            assert r.period.end < TODAY
            assert len(r.summary) >= 2
            head = r.section("headline")
            assert head is not None
            revenue = next(row for row in head.rows if row["metric_id"] == "revenue")
            q = MetricQuery("revenue", start=r.period.start, end=r.period.end)
            assert revenue["value"] == engine.query(q).rows[0]["value"]
            if kind != "daily":
                bridge = r.section("revenue_bridge")
                assert bridge is not None
                amounts = [row["amount"] for row in bridge.rows]
                assert amounts[0] + sum(amounts[1:-1]) == amounts[-1]
    zh = build_report(demo.engine, "monthly", "2026-10", None, "zh", today=TODAY)
    assert zh.title == "销售月报 · 2026-10 · 全公司"
    assert "销售额" in zh.summary[0]


def test_scopes(demo: Db) -> None:
    with demo.engine.connect() as conn:
        rep_id, rep_name, unit_id = conn.exec_driver_sql(
            "SELECT id, name, org_unit_id FROM rep ORDER BY id LIMIT 1"
        ).one()
    r = build_report(demo.engine, "monthly", "2026-10", rep_name, "en", today=TODAY)
    assert r.scope == Scope.single_rep(rep_id) and r.scope_name == rep_name
    engine = MetricsEngine(demo.engine, today=TODAY)
    q = MetricQuery("bookings", start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))
    head = r.section("headline")
    assert head is not None
    bookings = next(row for row in head.rows if row["metric_id"] == "bookings")
    assert bookings["value"] == engine.query(q, Scope.single_rep(rep_id)).rows[0]["value"]
    # a rep cannot ask for the company, nor for a unit
    with pytest.raises(ReportError, match="outside your data scope"):
        build_report(demo.engine, "monthly", "2026-10", "company", "en",
                     caller=Scope.single_rep(rep_id), today=TODAY)  # fmt: skip
    own = build_report(
        demo.engine, "weekly", None, None, "en", caller=Scope.subtree(unit_id), today=TODAY
    )
    assert own.scope == Scope.subtree(unit_id)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("monthly", "2026-13", None, "en"), "month must be 01 to 12"),
        (("weekly", "2025-W53", None, "en"), "2025 has ISO weeks 1 to 52"),
        (("monthly", None, "Nobody", "en"), "scope 'Nobody': no org unit or rep"),
        (("monthly", None, None, "fr"), "unknown language 'fr'"),
        (("hourly", None, None, "en"), "unknown report 'hourly'"),
    ],
)
def test_bad_input(db: Db, args: tuple[str, str | None, str | None, str], message: str) -> None:
    with pytest.raises(ReportError, match=message):
        build_report(db.engine, *args, today=TODAY)


def test_one_scope_tree_per_unit_across_threads() -> None:
    """Reports built side by side share the engine: every thread must get the same
    ``scope_tree`` CTE for a unit, or a statement can hold two ("Multiple unrelated CTEs")."""
    from concurrent.futures import ThreadPoolExecutor

    from salesops.metrics import scope

    for unit in range(10_000, 10_050):
        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(lambda _: scope.subtree_units(unit), range(16)))  # noqa: B023
        assert len({id(g) for g in got}) == 1
