"""A rule and its numbers in words, in Chinese and English (stored with every alert, so a
message reads the same whatever the receiver's board language is)."""

from __future__ import annotations

from typing import Any

from salesops.alerts.rules import RuleSpec
from salesops.metrics import catalog

DIMS: dict[str, tuple[str, str]] = {
    "region": ("区域", "region"),
    "customer_region": ("客户区域", "customer region"),
    "team": ("团队", "team"),
    "rep": ("销售", "rep"),
    "product": ("产品", "product"),
    "product_line": ("产品线", "product line"),
    "channel": ("渠道", "channel"),
    "source_channel": ("来源渠道", "source channel"),
    "customer": ("客户", "customer"),
    "industry": ("行业", "industry"),
    "segment": ("客户类型", "segment"),
    "stage": ("阶段", "stage"),
    "competitor": ("竞争对手", "competitor"),
    "lost_reason": ("输单原因", "lost reason"),
    "kind": ("类型", "kind"),
    "category": ("类别", "category"),
}
PERIODS: dict[str, tuple[str, str]] = {
    "today": ("今天", "today"),
    "yesterday": ("昨天", "yesterday"),
    "this_week": ("本周", "this week"),
    "last_week": ("上周", "last week"),
    "this_month": ("本月", "this month"),
    "last_month": ("上月", "last month"),
    "this_quarter": ("本季度", "this quarter"),
    "last_quarter": ("上季度", "last quarter"),
    "this_year": ("今年", "this year"),
    "last_7_days": ("近 7 天", "the last 7 days"),
    "last_30_days": ("近 30 天", "the last 30 days"),
    "last_90_days": ("近 90 天", "the last 90 days"),
}
GRAINS: dict[str, tuple[str, str]] = {
    "week": ("周", "week"),
    "month": ("月", "month"),
    "quarter": ("季度", "quarter"),
}
SEVERITY: dict[str, tuple[str, str]] = {
    "info": ("提示", "info"),
    "warning": ("警告", "warning"),
    "critical": ("严重", "critical"),
}


def metric_names(metric: str) -> tuple[str, str]:
    kpi = catalog.get(metric)
    return kpi.name_zh, kpi.name_en


def number(value: float | None, unit: str) -> str:
    """A number as a message shows it: ratios in per cent, money with thousands separators."""
    if value is None:
        return "–"
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "count":
        return f"{value:,.0f}"
    if unit in ("days",):
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def _where(spec: RuleSpec, zh: bool) -> str:
    if not spec.where:
        return ""
    parts = [f"{DIMS[d][0 if zh else 1]}={'/'.join(v)}" for d, v in sorted(spec.where.items())]
    return ("，".join(parts) + "，") if zh else (" where " + ", ".join(parts))


