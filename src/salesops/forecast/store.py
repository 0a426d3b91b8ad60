"""Frozen forecasts and forecast calls: stored when made, scored once their period ends.

Rows are appended, never changed, except for the score (``actual``, ``scored_at``) that
:func:`score_ended` writes once the period has ended. Every write is audited in the same
transaction. A call's scope (its rep, or an org unit, or the company when both are empty)
must be inside the caller's data scope; a rep may only submit their own call.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from salesops.auth.audit import Actor, record
from salesops.auth.secrets import utcnow
from salesops.db.schema import ForecastCall, ForecastSnapshot, OrgUnit, Rep
from salesops.forecast import data
from salesops.metrics.scope import Scope, subtree_units, visible_reps
from salesops.targets.calendar import Period, period_of


class ForecastError(ValueError):
    """Bad input for a forecast write (a 4xx, never a 500)."""


class NotInScope(ForecastError):
    """A rep or org unit the caller may not see (answered as 404)."""


# --------------------------------------------------------------------------- scopes


def scope_columns(scope: Scope) -> dict[str, Any]:
    """``scope_kind, org_unit_id, rep_id`` of a stored row for ``scope``."""
    return {"scope_kind": scope.kind, "org_unit_id": scope.org_unit_id, "rep_id": scope.rep_id}


def scope_of_row(kind: str, org_unit_id: int | None, rep_id: int | None) -> Scope:
    if kind == "rep" and rep_id:
        return Scope.single_rep(rep_id)
    if kind == "org_unit" and org_unit_id:
        return Scope.subtree(org_unit_id)
    return Scope.everything()


def visible_rep_ids(conn: Connection, scope: Scope) -> set[int] | None:
    """Ids of the reps ``scope`` sees; None: every rep."""
    reps = visible_reps(scope)
    if reps is None:
        return None
    return {int(i) for i in conn.execute(reps).scalars()}


def visible_unit_ids(conn: Connection, scope: Scope) -> set[int] | None:
    """Ids of the org units ``scope`` sees (an org unit scope: its subtree; a rep: none)."""
    if scope.kind == "all":
        return None
    if scope.kind == "rep" or scope.org_unit_id is None:
        return set()
    return {int(i) for i in conn.execute(subtree_units(scope.org_unit_id)).scalars()}


# --------------------------------------------------------------------------- frozen forecasts


_GENERATION = [0]


def generation() -> int:
    """How many series forecasts this process stored or took from another process: part of
    the cache key of the forecast drawn on the trend charts (web/panels/forecast_overlay.py)."""
    return _GENERATION[0]


def bump_generation() -> None:
    _GENERATION[0] += 1


def freeze(
    conn: Connection,
    *,
    kind: str,
    method: str,
    metric: str,
    period_grain: str,
    period_start: dt.date,
    period_end: dt.date,
    as_of: dt.date,
    scope: Scope,
    expected: float,
    low: float | None = None,
    high: float | None = None,
    series_key: str = "",
    detail: dict[str, Any] | None = None,
    actor: Actor | str = "system",
    actual: float | None = None,
) -> int | None:
    """Store one forecast unless the same forecast (kind, method, metric, period, as of,
    scope, series) is already stored; returns the new row's id (None when it was)."""
    s = ForecastSnapshot
    cols = scope_columns(scope)
    same = select(s.id).where(
        s.kind == kind,
        s.method == method,
        s.metric == metric,
        s.period_grain == period_grain,
        s.period_start == period_start,
        s.as_of == as_of,
        s.scope_kind == cols["scope_kind"],
        _eq(s.org_unit_id, cols["org_unit_id"]),
        _eq(s.rep_id, cols["rep_id"]),
        s.series_key == series_key,
    )
    if conn.execute(same.limit(1)).first() is not None:
        return None
    who = actor if isinstance(actor, Actor) else Actor(actor)
    now = utcnow()
    ident = conn.execute(
        insert(s)
        .values(
            made_at=now,
            as_of=as_of,
            kind=kind,
            method=method,
            metric=metric,
            period_grain=period_grain,
            period_start=period_start,
            period_end=period_end,
            series_key=series_key,
            expected=float(expected),
            low=None if low is None else float(low),
            high=None if high is None else float(high),
            detail=json.dumps(detail or {}, ensure_ascii=False, default=str),
            made_by=who.name[:100],
            actual=actual,
            scored_at=now if actual is not None else None,
            **cols,
        )
        .returning(s.id)
    ).scalar_one()
    if kind == "series":
        bump_generation()
    record(
        conn,
        who,
        "forecast.freeze",
        f"{kind}:{method}:{metric}:{period_start.isoformat()}",
        {"as_of": as_of, "scope": scope.cache_key(), "series": series_key, "expected": expected},
    )
    return int(ident)


BACKTEST = "backtest"


