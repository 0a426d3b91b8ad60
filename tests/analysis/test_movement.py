"""Pipeline movement between two dates from hand-made history; the reconciliation holds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from salesops.analysis.common import AnalysisError
from salesops.analysis.movement import MovementResult, pipeline_movement
from salesops.metrics.scope import Scope
from tests.analysis.data import build, ts
from tests.conftest import Db

D1, D2 = dt.date(2025, 3, 31), dt.date(2025, 6, 30)


def _data(db: Db) -> dict[str, int]:
    with build(db.engine) as b:
        b.rep("R1")
        b.rep("R2")
        b.customer("Acme")
        for i, name in enumerate(("Lead", "Qualify", "Proposal"), start=1):
            b.stage(name, i)
        b.stage("Won", 4, "won")
        b.stage("Lost", 5, "lost")

        def opp(key: str, created: str, stage: str, amount: int, **kw: object) -> None:
            owner = "R1" if key in ("m1", "m2", "m3", "m4", "m5") else "R2"
            region = "North" if key in ("m6", "m8") else "South"
            b.opportunity(
                key,
                customer="Acme",
                owner=owner,
                region=region,
                created=created,
                stage=stage,
                amount=amount,
                **kw,  # type: ignore[arg-type]
            )

        def ch(key: str, field: str, old: str | None, new: str | None, day: str) -> None:
            b.change(key, field, old, new, ts(day))

        opp("m1", "2025-01-10", "Proposal", 1500)  # advanced and grown
        ch("m1", "stage", "Lead", "Proposal", "2025-04-15")
        ch("m1", "amount", "1000.00", "1500.00", "2025-05-01")
        opp("m2", "2025-01-10", "Qualify", 2000, expected_close="2025-09-30")  # back, pushed
        ch("m2", "stage", "Proposal", "Qualify", "2025-05-10")
        ch("m2", "expected_close_on", "2025-06-30", "2025-09-30", "2025-05-10")
        opp("m3", "2025-01-10", "Qualify", 2500, expected_close="2025-07-31")  # pulled, shrunk
        ch("m3", "expected_close_on", "2025-12-31", "2025-07-31", "2025-04-05")
        ch("m3", "amount", "3000", "2500", "2025-04-05")
        opp("m4", "2025-01-10", "Won", 4500, status="won", closed="2025-05-20")
        ch("m4", "stage", "Proposal", "Won", "2025-05-20")
        ch("m4", "status", "open", "won", "2025-05-20")
        ch("m4", "amount", "4000.00", "4500.00", "2025-05-20")
        opp("m5", "2025-01-10", "Lost", 2500, status="lost", closed="2025-06-01")
        ch("m5", "stage", "Qualify", "Lost", "2025-06-01")
        ch("m5", "status", "open", "lost", "2025-06-01")
        opp("m6", "2025-04-10", "Lead", 700)  # new
        opp("m7", "2025-04-20", "Won", 900, status="won", closed="2025-06-10")  # new, then won
        ch("m7", "status", "open", "won", "2025-06-10")
        opp("m8", "2024-11-01", "Qualify", 1200)  # lost before D1, reopened
        ch("m8", "status", "open", "lost", "2025-02-01")
        ch("m8", "stage", "Qualify", "Lost", "2025-02-01")
        ch("m8", "status", "lost", "open", "2025-05-05")
        ch("m8", "stage", "Lost", "Qualify", "2025-05-05")
        opp("m9", "2025-01-01", "Lead", 800)  # unchanged
        opp("m10", "2024-12-01", "Won", 5000, status="won", closed="2025-01-15")  # won before
        ch("m10", "status", "open", "won", "2025-01-15")
        opp("m11", "2025-07-10", "Lead", 100)  # created after D2
        opp("m12", "2025-02-01", "Qualify", 600)  # moves only after D2: unchanged
        ch("m12", "stage", "Lead", "Qualify", "2025-07-05")
        return dict(b.ids)


def _buckets(result: MovementResult) -> dict[str, tuple[list[str | None], Decimal, Decimal]]:
    return {
        b.bucket: ([o.opportunity for o in b.opportunities], b.amount, b.amount_change)
        for b in result.buckets
    }


def test_movement_buckets_and_reconciliation(db: Db) -> None:
    _data(db)
    result = pipeline_movement(db.engine, start=D1, end=D2)
    m = Decimal
    assert _buckets(result) == {
        "new": (["m6"], m("700.00"), m("700.00")),
        "reopened": (["m8"], m("1200.00"), m("0.00")),
        "advanced": (["m1"], m("1500.00"), m("500.00")),
        "moved_back": (["m2"], m("2000.00"), m("0.00")),
        "pushed_out": (["m2"], m("2000.00"), m("0.00")),
        "pulled_in": (["m3"], m("2500.00"), m("-500.00")),
        "grown": (["m1"], m("1500.00"), m("500.00")),
        "shrunk": (["m3"], m("2500.00"), m("-500.00")),
        "won": (["m4", "m7"], m("5400.00"), m("1400.00")),
        "lost": (["m5"], m("2500.00"), m("0.00")),
        "unchanged": (["m9", "m12"], m("1400.00"), m("0.00")),
    }
    won = next(b for b in result.buckets if b.bucket == "won")
    assert won.pipeline_amount == m("4000.00")  # m7 was never in the D1 pipeline
    m4 = won.opportunities[0]
    assert (m4.stage_d1, m4.stage_d2, m4.amount_d1, m4.amount_d2) == (
        "Proposal",
        "Won",
        m("4000.00"),
        m("4500.00"),
    )
    m2 = next(b for b in result.buckets if b.bucket == "pushed_out").opportunities[0]
    assert (m2.expected_close_d1, m2.expected_close_d2) == (
        dt.date(2025, 6, 30),
        dt.date(2025, 9, 30),
    )
    rec = result.reconciliation
    assert (rec.open_d1, rec.new, rec.reopened, rec.grown, rec.shrunk) == (
        m("13900.00"),
        m("700.00"),
        m("1200.00"),
        m("500.00"),
        m("500.00"),
    )
    assert (rec.won, rec.lost, rec.open_d2, rec.difference) == (
        m("4000.00"),
        m("2500.00"),
        m("9300.00"),
        m("0.00"),
    )
    assert (result.open_d1_count, result.open_d2_count) == (7, 7)


def test_movement_scope_filter_and_limit(db: Db) -> None:
    ids = _data(db)
    mine = pipeline_movement(db.engine, Scope.single_rep(ids["rep:R1"]), start=D1, end=D2)
    rec = mine.reconciliation
    assert (rec.open_d1, rec.new, rec.won, rec.lost, rec.open_d2, rec.difference) == (
        Decimal("12500.00"),
        Decimal("0.00"),
        Decimal("4000.00"),
        Decimal("2500.00"),
        Decimal("6000.00"),
        Decimal("0.00"),
    )
    assert {b.bucket: b.count for b in mine.buckets}["new"] == 0
    north = pipeline_movement(db.engine, filters={"region": ["North"]}, start=D1, end=D2)
    counts = {b.bucket: b.count for b in north.buckets if b.count}
    assert counts == {"new": 1, "reopened": 1}
    assert north.reconciliation.open_d2 == Decimal("1900.00")
    top = pipeline_movement(db.engine, start=D1, end=D2, limit=1)
    won = next(b for b in top.buckets if b.bucket == "won")
    assert won.count == 2 and [o.opportunity for o in won.opportunities] == ["m4"]
    # The board's waterfall lists nothing: the same counts and amounts, no deals.
    bare = pipeline_movement(db.engine, start=D1, end=D2, limit=0)
    full = pipeline_movement(db.engine, start=D1, end=D2)
    assert bare.reconciliation == full.reconciliation
    assert [(b.count, b.amount, b.opportunities) for b in bare.buckets] == [
        (b.count, b.amount, []) for b in full.buckets
    ]
    assert sum(b.count for b in bare.buckets) > 5
    with pytest.raises(AnalysisError):
        pipeline_movement(db.engine, start=D2, end=D1)


def test_movement_to_a_date_after_today_reads_the_current_rows(db: Db) -> None:
    # D2 after today: every change has happened, the current rows are the states at D2 (and
    # D1, a month end, comes from the month-end pipeline: m8 — closed then, reopened since —
    # from history). Against D2 = 30 June: m11 (created 10 July) is new too, and m12 left
    # Lead on 5 July, so it advanced instead of staying unchanged.
    _data(db)
    later = dt.date.today() + dt.timedelta(days=40)
    result = pipeline_movement(db.engine, start=D1, end=later)
    m = Decimal
    found = _buckets(result)
    assert found["new"] == (["m6", "m11"], m("800.00"), m("800.00"))
    assert found["advanced"] == (["m1", "m12"], m("2100.00"), m("500.00"))
    assert found["unchanged"] == (["m9"], m("800.00"), m("0.00"))
    assert found["reopened"] == (["m8"], m("1200.00"), m("0.00"))
    assert found["won"] == (["m4", "m7"], m("5400.00"), m("1400.00"))
    assert result.reconciliation.difference == m("0.00")
    assert result.reconciliation.open_d1 == m("13900.00")
