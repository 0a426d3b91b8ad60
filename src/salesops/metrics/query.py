"""The query model shared by the CLI, the API, pages, targets, alerts and reports.

The metrics engine (``salesops.metrics.engine``) turns a :class:`MetricQuery` into SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

Grain = Literal["day", "week", "month", "quarter", "year", "fiscal_quarter", "fiscal_year"]
Compare = Literal["prev", "yoy"]

#: Dimension ids of SPEC §5; values are display names (rep name, product name, region name).
DIMENSIONS = (
    "region",
    "customer_region",
    "team",
    "rep",
    "product",
    "product_line",
    "channel",
    "source_channel",
    "customer",
    "industry",
    "segment",
    "stage",
    "competitor",
    "lost_reason",
    "kind",
    "category",
    # issue #28: the customer's size (employees) in bands, see dimensions.size_band
    "customer_size",
    # issue #28: the customer's engagement band (high / medium / low / none) as of the query's
    # as-of or end date, see dimensions.band_day and metrics.engagement
    "engagement_band",
)


@dataclass(frozen=True)
class MetricQuery:
    """One KPI, grouped by dimensions and/or a time grain, over a period, with filters.

    ``start``/``end`` are inclusive dates; None means "all the data". ``as_of`` evaluates stock
    KPIs (open pipeline, overdue receivables) as they stood on that date. ``where`` maps a
    dimension id to the display values to keep (OR within a dimension, AND across).
    """

    metric: str
    by: tuple[str, ...] = ()
    grain: Grain | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    as_of: dt.date | None = None
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()
    compare: Compare | None = None
    sort: str | None = None  # "value", "-value" or a dimension id
    limit: int | None = None
    extra: tuple[tuple[str, Any], ...] = field(default=())

    def filters(self) -> dict[str, tuple[str, ...]]:
        return dict(self.where)
