"""Targets (目标) decomposed the way ``salesops targets decompose`` would, and announcements.

For every year of the history, revenue and bookings targets for the company (last year's
actual plus a stretch; the current year is ambitious), split over quarters and months by the
season, and over regions (last year's share, weighted by expected growth), teams (half last
year's share, half head count), reps (days employed) and product lines; regions, teams and
reps get quarterly children too. Children add up to their parent exactly: cents rounded half
up, the last child with a weight takes the remainder. External ids are the natural keys the
targets module writes (``revenue|year|2026-01-01|rep||R0001||``).

From :data:`PLANNING_MONTH` on, the company has also set next year's targets, as companies do
in the autumn: this year's actual so far, run on to a full year, plus a stretch, decomposed
the same way (so pipeline coverage, which looks at the next period's target, has one in
December).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from salesops.demo.catalog import MONTH_WEIGHTS, PRODUCT_LINES, PRODUCTS
from salesops.demo.config import DemoConfig
from salesops.demo.deals import Deals
from salesops.demo.frame import Cat, Frame, Ref
from salesops.demo.orders import Orders
from salesops.demo.org import Org, stream
from salesops.demo.timeline import EPOCH, Timeline

METRICS = ("revenue", "bookings", "new_customers")
GRAINS = ("year", "quarter", "month")
KINDS = ("company", "region", "org_unit", "rep", "product_line")
CENT = 100  # target values are stored with 4 decimals: one cent is 100 units
WHOLE = 10_000
#: The month from which next year's targets are set (October: planned in the fourth quarter).
PLANNING_MONTH = 10


def plans_next_year(today: dt.date) -> bool:
    """True when, on ``today``, the demo company has set next year's targets."""
    return today.month >= PLANNING_MONTH


@dataclass
class _Block:
    metric: int
    grain: int
    kind: int
    start: np.ndarray  # epoch days
    value: np.ndarray  # units of 1/10000
    parent: np.ndarray  # target rows, -1 for none
    unit: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    rep: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    region: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    line: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))


class _Targets:
    """Target rows collected block by block (parents before children)."""

    def __init__(self) -> None:
        self.blocks: list[_Block] = []
        self.rows = 0

    def add(self, block: _Block) -> np.ndarray:
        n = len(block.value)
        for name in ("unit", "rep", "region", "line"):
            if not len(getattr(block, name)):
                setattr(block, name, np.full(n, -1))
        self.blocks.append(block)
        self.rows += n
        return np.arange(self.rows - n, self.rows)


def split(values: np.ndarray, parent: np.ndarray, weights: np.ndarray, unit: int) -> np.ndarray:
    """Split each parent value over its children by weight, rounded half up to ``unit``; the
    last child with a weight takes the remainder, so children add up to the parent."""
    weights = np.asarray(weights, dtype=float)
    total = np.bincount(parent, weights, minlength=len(values))
    share = np.divide(weights, total[parent], out=np.zeros_like(weights), where=total[parent] > 0)
    child = np.floor(values[parent] * share / unit + 0.5).astype(np.int64) * unit
    index = np.arange(len(parent))
    last = np.full(len(values), -1)
    np.maximum.at(last, parent[weights > 0], index[weights > 0])
    rest = values - np.bincount(parent, child, minlength=len(values)).astype(np.int64)
    has = last >= 0
    child[last[has]] += rest[has]
    return child


