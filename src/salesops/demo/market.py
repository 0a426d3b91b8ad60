"""Marketing spend (per channel, month and region) and market size (per region, product line
and year).

Spend follows the season and each region's growth; trade-fair money goes to the fair months.
The market grows 6-14 % a year everywhere, so a region whose revenue shrinks (华北) loses
market share, and the fast-growing ones gain it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from salesops.demo.catalog import (
    FAIR_MONTHS,
    MARKETING_CHANNELS,
    MONTH_WEIGHTS,
    PRODUCT_LINES,
    PRODUCTS,
)
from salesops.demo.config import DemoConfig
from salesops.demo.frame import Cat, Frame, Ref
from salesops.demo.orders import Orders
from salesops.demo.org import Org, stream
from salesops.demo.timeline import EPOCH, Timeline


def build_marketing(config: DemoConfig, timeline: Timeline, org: Org) -> Frame:
    """Monthly spend per marketing channel and region, from the first month to today's."""
    rng = stream(config, "marketing")
    first = timeline.month_of(np.array([0]))[0]
    last = timeline.month_of(np.array([timeline.days - 1]))[0]
    months = np.arange(first, last + 1)
    regions = len(org.regions)
    channels = len(MARKETING_CHANNELS)
    m, c, r = (
        a.ravel()
        for a in np.meshgrid(months, np.arange(channels), np.arange(regions), indexing="ij")
    )
    month_no = m % 12 + 1
    years = (m - first) / 12
    weights = np.array([g.weight for g in org.regions])
    budget = np.array([b for _, b in MARKETING_CHANNELS], dtype=float)[c]
    fair = np.array([name == "展会" for name, _ in MARKETING_CHANNELS])[c]
    seasonal = np.where(
        fair,
        np.where(np.isin(month_no, FAIR_MONTHS), 2.2, 0.3),
        np.asarray(MONTH_WEIGHTS)[month_no - 1],
    )
    amount = (
        budget
        * config.money_scale
        * weights[r]
        / weights.sum()
        * seasonal
        * org.growth[r] ** years
        * rng.uniform(0.85, 1.15, len(m))
    )
    cents = np.round(amount, -2).astype(np.int64) * 100
    starts = m.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    labels = [
        f"MS-{np.datetime64(int(mm), 'M')!s}-C{cc + 1}-R{rr + 1}"
        for mm, cc, rr in zip(m, c, r, strict=True)
    ]
    return Frame(
        "marketing_spend",
        len(m),
        {
            "external_id": labels,
            "channel": Cat(c, [name for name, _ in MARKETING_CHANNELS]),
            "period_start": starts,
            "period_grain": Cat(np.zeros(len(m), dtype=np.int64), ("month",)),
            "amount": cents,
            "region_id": Ref("region", r),
        },
    )


def build_market_size(config: DemoConfig, timeline: Timeline, org: Org, orders: Orders) -> Frame:
    """Yearly market size per region and product line, from the first year's revenue and an
    assumed 3-8 % share, growing 6-14 % a year."""
    rng = stream(config, "market")
    years = np.arange(config.start.year, config.today.year + 1)
    regions, lines = len(org.regions), len(PRODUCT_LINES)
    line_of = np.array([PRODUCT_LINES.index(p.line) for p in PRODUCTS])
    first_year = timeline.year_of(orders.day) == years[0]
    normal = orders.line_normal & first_year[orders.line_order]
    key = orders.region[orders.line_order] * lines + line_of[orders.line_product]
    revenue = np.bincount(
        key, weights=np.where(normal, orders.line_amount, 0), minlength=regions * lines
    )
    floor = 2_000_000_00 * config.money_scale / regions  # cents: a market nobody here sells to yet
    base = np.maximum(revenue / rng.uniform(0.03, 0.08, regions * lines), floor)
    growth = 1 + rng.uniform(0.06, 0.14, (len(years), regions * lines))
    growth[0] = 1.0
    size = base[None, :] * np.cumprod(growth, axis=0)
    y, k = (
        a.ravel()
        for a in np.meshgrid(np.arange(len(years)), np.arange(regions * lines), indexing="ij")
    )
    starts = np.array([(dt.date(int(years[i]), 1, 1) - EPOCH).days for i in y])
    return Frame(
        "market_size",
        len(y),
        {
            "external_id": [
                f"MKT-{years[i]}-R{kk // lines + 1}-L{kk % lines + 1}"
                for i, kk in zip(y, k, strict=True)
            ],
            "region_id": Ref("region", k // lines),
            "product_line": Cat(k % lines, PRODUCT_LINES),
            "period_start": starts,
            "period_grain": Cat(np.zeros(len(y), dtype=np.int64), ("year",)),
            "amount": (np.round(size.ravel(), -6)).astype(np.int64),
        },
    )
