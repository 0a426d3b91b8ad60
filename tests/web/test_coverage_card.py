"""Pipeline coverage on a card in the middle of a period looks at the next whole period."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from salesops.db.schema import Target
from tests.analysis.data import build
from tests.auth_helpers import admin_client
from tests.conftest import Db


def test_coverage_mid_month_is_against_next_months_target(db: Db) -> None:
    # On 15 June, "this month" is June to date; its next period is July (not 16-30 June).
    # Open on 15 June and expected in July: O1 300 (O2 is expected in August); July bookings
    # target 1000, nothing booked in July yet: 300 / 1000 = 0.3. On the 1st of each month the
    # line reads the same way: May's coverage is what was open on 31 May for June, which has
    # no target (none).
    with build(db.engine) as b:
        b.rep("R")
        b.stage("Open", 1)
        b.opportunity("O1", owner="R", created="2026-05-01", stage="Open", amount=300,
                      expected_close="2026-07-10")  # fmt: skip
        b.opportunity("O2", owner="R", created="2026-05-01", stage="Open", amount=500,
                      expected_close="2026-08-10")  # fmt: skip
    with Session(db.engine) as s:
        s.add(Target(external_id="T7", metric="bookings", period_grain="month",
                     period_start=dt.date(2026, 7, 1), scope_kind="company",
                     value=Decimal(1000)))  # fmt: skip
        s.commit()
    client = admin_client(db.engine)
    url = "/api/v1/panels/pipeline?cards=pipeline_coverage&period=month&asof=2026-06-15&lang=en"
    (card,) = client.get(url).json()["cards"]
    assert card["value"] == 0.3
    assert card["display"] == "30.0%"
    assert card["spark"][-2:] == [None, 0.3]
