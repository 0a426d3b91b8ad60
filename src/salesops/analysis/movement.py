"""Pipeline movement between two dates (商机变动分析): what changed, and a reconciliation.

Definition (docs/analyses.md). Every opportunity in scope and filters is read as it stood at
the end of D1 and of D2 (:func:`salesops.metrics.history.opportunity_states`, the engine's own
reading of history); *open at D* is its ``is_open``, *amount* the amount then (empty = 0).
Scope and filters read the opportunity's current owner and attributes, so the same deals are
compared at both dates. Buckets (an opportunity can
be in several: a deal can advance and grow):

* **new** 新增 — not existing at D1 (created after it), open at D2;
* **reopened** 重新打开 — existing but not open at D1, open at D2;
* **won** 赢单 / **lost** 输单 — not open at D2 (won; lost or otherwise closed) and either open
  at D1 or created after it, i.e. closed in (D1, D2];
* for opportunities open at both dates: **advanced** 推进 / **moved_back** 回退 (stage position
  in its pipeline higher / lower), **pushed_out** 推迟 / **pulled_in** 提前 (expected close
  date later / earlier), **grown** 增加 / **shrunk** 减少 (amount higher / lower), and
  **unchanged** 未变 (same stage, amount and expected close date).

Each bucket has its count, amount at D2, the amount change ``Σ(amount D2 − amount D1)`` and
*pipeline_amount*: for won and lost, the amount the deals had in the open pipeline at D1
(0 for deals created after D1). The reconciliation holds exactly, by construction:

    open(D1) + new + reopened + grown − shrunk − won.pipeline_amount − lost.pipeline_amount
    = open(D2)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Engine,
    and_,
    case,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    union_all,
)

from salesops.analysis.common import (
    AnalysisError,
    Filters,
    Money,
    NormalFilters,
    Result,
    money,
    normalise_filters,
)
from salesops.analysis.facts import check_applicable, conditions
from salesops.analysis.pipeline_history import KeptDates, kept_dates, states_as_of
from salesops.db.schema import Customer, Opportunity, PipelineStage, Rep
from salesops.metrics.scope import FULL_SCOPE, Scope

BUCKETS: dict[str, tuple[str, str]] = {
    "new": ("新增", "New"),
    "reopened": ("重新打开", "Reopened"),
    "advanced": ("阶段推进", "Advanced"),
    "moved_back": ("阶段回退", "Moved back"),
    "pushed_out": ("推迟", "Pushed out"),
    "pulled_in": ("提前", "Pulled in"),
    "grown": ("金额增加", "Grown"),
    "shrunk": ("金额减少", "Shrunk"),
    "won": ("赢单", "Won"),
    "lost": ("输单", "Lost"),
    "unchanged": ("未变化", "Unchanged"),
}


class MovementItem(Result):
    opportunity_id: int
    opportunity: str | None
    customer: str | None
    owner: str | None
    stage_d1: str | None
    stage_d2: str | None
    status_d1: str | None
    status_d2: str | None
    amount_d1: Money | None
    amount_d2: Money | None
    expected_close_d1: dt.date | None
    expected_close_d2: dt.date | None


class MovementBucket(Result):
    bucket: str
    name_zh: str
    name_en: str
    count: int
    amount: Money
    amount_change: Money
    pipeline_amount: Money
    opportunities: list[MovementItem]


class Reconciliation(Result):
    open_d1: Money
    new: Money
    reopened: Money
    grown: Money
    shrunk: Money
    won: Money
    lost: Money
    open_d2: Money
    difference: Money  # open_d1 + inflows − outflows − open_d2: always 0


class MovementResult(Result):
    start: dt.date
    end: dt.date
    open_d1_count: int
    open_d2_count: int
    buckets: list[MovementBucket]
    reconciliation: Reconciliation


def _moves(
    scope: Scope,
    filters: NormalFilters,
    d1: dt.date,
    d2: dt.date,
    pipeline: str | None,
    kept: KeptDates | None = None,
) -> Any:
    opp = Opportunity
    fields = ("stage", "amount", "expected_close_on")
    # A deal won or lost by D1 is closed at both dates and falls in no bucket: its history is
    # not read (most of a mature database's opportunities).
    s1 = states_as_of(d1, fields=fields, settled_by=d1, kept=kept).subquery("mv_d1")
    s2 = states_as_of(d2, fields=fields, settled_by=d1, kept=kept).subquery("mv_d2")
    p1 = PipelineStage.__table__.alias("mv_p1")
    p2 = PipelineStage.__table__.alias("mv_p2")
    where = conditions(opp, scope, filters)
    if pipeline is not None:
        where.append(opp.pipeline == pipeline)
    zero = literal(Decimal("0"))
    a1, a2 = func.coalesce(s1.c.amount, zero), func.coalesce(s2.c.amount, zero)
    existed = s1.c.id.is_not(None)
    open1 = and_(existed, s1.c.is_open)
    open2 = and_(s2.c.id.is_not(None), s2.c.is_open)
    closed2 = and_(s2.c.id.is_not(None), not_(open2))
    both = and_(open1, open2)
    ec1, ec2 = s1.c.expected_close_on, s2.c.expected_close_on
    flags = {
        "new": and_(not_(existed), open2),
        "reopened": and_(existed, not_(open1), open2),
        "advanced": and_(both, p2.c.position > p1.c.position),
        "moved_back": and_(both, p2.c.position < p1.c.position),
        "pushed_out": and_(both, ec2 > ec1),
        "pulled_in": and_(both, ec2 < ec1),
        "grown": and_(both, a2 > a1),
        "shrunk": and_(both, a2 < a1),
        "won": and_(closed2, s2.c.status == "won", or_(open1, not_(existed))),
        "lost": and_(closed2, s2.c.status != "won", or_(open1, not_(existed))),
        "unchanged": and_(
            both,
            s1.c.stage.is_not_distinct_from(s2.c.stage),
            a1 == a2,
            ec1.is_not_distinct_from(ec2),
        ),
    }
    return (
        select(
            opp.id.label("opportunity_id"),
            s1.c.stage.label("stage_d1"),
            s2.c.stage.label("stage_d2"),
            s1.c.status.label("status_d1"),
            s2.c.status.label("status_d2"),
            s1.c.amount.label("amount_d1"),
            s2.c.amount.label("amount_d2"),
            ec1.label("expected_close_d1"),
            ec2.label("expected_close_d2"),
            case((open1, 1), else_=0).label("open1"),
            case((open2, 1), else_=0).label("open2"),
            case((open1, a1), else_=zero).label("open_a1"),
            case((open2, a2), else_=zero).label("open_a2"),
            (a2 - a1).label("change"),
            a2.label("a2"),
            *[case((flag, 1), else_=0).label(name) for name, flag in flags.items()],
        )
        .select_from(opp)
        .outerjoin(s1, s1.c.id == opp.id)
        .outerjoin(s2, s2.c.id == opp.id)
        .outerjoin(p1, and_(p1.c.pipeline == opp.pipeline, p1.c.name == s1.c.stage))
        .outerjoin(p2, and_(p2.c.pipeline == opp.pipeline, p2.c.name == s2.c.stage))
        .where(*where, or_(s1.c.id.is_not(None), s2.c.id.is_not(None)))
        .cte("movement")
    )


def _size(m: Any, bucket: str) -> Any:
    """What orders a bucket's list: the amount change for grown/shrunk, else the amount."""
    return func.abs(m.c.change) if bucket in ("grown", "shrunk") else m.c.a2


