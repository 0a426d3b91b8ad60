"""The landing forecast read from a hand-made history, and no look-ahead: adding what happened
after the forecast's day changes the actual but not the forecast (DuckDB and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from salesops.forecast import data
from salesops.forecast.backtest import landing_backtest
from salesops.forecast.compute import landing_as_of, load_known, score_open, train_model
from salesops.metrics.scope import FULL_SCOPE
from salesops.targets.calendar import parse_period
from tests.conftest import Db
from tests.forecast.data import add_future, seed

AS_OF = dt.date(2026, 4, 30)
Q2 = parse_period("2026-Q2")
Z = 1.2815515655446004


def _forecast(db: Db, method: str = "landing") -> tuple[object, object]:
    with db.engine.connect() as conn:
        known = load_known(conn, AS_OF, FULL_SCOPE)
        model = train_model(conn, known)
        assert model.fallback_reason  # seven closed deals: stage probabilities, and it says so
        return landing_as_of(conn, Q2, known, method=method, model=model)


def test_landing_by_hand(db: Db) -> None:
    seed(db.engine)
    land, deals = _forecast(db)
    assert land.closed_to_date == pytest.approx(1000)  # w1
    # open then: w_late 5000 x 0.5 x t_in 1 + o1 2000 x 0.2 x 1 + o2 4000 x 0.5 x t_after 1/3
    assert land.pipeline_expected == pytest.approx(2500 + 400 + 4000 * 0.5 / 3)
    assert land.new_expected == pytest.approx(800)  # n1, the only ended quarter with closes
    assert land.expected == pytest.approx(1000 + 3566.6666667 + 800)
    variance = 5000**2 * 0.25 + 2000**2 * 0.2 * 0.8 + 4000**2 * (1 / 6) * (5 / 6)
    assert land.high == pytest.approx(land.expected + Z * math.sqrt(variance))
    assert land.low == pytest.approx(land.expected - Z * math.sqrt(variance))
    cats = land.categories
    assert (
        cats["closed"],
        cats["commit"],
        cats["best_case"],
        cats["pipeline"],
        cats["omitted"],
    ) == (1000, 5000, 0, 2000, 4000)
    assert (cats["commit_total"], cats["best_case_total"], cats["pipeline_total"]) == (
        6000,
        6000,
        8000,
    )
    by_amount = dict(zip(deals["amount"], deals["expected"], strict=False))
    assert by_amount == pytest.approx({5000.0: 2500.0, 2000.0: 400.0, 4000.0: 4000 * 0.5 / 3})


def test_stage_weighted_baseline_by_hand(db: Db) -> None:
    seed(db.engine)
    land, _ = _forecast(db, "stage_weighted")
    assert land.expected == pytest.approx(1000 + 5000 * 0.5 + 2000 * 0.2)  # o2 closes later


def test_the_future_does_not_leak_into_an_earlier_forecast(db: Db) -> None:
    seed(db.engine)
    before = {m: _forecast(db, m)[0] for m in ("landing", "stage_weighted", "last_year_growth")}
    with db.engine.connect() as conn:
        actual_before = data.won_between(conn, Q2.start, Q2.end, FULL_SCOPE)
    add_future(db.engine)
    with db.engine.connect() as conn:
        actual_after = data.won_between(conn, Q2.start, Q2.end, FULL_SCOPE)
        known = load_known(conn, AS_OF, FULL_SCOPE)
        scored = score_open(known, train_model(conn, known))
    # The future changes the answer ...
    assert actual_after == actual_before + 7000 + 1000  # f1 won, w_late grew by 1000
    # ... but not what was known on 2026-04-30: o1 was still S1 with 2000, w_late 5000.
    by_deal = dict(zip(scored["amount"], scored["stage"], strict=False))
    assert by_deal == {5000.0: "S2", 2000.0: "S1", 4000.0: "S2"}
    for method, old in before.items():
        new = _forecast(db, method)[0]
        assert (new.expected, new.low, new.high) == pytest.approx((old.expected, old.low, old.high))


def test_backtest_replays_without_look_ahead(db: Db) -> None:
    seed(db.engine)
    with db.engine.connect() as conn:
        first = landing_backtest(
            conn, FULL_SCOPE, today=dt.date(2026, 12, 1), history_months=0, months_in=(1,)
        )
    add_future(db.engine)
    with db.engine.connect() as conn:
        second = landing_backtest(
            conn, FULL_SCOPE, today=dt.date(2026, 12, 1), history_months=0, months_in=(1,)
        )
    rows1 = {r.period: r for r in first.rows}
    rows2 = {r.period: r for r in second.rows}
    assert "2026-Q2" in rows1 and rows1.keys() == rows2.keys()
    q2a, q2b = rows1["2026-Q2"], rows2["2026-Q2"]
    assert q2a.origin == AS_OF
    assert q2b.actual == q2a.actual + 8000  # the replay scores against what happened
    for method, values in q2a.forecasts.items():  # from what was known then
        assert q2b.forecasts[method] == pytest.approx(values)
    assert q2a.forecasts["landing"][0] == pytest.approx(1000 + 3566.6666667 + 800)