def drop_backtest(conn: Connection, scope: Scope, actor: Actor | str = "system") -> int:
    """Remove the stored backtest replays of ``scope`` (``made_by`` = backtest), which a new
    backtest replaces; forecasts made live are never removed. Returns how many went."""
    s = ForecastSnapshot
    cols = scope_columns(scope)
    where = (
        s.made_by == BACKTEST,
        s.scope_kind == cols["scope_kind"],
        _eq(s.org_unit_id, cols["org_unit_id"]),
        _eq(s.rep_id, cols["rep_id"]),
    )
    gone = conn.execute(delete(s).where(*where)).rowcount or 0
    if gone:
        record(conn, actor, "forecast.backtest.replace", scope.cache_key(), {"rows": gone})
    return int(gone)


def _eq(column: Any, value: Any) -> Any:
    return column.is_(None) if value is None else column == value


def snapshots(
    conn: Connection, scope: Scope, *, kind: str | None = None, scored_only: bool = False
) -> list[dict[str, Any]]:
    """Stored forecasts made for exactly ``scope`` (oldest first)."""
    s = ForecastSnapshot
    cols = scope_columns(scope)
    stmt = select(s).where(
        s.scope_kind == cols["scope_kind"],
        _eq(s.org_unit_id, cols["org_unit_id"]),
        _eq(s.rep_id, cols["rep_id"]),
    )
    if kind:
        stmt = stmt.where(s.kind == kind)
    if scored_only:
        stmt = stmt.where(s.actual.is_not(None))
    rows = conn.execute(stmt.order_by(s.period_start, s.as_of, s.method, s.id)).mappings()
    return [dict(r) for r in rows]


def latest_series(
    conn: Connection, scope: Scope, metric: str, grain: str, series_key: str = ""
) -> list[dict[str, Any]]:
    """The periods of the newest stored forecast of one series (``metric`` by ``grain`` for
    exactly ``scope``, ``series_key`` as stored), backtests left out: the rows made as of the
    latest day, the last one made per period, oldest period first."""
    s = ForecastSnapshot
    cols = scope_columns(scope)
    where = (
        s.kind == "series",
        s.metric == metric,
        s.period_grain == grain,
        s.series_key == series_key,
        s.made_by != BACKTEST,
        s.scope_kind == cols["scope_kind"],
        _eq(s.org_unit_id, cols["org_unit_id"]),
        _eq(s.rep_id, cols["rep_id"]),
    )
    latest = conn.execute(select(func.max(s.as_of)).where(*where)).scalar()
    if latest is None:
        return []
    rows = conn.execute(
        select(s.period_start, s.period_end, s.expected, s.low, s.high, s.method, s.as_of)
        .where(*where, s.as_of == latest)
        .order_by(s.period_start, s.made_at, s.id)
    ).mappings()
    by_period = {r["period_start"]: dict(r) for r in rows}
    return [by_period[k] for k in sorted(by_period)]


def score_ended(
    conn: Connection, today: dt.date, actual_of: Any = None, actor: Actor | str = "system"
) -> int:
    """Score every stored landing forecast and call whose period ended before ``today``:
    the actual is the amount won in the period in the row's scope. ``actual_of(row)`` may
    give the actual of other kinds (series); rows it answers None for stay unscored.
    Returns how many rows were scored."""
    s = ForecastSnapshot
    now = utcnow()
    scored = 0
    pending = (
        conn.execute(select(s).where(s.actual.is_(None), s.period_end < today)).mappings().all()
    )
    for row in pending:
        scope = scope_of_row(row["scope_kind"], row["org_unit_id"], row["rep_id"])
        if row["kind"] == "landing":
            value: float | None = data.won_between(
                conn, row["period_start"], row["period_end"], scope
            )
        else:
            value = actual_of(row) if actual_of else None
        if value is None:
            continue
        conn.execute(update(s).where(s.id == row["id"]).values(actual=value, scored_at=now))
        scored += 1
    c = ForecastCall
    calls = conn.execute(select(c).where(c.actual.is_(None))).mappings().all()
    for row in calls:
        period = period_of(row["period_grain"], row["period_start"])
        if period.end >= today:
            continue
        scope = _call_scope(row["rep_id"], row["org_unit_id"])
        value = data.won_between(conn, period.start, period.end, scope)
        conn.execute(
            update(c)
            .where(c.id == row["id"])
            .values(actual=Decimal(str(round(value, 4))), scored_at=now)
        )
        scored += 1
    if scored:
        record(conn, actor, "forecast.score", None, {"rows": scored, "today": today})
    return scored


# --------------------------------------------------------------------------- calls


def _call_scope(rep_id: int | None, org_unit_id: int | None) -> Scope:
    if rep_id:
        return Scope.single_rep(rep_id)
    if org_unit_id:
        return Scope.subtree(org_unit_id)
    return Scope.everything()


def money(value: Any, name: str) -> Decimal:
    """A non-negative amount from user input, or ForecastError."""
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ForecastError(f"{name} must be a number, not {value!r}") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e15"):
        raise ForecastError(f"{name} must be a number from 0 to below 10^15")
    return amount.quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class CallTarget:
    """Whose call: a rep, an org unit (its roll-up), or the company (both None)."""

    rep_id: int | None = None
    org_unit_id: int | None = None


