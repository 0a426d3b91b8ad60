"""Customer and pipeline analyses, computed in the database over the caller's scope and filters.

Customers: ``tiers`` (ABC), ``rfm``, ``lifecycle``, ``churn``, ``credit``, ``cohorts``.
Pipeline: ``funnel``, ``stuck``, ``deals`` (source channels, win/loss), ``movement``.
Shared: ``common`` (filters, results, money), ``facts`` (scope and filters per fact table),
``pipeline_history`` (opportunity history views). Definitions: docs/analyses.md.
"""
