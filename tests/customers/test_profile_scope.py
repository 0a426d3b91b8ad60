"""The customer page's rows are limited to the caller's data scope in the data-access layer
(SPEC §7, :mod:`salesops.metrics.scope`): a rep who may open a customer (they own it) sees
the orders, deals, payments, activities, feedback and tasks attributed to a rep they see —
not another rep's rows of the same customer. Both databases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import insert

from salesops.customers.access import NotFound
from salesops.customers.profile import customer_profile
from salesops.db.schema import Feedback, Task
from salesops.metrics.scope import FULL_SCOPE, Scope
from tests.analysis.data import build, ts
from tests.conftest import Db

D = dt.date
AS_OF = D(2026, 6, 30)


@pytest.fixture
def acme(db: Db) -> dict[str, int]:
    """Acme is Ann's customer; Bob (same team) and Cid (another team) also sold to it."""
    with build(db.engine) as b:
        b.team("North")
        b.team("South")
        b.rep("Ann", team="North")
        b.rep("Bob", team="North")
        b.rep("Cid", team="South")
        b.stage("Qualify", 1)
        b.customer("Acme", owner="Ann")
        b.order("A1", "2026-05-01", "Acme", 100, rep="Ann")
        b.order("B1", "2026-05-10", "Acme", 40, rep="Bob")
        b.order("C1", "2026-05-20", "Acme", 7, rep="Cid")
        b.opportunity("Deal-Ann", customer="Acme", owner="Ann", stage="Qualify", amount=10)
        b.opportunity("Deal-Cid", customer="Acme", owner="Cid", stage="Qualify", amount=99)
        b.change("Deal-Ann", "stage", None, "Qualify", ts("2026-01-02"))
        b.change("Deal-Cid", "amount", "50", "99", ts("2026-01-03"))
        b.payment("Acme", "2026-05-31", 100, rep="Ann")
        b.payment("Acme", "2026-05-31", 7, rep="Cid")
        b.activity("Acme", "2026-06-01", kind="visit", rep="Ann")
        b.activity("Acme", "2026-06-02", kind="call", rep="Cid")
        for key, rep, nps in (("F-Ann", "Ann", 9), ("F-Cid", "Cid", 2)):
            b.s.add(
                Feedback(
                    external_id=key,
                    customer_id=b.ids["customer:Acme"],
                    rep_id=b.ids[f"rep:{rep}"],
                    received_on=D(2026, 6, 3),
                    nps=nps,
                    text=key,
                )
            )
    with db.engine.begin() as conn:
        for title, rep in (("Task-Ann", "Ann"), ("Task-Cid", "Cid")):
            conn.execute(
                insert(Task).values(
                    customer_id=b.ids["customer:Acme"],
                    owner_rep_id=b.ids[f"rep:{rep}"],
                    kind="visit",
                    status="open",
                    source="manual",
                    title=title,
                    created_on=D(2026, 6, 1),
                    created_at=dt.datetime(2026, 6, 1, 8),
                    due_on=D(2026, 7, 1),
                )
            )
    return b.ids


def _rows(db: Db, scope: Scope, ids: dict[str, int]) -> dict[str, object]:
    p = customer_profile(db.engine, scope, ids["customer:Acme"], as_of=AS_OF)
    return {
        "orders": sorted(o["order_no"] for o in p.orders),
        "revenue": sum((t["revenue"] for t in p.trend), Decimal(0)),
        "deals": sorted(d["name"] for d in p.deals),
        "changes": sorted(c["deal"] for c in p.deal_changes),
        "payments": sorted(p_["due_amount"] for p_ in p.payments),
        "activities": sorted(a["kind"] for a in p.activities),
        "feedback": sorted(f["text"] for f in p.feedback),
        "nps": p.nps,
        "tasks": sorted(t.title or "" for t in p.tasks),
        "timeline_orders": sorted(i["text"] for i in p.timeline if i["kind"] == "order"),
        "revenue_12m": p.standing.revenue_12m,
    }


