"""Orders: one per won deal (its amount split over the product and its add-ons) and the repeat
purchases of every buying customer (consumables, licences, renewals, expansions).

Repeat orders fall on a customer in proportion to its value, its owner's quality and the
region's intensity (season, growth) over the days it buys: from its first order to the day it
stops. Lines are numbered per order; a few lines are cancelled or returned, and a few whole
orders are cancelled. ``order_header`` is computed here from the same arrays, exactly as
``salesops.db.derived.refresh_order_headers`` would (the tests check that).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesops.demo.catalog import (
    BASKET_ITEMS,
    HARDWARE,
    ORDER_CHANNELS,
    PARTNER_SOURCE,
    PLATFORM_ADDON,
    PRODUCTS,
    SERVICE_ADDON,
    SIZES,
    SOFTWARE,
    SOURCE_CHANNELS,
    SUPPLY_ADDON,
)
from salesops.demo.config import DemoConfig
from salesops.demo.customers import Customers
from salesops.demo.deals import Deals
from salesops.demo.frame import NULL, Cat, Code, Frame, Ref
from salesops.demo.org import Org, rep_at, stream
from salesops.demo.timeline import Timeline

LINE_STATUSES = ("normal", "cancelled", "returned")
ORDER_NO_PREFIX = "SO"
_LIST = np.array([p.list_price for p in PRODUCTS], dtype=float)
_COST = np.array([p.unit_cost for p in PRODUCTS], dtype=float)
_LINE = np.array([p.line for p in PRODUCTS])


@dataclass
class Orders:
    """Per-order arrays (row i is order_header row i, in order-date order) and the frames."""

    day: np.ndarray
    customer: np.ndarray
    rep: np.ndarray
    region: np.ndarray
    channel: np.ndarray
    amount: np.ndarray  # cents over normal lines (0 when none)
    normal_lines: np.ndarray
    width: int  # digits of the order number
    line_order: np.ndarray  # per line: its order row
    line_amount: np.ndarray  # per line, cents
    line_normal: np.ndarray  # per line, bool
    line_product: np.ndarray
    frames: list[Frame]

    @property
    def count(self) -> int:
        return len(self.day)

    def order_no(self, rows: np.ndarray) -> Code:
        """The order numbers of order rows ``rows`` (SO00000001 ...)."""
        return Code(ORDER_NO_PREFIX, self.width, rows)


def build_orders(
    config: DemoConfig, timeline: Timeline, org: Org, cust: Customers, deals: Deals
) -> Orders:
    """Generate the won-deal orders and the repeat orders, with their lines and headers."""
    rng = stream(config, "orders")
    today = timeline.days - 1
    won = np.flatnonzero(deals.won)
    won_day = np.minimum(deals.close[won] + rng.integers(0, 11, len(won)), today)
    w_order, w_product, w_amount, w_qty = _won_lines(rng, deals, won)

    # Repeat purchases start with a customer's first order and end when it stops buying.
    first = np.where(cust.existing & cust.buyer, 0, np.iinfo(np.int64).max)
    np.minimum.at(first, deals.customer[won], won_day)
    buys = first <= cust.end
    lo = np.where(buys, first, 0)
    hi = np.where(buys, cust.end, 0)
    mean_lines = 3.0
    repeat_orders = max(round((config.order_lines - len(w_order)) / mean_lines), 0)
    weight = cust.value * org.rep_quality[cust.owner] * timeline.mass(cust.sales_region, lo, hi)
    weight = np.where(buys, weight, 0.0)
    if weight.sum() == 0:
        repeat_orders = 0
        weight = np.ones(cust.count)
    r_customer = np.sort(rng.choice(cust.count, repeat_orders, p=weight / weight.sum()))
    # A repeat buyer reorders on a cycle (stock runs down, consumables, service renewals), not
    # at independent random moments: the k-th of a customer's K orders falls in the k-th of K
    # equal slices of its buying span, measured in the region's seasonal intensity (so the
    # seasons stay). Independent (Poisson) timing made a steady customer's quarters swing so
    # much that half of them looked like halving, and churn warnings flagged a third of all
    # customers.
    first_of = np.searchsorted(r_customer, r_customer, side="left")
    per_customer = np.bincount(r_customer, minlength=cust.count)[r_customer]
    k = np.arange(repeat_orders) - first_of
    at = (k + rng.random(repeat_orders)) / per_customer
    r_day = timeline.draw(rng, cust.sales_region[r_customer], lo[r_customer], hi[r_customer], at=at)
    r_lines = np.minimum(1 + rng.poisson(mean_lines - 1, repeat_orders), 8)
    r_order = np.repeat(np.arange(repeat_orders), r_lines)
    r_pos = np.arange(len(r_order)) - np.repeat(np.cumsum(r_lines) - r_lines, r_lines)
    start = rng.choice(len(PRODUCTS), repeat_orders, p=_p([p.repeat_weight for p in PRODUCTS]))
    offset = rng.integers(0, len(BASKET_ITEMS), repeat_orders)[r_order]
    basket = np.asarray(BASKET_ITEMS)[(offset + r_pos) % len(BASKET_ITEMS)]
    r_product = np.where(r_pos == 0, start[r_order], basket)
    size_mult = np.sqrt(np.array([s[2] for s in SIZES]))[cust.size[r_customer]][r_order]
    r_qty = np.maximum(
        1,
        np.round(
            np.array([p.refill for p in PRODUCTS])[r_product]
            * size_mult
            * np.exp(rng.normal(0.0, 0.5, len(r_order)))
        ),
    ).astype(np.int64)
    discount = (0.03 * cust.size[r_customer] + rng.uniform(0.0, 0.08, repeat_orders))[r_order]
    r_amount = np.round(r_qty * _LIST[r_product] * (1 - discount) * 100).astype(np.int64)

    # All orders in date order: won-deal orders first within a day, then repeat orders.
    o_customer = np.r_[deals.customer[won], r_customer]
    o_day = np.r_[won_day, r_day]
    o_kind = np.r_[np.zeros(len(won), dtype=np.int64), np.ones(repeat_orders, dtype=np.int64)]
    order = np.lexsort((o_kind, o_customer, o_day))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    day, customer = o_day[order], o_customer[order]
    n = len(order)
    rep = rep_at(org, cust.owner[customer], day)
    region = org.rep_region[rep]
    channel = _channels(rng, cust, customer)

    line_order = np.r_[rank[w_order], rank[len(won) + r_order]]
    by_order = np.argsort(line_order, kind="stable")
    line_order = line_order[by_order]
    product = np.r_[w_product, r_product][by_order]
    qty = np.r_[w_qty, r_qty][by_order]
    amount = np.r_[w_amount, r_amount][by_order]
    lines = np.bincount(line_order, minlength=n)
    line_no = np.arange(len(line_order)) - np.repeat(np.cumsum(lines) - lines, lines) + 1
    m = len(line_order)
    cost = np.round(qty * _COST[product] * rng.uniform(0.97, 1.03, m) * 100).astype(np.int64)
    cost = np.where(rng.random(m) < 0.005, NULL, cost)
    status = rng.choice(len(LINE_STATUSES), m, p=[0.97, 0.02, 0.01])
    cancelled_orders = rng.random(n) < 0.006
    status = np.where(cancelled_orders[line_order], 1, status)
    normal = status == 0

    normal_lines = np.bincount(line_order, weights=normal, minlength=n).astype(np.int64)
    order_amount = np.rint(np.bincount(line_order, weights=amount * normal, minlength=n))
    costed = normal & (cost != NULL)
    order_cost = np.rint(np.bincount(line_order, weights=np.where(costed, cost, 0), minlength=n))
    costed_lines = np.bincount(line_order, weights=costed, minlength=n)
    width = max(8, len(str(n)))
    lines_frame = Frame(
        "order_line",
        m,
        {
            "order_id": Ref("order_header", line_order),
            "order_no": Code(ORDER_NO_PREFIX, width, line_order),
            "line_no": line_no,
            "order_date": timeline.epoch_day(day[line_order]),
            "customer_id": Ref("customer", customer[line_order]),
            "rep_id": Ref("rep", rep[line_order]),
            "product_id": Ref("product", product),
            "region_id": Ref("region", region[line_order]),
            "channel": Cat(channel[line_order], ORDER_CHANNELS),
            "quantity": qty * 10_000,
            "amount": amount,
            "cost": cost,
            "status": Cat(status, LINE_STATUSES),
        },
    )
    header = Frame(
        "order_header",
        n,
        {
            "order_no": Code(ORDER_NO_PREFIX, width),
            "order_date": timeline.epoch_day(day),
            "customer_id": Ref("customer", customer),
            "rep_id": Ref("rep", rep),
            "region_id": Ref("region", region),
            "channel": Cat(channel, ORDER_CHANNELS),
            "amount": np.where(normal_lines > 0, order_amount.astype(np.int64), NULL),
            "cost": np.where(costed_lines > 0, order_cost.astype(np.int64), NULL),
            "normal_lines": normal_lines,
            "lines": lines,
        },
    )
    return Orders(
        day=day,
        customer=customer,
        rep=rep,
        region=region,
        channel=channel,
        amount=np.where(normal_lines > 0, order_amount.astype(np.int64), 0),
        normal_lines=normal_lines,
        width=width,
        line_order=line_order,
        line_amount=amount,
        line_normal=normal,
        line_product=product,
        frames=[header, lines_frame],
    )


def _won_lines(
    rng: np.random.Generator, deals: Deals, won: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lines of the won deals' orders: the main product and its add-ons, adding up to the
    deal's amount exactly (the add-ons take a share, the main product the rest)."""
    main = deals.product[won]
    total = deals.amount[won]
    k = len(won)
    line = _LINE[main]
    kit = (line == HARDWARE) | (line == SOFTWARE)
    addons = (
        (SERVICE_ADDON, kit & (rng.random(k) < 0.55), rng.uniform(0.08, 0.2, k)),
        (PLATFORM_ADDON, (line == HARDWARE) & (rng.random(k) < 0.3), rng.uniform(0.15, 0.3, k)),
        (SUPPLY_ADDON, (line == HARDWARE) & (rng.random(k) < 0.35), rng.uniform(0.02, 0.06, k)),
    )
    orders, products, amounts = [np.arange(k)], [main], [total.copy()]
    for addon, has, share in addons:
        idx = np.flatnonzero(has)
        part = np.round(total[idx] * share[idx]).astype(np.int64)
        amounts[0][idx] -= part
        orders.append(idx)
        products.append(np.full(len(idx), addon))
        amounts.append(part)
    line_product = np.concatenate(products)
    amount = np.concatenate(amounts)
    qty = np.maximum(1, np.round(amount / (_LIST[line_product] * 90))).astype(np.int64)
    return np.concatenate(orders), line_product, amount, qty


def _channels(rng: np.random.Generator, cust: Customers, customer: np.ndarray) -> np.ndarray:
    """直销 / 渠道 / 线上 per order: partner-sourced accounts buy through partners, small
    accounts found online often order online."""
    n = len(customer)
    source = cust.source[customer]
    online_source = np.isin(source, [0, len(SOURCE_CHANNELS) - 1])
    small = cust.size[customer] <= 1
    partner = (source == PARTNER_SOURCE) & (rng.random(n) < 0.85)
    online = online_source & small & (rng.random(n) < 0.5)
    return np.where(partner, 1, np.where(online, 2, 0))


def _p(weights: list[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()
