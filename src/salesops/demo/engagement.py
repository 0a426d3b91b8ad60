"""Activities (跟进/拜访) and customer feedback (客户反馈).

Activities: most follow a deal (more for long deals, fewer for laggards), on days while it is
open; the rest is account care for buying customers, which stops when a customer stops — so
churned customers go quiet. Feedback: surveys after delivery (a sample of the orders), with
NPS driven by the customer's satisfaction (lower for customers that churn), CSAT following
NPS, a category, a priority and a status along the closed loop new → assigned → resolved →
informed.
"""

from __future__ import annotations

import numpy as np

from salesops.demo.catalog import (
    ACTIVITY_KINDS,
    CARE_ACTIVITY_WEIGHTS,
    DEAL_ACTIVITY_WEIGHTS,
    FEEDBACK_CATEGORIES,
    FEEDBACK_CHANNELS,
    FEEDBACK_STATUSES,
    FEEDBACK_TEXTS,
    PRIORITIES,
)
from salesops.demo.config import DemoConfig
from salesops.demo.customers import Customers
from salesops.demo.deals import Deals
from salesops.demo.frame import NULL, Cat, Code, Frame, Ref
from salesops.demo.orders import Orders
from salesops.demo.org import Org, rep_at, stream
from salesops.demo.timeline import SECONDS_PER_DAY, Timeline, office_seconds

DEAL_SHARE = 0.75


def build_activities(
    config: DemoConfig, timeline: Timeline, org: Org, cust: Customers, deals: Deals
) -> Frame:
    """Deal follow-ups and account care, in time order."""
    rng = stream(config, "activities")
    today = timeline.days - 1
    total = config.activities_per_opportunity * deals.count

    # Only days of the history: a deal already in flight on day 0 is followed from then on.
    begin = np.maximum(deals.created, 0)
    end = np.minimum(deals.close, today)
    length = end - begin + 1
    effort = (1 + length / 14) * (0.5 + 0.5 * np.minimum(org.rep_quality[deals.owner_first], 1.2))
    count = rng.poisson(effort * DEAL_SHARE * total / effort.sum())
    opp = np.repeat(np.arange(deals.count), count)
    d_day = _weekday(
        begin[opp] + np.floor(rng.random(len(opp)) * length[opp]), end[opp], timeline.day0
    )
    d_rep = np.where(d_day >= deals.handover[opp], deals.owner[opp], deals.owner_first[opp])

    lo = cust.start
    hi = np.minimum(cust.end + 30, today)
    care = cust.buyer | np.isin(np.arange(cust.count), deals.customer[deals.won])
    weight = np.where(care, np.sqrt(cust.value) * org.rep_quality[cust.owner] * (hi - lo + 1), 0.0)
    care_count = round((1 - DEAL_SHARE) * total) if weight.sum() > 0 else 0
    weight = weight if weight.sum() > 0 else np.ones(cust.count)
    c_customer = rng.choice(cust.count, care_count, p=weight / weight.sum())
    c_day = lo[c_customer] + np.floor(rng.random(care_count) * (hi - lo + 1)[c_customer])
    c_day = _weekday(c_day.astype(np.int64), hi[c_customer], timeline.day0)
    c_rep = rep_at(org, cust.owner[c_customer], c_day)

    day = np.r_[d_day, c_day]
    seconds = (day + timeline.day0) * SECONDS_PER_DAY + office_seconds(rng, len(day))
    order = np.argsort(seconds, kind="stable")
    kind = np.r_[
        rng.choice(len(ACTIVITY_KINDS), len(opp), p=_p(DEAL_ACTIVITY_WEIGHTS)),
        rng.choice(len(ACTIVITY_KINDS), care_count, p=_p(CARE_ACTIVITY_WEIGHTS)),
    ]
    rep = np.r_[d_rep, c_rep][order]
    n = len(order)
    return Frame(
        "activity",
        n,
        {
            "external_id": Code("ACT", max(9, len(str(n)))),
            "kind": Cat(kind[order], ACTIVITY_KINDS),
            "customer_id": Ref("customer", np.r_[deals.customer[opp], c_customer][order]),
            "rep_id": Ref("rep", rep),
            "opportunity_id": Ref("opportunity", np.r_[opp, np.full(care_count, -1)][order]),
            "region_id": Ref("region", org.rep_region[rep]),
            "occurred_at": seconds[order],
        },
    )


