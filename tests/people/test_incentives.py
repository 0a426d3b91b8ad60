"""Every incentive rule on the hand-made world (tests/people/world.py), both databases.

Expected amounts are worked out by hand; the comments show the arithmetic. Plan: 3 % up to
100 % of target, 5 % from 100 % to 120 %, 8 % above (the accelerator).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import update

from salesops.db.derived import refresh_after_write
from salesops.db.schema import OrderLine
from salesops.metrics.scope import Scope
from salesops.people import statements as st
from salesops.people.plans import PlanError, load_yaml, parse_rules
from salesops.targets.calendar import Period
from tests.conftest import Db
from tests.people.world import build

Q1 = Period(dt.date(2024, 1, 1), "quarter")
Q2 = Period(dt.date(2024, 4, 1), "quarter")
Q3 = Period(dt.date(2024, 7, 1), "quarter")
TIERS = [{"upto": 1.0, "rate": 0.03}, {"upto": 1.2, "rate": 0.05}, {"rate": 0.08}]


def plan(code: str = "ae", **extra: object) -> dict[str, object]:
    return {"code": code, "name": "AE", "period": "quarter", "tiers": TIERS, **extra}


def save(db: Db, **kw: object) -> str:
    rules = parse_rules(plan(**kw))
    st.save_plan(db.engine, rules, "test")
    return rules.code


def amounts(view: st.StatementView, kind: str = "commission") -> list[tuple[str, str, str]]:
    return [
        (ln.reference, str(ln.credit), str(ln.amount))
        for ln in view.statement.lines
        if ln.kind == kind
    ]


@pytest.fixture
def world(db: Db) -> dict[str, int]:
    ids = build(db.engine)
    st.set_split(
        db.engine,
        {ids["rep:Ann"]: Decimal("0.5"), ids["rep:Bob"]: Decimal("0.5")},
        "test",
        order_no="S6",
    )
    return ids


def test_tiers_across_boundaries_and_accelerator(db: Db, world: dict[str, int]) -> None:
    view = st.statement(db.engine, save(db), world["rep:Ann"], Q1)
    # credits in date order; the tiers end at 10 000 and 12 000 (target 10 000)
    assert amounts(view) == [
        ("S1/1", "4000.0000", "120.0000"),  # 4000 x 3 %          (filled 4000)
        ("S2/1", "3000.0000", "90.0000"),  # 3000 x 3 %           (7000)
        ("S6/1", "1000.0000", "30.0000"),  # half of 2000 x 3 %   (8000)
        ("S3/1", "2000.0000", "60.0000"),  # 2000 up to 100 % x 3 %
        ("S3/1", "2000.0000", "100.0000"),  # 2000 from 100 % to 120 % x 5 %
        ("S3/1", "1000.0000", "80.0000"),  # 1000 above 120 % x 8 % (13 000)
        ("S5/1", "2000.0000", "160.0000"),  # 2000 x 8 %          (15 000)
    ]  # S4 was returned: the engine does not count it, nor does the statement
    assert [ln.tier for ln in view.statement.lines][3:6] == ["0%-100%", "100%-120%", ">120%"]
    assert view.statement.credit == Decimal(15000)
    assert view.statement.attainment == Decimal("1.5")
    assert view.statement.total == Decimal(640)  # 120 + 90 + 30 + 60 + 100 + 80 + 160


def test_cap_stops_tier_commission(db: Db, world: dict[str, int]) -> None:
    view = st.statement(db.engine, save(db, cap=500), world["rep:Ann"], Q1)
    # 120 + 90 + 30 + 60 + 100 + 80 = 480; S5 would add 160, the cap leaves 20
    assert [str(ln.amount) for ln in view.statement.lines] == [
        "120.0000", "90.0000", "30.0000", "60.0000", "100.0000", "80.0000", "20.0000",
    ]  # fmt: skip
    assert view.statement.lines[-1].tier == ">120% (capped)"
    assert view.statement.total == Decimal(500)


def test_split_credits_each_rep_their_share(db: Db, world: dict[str, int]) -> None:
    code = save(db)
    bob = st.statement(db.engine, code, world["rep:Bob"], Q1)
    # Bob has no target: every credit at the first tier, 3 %; S6 2000 x 50 % = 1000
    assert amounts(bob) == [("B1/1", "1000.0000", "30.0000"), ("S6/1", "1000.0000", "30.0000")]
    assert [ln.share for ln in bob.statement.lines] == [Decimal(1), Decimal("0.5")]
    assert bob.statement.total == Decimal(60)
    assert bob.statement.notes  # says there was no target
    # a split that leaves Bob out gives him nothing of his own order
    st.set_split(db.engine, {world["rep:Ann"]: Decimal(1)}, "test", order_no="S6")
    bob = st.statement(db.engine, code, world["rep:Bob"], Q1)
    assert amounts(bob) == [("B1/1", "1000.0000", "30.0000")]


def test_split_shares_must_add_up(db: Db, world: dict[str, int]) -> None:
    with pytest.raises(st.PeopleError, match=r"add up to 0\.9"):
        st.set_split(
            db.engine,
            {world["rep:Ann"]: Decimal("0.5"), world["rep:Bob"]: Decimal("0.4")},
            "test",
            order_no="S6",
        )


def test_spiff_and_bonus(db: Db, world: dict[str, int]) -> None:
    code = save(
        db,
        spiffs=[{"product_line": "Cloud", "rate": 0.02, "amount_each": 50}],
        bonuses=[
            {"kpi": "won_deals", "at_least": 1, "amount": 500},
            {"kpi": "win_rate", "at_least": 2, "amount": 999},  # never reached
        ],
    )
    view = st.statement(db.engine, code, world["rep:Ann"], Q1)
    # Cloud: S2 3000 x 2 % = 60, plus 50 for the order
    assert amounts(view, "spiff") == [("S2/1", "3000.0000", "110.0000")]
    # Ann won D1 in Q1: won_deals = 1 >= 1
    assert [(ln.reference, ln.amount) for ln in view.statement.lines if ln.kind == "bonus"] == [
        ("won_deals", Decimal(500))
    ]
    assert view.statement.total == Decimal(1250)  # 640 + 110 + 500
    assert view.statement.total == sum(ln.amount for ln in view.statement.lines)


def test_clawback_of_a_returned_paid_order(db: Db, world: dict[str, int]) -> None:
    code = save(db)
    cat = world["rep:Cat"]
    q1 = st.close_statement(db.engine, code, cat, Q1, "finance")
    assert q1.statement.total == Decimal(90)  # C1 2000 x 3 % + C2 1000 x 3 % (target 10 000)
    with db.engine.begin() as conn:
        conn.execute(
            update(OrderLine).where(OrderLine.id == world["line:C1"]).values(status="returned")
        )
        refresh_after_write(conn)
    # the closed statement stays as paid
    assert st.statement(db.engine, code, cat, Q1).statement.total == Decimal(90)
    q2 = st.statement(db.engine, code, cat, Q2)
    # C3 1000 x 3 % (no Q2 target) = 30; C1's 60 paid in Q1 is taken back
    assert [(ln.kind, ln.reference, ln.amount) for ln in q2.statement.lines] == [
        ("commission", "C3/1", Decimal("30.0000")),
        ("clawback", "C1/1", Decimal("-60.0000")),
    ]
    assert q2.statement.total == Decimal(-30)
    st.close_statement(db.engine, code, cat, Q2, "finance")
    # clawed back once only
    assert st.statement(db.engine, code, cat, Q3).statement.lines == []


def test_what_if_two_deals(db: Db, world: dict[str, int]) -> None:
    code = save(db, spiffs=[{"product_line": "Cloud", "rate": 0.02}])
    ann = world["rep:Ann"]
    base = st.statement(db.engine, code, ann, Q1)
    more = st.statement(db.engine, code, ann, Q1, what_if=[world["deal:D2"], world["deal:D3"]])
    # above 120 % already: D2 6000 and D3 2000 at 8 % = 640; D2 is Cloud: 6000 x 2 % = 120
    assert more.statement.total - base.statement.total == Decimal(760)
    assert {ln.reference for ln in more.statement.lines if ln.hypothetical} == {"D2", "D3"}
    with pytest.raises(st.PeopleError, match="won, not open"):
        st.statement(db.engine, code, ann, Q1, what_if=[world["deal:D1"]])


def test_bookings_and_collected_bases(db: Db, world: dict[str, int]) -> None:
    ann = world["rep:Ann"]
    bookings = st.statement(db.engine, save(db, code="bk", basis="bookings"), ann, Q1)
    # D1 8000 won in Q1; no bookings target: 3 %
    assert amounts(bookings) == [("D1", "8000.0000", "240.0000")]
    collected = st.statement(db.engine, save(db, code="cash", basis="collected"), ann, Q1)
    # P1 3000 paid 02-01 (P2 is paid in Q2); revenue target 10 000: 3 %
    assert amounts(collected) == [("S1", "3000.0000", "90.0000")]
    assert collected.statement.attainment == Decimal("0.3")


def test_scope_hides_other_reps_statements(db: Db, world: dict[str, int]) -> None:
    code = save(db)
    with pytest.raises(st.NotVisible):
        st.statement(db.engine, code, world["rep:Cat"], Q1, Scope.subtree(world["team:East"]))
    own = st.statement(db.engine, code, world["rep:Ann"], Q1, Scope.single_rep(world["rep:Ann"]))
    assert own.statement.total == Decimal(640)


def test_closing_twice_is_refused_and_audited(db: Db, world: dict[str, int]) -> None:
    from salesops.auth.audit import list_events

    code = save(db)
    st.close_statement(db.engine, code, world["rep:Ann"], Q1, "finance")
    with pytest.raises(st.PeopleError, match="already closed"):
        st.close_statement(db.engine, code, world["rep:Ann"], Q1, "finance")
    actions = [e.action for e in list_events(db.engine)]
    assert actions.count("commission.close") == 1
    assert "incentive.plan.save" in actions and "deal.split" in actions


def test_plan_errors_name_the_field() -> None:
    with pytest.raises(PlanError, match="tiers"):
        parse_rules({"code": "x", "name": "X", "tiers": []})
    with pytest.raises(PlanError, match="must increase"):
        parse_rules(plan(tiers=[{"upto": 1.2, "rate": 0.03}, {"upto": 1.0, "rate": 0.05}]))
    with pytest.raises(PlanError, match="unknown KPI"):
        parse_rules(plan(bonuses=[{"kpi": "nope", "at_least": 1, "amount": 1}]))
    with pytest.raises(PlanError, match="not valid YAML"):
        load_yaml("code: [")
    assert [p.code for p in load_yaml("plans:\n- {code: a, name: A, tiers: [{rate: 0.1}]}")] == [
        "a"
    ]


def test_spiff_amount_is_per_order_not_per_line() -> None:
    import datetime as dt

    from salesops.people.commission import Credit, spiff_lines

    rules = parse_rules(plan(spiffs=[{"product_line": "Cloud", "rate": 0.01, "amount_each": 200}]))
    day = dt.date(2024, 2, 1)
    lines = [
        Credit("order_line", 1, "SO1/1", day, Decimal(1000), product_line="Cloud", group="SO1"),
        Credit("order_line", 2, "SO1/2", day, Decimal(500), product_line="Cloud", group="SO1"),
        Credit("order_line", 3, "SO2/1", day, Decimal(100), Decimal("0.5"), "Cloud", group="SO2"),
    ]
    # SO1: 1000 x 1 % + 200, its second line 500 x 1 % only; SO2: half of 100 x 1 % + half of 200
    assert [(ln.reference, ln.amount) for ln in spiff_lines(lines, rules)] == [
        ("SO1/1", Decimal("210.0000")),
        ("SO1/2", Decimal("5.0000")),
        ("SO2/1", Decimal("100.5000")),
    ]