def pipeline_movement(
    engine: Engine,
    scope: Scope = FULL_SCOPE,
    filters: Filters | None = None,
    *,
    start: dt.date,
    end: dt.date,
    pipeline: str | None = None,
    limit: int | None = None,
) -> MovementResult:
    """How the open pipeline moved from the end of ``start`` (D1) to the end of ``end`` (D2).

    ``pipeline`` None covers every pipeline; each bucket lists at most ``limit`` opportunities
    (grown and shrunk: largest change first; the others: largest amount at D2 first).
    """
    if start >= end:
        raise AnalysisError(f"movement needs start < end (got {start} and {end})")
    flt = normalise_filters(filters)
    check_applicable(flt, ("opportunity",), "movement")
    with engine.connect() as conn:
        kept = kept_dates(conn)
    m = _moves(scope, flt, start, end, pipeline, kept)
    zero = literal(Decimal("0"))
    sums: list[Any] = [
        func.sum(m.c.open_a1).label("open_d1"),
        func.sum(m.c.open_a2).label("open_d2"),
        func.sum(m.c.open1).label("open_d1_count"),
        func.sum(m.c.open2).label("open_d2_count"),
    ]
    for name in BUCKETS:
        flag = m.c[name] == 1
        sums += [
            func.sum(m.c[name]).label(f"{name}_n"),
            func.sum(case((flag, m.c.a2), else_=zero)).label(f"{name}_amount"),
            func.sum(case((flag, m.c.change), else_=zero)).label(f"{name}_change"),
            func.sum(case((flag, m.c.open_a1), else_=zero)).label(f"{name}_pipeline"),
        ]
    totals = select(*sums).subquery("movement_totals")
    statement: Any
    if limit == 0:
        # Nothing listed (the board's waterfall): the totals alone, without ranking every
        # deal that moved (a window over 57 k deals at ``medium``, half the statement).
        statement = select(totals)
    else:
        listed = union_all(
            *[
                select(
                    literal(name).label("bucket"),
                    m,
                    func.row_number()
                    .over(order_by=(_size(m, name).desc(), m.c.opportunity_id))
                    .label("rn"),
                ).where(m.c[name] == 1)
                for name in BUCKETS
            ]
        ).subquery("movement_listed")
        items_q: Any = (
            select(
                listed, Opportunity.name, Customer.name.label("customer"), Rep.name.label("owner")
            )
            .join(Opportunity, Opportunity.id == listed.c.opportunity_id)
            .outerjoin(Customer, Customer.id == Opportunity.customer_id)
            .outerjoin(Rep, Rep.id == Opportunity.owner_id)
        )
        if limit is not None:
            items_q = items_q.where(listed.c.rn <= limit)
        items = items_q.subquery("movement_items")
        # One statement, so the history of both dates is read once: the totals row, joined
        # to every listed item (or alone when nothing is listed).
        statement = (
            select(totals, items)
            .select_from(totals.outerjoin(items, true()))
            .order_by(items.c.bucket, items.c.rn)
        )
    with engine.connect() as conn:
        result = conn.execute(statement).all()
    total = result[0]
    by_bucket: dict[str, list[MovementItem]] = {name: [] for name in BUCKETS}
    for r in result if limit != 0 else ():
        if r.bucket is not None:
            by_bucket[r.bucket].append(_item(r))

    def amount(key: str) -> Decimal:
        return money(getattr(total, key))

    buckets = [
        MovementBucket(
            bucket=name,
            name_zh=zh,
            name_en=en,
            count=int(getattr(total, f"{name}_n") or 0),
            amount=amount(f"{name}_amount"),
            amount_change=amount(f"{name}_change"),
            pipeline_amount=amount(f"{name}_pipeline"),
            opportunities=by_bucket[name],
        )
        for name, (zh, en) in BUCKETS.items()
    ]
    rec = {
        "open_d1": amount("open_d1"),
        "new": amount("new_amount"),
        "reopened": amount("reopened_amount"),
        "grown": amount("grown_change"),
        "shrunk": -amount("shrunk_change"),
        "won": amount("won_pipeline"),
        "lost": amount("lost_pipeline"),
        "open_d2": amount("open_d2"),
    }
    difference = (
        rec["open_d1"]
        + rec["new"]
        + rec["reopened"]
        + rec["grown"]
        - rec["shrunk"]
        - rec["won"]
        - rec["lost"]
        - rec["open_d2"]
    )
    return MovementResult(
        start=start,
        end=end,
        open_d1_count=int(total.open_d1_count or 0),
        open_d2_count=int(total.open_d2_count or 0),
        buckets=buckets,
        reconciliation=Reconciliation(**rec, difference=difference),
    )


def _item(r: Any) -> MovementItem:
    return MovementItem(
        opportunity_id=r.opportunity_id,
        opportunity=r.name,
        customer=r.customer,
        owner=r.owner,
        stage_d1=r.stage_d1,
        stage_d2=r.stage_d2,
        status_d1=r.status_d1,
        status_d2=r.status_d2,
        amount_d1=money(r.amount_d1) if r.amount_d1 is not None else None,
        amount_d2=money(r.amount_d2) if r.amount_d2 is not None else None,
        expected_close_d1=r.expected_close_d1,
        expected_close_d2=r.expected_close_d2,
    )
