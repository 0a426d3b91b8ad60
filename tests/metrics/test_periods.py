"""Time grains and their labels, comparisons with the previous period and a year before."""

from __future__ import annotations

import datetime as dt

import pytest

from salesops.config import get_settings
from salesops.metrics.dialects import bucket_of, period_label
from salesops.metrics.engine import MetricsEngine
from salesops.metrics.query import MetricQuery
from tests.conftest import Db
from tests.metrics.conftest import World
from tests.metrics.world import Q1, TODAY

START, END = Q1


def test_labels() -> None:
    assert period_label("day", dt.date(2017, 3, 1)) == "2017-03-01"
    assert period_label("week", dt.date(2017, 2, 27)) == "2017-W09"
    # 1 January 2023 is a Sunday: ISO week 52 of 2022; 3 January 2021 closes 2020-W53
    assert period_label("week", bucket_of("week", dt.date(2023, 1, 1))) == "2022-W52"
    assert period_label("week", bucket_of("week", dt.date(2021, 1, 3))) == "2020-W53"
    assert period_label("month", dt.date(2017, 3, 1)) == "2017-03"
    assert period_label("quarter", dt.date(2017, 1, 1)) == "2017-Q1"
    assert period_label("year", dt.date(2017, 1, 1)) == "2017"
    assert bucket_of("fiscal_year", dt.date(2017, 3, 15), 4) == dt.date(2016, 4, 1)
    assert period_label("fiscal_year", dt.date(2016, 4, 1), 4) == "FY2016"
    assert period_label("fiscal_quarter", dt.date(2017, 1, 1), 4) == "FY2016-Q4"
    assert period_label("fiscal_quarter", dt.date(2017, 1, 1), 1) == "2017-Q1"


@pytest.mark.parametrize(
    ("grain", "expected"),
    [
        ("day", [("2024-01-10", 150.0), ("2024-02-05", 200.0), ("2024-02-20", 300.0),
                 ("2024-03-15", 80.0)]),
        ("week", [("2024-W02", 150.0), ("2024-W06", 200.0), ("2024-W08", 300.0),
                  ("2024-W11", 80.0)]),
        ("month", [("2024-01", 150.0), ("2024-02", 500.0), ("2024-03", 80.0)]),
        ("quarter", [("2024-Q1", 730.0)]),
        ("year", [("2024", 730.0)]),
        ("fiscal_quarter", [("2024-Q1", 730.0)]),
        ("fiscal_year", [("2024", 730.0)]),
    ],
)  # fmt: skip
def test_grains(world: World, grain: str, expected: list[tuple[str, float]]) -> None:
    q = MetricQuery("revenue", grain=grain, start=START, end=END)  # type: ignore[arg-type]
    assert world.engine.query(q).rows == [{"period": p, "value": v} for p, v in expected]


def test_week_across_the_year_end(world: World) -> None:
    q = MetricQuery("revenue", grain="week", start=dt.date(2023, 10, 1), end=dt.date(2023, 12, 31))
    # O9 on Thursday 2023-10-05, O5 on Friday 2023-11-10, O6 on Friday 2023-12-01
    assert world.engine.query(q).rows == [
        {"period": "2023-W40", "value": 90.0},
        {"period": "2023-W45", "value": 150.0},
        {"period": "2023-W48", "value": 70.0},
    ]


