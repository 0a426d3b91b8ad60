"""The demo company's people data (issue #27): its incentive plan and scorecard (the examples
of ``docs/people.md``), managers' ratings for the last quarters, coaching entries (more for
reps who are behind), a few split orders, and open target proposals for the next quarter.

Written after the facts, in the same transaction, from the rows just written (a few thousand
rows at most; well under a second). Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from salesops.db.schema import (
    CoachingEntry,
    DealSplit,
    IncentivePlan,
    OrderLine,
    Rep,
    RepRating,
    Scorecard,
    ScorecardItem,
    TargetProposal,
)
from salesops.people.plans import PlanRules, parse_rules
from salesops.people.scorecards import ScorecardDef, parse_scorecard
from salesops.targets.calendar import Period, add_months, period_containing

ACTOR = "demo"

#: The demo company's commission plan (quoted in docs/people.md).
PLAN: dict[str, Any] = {
    "code": "sales-standard",
    "name": "销售提成方案（标准）",
    "period": "quarter",
    "basis": "revenue",
    "target_metric": "revenue",
    "tiers": [
        {"upto": 1.0, "rate": 0.01, "name": "基础 0-100%"},
        {"upto": 1.2, "rate": 0.015, "name": "超额 100-120%"},
        {"rate": 0.025, "name": "加速 >120%"},
    ],
    "cap": 300000,
    "spiffs": [{"product_line": "软件订阅", "rate": 0.005, "amount_each": 200}],
    "bonuses": [
        {"kpi": "collection_rate", "at_least": 0.9, "amount": 3000, "name": "回款率 ≥ 90%"},
        {"kpi": "new_customers", "at_least": 3, "amount": 2000, "name": "新客户 ≥ 3"},
    ],
    "clawback": True,
}

#: The demo company's scorecard for reps (quoted in docs/people.md).
SCORECARD: dict[str, Any] = {
    "code": "rep-quarterly",
    "name": "销售代表季度考核",
    "role": "rep",
    "period": "quarter",
    "missing": "skip",
    "items": [
        {"code": "revenue", "kind": "kpi", "metric": "revenue", "weight": 0.4,
         "scoring": "target"},
        {"code": "new_customers", "kind": "kpi", "metric": "new_customers", "weight": 0.15,
         "scoring": "bands", "bands": [[0, 0], [1, 60], [3, 80], [5, 100]]},
        {"code": "collection_rate", "kind": "kpi", "metric": "collection_rate", "weight": 0.15,
         "scoring": "bands", "bands": [[0, 0], [0.6, 60], [0.8, 80], [0.95, 100]]},
        {"code": "activities", "kind": "kpi", "metric": "activities", "weight": 0.1,
         "scoring": "bands", "bands": [[0, 0], [20, 60], [40, 80], [60, 100]]},
        {"code": "attitude", "kind": "rated", "weight": 0.1, "label_en": "Attitude",
         "label_zh": "工作态度"},
        {"code": "teamwork", "kind": "rated", "weight": 0.05, "label_en": "Teamwork",
         "label_zh": "团队协作"},
        {"code": "peer_review", "kind": "rated", "weight": 0.05, "label_en": "Peer review",
         "label_zh": "互评"},
    ],
}  # fmt: skip

COACHING = (
    ("one_to_one", "季度业绩复盘一对一", "Quarterly review one-to-one"),
    ("one_to_one", "商机推进一对一：重点客户打法", "Key accounts: deal strategy"),
    ("training", "大客户谈判技巧培训", "Negotiation with large accounts"),
    ("training", "软件订阅产品培训", "Software subscription product training"),
    ("skill", "方案演示能力：按行业讲价值", "Demo skills: value by industry"),
    ("skill", "CRM 跟进记录的及时性", "Timely CRM follow-up notes"),
    ("action", "两周内回访 5 家沉睡客户", "Call 5 dormant customers within two weeks"),
    ("action", "本月补齐在途商机的预计成交日期", "Fill in expected close dates this month"),
)
COMMENTS = ("积极主动，客户反馈好", "跟进及时", "需要加强团队配合", "本季度进步明显", None)


def plan_rules() -> PlanRules:
    return parse_rules(PLAN, where="demo plan")


def scorecard_def() -> ScorecardDef:
    return parse_scorecard(SCORECARD, where="demo scorecard")


def _config(conn: Connection, now: dt.datetime) -> tuple[int, dict[str, int]]:
    """The plan and scorecard (kept when they exist: configuration outlives demo data)."""
    rules = plan_rules()
    if (
        conn.execute(select(IncentivePlan.id).where(IncentivePlan.code == rules.code)).first()
        is None
    ):
        conn.execute(
            insert(IncentivePlan).values(
                code=rules.code, name=rules.name, period_grain=rules.period, basis=rules.basis,
                rules=rules.to_json(), active=True, updated_at=now, updated_by=ACTOR,
            )
        )  # fmt: skip
    card = scorecard_def()
    card_id = conn.execute(select(Scorecard.id).where(Scorecard.code == card.code)).scalar()
    if card_id is None:
        card_id = conn.execute(
            insert(Scorecard)
            .values(code=card.code, name=card.name, role=card.role, period_grain=card.period,
                    missing=card.missing, active=True)
            .returning(Scorecard.id)
        ).scalar_one()  # fmt: skip
        for position, item in enumerate(card.items, start=1):
            conn.execute(
                insert(ScorecardItem).values(
                    scorecard_id=card_id, position=position, code=item.code,
                    label_en=item.label_en or item.code, label_zh=item.label_zh, kind=item.kind,
                    metric=item.metric, weight=item.weight, scoring=item.how,
                    bands=json.dumps([[str(a), str(b)] for a, b in item.bands])
                    if item.bands else None,
                    target_value=item.target,
                )
            )  # fmt: skip
    items = dict(
        conn.execute(
            select(ScorecardItem.code, ScorecardItem.id).where(
                ScorecardItem.scorecard_id == card_id, ScorecardItem.kind == "rated"
            )
        ).all()
    )
    return int(card_id), items


def write_people(conn: Connection, today: dt.date, seed: int) -> dict[str, int]:
    """Write the demo's people data (module docstring); returns row counts per table."""
    rng = random.Random(seed * 7919 + 27)
    now = dt.datetime.combine(today, dt.time(9))
    _, rated = _config(conn, now)
    for table in (RepRating, CoachingEntry, DealSplit, TargetProposal):
        conn.execute(delete(table))
    reps = conn.execute(
        select(Rep.id, Rep.name, Rep.manager_id, Rep.org_unit_id, Rep.hired_on, Rep.left_on)
        .where(Rep.org_unit_id.is_not(None))
        .order_by(Rep.id)
    ).all()
    names = {r.id: r.name for r in reps}
    current = period_containing(today, "quarter")
    quarters = [Period(add_months(current.start, -3 * k), "quarter") for k in (2, 1, 0)]
    ratings = []
    coaching = []
    for r in reps:
        if r.left_on is not None and r.left_on < quarters[0].start:
            continue
        manager = names.get(r.manager_id) or "销售经理"
        skill = rng.uniform(-12, 12)  # a rep's lasting tendency
        for q in quarters:
            if q is quarters[-1] and rng.random() < 0.3:
                continue  # not every rep is rated yet this quarter
            for code, item_id in rated.items():
                score = max(40, min(100, round(78 + skill + rng.uniform(-10, 10))))
                ratings.append(
                    {"item_id": item_id, "rep_id": r.id, "period_start": q.start,
                     "score": Decimal(score), "comment": rng.choice(COMMENTS) if code ==
                     "attitude" else None, "rated_by": manager,
                     "rated_at": dt.datetime.combine(min(q.end, today), dt.time(18))}
                )  # fmt: skip
        for _ in range(rng.randint(2, 4) + (2 if skill < -6 else 0)):
            kind, zh, _en = rng.choice(COACHING)
            day = today - dt.timedelta(days=rng.randint(3, 180))
            coaching.append(
                {"rep_id": r.id, "kind": kind, "occurred_on": day, "owner": manager,
                 "title": zh, "notes": None,
                 "due_on": day + dt.timedelta(days=14) if kind == "action" else None,
                 "done": (day + dt.timedelta(days=14) < today and rng.random() < 0.7)
                 if kind == "action" else None,
                 "created_by": ACTOR, "created_at": now}
            )  # fmt: skip
    if ratings:
        conn.execute(insert(RepRating), ratings)
    if coaching:
        conn.execute(insert(CoachingEntry), coaching)
    splits = _splits(conn, reps, today, rng)
    proposals = _proposals(conn, reps, current, now, rng)
    return {
        "rep_rating": len(ratings),
        "coaching_entry": len(coaching),
        "deal_split": splits,
        "target_proposal": proposals,
    }


