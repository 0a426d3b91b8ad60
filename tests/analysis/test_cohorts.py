"""Cohort retention on hand-made orders, every cell written out."""

from __future__ import annotations

import datetime as dt

import pytest

from salesops.analysis.cohorts import cohort_retention
from salesops.analysis.common import AnalysisError
from salesops.metrics.scope import Scope
from tests.analysis.data import build
from tests.conftest import Db

AS_OF = dt.date(2025, 6, 30)
JAN = dt.date(2025, 1, 1)


def _data(db: Db) -> dict[str, int]:
    with build(db.engine) as b:
        b.rep("R1")
        b.rep("R2")
        for name in ("C1", "C2", "C3", "C4", "C5", "C6", "C7"):
            b.customer(name)

        def o(no: str, day: str, cust: str) -> None:
            rep = "R2" if cust in ("C4", "C7") else "R1"
            channel = "online" if cust == "C2" else "direct"
            b.order(no, day, cust, 100, rep=rep, channel=channel)

        o("c1a", "2025-01-05", "C1")
        o("c1b", "2025-02-10", "C1")
        o("c1c", "2025-04-01", "C1")
        o("c2a", "2025-01-20", "C2")
        o("c2b", "2025-01-25", "C2")
        o("c2c", "2025-03-03", "C2")
        o("c3a", "2025-01-31", "C3")
        o("c3b", "2025-02-01", "C3")
        o("c3c", "2025-07-01", "C3")  # after as-of
        o("c4a", "2025-02-14", "C4")
        o("c4b", "2025-03-01", "C4")
        o("c4c", "2025-06-30", "C4")
        o("c5a", "2024-12-01", "C5")
        o("c5b", "2025-01-10", "C5")
        b.order("c6a", "2025-03-05", "C6", 100, rep="R1", status="cancelled")
        o("c7a", "2025-06-15", "C7")
        return dict(b.ids)


def test_cohort_retention_cells(db: Db) -> None:
    _data(db)
    result = cohort_retention(db.engine, start=JAN, as_of=AS_OF)
    assert (result.start, result.end) == ("2025-01", "2025-06")
    got = [(c.cohort, c.customers, c.retained, c.retention) for c in result.cohorts]
    assert got == [
        ("2025-01", 3, [3, 2, 1, 1, 0, 0], [1.0, 0.6667, 0.3333, 0.3333, 0.0, 0.0]),
        ("2025-02", 1, [1, 1, 0, 0, 1], [1.0, 1.0, 0.0, 0.0, 1.0]),
        ("2025-06", 1, [1], [1.0]),
    ]
    assert [(a.month, a.cohorts, a.customers, a.retained, a.retention) for a in result.average] == [
        (0, 3, 5, 5, 1.0),
        (1, 2, 4, 3, 0.75),
        (2, 2, 4, 1, 0.25),
        (3, 2, 4, 1, 0.25),
        (4, 2, 4, 1, 0.25),
        (5, 1, 3, 0, 0.0),
    ]


def test_cohort_defaults_months_and_end(db: Db) -> None:
    _data(db)
    # default: the 12 cohorts up to as-of, from 2024-07: C5's December cohort appears
    result = cohort_retention(db.engine, months=3, as_of=AS_OF)
    assert result.start == "2024-07"
    assert [(c.cohort, c.retained) for c in result.cohorts] == [
        ("2024-12", [1, 1, 0, 0]),
        ("2025-01", [3, 2, 1, 1]),
        ("2025-02", [1, 1, 0, 0]),
        ("2025-06", [1]),
    ]
    feb = cohort_retention(db.engine, start=JAN, end=dt.date(2025, 2, 28), as_of=AS_OF)
    assert [c.cohort for c in feb.cohorts] == ["2025-01", "2025-02"]
    with pytest.raises(AnalysisError):
        cohort_retention(db.engine, start=AS_OF, end=JAN, as_of=AS_OF)


def test_cohort_scope_and_channel_filter(db: Db) -> None:
    ids = _data(db)
    r2 = cohort_retention(db.engine, Scope.single_rep(ids["rep:R2"]), start=JAN, as_of=AS_OF)
    assert [(c.cohort, c.retained) for c in r2.cohorts] == [
        ("2025-02", [1, 1, 0, 0, 1]),
        ("2025-06", [1]),
    ]
    online = cohort_retention(db.engine, filters={"channel": ["online"]}, start=JAN, as_of=AS_OF)
    assert [(c.cohort, c.retained) for c in online.cohorts] == [("2025-01", [1, 0, 1, 0, 0, 0])]
