"""Attainment, expected-to-date, gap, projection, pacing and status, on both databases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from salesops.metrics.scope import Scope
from salesops.targets.attainment import evaluate, status_for
from salesops.targets.calendar import WorkCalendar, parse_period
from salesops.targets.org import TargetScope
from salesops.targets.service import get_target, set_target
from tests.conftest import Db
from tests.targets import data

M = Decimal
D = dt.date.fromisoformat
CHINA = WorkCalendar.china()


@pytest.mark.parametrize(
    ("index", "status"),
    [
        (1.30, "ahead"),
        (1.05, "ahead"),
        (1.0499, "on_track"),
        (1.00, "on_track"),
        (0.95, "on_track"),
        (0.9499, "behind"),
        (0.80, "behind"),
        (0.7999, "at_risk"),
        (0.0, "at_risk"),
        (None, "no_data"),
    ],
)
def test_status_thresholds(index: float | None, status: str) -> None:
    assert status_for(index) == status


def _target(db: Db, metric: str, period: str, value: str, scope: TargetScope | None = None):  # type: ignore[no-untyped-def]
    return set_target(
        db.engine, metric, parse_period(period, 1), scope or TargetScope.company(), value
    ).target


def test_calendar_days_pacing(db: Db) -> None:
    data.load(db.engine)
    target = _target(db, "revenue", "2026", "1800000")
    a = evaluate(db.engine, [target], as_of=D("2026-03-31"))[target.id]
    # Revenue 2026-01-01..03-31 = 150k + 50k + 100k + 30k + 120k = 450,000; 90 of 365 days.
    assert a.actual == M("450000")
    assert a.attainment == pytest.approx(0.25)
    assert (a.elapsed_days, a.total_days) == (90, 365)
    assert a.expected_to_date == M("443835.62")  # 1,800,000 × 90 / 365
    assert a.gap == M("6164.38")
    assert a.remaining == M("1350000")
    assert a.projection == M("1825000.00")  # 450,000 × 365 / 90
    assert a.pacing == pytest.approx(1.0138889, abs=1e-6)  # 0.25 × 365 / 90
    assert a.status == "on_track"


def test_working_days_pacing(db: Db) -> None:
    data.load(db.engine)
    target = _target(db, "revenue", "2026", "1800000")
    a = evaluate(db.engine, [target], as_of=D("2026-03-31"), basis="working", calendar=CHINA)[
        target.id
    ]
    # 59 of 2026's 248 working days are gone by March 31 (21 + 16 + 22).
    assert (a.elapsed_days, a.total_days) == (59, 248)
    assert a.expected_to_date == M("428225.81")  # 1,800,000 × 59 / 248
    assert a.gap == M("21774.19")
    assert a.projection == M("1891525.42")  # 450,000 × 248 / 59
    assert a.pacing == pytest.approx(1.0508475, abs=1e-6)  # 0.25 × 248 / 59
    # The Spring Festival weeks count as holidays, so the same numbers are ahead, not on track.
    assert a.status == "ahead"


def test_rep_team_region_targets_and_periods(db: Db) -> None:
    ids = data.load(db.engine)
    rep = _target(db, "revenue", "2026-Q1", "400000", TargetScope("rep", rep_id=ids["rep:张伟"]))
    team = _target(
        db, "revenue", "2026-Q1", "1000000", TargetScope("org_unit", org_unit_id=ids["unit:TS1"])
    )
    region = _target(
        db, "revenue", "2026-03", "100000", TargetScope("region", region_id=ids["region:华东"])
    )
    unit = _target(
        db, "revenue", "2026-Q1", "500000", TargetScope("org_unit", org_unit_id=ids["unit:RE"])
    )
    results = evaluate(db.engine, [rep, team, region, unit], as_of=D("2026-02-14"))
    # 张伟 by Feb 14: 150,000 of 400,000; 45 of 90 days gone.
    r = results[rep.id]
    assert (r.actual, r.elapsed_days, r.total_days) == (M("150000"), 45, 90)
    assert r.attainment == pytest.approx(0.375)
    assert r.pacing == pytest.approx(0.75)
    assert r.projection == M("300000.00")
    assert r.status == "at_risk"
    # 华南一组 by Feb 14: 赵敏's 120,000 of 1,000,000 → pacing 0.24.
    assert results[team.id].actual == M("120000")
    assert results[team.id].status == "at_risk"
    # March has not started on Feb 14.
    assert results[region.id].status == "not_started"
    assert results[region.id].actual is None
    # 华东大区 (an org unit with two teams): 150,000 + 100,000 by Feb 14 = 250,000 of 500,000.
    u = results[unit.id]
    assert u.actual == M("250000")
    assert u.pacing == pytest.approx(1.0)
    assert u.status == "on_track"


def test_finished_period_and_no_sales(db: Db) -> None:
    ids = data.load(db.engine)
    done = _target(db, "revenue", "2025-Q4", "500000")
    nothing = _target(db, "revenue", "2026-01", "5000", TargetScope("rep", rep_id=ids["rep:王强"]))
    results = evaluate(db.engine, [done, nothing], as_of=D("2026-05-01"))
    # 2025 Q4: 300k + 100k = 400,000 of 500,000, whole period gone.
    d = results[done.id]
    assert (d.elapsed_days, d.total_days, d.elapsed_share) == (92, 92, 1.0)
    assert d.actual == M("400000")
    assert d.projection == M("400000.00")
    assert d.pacing == pytest.approx(0.8)
    assert d.status == "behind"
    # 王强 sold nothing in January 2026: a flow with no rows is 0, not unknown.
    n = results[nothing.id]
    assert n.actual == M(0)
    assert n.attainment == 0.0
    assert n.status == "at_risk"


def test_ratio_target_is_compared_with_the_rate_itself(db: Db) -> None:
    data.load(db.engine)
    target = _target(db, "gross_margin", "2026", "0.4")
    a = evaluate(db.engine, [target], as_of=D("2026-03-31"))[target.id]
    # Every line's cost is half its amount: margin 0.5 against a target of 0.4.
    assert a.actual == M("0.5")
    assert a.expected_to_date == M("0.4")
    assert a.projection == M("0.5")
    assert a.pacing == pytest.approx(1.25)
    assert a.status == "ahead"
    win = _target(db, "win_rate", "2026", "0.3")
    # No deal closed in 2026: no win rate, no status.
    assert evaluate(db.engine, [win], as_of=D("2026-03-31"))[win.id].status == "no_data"


def test_a_rep_scope_measures_only_the_reps_own_data(db: Db) -> None:
    ids = data.load(db.engine)
    target = _target(db, "revenue", "2026", "1800000")
    mine = Scope.single_rep(ids["rep:李娜"])
    a = evaluate(db.engine, [target], as_of=D("2026-03-31"), scope=mine)[target.id]
    assert a.actual == M("100000")
    rep_target = _target(
        db, "revenue", "2026", "400000", TargetScope("rep", rep_id=ids["rep:李娜"])
    )
    assert get_target(db.engine, rep_target.id, mine).id == rep_target.id


def test_a_scope_the_kpi_cannot_be_split_by_does_not_sink_the_others(db: Db) -> None:
    data.load(db.engine)
    line = _target(db, "activities", "2026", "100", TargetScope("product_line", product_line="ERP"))
    revenue = _target(db, "revenue", "2026", "1800000")
    results = evaluate(db.engine, [line, revenue], as_of=D("2026-03-31"))
    # Activities have no product line: that target cannot be measured, and says why.
    assert results[line.id].status == "no_data"
    assert results[line.id].actual is None
    assert "product_line" in (results[line.id].error or "")
    assert results[revenue.id].actual == M("450000")
    assert results[revenue.id].error is None
