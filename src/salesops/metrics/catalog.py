"""The KPI catalog (SPEC §4): every KPI defined once, as data.

A KPI is an id, its Chinese and English names, a unit, the fact and time column it is counted
on, which direction is good, a description of its formula in both languages, and the formula
itself as an expression over named measures (:mod:`salesops.metrics.measures`). The compiler
turns that into SQL; pages, the API, the CLI, targets, alerts and reports all read from here.
Adding a KPI is adding one :class:`Kpi` below.

Growth (环比 / 同比) is not a KPI but a modifier of every KPI: ``compare="prev"|"yoy"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from salesops.metrics.formula import Const, Expr, Inverse, M, PositiveOrNull, Pow, Var
from salesops.metrics.measures import MEASURES

Unit = Literal["money", "count", "ratio", "days", "score", "money_per_day", "multiple"]
Good = Literal["up", "down"]


class UnknownMetric(KeyError):
    """A KPI id the catalog does not know."""

    def __str__(self) -> str:
        return f"unknown metric {self.args[0]!r}; known: {', '.join(CATALOG)}"


@dataclass(frozen=True)
class Kpi:
    """One KPI of the catalog.

    ``stock``: measured at the end of the period (as of a date), not summed over it.
    ``additive``: values of disjoint groups add up to the total (sums and counts);
    ``additive_over_time``: values of consecutive periods add up too (flows only).
    """

    id: str
    name_zh: str
    name_en: str
    unit: Unit
    fact: str
    time: str
    good: Good
    description_en: str
    description_zh: str
    formula: Expr
    stock: bool = False
    additive: bool = False
    additive_over_time: bool = False

    @property
    def measures(self) -> tuple[str, ...]:
        """Names of the measures the formula reads, sorted."""
        return tuple(sorted(self.formula.measures()))

    @property
    def formula_text(self) -> str:
        """The formula over measure names (for the glossary and explain)."""
        text = self.formula.text()
        return text[1:-1] if text.startswith("(") and text.endswith(")") else text


def _k(
    id: str,
    zh: str,
    en: str,
    unit: Unit,
    fact: str,
    time: str,
    good: Good,
    desc_en: str,
    desc_zh: str,
    formula: Expr,
    *,
    stock: bool = False,
    sums: bool = False,
) -> Kpi:
    return Kpi(
        id,
        zh,
        en,
        unit,
        fact,
        time,
        good,
        desc_en,
        desc_zh,
        formula,
        stock=stock,
        additive=sums,
        additive_over_time=sums and not stock,
    )


_REVENUE_PER_CUSTOMER_YEAR = M("revenue") / M("active_customers") * (365.0 / Var("period_days"))
_MARGIN = M("gross_profit") / M("costed_revenue")
_RETENTION = M("retained_customers") / M("previous_customers")
_ANNUAL_CHURN = 1.0 - Pow(_RETENTION, 365.0 / Var("period_days"))
_WIN_RATE = M("won_deals") / (M("won_deals") + M("lost_deals"))
_CLV = _REVENUE_PER_CUSTOMER_YEAR * _MARGIN * Inverse(_ANNUAL_CHURN, 10.0)

# fmt: off
KPIS: tuple[Kpi, ...] = (
    _k("revenue", "销售额", "Revenue", "money", "order_line", "order_date", "up",
       "Sum of order line amounts with status normal, order date in the period.",
       "期间内订单日期、状态为正常的订单行金额之和。",
       M("revenue"),
       sums=True,
    ),
    _k("gross_profit", "毛利", "Gross profit", "money", "order_line", "order_date", "up",
       "Sum of (amount - cost) over normal order lines whose cost is known.",
       "成本已知的正常订单行的（金额 - 成本）之和。",
       M("gross_profit"),
       sums=True,
    ),
    _k("gross_margin", "毛利率", "Gross margin", "ratio", "order_line", "order_date", "up",
       "Gross profit / revenue, both over normal order lines whose cost is known.",
       "毛利 / 销售额，二者均按成本已知的正常订单行计算。",
       _MARGIN,
    ),
    _k("orders", "订单数", "Orders", "count", "order_line", "order_date", "up",
       "Number of distinct orders with at least one normal line in the period.",
       "期间内含正常订单行的不同订单数。",
       M("orders"),
       sums=True,
    ),
    # issue #28: 销售量
    _k("units_sold", "销售量", "Units sold", "count", "order_line", "order_date", "up",
       "Sum of order line quantities with status normal, order date in the period (lines "
       "without a quantity count nothing).",
       "期间内订单日期、状态为正常的订单行数量之和（无数量的订单行不计）。",
       M("units_sold"),
       sums=True,
    ),
    # issue #28: follow-up tasks
    _k("task_completion", "任务按时完成率", "Task completion", "ratio", "task", "due_on", "up",
       "Tasks due in the period (not cancelled) that were done by their due date / tasks due in "
       "the period.",
       "期间内到期（未取消）的任务中按期完成的比例。",
       M("tasks_done_on_time") / M("tasks_due"),
    ),
    _k("warning_follow_up", "预警跟进率", "Warnings followed up", "ratio", "task", "created_on",
       "up",
       "Warnings (tasks made by a task rule) raised in the period whose task was done within 7 "
       "days / warnings raised in the period.",
       "期间内产生的预警（任务规则生成的任务）中 7 天内完成跟进的比例。",
       M("warnings_followed_up") / M("warnings_raised"),
    ),
    _k("aov", "客单价", "Average order value", "money", "order_line", "order_date", "up",
       "Revenue / orders.",
       "销售额 / 订单数。",
       M("revenue") / M("orders"),
    ),
    _k("active_customers", "活跃客户数", "Active customers",
       "count", "order_line", "order_date", "up",
       "Distinct customers with a normal order in the period.",
       "期间内有正常订单的不同客户数。",
       M("active_customers"),
    ),
    _k("new_customers", "新客户数", "New customers", "count", "customer", "first_order_on", "up",
       "Customers whose first-ever normal order is in the period (customer's own region, "
       "owner and attributes).",
       "首个正常订单落在期间内的客户数（按客户自身的区域、负责人与属性）。",
       M("new_customers"),
       sums=True,
    ),
    _k("repeat_rate", "复购率", "Repeat purchase rate", "ratio", "order_line", "order_date", "up",
       "Customers with two or more orders in the period / active customers.",
       "期间内下单两次及以上的客户数 / 活跃客户数。",
       M("repeat_customers") / M("active_customers"),
    ),
    _k("bookings", "签约金额", "Bookings", "money", "opportunity", "closed_on", "up",
       "Sum of amounts of opportunities won with close date in the period.",
       "期间内赢单（按成交日期）的商机金额之和。",
       M("bookings"),
       sums=True,
    ),
    _k("won_deals", "赢单数", "Won deals", "count", "opportunity", "closed_on", "up",
       "Opportunities won with close date in the period.",
       "期间内赢单的商机数。",
       M("won_deals"),
       sums=True,
    ),
    _k("lost_deals", "输单数", "Lost deals", "count", "opportunity", "closed_on", "down",
       "Opportunities lost with close date in the period.",
       "期间内输单的商机数。",
       M("lost_deals"),
       sums=True,
    ),
    _k("win_rate", "成交率", "Win rate", "ratio", "opportunity", "closed_on", "up",
       "Won deals / (won deals + lost deals), closed in the period.",
       "赢单数 /（赢单数 + 输单数），按期间内关闭的商机计算。",
       _WIN_RATE,
    ),
    _k("avg_deal_size", "平均成交金额", "Average deal size",
       "money", "opportunity", "closed_on", "up",
       "Bookings / won deals.",
       "签约金额 / 赢单数。",
       M("bookings") / M("won_deals"),
    ),
    _k("sales_cycle_days", "平均销售周期", "Sales cycle",
       "days", "opportunity", "closed_on", "down",
       "Mean days from creation to close over deals won in the period.",
       "期间内赢单商机从创建到成交的平均天数。",
       M("cycle_days") / M("cycle_deals"),
    ),
    _k("new_opportunities", "新增商机数", "New opportunities",
       "count", "opportunity", "created_on", "up",
       "Opportunities created in the period.",
       "期间内新建的商机数。",
       M("new_opportunities"),
       sums=True,
    ),
    _k("new_pipeline", "新增商机金额", "New pipeline", "money", "opportunity", "created_on", "up",
       "Sum of amounts of opportunities created in the period.",
       "期间内新建商机的金额之和。",
       M("new_pipeline"),
       sums=True,
    ),
    _k("open_opportunities", "在途商机数", "Open opportunities",
       "count", "opportunity", "as_of", "up",
       "Opportunities open at the end of the period (from history).",
       "期末（按历史记录）仍在进行中的商机数。",
       M("open_opportunities"),
       stock=True,
       sums=True,
    ),
    _k("open_pipeline", "在途商机", "Open pipeline", "money", "opportunity", "as_of", "up",
       "Sum of amounts of opportunities open at the end of the period, as they stood then.",
       "期末仍在进行中的商机金额之和（按当时的金额）。",
       M("open_pipeline"),
       stock=True,
       sums=True,
    ),
    _k("weighted_pipeline", "加权商机", "Weighted pipeline", "money", "opportunity", "as_of", "up",
       "Sum of amount x probability (the stage's default when empty) over opportunities open at "
       "the end of the period.",
       "期末在途商机的 金额 × 赢率（为空时取阶段默认赢率）之和。",
       M("weighted_pipeline"),
       stock=True,
       sums=True,
    ),
    _k("pipeline_coverage", "商机覆盖率", "Pipeline coverage",
       "ratio", "opportunity", "expected_close_on", "up",
       "Open pipeline at the end of the period expected to close in the next period / (bookings "
       "target of the next period - bookings achieved in it so far); null without a target.",
       "期末在途且预计在下一期成交的商机金额 /（下一期"
       "签约目标 - 下一期已达成签约额）；无目标时为空。",
       M("coverage_pipeline") / PositiveOrNull(M("next_target") - M("next_achieved")),
    ),
    _k("sales_velocity", "销售速度", "Sales velocity",
       "money_per_day", "opportunity", "closed_on", "up",
       "Open opportunities at the end of the period x win rate x average deal size / sales "
       "cycle days (money per day).",
       "期末在途商机数 × 成交率 × 平均成交金额 / 平均销售周期（每天金额）。",
       M("open_opportunities")
       * _WIN_RATE
       * (M("bookings") / M("won_deals"))
       / (M("cycle_days") / M("cycle_deals")),
    ),
    _k("stage_conversion", "阶段转化率", "Stage conversion",
       "ratio", "opportunity", "created_on", "up",
       "By stage s (opportunities created in the period): those that ever reached the next "
       "stage / those that ever reached s (reaching a later stage counts). Without the stage "
       "dimension: won / all.",
       "按阶段 s（期间内新建的商机）：到达过下一阶段的商"
       "机数 / 到达过 s 的商机数（到达更后阶段亦计）。"
       "不按阶段时：赢单数 / 全部。",
       M("stage_next_reached") / M("stage_reached"),
    ),
    _k("stage_dwell_days", "阶段停留时长", "Days in stage",
       "days", "opportunity", "left_at", "down",
       "Mean days between entering a stage and leaving it (by a stage change or the deal "
       "closing), over stays that ended in the period; open stays are not counted here. A "
       "stay ended by a change or close dated before its entry counts as 0 days.",
       "进入某阶段到离开（阶段变化或商机关闭）的平均天"
       "数，按期间内结束的停留计算；未结束的停留不计入。"
       "离开时间早于进入时间的停留按 0 天计。",
       M("dwell_days") / M("dwell_stays"),
    ),
    _k("lead_conversion", "线索转化率", "Lead conversion", "ratio", "lead", "created_on", "up",
       "Leads created in the period later converted to an opportunity / leads created in it.",
       "期间内新建且之后转化为商机的线索数 / 期间内新建的线索数。",
       M("converted_leads") / M("leads"),
    ),
    _k("collection_rate", "回款率", "Collection rate", "ratio", "payment", "due_date", "up",
       "Paid amount (paid by the end of the period) over payments due in the period / amount "
       "due in the period.",
       "期间内到期款项在期末前的已回款金额 / 期间内到期应收金额。",
       M("paid_by_end") / M("due_amount"),
    ),
    _k("overdue_receivables", "逾期应收", "Overdue receivables",
       "money", "payment", "as_of", "down",
       "Sum of (due - paid by then) for payments due before the end of the period and not "
       "fully paid by it.",
       "期末之前到期且截至期末未付清的款项的（应收 - 已收）之和。",
       M("overdue_receivables"),
       stock=True,
       sums=True,
    ),
    _k("marketing_spend", "市场费用", "Marketing spend",
       "money", "marketing_spend", "period_start", "down",
       "Sum of marketing spend whose period starts in the period.",
       "期间内开始的市场费用之和。",
       M("marketing_spend"),
       sums=True,
    ),
    _k("cac", "获客成本", "Customer acquisition cost",
       "money", "marketing_spend", "period_start", "down",
       "Marketing spend in the period / new customers in the period.",
       "期间内市场费用 / 期间内新客户数。",
       M("marketing_spend") / M("new_customers"),
    ),
    _k("retention_rate", "客户留存率", "Customer retention",
       "ratio", "order_line", "order_date", "up",
       "Customers active (a normal order) in the previous period and in this one / customers "
       "active in the previous period.",
       "上期和本期均有正常订单的客户数 / 上期活跃客户数。",
       _RETENTION,
    ),
    _k("churn_rate", "客户流失率", "Customer churn", "ratio", "order_line", "order_date", "down",
       "1 - retention rate.",
       "1 - 客户留存率。",
       1.0 - _RETENTION,
    ),
    _k("clv", "客户生命周期价值", "Customer lifetime value",
       "money", "order_line", "order_date", "up",
       "Annual revenue per active customer (revenue / active customers x 365 / days in the "
       "period) x gross margin x min(1 / annual churn, 10); annual churn = 1 - retention ^ "
       "(365 / days in the period).",
       "年化单客销售额（销售额 / 活跃客户数 × 365 / 期间天数）× 毛利率 × min(1 / 年化流失率, 10)；"
       "年化流失率 = 1 - 留存率 ^ (365 / 期间天数)。",
       _CLV,
    ),
    _k("per_rep_output", "人均单产", "Revenue per rep", "money", "order_line", "order_date", "up",
       "Revenue / sellers in the period: reps employed at any time in it (hired by its end, not "
       "left before its start) who had a normal order dated in it, owned a deal open at any "
       "time in it, or had a quota (a rep target) overlapping it. A manager known only as "
       "someone's manager is not a seller.",
       "销售额 / 期间内的销售人数：期间内任一时间在职（期末前入职且期初前未离职），且在期间内有正常"
       "订单、负责期间内任一时间在途的商机或有个人目标（配额）的销售。仅作为他人上级出现的经理不计入。",
       M("revenue") / M("sellers"),
    ),
    _k("activities", "跟进次数", "Activities", "count", "activity", "occurred_at", "up",
       "Number of activities (visits, calls, emails, meetings ...) in the period, by kind with "
       "the kind dimension.",
       "期间内的跟进次数（拜访、电话、邮件、会议……），可按类型拆分。",
       M("activities"),
       sums=True,
    ),
    _k("visit_conversion", "拜访转化率", "Visit conversion",
       "ratio", "activity", "occurred_at", "up",
       "Customers visited in the period with a won deal or a normal order within 90 days after "
       "the visit / customers visited in the period.",
       "期间内被拜访、且拜访后 90 天内有赢单或正常订单的客户数 / 期间内被拜访的客户数。",
       M("converted_customers") / M("visited_customers"),
    ),
    _k("nps", "净推荐值", "Net promoter score", "score", "feedback", "received_on", "up",
       "100 x (share of scores 9-10 - share of scores 0-6) over responses in the period.",
       "100 ×（9-10 分占比 - 0-6 分占比），按期间内的回复计算。",
       Const(100.0) * (M("promoters") - M("detractors")) / M("nps_responses"),
    ),
    _k("csat", "客户满意度", "Customer satisfaction", "score", "feedback", "received_on", "up",
       "Mean CSAT score (1-5) over responses in the period.",
       "期间内回复的平均满意度评分（1-5）。",
       M("csat_sum") / M("csat_responses"),
    ),
    _k("feedback_resolution_days", "反馈处理时长", "Feedback resolution time",
       "days", "feedback", "resolved_on", "down",
       "Mean days from receiving a feedback to resolving it, over feedback resolved in the "
       "period.",
       "期间内解决的反馈从收到到解决的平均天数。",
       M("resolution_days") / M("resolved_feedback"),
    ),
    _k("target_attainment", "目标达成率", "Target attainment",
       "ratio", "target", "period_start", "up",
       "Actual / target for the target's metric (revenue unless the query names another), "
       "scope and period; targets of the coarsest grain inside the period are used.",
       "目标所对应指标（默认销售额）的实际值 / 目标"
       "值，按目标的范围和期间；取期间内最粗粒度的目标。",
       M("actual") / M("target"),
    ),
    _k("pacing", "进度达成", "Pacing", "ratio", "target", "period_start", "up",
       "Target attainment / share of the period's calendar days elapsed (today or the as-of "
       "date).",
       "目标达成率 / 期间已过去的日历天数占比（截至今天或指定日期）。",
       M("actual") / M("target") / Var("elapsed_share"),
    ),
    _k("market_share", "市场占有率", "Market share", "ratio", "market_size", "period_start", "up",
       "Revenue / market size for the same region, product line and period (market sizes whose "
       "period starts in it).",
       "销售额 / 同区域、同产品线、同期间的市场规模（期间内开始的市场规模）。",
       M("revenue") / M("market_size"),
    ),
    # ------------------------------------------------------------ issue #25: market, channels, loop
    _k("market_size", "市场规模", "Market size", "money", "market_size", "period_start", "up",
       "Sum of the imported market sizes whose period starts in the period.",
       "期间内开始的已导入市场规模之和。",
       M("market_size"),
       sums=True,
    ),
    _k("leads", "线索数", "Leads", "count", "lead", "created_on", "up",
       "Leads created in the period.",
       "期间内新建的线索数。",
       M("leads"),
       sums=True,
    ),
    _k("nps_responses", "NPS 回复数", "NPS responses", "count", "feedback", "received_on", "up",
       "Feedback received in the period with an NPS score (the sample behind the NPS).",
       "期间内收到且带有 NPS 评分的反馈数（NPS 的样本量）。",
       M("nps_responses"),
       sums=True,
    ),
    _k("penetration", "市场渗透率", "Penetration", "ratio", "market_size", "period_start", "up",
       "Active customers (a normal order in the period) / target accounts (the account counts "
       "imported with market sizes whose period starts in it), by region and industry.",
       "期间内活跃客户数（有正常订单）/ 目标客户数（随市场规模导入、期间内开始的目标客户数），"
       "可按区域与行业拆分。",
       M("active_customers") / M("target_accounts"),
    ),
    _k("roi", "营销投资回报率", "Marketing ROI", "ratio", "marketing_spend", "period_start", "up",
       "Gross profit in the period of the customers acquired in it (first normal order in the "
       "period; costed lines) / marketing spend in the period; by source channel it is each "
       "channel's new customers against that channel's spend.",
       "期间内新获客户（首个正常订单在期间内）在期间内的毛利（成本已知的订单行）/ 期间内市场费用；"
       "按来源渠道拆分时为各渠道新客户的毛利 / 该渠道的费用。",
       M("new_customer_gross_profit") / M("marketing_spend"),
    ),
    _k("clv_cac", "客户价值与获客成本比", "CLV / CAC", "multiple", "marketing_spend",
       "period_start", "up",
       "Customer lifetime value / customer acquisition cost, both over the period (3 or more "
       "is the usual sign that a channel pays back).",
       "客户生命周期价值 / 获客成本，均按期间计算（通常 3 以上说明渠道可回本）。",
       _CLV / (M("marketing_spend") / M("new_customers")),
    ),
    _k("feedback_first_response_days", "反馈首次响应时长", "Time to first response",
       "days", "feedback", "received_on", "down",
       "Mean days from receiving a feedback to its first response (assigned or answered), "
       "over feedback received in the period that has had one.",
       "期间内收到且已响应的反馈，从收到到首次响应（分派或答复）的平均天数。",
       M("first_response_days") / M("responded_feedback"),
    ),
    _k("feedback_sla_rate", "反馈按时处理率", "Resolved within SLA",
       "ratio", "feedback", "resolved_on", "up",
       "Feedback resolved in the period no later than its due date (the one set on it, else "
       "received + the SLA days of its priority) / feedback resolved in the period.",
       "期间内解决、且不晚于到期日（已设定的到期日，否则为收到日期 + 其优先级的 SLA 天数）"
       "的反馈数 / "
       "期间内解决的反馈数。",
       M("resolved_within_sla") / M("resolved_feedback"),
    ),
    _k("feedback_informed_rate", "反馈告知率", "Customers informed",
       "ratio", "feedback", "resolved_on", "up",
       "Feedback resolved in the period whose customer has been told the outcome (status "
       "informed) / feedback resolved in the period.",
       "期间内解决且已告知客户处理结果（状态为已告知）的反馈数 / 期间内解决的反馈数。",
       M("informed_feedback") / M("resolved_feedback"),
    ),
)
# fmt: on

CATALOG: dict[str, Kpi] = {k.id: k for k in KPIS}

#: Measures a KPI's formula names that are not in MEASURES: filled per query by the compiler
#: (``actual`` = the target's metric).
DYNAMIC_MEASURES = frozenset({"actual"})


def get(metric: str) -> Kpi:
    """The KPI ``metric``; raises :class:`UnknownMetric` (a KeyError) for an unknown id."""
    try:
        return CATALOG[metric]
    except KeyError:
        raise UnknownMetric(metric) from None


def ids() -> list[str]:
    """Every KPI id, in catalog order."""
    return list(CATALOG)


def all_kpis() -> tuple[Kpi, ...]:
    """Every KPI, in catalog order."""
    return KPIS


def _check() -> None:
    for kpi in KPIS:
        missing = kpi.formula.measures() - set(MEASURES) - DYNAMIC_MEASURES
        if missing:  # pragma: no cover - a definition error caught at import
            raise RuntimeError(f"KPI {kpi.id} uses unknown measures {sorted(missing)}")


_check()
