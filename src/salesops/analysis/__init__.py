"""Customer and pipeline analyses (tiers, RFM, lifecycle, churn, credit, cohorts, funnel)."""
