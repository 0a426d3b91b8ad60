"""The engagement score (客户活跃度) defined as data, so the glossary prints the definition the
code computes (:mod:`salesops.customers.engagement`).

As of day D, over the customer's interactions in the trailing ``WINDOW_DAYS`` (D - 365 < day
<= D): every interaction has a weight (:data:`WEIGHTS`) and counts
``weight × 0.5 ** (age_days / HALF_LIFE_DAYS)`` (age = D - its day), so a visit last week
counts almost fully and one from six months ago a quarter. ``raw`` is their sum and the score
``100 × (1 - exp(-raw / SCALE))``: 0 without interactions, rising towards 100 (a customer with
``raw = SCALE`` scores 63). Bands (:data:`BANDS`): high >= 60, medium >= 30, low > 0, none.

The statement that sums the interactions (:func:`raw_scores`) and the band of a raw sum in SQL
(:func:`band_sql`) live here too, so the customer page's score and the ``engagement_band``
dimension of the metrics engine are the same computation.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Select,
    Subquery,
    case,
    cast,
    func,
    literal,
    select,
    union_all,
)

#: What counts, and how much: activities by kind, feedback received, normal orders.
WEIGHTS: dict[str, float] = {
    "visit": 3.0,
    "meeting": 3.0,
    "event": 4.0,  # attended a marketing event
    "call": 2.0,
    "email": 1.0,
    "web_visit": 1.0,  # visited the company's website
    "feedback": 2.0,  # answered a survey / gave feedback
    "order": 5.0,  # a normal order
}
#: Weight of an activity of a kind not listed.
OTHER_ACTIVITY = 1.0
HALF_LIFE_DAYS = 90
WINDOW_DAYS = 365
SCALE = 20.0
#: (lowest score, band id, English, 中文), highest first; a score of 0 is "none".
BANDS: tuple[tuple[float, str, str, str], ...] = (
    (60.0, "high", "High", "高"),
    (30.0, "medium", "Medium", "中"),
    (0.0, "low", "Low", "低"),
)


#: Band ids, highest first, and the values a filter may name them by (id, English, 中文).
BAND_IDS: tuple[str, ...] = ("high", "medium", "low", "none")
BAND_NAMES: dict[str, tuple[str, str]] = {
    "high": ("High", "高"),
    "medium": ("Medium", "中"),
    "low": ("Low", "低"),
    "none": ("No interaction", "无互动"),
}


def band_id(text: str) -> str | None:
    """The band id a filter value names (``high``, ``High``, ``高`` ...), or None."""
    word = text.strip()
    for ident, (en, zh) in BAND_NAMES.items():
        if word.lower() in (ident, en.lower()) or word in (zh, zh.rstrip("档")):
            return ident
    if word in ("无", "none", "None"):
        return "none"
    return None


def decay(age_days: float) -> float:
    """The recency weight of an interaction ``age_days`` old."""
    return 0.5 ** (age_days / HALF_LIFE_DAYS)


def score(raw: float) -> float:
    """The score of a raw weighted sum, 0..100, rounded to one decimal."""
    return round(100.0 * (1.0 - math.exp(-raw / SCALE)), 1)


def band(value: float) -> str:
    """The band id of a score: high, medium, low, or none (0)."""
    if value <= 0:
        return "none"
    for low, ident, _, _ in BANDS:
        if value >= low:
            return ident
    return "low"  # pragma: no cover - the last band starts at 0


def raw_floor(low: float) -> float:
    """The least raw sum whose score, rounded to one decimal as :func:`score` does, is at least
    ``low`` (so a band can be told from ``raw`` in SQL without rounding there)."""
    return -SCALE * math.log(1.0 - (low - 0.05) / 100.0)


#: (least raw, band id), highest first: the bands of :data:`BANDS` on the raw sum; a raw sum
#: below the last (a score that rounds to 0.0) is "none".
RAW_FLOORS: tuple[tuple[float, str], ...] = tuple(
    (raw_floor(low if low > 0 else 0.1), ident) for low, ident, _, _ in BANDS
)


def band_sql(raw: ColumnElement[Any]) -> ColumnElement[str]:
    """The band id of a raw sum in SQL (NULL raw: ``none``), the same as ``band(score(raw))``."""
    whens = [(raw >= literal(floor), literal(ident)) for floor, ident in RAW_FLOORS]
    return case(*whens, else_=literal("none"))


def _events(
    lo: dt.date, as_of: dt.date, scope: Any, customer_ids: Sequence[int] | None
) -> Subquery:
    """``customer_id, day, w``: every interaction from ``lo`` to ``as_of`` whose rep ``scope``
    sees, with its weight."""
    from salesops.db.schema import Activity, Feedback, OrderHeader
    from salesops.metrics.measures import time_expression
    from salesops.metrics.scope import FULL_SCOPE, restrict

    scope = FULL_SCOPE if scope is None else scope
    a = Activity.__table__
    day = cast(time_expression("activity", "occurred_at", a), Date)
    weights = case(
        *((a.c.kind == kind, literal(w)) for kind, w in WEIGHTS.items()),
        else_=literal(OTHER_ACTIVITY),
    )

    def only(column: Any) -> list[ColumnElement[bool]]:
        out = [restrict(scope, column[1])]
        if customer_ids is not None:
            out.append(column[0].in_(list(customer_ids)))
        else:
            out.append(column[0].is_not(None))
        return out

    acts = select(a.c.customer_id, day.label("day"), weights.label("w")).where(
        *only((a.c.customer_id, a.c.rep_id)),
        # the stored time, a day wider than the window each side (time zones), then the day
        a.c.occurred_at >= dt.datetime.combine(lo - dt.timedelta(days=1), dt.time()),
        a.c.occurred_at < dt.datetime.combine(as_of + dt.timedelta(days=2), dt.time()),
    )
    fb = select(
        Feedback.customer_id,
        Feedback.received_on.label("day"),
        literal(WEIGHTS["feedback"]).label("w"),
    ).where(
        *only((Feedback.customer_id, Feedback.rep_id)),
        Feedback.received_on.between(lo, as_of),
    )
    orders = select(
        OrderHeader.customer_id,
        OrderHeader.order_date.label("day"),
        literal(WEIGHTS["order"]).label("w"),
    ).where(
        *only((OrderHeader.customer_id, OrderHeader.rep_id)),
        OrderHeader.normal_lines > 0,
        OrderHeader.order_date.between(lo, as_of),
    )
    return union_all(acts, fb, orders).subquery("interactions")


def raw_scores(
    as_of: dt.date, scope: Any = None, customer_ids: Sequence[int] | None = None
) -> Select[Any]:
    """``customer_id, raw, n`` of every customer with interactions in the window ending
    ``as_of`` (``customer_ids``: only those), counting the interactions whose rep ``scope``
    sees (None: all). The recency decay is ``exp(-ln 2 × age / half-life)`` in the database,
    the same on DuckDB and PostgreSQL."""
    lo = as_of - dt.timedelta(days=WINDOW_DAYS - 1)
    events = _events(lo, as_of, scope, customer_ids)
    rate = math.log(2) / HALF_LIFE_DAYS
    age = cast(literal(as_of, Date) - events.c.day, Float)
    return (
        select(
            events.c.customer_id,
            func.sum(cast(events.c.w, Float) * func.exp(-rate * age)).label("raw"),
            func.count().label("n"),
        )
        .where(events.c.day.between(lo, as_of))
        .group_by(events.c.customer_id)
    )


def raw_scores_then(as_of: dt.date, before: dt.date, scope: Any = None) -> Select[Any]:
    """``customer_id, raw, raw_before``: the raw sums as of ``as_of`` and as of ``before`` (an
    earlier day) in one pass over the interactions of both windows (as :func:`raw_scores`)."""
    lo_now = as_of - dt.timedelta(days=WINDOW_DAYS - 1)
    lo_before = before - dt.timedelta(days=WINDOW_DAYS - 1)
    events = _events(min(lo_now, lo_before), as_of, scope, None)
    rate = math.log(2) / HALF_LIFE_DAYS
    w = cast(events.c.w, Float)

    def raw(day: dt.date, lo: dt.date) -> ColumnElement[Any]:
        age = cast(literal(day, Date) - events.c.day, Float)
        inside = events.c.day.between(lo, day)
        return func.sum(case((inside, w * func.exp(-rate * age)), else_=None))

    return select(
        events.c.customer_id,
        raw(as_of, lo_now).label("raw"),
        raw(before, lo_before).label("raw_before"),
    ).group_by(events.c.customer_id)


def bands(as_of: dt.date, scope: Any = None, name: str = "engagement") -> Subquery:
    """``customer_id, band`` of every customer with interactions in the window ending
    ``as_of`` (as :func:`raw_scores`); a customer not in it is ``none``."""
    raw = raw_scores(as_of, scope).subquery(f"{name}_raw")
    return select(raw.c.customer_id, band_sql(raw.c.raw).label("band")).subquery(name)


def glossary_lines() -> list[str]:
    """The definition for ``docs/kpi-glossary.md``."""
    weights = ", ".join(f"{k} {v:g}" for k, v in WEIGHTS.items())
    return [
        "## Scores · 评分",
        "",
        "### `engagement` — 客户活跃度 · Engagement score",
        "",
        f"- Definition: interactions in the last {WINDOW_DAYS} days before the as-of date, each "
        f"weighted by kind ({weights}; another activity kind {OTHER_ACTIVITY:g}) and by "
        f"recency (half the weight every {HALF_LIFE_DAYS} days: weight × 0.5^(age/"
        f"{HALF_LIFE_DAYS})); raw = their sum; score = 100 × (1 − e^(−raw/{SCALE:g})).",
        f"- 定义：截至日前 {WINDOW_DAYS} 天内的互动（拜访、会议、活动参与、电话、邮件、访问官网、"
        f"反馈、订单），按类型加权并按时间衰减（每 {HALF_LIFE_DAYS} 天权重减半）后求和得 raw；"
        f"活跃度 = 100 × (1 − e^(−raw/{SCALE:g}))，0–100。",
        "- Bands · 分档: high 高 ≥ 60, medium 中 ≥ 30, low 低 > 0, none 无互动 = 0 (the score "
        "rounded to one decimal; in SQL the raw sum against the least raw of each band: "
        + ", ".join(f"{ident} ≥ {floor:.4f}" for floor, ident in RAW_FLOORS)
        + ").",
        "- Counted on: `activity` (local day), `feedback` by `received_on`, `order_header` by "
        "`order_date`; shown on the customer page.",
        "",
        "### `engagement_band` — 活跃度分档 · Engagement band (dimension)",
        "",
        "- Definition: the customer's engagement band (high, medium, low, none) as a dimension of "
        "every KPI whose fact names a customer (`--by engagement_band`, `by=`, "
        "`where=engagement_band=high`; a filter also takes High/高, None/无互动). The band is "
        "computed as of one day for the whole query: its `as_of` if given, else its end date, "
        "else today — on the board the filter's end date, the day the customer page computes "
        "the score for, so a customer's band and its page agree. Interactions count when the "
        "caller's data scope sees their rep, as on the customer page. A trend by month keeps "
        "each customer in the band of that one day.",
        "- 定义：客户活跃度分档（高、中、低、无互动）作为维度，适用于所有带客户的指标（"
        "`--by engagement_band`、`by=`、`where=engagement_band=高`）。分档按整个查询的同一天计算："
        "查询的 as_of，否则为截止日期，否则为今天；看板上即筛选的截止日期，与客户页计算活跃度的日期"
        "相同，因此同一客户的分档与客户页一致。只计入调用者数据权限内销售的互动，与客户页相同。"
        "按月趋势中每个客户都按这一天的分档归类。",
        "",
        "### `cooling` — 互动下降 · Cooling customers (lifecycle)",
        "",
        "- Definition: a customer still buying (lifecycle stage new or active) whose engagement "
        "band is low or none and whose score is lower than 90 days earlier: orders are recent "
        "but the relationship is fading — call before the customer turns dormant. The "
        "lifecycle panel splits every stage by engagement band; the customers page lists the "
        "cooling customers.",
        "- 定义：仍在下单（生命周期为新客户或活跃客户），但活跃度为低或无互动、且低于 90 天前的"
        "客户：订单尚近，关系在变淡，应在转为沉睡前联系。生命周期图按活跃度分档拆分各阶段，客户页"
        "列出互动下降的客户。",
        "",
    ]
