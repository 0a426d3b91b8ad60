"""Opportunities and leads: every deal's path through the stages, decided up front.

Each opportunity gets, all at once for all deals: how far it gets (a chance to advance from
each stage, better for strong reps, worse against 华为), how long it stays in each stage
(gamma-distributed, longer for big customers; about one deal in twenty gets stuck for
months), its planned and final amount, its expected close date (pushed when the deal runs
late) and, when its owner leaves while it is open, the hand-over. Whatever has not happened
by today is cut off: such deals are open, in the stage they had reached.

Every new customer starts with one opportunity (converted from a lead) on its first day; the
other opportunities fall on existing customers in proportion to their value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesops.demo.catalog import (
    ADVANCE,
    COMPETITOR_SHARE,
    COMPETITORS,
    DWELL_DAYS,
    LOST_REASONS,
    LOST_STAGE,
    LOST_WITH_COMPETITOR,
    LOST_WITHOUT_COMPETITOR,
    OPEN_STAGES,
    PRODUCTS,
    REFERRAL_SOURCE,
    SIZES,
    SOURCE_CHANNELS,
    STAGES,
    WON_STAGE,
)
from salesops.demo.config import DemoConfig
from salesops.demo.customers import Customers
from salesops.demo.frame import NULL, Cat, Code, Frame, Ref
from salesops.demo.org import NEVER, Org, pick_reps, rep_at, stream
from salesops.demo.timeline import LEAD_DAYS, SECONDS_PER_DAY, Timeline, office_seconds

LEAD_CONVERSION = 0.22
STATUSES = ("open", "won", "lost")
LEAD_STATUSES = ("converted", "open", "nurturing", "disqualified")


@dataclass
class Deals:
    """Per-opportunity arrays, in creation order (row i is opportunity row i)."""

    customer: np.ndarray
    created: np.ndarray  # history day
    close: np.ndarray  # history day it closed, or would close (after today when open)
    status: np.ndarray  # index into STATUSES
    stage: np.ndarray  # current stage index into STAGES
    reached: np.ndarray  # furthest open stage entered by today (or by closing)
    entries: np.ndarray  # (n, OPEN_STAGES) day each stage was entered; NEVER if not
    entry_seconds: np.ndarray  # (n, OPEN_STAGES) timestamps (seconds) of those entries
    close_seconds: np.ndarray
    owner_first: np.ndarray  # owner when created
    owner: np.ndarray  # current owner
    handover: np.ndarray  # day the owner changed (NEVER: no change)
    product: np.ndarray
    planned: np.ndarray  # first amount, cents
    amount: np.ndarray  # current amount, cents
    amount_stage: np.ndarray  # stage whose entry changed the amount, -1 for none
    expected_first: np.ndarray  # first expected close day
    pushes: np.ndarray  # (n, 2) day of each push of the expected close date, NEVER if none
    pushed_to: np.ndarray  # (n, 2) the new expected close day of each push
    expected: np.ndarray  # current expected close day
    region: np.ndarray
    frames: list[Frame]

    @property
    def count(self) -> int:
        return len(self.customer)

    @property
    def won(self) -> np.ndarray:
        return self.status == 1


def build_deals(config: DemoConfig, timeline: Timeline, org: Org, cust: Customers) -> Deals:
    """Generate the opportunities, their paths and the leads they came from."""
    rng = stream(config, "deals")
    today = timeline.days - 1
    newcomers = np.flatnonzero(~cust.existing)
    if len(newcomers) > config.opportunities:
        newcomers = np.sort(rng.choice(newcomers, config.opportunities, replace=False))
    wanted = config.opportunities - len(newcomers)
    # Old customers' deals may start before the history (in flight on its first day); those
    # that ended before it are dropped, so draw more than needed.
    extra, extra_created = _draw_created(rng, timeline, org, cust, round(wanted * 1.5) + 20)
    customer = np.r_[newcomers, extra]
    created = np.r_[cust.start[newcomers], extra_created]
    first_deal = np.r_[np.ones(len(newcomers), bool), np.zeros(len(extra), bool)]
    owner_first = rep_at(org, cust.owner[customer], created)
    competitor = np.where(
        rng.random(len(customer)) < COMPETITOR_SHARE,
        rng.choice(len(COMPETITORS), len(customer), p=_p([c[1] for c in COMPETITORS])),
        -1,
    )
    reached, won, dwell = _paths(rng, org.rep_quality[owner_first], cust.size[customer], competitor)
    close = created + np.cumsum(dwell, axis=1)[np.arange(len(created)), reached]
    candidates = np.flatnonzero(~first_deal & (close >= 0))
    keep = np.r_[np.flatnonzero(first_deal), np.sort(rng.permutation(candidates)[:wanted])]
    order = keep[np.lexsort((customer[keep], created[keep]))]
    customer, created, first_deal = customer[order], created[order], first_deal[order]
    owner_first, competitor, reached, won = (
        owner_first[order],
        competitor[order],
        reached[order],
        won[order],
    )
    dwell, close = dwell[order], close[order]
    n = len(customer)
    size = cust.size[customer]

    product = rng.choice(len(PRODUCTS), n, p=_p([p.deal_weight for p in PRODUCTS]))
    qty = np.maximum(
        1,
        np.round(
            np.array([p.qty for p in PRODUCTS])[product]
            * np.array([s[2] for s in SIZES])[size]
            * np.exp(rng.normal(0.0, 0.45, n))
        ),
    )
    discount = rng.uniform(0.0, 0.15, n) + 0.03 * size
    price = np.array([p.list_price for p in PRODUCTS])[product]
    planned = np.round(qty * price * (1 - discount) * rng.uniform(0.7, 1.0, n) * 100).astype(
        np.int64
    )
    source = np.where(
        first_deal,
        cust.source[customer],
        np.select(
            [rng.random(n) < 0.35, rng.random(n) < 0.55],
            [REFERRAL_SOURCE, cust.source[customer]],
            rng.choice(len(SOURCE_CHANNELS), n, p=_p([c[1] for c in SOURCE_CHANNELS])),
        ),
    )
    entries = (
        created[:, None] + np.c_[np.zeros(n, dtype=np.int64), np.cumsum(dwell[:, :-1], axis=1)]
    )
    stage_no = np.arange(OPEN_STAGES)[None, :]
    entries = np.where(stage_no <= reached[:, None], entries, NEVER)

    # A customer that stops buying loses its deals that would close after it stopped.
    cut = cust.end[customer] + rng.integers(5, 30, n)
    churn_cut = cust.churned[customer] & (close > cust.end[customer] - 3)
    close = np.where(churn_cut, np.minimum(close, cut), close)
    won &= ~churn_cut
    entries = np.where(entries <= close[:, None], entries, NEVER)
    reached = (entries < NEVER).sum(axis=1) - 1

    is_open = close > today
    entries = np.where(entries <= today, entries, NEVER)
    reached = (entries < NEVER).sum(axis=1) - 1
    status = np.where(is_open, 0, np.where(won, 1, 2))
    stage = np.where(is_open, reached, np.where(won, WON_STAGE, LOST_STAGE))

    entry_seconds = entries * SECONDS_PER_DAY + office_seconds(rng, n * OPEN_STAGES).reshape(n, -1)
    entry_seconds[:, 0] = created * SECONDS_PER_DAY  # created at the start of its day
    last_entry = entry_seconds[np.arange(n), reached]
    close_seconds = np.maximum(close * SECONDS_PER_DAY + office_seconds(rng, n), last_entry + 600)

    # Amount: a quarter of the deals are re-priced when the quote or the negotiation starts.
    amount_stage = np.where(rng.random(n) < 0.5, 2, 3)
    amount_stage = np.where((rng.random(n) < 0.25) & (reached >= amount_stage), amount_stage, -1)
    factor = np.where(amount_stage == 3, rng.uniform(0.75, 1.0, n), rng.uniform(0.8, 1.3, n))
    amount = np.where(amount_stage >= 0, np.round(planned * factor), planned).astype(np.int64)

    # Expected close: planned from the typical cycle; pushed once or twice when running late.
    plan = np.maximum(np.round(sum(DWELL_DAYS) * _slow(size) * rng.uniform(0.7, 1.3, n)), 14)
    expected_first = created + plan.astype(np.int64)
    finish = np.where(is_open, today + rng.integers(14, 76, n), close)
    latest = np.minimum(close, today)
    push1 = expected_first - rng.integers(0, 6, n)
    ok1 = (finish > expected_first + 7) & (push1 > created) & (push1 <= latest)
    two = ok1 & (finish - expected_first > 45) & (rng.random(n) < 0.5)
    to1 = np.where(two, expected_first + rng.integers(20, 41, n), finish)
    push2 = to1 - rng.integers(0, 6, n)
    ok2 = two & (push2 > push1) & (push2 <= latest)
    to1 = np.where(two & ~ok2, finish, to1)
    pushes = np.c_[np.where(ok1, push1, NEVER), np.where(ok2, push2, NEVER)]
    pushed_to = np.c_[to1, finish]
    expected = np.where(ok2, finish, np.where(ok1, to1, expected_first))

    # A rep who leaves hands the deals still open that day to the successor.
    leaves = org.rep_left[owner_first]
    handover = np.where(
        (org.rep_successor[owner_first] >= 0)
        & (leaves > created)
        & (leaves < np.minimum(close, today + 1)),
        leaves,
        NEVER,
    )
    owner = np.where(handover < NEVER, org.rep_successor[owner_first], owner_first)
    region = org.rep_region[owner]

    lost = status == 2
    reason = np.where(
        competitor >= 0,
        rng.choice(len(LOST_REASONS), n, p=_p(list(LOST_WITH_COMPETITOR))),
        rng.choice(len(LOST_REASONS), n, p=_p(list(LOST_WITHOUT_COMPETITOR))),
    )
    reason = np.where(churn_cut & (competitor < 0), LOST_REASONS.index("预算取消"), reason)
    names = pc.binary_join_element_wise(
        pa.array(cust.names).take(pa.array(customer)),
        pa.array([p.name for p in PRODUCTS]).take(pa.array(product)),
        " · ",
    )
    probability = np.round(np.array([s[1] for s in STAGES])[stage] * 10_000).astype(np.int64)
    opportunity = Frame(
        "opportunity",
        n,
        {
            "external_id": Code("OPP", max(7, len(str(n)))),
            "name": names,
            "customer_id": Ref("customer", customer),
            "owner_id": Ref("rep", owner),
            "product_id": Ref("product", product),
            "region_id": Ref("region", region),
            "pipeline": Cat(np.zeros(n, dtype=np.int64), ["default"]),
            "source_channel": Cat(source, [c[0] for c in SOURCE_CHANNELS]),
            "stage": Cat(stage, [s[0] for s in STAGES]),
            "status": Cat(status, STATUSES),
            "amount": amount,
            "probability": probability,
            "created_on": timeline.epoch_day(created),
            "expected_close_on": timeline.epoch_day(expected),
            "closed_on": np.where(is_open, NULL, timeline.epoch_day(close)),
            "competitor": Cat(competitor, [c[0] for c in COMPETITORS]),
            "lost_reason": Cat(np.where(lost, reason, -1), LOST_REASONS),
        },
    )
    deals = Deals(
        customer=customer,
        created=created,
        close=close,
        status=status,
        stage=stage,
        reached=reached,
        entries=entries,
        entry_seconds=entry_seconds,
        close_seconds=close_seconds,
        owner_first=owner_first,
        owner=owner,
        handover=handover,
        product=product,
        planned=planned,
        amount=amount,
        amount_stage=amount_stage,
        expected_first=expected_first,
        pushes=pushes,
        pushed_to=pushed_to,
        expected=expected,
        region=region,
        frames=[opportunity],
    )
    deals.frames.append(_leads(config, rng, timeline, org, cust, deals, np.flatnonzero(first_deal)))
    return deals


def _draw_created(
    rng: np.random.Generator, timeline: Timeline, org: Org, cust: Customers, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Customers and creation days of deals beyond each new customer's first one: on a
    customer in proportion to its value, its owner and the days it may buy."""
    lo = np.where(cust.existing, -LEAD_DAYS, cust.start)
    hi = np.maximum(cust.end - 20, lo)
    weight = cust.value**0.6 * np.sqrt(org.rep_quality[cust.owner])
    weight = weight * timeline.mass(cust.sales_region, lo, hi)
    customer = rng.choice(cust.count, n, p=weight / weight.sum())
    return customer, timeline.draw(rng, cust.sales_region[customer], lo[customer], hi[customer])


