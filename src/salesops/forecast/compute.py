"""Landing forecasts and their two baselines, computed from what was known as of a day.

``METHODS``:

* ``landing`` — the landing forecast of :mod:`salesops.forecast.landing` with the win model's
  probabilities (the stage probabilities when there is no model);
* ``stage_weighted`` — baseline: closed to date + open deals expected to close in the period
  (overdue ones included) x their stage probability;
* ``last_year_growth`` — baseline: the same period last year x growth (the last 12 months'
  bookings over the 12 months before).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from salesops.analysis.pipeline_history import KeptDates, kept_dates
from salesops.db.schema import Target
from salesops.forecast import data
from salesops.forecast.landing import (
    PAST_PERIODS,
    Bands,
    Landing,
    category,
    earlier,
    landing,
    origin_in,
    roll_up,
    same_point,
)
from salesops.forecast.winmodel import (
    ACTIVITY_DAYS,
    TRAIN_MONTHS,
    History,
    WinModel,
    features,
    month_ends_before,
    train,
)
from salesops.metrics.history import cutoff_of
from salesops.metrics.scope import Scope
from salesops.targets.calendar import Period

if TYPE_CHECKING:
    import pandas as pd

METHODS = ("landing", "stage_weighted", "last_year_growth")


@dataclass
class Known:
    """Everything the forecasts read, as known at the end of ``as_of`` in ``scope``."""

    as_of: dt.date
    scope: Scope
    kept: KeptDates
    open_now: pd.DataFrame
    hist: History


def load_known(conn: Connection, as_of: dt.date, scope: Scope) -> Known:
    """Read the open pipeline and the history known at the end of ``as_of``."""
    kept = kept_dates(conn)
    # Features are read at the training snapshots (the month ends before ``as_of``) and at
    # ``as_of``: older history of deals closed before the first snapshot is never needed, nor
    # activities more than ACTIVITY_DAYS before it. The same rows as reading everything.
    first = month_ends_before(as_of, TRAIN_MONTHS)[0]
    hist = History(
        closed=data.closed_deals(conn, as_of, scope),
        changes=data.stage_changes(conn, as_of, scope, open_since=first),
        activities=data.deal_activities(
            conn, as_of, scope, since=cutoff_of(first) - dt.timedelta(days=ACTIVITY_DAYS)
        ),
        stages=data.stage_table(conn),
        lines=data.product_lines(conn),
    )
    open_now = data.open_deals(conn, [as_of], scope, kept)
    crm = data.crm_categories(conn, as_of, scope, kept)
    open_now["crm_category"] = [crm.get(int(i)) for i in open_now["id"]]
    return Known(as_of, scope, kept, open_now, hist)


def train_model(conn: Connection, known: Known, months: int = TRAIN_MONTHS) -> WinModel:
    """The win model as of ``known.as_of``: snapshots at the month ends before it, labelled
    by what had closed by then."""
    days = month_ends_before(known.as_of, months)
    snap = data.open_deals(conn, days, known.scope, known.kept)
    return train(known.as_of, snap, known.hist)


def score_open(known: Known, model: WinModel) -> pd.DataFrame:
    """The open deals at ``as_of`` with their features, ``p_win`` and ``p_stage``."""
    frame = known.open_now.reset_index(drop=True)
    feats = features(frame, known.hist)
    out = frame.join(feats[[c for c in feats.columns if c not in frame.columns]])
    out["p_win"] = model.predict(feats)
    out["p_stage"] = feats["stage_probability"].to_numpy(dtype=float)
    return out


def first_close(known: Known) -> dt.date | None:
    """The first close date known as of ``known.as_of`` (when history starts to count)."""
    closed = known.hist.closed["closed_on"]
    return None if closed.empty else closed.min()


def _won_amount(hist: History, ids: set[int], start: dt.date, end: dt.date) -> float:
    c = hist.closed
    mask = (c["status"] == "won") & c["id"].isin(ids)
    mask &= (c["closed_on"] >= start) & (c["closed_on"] <= end)
    return float(c.loc[mask, "amount"].sum())


@dataclass
class Timing:
    """Close timing learnt from the last ended periods: of the amount won by deals open at
    the same point of each, the share won before that period ended (``t_in`` for deals whose
    expected close was in the period, ``t_after`` for the others), pooled over the periods,
    and the spread of the per-period shares (``sd_in``, ``sd_after``; 0 with fewer than two)."""

    t_in: float = 1.0
    t_after: float = 0.0
    sd_in: float = 0.0
    sd_after: float = 0.0
    notes: list[str] = field(default_factory=list)


def timing(conn: Connection, period: Period, known: Known) -> Timing:
    """:class:`Timing` as of ``known.as_of``; (1, 0) when there is no such history."""
    months = origin_in(period, known.as_of)
    won = known.hist.closed[known.hist.closed["status"] == "won"]
    won_ids = set(won["id"])
    totals = {"in": [0.0, 0.0], "after": [0.0, 0.0]}
    shares: dict[str, list[float]] = {"in": [], "after": []}
    used = 0
    for k in range(1, PAST_PERIODS + 1):
        past = earlier(period, k)
        if past.end > known.as_of:
            continue
        point = same_point(past, months)
        snap = data.open_deals(conn, [point], known.scope, known.kept)
        snap = snap[snap["id"].isin(won_ids)]
        if snap.empty:
            continue
        used += 1
        due = snap["expected_close_on"].notna() & (snap["expected_close_on"] <= past.end)
        for bucket, part in (("in", snap[due]), ("after", snap[~due])):
            ids = set(part["id"])
            inside = _won_amount(known.hist, ids, point + dt.timedelta(days=1), past.end)
            total = _won_amount(known.hist, ids, point + dt.timedelta(days=1), known.as_of)
            totals[bucket][0] += inside
            totals[bucket][1] += total
            if total:
                shares[bucket].append(inside / total)
    out = Timing()
    if used == 0:
        out.notes.append(
            "no ended period to learn close timing from: expected close dates taken as given"
        )
    if totals["in"][1]:
        out.t_in = totals["in"][0] / totals["in"][1]
    if totals["after"][1]:
        out.t_after = totals["after"][0] / totals["after"][1]
    if len(shares["in"]) > 1:
        out.sd_in = statistics.stdev(shares["in"])
    if len(shares["after"]) > 1:
        out.sd_after = statistics.stdev(shares["after"])
    return out


def new_business(conn: Connection, period: Period, known: Known) -> tuple[float, float, list[str]]:
    """Mean and spread of the amount won, in the rest of each of the last ended periods (those
    that end after the first deal closed), by deals created after the same point of it."""
    months = origin_in(period, known.as_of)
    first = first_close(known)
    values = []
    for k in range(1, PAST_PERIODS + 1):
        past = earlier(period, k)
        if past.end > known.as_of or first is None or past.end < first:
            continue  # not ended yet, or before any deal had closed: no evidence either way
        point = same_point(past, months)
        values.append(
            data.won_between(
                conn, point + dt.timedelta(days=1), past.end, known.scope, created_after=point
            )
        )
    if not values:
        return 0.0, 0.0, ["no ended period to learn new business from: none expected"]
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.fmean(values), sd, []


def target_for(
    conn: Connection, period: Period, scope: Scope, metric: str = "bookings"
) -> float | None:
    """The target of ``metric`` for ``period`` at the scope's own level (company, the
    manager's org unit, the rep), if one is set."""
    t = Target
    stmt = select(t.value).where(
        t.metric == metric, t.period_grain == period.grain, t.period_start == period.start
    )
    stmt = stmt.where(t.channel.is_(None))  # the whole target, not a channel's part
    if scope.kind == "all":
        stmt = stmt.where(t.scope_kind == "company")
    elif scope.kind == "org_unit":
        stmt = stmt.where(t.scope_kind == "org_unit", t.org_unit_id == scope.org_unit_id)
    else:
        stmt = stmt.where(t.scope_kind == "rep", t.rep_id == scope.rep_id)
    value = conn.execute(stmt.limit(1)).scalar()
    return float(value) if value is not None else None