def _splits(conn: Connection, reps: Any, today: dt.date, rng: random.Random) -> int:
    """A few big orders of the current quarter shared 60/40 with a teammate."""
    team = {r.id: r.org_unit_id for r in reps}
    start = period_containing(today, "quarter").start
    big = conn.execute(
        select(OrderLine.order_no, func.min(OrderLine.rep_id), func.sum(OrderLine.amount))
        .where(OrderLine.order_date >= start, OrderLine.status == "normal")
        .group_by(OrderLine.order_no)
        .order_by(func.sum(OrderLine.amount).desc(), OrderLine.order_no)
        .limit(12)
    ).all()
    rows = []
    for order_no, owner, _amount in big[::3]:
        mates = [r for r, t in team.items() if t == team.get(owner) and r != owner]
        if owner is None or not mates:
            continue
        mate = rng.choice(mates)
        rows += [
            {"order_no": order_no, "opportunity_id": None, "rep_id": owner,
             "share": Decimal("0.6")},
            {"order_no": order_no, "opportunity_id": None, "rep_id": mate,
             "share": Decimal("0.4")},
        ]  # fmt: skip
    if rows:
        conn.execute(insert(DealSplit), rows)
    return len(rows)


def _proposals(
    conn: Connection, reps: Any, current: Period, now: dt.datetime, rng: random.Random
) -> int:
    """Next quarter's target proposals from a handful of reps, waiting for their manager."""
    following = Period(add_months(current.start, 3), "quarter")
    chosen = [r for r in reps if r.manager_id is not None][:5]
    rows = []
    for i, r in enumerate(chosen):
        value = Decimal(rng.randrange(600, 1600) * 1000)
        rows.append(
            {"metric": "revenue", "period_grain": "quarter", "period_start": following.start,
             "scope_kind": "rep", "rep_id": r.id, "org_unit_id": None, "value": value,
             "comment": "重点客户续约在即" if i % 2 == 0 else "新行业拓展，保守估计",
             "proposed_by": r.name, "proposed_at": now, "status": "open",
             "decided_value": None, "decision_comment": None, "decided_by": None,
             "decided_at": None, "target_id": None}
        )  # fmt: skip
    if rows:
        conn.execute(insert(TargetProposal), rows)
    return len(rows)
