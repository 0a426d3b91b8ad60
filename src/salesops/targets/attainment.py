"""Attainment and pacing of targets (SPEC §4 ``target_attainment`` and ``pacing``).

For a target of KPI *m*, scope *s* and period [start, end], evaluated as of date *d*:

* **actual** — *m* for *s* over [start, min(d, end)] from the metrics engine (stocks such as
  open pipeline: as of min(d, end));
* **attainment** = actual / target;
* **elapsed share** *e* — the share of the period gone by *d* inclusive, in calendar days or in
  working days (``basis``);
* **expected to date** = target × *e* for flows (revenue, bookings, counts …); for ratios and
  stocks the target itself (a win rate should be at target all period long);
* **gap** = actual − expected to date (negative: behind); **remaining** = target − actual;
* **projection** (run rate) = actual / *e* for flows, the actual for ratios and stocks;
* **pacing** = attainment / *e* = projection / target for flows; attainment for the others;
* **status**, from the pacing index *p* (pacing, or 1 / pacing for KPIs where lower is better,
  such as CAC or sales cycle):

  ============  ==================
  ahead         *p* ≥ 1.05
  on_track      0.95 ≤ *p* < 1.05
  behind        0.80 ≤ *p* < 0.95
  at_risk       *p* < 0.80
  not_started   *d* before the period, or no working day elapsed yet
  no_data       a ratio with no data yet (no deals closed), or a zero target
  ============  ==================

A flow KPI with no rows counts as 0 (no sales is zero revenue); a ratio with no rows has no value.
:func:`evaluate` answers many targets with few engine queries: targets of one KPI and period
whose scopes are single reps (teams, regions, product lines) share one grouped query.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from sqlalchemy import Engine

from salesops.config import local_today
from salesops.metrics.query import MetricQuery
from salesops.metrics.scope import FULL_SCOPE, Scope
from salesops.targets.calendar import Period, WorkCalendar, work_calendar
from salesops.targets.kpis import (
    MetricError,
    MetricInfo,
    metric_info,
    query_many_rows,
    to_decimal,
)
from salesops.targets.org import Directory, TargetScope
from salesops.targets.tree import TargetRecord

Basis = Literal["calendar", "working"]
Status = Literal["ahead", "on_track", "behind", "at_risk", "not_started", "no_data"]
BASES: tuple[Basis, ...] = ("calendar", "working")

#: Status thresholds on the pacing index (see the module docstring).
AHEAD = 1.05
ON_TRACK = 0.95
BEHIND = 0.80


def today() -> dt.date:
    """Today in the configured time zone (the default as-of date)."""
    return local_today()


def status_for(index: float | None) -> Status:
    """The status of a pacing index (1.0 = exactly on pace)."""
    if index is None:
        return "no_data"
    if index >= AHEAD:
        return "ahead"
    if index >= ON_TRACK:
        return "on_track"
    if index >= BEHIND:
        return "behind"
    return "at_risk"


def elapsed(
    period: Period, as_of: dt.date, basis: Basis, calendar: WorkCalendar | None = None
) -> tuple[int, int]:
    """(days gone by ``as_of`` inclusive, days in the period), calendar or working days."""
    last = min(as_of, period.end)
    if basis == "calendar":
        return max((last - period.start).days + 1, 0), period.days
    cal = calendar or work_calendar()
    return cal.working_days(period.start, last), cal.working_days(period.start, period.end)


@dataclass(frozen=True)
class Attainment:
    """How one target stands on ``as_of``; money as exact decimals, ratios as floats."""

    target_id: int
    metric: str
    period: str
    as_of: dt.date
    basis: Basis
    target: Decimal
    actual: Decimal | None
    attainment: float | None
    elapsed_days: int
    total_days: int
    elapsed_share: float
    expected_to_date: Decimal | None
    gap: Decimal | None
    remaining: Decimal | None
    projection: Decimal | None
    pacing: float | None
    status: Status
    error: str | None = None  # why the actual could not be measured (the engine's reason)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _money(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-max(decimals, 2)), rounding=ROUND_HALF_UP)


def pace(
    target: TargetRecord,
    actual: Decimal | None,
    as_of: dt.date,
    basis: Basis = "calendar",
    *,
    info: MetricInfo | None = None,
    calendar: WorkCalendar | None = None,
    error: str | None = None,
) -> Attainment:
    """Attainment, expected-to-date, gap, projection, pacing and status of ``target`` given
    its ``actual`` (pure arithmetic; :func:`evaluate` fetches the actuals)."""
    info = info or metric_info(target.metric)
    done, total = elapsed(target.period, as_of, basis, calendar)
    share = done / total if total else (1.0 if as_of >= target.period.end else 0.0)
    flow = info.additive and info.over_time
    value = target.value
    started = as_of >= target.period.start and done > 0
    if flow and actual is None and as_of >= target.period.start and error is None:
        actual = Decimal(0)
    attainment = float(actual / value) if actual is not None and value else None
    expected = projection = gap = remaining = None
    pacing: float | None = None
    if started and actual is not None:
        # Multiply before dividing, so 450,000 × 365 / 90 is exactly 1,825,000.
        days, whole = (Decimal(done), Decimal(total)) if total else (Decimal(1), Decimal(1))
        expected = _money(value * days / whole, info.decimals) if flow else value
        projection = _money(actual * whole / days, info.decimals) if flow else actual
        gap = actual - expected
        remaining = value - actual
        if attainment is not None:
            pacing = attainment / share if flow else attainment
    if not started:
        status: Status = "not_started"
    elif pacing is None:
        status = "no_data"
    elif info.good == "down":
        status = status_for(1 / pacing) if pacing else "ahead"
    else:
        status = status_for(pacing)
    return Attainment(
        target_id=target.id,
        metric=target.metric,
        period=target.period.label(),
        as_of=as_of,
        basis=basis,
        target=value,
        actual=actual,
        attainment=attainment,
        elapsed_days=done,
        total_days=total,
        elapsed_share=share,
        expected_to_date=expected,
        gap=gap,
        remaining=remaining,
        projection=projection,
        pacing=pacing,
        status=status,
        error=error,
    )


def _window(target: TargetRecord, as_of: dt.date, info: MetricInfo) -> MetricQuery | None:
    """The engine query (without dimensions) measuring ``target`` as of ``as_of``."""
    if as_of < target.period.start:
        return None
    last = min(as_of, target.period.end)
    return MetricQuery(
        metric=target.metric,
        start=target.period.start,
        end=last,
        as_of=last if info.stock else None,
    )


def actuals(
    engine: Engine,
    targets: Sequence[TargetRecord],
    as_of: dt.date,
    *,
    scope: Scope = FULL_SCOPE,
    directory: Directory | None = None,
    errors: dict[int, str] | None = None,
) -> dict[int, Decimal | None]:
    """Each target's actual as of ``as_of`` (None: not started, or a ratio without data).

    A target the engine cannot measure (a KPI that cannot be split by its scope's dimension)
    gets None, and the engine's reason in ``errors`` when given; the others are unaffected."""
    if directory is None:
        with engine.connect() as conn:
            directory = Directory(conn)
    out: dict[int, Decimal | None] = {t.id: None for t in targets}
    # One grouped query (by rep, team, region or product line) answers every target of that
    # kind for one KPI and window; other scopes (the company, a unit with teams below it)
    # get a query each. All of them go to the engine in one call.
    grouped: dict[tuple[MetricQuery, str], list[tuple[int, str]]] = defaultdict(list)
    single: dict[MetricQuery, list[int]] = defaultdict(list)
    infos: dict[str, MetricInfo] = {}
    for t in targets:
        info = infos.setdefault(t.metric, metric_info(t.metric))
        base = _window(t, as_of, info)
        if base is None:
            continue
        filters = directory.filters(t.scope)
        # A channel's part is measured within its channel: the grouped query gets the
        # channel filter, so channel revenue is compared with the channel target.
        channel = directory.filters(TargetScope(channel=t.scope.channel))
        own = filters[: len(filters) - len(channel)]
        if len(own) == 1 and len(own[0][1]) == 1:
            dim, (name,) = own[0]
            grouped[(replace(base, by=(dim,), where=channel), dim)].append((t.id, name))
        else:
            single[replace(base, where=filters)].append(t.id)
    queries = [q for q, _ in grouped] + list(single)
    answers, failed = _answer(engine, queries, scope)
    for (query, dim), members in grouped.items():
        if query in failed:
            for target_id, _ in members:
                _fail(out, errors, target_id, failed[query])
            continue
        values: dict[str, Decimal | None] = {}
        for row in answers[query]:
            if row.get(dim) is not None:
                values[str(row[dim]).casefold()] = to_decimal(row.get("value"))
        for target_id, name in members:
            out[target_id] = values.get(name.casefold())
    for query, ids in single.items():
        rows = answers.get(query, [])
        for target_id in ids:
            if query in failed:
                _fail(out, errors, target_id, failed[query])
            else:
                out[target_id] = to_decimal(rows[0].get("value")) if rows else None
    return out


def _answer(
    engine: Engine, queries: list[MetricQuery], scope: Scope
) -> tuple[dict[MetricQuery, list[dict[str, Any]]], dict[MetricQuery, str]]:
    """Rows of every query in one engine call; when one cannot be answered, each on its own
    so that the others still are."""
    try:
        return dict(zip(queries, query_many_rows(engine, queries, scope), strict=True)), {}
    except MetricError:
        pass
    answers: dict[MetricQuery, list[dict[str, Any]]] = {}
    failed: dict[MetricQuery, str] = {}
    for query in queries:
        try:
            answers[query] = query_many_rows(engine, [query], scope)[0]
        except MetricError as exc:
            failed[query] = str(exc)
    return answers, failed


def _fail(
    out: dict[int, Decimal | None], errors: dict[int, str] | None, target_id: int, reason: str
) -> None:
    out[target_id] = None
    if errors is not None:
        errors[target_id] = reason


def evaluate(
    engine: Engine,
    targets: Sequence[TargetRecord],
    *,
    as_of: dt.date | None = None,
    basis: Basis = "calendar",
    scope: Scope = FULL_SCOPE,
    calendar: WorkCalendar | None = None,
    directory: Directory | None = None,
) -> dict[int, Attainment]:
    """Attainment and pacing of every target in ``targets`` as of ``as_of`` (default today),
    measured within the caller's data ``scope``. The one entry point for the API, CLI, pages
    and alerts."""
    as_of = as_of or today()
    if basis not in BASES:
        raise ValueError(f"basis is calendar or working, not {basis!r}")
    cal = calendar or (work_calendar() if basis == "working" else None)
    errors: dict[int, str] = {}
    found = actuals(engine, targets, as_of, scope=scope, directory=directory, errors=errors)
    infos: dict[str, MetricInfo] = {}
    return {
        t.id: pace(
            t,
            found[t.id],
            as_of,
            basis,
            info=infos.setdefault(t.metric, metric_info(t.metric)),
            calendar=cal,
            error=errors.get(t.id),
        )
        for t in targets
    }