def describe(spec: RuleSpec) -> dict[str, str]:
    """The rule in one sentence: ``{"zh": ..., "en": ...}``."""
    k = spec.kind
    if k in ("threshold", "change"):
        assert spec.metric is not None
        mzh, men = metric_names(spec.metric)
        unit = catalog.get(spec.metric).unit
        by_zh = f"（按{'、'.join(DIMS[d][0] for d in spec.by)}）" if spec.by else ""
        by_en = f" by {', '.join(DIMS[d][1] for d in spec.by)}" if spec.by else ""
        if k == "threshold":
            pzh, pen = PERIODS[spec.period]
            v = number(spec.value, unit)
            return {
                "zh": f"{_where(spec, True)}{pzh}{mzh}{by_zh} {spec.op} {v}",
                "en": f"{men}{by_en}{_where(spec, False)} {pen} {spec.op} {v}",
            }
        gzh, gen = GRAINS[spec.grain]
        dzh = {"down": "下降", "up": "上升", "any": "变化"}[spec.direction]
        den = {"down": "fell", "up": "rose", "any": "moved"}[spec.direction]
        if spec.baseline == "rolling":
            return {
                "zh": f"{_where(spec, True)}上一{gzh}{mzh}{by_zh}较前 {spec.periods} 个{gzh}的均值"
                f"{dzh}超过 {spec.k:g}σ",
                "en": f"{men}{by_en}{_where(spec, False)} of the last {gen} {den} by more "
                f"than {spec.k:g}σ against the mean of the {spec.periods} {gen}s before",
            }
        bzh = "上一期" if spec.baseline == "prev" else "去年同期"
        ben = "the period before" if spec.baseline == "prev" else "the same period last year"
        pct = f"{spec.min_change * 100:g}%"
        return {
            "zh": f"{_where(spec, True)}上一{gzh}{mzh}{by_zh}较{bzh}{dzh}超过 {pct}",
            "en": f"{men}{by_en}{_where(spec, False)} of the last {gen} {den} by more than "
            f"{pct} against {ben}",
        }
    if k == "pacing":
        mzh, men = metric_names(spec.target_metric or "revenue")
        pzh, pen = PERIODS[spec.period]
        pct = f"{spec.behind * 100:g}%"
        if spec.pace == "seasonal":
            return {
                "zh": f"{pzh}{mzh}目标达成落后于季节性进度（去年同期节奏）超过 {pct}",
                "en": f"{men} target attainment {pen} behind the seasonal pace (last year's "
                f"shape) by more than {pct}",
            }
        return {
            "zh": f"{pzh}{mzh}目标达成落后于时间进度超过 {pct}",
            "en": f"{men} target attainment {pen} behind the period's pace by more than {pct}",
        }
    if k == "stuck_deals":
        if spec.days is not None:
            return {
                "zh": f"在途商机在当前阶段停留超过 {spec.days} 天",
                "en": f"open deals in their stage for more than {spec.days} days",
            }
        q = f"p{spec.quantile * 100:g}"
        return {
            "zh": f"在途商机在当前阶段停留超过该阶段历史停留时长的 {q}",
            "en": f"open deals in their stage longer than that stage's {q} of past stays",
        }
    if k == "churn_warning":
        return {"zh": "新出现的客户流失预警", "en": "new churn warnings"}
    if k == "overdue_receivables":
        amount = number(spec.amount or 0, "money")
        days = spec.days or 0
        return {
            "zh": f"客户逾期超过 {days} 天的应收款超过 {amount}",
            "en": f"customers with more than {amount} overdue by more than {days} days",
        }
    if k == "big_deal":
        out = {
            "won": ("赢单", "won"),
            "lost": ("输单", "lost"),
            "both": ("赢单或输单", "won or lost"),
        }
        ozh, oen = out[spec.outcome]
        amount = number(spec.amount, "money")
        days = spec.days or 7
        return {
            "zh": f"近 {days} 天{ozh}的大单（金额 ≥ {amount}）",
            "en": f"big deals (≥ {amount}) {oen} in the last {days} days",
        }
    if k == "failed_imports":
        days = spec.days or 1
        return {
            "zh": f"近 {days} 天失败的定时导入",
            "en": f"scheduled imports that failed in the last {days} day(s)",
        }
    days = spec.days or 30
    return {
        "zh": f"客户信用等级较 {days} 天前下降",
        "en": f"customers whose credit grade dropped since {days} days ago",
    }


def scope_words(kind: str, name: str | None) -> dict[str, str]:
    if kind == "all":
        return {"zh": "全公司", "en": "whole company"}
    if kind == "org_unit":
        return {"zh": f"{name}（含下级）", "en": f"{name} and below"}
    return {"zh": f"销售 {name}", "en": f"rep {name}"}


def finding_words(spec: RuleSpec, info: dict[str, Any]) -> dict[str, str]:
    """What happened, one line: value against threshold/baseline, or how many items."""
    unit = info.get("unit", "money")
    subject = info.get("subject_text") or ""
    val = number(info.get("value"), unit)
    if spec.kind == "threshold":
        thr = number(spec.value, unit)
        return {
            "zh": f"{subject}{info['metric_zh']}为 {val}，阈值 {spec.op} {thr}",
            "en": f"{subject}{info['metric_en']} is {val}, threshold {spec.op} {thr}",
        }
    if spec.kind == "change":
        base = number(info.get("baseline"), unit)
        ch = info.get("change")
        chs = f"{ch * 100:+.1f}%" if ch is not None else "–"
        if spec.baseline == "rolling":
            sd = number(info.get("sigma"), unit)
            z = info.get("z")
            zs = f"{z:+.1f}σ" if z is not None else "–"
            return {
                "zh": f"{subject}{info['metric_zh']} {val}，前 {spec.periods} 期均值 {base}"
                f"（σ {sd}），偏离 {zs}",
                "en": f"{subject}{info['metric_en']} {val} against a mean of {base} "
                f"(σ {sd}) over {spec.periods} periods: {zs}",
            }
        return {
            "zh": f"{subject}{info['metric_zh']} {val}，基准 {base}，变化 {chs}",
            "en": f"{subject}{info['metric_en']} {val} against {base}: {chs}",
        }
    if spec.kind == "pacing":
        pace = number(info.get("baseline"), "ratio")
        pacing = number(info.get("pacing"), "ratio")
        if info.get("pace_kind") == "seasonal":
            return {
                "zh": f"{subject}目标达成 {val}，按去年同期节奏应达 {pace}，进度达成 {pacing}",
                "en": f"{subject}attainment {val} against last year's seasonal pace of {pace}: "
                f"pacing {pacing}",
            }
        return {
            "zh": f"{subject}目标达成 {val}，时间进度 {pace}，进度达成 {pacing}",
            "en": f"{subject}attainment {val} against a pace of {pace}: pacing {pacing}",
        }
    n = info.get("items_count", 0)
    total = number(info.get("amount"), "money")
    return {
        "zh": f"{subject}{n} 项，合计金额 {total}",
        "en": f"{subject}{n} item(s), amount {total}",
    }