def build_targets(
    config: DemoConfig, timeline: Timeline, org: Org, deals: Deals, orders: Orders
) -> tuple[Frame, dict[str, int]]:
    """The target tree of every year; also returns this year's company targets (in yuan)."""
    rng = stream(config, "targets")
    years = np.arange(config.start.year, config.today.year + 1)
    lines = np.array([PRODUCT_LINES.index(p.line) for p in PRODUCTS])
    line_rows = orders.line_order
    normal = orders.line_normal
    revenue = _Actuals(
        timeline.year_of(orders.day[line_rows])[normal] - years[0],
        np.where(normal, orders.line_amount, 0)[normal],
        orders.rep[line_rows][normal],
        lines[orders.line_product][normal],
        org,
        len(years),
    )
    won = np.flatnonzero(deals.won)
    bookings = _Actuals(
        timeline.year_of(deals.close[won]) - years[0],
        deals.amount[won],
        deals.owner[won],
        lines[deals.product[won]],
        org,
        len(years),
    )
    out = _Targets()
    current: dict[str, int] = {}
    planned = plans_next_year(config.today)
    next_year = config.today.year + 1
    next_rng = stream(config, "next-year targets")
    # this year's actual so far, run on to the whole year
    this_year = dt.date(config.today.year, 1, 1)
    run_on = (dt.date(next_year, 1, 1) - this_year).days / ((config.today - this_year).days + 1)
    quarter_w = np.add.reduceat(np.asarray(MONTH_WEIGHTS), [0, 3, 6, 9])
    for m, actual in enumerate((revenue, bookings)):
        for i, year in enumerate(years):
            base = actual.company[max(i - 1, 0)]
            last_year = i == len(years) - 1
            stretch = (
                1.25 if last_year else rng.uniform(0.95, 1.1) if i == 0 else rng.uniform(1.08, 1.2)
            )
            # in whole 100 yuan (10,000 cents)
            value = np.array([round(base * stretch / 10_000) * 10_000 * CENT], dtype=np.int64)
            if last_year:
                current[METRICS[m]] = int(value[0] // WHOLE)
            _year_tree(out, m, int(year), value, actual, i, org, quarter_w, timeline)
        if planned:
            # its own random stream: the years before keep their values
            base = actual.company[-1] * run_on
            stretch = next_rng.uniform(1.08, 1.2)
            value = np.array([round(base * stretch / 10_000) * 10_000 * CENT], dtype=np.int64)
            _year_tree(out, m, next_year, value, actual, len(years), org, quarter_w, timeline)
    # New customers: the company only, per year.
    first_orders = _new_customers(orders, timeline, years)
    goals = [
        max(1, round(first_orders[max(i - 1, 0)] * (1.15 if i else 1.0))) for i in range(len(years))
    ]
    current["new_customers"] = goals[-1]
    if planned:
        goals.append(max(1, round(first_orders[-1] * run_on * 1.15)))
    for i, goal in enumerate(goals):
        out.add(
            _Block(
                2,
                0,
                0,
                _days([dt.date(int(years[0]) + i, 1, 1)]),
                np.array([goal * WHOLE]),
                np.array([-1]),
            )
        )
    return _frame(out, org), current


class _Actuals:
    """One metric's actual amounts per year, by region, team, rep and product line (cents)."""

    def __init__(
        self,
        year: np.ndarray,
        amount: np.ndarray,
        rep: np.ndarray,
        line: np.ndarray,
        org: Org,
        years: int,
    ) -> None:
        amount = amount.astype(float)
        self.company = np.bincount(year, amount, minlength=years)
        self.region = _by(year, org.rep_region[rep], amount, years, len(org.regions))
        self.team = _by(year, org.rep_team[rep], amount, years, len(org.team_region))
        self.line = _by(year, line, amount, years, len(PRODUCT_LINES))


def _by(year: np.ndarray, key: np.ndarray, amount: np.ndarray, years: int, keys: int) -> np.ndarray:
    return np.bincount(year * keys + key, amount, minlength=years * keys).reshape(years, keys)


def _year_tree(
    out: _Targets,
    metric: int,
    year: int,
    value: np.ndarray,
    actual: _Actuals,
    i: int,
    org: Org,
    quarter_w: np.ndarray,
    timeline: Timeline,
) -> None:
    """One KPI's year: company → quarters → months; company → regions → teams → reps, each
    with quarters; company → product lines."""
    q_starts = _days([dt.date(year, 3 * q + 1, 1) for q in range(4)])
    m_starts = _days([dt.date(year, k + 1, 1) for k in range(12)])
    root = out.add(_Block(metric, 0, 0, _days([dt.date(year, 1, 1)]), value, np.array([-1])))
    quarters = split(value, np.zeros(4, dtype=np.int64), quarter_w, CENT)
    q_rows = out.add(_Block(metric, 1, 0, q_starts, quarters, np.full(4, root[0])))
    month_parent = np.repeat(np.arange(4), 3)
    months = split(quarters, month_parent, np.asarray(MONTH_WEIGHTS), CENT)
    out.add(_Block(metric, 2, 0, m_starts, months, q_rows[month_parent]))

    prev = max(i - 1, 0)
    regions = len(org.regions)
    r_weight = np.maximum(actual.region[prev], 1.0) * org.growth
    r_values = split(value, np.zeros(regions, dtype=np.int64), r_weight, CENT)
    r_rows = out.add(
        _Block(
            metric,
            0,
            1,
            np.full(regions, q_starts[0]),
            r_values,
            np.full(regions, root[0]),
            region=np.arange(regions),
        )
    )
    _quarters(
        out,
        metric,
        1,
        r_values,
        r_rows,
        q_starts,
        np.tile(quarter_w, (regions, 1)),
        region=np.arange(regions),
    )

    teams = len(org.team_region)
    head = np.bincount(org.rep_team, minlength=teams).astype(float)
    t_share = actual.team[prev] / max(actual.team[prev].sum(), 1.0)
    t_weight = 0.5 * t_share + 0.5 * head / head.sum()
    t_values = split(r_values, org.team_region, t_weight, CENT)
    t_rows = out.add(
        _Block(
            metric,
            0,
            2,
            np.full(teams, q_starts[0]),
            t_values,
            r_rows[org.team_region],
            unit=org.team_unit,
        )
    )
    _quarters(
        out,
        metric,
        2,
        t_values,
        t_rows,
        q_starts,
        np.tile(quarter_w, (teams, 1)),
        unit=org.team_unit,
    )

    # Reps: by the days each was employed in the year, and in each quarter.
    q_bounds = [timeline.day_of(dt.date(year, 3 * q + 1, 1)) for q in range(4)]
    q_bounds.append(timeline.day_of(dt.date(year + 1, 1, 1)))
    employed = np.stack(
        [
            np.clip(
                np.minimum(org.rep_left, q_bounds[q + 1]) - np.maximum(org.rep_hired, q_bounds[q]),
                0,
                None,
            )
            for q in range(4)
        ],
        axis=1,
    ).astype(float)
    reps = np.flatnonzero(employed.sum(1) > 0)
    p_values = split(t_values, org.rep_team[reps], employed[reps].sum(1), CENT)
    p_rows = out.add(
        _Block(
            metric,
            0,
            3,
            np.full(len(reps), q_starts[0]),
            p_values,
            t_rows[org.rep_team[reps]],
            rep=reps,
        )
    )
    _quarters(
        out, metric, 3, p_values, p_rows, q_starts, employed[reps] * quarter_w[None, :], rep=reps
    )

    lines = len(PRODUCT_LINES)
    l_values = split(
        value, np.zeros(lines, dtype=np.int64), np.maximum(actual.line[prev], 1.0), CENT
    )
    out.add(
        _Block(
            metric,
            0,
            4,
            np.full(lines, q_starts[0]),
            l_values,
            np.full(lines, root[0]),
            line=np.arange(lines),
        )
    )


def _quarters(
    out: _Targets,
    metric: int,
    kind: int,
    values: np.ndarray,
    rows: np.ndarray,
    q_starts: np.ndarray,
    weights: np.ndarray,
    **scope: np.ndarray,
) -> None:
    n = len(values)
    parent = np.repeat(np.arange(n), 4)
    children = split(values, parent, weights.ravel(), CENT)
    repeated = {name: np.repeat(arr, 4) for name, arr in scope.items()}
    out.add(_Block(metric, 1, kind, np.tile(q_starts, n), children, rows[parent], **repeated))


def _new_customers(orders: Orders, timeline: Timeline, years: np.ndarray) -> np.ndarray:
    """Customers per year whose first normal order falls in it."""
    has = orders.normal_lines > 0
    first = np.full(orders.customer.max() + 1 if orders.count else 1, np.iinfo(np.int64).max)
    np.minimum.at(first, orders.customer[has], orders.day[has])
    first = first[first < np.iinfo(np.int64).max]
    return np.bincount(timeline.year_of(first) - years[0], minlength=len(years))[: len(years)]


def _days(dates: list[dt.date]) -> np.ndarray:
    return np.array([(d - EPOCH).days for d in dates], dtype=np.int64)


def _frame(out: _Targets, org: Org) -> Frame:
    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(b, name) for b in out.blocks])

    metric = np.concatenate([np.full(len(b.value), b.metric) for b in out.blocks])
    grain = np.concatenate([np.full(len(b.value), b.grain) for b in out.blocks])
    kind = np.concatenate([np.full(len(b.value), b.kind) for b in out.blocks])
    start, unit, rep, region, line = (
        cat("start"),
        cat("unit"),
        cat("rep"),
        cat("region"),
        cat("line"),
    )
    units = org.frames[1].columns["external_id"]
    assert isinstance(units, list)
    names = [r.name for r in org.regions]
    keys = [
        "|".join(
            (
                METRICS[m],
                GRAINS[g],
                str(np.datetime64(int(s), "D")),
                KINDS[k],
                units[u] if u >= 0 else "",
                org.rep_external_id[p] if p >= 0 else "",
                names[r] if r >= 0 else "",
                PRODUCT_LINES[ln] if ln >= 0 else "",
            )
        )
        for m, g, s, k, u, p, r, ln in zip(
            metric, grain, start, kind, unit, rep, region, line, strict=True
        )
    ]
    return Frame(
        "target",
        out.rows,
        {
            "external_id": keys,
            "metric": Cat(metric, METRICS),
            "period_grain": Cat(grain, GRAINS),
            "period_start": start,
            "scope_kind": Cat(kind, KINDS),
            "org_unit_id": Ref("org_unit", unit),
            "rep_id": Ref("rep", rep),
            "region_id": Ref("region", region),
            "product_line": Cat(line, PRODUCT_LINES),
            "value": cat("value"),
            "parent_id": Ref("target", cat("parent")),
        },
    )
