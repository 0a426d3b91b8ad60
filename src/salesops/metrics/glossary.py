"""``docs/kpi-glossary.md``, generated from the catalog (a test fails when the file is stale).

Regenerate with ``python -m salesops.metrics.glossary > docs/kpi-glossary.md``.
"""

from __future__ import annotations

from salesops.metrics import catalog
from salesops.metrics.measures import MEASURES

_UNITS = {
    "money": "money · 金额",
    "count": "count · 数量",
    "ratio": "ratio (fraction) · 比率",
    "days": "days · 天",
    "score": "score · 分",
    "money_per_day": "money per day · 每天金额",
    "multiple": "multiple · 倍",
}
_GOOD = {"up": "↑ higher is better", "down": "↓ lower is better"}


def render_glossary() -> str:
    """The glossary as Markdown: a summary table, then each KPI's definition and measures."""
    lines = [
        "# KPI glossary · 指标词典",
        "",
        "Generated from `salesops.metrics.catalog` by `python -m salesops.metrics.glossary`;",
        "do not edit by hand (a test compares this file with the catalog).",
        "",
        "Every KPI is computed in the database by the metrics engine, under the caller's data",
        "scope. Ratios are ratios of sums over the group (never averages of per-row ratios);",
        "an empty denominator gives no value (null). Growth is a modifier of every KPI:",
        "`--compare prev` (环比, the period of the same length just before; whole calendar",
        "months step by months, so a quarter's is the quarter before) or `--compare yoy`",
        "(同比, the same period a year earlier) adds `previous` and",
        "`change = (value - previous) / previous`.",
        "",
        "| id | 中文名 | English name | formula | unit | good |",
        "|---|---|---|---|---|---|",
    ]
    for k in catalog.all_kpis():
        lines.append(
            f"| `{k.id}` | {k.name_zh} | {k.name_en} | `{k.formula_text}` | {k.unit} | {k.good} |"
        )
    lines += ["", "## Definitions · 定义", ""]
    for k in catalog.all_kpis():
        lines += [
            f"### `{k.id}` — {k.name_zh} · {k.name_en}",
            "",
            f"- Definition: {k.description_en}",
            f"- 定义：{k.description_zh}",
            f"- Formula: `{k.formula_text}`",
            f"- Unit: {_UNITS[k.unit]}; good direction: {_GOOD[k.good]}",
            f"- Counted on: `{k.fact}` by `{k.time}`"
            + (" (as of the period end)" if k.stock else ""),
            "- Measures: "
            + "; ".join(_measure_text(n) for n in k.measures if n in MEASURES)
            + (" (`actual`: the targeted KPI's formula)" if "actual" in k.measures else ""),
            "",
        ]
    from salesops.metrics.engagement import glossary_lines

    lines += glossary_lines()
    lines += _WARNINGS_AND_GRADES
    lines += _DECOMPOSITION
    return "\n".join(lines)


