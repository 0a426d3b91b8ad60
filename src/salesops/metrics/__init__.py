"""Metrics engine: KPI catalog (definitions as data) -> compiler (query model -> SQL) -> engine.

Every number on every page, alert, report, target and export comes from here.
"""
