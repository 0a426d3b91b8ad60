"""The report's words in Chinese and English (reports are files and messages, read outside the
board, so their text lives here, like the alerts' words; KPI names come from the catalog)."""

from __future__ import annotations

from salesops.metrics import catalog

WORDS: dict[str, tuple[str, str]] = {
    "daily": ("销售日报", "Daily sales report"),
    "weekly": ("销售周报", "Weekly sales report"),
    "monthly": ("销售月报", "Monthly sales report"),
    "quarterly": ("季度复盘", "Quarterly review"),
    "yearly": ("年度总结", "Annual review"),
    "company": ("全公司", "Company"),
    "summary": ("摘要", "Summary"),
    "headline": ("核心指标", "Headline KPIs"),
    "revenue_bridge": ("销售额变动分解", "Revenue bridge"),
    "bookings_bridge": ("签约额变动分解", "Bookings bridge"),
    "revenue_mix": ("销售额：结构与效率", "Revenue: mix against rate"),
    "bookings_mix": ("签约额：结构与效率", "Bookings: mix against rate"),
    "movement": ("商机变动", "Pipeline movement"),
    "coverage": ("下期目标覆盖", "Coverage of next period's target"),
    "stuck": ("停滞商机", "Stuck deals"),
    "attainment": ("目标达成与进度", "Target attainment and pacing"),
    "performers": ("业绩排名", "Top and bottom performers"),
    "customers_title": ("客户", "Customers"),
    "churn": ("流失预警", "Churn warnings"),
    "feedback": ("客户反馈", "Customer feedback"),
    "alerts": ("本期预警", "Alerts of the period"),
    "actions": ("行动项", "Action items"),
    "orders": ("订单", "Orders"),
    "tasks_today": ("今日任务", "Today's tasks"),
    # columns
    "metric": ("指标", "KPI"),
    "value": ("本期", "This period"),
    "target": ("目标", "Target"),
    "attainment_pct": ("达成率", "Attainment"),
    "previous": ("上期", "Previous period"),
    "change_prev": ("环比", "vs previous"),
    "year_ago": ("去年同期", "Same period last year"),
    "change_yoy": ("同比", "vs last year"),
    "driver": ("因素", "Driver"),
    "amount": ("金额", "Amount"),
    "segment": ("分组", "Segment"),
    "before": ("上期", "Previous"),
    "after": ("本期", "This period"),
    "change": ("变动", "Change"),
    "volume": ("规模", "Volume"),
    "mix": ("结构", "Mix"),
    "rate": ("效率", "Rate"),
    "bucket": ("类型", "Movement"),
    "count": ("数量", "Count"),
    "amount_change": ("金额变动", "Amount change"),
    "item": ("项目", "Item"),
    "opportunity": ("商机", "Opportunity"),
    "customer": ("客户", "Customer"),
    "owner": ("负责人", "Owner"),
    "stage": ("阶段", "Stage"),
    "days_in_stage": ("停留天数", "Days in stage"),
    "scope": ("范围", "Scope"),
    "actual": ("实际", "Actual"),
    "pacing": ("进度", "Pacing"),
    "status": ("状态", "Status"),
    "rep": ("销售", "Rep"),
    "region": ("区域", "Region"),
    "team": ("团队", "Team"),
    "rank": ("排名", "Rank"),
    "bookings": ("签约额", "Bookings"),
    "reason": ("原因", "Reason"),
    "reason_detail": ("说明", "Why"),
    "rule": ("规则", "Rule"),
    "subject": ("对象", "Subject"),
    "severity": ("级别", "Severity"),
    "fired_at": ("触发时间", "Fired at"),
    "title": ("事项", "Item"),
    "due_on": ("截止日期", "Due"),
    "state": ("状态", "State"),
    "revenue_12m": ("近12个月销售额", "Revenue, last 12 months"),
    "why": ("原因", "Why"),
    # drivers
    "start": ("期初", "Start"),
    "end": ("期末", "End"),
    "customers": ("客户数", "Customers"),
    "orders_per_customer": ("人均订单数", "Orders per customer"),
    "avg_order_value": ("客单价", "Average order value"),
    "deals_closed": ("结单数", "Deals closed"),
    "win_rate": ("赢单率", "Win rate"),
    "avg_deal_size": ("平均成交金额", "Average deal size"),
    "top": ("领先", "top"),
    "bottom": ("落后", "bottom"),
    # states
    "due": ("本期到期", "due"),
    "done": ("已完成", "done"),
    "overdue": ("已逾期", "overdue"),
    "open": ("进行中", "open"),
    "pipeline_for_next": ("下期预计成交的在途商机", "Open pipeline expected next period"),
    "next_target": ("下期目标", "Next period's target"),
    "coverage_ratio": ("覆盖率", "Coverage"),
    "new_warnings": ("新预警", "New warnings"),
    "open_complaints": ("未关闭的反馈", "Open feedback items"),
    "overdue_feedback": ("逾期未处理的反馈", "Overdue feedback items"),
    "none": ("无", "none"),
    "generated": ("生成时间", "Generated"),
    "period": ("期间", "Period"),
}


def word(key: str, lang: str) -> str:
    """``key`` in ``lang`` (zh or en); a KPI id gives the KPI's catalog name."""
    pair = WORDS.get(key)
    if pair is None:
        try:
            kpi = catalog.get(key)
        except (KeyError, ValueError):
            return key
        return kpi.name_zh if lang == "zh" else kpi.name_en
    return pair[0] if lang == "zh" else pair[1]
