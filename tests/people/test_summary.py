"""The statements summary (finance's overview) is set-based per batch of reps, and gives
exactly each rep's own statement, on the hand-made world (tests/people/world.py), both
databases: closed statements, clawbacks, splits, SPIFFs, bonuses and a cap included."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import update

from salesops.db.derived import refresh_after_write
from salesops.db.schema import OrderLine
from salesops.metrics.scope import FULL_SCOPE
from salesops.people import statements as st
from tests.conftest import Db
from tests.people.test_incentives import Q1, Q2, save, world  # noqa: F401  (fixture)


def _same_as_one_by_one(db: Db, views: list[st.StatementView], code: str) -> None:
    for view in views:
        alone = st.statement(db.engine, code, view.rep_id, view.period)
        assert view.to_dict() == alone.to_dict()


def test_summary_equals_each_statement(db: Db, world: dict[str, int]) -> None:  # noqa: F811
    code = save(
        db,
        cap=500,
        spiffs=[{"product_line": "Cloud", "rate": 0.02, "amount_each": 10}],
        bonuses=[{"kpi": "revenue", "at_least": 5000, "amount": 100}],
        clawback=True,
    )
    cat, ann = world["rep:Cat"], world["rep:Ann"]
    st.close_statement(db.engine, code, cat, Q1, "finance")
    with db.engine.begin() as conn:
        conn.execute(
            update(OrderLine).where(OrderLine.id == world["line:C1"]).values(status="returned")
        )
        refresh_after_write(conn)
    q1 = st.summary(db.engine, FULL_SCOPE, Q1, dt.date(2024, 3, 31))
    assert {v.rep for v in q1} == {"Ann", "Bob", "Cat"}
    by_rep = {v.rep: v for v in q1}
    # Cat's Q1 is closed: as paid, C1 2000 x 3 % + C2 1000 x 3 % = 90.
    assert by_rep["Cat"].closed and by_rep["Cat"].statement.total == Decimal(90)
    _same_as_one_by_one(db, q1, code)
    q2 = st.summary(db.engine, FULL_SCOPE, Q2, dt.date(2024, 6, 30))
    cat_q2 = next(v for v in q2 if v.rep_id == cat)
    # C3 1000 x 3 % (no Q2 target) = 30; C1's 60 paid in Q1 is taken back: -30.
    assert cat_q2.statement.total == Decimal(-30)
    _same_as_one_by_one(db, q2, code)
    assert any(v.rep_id == ann for v in q2)