def test_fiscal_year_starting_in_april(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESOPS_FISCAL_YEAR_START_MONTH", "4")
    get_settings.cache_clear()
    engine = MetricsEngine(world.db.engine, today=TODAY)
    by_year = engine.query(MetricQuery("revenue", grain="fiscal_year"))
    # FY2023 = 2023-04 .. 2024-03: 310 (Q4 2023) + 730 (Q1 2024); FY2024: O7 500
    assert by_year.rows == [
        {"period": "FY2023", "value": 1040.0},
        {"period": "FY2024", "value": 500.0},
    ]
    by_quarter = engine.query(
        MetricQuery("revenue", grain="fiscal_quarter", start=dt.date(2023, 10, 1), end=END)
    )
    assert by_quarter.rows == [
        {"period": "FY2023-Q3", "value": 310.0},
        {"period": "FY2023-Q4", "value": 730.0},
    ]


def test_compare_previous_period(world: World) -> None:
    q = MetricQuery("revenue", start=START, end=END, compare="prev")
    # 2023-Q4: O9 90 + O5 150 + O6 70 = 310; change (730 - 310) / 310
    assert world.engine.query(q).rows == [{"value": 730.0, "previous": 310.0, "change": 1.354839}]


def test_compare_year_over_year(world: World) -> None:
    q = MetricQuery("revenue", start=START, end=END, compare="yoy")
    assert world.engine.query(q).rows == [{"value": 730.0, "previous": None, "change": None}]
    q = MetricQuery(
        "bookings", start=dt.date(2024, 12, 1), end=dt.date(2024, 12, 31), compare="yoy"
    )
    # December 2023: nothing won (D6 was lost) -> 0 booked then; change undefined
    assert world.engine.query(q).rows == [{"value": 0, "previous": None, "change": None}]


def test_compare_by_month_and_region(world: World) -> None:
    q = MetricQuery("revenue", by=("region",), grain="month", start=START, end=END, compare="prev")
    assert world.engine.query(q).rows == [
        # January vs December (East had no December order; West: O6 70)
        {"region": "East", "period": "2024-01", "value": 150.0, "previous": None, "change": None},
        {"region": "East", "period": "2024-02", "value": 500.0, "previous": 150.0,
         "change": 2.333333},
        {"region": "West", "period": "2024-03", "value": 80.0, "previous": None, "change": None},
    ]  # fmt: skip


def test_compare_by_month_year_over_year(world: World) -> None:
    q = MetricQuery("revenue", grain="month", start=dt.date(2024, 10, 1), end=dt.date(2024, 12, 31),
                    compare="yoy")  # fmt: skip
    # nothing in Q4 2024, so no rows at all
    assert world.engine.query(q).rows == []
    q = MetricQuery("revenue", grain="quarter", start=dt.date(2023, 1, 1), end=END, compare="yoy")
    rows = world.engine.query(q).rows
    assert rows[-1] == {"period": "2024-Q1", "value": 730.0, "previous": None, "change": None}


def test_open_pipeline_from_history(world: World) -> None:
    e = world.engine
    as_of = MetricQuery("open_pipeline", as_of=dt.date(2024, 2, 15))
    # 15 Feb: D3 2000 (won 1 March) and D4 at 600; D2 was lost on 10 Feb, D5 not yet created
    assert e.query(as_of).rows == [{"value": 2600.0}]
    monthly = e.query(MetricQuery("open_pipeline", grain="month", start=START, end=END))
    # 31 Jan: D2 500 + D3 2000; 29 Feb: D3 2000 + D4 600; 31 Mar: D4 600 + D5 300
    assert monthly.rows == [
        {"period": "2024-01", "value": 2500.0},
        {"period": "2024-02", "value": 2600.0},
        {"period": "2024-03", "value": 900.0},
    ]
    by_stage = e.query(MetricQuery("open_pipeline", by=("stage",), as_of=dt.date(2024, 3, 1)))
    # 1 March: D3 is won that day; D4 still in Qualify (Proposal from 5 March) at 600
    assert by_stage.rows == [{"stage": "Qualify", "value": 600.0}]
    now = e.query(MetricQuery("open_pipeline", as_of=TODAY))  # current rows: D4 800 + D5 300
    assert now.rows == [{"value": 1100.0}]


def test_open_pipeline_compared_with_previous_month(world: World) -> None:
    q = MetricQuery("open_opportunities", start=dt.date(2024, 3, 1), end=END, compare="prev")
    assert world.engine.query(q).rows == [{"value": 2, "previous": 2, "change": 0.0}]


def test_open_pipeline_by_stage_and_month_from_history(world: World) -> None:
    q = MetricQuery("open_pipeline", by=("stage",), grain="month", start=START, end=END)
    # 31 Jan: D2 in Qualify (lost on 10 Feb) 500, D3 (no history: its current stage) 2000;
    # 29 Feb: D4 in Qualify 600, D3 2000; 31 Mar: D5 Qualify 300, D4 Proposal (since 5 Mar) 600
    assert world.engine.query(q).rows == [
        {"stage": "Qualify", "period": "2024-01", "value": 500.0},
        {"stage": "Won", "period": "2024-01", "value": 2000.0},
        {"stage": "Qualify", "period": "2024-02", "value": 600.0},
        {"stage": "Won", "period": "2024-02", "value": 2000.0},
        {"stage": "Qualify", "period": "2024-03", "value": 300.0},
        {"stage": "Proposal", "period": "2024-03", "value": 600.0},
    ]


def test_owner_as_of_a_date_from_history(world: World) -> None:
    from sqlalchemy.orm import Session

    from salesops.db.derived import refresh_after_write
    from salesops.db.schema import Opportunity, OpportunityChange
    from tests.metrics.world import ts

    with Session(world.db.engine) as s:
        d5 = s.query(Opportunity).filter_by(external_id="D5").one()
        # D5 (Bob's now) belonged to Ann until 12 March
        s.add(OpportunityChange(opportunity_id=d5.id, field="owner", old_value="ann",
                                new_value="bob", changed_at=ts("2024-03-12", 0)))  # fmt: skip
        s.commit()
    with world.db.engine.begin() as conn:
        refresh_after_write(conn, orders_changed=False)
    e = world.engine
    before = e.query(MetricQuery("open_pipeline", by=("rep",), as_of=dt.date(2024, 3, 11)))
    # 11 March: D3 won on 1 March; D4 600 and D5 300 both Ann's
    assert before.rows == [{"rep": "Ann", "value": 900.0}]
    after = e.query(MetricQuery("open_pipeline", by=("rep",), as_of=dt.date(2024, 3, 31)))
    assert after.rows == [{"rep": "Ann", "value": 600.0}, {"rep": "Bob", "value": 300.0}]
    teams = e.query(MetricQuery("open_pipeline", by=("team",), grain="month", start=START, end=END))
    assert teams.rows[-1] == {"team": "T-East", "period": "2024-03", "value": 900.0}


def test_retention_compared_when_the_windows_overlap(world: World) -> None:
    # 2024-01-01 .. 2024-08-31 (8 whole months) against the same months of 2023. Retention
    # looks back one window: 2023-05-01 .. 2023-12-31 for this period, 2022-05-01 ..
    # 2022-12-31 for last year's — and last year's window itself (2023-01 .. 2023-08) shares
    # May to August 2023 with this period's look-back, so rows must count in both.
    # Look-back customers: Delta (Oct), Acme (Nov), Gamma (Dec); of them Acme and Gamma
    # bought again in 2024: 2 / 3. Last year's look-back has no customers: no value.
    q = MetricQuery(
        "retention_rate", start=dt.date(2024, 1, 1), end=dt.date(2024, 8, 31), compare="yoy"
    )
    assert world.engine.query(q).rows == [{"value": 0.666667, "previous": None, "change": None}]
    alone = MetricQuery("retention_rate", start=dt.date(2024, 1, 1), end=dt.date(2024, 8, 31))
    assert world.engine.query(alone).rows == [{"value": 0.666667}]


def test_local_day_comparisons_on_stored_timestamps_match_the_local_date(db: Db) -> None:
    """Period filters on an activity's local day compare the stored UTC timestamp
    (Asia/Shanghai, UTC+8): the same answer as converting each row, at every boundary."""
    from sqlalchemy import DateTime, literal, select, union_all

    from salesops.metrics.measures import LocalDay

    stamps = [dt.datetime(2024, 1, 31, h, m, s) for h, m, s in
              ((15, 59, 59), (16, 0, 0), (16, 0, 1), (0, 0, 0), (23, 59, 59))]  # fmt: skip
    rows = union_all(*(select(literal(s, DateTime).label("at")) for s in stamps)).subquery("t")
    day = LocalDay(rows.c.at, 8 * 3600)
    d = dt.date(2024, 2, 1)  # 31 January 16:00 UTC is 1 February 00:00 in Shanghai
    checks = [day >= d, day > d, day <= d, day < d, day.between(d, d)]
    with db.engine.connect() as conn:
        found = conn.execute(select(rows.c.at, *(c.label(f"c{i}") for i, c in enumerate(checks))))
        got = {r[0]: tuple(r[1:]) for r in found}
    local = {s: (s + dt.timedelta(hours=8)).date() for s in stamps}
    for s in stamps:
        want = (local[s] >= d, local[s] > d, local[s] <= d, local[s] < d, local[s] == d)
        assert got[s] == want, s
    assert got[dt.datetime(2024, 1, 31, 16)] == (True, False, True, False, True)