def _paths(
    rng: np.random.Generator, quality: np.ndarray, size: np.ndarray, competitor: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How far each deal gets (last open stage), whether it is won after it, and the days it
    stays in each open stage (longer for big customers; one in twenty gets stuck)."""
    n = len(quality)
    skill = np.clip(0.55 + 0.45 * quality, 0.6, 1.05)
    reached = np.zeros(n, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    for s in range(OPEN_STAGES - 1):
        alive &= rng.random(n) < np.minimum(ADVANCE[s] * skill, 0.98)
        reached[alive] = s + 1
    against = np.where(competitor >= 0, np.array([c[2] for c in COMPETITORS])[competitor], 1.0)
    won = alive & (rng.random(n) < ADVANCE[-1] * skill * against)
    dwell = np.ceil(
        rng.gamma(2.0, np.array(DWELL_DAYS) / 2.0, (n, OPEN_STAGES)) * _slow(size)[:, None]
    )
    dwell = np.maximum(dwell, 1).astype(np.int64)
    stuck = np.flatnonzero(rng.random(n) < 0.05)
    dwell[stuck, rng.integers(1, 4, len(stuck))] *= rng.integers(5, 13, len(stuck))
    return reached, won, dwell


def _slow(size: np.ndarray) -> np.ndarray:
    """Big customers take longer in every stage."""
    return 0.7 + 0.15 * size


def _leads(
    config: DemoConfig,
    rng: np.random.Generator,
    timeline: Timeline,
    org: Org,
    cust: Customers,
    deals: Deals,
    first_deals: np.ndarray,
) -> Frame:
    """Leads: one converted lead behind every new customer's first deal, and the many that
    never became an opportunity (open, nurturing, disqualified)."""
    today = timeline.days - 1
    converted = len(first_deals)
    others = max(round(converted / LEAD_CONVERSION) - converted, 0)
    weights = np.array([r.weight * r.growth for r in org.regions])
    region = rng.choice(len(weights), others, p=weights / weights.sum())
    day = timeline.draw(rng, region, np.zeros(others, dtype=np.int64), np.full(others, today))
    owner = pick_reps(rng, org, region, day)
    age = today - day
    status = np.where(age <= 30, 1, np.where(rng.random(others) < 0.3, 2, 3))
    created = np.r_[deals.created[first_deals] - rng.integers(1, 31, converted), day]
    order = np.argsort(created, kind="stable")
    owners = np.r_[deals.owner_first[first_deals], owner]
    source = np.r_[
        cust.source[deals.customer[first_deals]],
        rng.choice(len(SOURCE_CHANNELS), others, p=_p([c[1] for c in SOURCE_CHANNELS])),
    ]
    n = converted + others
    return Frame(
        "lead",
        n,
        {
            "external_id": Code("L", max(7, len(str(n)))),
            "source_channel": Cat(source[order], [c[0] for c in SOURCE_CHANNELS]),
            "created_on": timeline.epoch_day(created[order]),
            "customer_id": Ref(
                "customer", np.r_[deals.customer[first_deals], np.full(others, -1)][order]
            ),
            "owner_id": Ref("rep", owners[order]),
            "opportunity_id": Ref("opportunity", np.r_[first_deals, np.full(others, -1)][order]),
            "status": Cat(np.r_[np.zeros(converted, dtype=np.int64), status][order], LEAD_STATUSES),
            "region_id": Ref("region", org.rep_region[owners][order]),
        },
    )


def _p(weights: list[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()