def resolve_target(conn: Connection, scope: Scope, rep: str | None, team: str | None) -> CallTarget:
    """The rep (by external id or name) or team (by external id or name) a call is for,
    checked against ``scope``; neither: the scope's own roll-up."""
    if rep:
        row = conn.execute(
            select(Rep.id).where((Rep.external_id == rep) | (Rep.name == rep)).order_by(Rep.id)
        ).first()
        seen = visible_rep_ids(conn, scope)
        if row is None or (seen is not None and int(row[0]) not in seen):
            raise NotInScope(f"no sales rep {rep!r} in your scope")
        return CallTarget(rep_id=int(row[0]))
    if team:
        row = conn.execute(
            select(OrgUnit.id)
            .where((OrgUnit.external_id == team) | (OrgUnit.name == team))
            .order_by(OrgUnit.id)
        ).first()
        units = visible_unit_ids(conn, scope)
        if row is None or (units is not None and int(row[0]) not in units):
            raise NotInScope(f"no team {team!r} in your scope")
        return CallTarget(org_unit_id=int(row[0]))
    if scope.kind == "rep":
        return CallTarget(rep_id=scope.rep_id)
    if scope.kind == "org_unit":
        return CallTarget(org_unit_id=scope.org_unit_id)
    return CallTarget()


def submit_call(
    conn: Connection,
    *,
    period: Period,
    target: CallTarget,
    kind: str,
    commit: Any,
    best_case: Any,
    note: str | None,
    actor: Actor,
) -> int:
    """Append a call (``submitted``) or an adjustment (``adjusted``); audited."""
    if kind not in ("submitted", "adjusted"):
        raise ForecastError(f"unknown call kind {kind!r}")
    commit_amount = money(commit, "commit")
    best = money(best_case, "best case")
    if best < commit_amount:
        raise ForecastError("best case cannot be below commit")
    if note is not None and len(note) > 2000:
        raise ForecastError("the note is longer than 2000 characters")
    c = ForecastCall
    ident = conn.execute(
        insert(c)
        .values(
            period_grain=period.grain,
            period_start=period.start,
            rep_id=target.rep_id,
            org_unit_id=target.org_unit_id,
            kind=kind,
            commit_amount=commit_amount,
            best_case_amount=best,
            note=note or None,
            user_id=actor.user_id,
            made_by=actor.name[:100],
            made_at=utcnow(),
        )
        .returning(c.id)
    ).scalar_one()
    record(
        conn,
        actor,
        f"forecast.call.{'adjust' if kind == 'adjusted' else 'submit'}",
        f"{period.label()}:{target.rep_id or ''}:{target.org_unit_id or ''}",
        {"commit": commit_amount, "best_case": best, "note": note},
    )
    return int(ident)


def calls(conn: Connection, period: Period, scope: Scope) -> list[dict[str, Any]]:
    """Every call row of ``period`` the scope may see (reps in scope, units in scope, the
    company roll-up for the full scope only), oldest first, with the rep or unit name."""
    c = ForecastCall
    stmt = (
        select(c, Rep.name.label("rep_name"), OrgUnit.name.label("unit_name"))
        .outerjoin(Rep, Rep.id == c.rep_id)
        .outerjoin(OrgUnit, OrgUnit.id == c.org_unit_id)
        .where(c.period_grain == period.grain, c.period_start == period.start)
        .order_by(c.made_at, c.id)
    )
    reps = visible_rep_ids(conn, scope)
    units = visible_unit_ids(conn, scope)
    out = []
    for row in conn.execute(stmt).mappings():
        if row["rep_id"] is not None:
            if reps is not None and row["rep_id"] not in reps:
                continue
        elif row["org_unit_id"] is not None:
            if units is not None and row["org_unit_id"] not in units:
                continue
        elif scope.kind != "all":
            continue
        out.append(dict(row))
    return out


def roll_up_calls(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The latest call per rep (an adjustment replaces the rep's own submission), the sum
    over reps, and the latest adjustment of each org unit / the company roll-up."""
    per_rep: dict[int, dict[str, Any]] = {}
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:  # oldest first: later rows replace earlier ones
        if row["rep_id"] is not None:
            entry = per_rep.setdefault(
                row["rep_id"], {"rep_id": row["rep_id"], "name": row["rep_name"]}
            )
            entry[row["kind"]] = row
            entry["latest"] = row
        else:
            key = f"unit:{row['org_unit_id']}" if row["org_unit_id"] else "company"
            totals[key] = row
    commit = sum((Decimal(e["latest"]["commit_amount"]) for e in per_rep.values()), Decimal(0))
    best = sum((Decimal(e["latest"]["best_case_amount"]) for e in per_rep.values()), Decimal(0))
    return {
        "reps": sorted(per_rep.values(), key=lambda e: str(e["name"] or "")),
        "commit": commit,
        "best_case": best,
        "adjusted": totals,
    }
