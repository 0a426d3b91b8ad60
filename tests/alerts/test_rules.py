"""Every rule kind on hand-made data: what fires, its value, baseline and contributors, written
out by hand; on DuckDB and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest

from salesops.alerts.evaluate import Evaluator, Finding
from salesops.alerts.rules import RuleError, load_yaml, parse_rule
from salesops.alerts.store import list_rules, save_rules, store_findings
from salesops.auth.audit import Actor
from salesops.db.engine import session_scope
from salesops.db.schema import Target
from salesops.metrics.engine import MetricsEngine
from salesops.metrics.scope import FULL_SCOPE, Scope
from tests.analysis import test_churn, test_funnel
from tests.analysis.data import build
from tests.conftest import Db

TODAY = dt.date(2025, 12, 10)  # a Wednesday; last month = November, last week = Dec 1-7


def _eval(
    db: Db, rule: dict[str, object], today: dt.date = TODAY, scope: Scope = FULL_SCOPE
) -> list[Finding]:
    spec = parse_rule({"name": "r", **rule})
    return Evaluator(db.engine, MetricsEngine(db.engine, today=today), scope, today).run(spec)


def _sales(db: Db) -> dict[str, int]:
    with build(db.engine) as b:
        b.rep("R1")
        b.rep("R2")
        b.rep("R3")
        b.customer("K1")
        # November: East 1000 (R1 600, R2 400), West 5000 (R3)
        b.order("n1", "2025-11-05", "K1", 600, rep="R1", region="East")
        b.order("n2", "2025-11-06", "K1", 400, rep="R2", region="East")
        b.order("n3", "2025-11-07", "K1", 5000, rep="R3", region="West")
        # October: East 2000 (R1 1500, R2 500), West 4000 (R3)
        b.order("o1", "2025-10-05", "K1", 1500, rep="R1", region="East")
        b.order("o2", "2025-10-06", "K1", 500, rep="R2", region="East")
        b.order("o3", "2025-10-07", "K1", 4000, rep="R3", region="West")
        return dict(b.ids)


def test_threshold_by_region_with_contributors(db: Db) -> None:
    _sales(db)
    rule = {
        "kind": "threshold",
        "metric": "revenue",
        "by": ["region"],
        "period": "last_month",
        "op": "<",
        "value": 2000,
    }
    found = _eval(db, rule)
    assert [(f.subject, f.value, f.baseline) for f in found] == [("region=East", 1000.0, 2000)]
    f = found[0]
    assert (f.period.start, f.period.end, f.period.label) == (
        dt.date(2025, 11, 1),
        dt.date(2025, 11, 30),
        "2025-11",
    )
    # lowest first, because the rule fires on low values
    assert [(c["name"], c["value"]) for c in f.contributors] == [("R2", 400.0), ("R1", 600.0)]
    assert f.link == "/?period=custom&from=2025-11-01&to=2025-11-30&region=East"
    ex = f.explanation(parse_rule({"name": "r", **rule}))
    assert ex["what"]["en"] == "region East：Revenue is 1,000.00, threshold < 2,000.00".replace(
        "region East", "区域 East"
    )
    # a rep's scope sees only their own numbers: R3 alone is above 2000, R1 alone is below
    r1 = _eval(db, rule, scope=Scope.single_rep(_ids(db)["rep:R1"]))
    assert [(f.subject, f.value) for f in r1] == [("region=East", 600.0)]


def _ids(db: Db) -> dict[str, int]:
    from sqlalchemy import select

    from salesops.db.schema import Rep

    with db.engine.connect() as conn:
        return {f"rep:{n}": i for i, n in conn.execute(select(Rep.id, Rep.name))}


def test_change_against_previous_month(db: Db) -> None:
    _sales(db)
    rule = {
        "kind": "change",
        "metric": "revenue",
        "grain": "month",
        "baseline": "prev",
        "min_change": 0.2,
        "by": ["region"],
        "contributors_by": "rep",
    }
    found = _eval(db, rule)
    # East 2000 -> 1000 (-50 %) fires; West 4000 -> 5000 (+25 %) is not a fall
    assert [(f.subject, f.value, f.baseline) for f in found] == [("region=East", 1000.0, 2000.0)]
    f = found[0]
    assert f.info["change"] == -0.5 and f.info["baseline_period"] == "2025-10"
    assert [(c["name"], c["delta"]) for c in f.contributors] == [("R1", -900.0), ("R2", -100.0)]
    up = _eval(db, {**rule, "direction": "up"})
    assert [(f.subject, f.info["change"]) for f in up] == [("region=West", 0.25)]


def test_change_rolling_mean_and_sigma(db: Db) -> None:
    weekly = [100, 110, 90, 100, 110, 90, 100, 100]  # the 8 weeks before, newest first
    monday = dt.date(2025, 12, 1)
    with build(db.engine) as b:
        b.rep("R1")
        b.customer("K1")
        b.opportunity(
            "last",
            customer="K1",
            owner="R1",
            status="won",
            amount=50,
            closed=(monday + dt.timedelta(days=2)).isoformat(),
        )
        for i, amount in enumerate(weekly, start=1):
            b.opportunity(
                f"w{i}",
                customer="K1",
                owner="R1",
                status="won",
                amount=amount,
                closed=(monday - dt.timedelta(weeks=i, days=-3)).isoformat(),
            )
    rule = {
        "kind": "change",
        "metric": "bookings",
        "grain": "week",
        "baseline": "rolling",
        "periods": 8,
        "k": 2,
    }
    found = _eval(db, rule)
    assert len(found) == 1
    f = found[0]
    # mean 100; squared deviations 0+100+100+0+100+100+0+0 = 400; sample sd = sqrt(400/7)
    assert (f.value, f.baseline, f.period.label) == (50.0, 100.0, "2025-W49")
    assert f.info["sigma"] == pytest.approx(math.sqrt(400 / 7))
    assert f.info["z"] == pytest.approx(-50 / math.sqrt(400 / 7))  # -6.61
    assert [(c["name"], c["delta"]) for c in f.contributors] == [("R1", -50.0)]
    assert _eval(db, {**rule, "k": 7}) == []  # 6.6σ is not beyond 7σ


def test_pacing_behind_the_months_pace(db: Db) -> None:
    with build(db.engine) as b:
        b.rep("R1")
        b.customer("K1")
        b.order("j1", "2025-06-03", "K1", 2000, rep="R1", region="East")
    with session_scope(db.engine) as s:
        s.add(
            Target(
                external_id="t1",
                metric="revenue",
                period_grain="month",
                period_start=dt.date(2025, 6, 1),
                scope_kind="company",
                value=Decimal("10000"),
            )
        )
    rule = {"kind": "pacing", "period": "this_month", "behind": 0.15}
    found = _eval(db, rule, today=dt.date(2025, 6, 15))
    # attainment 2000 / 10000 = 20 %; 15 of 30 days gone = 50 %; pacing 40 % < 85 %
    assert [(f.value, f.baseline) for f in found] == [(0.2, 0.5)]
    assert found[0].info["pacing"] == pytest.approx(0.4)
    # on 2025-06-03, 3 of 30 days gone (10 %): 20 % attainment is ahead of the pace
    assert _eval(db, rule, today=dt.date(2025, 6, 3)) == []


def _june_target(db: Db) -> None:
    with session_scope(db.engine) as s:
        s.add(
            Target(
                external_id="t1",
                metric="revenue",
                period_grain="month",
                period_start=dt.date(2025, 6, 1),
                scope_kind="company",
                value=Decimal("10000"),
            )
        )


def test_pacing_against_last_years_seasonal_shape(db: Db) -> None:
    with build(db.engine) as b:
        b.rep("R1")
        b.customer("K1")
        # June 2024: 1,000 by the 15th, 3,000 after it; a quarter of the month by mid-June
        b.order("a1", "2024-06-03", "K1", 1000, rep="R1", region="East")
        b.order("a2", "2024-06-20", "K1", 3000, rep="R1", region="West")
        b.order("j1", "2025-06-03", "K1", 2000, rep="R1", region="East")
    _june_target(db)
    mid = dt.date(2025, 6, 15)
    seasonal = {"kind": "pacing", "period": "this_month", "behind": 0.15, "pace": "seasonal"}
    found = _eval(db, seasonal, today=mid)
    # attainment 2000 / 10000 = 20 %; last year 1000 of 4000 = 25 % by the 15th: pacing 80 %
    assert [(f.value, f.baseline) for f in found] == [(0.2, 0.25)]
    assert found[0].info["pacing"] == pytest.approx(0.8)
    assert found[0].info["pace_kind"] == "seasonal"
    ex = found[0].explanation(parse_rule({"name": "r", **seasonal}))
    assert ex["what"]["en"] == (
        "attainment 20.0% against last year's seasonal pace of 25.0%: pacing 80.0%"
    )
    # 25 % behind allowed: 80 % is within it, though the linear pace (40 %) is not
    assert _eval(db, {**seasonal, "behind": 0.25}, today=mid) == []
    linear = _eval(db, {**seasonal, "behind": 0.25, "pace": "linear"}, today=mid)
    assert [(f.value, f.baseline, f.info["pacing"]) for f in linear] == [(0.2, 0.5, 0.4)]
    # a region's shape is its own: East had all of last June's 1,000 by the 15th (100 %)
    from salesops.targets.seasonal import seasonal_share, seasonal_weights

    shares = seasonal_share(
        db.engine, "revenue", dt.date(2025, 6, 1), dt.date(2025, 6, 30), mid, by=("region",)
    )
    assert shares == {("East",): 1.0, ("West",): 0.0}
    weights = seasonal_weights(
        db.engine,
        "revenue",
        [(dt.date(2025, 6, 1), dt.date(2025, 6, 15)), (dt.date(2025, 6, 16), dt.date(2025, 6, 30))],
    )
    assert weights == {(): [Decimal(1000), Decimal(3000)]}


def test_seasonal_pacing_without_last_year_keeps_the_linear_pace(db: Db) -> None:
    with build(db.engine) as b:
        b.rep("R1")
        b.customer("K1")
        b.order("j1", "2025-06-03", "K1", 2000, rep="R1", region="East")
    _june_target(db)
    rule = {"kind": "pacing", "period": "this_month", "behind": 0.15, "pace": "seasonal"}
    found = _eval(db, rule, today=dt.date(2025, 6, 15))
    assert [(f.value, f.baseline, f.info["pace_kind"]) for f in found] == [(0.2, 0.5, "linear")]


def test_seasonal_weights_on_29_february(db: Db) -> None:
    with build(db.engine) as b:
        b.rep("R1")
        b.customer("K1")
        b.order("f1", "2027-02-28", "K1", 700, rep="R1", region="East")
        b.order("f2", "2027-02-27", "K1", -100, rep="R1", region="West")
    from salesops.targets.seasonal import seasonal_weights

    spans = [
        (dt.date(2028, 2, 29), dt.date(2028, 2, 29)),
        (dt.date(2028, 2, 27), dt.date(2028, 2, 27)),
    ]
    # 29 February 2028 is measured on 28 February 2027; a negative month weighs 0
    assert seasonal_weights(db.engine, "revenue", spans, by=("region",)) == {
        ("East",): [Decimal(700), Decimal(0)],
        ("West",): [Decimal(0), Decimal(0)],
    }


def test_stuck_deals_by_days_and_by_the_stages_p90(db: Db) -> None:
    ids = test_funnel._data(db)
    by_days = _eval(
        db, {"kind": "stuck_deals", "days": 100, "group": "rep"}, today=test_funnel.AS_OF
    )
    assert [(f.subject, [i["name"] for i in f.items]) for f in by_days] == [
        (f"rep:{ids['rep:R1']}", ["f3"])
    ]
    assert by_days[0].items[0]["days_in_stage"] == 111
    # p90 of Lead stays (10, 10, 20, 120) is 90: f8 (60 days) is not stuck; Proposal's p90 is
    # 10.5 (f3, 111 days, is); Negotiate has no completed stay: the 30-day fallback (f9, 60)
    p90 = _eval(db, {"kind": "stuck_deals", "group": "rep"}, today=test_funnel.AS_OF)
    assert sorted((f.subject, i["name"], i["threshold_days"]) for f in p90 for i in f.items) == [
        (f"rep:{ids['rep:R1']}", "f3", 10.5),
        (f"rep:{ids['rep:R2']}", "f9", 30.0),
    ]


def test_new_churn_warnings_fire_once(db: Db) -> None:
    test_churn._data(db)
    rule = {"name": "churn", "kind": "churn_warning", "group": "none"}
    found = _eval(db, rule, today=test_churn.AS_OF)
    assert len(found) == 1
    # K1 (2 orders before) and K2 are below the 3 previous orders a drop needs
    assert sorted(i["name"] for i in found[0].items) == ["K3", "K5", "K7"]
    reasons = {i["name"]: i["reasons"] for i in found[0].items}
    assert reasons["K5"] == ["order_drop"] and reasons["K3"] == ["no_contact"]
    # stored once: the same warnings found again are not new
    save_rules(db.engine, [parse_rule(rule)], Actor("test"))
    stored = list_rules(db.engine)[0]
    now = dt.datetime(2025, 6, 30, 8)
    with db.engine.begin() as conn:
        assert len(store_findings(conn, stored, found, now)) == 1
    same = _eval(db, rule, today=test_churn.AS_OF)
    with db.engine.begin() as conn:
        assert store_findings(conn, stored, same, now + dt.timedelta(hours=1)) == []
    # a new quarter announces the customers still at risk once more; on 07-01 K6 is silent
    # 81 days (more than twice its 40-day interval) and joins them
    q3 = _eval(db, rule, today=test_churn.AS_OF + dt.timedelta(days=1))
    with db.engine.begin() as conn:
        assert len(store_findings(conn, stored, q3, now + dt.timedelta(days=1))) == 1
    assert sorted(i["name"] for i in q3[0].items) == ["K3", "K5", "K6", "K7"]
    assert q3[0].items[0]["key"].endswith(":2025-Q3")


def _payments(db: Db) -> None:
    with build(db.engine) as b:
        b.rep("R1")
        for c in ("C1", "C2", "C3", "C4"):
            b.customer(c, owner="R1")
        b.payment("C1", "2025-05-01", 1000, rep="R1")  # 60 days overdue on 06-30
        b.payment("C2", "2025-06-20", 500, rep="R1")  # 10 days
        b.payment("C3", "2025-04-01", 50, rep="R1")  # 90 days, but only 50
        b.payment("C4", "2025-03-01", 1000, paid="2025-03-01", paid_amount=1000, rep="R1")
        b.payment("C4", "2025-06-01", 1000, rep="R1")  # 29 days late on 06-30


def test_overdue_receivables_past_days_and_amount(db: Db) -> None:
    _payments(db)
    found = _eval(
        db, {"kind": "overdue_receivables", "days": 30, "amount": 100}, today=dt.date(2025, 6, 30)
    )
    assert [[(i["name"], i["amount"]) for i in f.items] for f in found] == [[("C1", 1000.0)]]
    assert found[0].info["amount"] == 1000.0


def test_credit_grade_dropped(db: Db) -> None:
    _payments(db)
    found = _eval(db, {"kind": "credit_grade_drop", "days": 30}, today=dt.date(2025, 6, 30))
    # C4: on 05-31 one payment, on time: A; on 06-30 half on time, 29 days late: C.
    # C1 was D on 05-31 already; C2 and C3 had nothing due on 05-31 (C3: D both days).
    assert [[(i["name"], i["from"], i["to"]) for i in f.items] for f in found] == [
        [("C4", "A", "C")]
    ]


def test_big_deals_won_or_lost_in_the_window(db: Db) -> None:
    with build(db.engine) as b:
        b.rep("R1")
        b.rep("R2")
        b.customer("K1")
        b.opportunity(
            "won", customer="K1", owner="R1", status="won", amount=600000, closed="2025-06-28"
        )
        b.opportunity(
            "lost", customer="K1", owner="R2", status="lost", amount=700000, closed="2025-06-24"
        )
        b.opportunity(
            "old", customer="K1", owner="R1", status="won", amount=900000, closed="2025-06-23"
        )
        b.opportunity(
            "small", customer="K1", owner="R1", status="won", amount=100, closed="2025-06-29"
        )
    rule = {"kind": "big_deal", "amount": 500000, "days": 7, "group": "rep"}
    found = _eval(db, rule, today=dt.date(2025, 6, 30))
    assert sorted((i["name"], i["status"], i["amount"]) for f in found for i in f.items) == [
        ("lost", "lost", 700000.0),
        ("won", "won", 600000.0),
    ]
    assert len(found) == 2  # one per rep: R1 never sees R2's deal
    only_won = _eval(db, {**rule, "outcome": "won"}, today=dt.date(2025, 6, 30))
    assert [i["name"] for f in only_won for i in f.items] == ["won"]


def test_bad_rules_say_what_is_wrong() -> None:
    with pytest.raises(RuleError, match="a threshold rule needs a value"):
        parse_rule({"name": "x", "kind": "threshold", "metric": "revenue"})
    with pytest.raises(RuleError, match="unknown dimension 'regio'"):
        parse_rule(
            {"name": "x", "kind": "threshold", "metric": "revenue", "value": 1, "by": ["regio"]}
        )
    with pytest.raises(RuleError, match="schedule"):
        parse_rule({"name": "x", "kind": "churn_warning", "schedule": "every day"})
    with pytest.raises(RuleError, match="quiet_hours"):
        parse_rule({"name": "x", "kind": "churn_warning", "quiet_hours": "22-7"})
    with pytest.raises(RuleError, match="unique"):
        load_yaml("- {name: a, kind: churn_warning}\n- {name: a, kind: churn_warning}\n")
    with pytest.raises(RuleError, match="not valid YAML"):
        load_yaml("rules: [")
