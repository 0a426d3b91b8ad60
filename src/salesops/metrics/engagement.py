"""The engagement score (客户活跃度) defined as data, so the glossary prints the definition the
code computes (:mod:`salesops.customers.engagement`).

As of day D, over the customer's interactions in the trailing ``WINDOW_DAYS`` (D - 365 < day
<= D): every interaction has a weight (:data:`WEIGHTS`) and counts
``weight × 0.5 ** (age_days / HALF_LIFE_DAYS)`` (age = D - its day), so a visit last week
counts almost fully and one from six months ago a quarter. ``raw`` is their sum and the score
``100 × (1 - exp(-raw / SCALE))``: 0 without interactions, rising towards 100 (a customer with
``raw = SCALE`` scores 63). Bands (:data:`BANDS`): high >= 60, medium >= 30, low > 0, none.
"""

from __future__ import annotations

import math

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
        "- Bands · 分档: high 高 ≥ 60, medium 中 ≥ 30, low 低 > 0, none 无 = 0.",
        "- Counted on: `activity` (local day), `feedback` by `received_on`, `order_header` by "
        "`order_date`; shown on the customer page.",
        "",
    ]