#: What the customers page's credit grades and churn warnings mean (issue #19, "believable
#: warnings"); the rules themselves are in docs/analyses.md and salesops.analysis.
_WARNINGS_AND_GRADES = [
    "## Credit grades and churn warnings · 信用等级与流失预警",
    "",
    "Not KPIs but per-customer judgements the customers page and the alerts show; the exact",
    "rules and thresholds are in `docs/analyses.md`. Behaviour counts payments due before the",
    "as-of date; most paying customers of a healthy B2B company are A or B.",
    "",
    "| grade | 中文 | meaning | 含义 |",
    "|---|---|---|---|",
    "| A | 优 | pays at least 9 in 10 invoices on time, a few days late at most, nothing overdue:"
    " normal terms | 九成以上按时回款，平均逾期不超过 5 天，无逾期欠款：正常账期 |",
    "| B | 良 | mostly on time (≥ 75 %), about two weeks late at worst, little overdue (≤ 10 % of"
    " the credit limit): normal terms, watch the overdue | 大多按时（≥ 75%），平均逾期不超过 15"
    " 天，逾期欠款不超过信用额度的 10%：正常账期，关注逾期 |",
    "| C | 关注 | half or more on time, up to 45 days late on average, overdue up to half the"
    " limit: shorten terms, chase overdue | 半数以上按时，平均逾期不超过 45 天，"
    "逾期不超过额度一半：缩短账期，催收逾期 |",
    "| D | 高风险 | otherwise: mostly late, months late, or a large overdue amount — prepayment"
    " or a credit hold | 其余：多数逾期、逾期数月或逾期金额大——预付款或暂停赊销 |",
    "",
    "| warning | 中文 | meaning | 含义 |",
    "|---|---|---|---|",
    "| `revenue_drop` | 销售额下降 | a regular buyer (≥ 3 orders in the previous 90 days) whose"
    " revenue of the last 90 days halved while it ordered at least a quarter less often |"
    " 常规客户（前 90 天至少 3 单）近 90 天销售额减半，且下单次数至少减少四分之一 |",
    "| `order_drop` | 订单数下降 | a regular buyer whose orders of the last 90 days halved |"
    " 常规客户近 90 天订单数减半 |",
    "| `no_contact` | 超期未联系 | no order and no contact for more than twice the customer's"
    " usual buying interval (but under a year: after that the customer counts as churned) |"
    " 超过平时采购间隔的两倍既无订单也无联系（不足一年；超过一年视为已流失） |",
    "",
    "A warning means: call the customer this week. A few per cent of customers in a quarter is"
    " normal; the alert rule `churn_warning` reports each customer once a quarter.",
    "",
]


def _measure_text(name: str) -> str:
    m = MEASURES[name]
    where = f" by `{m.time}`" if m.time else ""
    return f"`{name}` = {m.agg} over `{m.fact}` ({m.kind}{where})"


#: How the reviews explain a change (issue #26; salesops.reports.decompose, docs/reviews.md).
_DECOMPOSITION = [
    "## Variance decomposition (LMDI) · 变动分解（对数平均迪氏指数）",
    "",
    "The reviews split the change of revenue and of bookings into drivers with the log-mean"
    " Divisia index, method I (LMDI-I), which is exactly additive:",
    "",
    "* revenue = customers × orders per customer × average order value"
    " (`active_customers`, `orders / active_customers`, `aov`);",
    "* bookings = deals closed × win rate × average deal size"
    " (`won_deals + lost_deals`, `win_rate`, `avg_deal_size`);",
    "* by region, team or rep (mix against rate): segment value = N × (segment units / N) ×"
    " (segment value / segment units), N = all units (customers or closed deals): volume, mix"
    " and rate.",
    "",
    "For V = x₁ × … × xₙ going from V⁰ to V¹, driver *i* gets L(V¹, V⁰) × ln(xᵢ¹ / xᵢ⁰) with"
    " L(a, b) = (a − b) / (ln a − ln b) (L(a, a) = a); the parts sum to V¹ − V⁰. Parts are"
    " computed in decimals, rounded to the cent, and the rounding residual goes to the largest"
    " part, so they sum to the change to the cent. **Zero rule**: when a value is 0 (or a ratio"
    " undefined) in either period, the whole change goes to the first driver that is zero or"
    " undefined (the limit of LMDI). Example: 10 customers × 2 orders × 500 = 10 000 → 20 × 2 ×"
    " 500 = 20 000: customers +10 000, the others 0.",
    "",
    "变动分解采用对数平均迪氏指数法（LMDI-I），各因素贡献之和精确等于变动额（到分）：销售额 ="
    " 客户数 × 人均订单数 × 客单价；签约额 = 结单数 × 赢单率 × 平均成交金额；按区域、团队或销售分为"
    "规模、结构与效率。某期为零时，全部变动计入第一个为零的因素。",
    "",
]


if __name__ == "__main__":  # pragma: no cover
    print(render_glossary())
