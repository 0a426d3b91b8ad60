"""RFM scores and segments on hand-made data, with every score and segment written out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from salesops.analysis.rfm import rfm
from salesops.metrics.scope import Scope
from tests.analysis.data import build
from tests.conftest import Db

AS_OF = dt.date(2025, 12, 31)  # F/M window: 2025-01-01 .. 2025-12-31


def _data(db: Db) -> dict[str, int]:
    with build(db.engine) as b:
        b.rep("R1")
        b.rep("R2")
        for name in "ABCDEFGHI":  # customer ids 1..9 in this order
            b.customer(name)

        def o(no: str, day: str, cust: str, amount: int, line: int = 1) -> None:
            rep = "R1" if cust in "ABCDE" else "R2"
            region = "North" if cust in "HI" else "South"
            b.order(no, day, cust, amount, rep=rep, region=region, line_no=line)

        for i, day in enumerate(("2025-02-01", "2025-05-01", "2025-09-01", "2025-12-21")):
            o(f"A{i}", day, "A", 2000)
        o("A9", "2026-01-05", "A", 5000)  # after as-of
        o("B0", "2024-03-01", "B", 500)  # before the window
        o("B1", "2025-12-01", "B", 6000)
        for i, day in enumerate(("2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01")):
            o(f"C{i}", day, "C", 1000)
        o("C9", "2025-06-04", "C", 1000)
        o("D1", "2025-03-06", "D", 3000)
        o("E1", "2025-12-26", "E", 100)
        o("F1", "2024-07-04", "F", 700)
        o("G0", "2024-12-31", "G", 400)
        o("G1", "2025-01-10", "G", 9000)
        o("H1", "2025-12-01", "H", 100)
        o("H2", "2025-12-15", "H", 100)
        o("H3", "2025-12-30", "H", 50)
        o("H3", "2025-12-30", "H", 50, line=2)  # one order of two lines
        o("I1", "2025-03-01", "I", 50)
        o("I2", "2025-04-01", "I", 50)
        o("I3", "2025-05-01", "I", 100)
        return dict(b.ids)


def test_rfm_scores_and_eight_segments(db: Db) -> None:
    _data(db)
    result = rfm(db.engine, as_of=AS_OF)
    assert result.window_start == dt.date(2025, 1, 1)
    got = {
        r.customer: (r.recency_days, r.frequency, r.monetary, r.rfm, r.segment) for r in result.rows
    }
    # means: R 1700/9 = 188.9 days, F 19/9 = 2.11, M 31600/9 = 3511.1
    assert got == {
        "A": (10, 4, Decimal("8000.00"), "444", "important_value"),
        "B": (30, 1, Decimal("6000.00"), "314", "important_develop"),
        "C": (210, 5, Decimal("5000.00"), "353", "important_keep"),
        "G": (355, 1, Decimal("9000.00"), "135", "important_win_back"),
        "H": (1, 3, Decimal("300.00"), "532", "general_value"),
        "E": (5, 1, Decimal("100.00"), "421", "general_develop"),
        "I": (244, 3, Decimal("200.00"), "242", "general_keep"),
        "D": (300, 1, Decimal("3000.00"), "223", "general_win_back"),
        "F": (545, 0, Decimal("0.00"), "111", "general_win_back"),
    }
    assert result.customers == 9
    assert result.mean_frequency == 2.11
    assert result.mean_monetary == 3511.11
    seg = {s.segment: (s.customers, s.monetary) for s in result.segments}
    assert seg["general_win_back"] == (2, Decimal("3000.00"))
    assert seg["important_win_back"] == (1, Decimal("9000.00"))
    assert [s.segment for s in result.segments][:2] == ["important_value", "important_develop"]
    assert result.segments[0].name_zh == "重要价值客户"
    # rows ordered by M, F, R score
    assert [r.customer for r in result.rows][:3] == ["G", "A", "B"]


def test_rfm_segment_filter_and_limit(db: Db) -> None:
    _data(db)
    result = rfm(db.engine, as_of=AS_OF, segment="general_win_back")
    assert [r.customer for r in result.rows] == ["D", "F"]
    assert len(rfm(db.engine, as_of=AS_OF, limit=3).rows) == 3


def test_rfm_rep_scope(db: Db) -> None:
    ids = _data(db)
    result = rfm(db.engine, Scope.single_rep(ids["rep:R2"]), as_of=AS_OF)
    # F, G, H, I only: means R 286.25, F 1.75, M 2375
    assert {r.customer: r.segment for r in result.rows} == {
        "F": "general_win_back",
        "G": "important_win_back",
        "H": "general_value",
        "I": "general_value",
    }


def test_rfm_region_filter_changes_the_means(db: Db) -> None:
    _data(db)
    result = rfm(db.engine, filters={"region": ["North"]}, as_of=AS_OF)
    # H and I: R mean 122.5, F mean 3 (neither above), M mean 250
    assert {r.customer: (r.rfm, r.segment) for r in result.rows} == {
        "H": ("212", "important_develop"),
        "I": ("121", "general_win_back"),
    }
