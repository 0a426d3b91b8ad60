"""Customers: geography, industry, size, segment, source channel, owner, value and fate.

About two thirds of the customers already buy when the history starts; the rest are won during it
(the day of their first opportunity). A customer's *value* (log-normal, times its size) sets
how much it buys; its region's churn rate decides whether and when it stops. A few of the
most valuable old customers are made to stop more than a year before today, so the board
has high-value churned accounts to warn about.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesops.demo.catalog import (
    BRAND_FIRST,
    BRAND_SECOND,
    INDUSTRIES,
    SEGMENTS,
    SIZES,
    SOURCE_CHANNELS,
    STRATEGIC,
)
from salesops.demo.config import DemoConfig
from salesops.demo.frame import NULL, Cat, Code, Frame, Ref
from salesops.demo.org import Org, pick_reps, rep_at, stream
from salesops.demo.timeline import LEAD_DAYS, Timeline

EXISTING_SHARE = 0.65
PAYERS = ("good", "slow", "bad")


@dataclass
class Customers:
    """Per-customer arrays (row i is customer row i)."""

    geo: np.ndarray  # the customer's own region
    sales_region: np.ndarray  # the owner's region
    owner: np.ndarray  # owner when the customer starts (history day ``start``)
    size: np.ndarray  # index into SIZES
    industry: np.ndarray
    source: np.ndarray  # index into SOURCE_CHANNELS
    value: np.ndarray  # relative buying power
    start: np.ndarray  # first history day as a customer (0 for old customers)
    end: np.ndarray  # last day it may buy (churn day, or the last day of the history)
    churned: np.ndarray  # bool
    existing: np.ndarray  # bool: a customer before the history started
    buyer: np.ndarray  # bool: old customers that buy (False: old prospects)
    payer: np.ndarray  # index into PAYERS
    happiness: np.ndarray  # latent satisfaction, drives NPS and CSAT
    names: list[str]
    frame: Frame

    @property
    def count(self) -> int:
        return len(self.geo)


def build_customers(config: DemoConfig, timeline: Timeline, org: Org) -> Customers:
    """Generate the customers of the demo company."""
    rng = stream(config, "customers")
    n, days = config.customers, timeline.days
    weights = np.array([r.weight for r in org.regions])
    geo = rng.choice(len(weights), n, p=weights / weights.sum())
    # Key accounts in other regions are often served from headquarters' region (华东).
    sales_region = np.where(rng.random(n) < 0.08, 0, geo)
    size = rng.choice(len(SIZES), n, p=_p([s[1] for s in SIZES]))
    industry = rng.choice(len(INDUSTRIES), n, p=_p([i[1] for i in INDUSTRIES]))
    source = rng.choice(len(SOURCE_CHANNELS), n, p=_p([c[1] for c in SOURCE_CHANNELS]))
    value = np.exp(rng.normal(0.0, 0.9, n)) * np.array([s[2] for s in SIZES])[size]

    existing = rng.random(n) < EXISTING_SHARE
    start = np.zeros(n, dtype=np.int64)
    newcomers = np.flatnonzero(~existing)
    start[newcomers] = timeline.draw(
        rng,
        sales_region[newcomers],
        np.zeros(len(newcomers), dtype=np.int64),
        np.full(len(newcomers), max(days - 15, 0)),
    )
    # Old customers were created before any deal of theirs (some start before day 0).
    created = np.where(existing, -rng.integers(LEAD_DAYS + 30, 6 * 365, n), start)
    buyer = existing & (rng.random(n) < 0.92)

    churn_rate = np.array([r.churn for r in org.regions])[geo]
    # A declining region loses its bigger accounts first.
    rank = np.argsort(np.argsort(value)) / max(n - 1, 1)
    declining = np.array([r.growth < 1 for r in org.regions])[geo]
    churn_rate = np.where(declining, churn_rate * (0.4 + 1.2 * rank), churn_rate)
    lo = np.maximum(start + 90, 150)
    can_churn = lo < days - 20
    churned = can_churn & (rng.random(n) < churn_rate)
    end = np.full(n, days - 1, dtype=np.int64)
    end[churned] = rng.integers(lo[churned], days - 20)
    # Some of the most valuable old customers stop buying more than a year before today.
    big = np.flatnonzero(buyer & (value >= np.quantile(value, 0.9)))
    forced = rng.permutation(big)[: max(1, n // 250)]
    end[forced] = np.maximum(days - 1 - rng.integers(380, 600, len(forced)), 60)
    churned[forced] = True

    # Old customers' owners must be there for deals in flight when the history starts.
    owner = pick_reps(rng, org, sales_region, np.where(existing, -LEAD_DAYS, start))
    payer = np.where(
        churned,
        rng.choice(3, n, p=[0.55, 0.20, 0.25]),
        rng.choice(3, n, p=[0.86, 0.11, 0.03]),
    )
    happiness = rng.normal(0.0, 1.0, n) - 1.1 * churned
    segment = size.copy()
    segment[value >= np.quantile(value, 0.97)] = len(SIZES) - 1
    names, cities = _names(rng, org, geo, industry)
    credit = np.array([s[3] for s in SIZES])[size] * rng.choice([0.8, 1.0, 1.2, 1.5], n)
    credit_cents = np.where(rng.random(n) < 0.08, NULL, np.round(credit, -4).astype(np.int64) * 100)
    current_owner = rep_at(org, owner, np.full(n, days - 1))
    frame = Frame(
        "customer",
        n,
        {
            "external_id": Code("C", max(6, len(str(n)))),
            "name": names,
            "industry": Cat(industry, [i[0] for i in INDUSTRIES]),
            "segment": Cat(segment, _segment_labels()),
            "size": Cat(size, [s[0] for s in SIZES]),
            "region_id": Ref("region", geo),
            "city": cities,
            "source_channel": Cat(source, [c[0] for c in SOURCE_CHANNELS]),
            "owner_id": Ref("rep", current_owner),
            "created_on": timeline.epoch_day(created),
            "credit_limit": credit_cents,
        },
    )
    return Customers(
        geo=geo,
        sales_region=sales_region,
        owner=owner,
        size=size,
        industry=industry,
        source=source,
        value=value,
        start=start,
        end=end,
        churned=churned,
        existing=existing,
        buyer=buyer,
        payer=payer,
        happiness=happiness,
        names=names,
        frame=frame,
    )


def _p(weights: list[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def _segment_labels() -> list[str]:
    labels = list(SEGMENTS)
    assert labels[-1] == STRATEGIC
    return labels


def _names(
    rng: np.random.Generator, org: Org, geo: np.ndarray, industry: np.ndarray
) -> tuple[list[str], list[str]]:
    """Distinct company names: city + two-character brand + an industry's company suffix."""
    n = len(geo)
    names: list[str] = [""] * n
    cities: list[str] = [""] * n
    city = np.zeros(n, dtype=int)
    slots = len(INDUSTRIES[0][2])
    capacity = len(BRAND_FIRST) * len(BRAND_SECOND) * slots
    for r, region in enumerate(org.regions):
        mine = np.flatnonzero(geo == r)
        city[mine] = rng.integers(0, len(region.cities), len(mine))
        for c, city_name in enumerate(region.cities):
            members = mine[city[mine] == c]
            combos = rng.permutation(capacity)[: len(members)]
            if len(members) > capacity:
                combos = np.arange(len(members)) % capacity
            first = combos // (len(BRAND_SECOND) * slots)
            second = (combos // slots) % len(BRAND_SECOND)
            slot = combos % slots
            for k, i in enumerate(members):  # one string per customer (a dimension table)
                lap = k // capacity
                suffix = INDUSTRIES[industry[i]][2][slot[k]]
                brand = BRAND_FIRST[first[k]] + BRAND_SECOND[second[k]]
                names[i] = f"{city_name}{brand}{suffix}" + (f"({lap + 1})" if lap else "")
                cities[i] = city_name
    return names, cities
