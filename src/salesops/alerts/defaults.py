"""The rule set a new company starts with (``salesops alerts defaults``, and the demo).

Chosen to speak rarely and mean it: a collection rate below 85 % last month by region; weekly
bookings more than 2σ below their 8-week mean; monthly revenue by region down 20 % on the
month before; revenue attainment 15 % behind the month's pace; deals past their stage's p90;
new churn warnings of key accounts (200,000 or more in 12 months; revenue or orders down
70 %, or silent for three buying intervals); more than 50,000 overdue by more than 60 days;
deals of 500,000 or more won or lost in the last week; credit grades that fell in the last
30 days. Item rules make one alert per team (its manager's view); group robots and e-mail get
one digest per team and run."""

from __future__ import annotations

from sqlalchemy import Engine, select

from salesops.alerts.rules import RuleSpec, parse_rule
from salesops.auth.audit import Actor

DEFAULT_RULES: list[dict[str, object]] = [
    {
        "name": "回款率偏低 Collection rate below 85%",
        "kind": "threshold",
        "metric": "collection_rate",
        "by": ["region"],
        "period": "last_month",
        "op": "<",
        "value": 0.85,
        "severity": "warning",
        "schedule": "0 8 2 * *",
    },
    {
        "name": "周签约骤降 Weekly bookings fell 2σ",
        "kind": "change",
        "metric": "bookings",
        "grain": "week",
        "baseline": "rolling",
        "periods": 8,
        "k": 2,
        "direction": "down",
        "severity": "critical",
        "schedule": "0 8 * * 1",
    },
    {
        "name": "月销售额环比下降 Monthly revenue down 20%",
        "kind": "change",
        "metric": "revenue",
        "grain": "month",
        "baseline": "prev",
        "min_change": 0.2,
        "by": ["region"],
        "severity": "warning",
        "schedule": "0 8 1 * *",
    },
    {
        "name": "目标进度落后 Behind the month's pace",
        "kind": "pacing",
        "period": "this_month",
        "behind": 0.15,
        "severity": "warning",
        "schedule": "0 9 * * 1",
    },
    {
        "name": "停滞商机 Stuck deals",
        "kind": "stuck_deals",
        "quantile": 0.9,
        "severity": "info",
        "schedule": "0 8 * * 1",
    },
    {
        # tuned on the demo company (docs/alerts.md): key accounts (>= 200,000 in 12 months)
        # whose revenue or orders fell by 70 % or that are silent for 3 buying intervals
        "name": "新流失预警 New churn warnings",
        "kind": "churn_warning",
        "drop_threshold": 0.7,
        "silence_factor": 3.0,
        "min_revenue": 200000,
        "severity": "warning",
        "schedule": "0 8 * * *",
    },
    {
        "name": "逾期应收 Overdue receivables",
        "kind": "overdue_receivables",
        "days": 60,
        "amount": 50000,
        "severity": "warning",
        "schedule": "0 8 * * *",
    },
    {
        "name": "大单赢输 Big deals won or lost",
        "kind": "big_deal",
        "amount": 500000,
        "days": 7,
        "outcome": "both",
        "severity": "info",
        "schedule": "0 8 * * *",
    },
    {
        "name": "信用等级下降 Credit grade dropped",
        "kind": "credit_grade_drop",
        "days": 30,
        "severity": "warning",
        "schedule": "0 8 * * 1",
    },
]


def default_specs() -> list[RuleSpec]:
    return [parse_rule(r) for r in DEFAULT_RULES]


def install(engine: Engine, actor: Actor | None = None) -> int:
    """Add the default rules that do not exist yet (by name); how many were added."""
    from salesops.alerts.store import save_rules
    from salesops.db.schema import AlertRule

    with engine.connect() as conn:
        have = set(conn.execute(select(AlertRule.name)).scalars())
    missing = [s for s in default_specs() if s.name not in have]
    if missing:
        save_rules(engine, missing, actor or Actor.cli())
    return len(missing)
