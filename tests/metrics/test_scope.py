"""Data scope inside the engine: a rep sees only their own rows in every KPI; a manager sees
exactly their org subtree."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import delete, select

from salesops.db.derived import refresh_after_write
from salesops.db.schema import (
    Activity,
    Customer,
    Feedback,
    Lead,
    Opportunity,
    OpportunityChange,
    OrderHeader,
    OrderLine,
    Payment,
    Rep,
    Target,
)
from salesops.metrics import catalog
from salesops.metrics.engine import MetricsEngine
from salesops.metrics.query import MetricQuery
from salesops.metrics.scope import Scope
from tests.metrics.conftest import World
from tests.metrics.world import Q1, TODAY

START, END = Q1


def _queries() -> list[MetricQuery]:
    out = []
    for kpi in catalog.ids():
        out.append(MetricQuery(kpi, start=START, end=END))
        out.append(MetricQuery(kpi, grain="month", start=START, end=END, compare="prev"))
    out.append(MetricQuery("market_share", start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31)))
    out.append(MetricQuery("stage_conversion", by=("stage",), start=START, end=END))
    return out


def _answers(engine: MetricsEngine, scope: Scope) -> dict[MetricQuery, Any]:
    return {q: engine.query(q, scope).rows for q in _queries()}


def _delete_all_but(world: World, rep_id: int) -> None:
    """Remove every row of every other rep (and their customers), keeping derived data exact."""
    other_opps = select(Opportunity.id).where(Opportunity.owner_id != rep_id)
    with world.db.engine.begin() as conn:
        conn.execute(
            delete(OpportunityChange).where(OpportunityChange.opportunity_id.in_(other_opps))
        )
        conn.execute(delete(Lead).where(Lead.owner_id != rep_id))
        conn.execute(delete(Opportunity).where(Opportunity.owner_id != rep_id))
        conn.execute(delete(OrderLine).where(OrderLine.rep_id != rep_id))
        conn.execute(delete(OrderHeader).where(OrderHeader.rep_id != rep_id))
        conn.execute(delete(Payment).where(Payment.rep_id != rep_id))
        conn.execute(delete(Activity).where(Activity.rep_id != rep_id))
        conn.execute(delete(Feedback).where(Feedback.rep_id != rep_id))
        conn.execute(delete(Target).where(Target.rep_id != rep_id))
        conn.execute(delete(Customer).where(Customer.owner_id != rep_id))
        conn.execute(delete(Rep).where(Rep.id != rep_id))
        refresh_after_write(conn)


def test_a_rep_sees_no_other_reps_rows_in_any_kpi(world: World) -> None:
    ann = Scope.single_rep(world.ids["rep:Ann"])
    before = _answers(world.engine, ann)
    # The scope really restricts: Ann's own Q1 revenue is O1 150 + O2 200 of 730.
    assert before[MetricQuery("revenue", start=START, end=END)] == [{"value": 350.0}]
    _delete_all_but(world, world.ids["rep:Ann"])
    after = _answers(MetricsEngine(world.db.engine, today=TODAY), ann)
    # If any KPI had read another rep's rows, removing them would have changed its answer.
    changed = [q.metric for q in before if before[q] != after[q]]
    assert changed == []


def test_a_rep_scope_on_grouped_rows(world: World) -> None:
    ann = Scope.single_rep(world.ids["rep:Ann"])
    rows = world.engine.query(MetricQuery("revenue", by=("rep",), start=START, end=END), ann).rows
    assert rows == [{"rep": "Ann", "value": 350.0}]
    won = world.engine.query(MetricQuery("bookings", start=START, end=END), ann).rows
    assert won == [{"value": 1000.0}]  # D1 only


def test_an_org_subtree_sees_exactly_its_subtree(world: World) -> None:
    east = Scope.subtree(world.ids["team:T-East"])
    e = world.engine
    by_rep = e.query(MetricQuery("revenue", by=("rep",), start=START, end=END), east).rows
    assert by_rep == [{"rep": "Ann", "value": 350.0}, {"rep": "Bob", "value": 300.0}]
    # 650 over the two reps of T-East
    assert e.query(MetricQuery("per_rep_output", start=START, end=END), east).rows == [
        {"value": 325.0}
    ]
    company = Scope.subtree(world.ids["team:HQ"])
    assert e.query(MetricQuery("revenue", start=START, end=END), company).rows == [{"value": 730.0}]
    # Targets and facts restricted in one statement share the subtree (one recursive CTE):
    # only Ann has a rep target (400): 350 / 400; Bob, in T-East too, has none.
    attainment = MetricQuery("target_attainment", by=("rep",), start=START, end=END)
    assert e.query(attainment, east).rows == [
        {"rep": "Ann", "value": 0.875},
        {"rep": "Bob", "value": None},
    ]


def test_marketing_spend_has_no_rep_and_is_hidden_from_scoped_callers(world: World) -> None:
    ann = Scope.single_rep(world.ids["rep:Ann"])
    assert world.engine.query(MetricQuery("marketing_spend", start=START, end=END), ann).rows == [
        {"value": 0.0}
    ]


@pytest.mark.parametrize("metric", ["open_pipeline", "overdue_receivables", "visit_conversion"])
def test_other_scoped_kpis(world: World, metric: str) -> None:
    bob = Scope.single_rep(world.ids["rep:Bob"])
    expected = {
        "open_pipeline": 300.0,  # D5 at 31 March
        "overdue_receivables": 300.0,  # PM2
        "visit_conversion": 1.0,  # Beta visited and ordered (O3)
    }[metric]
    rows = world.engine.query(MetricQuery(metric, start=START, end=END), bob).rows
    assert rows == [{"value": expected}]
