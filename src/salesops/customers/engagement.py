"""The engagement score of customers (definition and weights: :mod:`salesops.metrics.engagement`).

One statement (:func:`salesops.metrics.engagement.raw_scores`, shared with the metrics engine's
``engagement_band`` dimension): the customers' interactions in the window — activities by kind,
feedback, normal orders — summed with the recency decay in the database.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from salesops.customers.access import customer_visible
from salesops.db.schema import Customer
from salesops.metrics import engagement as definition
from salesops.metrics.dimensions import filter_condition
from salesops.metrics.scope import FULL_SCOPE, Scope

#: Dimensions that describe a customer (what the customer base by band can be narrowed by).
CUSTOMER_DIMENSIONS = (
    "customer",
    "customer_region",
    "region",
    "industry",
    "segment",
    "source_channel",
    "customer_size",
    "engagement_band",
)


@dataclass(frozen=True)
class Engagement:
    customer_id: int
    raw: float
    score: float
    band: str
    interactions: int


def engagement(
    conn: Connection, customer_ids: Sequence[int], as_of: dt.date, scope: Scope = FULL_SCOPE
) -> dict[int, Engagement]:
    """The engagement of each of ``customer_ids`` as of ``as_of`` (every id is in the answer;
    a customer without interactions scores 0, band ``none``), from the interactions whose rep
    ``scope`` sees (the customer page's rule: a rep's score is not made of another rep's
    visits)."""
    ids = list(dict.fromkeys(customer_ids))
    if not ids:
        return {}
    found: dict[int, tuple[float, int]] = {}
    # Bounded IN lists: a board's list of warned customers can be long.
    for i in range(0, len(ids), 5000):
        query = definition.raw_scores(as_of, scope, ids[i : i + 5000])
        for r in conn.execute(query):
            found[int(r.customer_id)] = (float(r.raw or 0), int(r.n))
    out: dict[int, Engagement] = {}
    for cid in ids:
        raw, n = found.get(cid, (0.0, 0))
        value = definition.score(raw)
        out[cid] = Engagement(cid, round(raw, 4), value, definition.band(value), n)
    return out


def band_counts(
    conn: Connection,
    as_of: dt.date,
    scope: Scope = FULL_SCOPE,
    filters: Sequence[tuple[str, Sequence[str]]] = (),
) -> dict[str, int]:
    """The customer base by engagement band as of ``as_of``: the customers ``scope`` sees
    (current owner a visible rep, as on the customer page) per band, their bands from the
    interactions ``scope`` sees — every band id is in the answer. ``filters`` on customer
    dimensions (region, industry, segment, size, the band itself ...) narrow the customers;
    others (a rep, a product) do not describe a customer and are left out."""
    eng = definition.bands(as_of, scope)
    band = func.coalesce(eng.c.band, "none")
    c = Customer.__table__
    where = [customer_visible(scope)]
    for dim, values in filters:
        if values and dim in CUSTOMER_DIMENSIONS:
            where.append(filter_condition("customer", dim, list(values), c, basis=(as_of, scope)))
    query = (
        select(band.label("band"), func.count().label("n"))
        .select_from(c.outerjoin(eng, eng.c.customer_id == c.c.id))
        .where(*where)
        .group_by(band)
    )
    counts: Counter[str] = Counter({b: 0 for b in definition.BAND_IDS})
    for r in conn.execute(query):
        counts[str(r.band)] += int(r.n)
    return {b: counts[b] for b in definition.BAND_IDS}


@dataclass(frozen=True)
class CustomerBand:
    customer_id: int
    customer: str
    score: float
    band: str
    interactions: int


def customer_bands(
    conn: Connection,
    as_of: dt.date,
    scope: Scope = FULL_SCOPE,
    filters: Sequence[tuple[str, Sequence[str]]] = (),
    *,
    band: str | None = None,
    limit: int | None = None,
) -> list[CustomerBand]:
    """The customers :func:`band_counts` counts (optionally one ``band``), highest score
    first, then by name."""
    raw = definition.raw_scores(as_of, scope).subquery("engagement_raw")
    band_col = definition.band_sql(raw.c.raw)
    c = Customer.__table__
    where = [customer_visible(scope)]
    for dim, values in filters:
        if values and dim in CUSTOMER_DIMENSIONS:
            where.append(filter_condition("customer", dim, list(values), c, basis=(as_of, scope)))
    if band is not None:
        where.append(band_col == band)
    query = (
        select(c.c.id, c.c.name, raw.c.raw, raw.c.n, band_col.label("band"))
        .select_from(c.outerjoin(raw, raw.c.customer_id == c.c.id))
        .where(*where)
        .order_by(func.coalesce(raw.c.raw, 0.0).desc(), c.c.name, c.c.id)
        .limit(limit)
    )
    out = []
    for r in conn.execute(query):
        value = definition.score(float(r.raw or 0))
        out.append(CustomerBand(int(r.id), str(r.name), value, str(r.band), int(r.n or 0)))
    return out
