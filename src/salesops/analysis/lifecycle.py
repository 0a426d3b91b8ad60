"""Customer lifecycle stages (客户生命周期), as of a date.

Definition (docs/analyses.md), over the customers with a normal order or an opportunity in scope
(created on or before ``as_of``), with N = ``lifecycle_new_days`` (90), A =
``lifecycle_active_days`` (180) and S = ``lifecycle_dormant_days`` (365) from the settings:

* **potential** 潜在客户 — has opportunities but no normal order on or before ``as_of``;
* **new** 新客户 — first normal order at most N days before ``as_of``;
* **active** 活跃客户 — otherwise, last normal order at most A days before;
* **dormant** 沉睡客户 — last order A+1 .. S days before;
* **churned** 流失客户 — last order more than S days before.

Customers with neither orders nor opportunities have no stage and are not listed.

Engagement in the lifecycle (issue #28): every staged customer carries its engagement score and
band as of ``as_of`` (:mod:`salesops.metrics.engagement`, from the interactions the scope sees,
as on the customer page) and its score ``COOLING_LOOKBACK_DAYS`` (90) days earlier; each stage
is counted per band. A customer is **cooling** 互动下降 when it still buys (stage new or
active) but its engagement is low or none and lower than 90 days earlier: orders recent, the
relationship fading — the ones to call before they become dormant.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CTE, Date, Engine, and_, case, func, literal, or_, select, union

from salesops.analysis.common import (
    AnalysisError,
    Filters,
    NormalFilters,
    Result,
    normalise_filters,
    resolve_as_of,
)
from salesops.analysis.facts import check_applicable, conditions, orders
from salesops.config import get_settings
from salesops.db.schema import Customer, Opportunity
from salesops.metrics import engagement as eng_def
from salesops.metrics.scope import FULL_SCOPE, Scope

STAGES: dict[str, tuple[str, str]] = {
    "potential": ("潜在客户", "Potential"),
    "new": ("新客户", "New"),
    "active": ("活跃客户", "Active"),
    "dormant": ("沉睡客户", "Dormant"),
    "churned": ("流失客户", "Churned"),
}
#: Cooling: a customer of these stages, in these bands, whose score fell over this many days.
COOLING_STAGES = ("new", "active")
COOLING_BANDS = ("low", "none")
COOLING_LOOKBACK_DAYS = 90


class LifecycleCustomer(Result):
    customer_id: int
    customer: str
    stage: str
    first_order_on: dt.date | None
    last_order_on: dt.date | None
    days_since_last_order: int | None
    orders: int
    opportunities: int
    engagement_score: float
    engagement_band: str
    engagement_score_before: float
    cooling: bool


class LifecycleStage(Result):
    stage: str
    name_zh: str
    name_en: str
    customers: int
    share: float | None
    #: customers of the stage per engagement band (every band id)
    bands: dict[str, int]
    cooling: int


class LifecycleResult(Result):
    as_of: dt.date
    new_days: int
    active_days: int
    dormant_days: int
    customers: int
    stages: list[LifecycleStage]
    rows: list[LifecycleCustomer]
    #: customers cooling (see the module docstring), and the day their score is compared with
    cooling: int
    engagement_before: dt.date


def _staged(
    scope: Scope, filters: NormalFilters, as_of: dt.date, new: int, active: int, dormant: int
) -> CTE:
    o = orders(scope, filters, until=as_of)
    bought = (
        select(
            o.c.customer_id,
            func.min(o.c.order_date).label("first_order_on"),
            func.max(o.c.order_date).label("last_order_on"),
            func.count().label("orders"),
        )
        .group_by(o.c.customer_id)
        .cte("lc_orders")
    )
    opp = Opportunity
    pursued = (
        select(opp.customer_id, func.count().label("opportunities"))
        .where(
            opp.customer_id.is_not(None),
            or_(opp.created_on.is_(None), opp.created_on <= as_of),
            *conditions(opp, scope, filters),
        )
        .group_by(opp.customer_id)
        .cte("lc_opportunities")
    )
    everyone = union(select(bought.c.customer_id), select(pursued.c.customer_id)).subquery("lc_all")
    day = literal(as_of, Date)
    since_last = day - bought.c.last_order_on
    stage = case(
        (bought.c.first_order_on.is_(None), "potential"),
        (day - bought.c.first_order_on <= new, "new"),
        (since_last <= active, "active"),
        (since_last <= dormant, "dormant"),
        else_="churned",
    )
    # Engagement now and COOLING_LOOKBACK_DAYS before, from the interactions the scope sees.
    before_day = as_of - dt.timedelta(days=COOLING_LOOKBACK_DAYS)
    # one pass over the interactions of both windows
    now = eng_def.raw_scores_then(as_of, before_day, scope).subquery("lc_engagement")
    raw_now = func.coalesce(now.c.raw, 0.0)
    raw_before = func.coalesce(now.c.raw_before, 0.0)
    band = eng_def.band_sql(now.c.raw)
    cooling = and_(stage.in_(COOLING_STAGES), band.in_(COOLING_BANDS), raw_now < raw_before)
    return (
        select(
            everyone.c.customer_id,
            bought.c.first_order_on,
            bought.c.last_order_on,
            since_last.label("days_since_last_order"),
            func.coalesce(bought.c.orders, 0).label("orders"),
            func.coalesce(pursued.c.opportunities, 0).label("opportunities"),
            stage.label("stage"),
            raw_now.label("raw"),
            raw_before.label("raw_before"),
            func.coalesce(band, "none").label("band"),
            case((cooling, 1), else_=0).label("cooling"),
        )
        .select_from(everyone)
        .outerjoin(bought, bought.c.customer_id == everyone.c.customer_id)
        .outerjoin(pursued, pursued.c.customer_id == everyone.c.customer_id)
        .outerjoin(now, now.c.customer_id == everyone.c.customer_id)
        .cte("lc_result")
    )


def lifecycle(
    engine: Engine,
    scope: Scope = FULL_SCOPE,
    filters: Filters | None = None,
    *,
    as_of: dt.date | None = None,
    stage: str | None = None,
    band: str | None = None,
    cooling: bool = False,
    new_days: int | None = None,
    active_days: int | None = None,
    dormant_days: int | None = None,
    limit: int | None = None,
) -> LifecycleResult:
    """Lifecycle stage of every customer in ``scope`` as of ``as_of`` (default today).

    Thresholds default to the settings. ``rows`` (optionally one ``stage``, one engagement
    ``band``, only the ``cooling`` ones; at most ``limit``) are ordered by stage then days
    since the last order; ``stages`` counts all five, each per engagement band.
    """
    settings = get_settings()
    new = settings.lifecycle_new_days if new_days is None else new_days
    active = settings.lifecycle_active_days if active_days is None else active_days
    dormant = settings.lifecycle_dormant_days if dormant_days is None else dormant_days
    if not 0 <= new <= active <= dormant:
        raise AnalysisError("lifecycle thresholds must satisfy 0 <= new <= active <= dormant")
    if stage is not None and stage not in STAGES:
        raise AnalysisError(f"unknown lifecycle stage {stage!r}; known: {', '.join(STAGES)}")
    if band is not None and band not in eng_def.BAND_IDS:
        known = ", ".join(eng_def.BAND_IDS)
        raise AnalysisError(f"unknown engagement band {band!r}; known: {known}")
    flt = normalise_filters(filters)
    check_applicable(flt, ("order_header", "opportunity"), "lifecycle")
    day = resolve_as_of(as_of)
    result = _staged(scope, flt, day, new, active, dormant)
    counts_q = select(
        result.c.stage,
        result.c.band,
        func.count().label("n"),
        func.sum(result.c.cooling).label("cooling"),
    ).group_by(result.c.stage, result.c.band)
    position = case({s: i for i, s in enumerate(STAGES)}, value=result.c.stage)
    rows_q: Any = select(result, Customer.name).join(Customer, Customer.id == result.c.customer_id)
    if stage is not None:
        rows_q = rows_q.where(result.c.stage == stage)
    if band is not None:
        rows_q = rows_q.where(result.c.band == band)
    if cooling:
        rows_q = rows_q.where(result.c.cooling == 1)
    rows_q = rows_q.order_by(position, result.c.days_since_last_order, result.c.customer_id).limit(
        limit
    )
    by_band: dict[str, dict[str, int]] = {s: dict.fromkeys(eng_def.BAND_IDS, 0) for s in STAGES}
    cooled: dict[str, int] = dict.fromkeys(STAGES, 0)
    with engine.connect() as conn:
        for r in conn.execute(counts_q):
            by_band[r.stage][r.band] += int(r.n)
            cooled[r.stage] += int(r.cooling or 0)
        rows = conn.execute(rows_q).all()
    counts = {s: sum(b.values()) for s, b in by_band.items()}
    total = sum(counts.values())
    return LifecycleResult(
        as_of=day,
        new_days=new,
        active_days=active,
        dormant_days=dormant,
        customers=total,
        stages=[
            LifecycleStage(
                stage=s,
                name_zh=zh,
                name_en=en,
                customers=counts.get(s, 0),
                share=round(counts.get(s, 0) / total, 4) if total else None,
                bands=by_band[s],
                cooling=cooled[s],
            )
            for s, (zh, en) in STAGES.items()
        ],
        cooling=sum(cooled.values()),
        engagement_before=day - dt.timedelta(days=COOLING_LOOKBACK_DAYS),
        rows=[
            LifecycleCustomer(
                customer_id=r.customer_id,
                customer=r.name,
                stage=r.stage,
                first_order_on=r.first_order_on,
                last_order_on=r.last_order_on,
                days_since_last_order=(
                    int(r.days_since_last_order) if r.days_since_last_order is not None else None
                ),
                orders=int(r.orders),
                opportunities=int(r.opportunities),
                engagement_score=eng_def.score(float(r.raw or 0)),
                engagement_band=str(r.band),
                engagement_score_before=eng_def.score(float(r.raw_before or 0)),
                cooling=bool(r.cooling),
            )
            for r in rows
        ],
    )
