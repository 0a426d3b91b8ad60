"""The funnel and stuck deals from hand-made stage history, conversions and dwell written out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from salesops.analysis.common import AnalysisError, normalise_filters, resolve_as_of
from salesops.analysis.funnel import funnel, funnel_statement
from salesops.analysis.pipeline_history import kept_dates
from salesops.analysis.stuck import stuck_deals, stuck_statement
from salesops.metrics.scope import FULL_SCOPE, Scope
from tests.analysis.data import build, ts
from tests.conftest import Db

AS_OF = dt.date(2025, 6, 30)


def _data(db: Db) -> dict[str, int]:
    with build(db.engine) as b:
        b.rep("R1")
        b.rep("R2")
        b.customer("Acme")
        for i, name in enumerate(("Lead", "Qualify", "Proposal", "Negotiate"), start=1):
            b.stage(name, i)
        b.stage("Won", 5, "won")
        b.stage("Lost", 6, "lost")
        b.stage("Lead", 1, pipeline="other")

        def opp(key: str, created: str, stage: str, status: str = "open", **kw: object) -> None:
            owner = "R1" if key in ("f1", "f2", "f3") else "R2"
            b.opportunity(
                key, customer="Acme", owner=owner, created=created, stage=stage, status=status, **kw
            )  # type: ignore[arg-type]

        def move(key: str, old: str, new: str, at: dt.datetime) -> None:
            b.change(key, "stage", old, new, at)

        # f1: Lead 10 d, Qualify 10.5 d, Proposal 10.5 d, then won
        opp("f1", "2025-01-01", "Won", "won", amount=4000)
        move("f1", "Lead", "Qualify", ts("2025-01-11", 0))
        move("f1", "Qualify", "Proposal", ts("2025-01-21", 12))
        move("f1", "Proposal", "Won", ts("2025-02-01", 0))
        b.change("f1", "status", "open", "won", ts("2025-02-01", 0))
        # f2: Lead 20 d, Qualify 8 d, then lost
        opp("f2", "2025-02-01", "Lost", "lost", amount=1500)
        move("f2", "Lead", "Qualify", ts("2025-02-21", 0))
        move("f2", "Qualify", "Lost", ts("2025-03-01", 0))
        b.change("f2", "status", "open", "lost", ts("2025-03-01", 0))
        # f3: Lead 10 d, skips Qualify, in Proposal since 03-11 (111 days); grows after as-of
        opp("f3", "2025-03-01", "Proposal", amount=8000, source_channel="web")
        move("f3", "Lead", "Proposal", ts("2025-03-11", 0))
        b.change("f3", "amount", "5000.00", "8000.00", ts("2025-07-10"))
        # f4: no history, in Lead since 06-15 (15 days)
        opp("f4", "2025-06-15", "Lead", amount=1000)
        # f5: won without any stage history
        opp("f5", "2025-04-01", "Qualify", "won", amount=6000, closed="2025-05-01")
        # f8: in Lead since 05-01 (60 days); moves on only after as-of
        opp("f8", "2025-05-01", "Qualify", amount=2000)
        move("f8", "Lead", "Qualify", ts("2025-07-02"))
        # f9: Lead 120 days, skips to Negotiate on 05-01 (60 days)
        opp("f9", "2025-01-01", "Negotiate", amount=3000, source_channel="web")
        move("f9", "Lead", "Negotiate", ts("2025-05-01", 0))
        # not counted: another pipeline, created after as-of
        opp("f6", "2025-01-01", "Lead", pipeline="other")
        opp("f7", "2025-07-05", "Lead")
        return dict(b.ids)


def test_funnel_conversion_and_dwell(db: Db) -> None:
    _data(db)
    result = funnel(db.engine, as_of=AS_OF)
    assert (result.opportunities, result.open, result.won, result.lost) == (7, 4, 2, 1)
    got = [
        (s.stage, s.reached, s.conversion_to_next, s.conversion_from_first) for s in result.stages
    ]
    assert got == [
        ("Lead", 7, 0.7143, 1.0),
        ("Qualify", 5, 0.8, 0.7143),
        ("Proposal", 4, 0.75, 0.5714),
        ("Negotiate", 3, 0.6667, 0.4286),
        ("Won", 2, None, 0.2857),
    ]
    dwell = [
        (s.stage, s.completed_stays, s.mean_dwell_days, s.open_stays, s.mean_open_age_days)
        for s in result.stages
    ]
    assert dwell == [
        ("Lead", 4, 40.0, 2, 37.5),  # 10, 20, 10, 120 | 15, 60
        ("Qualify", 3, 16.17, 0, None),  # 10.5, 8, and f5's 30 days until it was won
        ("Proposal", 1, 10.5, 1, 111.0),
        ("Negotiate", 0, None, 1, 60.0),
        ("Won", 0, None, 0, None),
    ]


def test_funnel_period_scope_and_filter(db: Db) -> None:
    ids = _data(db)
    spring = funnel(db.engine, start=dt.date(2025, 3, 1), end=AS_OF, as_of=AS_OF)
    assert [s.reached for s in spring.stages] == [4, 2, 2, 1, 1]  # f3, f4, f5, f8
    mine = funnel(db.engine, Scope.single_rep(ids["rep:R1"]), as_of=AS_OF)
    assert [s.reached for s in mine.stages] == [3, 3, 2, 1, 1]  # f1, f2, f3
    web = funnel(db.engine, filters={"source_channel": ["web"]}, as_of=AS_OF)
    assert [s.reached for s in web.stages] == [2, 2, 2, 1, 0]  # f3, f9
    other = funnel(db.engine, pipeline="other", as_of=AS_OF)
    assert [(s.stage, s.reached) for s in other.stages] == [("Lead", 1)]
    early = funnel(db.engine, as_of=dt.date(2025, 1, 15))
    # f1 (in Qualify since 01-11) and f9 (Lead): Lead 2, Qualify 1
    assert [s.reached for s in early.stages] == [2, 1, 0, 0, 0]
    assert early.stages[0].open_stays == 1 and early.stages[1].mean_open_age_days == 4.0


def test_stuck_deals(db: Db) -> None:
    ids = _data(db)
    result = stuck_deals(db.engine, as_of=AS_OF)
    got = [
        (r.opportunity, r.stage, r.days_in_stage, r.threshold_days, r.median_dwell_days, r.amount)
        for r in result.rows
    ]
    assert got == [
        ("f3", "Proposal", 111, 21.0, 10.5, Decimal("5000.00")),  # amount as of 06-30
        ("f9", "Negotiate", 60, 30.0, None, Decimal("3000.00")),  # no completed stay: 30 d
        ("f8", "Lead", 60, 30.0, 15.0, Decimal("2000.00")),  # median of 10, 10, 20, 120
    ]
    assert (result.deals, result.amount) == (3, Decimal("10000.00"))
    assert result.rows[0].customer == "Acme" and result.rows[0].owner == "R1"
    assert [r.opportunity for r in stuck_deals(db.engine, as_of=AS_OF, days=100).rows] == ["f3"]
    mine = stuck_deals(db.engine, Scope.single_rep(ids["rep:R1"]), as_of=AS_OF)
    assert [(r.opportunity, r.threshold_days) for r in mine.rows] == [("f3", 21.0)]
    with pytest.raises(AnalysisError):
        stuck_deals(db.engine, as_of=AS_OF, factor=0)


def _rows(conn: Any, statement: Any) -> list[Any]:
    return sorted(conn.execute(statement).all(), key=repr)


def test_the_kept_states_give_the_rows_history_gives(db: Db) -> None:
    """At today (current rows) and past month ends (the month-end pipeline) the funnel and
    stuck-deal statements read what the writers keep; history must give the same rows."""
    ids = _data(db)
    flt = normalise_filters(None)
    days = [AS_OF, dt.date(2025, 1, 31), dt.date(2025, 6, 15), resolve_as_of(None)]
    with db.engine.connect() as conn:
        kept = kept_dates(conn)
        assert kept.holds(AS_OF)
        for day in days:
            for sc in (FULL_SCOPE, Scope.single_rep(ids["rep:R1"])):
                fast = _rows(conn, funnel_statement(sc, flt, "default", day, kept=kept))
                slow = _rows(conn, funnel_statement(sc, flt, "default", day))
                assert fast == slow != [], (day, sc)
                stuck = {"days": None, "factor": 2.0, "fallback_days": 30, "limit": None}
                fast = _rows(conn, stuck_statement(sc, flt, "default", day, **stuck, kept=kept))
                slow = _rows(conn, stuck_statement(sc, flt, "default", day, **stuck))
                assert fast == slow, (day, sc)


def _awkward(db: Db) -> None:
    """History the writers' kept stays must read as the replay does: closes dated before a
    stage entry, after today or missing, a change dated before creation, a cleared stage."""
    later = (resolve_as_of(None) + dt.timedelta(days=30)).isoformat()
    with build(db.engine) as b:
        b.rep("R1")
        for i, name in enumerate(("Lead", "Qualify", "Proposal"), start=1):
            b.stage(name, i)
        b.stage("Won", 4, "won")
        b.stage("Lost", 5, "lost")

        def opp(key: str, stage: str, status: str = "open", **kw: object) -> None:
            b.opportunity(key, owner="R1", created="2025-01-01", stage=stage, status=status, **kw)  # type: ignore[arg-type]

        def move(key: str, old: str | None, new: str | None, day: str) -> None:
            b.change(key, "stage", old, new, ts(day))

        opp("early_close", "Won", "won", closed="2025-03-01", amount=100)  # closed, then moved
        move("early_close", "Lead", "Proposal", "2025-02-01")
        move("early_close", "Proposal", "Won", "2025-03-05")
        opp("no_close_date", "Proposal", "won", amount=200)
        move("no_close_date", "Lead", "Proposal", "2025-02-10")
        opp("closes_later", "Won", "won", closed=later, amount=300)
        move("closes_later", "Lead", "Qualify", "2025-01-20")
        opp("moved_before_created", "Qualify", amount=400)
        move("moved_before_created", "Lead", "Qualify", "2024-12-20")
        opp("stage_cleared", "Qualify", amount=500)
        move("stage_cleared", "Lead", "Qualify", "2025-01-15")
        move("stage_cleared", "Qualify", None, "2025-02-15")
        opp("never_moved", "Lead", amount=600)
        opp("lost", "Lost", "lost", closed="2025-04-01", amount=700)
        move("lost", "Lead", "Qualify", "2025-02-01")
        move("lost", "Qualify", "Lost", "2025-04-01")


def test_the_kept_stays_give_the_stays_history_gives(db: Db) -> None:
    """From today on, the funnel and stuck deals read the stays the writers keep instead of
    replaying the history: both must give the same rows, awkward history included."""
    _awkward(db)
    flt = normalise_filters(None)
    today = resolve_as_of(None)
    stuck = {"days": None, "factor": 2.0, "fallback_days": 30, "limit": None}
    with db.engine.connect() as conn:
        kept = kept_dates(conn)
        for day in (today, today + dt.timedelta(days=60)):
            fast = _rows(conn, funnel_statement(FULL_SCOPE, flt, "default", day, kept=kept))
            slow = _rows(conn, funnel_statement(FULL_SCOPE, flt, "default", day))
            assert fast == slow != [], day
            fast = _rows(conn, stuck_statement(FULL_SCOPE, flt, "default", day, **stuck, kept=kept))
            slow = _rows(conn, stuck_statement(FULL_SCOPE, flt, "default", day, **stuck))
            assert fast == slow != [], day
    result = funnel(db.engine)
    lead = next(s for s in result.stages if s.stage == "Lead")
    # Lead stays ended (created at midnight, moved at noon): early_close 31.5 d, no_close_date
    # 40.5 d, closes_later 19.5 d, lost 31.5 d, stage_cleared 14.5 d and moved_before_created
    # -11.5 d counted as 0: 137.5 / 6
    assert lead.completed_stays == 6
    assert lead.mean_dwell_days == 22.92
    proposal = next(s for s in result.stages if s.stage == "Proposal")
    # early_close: in Proposal from 02-01 noon to its move to Won on 03-05 noon (the next
    # stage change ends a stay, even after the close): 32 d; its Won stay, closed before it
    # began, lasts 0 d
    assert (proposal.completed_stays, proposal.mean_dwell_days) == (1, 32.0)


def test_stuck_deal_amounts_keep_four_decimals(db: Db) -> None:
    """Two deals stuck in Lead since 2025-03-01 (121 days, no completed stay: 30-day rule) with
    amounts of four decimals: each row, the stage and the total are exact — 1000.0050 +
    2000.0050 = 3000.0100 (rounded to cents the rows would read 1000.00 and 2000.00 and not
    add up to the stage's 3000.01)."""
    with build(db.engine) as b:
        b.rep("R1")
        b.customer("Acme")
        b.stage("Lead", 1)
        b.stage("Won", 2, "won")
        for key, amount in (("s1", "1000.0050"), ("s2", "2000.0050")):
            b.opportunity(
                key,
                customer="Acme",
                owner="R1",
                created="2025-03-01",
                stage="Lead",
                status="open",
                amount=amount,
            )
    result = stuck_deals(db.engine, as_of=AS_OF)
    assert [(r.opportunity, r.amount) for r in result.rows] == [
        ("s2", Decimal("2000.0050")),
        ("s1", Decimal("1000.0050")),
    ]
    assert [(s.stage, s.deals, s.amount) for s in result.stages] == [
        ("Lead", 2, Decimal("3000.0100"))
    ]
    assert result.amount == Decimal("3000.0100") == sum(r.amount for r in result.rows)
