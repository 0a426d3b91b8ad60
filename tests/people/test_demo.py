"""The demo company's people data: plans, scorecard, ratings, coaching, splits, proposals; its
statements add up and its scorecard scores; ``--replace`` empties the people tables first
(PostgreSQL's TRUNCATE refuses a referenced table otherwise). Both databases."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from salesops.db.schema import CoachingEntry, DealSplit, Rep, RepRating, TargetProposal
from salesops.demo import generate_demo
from salesops.people import scorecards
from salesops.people import statements as st
from salesops.targets.calendar import period_containing
from tests.conftest import Db
from tests.demo.helpers import TINY


def _count(db: Db, model: type) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_demo_people(db: Db) -> None:
    generate_demo(db.engine, TINY)
    counts = {m.__tablename__: _count(db, m) for m in (RepRating, CoachingEntry, TargetProposal)}
    assert all(n > 0 for n in counts.values()), counts
    assert _count(db, DealSplit) % 2 == 0  # 60/40 pairs
    quarter = period_containing(TINY.today, "quarter")
    with db.engine.connect() as conn:
        reps = list(conn.execute(select(Rep.id).order_by(Rep.id).limit(5)).scalars())
    for rep_id in reps:
        plans = st.plans_for_rep(db.engine, rep_id)
        assert [p.rules.code for p in plans] == ["sales-standard"]
        view = st.statement(db.engine, "sales-standard", rep_id, quarter)
        assert view.statement.total == sum((ln.amount for ln in view.statement.lines), Decimal(0))
        assert all(ln.source_id or ln.kind == "bonus" for ln in view.statement.lines)
    scores = scorecards.compute(db.engine, quarter)
    assert any(r.score is not None for r in scores.reps)
    # replacing the demo data keeps the configuration and writes the people data again
    generate_demo(db.engine, TINY, replace=True)
    assert {
        m.__tablename__: _count(db, m) for m in (RepRating, CoachingEntry, TargetProposal)
    } == counts
