"""Lifecycle stages on hand-made data, at the exact day boundaries of each stage."""

from __future__ import annotations

import datetime as dt

import pytest

from salesops.analysis.common import AnalysisError
from salesops.analysis.lifecycle import lifecycle
from salesops.config import get_settings
from salesops.metrics.scope import Scope
from tests.analysis.data import build
from tests.conftest import Db

AS_OF = dt.date(2025, 6, 30)


def _data(db: Db) -> dict[str, int]:
    with build(db.engine) as b:
        b.rep("R1")
        b.rep("R2")
        for name in ("P1", "P2", "N1", "A1", "A2", "S1", "S2", "X1", "X2", "Z1"):
            b.customer(name, region="West" if name in ("N1", "S1") else "East")
        b.opportunity("o1", customer="P1", owner="R1", created="2025-05-01")
        b.opportunity("o2", customer="P2", owner="R2", created="2025-07-10")  # after as-of
        b.opportunity("o3", customer="X1", owner="R1", created="2024-01-01")
        b.opportunity("o4", customer="X2", owner="R2", created="2025-01-01")
        b.order("n1", "2025-04-01", "N1", 100, rep="R1")  # first order 90 days ago: new
        b.order("a1", "2025-03-31", "A1", 100, rep="R1")  # 91 days: active
        b.order("a2a", "2024-01-01", "A2", 100, rep="R1")
        b.order("a2b", "2025-01-01", "A2", 100, rep="R1")  # last order 180 days ago: active
        b.order("s1", "2024-12-31", "S1", 100, rep="R2")  # 181 days: dormant
        b.order("s2", "2024-06-30", "S2", 100, rep="R2")  # 365 days: dormant
        b.order("x1", "2024-06-29", "X1", 100, rep="R2")  # 366 days: churned
        b.order("x2", "2025-07-05", "X2", 100, rep="R2")  # after as-of: X2 is potential
        b.order("z1", "2025-06-01", "Z1", 100, rep="R2", status="returned")  # no normal order
        return dict(b.ids)


def test_lifecycle_stages_at_their_boundaries(db: Db) -> None:
    _data(db)
    result = lifecycle(db.engine, as_of=AS_OF)
    assert [(r.customer, r.stage, r.days_since_last_order) for r in result.rows] == [
        ("P1", "potential", None),
        ("X2", "potential", None),
        ("N1", "new", 90),
        ("A1", "active", 91),
        ("A2", "active", 180),
        ("S1", "dormant", 181),
        ("S2", "dormant", 365),
        ("X1", "churned", 366),
    ]
    assert {s.stage: s.customers for s in result.stages} == {
        "potential": 2,
        "new": 1,
        "active": 2,
        "dormant": 2,
        "churned": 1,
    }
    assert result.customers == 8
    assert result.stages[3].name_zh == "沉睡客户"
    a2 = next(r for r in result.rows if r.customer == "A2")
    assert (a2.first_order_on, a2.orders, a2.opportunities) == (dt.date(2024, 1, 1), 2, 0)
    only = lifecycle(db.engine, as_of=AS_OF, stage="dormant")
    assert [r.customer for r in only.rows] == ["S1", "S2"]
    assert only.customers == 8


def test_lifecycle_thresholds_from_settings_and_parameters(
    db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    _data(db)
    stages = {r.customer: r.stage for r in lifecycle(db.engine, as_of=AS_OF, new_days=30).rows}
    assert stages["N1"] == "active"
    monkeypatch.setenv("SALESOPS_LIFECYCLE_NEW_DAYS", "100")
    monkeypatch.setenv("SALESOPS_LIFECYCLE_DORMANT_DAYS", "366")
    get_settings.cache_clear()
    result = lifecycle(db.engine, as_of=AS_OF)
    assert (result.new_days, result.dormant_days) == (100, 366)
    stages = {r.customer: r.stage for r in result.rows}
    assert (stages["A1"], stages["X1"]) == ("new", "dormant")
    with pytest.raises(AnalysisError):
        lifecycle(db.engine, as_of=AS_OF, new_days=200, active_days=100)
    with pytest.raises(AnalysisError):
        lifecycle(db.engine, as_of=AS_OF, stage="sleeping")


def test_lifecycle_rep_scope(db: Db) -> None:
    ids = _data(db)
    result = lifecycle(db.engine, Scope.single_rep(ids["rep:R1"]), as_of=AS_OF)
    # R1 sees its own orders and opportunities only: X1's orders are R2's, so for R1 it is a
    # customer it pursues without a sale yet.
    assert {r.customer: r.stage for r in result.rows} == {
        "P1": "potential",
        "X1": "potential",
        "N1": "new",
        "A1": "active",
        "A2": "active",
    }


def test_lifecycle_customer_region_filter(db: Db) -> None:
    _data(db)
    result = lifecycle(db.engine, filters={"customer_region": ["West"]}, as_of=AS_OF)
    assert {r.customer: r.stage for r in result.rows} == {"N1": "new", "S1": "dormant"}
