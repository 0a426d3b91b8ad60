"""The overview query set of the board: every KPI of the catalog for one year, as a total,
by month, by region and by rep (where the dimension applies to the KPI)."""

from __future__ import annotations

import datetime as dt

from salesops.metrics import catalog
from salesops.metrics.compiler.plan import kpi_formula
from salesops.metrics.dimensions import applies
from salesops.metrics.measures import MEASURES
from salesops.metrics.query import MetricQuery

SHAPES = ("total", "month", "region", "rep")


def applicable(metric: str, dim: str) -> bool:
    """Whether ``dim`` applies to every fact ``metric`` counts on (targets never restrict)."""
    kpi = catalog.get(metric)
    names = kpi_formula(kpi, {}).measures()
    return all(applies(MEASURES[n].fact, dim) for n in names if MEASURES[n].fact != "target")


def overview_queries(year: int) -> list[MetricQuery]:
    """Every KPI for calendar ``year``: total, by month, by region, by rep."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    out: list[MetricQuery] = []
    for metric in catalog.ids():
        out.append(MetricQuery(metric, start=start, end=end))
        out.append(MetricQuery(metric, grain="month", start=start, end=end))
        for dim in ("region", "rep"):
            if applicable(metric, dim):
                out.append(MetricQuery(metric, by=(dim,), start=start, end=end))
    return out
