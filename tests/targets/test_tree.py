"""The target tree, the add-up check, hand edits, deletion and rep flags, on both databases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from salesops.db.derived import data_version
from salesops.db.schema import AuditEvent, Target
from salesops.metrics.scope import Scope
from salesops.targets.calendar import parse_period
from salesops.targets.decompose import decompose
from salesops.targets.flags import rep_flags
from salesops.targets.org import TargetScope
from salesops.targets.service import (
    TargetError,
    TargetNotFound,
    delete_target,
    get_target,
    set_target,
    target_tree,
    update_target,
)
from tests.conftest import Db
from tests.targets import data

M = Decimal
D = dt.date.fromisoformat


def _year(db: Db, value: str = "1200000", metric: str = "revenue") -> int:
    return set_target(
        db.engine, metric, parse_period("2026", 1), TargetScope.company(), value
    ).target.id


def test_set_twice_updates_the_same_target(db: Db) -> None:
    data.load(db.engine, with_facts=False)
    first = set_target(
        db.engine, "revenue", parse_period("2026", 1), TargetScope.company(), "1000000"
    )
    second = set_target(
        db.engine, "revenue", parse_period("2026", 1), TargetScope.company(), "1,200,000"
    )
    assert (first.created, second.created) == (True, False)
    assert second.target.id == first.target.id
    assert second.target.value == M("1200000")
    assert second.target.external_id == "revenue|year|2026-01-01|company||||"
    with db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Target)).scalar_one() == 1
        actions = conn.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
        assert actions == ["target.create", "target.update"]
        assert data_version(conn) >= 3


def test_bad_targets_are_refused(db: Db) -> None:
    data.load(db.engine, with_facts=False)
    period = parse_period("2026", 1)
    with pytest.raises(TargetError, match="negative"):
        set_target(db.engine, "revenue", period, TargetScope.company(), "-5")
    with pytest.raises(TargetError, match="number"):
        set_target(db.engine, "revenue", period, TargetScope.company(), "lots")
    with pytest.raises(TargetError):
        set_target(db.engine, "no_such_kpi", period, TargetScope.company(), "5")
    parent = _year(db)
    with pytest.raises(TargetError, match="bookings"):
        set_target(db.engine, "bookings", period, TargetScope.company(), "5", parent_id=parent)


def test_tree_and_the_add_up_check(db: Db) -> None:
    data.load(db.engine, with_facts=False)
    year = _year(db)
    months = decompose(db.engine, year, "time", "even", into="month").children
    reps = decompose(db.engine, year, "org", "even", into="rep").children
    (root,) = target_tree(db.engine, with_attainment=False)
    assert root.target.id == year
    assert len(root.children) == 17
    assert [(c.axis, c.level, c.children, c.children_sum, c.difference) for c in root.checks] == [
        ("time", "month", 12, M("1200000"), M(0)),
        ("org", "rep", 5, M("1200000"), M(0)),
    ]
    # A hand edit: March up by 1,000 and one rep down by 2,500.50.
    update_target(db.engine, months[2].id, value="101000")
    update_target(db.engine, reps[0].id, value="237499.50")
    (root,) = target_tree(db.engine, with_attainment=False)
    time_check, org_check = root.checks
    assert (time_check.adds_up, time_check.difference) == (False, M("1000"))
    assert (org_check.adds_up, org_check.difference) == (False, M("-2500.50"))
    assert root.to_dict()["adds_up"] is False


def test_ratio_tree_has_no_add_up_check(db: Db) -> None:
    data.load(db.engine, with_facts=False)
    target = _year(db, "0.3", "win_rate")
    decompose(db.engine, target, "org", "even", into="team")
    (root,) = target_tree(db.engine, with_attainment=False)
    assert len(root.children) == 3 and root.checks == []


def test_tree_with_attainment_and_filters(db: Db) -> None:
    data.load(db.engine)
    year = _year(db, "1800000")
    decompose(db.engine, year, "time", "even")
    set_target(db.engine, "bookings", parse_period("2026", 1), TargetScope.company(), "1")
    roots = target_tree(db.engine, metric="revenue", as_of=D("2026-03-31"))
    assert [r.target.metric for r in roots] == ["revenue"]
    q1, q2 = roots[0].children[:2]
    # Q1 (450,000 of 450,000) is exactly on track; Q2 has not started.
    assert q1.attainment.actual == M("450000")
    assert q1.attainment.pacing == pytest.approx(1.0)
    assert q1.attainment.status == "on_track"
    assert q2.attainment.status == "not_started"
    # Only the targets overlapping 2026-Q2 (the year and Q2).
    only_q2 = target_tree(db.engine, metric="revenue", period=parse_period("2026-Q2", 1))
    assert [n.target.period.label(1) for _, n in only_q2[0].walk()] == ["2026", "2026-Q2"]
    # The year's check still adds up all four quarters, not just the one shown.
    assert [(c.level, c.children, c.adds_up) for c in only_q2[0].checks] == [("quarter", 4, True)]


def test_tree_visible_to_a_manager_and_a_rep(db: Db) -> None:
    ids = data.load(db.engine, with_facts=False)
    year = _year(db)
    decompose(db.engine, year, "org", "even", into="team")
    decompose(db.engine, year, "org", "even", into="rep")
    # Two levels of one axis: each is checked on its own.
    (root,) = target_tree(db.engine, with_attainment=False)
    assert [(c.level, c.children, c.adds_up) for c in root.checks] == [
        ("team", 3, True),
        ("rep", 5, True),
    ]
    east = Scope.subtree(ids["unit:RE"])
    seen = sorted(
        n.target.scope_name
        for r in target_tree(db.engine, scope=east, with_attainment=False)
        for _, n in r.walk()
    )
    assert seen == sorted(["华东一组", "华东二组", "张伟", "李娜", "王强"])
    own = target_tree(db.engine, scope=Scope.single_rep(ids["rep:王强"]), with_attainment=False)
    assert [r.target.scope_name for r in own] == ["王强"]
    with pytest.raises(TargetNotFound):
        get_target(db.engine, year, Scope.single_rep(ids["rep:王强"]))


def test_delete_refuses_a_parent_unless_cascading(db: Db) -> None:
    data.load(db.engine, with_facts=False)
    year = _year(db)
    quarters = decompose(db.engine, year, "time", "even").children
    decompose(db.engine, quarters[0].id, "time", "even")
    with pytest.raises(TargetError, match="7 target"):
        delete_target(db.engine, year)
    assert delete_target(db.engine, quarters[1].id) == 1
    assert delete_target(db.engine, year, cascade=True) == 7
    with db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Target)).scalar_one() == 0
    with pytest.raises(TargetNotFound):
        delete_target(db.engine, year)


def test_parent_edits_cannot_make_a_cycle(db: Db) -> None:
    data.load(db.engine, with_facts=False)
    year = _year(db)
    q1 = decompose(db.engine, year, "time", "even").children[0]
    with pytest.raises(TargetError, match="ancestor"):
        update_target(db.engine, year, parent_id=q1.id)
    moved = update_target(db.engine, q1.id, clear_parent=True)
    assert moved.parent_id is None


def test_rep_flags_far_below_the_team(db: Db) -> None:
    ids = data.load(db.engine)
    q1 = parse_period("2026-Q1", 1)
    for name, value in (
        ("张伟", "200000"),
        ("李娜", "200000"),
        ("王强", "100000"),
        ("赵敏", "200000"),
        ("刘洋", "200000"),
    ):
        set_target(db.engine, "revenue", q1, TargetScope("rep", rep_id=ids[f"rep:{name}"]), value)
    flags = rep_flags(db.engine, q1, as_of=D("2026-03-31"))
    found = [(f.rep, f.team, f.reason, f.value, f.team_average, f.ratio) for f in flags]
    # 华南一组: 赵敏 0.6, 刘洋 0 (his order is in April) → average 0.3, 刘洋 under 0.15.
    # 华东一组 new opportunities: 张伟 4, 李娜 1 → average 2.5, 李娜 under 1.25.
    # 华东二组 has one rep (王强): nobody to compare with. 陈静 left before 2026.
    assert found == [
        ("刘洋", "华南一组", "attainment", 0.0, pytest.approx(0.3), 0.0),
        ("李娜", "华东一组", "opportunities", 1.0, 2.5, 0.4),
    ]
    east = rep_flags(db.engine, q1, as_of=D("2026-03-31"), scope=Scope.subtree(ids["unit:RE"]))
    assert [f.rep for f in east] == ["李娜"]