def build_feedback(
    config: DemoConfig, timeline: Timeline, org: Org, cust: Customers, orders: Orders
) -> Frame:
    """Survey answers a few weeks after delivery, and where each stands in the closed loop."""
    rng = stream(config, "feedback")
    today = timeline.days - 1
    delivered = np.flatnonzero(orders.normal_lines > 0)
    wanted = round(config.feedback_per_order * orders.count)
    sample = np.sort(rng.choice(delivered, min(wanted, len(delivered)), replace=False))
    received = orders.day[sample] + rng.integers(7, 61, len(sample))
    keep = received <= today
    sample, received = sample[keep], received[keep]
    order = np.argsort(received, kind="stable")
    sample, received = sample[order], received[order]
    n = len(sample)
    customer = orders.customer[sample]
    rep = rep_at(org, cust.owner[customer], received)

    nps = np.clip(np.round(8.6 + 1.9 * cust.happiness[customer] + rng.normal(0, 1.3, n)), 0, 10)
    nps = nps.astype(np.int64)
    csat = np.clip(np.round(1 + 0.4 * nps + rng.normal(0, 0.6, n)), 1, 5).astype(np.int64)
    if n >= 11:  # every NPS and CSAT score appears at least once
        every = rng.choice(n, 11, replace=False)
        nps[every] = np.arange(11)
        csat[every] = (1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5)
    mood = np.where(nps <= 6, 0, np.where(nps <= 8, 1, 2))  # detractor, passive, promoter
    category = _by_mood(
        rng, mood, ((0.4, 0.15, 0.35, 0.1), (0.35, 0.15, 0.25, 0.25), (0.3, 0.3, 0.25, 0.15))
    )
    priority = _by_mood(rng, mood, ((0.5, 0.4, 0.1), (0.15, 0.5, 0.35), (0.05, 0.25, 0.7)))

    texts: list[str] = []
    offset = np.zeros((len(FEEDBACK_CATEGORIES), 3), dtype=np.int64)
    size = np.zeros((len(FEEDBACK_CATEGORIES), 3), dtype=np.int64)
    for c, name in enumerate(FEEDBACK_CATEGORIES):
        for m, options in enumerate(FEEDBACK_TEXTS[name]):
            offset[c, m], size[c, m] = len(texts), len(options)
            texts.extend(options)
    pick = offset[category, mood] + np.floor(rng.random(n) * size[category, mood]).astype(np.int64)
    pick = np.where(rng.random(n) < 0.2, -1, pick)

    # The closed loop: faster for high priority; a few stay assigned for a long time.
    scale = np.array([2.0, 4.0, 7.0])[priority]
    resolved = received + np.ceil(rng.gamma(2.0, scale)).astype(np.int64)
    stale = rng.random(n) < 0.03
    done = (resolved <= today) & ~stale
    informed = done & ((today - resolved >= 3) | (rng.random(n) < 0.5)) & (rng.random(n) < 0.85)
    # Open items of the last two weeks are often not assigned yet; the latest always is new.
    fresh = (today - received <= 14) & (rng.random(n) < 0.5)
    status = np.where(done, np.where(informed, 3, 2), np.where(fresh, 0, 1))
    waiting = np.flatnonzero(~done)
    if len(waiting):
        status[waiting[-1]] = 0
    team_lead = np.full(org.team_region.shape[0], -1)
    team_lead[org.rep_team[org.rep_lead]] = np.flatnonzero(org.rep_lead)
    assignee = np.where(priority == 0, team_lead[org.rep_team[rep]], rep)
    # The loop's other dates (issue #25), from a stream of their own so every other value stays
    # as it was: the first response (assignment) within the time to resolve, the customer told
    # a few days after the resolution.
    loop_rng = stream(config, "feedback-loop")
    first = received + np.minimum(
        np.floor(loop_rng.gamma(1.0, scale / 3.0)).astype(np.int64),
        np.maximum(resolved - received, 0),
    )
    first = np.minimum(first, today)
    told = np.minimum(resolved + loop_rng.integers(0, 4, n), today)
    return Frame(
        "feedback",
        n,
        {
            "external_id": Code("FB", max(7, len(str(n)))),
            "customer_id": Ref("customer", customer),
            "rep_id": Ref("rep", rep),
            "region_id": Ref("region", org.rep_region[rep]),
            "received_on": timeline.epoch_day(received),
            "channel": Cat(rng.integers(0, len(FEEDBACK_CHANNELS), n), FEEDBACK_CHANNELS),
            "nps": nps,
            "csat": csat,
            "category": Cat(category, FEEDBACK_CATEGORIES),
            "priority": Cat(priority, PRIORITIES),
            "status": Cat(status, FEEDBACK_STATUSES),
            "assignee_id": Ref("rep", np.where(status > 0, assignee, -1)),
            "text": Cat(pick, texts),
            "resolved_on": np.where(done, timeline.epoch_day(resolved), NULL),
            "first_response_on": np.where(status > 0, timeline.epoch_day(first), NULL),
            "informed_on": np.where(status == 3, timeline.epoch_day(told), NULL),
        },
    )


def _weekday(day: np.ndarray, last: np.ndarray, day0: int) -> np.ndarray:
    """Move weekend days (of history days; ``day0`` = epoch day of day 0) to the next Monday
    when that is still in the window."""
    day = np.asarray(day, dtype=np.int64)
    weekday = (day + day0 + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    monday = day + 7 - weekday
    return np.where((weekday >= 5) & (monday <= last), monday, day)


def _by_mood(
    rng: np.random.Generator, mood: np.ndarray, weights: tuple[tuple[float, ...], ...]
) -> np.ndarray:
    """A category per row, drawn with the weights of its mood."""
    cumulative = np.cumsum(np.array(weights), axis=1)
    cumulative /= cumulative[:, -1:]
    u = rng.random(len(mood))
    return (u[:, None] > cumulative[mood]).sum(axis=1)


def _p(weights: tuple[float, ...]) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()
