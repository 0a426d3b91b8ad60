"""Names the command line shows and completes, kept light: stdlib only.

``salesops --help`` and shell completion must not import SQLAlchemy, the KPI catalog or the
importer (about two seconds). The lists here repeat ids defined elsewhere; a test
(``tests/cli/test_names.py``) fails when they drift from the catalog, the importer's entities
or the target methods, so adding a KPI or an entity means adding one line here too.
"""

from __future__ import annotations

from salesops.metrics.query import DIMENSIONS  # stdlib only

#: KPI id → English name (metrics/catalog.py).
KPIS: dict[str, str] = {
    "revenue": "Revenue",
    "gross_profit": "Gross profit",
    "gross_margin": "Gross margin",
    "orders": "Orders",
    "units_sold": "Units sold",
    "task_completion": "Task completion",
    "warning_follow_up": "Warnings followed up",
    "aov": "Average order value",
    "active_customers": "Active customers",
    "new_customers": "New customers",
    "repeat_rate": "Repeat purchase rate",
    "bookings": "Bookings",
    "won_deals": "Won deals",
    "lost_deals": "Lost deals",
    "win_rate": "Win rate",
    "avg_deal_size": "Average deal size",
    "sales_cycle_days": "Sales cycle",
    "new_opportunities": "New opportunities",
    "new_pipeline": "New pipeline",
    "open_opportunities": "Open opportunities",
    "open_pipeline": "Open pipeline",
    "weighted_pipeline": "Weighted pipeline",
    "pipeline_coverage": "Pipeline coverage",
    "sales_velocity": "Sales velocity",
    "stage_conversion": "Stage conversion",
    "stage_dwell_days": "Days in stage",
    "lead_conversion": "Lead conversion",
    "collection_rate": "Collection rate",
    "overdue_receivables": "Overdue receivables",
    "marketing_spend": "Marketing spend",
    "cac": "Customer acquisition cost",
    "retention_rate": "Customer retention",
    "churn_rate": "Customer churn",
    "clv": "Customer lifetime value",
    "per_rep_output": "Revenue per rep",
    "activities": "Activities",
    "visit_conversion": "Visit conversion",
    "nps": "Net promoter score",
    "csat": "Customer satisfaction",
    "feedback_resolution_days": "Feedback resolution time",
    "target_attainment": "Target attainment",
    "pacing": "Pacing",
    "market_share": "Market share",
    # issue #25
    "market_size": "Market size",
    "leads": "Leads",
    "nps_responses": "NPS responses",
    "penetration": "Penetration",
    "roi": "Marketing ROI",
    "clv_cac": "CLV / CAC",
    "feedback_first_response_days": "Time to first response",
    "feedback_sla_rate": "Resolved within SLA",
    "feedback_informed_rate": "Customers informed",
}

#: Entities ``salesops import`` / ``export`` know (ingest/fields.py ``ENTITIES``).
ENTITIES: tuple[str, ...] = (
    "org_unit",
    "rep",
    "product",
    "customer",
    "pipeline_stage",
    "opportunity",
    "opportunity_change",
    "lead",
    "order_line",
    "payment",
    "activity",
    "feedback",
    "marketing_spend",
    "market_size",
    "target",
    "announcement",
)

#: Grains of ``salesops metric --grain`` (metrics/query.py ``Grain``).
GRAINS: tuple[str, ...] = (
    "day",
    "week",
    "month",
    "quarter",
    "year",
    "fiscal_quarter",
    "fiscal_year",
)

#: Target decomposition methods (targets/decompose.py) and pacing bases (targets/attainment.py).
TIME_METHODS: tuple[str, ...] = ("even", "calendar_days", "working_days", "seasonality")
ORG_METHODS: tuple[str, ...] = ("even", "weights", "share")
BASES: tuple[str, ...] = ("calendar", "working")

#: issue #27: ``salesops people`` — plan bases (people/plans.py) and output formats.
PLAN_BASES: tuple[str, ...] = ("revenue", "bookings", "collected")
OUTPUT_FORMATS: tuple[str, ...] = ("table", "json", "csv")
PEOPLE_COMMANDS: tuple[str, ...] = ("load-plans", "load-scorecard", "statement", "scores")

__all__ = [
    "BASES",
    "DIMENSIONS",
    "ENTITIES",
    "FORECAST_METHODS",
    "GRAINS",
    "KPIS",
    "ORG_METHODS",
    "OUTPUT_FORMATS",
    "PEOPLE_COMMANDS",
    "PLAN_BASES",
    "SERIES_METHODS",
    "TIME_METHODS",
]

#: Forecast methods (forecast/compute.py ``METHODS``, forecast/series.py ``METHODS``; issue #20).
FORECAST_METHODS: tuple[str, ...] = ("landing", "stage_weighted", "last_year_growth")
SERIES_METHODS: tuple[str, ...] = ("auto", "seasonal_naive", "ets", "arima", "theta")

#: ``salesops alerts`` choices (alerts/rules.py, notify/channels.py).
ALERT_STATES: tuple[str, ...] = ("active", "snoozed", "acknowledged", "all")
CHANNEL_KINDS: tuple[str, ...] = ("dingtalk", "wecom", "feishu", "slack", "webhook", "email")
