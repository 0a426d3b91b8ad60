"""Issue #28 on hand-made data, DuckDB and PostgreSQL: engagement score, task rules (one task
per warning), reassignment history, the customer base across the team, units sold and the
customer size dimension. Expected values are worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from salesops.auth.audit import Actor
from salesops.customers import ownership, rules, tasks
from salesops.customers.access import NotFound
from salesops.customers.distribution import customer_distribution
from salesops.customers.engagement import engagement
from salesops.db.schema import AuditEvent, Customer, Feedback, OrderLine, Task
from salesops.metrics.engine import MetricsEngine
from salesops.metrics.query import MetricQuery
from salesops.metrics.scope import FULL_SCOPE, Scope
from tests.analysis.data import build
from tests.conftest import Db

D = dt.date
ACTOR = Actor("test-manager")


def test_engagement_score_is_recency_weighted(db: Db) -> None:
    as_of = D(2026, 6, 30)
    with build(db.engine) as b:
        b.customer("Busy")
        b.customer("Quiet")
        b.activity("Busy", "2026-06-30", kind="visit")  # weight 3, age 0 -> 3
        b.order("O1", "2026-04-01", "Busy", 100)  # order 5, age 90 -> 5 x 0.5 = 2.5
        b.activity("Busy", "2025-05-01", kind="web_visit")  # 425 days: outside the window
        b.s.add(
            Feedback(
                external_id="F1",
                customer_id=b.ids["customer:Busy"],
                received_on=D(2026, 1, 1),  # feedback 2, age 180 -> 2 x 0.25 = 0.5
                nps=9,
            )
        )
    with db.engine.connect() as conn:
        got = engagement(conn, [b.ids["customer:Busy"], b.ids["customer:Quiet"]], as_of)
    busy = got[b.ids["customer:Busy"]]
    assert busy.raw == pytest.approx(6.0)  # 3 + 2.5 + 0.5
    assert busy.interactions == 3
    assert busy.score == round(100 * (1 - math.exp(-6.0 / 20)), 1) == 25.9
    assert busy.band == "low"
    quiet = got[b.ids["customer:Quiet"]]
    assert (quiet.score, quiet.band, quiet.interactions) == (0.0, "none", 0)


def _tasks(db: Db) -> list[Task]:
    with db.engine.connect() as conn:
        return list(conn.execute(select(Task).order_by(Task.id)).all())  # type: ignore[arg-type]


def test_a_warning_creates_one_task_not_one_per_run(db: Db) -> None:
    as_of = D(2026, 3, 1)
    with build(db.engine) as b:
        b.team("T")
        b.rep("Ann", team="T")
        b.customer("Slipping", owner="Ann")
        # usual interval 10 days (two order days); 49 days silent on 03-01 > 2 x 10: churn
        b.order("S1", "2026-01-01", "Slipping", 100, rep="Ann")
        b.order("S2", "2026-01-11", "Slipping", 100, rep="Ann")
        b.customer("Late", owner="Ann")
        b.payment("Late", "2026-01-15", 500, rep="Ann")  # unpaid, 45 days overdue > 30 grace
        b.payment("Late", "2026-02-20", 300, rep="Ann")  # 9 days overdue: within the grace
        b.s.add(
            Feedback(
                external_id="F9",
                customer_id=b.ids["customer:Late"],
                received_on=D(2026, 2, 25),
                nps=3,
            )
        )
    names = ["churn_warning", "overdue_receivable", "detractor_feedback"]
    first = {r.name: r.created for r in rules.run_rules(db.engine, as_of=as_of, names=names)}
    assert first == {"churn_warning": 1, "overdue_receivable": 1, "detractor_feedback": 1}
    again = {r.name: r.created for r in rules.run_rules(db.engine, as_of=as_of, names=names)}
    assert again == {"churn_warning": 0, "overdue_receivable": 0, "detractor_feedback": 0}
    later = rules.run_rules(db.engine, as_of=D(2026, 3, 5), names=names)
    assert sum(r.created for r in later) == 0  # still the same warnings, tasks still open
    rows = _tasks(db)
    assert len(rows) == 3
    by_source = {t.source: t for t in rows}
    churn = by_source["churn_warning"]
    assert churn.source_ref == f"{b.ids['customer:Slipping']}:2026-01-11"
    assert churn.owner_rep_id == b.ids["rep:Ann"] and churn.kind == "visit"
    assert churn.due_on == D(2026, 3, 8)  # 7 days after the run
    assert by_source["overdue_receivable"].source_ref == f"{b.ids['customer:Late']}:2026-01-15"
    assert by_source["overdue_receivable"].kind == "collection"

    # Done with a result: within the 90-day cool-down the warning raises no new task.
    tasks.complete_task(db.engine, ACTOR, FULL_SCOPE, churn.id, result="Visited; orders resume")
    assert (
        sum(r.created for r in rules.run_rules(db.engine, as_of=D(2026, 3, 10), names=names)) == 0
    )
    with db.engine.connect() as conn:
        follow = tasks.latest_by_customer(conn, "churn_warning", [b.ids["customer:Slipping"]])
        audit = conn.execute(
            select(func.count()).where(AuditEvent.action.in_(("task.complete", "task.rule_run")))
        ).scalar_one()
    assert follow[b.ids["customer:Slipping"]].result == "Visited; orders resume"
    assert audit == 4  # three rule runs that created tasks (one event per rule), one completion

    # A done task needs a result; a closed one cannot be closed again.
    other = by_source["overdue_receivable"].id
    with pytest.raises(tasks.TaskError):
        tasks.complete_task(db.engine, ACTOR, FULL_SCOPE, other, result="  ")
    with pytest.raises(tasks.TaskError):
        tasks.complete_task(db.engine, ACTOR, FULL_SCOPE, churn.id, result="again")


def test_a_task_made_by_hand_can_follow_up_a_warning(db: Db) -> None:
    as_of = D(2026, 3, 1)
    with build(db.engine) as b:
        b.rep("Ann")
        b.customer("Slipping", owner="Ann")
        b.order("S1", "2026-01-01", "Slipping", 100, rep="Ann")
        b.order("S2", "2026-01-11", "Slipping", 100, rep="Ann")
    cid = b.ids["customer:Slipping"]
    ref = rules.churn_warning_ref(db.engine, cid, as_of)
    assert ref == f"{cid}:2026-01-11"
    tasks.create_task(
        db.engine, ACTOR, FULL_SCOPE, customer_id=cid, kind="visit", due_on=as_of,
        follows=("churn_warning", ref),
    )  # fmt: skip
    # The rule sees its warning followed up already: no second task.
    assert rules.run_rules(db.engine, as_of=as_of, names=["churn_warning"])[0].created == 0
    with pytest.raises(tasks.TaskError):
        tasks.create_task(
            db.engine, ACTOR, FULL_SCOPE, customer_id=cid, kind="visit", due_on=as_of,
            follows=("churn_warning", ref),
        )  # fmt: skip
    assert rules.churn_warning_ref(db.engine, cid, D(2026, 1, 12)) is None  # not warned then


def test_rule_settings_and_unknown_rules(db: Db) -> None:
    with pytest.raises(rules.RuleError):
        rules.run_rules(db.engine, names=["nope"])
    with pytest.raises(rules.RuleError):
        rules.configure_rule(db.engine, ACTOR, "churn_warning", settings={"nope": "1"})
    cfg = rules.configure_rule(
        db.engine, ACTOR, "overdue_receivable", enabled=False, settings={"grace_days": "10"}
    )
    assert cfg.enabled is False and cfg.settings["grace_days"] == 10
    runs = {r.name: r for r in rules.run_rules(db.engine)}
    assert runs["overdue_receivable"].enabled is False
    assert runs["festival_greeting"].enabled is False  # off by default


def _revenue_by_rep(db: Db, start: dt.date, end: dt.date) -> list[dict[str, object]]:
    engine = MetricsEngine(db.engine, today=D(2026, 12, 1))
    return engine.query(MetricQuery("revenue", by=("rep",), start=start, end=end)).rows


def test_reassignment_keeps_past_revenue_with_the_old_owner(db: Db) -> None:
    with build(db.engine) as b:
        b.team("T")
        b.rep("Ann", team="T")
        b.rep("Bob", team="T")
        b.customer("Acme", owner="Ann")
        b.order("A1", "2026-01-10", "Acme", 100, rep="Ann")
        b.order("A2", "2026-03-10", "Acme", 50, rep="Bob")  # after the move, Bob sells
    acme, ann, bob = b.ids["customer:Acme"], b.ids["rep:Ann"], b.ids["rep:Bob"]
    task = tasks.create_task(
        db.engine, ACTOR, FULL_SCOPE, customer_id=acme, kind="call", due_on=D(2026, 3, 20)
    )
    moved = ownership.reassign(
        db.engine, ACTOR, FULL_SCOPE, [acme], to_rep_id=bob, effective_on=D(2026, 3, 1),
        reason="territory change",
    )  # fmt: skip
    assert (moved.moved, moved.tasks_moved) == ([acme], 1)
    # Revenue before the date stays with Ann; the order's own rep decides.
    assert _revenue_by_rep(db, D(2026, 1, 1), D(2026, 2, 28)) == [{"rep": "Ann", "value": 100.0}]
    assert _revenue_by_rep(db, D(2026, 1, 1), D(2026, 3, 31)) == [
        {"rep": "Ann", "value": 100.0},
        {"rep": "Bob", "value": 50.0},
    ]
    with db.engine.connect() as conn:
        assert ownership.owner_as_of(conn, acme, D(2026, 2, 28)) == ann
        assert ownership.owner_as_of(conn, acme, D(2026, 3, 1)) == bob
        assert ownership.owner_as_of(conn, acme, D(2026, 12, 1)) == bob
        periods = ownership.history(conn, acme)
        owner = conn.execute(select(Customer.owner_id).where(Customer.id == acme)).scalar()
        task_owner = conn.execute(select(Task.owner_rep_id).where(Task.id == task)).scalar()
        events = conn.execute(
            select(func.count()).where(AuditEvent.action == "customer.reassign")
        ).scalar_one()
    assert [(p["rep"], p["valid_from"], p["valid_to"]) for p in periods] == [
        ("Bob", D(2026, 3, 1), None),
        ("Ann", None, D(2026, 3, 1)),
    ]
    assert periods[0]["reason"] == "territory change"
    assert (owner, task_owner, events) == (bob, bob, 1)
    # Moved back later: three periods, the middle one closed.
    ownership.reassign(
        db.engine, ACTOR, FULL_SCOPE, [acme], to_rep_id=ann, effective_on=D(2026, 5, 1),
        reason="back",
    )  # fmt: skip
    with db.engine.connect() as conn:
        assert ownership.owner_as_of(conn, acme, D(2026, 4, 1)) == bob
        assert ownership.owner_as_of(conn, acme, D(2026, 1, 1)) == ann
        assert ownership.owner_as_of(conn, acme, D(2026, 6, 1)) == ann
    # Wrong input: no reason, a future date, a date before the last change, nobody to move.
    for kwargs in (
        {"reason": " ", "effective_on": D(2026, 6, 1)},
        {"reason": "x", "effective_on": D(2999, 1, 1)},
        {"reason": "x", "effective_on": D(2026, 4, 1)},
    ):
        with pytest.raises(ownership.ReassignError):
            ownership.reassign(db.engine, ACTOR, FULL_SCOPE, [acme], to_rep_id=bob, **kwargs)  # type: ignore[arg-type]
    # A rep's scope sees neither Bob nor Bob's customers: not found, nothing written.
    with pytest.raises(NotFound):
        ownership.reassign(
            db.engine, ACTOR, Scope.single_rep(ann), [acme], to_rep_id=bob, reason="mine"
        )


def test_customer_base_across_the_team(db: Db) -> None:
    start, end = D(2026, 1, 1), D(2026, 6, 30)
    with build(db.engine) as b:
        b.team("T")
        b.rep("Ann", team="T")
        b.rep("Bob", team="T")
        b.customer("C1", owner="Ann")
        b.customer("C2", owner="Ann")
        b.customer("C3", owner="Bob")
        b.customer("C4")  # no owner
        for i in range(1, 11):
            b.customer(f"D{i}", owner="Bob")
        b.order("O1", "2026-06-01", "C1", 900, rep="Ann")
        b.order("O2", "2026-01-15", "C2", 100, rep="Ann")
        b.order("O3", "2026-05-01", "C3", 500, rep="Bob")
        for i in range(1, 11):
            b.order(f"OD{i}", "2026-02-01", f"D{i}", 10, rep="Bob")
        b.activity("D1", "2026-06-15", rep="Bob")
    result = customer_distribution(db.engine, FULL_SCOPE, start=start, end=end, silent_days=90)
    # Tiers over 1,600: C1 900 (A, before 0), C3 500 (A, before 900 = 56 %), C2 100 (B, before
    # 1,400 = 87.5 %), D1 and D2 10 each (B: before 1,500 and 1,510 < 95 % = 1,520), D3.. C.
    rows = {r.rep: r for r in result.reps}
    ann, bob = rows["Ann"], rows["Bob"]
    assert (ann.customers, ann.tier_a, ann.tier_b, ann.revenue) == (2, 1, 1, Decimal("1000.00"))
    assert (bob.customers, bob.tier_a, bob.tier_b, bob.revenue) == (11, 1, 2, Decimal("600.00"))
    assert ann.top10_share == 1.0
    assert bob.top10_share == 0.9833  # (500 + 9 x 10) / 600: D10 is the eleventh customer
    assert result.avg_customers == 6.5 and result.avg_revenue == Decimal("800.00")
    assert (ann.customers_vs_avg, bob.customers_vs_avg) == (0.3077, 1.6923)  # 2 / 6.5, 11 / 6.5
    assert (ann.revenue_vs_avg, bob.revenue_vs_avg) == (1.25, 0.75)  # 1,000 / 800, 600 / 800
    assert result.without_owner == 1  # C4
    # No order or contact since 2026-04-02: C2 and D2..D10 (D1 was visited on 06-15)
    assert result.without_contact == 10
    # After reassigning C2 to Bob on 2026-07-01 the figures as of 06-30 do not change.
    ownership.reassign(
        db.engine, ACTOR, FULL_SCOPE, [b.ids["customer:C2"]], to_rep_id=b.ids["rep:Bob"],
        effective_on=D(2026, 7, 1), reason="rebalance",
    )  # fmt: skip
    again = customer_distribution(db.engine, FULL_SCOPE, start=start, end=end)
    assert {r.rep: r.customers for r in again.reps} == {"Ann": 2, "Bob": 11}
    # A rep's scope lists that rep only.
    mine = customer_distribution(
        db.engine, Scope.single_rep(b.ids["rep:Ann"]), start=start, end=end
    )
    assert [r.rep for r in mine.reps] == ["Ann"] and mine.without_owner == 0


def test_units_sold_kpi(db: Db) -> None:
    with build(db.engine) as b:
        b.rep("Ann")
        b.rep("Bob")
        b.customer("Acme")
        b.order("U1", "2026-02-01", "Acme", 10, rep="Ann")
        b.order("U1", "2026-02-01", "Acme", 10, rep="Ann", line_no=2)
        b.order("U2", "2026-02-03", "Acme", 10, rep="Bob")
        b.order("U3", "2026-02-04", "Acme", 10, rep="Bob", status="cancelled")
        b.order("U4", "2026-02-05", "Acme", 10, rep="Bob")  # no quantity: counts nothing
        b.order("U5", "2026-03-05", "Acme", 10, rep="Bob")  # March: outside the period
    quantities = {("U1", 1): "3", ("U1", 2): "2.5", ("U2", 1): "4", ("U3", 1): "7", ("U5", 1): "9"}
    from sqlalchemy import update

    with db.engine.begin() as conn:
        for (no, line), qty in quantities.items():
            conn.execute(
                update(OrderLine)
                .where(OrderLine.order_no == no, OrderLine.line_no == line)
                .values(quantity=Decimal(qty))
            )
    engine = MetricsEngine(db.engine, today=D(2026, 12, 1))
    feb = {"start": D(2026, 2, 1), "end": D(2026, 2, 28)}
    # 3 + 2.5 (Ann) + 4 (Bob); U3 cancelled, U4 without a quantity
    assert engine.query(MetricQuery("units_sold", **feb)).rows == [{"value": 9.5}]  # type: ignore[arg-type]
    assert engine.query(MetricQuery("units_sold", by=("rep",), **feb)).rows == [  # type: ignore[arg-type]
        {"rep": "Ann", "value": 5.5},
        {"rep": "Bob", "value": 4.0},
    ]


def test_customer_size_band_dimension(db: Db) -> None:
    with build(db.engine) as b:
        for name, size, amount in (
            ("Tiny", "1-49", 10),
            ("Mid", "350", 20),  # a number: 200-999
            ("Band", "200-999", 5),
            ("Huge", "5000+", 30),
            ("Words", "大型", 40),  # no number: no band
            ("Blank", None, 50),
        ):
            b.customer(name, size=size)
            b.order(f"S-{name}", "2026-02-01", name, amount)
    engine = MetricsEngine(db.engine, today=D(2026, 12, 1))
    period = {"start": D(2026, 2, 1), "end": D(2026, 2, 28)}
    rows = engine.query(MetricQuery("revenue", by=("customer_size",), **period)).rows  # type: ignore[arg-type]
    got = {r["customer_size"]: r["value"] for r in rows}
    assert got == {"1-49": 10.0, "200-999": 25.0, "5000+": 30.0, None: 90.0}
    where = (("customer_size", ("200-999",)),)
    q = MetricQuery("active_customers", where=where, **period)  # type: ignore[arg-type]
    assert engine.query(q).rows == [{"value": 2}]  # Mid and Band


@pytest.mark.parametrize("as_of", [D(2026, 6, 30), D(2026, 3, 31)])
def test_the_page_standing_agrees_with_the_tier_and_rfm_analyses(db: Db, as_of: dt.date) -> None:
    """The customer page reads tier and RFM segment from one shared aggregate (with a fast
    path over the trailing year when no order is later than the day); on every customer it
    must say what the analyses say; so must the lifecycle stage read from the customer's own
    rows. 2026-03-31 is before the last orders: the full path."""
    from salesops.analysis.lifecycle import lifecycle
    from salesops.analysis.rfm import rfm
    from salesops.analysis.tiers import value_tiers
    from salesops.customers.profile import lifecycle_stage, standing

    with build(db.engine) as b:
        b.rep("Ann")
        amounts = {"K1": 900, "K2": 500, "K3": 100, "K4": 100, "K5": 40, "K6": 10}
        for i, (name, amount) in enumerate(amounts.items()):
            b.customer(name, owner="Ann")
            b.order(f"{name}-a", f"2026-0{1 + i % 5}-1{i}", name, amount, rep="Ann")
            if i % 2 == 0:
                b.order(f"{name}-b", "2026-06-20", name, amount // 2 or 1, rep="Ann")
        b.customer("Old", owner="Ann")
        b.order("Old-a", "2024-02-01", "Old", 700, rep="Ann")  # outside both windows
        b.customer("Never", owner="Ann")
        b.opportunity("N1", customer="Never", owner="Ann", created="2026-02-01", amount=10)
    tiers = {r.customer_id: r.tier for r in value_tiers(db.engine, as_of=as_of).rows}
    segments = {r.customer_id: r.segment for r in rfm(db.engine, as_of=as_of).rows}
    stages = {r.customer_id: r.stage for r in lifecycle(db.engine, as_of=as_of).rows}
    assert set(stages.values()) >= {"potential", "new", "churned"}
    with db.engine.connect() as conn:
        for name in (*amounts, "Old", "Never"):
            cid = b.ids[f"customer:{name}"]
            got = standing(conn, cid, as_of)
            assert (got.tier, got.rfm_segment) == (tiers.get(cid), segments.get(cid)), name
            assert lifecycle_stage(conn, cid, as_of) == stages.get(cid), name


def test_task_kpis(db: Db) -> None:
    """Task completion (done by the due date / due, cancelled ones aside) and the share of
    warnings followed up within 7 days, by owner rep."""
    from sqlalchemy import insert

    with build(db.engine) as b:
        b.rep("Ann")
        b.rep("Bob")
        b.customer("Acme", owner="Ann")
    ann, bob, acme = b.ids["rep:Ann"], b.ids["rep:Bob"], b.ids["customer:Acme"]
    now = dt.datetime(2026, 3, 1)

    def task(owner: int, source: str, created: str, due: str, status: str, done: str | None):
        return {
            "customer_id": acme,
            "owner_rep_id": owner,
            "kind": "visit",
            "status": status,
            "source": source,
            "source_ref": None if source == "manual" else f"{source}:{created}:{due}:{owner}",
            "created_on": D.fromisoformat(created),
            "created_at": now,
            "due_on": D.fromisoformat(due),
            "done_on": D.fromisoformat(done) if done else None,
        }

    rows = [
        task(
            ann, "churn_warning", "2026-03-01", "2026-03-08", "done", "2026-03-05"
        ),  # on time, 4 d
        task(
            ann, "overdue_receivable", "2026-03-02", "2026-03-09", "done", "2026-03-12"
        ),  # late, 10 d
        task(ann, "manual", "2026-03-03", "2026-03-10", "open", None),  # due, not done
        task(ann, "manual", "2026-03-03", "2026-03-10", "cancelled", "2026-03-04"),  # not counted
        task(bob, "stuck_deal", "2026-03-05", "2026-03-20", "done", "2026-03-12"),  # on time, 7 d
        task(bob, "churn_warning", "2026-02-20", "2026-02-27", "done", "2026-02-21"),  # February
    ]
    with db.engine.begin() as conn:
        conn.execute(insert(Task), rows)
    engine = MetricsEngine(db.engine, today=D(2026, 12, 1))
    march = {"start": D(2026, 3, 1), "end": D(2026, 3, 31)}
    # due in March, not cancelled: Ann 3, Bob 1; done by the due date: Ann 1, Bob 1
    q = MetricQuery("task_completion", by=("rep",), **march)  # type: ignore[arg-type]
    assert engine.query(q).rows == [{"rep": "Ann", "value": 0.333333}, {"rep": "Bob", "value": 1.0}]
    # warnings raised in March: Ann 2, Bob 1 (manual tasks are not warnings); followed up
    # within 7 days: Ann's churn task (4 days), Bob's stuck deal (7 days) -> 2 / 3
    q = MetricQuery("warning_follow_up", **march)  # type: ignore[arg-type]
    assert engine.query(q).rows == [{"value": 0.666667}]


def test_a_new_customer_stays_with_the_rep_who_won_it(db: Db) -> None:
    """The customer fact's rep (new customers by rep, and their data scope) is the owner on
    the customer's first order day, from the ownership history."""
    with build(db.engine) as b:
        b.rep("Ann")
        b.rep("Bob")
        b.customer("Won", owner="Ann")
        b.customer("Kept", owner="Bob")
        b.order("W1", "2026-01-10", "Won", 100, rep="Ann")
        b.order("K1", "2026-01-20", "Kept", 100, rep="Bob")
    ownership.reassign(
        db.engine, ACTOR, FULL_SCOPE, [b.ids["customer:Won"]], to_rep_id=b.ids["rep:Bob"],
        effective_on=D(2026, 3, 1), reason="moved",
    )  # fmt: skip
    engine = MetricsEngine(db.engine, today=D(2026, 12, 1))
    q = MetricQuery("new_customers", by=("rep",), start=D(2026, 1, 1), end=D(2026, 1, 31))
    assert engine.query(q).rows == [{"rep": "Ann", "value": 1}, {"rep": "Bob", "value": 1}]
    q = MetricQuery("new_customers", start=D(2026, 1, 1), end=D(2026, 1, 31))
    assert engine.query(q, Scope.single_rep(b.ids["rep:Ann"])).rows == [{"value": 1}]