def landing_as_of(
    conn: Connection,
    period: Period,
    known: Known,
    *,
    method: str = "landing",
    model: WinModel | None = None,
    scored: pd.DataFrame | None = None,
    bands: Bands | None = None,
) -> tuple[Landing, pd.DataFrame]:
    """The landing forecast of ``period`` by ``method`` as of ``known.as_of``, and the open
    deals with their contribution (``expected``) and category."""
    if method not in METHODS:
        raise ValueError(f"unknown forecast method {method!r}; one of: {', '.join(METHODS)}")
    bands = bands or Bands()
    as_of = known.as_of
    scope = known.scope
    closed_start = period.start
    closed = (
        data.won_between(conn, closed_start, min(as_of, period.end), scope)
        if as_of >= period.start
        else 0.0
    )
    if scored is None:
        scored = score_open(known, model or WinModel(as_of=as_of))
    deals = scored.copy()
    in_period = deals["expected_close_on"].notna() & (deals["expected_close_on"] <= period.end)
    # The deal's own probability (the rep's, from the CRM) puts it in a band; without one,
    # its stage's probability does.
    own = deals["probability"].where(deals["probability"].notna(), deals["p_stage"])
    crm = [
        c if isinstance(c, str) else None
        for c in (deals["crm_category"] if "crm_category" in deals else [None] * len(deals))
    ]
    deals["category"] = [
        category(p, d, period.end, bands, crm=c)
        for p, d, c in zip(own, deals["expected_close_on"], crm, strict=False)
    ]
    cats = roll_up(closed, zip(deals["amount"].fillna(0.0), deals["category"], strict=False))
    target = target_for(conn, period, scope)
    notes: list[str] = []
    from_crm = sum(1 for c in crm if c)
    if from_crm:
        notes.append("categories: the CRM's forecast category where a deal has one, else the bands")
    amount = deals["amount"].fillna(0.0)
    if method == "stage_weighted":
        deals["expected"] = (amount * deals["p_stage"]).where(in_period, 0.0)
        pipe = float(deals["expected"].sum())
        result = Landing(
            period.label(),
            as_of,
            method,
            closed,
            pipe,
            0.0,
            closed + pipe,
            closed + pipe,
            closed + pipe,
            target,
            cats,
            notes,
        )
        return result, deals
    if method == "last_year_growth":
        last = period.shift_years(-1)
        ly = data.won_between(conn, last.start, min(last.end, as_of), scope)
        recent = data.won_between(conn, as_of - dt.timedelta(days=364), as_of, scope)
        before = data.won_between(
            conn, as_of - dt.timedelta(days=729), as_of - dt.timedelta(days=365), scope
        )
        first = first_close(known)
        covered = first is not None and first <= as_of - dt.timedelta(days=729)
        growth = recent / before if before and covered else 1.0
        value = ly * growth
        deals["expected"] = 0.0
        notes.append(
            f"growth {growth:.3f}" if covered else "less than two years of history: growth 1"
        )
        return Landing(
            period.label(),
            as_of,
            method,
            closed,
            0.0,
            0.0,
            value,
            value,
            value,
            target,
            cats,
            notes,
        ), deals
    tm = timing(conn, period, known)
    new_mean, new_sd, n2 = new_business(conn, period, known)
    notes += tm.notes + n2
    deals["timing"] = [tm.t_in if i else tm.t_after for i in in_period]
    deals["expected"] = amount * deals["p_win"] * deals["timing"]
    triples = list(zip(amount, deals["p_win"], deals["timing"], strict=False))
    # How much the close timing moved from period to period moves the whole pipeline at once.
    weighted = amount * deals["p_win"]
    systematic = math.hypot(
        float(weighted[in_period].sum()) * tm.sd_in, float(weighted[~in_period].sum()) * tm.sd_after
    )
    expected, low, high, pipe = landing(closed, triples, new_mean, new_sd, systematic_sd=systematic)
    result = Landing(
        period.label(),
        as_of,
        method,
        closed,
        pipe,
        new_mean,
        expected,
        low,
        high,
        target,
        cats,
        notes,
    )
    return result, deals


def to_records(frame: Any) -> list[dict[str, Any]]:
    """Rows of a frame as plain dicts (dates as ISO text, NaN as None)."""
    out = []
    for row in frame.to_dict(orient="records"):
        clean = {}
        for k, v in row.items():
            if hasattr(v, "isoformat"):
                v = v.isoformat()
            elif isinstance(v, float) and v != v:
                v = None
            elif hasattr(v, "item"):
                v = v.item()
            clean[k] = v
        out.append(clean)
    return out
