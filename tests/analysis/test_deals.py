"""Source-channel quality and win/loss on hand-made opportunities."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from salesops.analysis.common import AnalysisError
from salesops.analysis.deals import source_channels, win_loss
from salesops.metrics.scope import Scope
from tests.analysis.data import build
from tests.conftest import Db

START, END = dt.date(2025, 1, 1), dt.date(2025, 6, 30)


def _data(db: Db) -> dict[str, int]:
    with build(db.engine) as b:
        b.rep("R1")
        b.rep("R2")
        b.customer("C")
        deals = [
            # key, channel, status, amount, created, closed, competitor, lost reason
            ("d1", "web", "won", 1000, "2025-01-10", "2025-02-01", "Acme", None),
            ("d2", "web", "won", 3000, "2025-02-10", "2025-03-01", None, None),
            ("d3", "web", "lost", 2000, "2025-03-01", "2025-03-20", "Acme", "price"),
            ("d4", "web", "open", 5000, "2025-04-01", None, None, None),
            ("d5", "referral", "won", 8000, "2025-01-05", "2025-04-10", "Beta", None),
            ("d6", "referral", "lost", 1000, "2025-02-01", "2025-04-15", "Beta", "price"),
            ("d7", None, "lost", 500, "2025-02-02", "2025-05-01", "Acme", "timing"),
            ("d8", "event", "open", 700, "2024-12-01", None, None, None),
            ("d9", "referral", "won", 2000, "2025-06-01", "2025-07-15", "Beta", None),
        ]
        for key, channel, status, amount, created, closed, competitor, reason in deals:
            b.opportunity(
                key,
                customer="C",
                owner="R1" if key in ("d1", "d2", "d3", "d4") else "R2",
                source_channel=channel,
                status=status,
                amount=amount,
                created=created,
                closed=closed,
                competitor=competitor,
                lost_reason=reason,
            )
        return dict(b.ids)


def test_source_channel_quality(db: Db) -> None:
    _data(db)
    result = source_channels(db.engine, start=START, end=END)
    got = [
        (r.source_channel, r.opportunities, r.open, r.won, r.lost, r.win_rate, r.bookings)
        for r in result.rows
    ]
    assert got == [
        ("referral", 3, 0, 2, 1, 0.6667, Decimal("10000.00")),
        ("web", 4, 1, 2, 1, 0.6667, Decimal("4000.00")),
        (None, 1, 0, 0, 1, 0.0, Decimal("0.00")),
    ]
    assert [r.avg_deal_size for r in result.rows] == [Decimal("5000.00"), Decimal("2000.00"), None]
    assert [r.open_pipeline for r in result.rows] == [
        Decimal("0.00"),
        Decimal("5000.00"),
        Decimal("0.00"),
    ]
    t = result.total
    assert (t.opportunities, t.won, t.lost, t.win_rate, t.bookings, t.avg_deal_size) == (
        8,
        4,
        3,
        0.5714,
        Decimal("14000.00"),
        Decimal("3500.00"),
    )
    everything = source_channels(db.engine)
    assert {r.source_channel for r in everything.rows} == {"referral", "web", None, "event"}


def test_win_loss_by_competitor_and_lost_reason(db: Db) -> None:
    _data(db)
    result = win_loss(db.engine, start=START, end=END)
    assert (result.won, result.lost, result.win_rate) == (3, 3, 0.5)
    assert [
        (r.competitor, r.won, r.lost, r.win_rate, r.won_amount, r.lost_amount)
        for r in result.competitors
    ] == [
        ("Acme", 1, 2, 0.3333, Decimal("1000.00"), Decimal("2500.00")),
        ("Beta", 1, 1, 0.5, Decimal("8000.00"), Decimal("1000.00")),
        (None, 1, 0, 1.0, Decimal("3000.00"), Decimal("0.00")),
    ]
    assert [(r.lost_reason, r.lost, r.lost_amount, r.share) for r in result.lost_reasons] == [
        ("price", 2, Decimal("3000.00"), 0.6667),
        ("timing", 1, Decimal("500.00"), 0.3333),
    ]


def test_deals_scope_and_filters(db: Db) -> None:
    ids = _data(db)
    mine = source_channels(db.engine, Scope.single_rep(ids["rep:R1"]), start=START, end=END)
    assert [(r.source_channel, r.opportunities) for r in mine.rows] == [("web", 4)]
    acme = win_loss(db.engine, filters={"competitor": ["Acme"]}, start=START, end=END)
    assert [(r.competitor, r.won, r.lost) for r in acme.competitors] == [("Acme", 1, 2)]
    assert [(r.lost_reason, r.lost, r.share) for r in acme.lost_reasons] == [
        ("price", 1, 0.5),
        ("timing", 1, 0.5),
    ]
    with pytest.raises(AnalysisError):
        win_loss(db.engine, filters={"kind": ["visit"]})
    with pytest.raises(AnalysisError):
        source_channels(db.engine, start=END, end=START)
