"""Hand-made deal history for the forecast tests (see test_landing_history.py for the sums)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine, update

from salesops.db.schema import Opportunity, PipelineStage
from tests.analysis.data import Builder, build, ts

PROBABILITIES = {"S1": "0.2", "S2": "0.5", "Won": "1", "Lost": "0"}


def _won(
    b: Builder,
    key: str,
    created: str,
    closed: str,
    amount: int,
    stage_from: str = "S2",
    **kw: object,
) -> None:
    b.opportunity(
        key,
        owner="R1",
        created=created,
        stage="Won",
        status="won",
        amount=amount,
        closed=closed,
        **kw,
    )  # type: ignore[arg-type]
    b.change(key, "stage", stage_from, "Won", ts(closed))
    b.change(key, "status", "open", "won", ts(closed))


def seed(engine: Engine) -> dict[str, int]:
    """Deals around 2026-Q2 as of 2026-04-30 (one month in):

    * closed in Q2 by then: w1 1000 (won 04-10);
    * open then: w_late (S2, 5000, closes 05-31, later won), o1 (S1, 2000, closes 06-15),
      o2 (S2, 4000, closes 09-30: after the quarter);
    * Q1 history for timing and new business: p1 3000 (open at 01-31 expecting 03-15, won
      03-10), p3 500 (open at 01-31 expecting 04-30, won 02-20), n1 800 (created 02-15,
      won 03-20), w1 (open at 01-31 expecting 05-01).
    """
    with build(engine) as b:
        b.rep("R1")
        for i, name in enumerate(("S1", "S2"), start=1):
            b.stage(name, i)
        b.stage("Won", 3, "won")
        b.stage("Lost", 4, "lost")
        _won(b, "p1", "2025-12-01", "2026-03-10", 3000, expected_close="2026-03-15")
        _won(b, "p3", "2026-01-10", "2026-02-20", 500, expected_close="2026-04-30")
        _won(b, "n1", "2026-02-15", "2026-03-20", 800, expected_close="2026-03-31")
        _won(b, "w1", "2026-01-15", "2026-04-10", 1000, expected_close="2026-05-01")
        _won(
            b,
            "w_late",
            "2026-03-01",
            "2026-05-15",
            5000,
            expected_close="2026-05-31",
            probability=Decimal("0.8"),
        )
        b.opportunity(
            "o1",
            owner="R1",
            created="2026-03-10",
            stage="S1",
            amount=2000,
            expected_close="2026-06-15",
            probability=Decimal("0.2"),
        )
        b.opportunity(
            "o2",
            owner="R1",
            created="2026-03-10",
            stage="S2",
            amount=4000,
            expected_close="2026-09-30",
            probability=Decimal("0.5"),
        )
        for name, p in PROBABILITIES.items():
            b.s.execute(
                update(PipelineStage)
                .where(PipelineStage.name == name)
                .values(probability=Decimal(p))
            )
        return dict(b.ids)


def add_future(engine: Engine) -> None:
    """What happened after 2026-04-30, as an import would record it: a big deal created and won
    in May, o1 moved to S2 with a new amount, w_late's amount raised before it was won."""
    with build(engine) as b:
        b.ids["rep:R1"] = engine_rep(b)
        _won(b, "f1", "2026-05-05", "2026-06-01", 7000, expected_close="2026-06-01")
        o1 = b.s.query(Opportunity).filter_by(external_id="o1").one()
        b.ids["opp:o1"] = o1.id
        o1.stage = "S2"
        o1.amount = Decimal(9000)
        b.change("o1", "stage", "S1", "S2", ts("2026-05-05"))
        b.change("o1", "amount", "2000", "9000", ts("2026-05-05"))
        late = b.s.query(Opportunity).filter_by(external_id="w_late").one()
        b.ids["opp:w_late"] = late.id
        late.amount = Decimal(6000)
        b.change("w_late", "amount", "5000", "6000", ts("2026-05-02"))


def engine_rep(b: Builder) -> int:
    from salesops.db.schema import Rep

    return int(b.s.query(Rep).filter_by(external_id="R1").one().id)


def _d(text: str):  # type: ignore[no-untyped-def]
    import datetime as dt

    return dt.date.fromisoformat(text)
