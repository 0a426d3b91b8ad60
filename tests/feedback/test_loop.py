"""The feedback loop's state machine on both databases: every step allowed or refused as
documented, every change in the item's history and the audit log, scope respected."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from salesops.auth.audit import Actor
from salesops.db.schema import AuditEvent, Feedback, FeedbackEvent
from salesops.feedback import loop
from salesops.feedback.loop import Assignee, FeedbackNotFound, LoopError
from salesops.metrics.scope import Scope
from tests.analysis.data import build
from tests.conftest import Db

ACTOR = Actor("ops-lead")
TODAY = dt.date(2024, 3, 10)


@pytest.fixture
def item(db: Db) -> int:
    with build(db.engine) as b:
        b.rep("张伟")
        b.rep("李娜")
        b.customer("Acme", owner="张伟")
        fb = Feedback(
            external_id="F1",
            customer_id=b.ids["customer:Acme"],
            rep_id=b.ids["rep:张伟"],
            received_on=dt.date(2024, 3, 1),
            priority="high",
            nps=3,
            text="交付太慢",
        )
        b.s.add(fb)
        b.s.flush()
        return int(fb.id)


def _events(db: Db, item: int) -> list[tuple[str, str, str]]:
    e = FeedbackEvent.__table__
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(e.c.action, e.c.from_status, e.c.to_status)
            .where(e.c.feedback_id == item)
            .order_by(e.c.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _audits(db: Db) -> list[str]:
    with db.engine.connect() as conn:
        return list(
            conn.execute(
                select(AuditEvent.action)
                .where(AuditEvent.action.like("feedback.%"))
                .order_by(AuditEvent.id)
            ).scalars()
        )


def test_the_whole_loop_is_in_the_history(db: Db, item: int) -> None:
    got = loop.assign(db.engine, item, Assignee("rep", "李娜"), ACTOR, today=TODAY)
    # high priority: 2 days from receipt (1 March); the first response is today
    assert (got["status"], got["assignee"], got["due_on"]) == ("assigned", "李娜", "2024-03-03")
    assert got["first_response_on"] == "2024-03-10"
    loop.add_note(db.engine, item, ACTOR, note="已联系物流")
    got = loop.resolve(db.engine, item, ACTOR, note="补发", today=dt.date(2024, 3, 12))
    assert (got["status"], got["resolved_on"]) == ("resolved", "2024-03-12")
    got = loop.inform(db.engine, item, ACTOR, today=dt.date(2024, 3, 13))
    assert (got["status"], got["informed_on"]) == ("informed", "2024-03-13")
    assert _events(db, item) == [
        ("assign", "new", "assigned"),
        ("note", "assigned", "assigned"),
        ("resolve", "assigned", "resolved"),
        ("inform", "resolved", "informed"),
    ]
    assert _audits(db) == [
        "feedback.assign",
        "feedback.note",
        "feedback.resolve",
        "feedback.inform",
    ]
    assert [h["note"] for h in got["history"]] == [None, "已联系物流", "补发", None]


def test_no_skipping_from_new_to_informed(db: Db, item: int) -> None:
    with pytest.raises(LoopError, match="only after it is resolved"):
        loop.inform(db.engine, item, ACTOR)
    with pytest.raises(LoopError, match="cannot resolve an item that is new"):
        loop.resolve(db.engine, item, ACTOR)
    loop.assign(db.engine, item, Assignee("department", "产品开发"), ACTOR, today=TODAY)
    with pytest.raises(LoopError, match="only after it is resolved"):
        loop.inform(db.engine, item, ACTOR)
    # nothing refused left a trace
    assert _events(db, item) == [("assign", "new", "assigned")]
    assert _audits(db) == ["feedback.assign"]


def test_a_closed_item_is_changed_only_after_reopening(db: Db, item: int) -> None:
    loop.assign(db.engine, item, Assignee("rep", "张伟"), ACTOR, today=TODAY)
    loop.resolve(db.engine, item, ACTOR, today=TODAY)
    for step in (
        lambda: loop.assign(db.engine, item, Assignee("rep", "李娜"), ACTOR),
        lambda: loop.add_note(db.engine, item, ACTOR, note="再看看"),
        lambda: loop.resolve(db.engine, item, ACTOR),
    ):
        with pytest.raises(LoopError) as err:
            step()
        assert err.value.conflict
    with pytest.raises(LoopError, match="note is required"):
        loop.reopen(db.engine, item, ACTOR, note="  ")
    got = loop.reopen(db.engine, item, ACTOR, note="客户仍未收到")
    assert (got["status"], got["resolved_on"]) == ("assigned", None)
    got = loop.assign(db.engine, item, Assignee("rep", "李娜"), ACTOR, today=TODAY)
    assert got["assignee"] == "李娜"
    # the first response stays the first one
    assert got["first_response_on"] == "2024-03-10"
    assert [a for a, _, _ in _events(db, item)] == ["assign", "resolve", "reopen", "assign"]


def test_bad_assignees_and_due_dates_are_refused(db: Db, item: int) -> None:
    with pytest.raises(LoopError, match="no sales rep"):
        loop.assign(db.engine, item, Assignee("rep", "nobody"), ACTOR)
    with pytest.raises(LoopError, match="no user"):
        loop.assign(db.engine, item, Assignee("user", "nobody"), ACTOR)
    with pytest.raises(LoopError, match="kind must be"):
        loop.assign(db.engine, item, Assignee("team", "x"), ACTOR)
    with pytest.raises(LoopError, match="before the item was received"):
        loop.assign(db.engine, item, Assignee("rep", "张伟"), ACTOR, due_on=dt.date(2024, 2, 1))
    got = loop.assign(
        db.engine, item, Assignee("department", "市场营销"), ACTOR, due_on=dt.date(2024, 3, 20)
    )
    assert (got["assignee"], got["due_on"]) == ("市场营销", "2024-03-20")


def test_out_of_scope_items_are_not_found(db: Db, item: int) -> None:
    with db.engine.connect() as conn:
        other = conn.execute(select(func.max(Feedback.rep_id))).scalar_one() + 1
    with pytest.raises(FeedbackNotFound):
        loop.assign(db.engine, item, Assignee("rep", "张伟"), ACTOR, scope=Scope.single_rep(other))
    assert _events(db, item) == []


def test_overdue_follows_the_due_date() -> None:
    item = {"status": "assigned", "received_on": dt.date(2024, 3, 1), "priority": "high"}
    assert loop.overdue(item, dt.date(2024, 3, 4))  # due 3 March
    assert not loop.overdue(item, dt.date(2024, 3, 3))
    assert not loop.overdue(item | {"status": "resolved"}, dt.date(2024, 4, 1))
    assert not loop.overdue(item | {"due_on": dt.date(2024, 3, 31)}, dt.date(2024, 3, 20))


def test_the_work_list_reads_every_item_with_its_owner(db: Db, item: int) -> None:
    # Owners are looked up per row: every row must come back (DuckDB drops a pending result
    # when the same connection runs another statement).
    with db.engine.begin() as conn:
        rep_id = conn.execute(select(Feedback.rep_id).where(Feedback.id == item)).scalar_one()
        for n in range(3):
            conn.execute(
                Feedback.__table__.insert().values(
                    external_id=f"F-more-{n}", rep_id=rep_id, received_on=dt.date(2024, 3, 2),
                    status="new", priority="low",
                )
            )  # fmt: skip
    loop.assign(db.engine, item, Assignee("rep", "李娜"), ACTOR, today=TODAY)
    total, items = loop.list_items(db.engine, status=("new", "assigned"), today=TODAY)
    assert total == 4
    # F1 (high: due 3 March) is overdue on 10 March and comes first; the low ones are due 12 March
    first = items[0]
    assert (first["external_id"], first["assignee"], first["overdue"]) == ("F1", "李娜", True)
    assert sorted(i["external_id"] for i in items[1:]) == ["F-more-0", "F-more-1", "F-more-2"]
    assert not any(i["overdue"] for i in items[1:])
    overdue_only = loop.list_items(db.engine, only_overdue=True, today=TODAY)
    assert overdue_only[0] == 1