def test_the_owner_sees_only_the_rows_of_reps_in_their_scope(db: Db, acme: dict[str, int]) -> None:
    got = _rows(db, Scope.single_rep(acme["rep:Ann"]), acme)
    assert got == {
        "orders": ["A1"],
        "revenue": Decimal(100),
        "deals": ["Deal-Ann"],
        "changes": ["Deal-Ann"],
        "payments": [Decimal(100)],
        "activities": ["visit"],
        "feedback": ["F-Ann"],
        "nps": 100.0,  # one promoter
        "tasks": ["Task-Ann"],
        "timeline_orders": ["A1"],
        "revenue_12m": Decimal(100),
    }


def test_a_manager_sees_the_rows_of_their_subtree_and_full_scope_everything(
    db: Db, acme: dict[str, int]
) -> None:
    north = _rows(db, Scope.subtree(acme["team:North"]), acme)
    assert north["orders"] == ["A1", "B1"]  # Cid (South) is outside North
    assert north["revenue"] == Decimal(140) == north["revenue_12m"]
    assert (north["deals"], north["feedback"], north["tasks"]) == (
        ["Deal-Ann"],
        ["F-Ann"],
        ["Task-Ann"],
    )
    full = _rows(db, FULL_SCOPE, acme)
    assert full["orders"] == ["A1", "B1", "C1"]
    assert full["revenue"] == Decimal(147)
    assert full["deals"] == ["Deal-Ann", "Deal-Cid"]
    assert full["changes"] == ["Deal-Ann", "Deal-Cid"]
    assert full["payments"] == [Decimal(7), Decimal(100)]
    assert full["activities"] == ["call", "visit"]
    assert full["feedback"] == ["F-Ann", "F-Cid"]
    assert full["nps"] == 0.0  # one promoter, one detractor
    assert full["tasks"] == ["Task-Ann", "Task-Cid"]


def test_a_rep_who_does_not_own_the_customer_cannot_open_it(db: Db, acme: dict[str, int]) -> None:
    # Cid sold to Acme but does not own it: the page is not his (a 404, as for a missing id).
    with pytest.raises(NotFound):
        customer_profile(
            db.engine, Scope.single_rep(acme["rep:Cid"]), acme["customer:Acme"], as_of=AS_OF
        )


def test_the_scoped_standing_agrees_with_the_scoped_analyses(db: Db) -> None:
    """Tier, RFM segment and lifecycle stage on the page of a scoped caller are those the
    tier, RFM and lifecycle analyses give in the same scope (ranked among what it sees)."""
    from salesops.analysis.lifecycle import lifecycle
    from salesops.analysis.rfm import rfm
    from salesops.analysis.tiers import value_tiers
    from salesops.customers.profile import lifecycle_stage, standing

    with build(db.engine) as b:
        b.team("North")
        b.rep("Ann", team="North")
        b.rep("Bob")
        amounts = {"K1": 900, "K2": 500, "K3": 100, "K4": 60, "K5": 40}
        for i, (name, amount) in enumerate(amounts.items()):
            b.customer(name, owner="Ann")
            b.order(f"{name}-a", f"2026-0{1 + i}-1{i}", name, amount, rep="Ann")
            b.order(f"{name}-b", "2026-06-20", name, 1000 - amount, rep="Bob")  # not Ann's
        b.order("K5-old", "2024-02-01", "K5", 70, rep="Ann")
    scope = Scope.single_rep(b.ids["rep:Ann"])
    tiers = {r.customer_id: r.tier for r in value_tiers(db.engine, scope, as_of=AS_OF).rows}
    segments = {r.customer_id: r.segment for r in rfm(db.engine, scope, as_of=AS_OF).rows}
    stages = {r.customer_id: r.stage for r in lifecycle(db.engine, scope, as_of=AS_OF).rows}
    with db.engine.connect() as conn:
        for name in amounts:
            cid = b.ids[f"customer:{name}"]
            got = standing(conn, cid, AS_OF, scope)
            assert (got.tier, got.rfm_segment) == (tiers[cid], segments[cid]), name
            assert lifecycle_stage(conn, cid, AS_OF, scope) == stages[cid], name
        # K1 is A among Ann's own orders; with Bob's as well every customer has 1,000
        k1 = b.ids["customer:K1"]
        assert standing(conn, k1, AS_OF, scope).tier == "A"
        assert standing(conn, k1, AS_OF, scope).revenue_12m == Decimal(900)
        assert standing(conn, k1, AS_OF).revenue_12m == Decimal(1000)
