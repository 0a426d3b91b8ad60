"""Decomposition over time and over the organisation, on both databases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from salesops.config import get_settings
from salesops.db.schema import AuditEvent, Rep, Target
from salesops.targets.calendar import WorkCalendar, parse_period
from salesops.targets.decompose import decompose, decompose_children
from salesops.targets.org import TargetScope
from salesops.targets.service import TargetError, set_target
from tests.conftest import Db
from tests.targets import data

M = Decimal
D = dt.date.fromisoformat
COMPANY = TargetScope.company()


def _set(db: Db, metric: str, period: str, value: str, scope: TargetScope = COMPANY) -> int:
    return set_target(db.engine, metric, parse_period(period, 1), scope, value).target.id


def _values(result: object) -> list[tuple[str, Decimal]]:
    return [(c.name, c.value) for c in result.plan.children]  # type: ignore[attr-defined]


def _count(db: Db) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Target)).scalar_one())


# --------------------------------------------------------------------------- over time


def test_even_into_quarters_and_months(db: Db) -> None:
    data.load(db.engine, with_facts=False)
    year = _set(db, "revenue", "2026", "1000000")
    quarters = decompose(db.engine, year, "time", "even")
    assert _values(quarters) == [
        ("2026-Q1", M("250000.00")),
        ("2026-Q2", M("250000.00")),
        ("2026-Q3", M("250000.00")),
        ("2026-Q4", M("250000.00")),
    ]
    months = decompose(db.engine, year, "time", "even", into="month")
    values = [c.value for c in months.children]
    assert values[:11] == [M("83333.33")] * 11
    assert values[11] == M("83333.37")
    assert sum(values) == M("1000000")
    assert months.children[2].external_id == "revenue|month|2026-03-01|company||||"
    assert months.children[2].parent_id == year


def test_fiscal_year_starting_in_april(db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESOPS_FISCAL_YEAR_START_MONTH", "4")
    get_settings.cache_clear()
    data.load(db.engine, with_facts=False)
    year = set_target(db.engine, "revenue", parse_period("2026"), COMPANY, "1000000").target
    assert (year.period.start, year.period.end) == (D("2026-04-01"), D("2027-03-31"))
    quarters = decompose(db.engine, year.id, "time", "even")
    assert [(c.period.start, c.period.label(), c.value) for c in quarters.children] == [
        (D("2026-04-01"), "FY2026-Q1", M("250000.00")),
        (D("2026-07-01"), "FY2026-Q2", M("250000.00")),
        (D("2026-10-01"), "FY2026-Q3", M("250000.00")),
        (D("2027-01-01"), "FY2026-Q4", M("250000.00")),
    ]
    months = decompose(db.engine, year.id, "time", "even", into="month")
    assert months.children[0].period.start == D("2026-04-01")
    assert months.children[-1].period.start == D("2027-03-01")
    assert months.children[-1].value == M("83333.37")


def test_calendar_days_in_a_leap_year(db: Db) -> None:
    data.load(db.engine, with_facts=False)
    year = _set(db, "revenue", "2028", "366000")
    months = decompose(db.engine, year, "time", "calendar_days", into="month")
    # 1,000 a day: February 2028 has 29 days.
    assert [c.value for c in months.children] == [
        M(v)
        for v in (
            "31000.00",
            "29000.00",
            "31000.00",
            "30000.00",
            "31000.00",
            "30000.00",
            "31000.00",
            "31000.00",
            "30000.00",
            "31000.00",
            "30000.00",
            "31000.00",
        )
    ]


def test_working_days_in_a_leap_year(db: Db) -> None:
    data.load(db.engine, with_facts=False)
    year = _set(db, "revenue", "2024", "262000")
    months = decompose(
        db.engine,
        year,
        "time",
        "working_days",
        into="month",
        calendar=WorkCalendar.weekends_only(),
    )
    # 262 weekdays in 2024, 1,000 each; February: 21 (Thursday the 29th included).
    assert [c.value for c in months.children] == [
        M("23000.00"),
        M("21000.00"),
        M("21000.00"),
        M("22000.00"),
        M("23000.00"),
        M("20000.00"),
        M("23000.00"),
        M("22000.00"),
        M("21000.00"),
        M("23000.00"),
        M("21000.00"),
        M("22000.00"),
    ]


def test_working_days_with_china_holidays(db: Db) -> None:
    data.load(db.engine, with_facts=False)
    year = _set(db, "revenue", "2026", "248000")
    quarters = decompose(db.engine, year, "time", "working_days", calendar=WorkCalendar.china())
    # 2026 working days by quarter: 21+16+22, 21+19+21, 23+21+22, 18+21+23.
    assert [c.value for c in quarters.children] == [
        M("59000.00"),
        M("61000.00"),
        M("66000.00"),
        M("62000.00"),
    ]


def test_seasonality_of_last_year(db: Db) -> None:
    data.load(db.engine)
    year = _set(db, "revenue", "2026", "2000000")
    quarters = decompose(db.engine, year, "time", "seasonality")
    # 2025 revenue by quarter: 100k, 200k, 300k, 400k (the cancelled line does not count).
    assert [c.value for c in quarters.children] == [
        M("200000.00"),
        M("400000.00"),
        M("600000.00"),
        M("800000.00"),
    ]
    months = decompose(db.engine, year, "time", "seasonality", into="month")
    assert [c.value for c in months.children] == [
        M(v)
        for v in (
            "200000.00",
            "0.00",
            "0.00",
            "200000.00",
            "200000.00",
            "0.00",
            "200000.00",
            "400000.00",
            "0.00",
            "600000.00",
            "200000.00",
            "0.00",
        )
    ]


def test_seasonality_of_a_scoped_target(db: Db) -> None:
    ids = data.load(db.engine)
    region = TargetScope("region", region_id=ids["region:华南"])
    target = _set(db, "revenue", "2026", "800000", region)
    # 华南 2025: 300k (Q4, 赵敏) + 100k (Q4, 刘洋): everything falls in Q4.
    quarters = decompose(db.engine, target, "time", "seasonality")
    assert [c.value for c in quarters.children] == [M(0), M(0), M(0), M("800000.00")]
    assert all(c.scope == region for c in quarters.children)


def test_seasonality_without_last_year_is_refused(db: Db) -> None:
    data.load(db.engine, with_facts=False)
    year = _set(db, "revenue", "2026", "100")
    with pytest.raises(TargetError, match="last year"):
        decompose(db.engine, year, "time", "seasonality")


# --------------------------------------------------------------------------- over the org


def test_even_over_regions_teams_and_reps(db: Db) -> None:
    data.load(db.engine, with_facts=False)
    year = _set(db, "revenue", "2026", "1000000")
    regions = decompose(db.engine, year, "org", "even")
    assert _values(regions) == [("华东", M("500000.00")), ("华南", M("500000.00"))]
    teams = decompose(db.engine, year, "org", "even", into="team")
    assert _values(teams) == [
        ("华东一组", M("333333.33")),
        ("华东二组", M("333333.33")),
        ("华南一组", M("333333.34")),
    ]
    # 陈静 left on 2025-12-31: five reps share 2026.
    reps = decompose(db.engine, year, "org", "even", into="rep")
    assert _values(reps) == [(n, M("200000.00")) for n in ("张伟", "李娜", "王强", "赵敏", "刘洋")]
    assert reps.children[0].external_id == "revenue|year|2026-01-01|rep||R1||"


def test_region_splits_into_its_teams_and_reps(db: Db) -> None:
    ids = data.load(db.engine, with_facts=False)
    east = _set(
        db, "revenue", "2026", "900000", TargetScope("region", region_id=ids["region:华东"])
    )
    teams = decompose(db.engine, east, "org", "even")
    assert _values(teams) == [("华东一组", M("450000.00")), ("华东二组", M("450000.00"))]
    reps = decompose(db.engine, east, "org", "even", into="rep")
    assert _values(reps) == [(n, M("300000.00")) for n in ("张伟", "李娜", "王强")]
    team = _set(db, "revenue", "2026", "100", TargetScope("org_unit", org_unit_id=ids["unit:TE1"]))
    assert _values(decompose(db.engine, team, "org", "even")) == [
        ("张伟", M("50.00")),
        ("李娜", M("50.00")),
    ]


def test_weights(db: Db) -> None:
    data.load(db.engine, with_facts=False)
    year = _set(db, "revenue", "2026", "1000000")
    result = decompose(db.engine, year, "org", "weights", weights="华东=3,华南=2")
    assert _values(result) == [("华东", M("600000.00")), ("华南", M("400000.00"))]
    with pytest.raises(TargetError, match="华北"):
        decompose(db.engine, year, "org", "weights", weights="华东=3,华北=2")
    with pytest.raises(TargetError, match="weights"):
        decompose(db.engine, year, "org", "weights")


def test_share_of_last_year(db: Db) -> None:
    ids = data.load(db.engine)
    year = _set(db, "revenue", "2026", "1000000")
    regions = decompose(db.engine, year, "org", "share")
    # 2025: 华东 600k, 华南 400k.
    assert _values(regions) == [("华东", M("600000.00")), ("华南", M("400000.00"))]
    east = next(c.id for c in regions.children if c.scope.region_id == ids["region:华东"])
    teams = decompose(db.engine, east, "org", "share")
    # 华东一组 400k, 华东二组 200k of 600k: 2/3 and 1/3 of 600,000.
    assert _values(teams) == [("华东一组", M("400000.00")), ("华东二组", M("200000.00"))]
    big = _set(db, "revenue", "2027", "1000000")
    thirds = decompose(db.engine, big, "org", "share", into="team")
    # 2026 by team: 华东一组 300k, 华东二组 30k, 华南一组 200k (of 530k).
    assert _values(thirds) == [
        ("华东一组", M("566037.74")),
        ("华东二组", M("56603.77")),
        ("华南一组", M("377358.49")),
    ]
    reps = decompose(
        db.engine, _set(db, "revenue", "2026-Q1", "3000000"), "org", "share", into="rep"
    )
    # A quarter's share is that quarter last year: 2025 Q1 was 张伟's alone.
    assert _values(reps) == [
        ("张伟", M("3000000.00")),
        ("李娜", M("0.00")),
        ("王强", M("0.00")),
        ("赵敏", M("0.00")),
        ("刘洋", M("0.00")),
    ]


def test_ratio_kpis_are_copied_not_split(db: Db) -> None:
    data.load(db.engine, with_facts=False)
    target = _set(db, "win_rate", "2026", "0.35")
    result = decompose(db.engine, target, "org", "even", into="team")
    assert result.plan.copied
    assert [c.value for c in result.children] == [M("0.35")] * 3
    months = decompose(db.engine, target, "time", "even", into="month")
    assert [c.value for c in months.children] == [M("0.35")] * 12


def test_counts_are_whole_numbers(db: Db) -> None:
    data.load(db.engine, with_facts=False)
    target = _set(db, "new_customers", "2026", "100")
    months = decompose(db.engine, target, "time", "even", into="month")
    assert [c.value for c in months.children] == [M(9)] * 4 + [M(8)] * 8


# --------------------------------------------------------------------------- rewriting


def test_decomposing_again_updates_instead_of_duplicating(db: Db) -> None:
    ids = data.load(db.engine, with_facts=False)
    year = _set(db, "revenue", "2026", "1000000")
    first = decompose(db.engine, year, "org", "even", into="rep")
    assert (first.created, first.updated, first.removed) == (5, 0, 0)
    assert _count(db) == 6
    again = decompose(db.engine, year, "org", "weights", into="rep", weights="张伟=1,李娜=1")
    assert (again.created, again.updated, again.removed) == (0, 5, 0)
    assert [c.id for c in again.children] == [c.id for c in first.children]
    assert [c.value for c in again.children] == [
        M("500000.00"),
        M("500000.00"),
        M(0),
        M(0),
        M(0),
    ]
    assert _count(db) == 6
    # 刘洋 leaves before 2026: splitting again removes his target.
    with db.engine.begin() as conn:
        conn.execute(
            Rep.__table__.update()
            .where(Rep.id == ids["rep:刘洋"])
            .values(left_on=D("2025-12-31"), active=False)
        )
    third = decompose(db.engine, year, "org", "even", into="rep")
    assert (third.created, third.updated, third.removed) == (0, 4, 1)
    assert _count(db) == 5
    # Over time is another axis: the rep children stay.
    decompose(db.engine, year, "time", "even")
    assert _count(db) == 9
    with db.engine.connect() as conn:
        actions = conn.execute(
            select(AuditEvent.action).where(AuditEvent.action == "target.decompose")
        ).all()
    assert len(actions) == 4


def test_a_monthly_target_cannot_go_further_in_time(db: Db) -> None:
    data.load(db.engine, with_facts=False)
    month = _set(db, "revenue", "2026-03", "100")
    with pytest.raises(TargetError, match="monthly"):
        decompose(db.engine, month, "time", "even")
    with pytest.raises(TargetError, match="method"):
        decompose(db.engine, month, "org", "seasonality")


def test_each_child_split_the_same_way(db: Db) -> None:
    data.load(db.engine, with_facts=False)
    year = _set(db, "revenue", "2026", "1000000")
    decompose(db.engine, year, "org", "even", into="team")
    decompose(db.engine, year, "time", "even")
    results = decompose_children(db.engine, year, "org", "even", level="team", into="rep")
    assert [_values(r) for r in results] == [
        # 333,333.33 / 2 = 166,666.665: rounded half up, the last takes the remainder.
        [("张伟", M("166666.67")), ("李娜", M("166666.66"))],
        [("王强", M("333333.33"))],
        [("赵敏", M("166666.67")), ("刘洋", M("166666.67"))],
    ]
    with pytest.raises(TargetError, match="no children of level region"):
        decompose_children(db.engine, year, "org", "even", level="region")
