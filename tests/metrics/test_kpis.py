"""Every KPI of the catalog on the hand-made world (tests/metrics/world.py), both databases.

Expected values are worked out by hand from the rows of the world; the comment next to each
case shows the arithmetic. Period: 2024-Q1 unless a case says otherwise; today is 2024-06-01.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from salesops.db.derived import refresh_after_write
from salesops.db.schema import Opportunity, PipelineStage, Target
from salesops.metrics import catalog
from salesops.metrics.engine import MetricsEngine
from salesops.metrics.formula import Const, Pow
from salesops.metrics.query import MetricQuery
from tests.conftest import Db
from tests.metrics.conftest import World
from tests.metrics.world import Q1

START, END = Q1
YEAR = (dt.date(2024, 1, 1), dt.date(2024, 12, 31))

# (metric, expected total over 2024-Q1)
CASES: list[tuple[str, Any]] = [
    ("revenue", 730.0),  # O1 100+50, O2 200, O3 300 (cancelled line out), O4 80; O8 returned
    ("gross_profit", 350.0),  # costed lines: 40 + 80 + 200 + 30
    ("gross_margin", 0.514706),  # 350 / (100 + 200 + 300 + 80): O1's service line has no cost
    ("orders", 4),  # O1, O2, O3, O4 (O8 was entirely returned)
    ("units_sold", 5.0),  # normal Q1 lines of quantity 1: O1 x2, O2, O3 line 1, O4
    ("aov", 182.5),  # 730 / 4
    ("active_customers", 3),  # Acme, Beta, Gamma
    ("new_customers", 1),  # Beta: first normal order 2024-02-20 (its January order was returned)
    ("repeat_rate", 0.333333),  # Acme ordered twice: 1 / 3
    ("bookings", 3000.0),  # D1 1000 + D3 2000
    ("won_deals", 2),
    ("lost_deals", 1),  # D2
    ("win_rate", 0.666667),  # 2 / (2 + 1)
    ("avg_deal_size", 1500.0),  # 3000 / 2
    ("sales_cycle_days", 48.0),  # D1 50 days, D3 46 days
    ("new_opportunities", 4),  # D2, D3, D4, D5
    ("new_pipeline", 3600.0),  # 500 + 2000 + 800 + 300
    ("open_opportunities", 2),  # at 2024-03-31: D4, D5
    ("open_pipeline", 900.0),  # D4 at 600 then (raised to 800 on 2024-04-10) + D5 300
    ("weighted_pipeline", 360.0),  # D4 600 x 0.5 (Proposal's default) + D5 300 x 0.2
    ("pipeline_coverage", 0.6),  # open, expected to close in Q2: 600 + 300; Q2 target 1500
    ("sales_velocity", 41.67),  # 2 open x 2/3 x 1500 / 48 days
    ("stage_conversion", 0.25),  # created in Q1: D2, D3, D4, D5; won: D3
    ("stage_dwell_days", 34.5),  # D4 Qualify 33 days, D2 Qualify 36 days (ended in Q1)
    ("lead_conversion", 0.666667),  # L1, L3 of L1, L2, L3
    ("collection_rate", 0.433962),  # due in Q1 530 (150 + 300 + 80); paid by 03-31: 150 + 80
    ("overdue_receivables", 390.0),  # at 03-31: PM2 300 (paid in April) + PM4 90
    ("marketing_spend", 900.0),  # MS1 600 + MS2 300
    ("cac", 900.0),  # 900 / 1 new customer
    ("retention_rate", 0.666667),  # 2023-Q4: Acme, Gamma, Delta; Q1 again: Acme, Gamma
    ("churn_rate", 0.333333),
    # 730/3 x 365/91 = 976.0073 per customer-year; margin 0.5147059; annual churn =
    # 1 - (2/3)^(365/91) = 0.8033473, lifetime min(1/0.8033473, 10) = 1.2447916
    ("clv", 625.3294),  # = 976.0073 x 0.5147059 x 1.2447916 (money keeps four places)
    ("per_rep_output", 243.3333),  # 730 / 3 reps (Bob hired in Feb, Cat left in Jan)
    ("activities", 5),  # A1..A5; A7 is 1 April in Shanghai, A6 is December
    ("visit_conversion", 0.75),  # Acme (D1), Beta (O3), Gamma (D3) of Acme, Beta, Gamma, Delta
    ("nps", 25.0),  # 100 x (2 promoters - 1 detractor) / 4
    ("csat", 4.0),  # (5 + 3 + 4) / 3
    ("feedback_resolution_days", 7.5),  # F1 5 days, F2 10 days
    ("target_attainment", 0.73),  # 730 / quarter target 1000 (monthly targets are finer)
    ("pacing", 0.73),  # the quarter is over: attainment / 1
]


#: KPIs over follow-up tasks, which the world has none of: tests/customers/test_customers.py
TASK_KPIS = {"task_completion", "warning_follow_up"}


def test_every_kpi_has_a_case() -> None:
    from tests.metrics.test_market_voice_kpis import CASES as MARKET_VOICE_CASES

    # the market, channel and feedback-loop KPIs of issue #25 have their own hand-made company
    covered = {m for m, _ in CASES} | {m for m, _ in MARKET_VOICE_CASES} | TASK_KPIS
    assert covered | {"market_share"} == set(catalog.ids())


@pytest.mark.parametrize(("metric", "expected"), CASES, ids=[c[0] for c in CASES])
def test_kpi_total(world: World, metric: str, expected: Any) -> None:
    result = world.engine.query(MetricQuery(metric, start=START, end=END))
    assert result.rows == [{"value": expected}]


def test_market_share(world: World) -> None:
    q = MetricQuery("market_share", start=YEAR[0], end=YEAR[1])
    # 2024 revenue 730 + O7 500 over market sizes 10000 + 5000
    assert world.engine.query(q).rows == [{"value": 0.082}]
    by = world.engine.query(MetricQuery("market_share", by=("region",), start=YEAR[0], end=YEAR[1]))
    # East 650 + 500 over 10000; West 80 over 5000
    assert by.rows == [{"region": "East", "value": 0.115}, {"region": "West", "value": 0.016}]


def test_pacing_in_the_middle_of_the_period(world: World) -> None:
    from salesops.metrics.engine import MetricsEngine

    engine = MetricsEngine(world.db.engine, today=dt.date(2024, 2, 15))
    # 46 of 91 days elapsed: 0.73 / (46 / 91)
    assert engine.query(MetricQuery("pacing", start=START, end=END)).rows == [{"value": 1.44413}]


def test_attainment_by_rep_and_of_another_metric(world: World) -> None:
    q = MetricQuery("target_attainment", by=("rep",), start=START, end=END)
    # only Ann has a rep target (400): 350 / 400
    assert world.engine.query(q).rows == [
        {"rep": "Ann", "value": 0.875},
        {"rep": "Bob", "value": None},
        {"rep": "Cat", "value": None},
    ]
    q2 = MetricQuery(
        "target_attainment", start=dt.date(2024, 4, 1), end=dt.date(2024, 6, 30),
        extra=(("target_metric", "bookings"),),
    )  # fmt: skip
    assert world.engine.query(q2).rows == [{"value": 0.0}]  # nothing booked yet of 1500


def test_stage_conversion_and_dwell_by_stage(world: World) -> None:
    conv = world.engine.query(MetricQuery("stage_conversion", by=("stage",), start=START, end=END))
    # Qualify reached by all four, Proposal by D3 and D4; Won by D3
    assert conv.rows == [{"stage": "Qualify", "value": 0.5}, {"stage": "Proposal", "value": 0.5}]
    dwell = world.engine.query(MetricQuery("stage_dwell_days", by=("stage",), start=START, end=END))
    assert dwell.rows == [{"stage": "Qualify", "value": 34.5}]


def test_a_stay_ended_before_it_began_lasts_zero_days(db: Db) -> None:
    from tests.analysis.data import build, ts

    with build(db.engine) as b:
        b.rep("R1")
        for i, (name, kind) in enumerate((("Lead", "open"), ("Qualify", "open"), ("Won", "won"))):
            b.stage(name, i + 1, kind)
        # Lead 1 Jan 00:00 -> 11 Jan 00:00: 10 days; then Qualify from 11 Jan, but the deal
        # was recorded won on 5 January: that stay ends at its entry, 0 days (not -6)
        b.opportunity("a", owner="R1", created="2024-01-01", stage="Qualify", status="won",
                      amount=100, closed="2024-01-05")  # fmt: skip
        b.change("a", "stage", "Lead", "Qualify", ts("2024-01-11", 0))
    jan = MetricQuery("stage_dwell_days", start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 31))
    by_stage = MetricQuery(
        "stage_dwell_days", by=("stage",), start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 31)
    )
    for summary in (True, False):  # the kept stays and the history
        engine = MetricsEngine(db.engine, today=dt.date(2024, 6, 30), summary=summary)
        assert engine.query(jan).rows == [{"value": 5.0}], summary
        assert engine.query(by_stage).rows == [
            {"stage": "Lead", "value": 10.0},
            {"stage": "Qualify", "value": 0.0},
        ], summary


def test_activities_by_kind_and_nps_by_category(world: World) -> None:
    acts = world.engine.query(MetricQuery("activities", by=("kind",), start=START, end=END))
    assert acts.rows == [{"kind": "call", "value": 1}, {"kind": "visit", "value": 4}]
    nps = world.engine.query(MetricQuery("nps", by=("category",), start=START, end=END))
    assert nps.rows == [{"category": "service", "value": 25.0}]


def test_cac_by_source_channel(world: World) -> None:
    q = MetricQuery("cac", by=("source_channel",), start=START, end=END)
    # referral: 300 / Beta; web: 600 spent, no new web customer
    assert world.engine.query(q).rows == [
        {"source_channel": "referral", "value": 300.0},
        {"source_channel": "web", "value": None},
    ]


def test_lost_deals_by_competitor_and_reason(world: World) -> None:
    q = MetricQuery("lost_deals", by=("competitor", "lost_reason"), start=START, end=END)
    assert world.engine.query(q).rows == [
        {"competitor": "Rival", "lost_reason": "price", "value": 1}
    ]


def test_over_all_the_data(world: World) -> None:
    # every normal line: 730 (2024-Q1) + 310 (2023-Q4) + 500 (O7); all three reps ever
    assert world.engine.query(MetricQuery("revenue")).rows == [{"value": 1540.0}]
    assert world.engine.query(MetricQuery("per_rep_output")).rows == [{"value": 513.3333}]
    # with a grain and no dates, the periods run from the first date any fact has
    rows = world.engine.query(MetricQuery("open_opportunities", grain="year")).rows
    # end of 2023: D1 (created 1 Dec); D6 was lost on 15 Dec; today (2024-06-01): D4, D5
    assert rows == [{"period": "2023", "value": 1}, {"period": "2024", "value": 2}]


def test_parts_without_rows_join_the_others_by_any_dimension(world: World) -> None:
    # No product targets exist: attainment by product has no value, and no error (the empty
    # target part's product key is an integer id like the revenue part's).
    by_product = MetricQuery("target_attainment", by=("product",), start=START, end=END)
    assert world.engine.query(by_product).rows == [
        {"product": "Service", "value": None},
        {"product": "Widget", "value": None},
    ]
    # Without a first day there is no window to look back from: no retention, so no CLV.
    clv = MetricQuery("clv", by=("rep",), end=END)
    assert [r["value"] for r in world.engine.query(clv).rows] == [None, None, None]


@pytest.mark.parametrize(
    ("base", "exponent", "expected"),
    [
        (0.25, 0.5, 0.5),
        (2.0, 10.0, 1024.0),
        (0.3, 365.0, 1.41e-191),  # still a double
        (0.02, 365.0, 0.0),  # 1e-620 underflows a double: PostgreSQL would raise
        (10.0, 400.0, None),  # overflows a double
        (0.0, 4.0, 0.0),
        (0.0, 0.0, 1.0),
        (0.0, -1.0, None),  # infinite
        (-2.0, 2.0, None),  # a negative base is not a rate
    ],
)
def test_power_at_the_edges_of_a_double(
    db: Db, base: float, exponent: float, expected: float | None
) -> None:
    # A daily CLV raises a day's retention to 365: the formula must give a number (or
    # nothing) on both databases, never a database error.
    expr = Pow(Const(base), Const(exponent)).sql({})
    with db.engine.connect() as conn:
        got = conn.execute(select(expr)).scalar()
    assert got == (pytest.approx(expected, rel=1e-2, abs=0) if expected is not None else None)


def test_a_power_computed_ahead_is_named_from_its_formula() -> None:
    # Named from the object's id, the SQL (and `explain`) differed from process to process.
    a, b = Pow(Const(0.9), Const(365.0)), Pow(Const(0.9), Const(365.0))
    assert a is not b and a.column == b.column
    assert a.column != Pow(Const(0.9), Const(366.0)).column
    assert a.column.startswith("pow_") and a.column.isidentifier()


def test_coverage_seen_from_inside_the_next_period_deducts_what_it_already_booked(
    db: Db,
) -> None:
    # Q2 bookings target 1500. W (300, expected 10 April) is won on 10 April; O (1000,
    # expected 1 May) stays open. Q1's coverage as it stood on 31 March: both open and due
    # in Q2, nothing booked in Q2 yet: 1300 / 1500. Seen on 20 April: O open, W's 300
    # already booked: 1000 / (1500 - 300).
    with Session(db.engine) as s:
        s.add_all(
            [
                PipelineStage(name="Open", position=1, probability=Decimal("0.5"), kind="open"),
                PipelineStage(name="Won", position=2, probability=Decimal("1"), kind="won"),
                Opportunity(external_id="W", stage="Won", status="won", amount=Decimal(300),
                            created_on=dt.date(2024, 1, 5), closed_on=dt.date(2024, 4, 10),
                            expected_close_on=dt.date(2024, 4, 10)),
                Opportunity(external_id="O", stage="Open", status="open", amount=Decimal(1000),
                            created_on=dt.date(2024, 1, 5), expected_close_on=dt.date(2024, 5, 1)),
                Target(external_id="T", metric="bookings", period_grain="quarter",
                       period_start=dt.date(2024, 4, 1), value=Decimal(1500)),
            ]
        )  # fmt: skip
        s.commit()
    with db.engine.begin() as conn:
        refresh_after_write(conn)
    engine = MetricsEngine(db.engine, today=dt.date(2024, 6, 1))
    q1 = {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 3, 31)}
    at_end = engine.query(MetricQuery("pipeline_coverage", **q1)).rows[0]["value"]
    in_q2 = engine.query(MetricQuery("pipeline_coverage", **q1, as_of=dt.date(2024, 4, 20)))
    assert (at_end, in_q2.rows[0]["value"]) == (0.866667, 0.833333)
