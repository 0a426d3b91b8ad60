"""A narrower scope is compared with its own target, never shown the company's."""

from __future__ import annotations

import datetime as dt

from salesops.auth import users
from salesops.auth.audit import Actor
from salesops.web import kpi
from salesops.web.filters import parse_filters
from tests.conftest import Db
from tests.web.data import seed


def test_cards_and_monthly_targets_follow_the_scope(db: Db) -> None:
    """data.py: the company's 2026 revenue target is 1,200,000 and 100,000 a month; 张伟's
    is 400,000; team 华东一组 has none. 张伟 makes 210,000 by 2026-06-15 (the team's 290,000
    less 李娜's 80,000): 210,000 / 400,000 = 52.5 %."""
    seed(db.engine)
    actor = Actor("test")
    rep = users.add_user(db.engine, "zw", role="rep", rep="张伟", actor=actor)
    mgr = users.add_user(db.engine, "mgr", role="manager", org_unit="T-E", actor=actor)
    year = parse_filters({"period": ["year"], "asof": ["2026-06-15"]})
    admin = users.add_user(db.engine, "root", role="admin", actor=actor)

    company = kpi.card_attainments(db.engine, admin.scope, ["revenue"], year)["revenue"]
    assert company is not None and float(company.target) == 1_200_000
    mine = kpi.card_attainments(db.engine, rep.scope, ["revenue"], year)["revenue"]
    assert mine is not None and float(mine.target) == 400_000
    assert float(mine.actual) == 210_000 and round(float(mine.attainment or 0), 4) == 0.525
    assert kpi.card_attainments(db.engine, mgr.scope, ["revenue"], year)["revenue"] is None
    # A filter naming another rep's target is not shown to a rep either.
    other = parse_filters({"period": ["year"], "asof": ["2026-06-15"], "rep": ["王芳"]})
    assert kpi.card_attainments(db.engine, rep.scope, ["revenue"], other)["revenue"] is None

    start, end = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    assert len(kpi.month_targets(db.engine, "revenue", start, end)) == 12
    assert kpi.month_targets(db.engine, "revenue", start, end, rep.scope) == {}
