"""What the API, the pages and the CLI call: landing, series, accuracy and calls, computed
once per data version and kept in memory, and frozen (stored) when made.

Computing a landing forecast means reading the history as of the day and training the win
model: seconds on a small company, tens of seconds on a large one. The pages therefore ask
with a short ``wait``: the first caller starts the work in a background thread and gets None
when it is not done in time (the page says so and reloads itself); every later caller for
the same data version, scope, period and day gets the kept result at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine, select

from salesops.auth.audit import Actor
from salesops.db.derived import data_version
from salesops.db.schema import Opportunity, Rep
from salesops.forecast import store
from salesops.forecast.compute import (
    METHODS,
    landing_as_of,
    load_known,
    score_open,
    to_records,
    train_model,
)
from salesops.forecast.landing import Bands, Landing
from salesops.metrics.scope import Scope
from salesops.targets.calendar import Period

log = logging.getLogger(__name__)

TOP_DEALS = 12
SERIES_METRICS = ("bookings", "revenue", "orders", "new_customers", "won_deals", "gross_profit")


class ForecastSettings(BaseSettings):
    """``SALESOPS_FORECAST_BANDS``: the probability bands of the forecast categories, e.g.
    ``commit=0.7,best_case=0.4,pipeline=0.1``."""

    model_config = SettingsConfigDict(env_prefix="SALESOPS_FORECAST_", extra="ignore")
    bands: str = ""


@lru_cache(maxsize=8)
def _bands(text: str) -> Bands:
    return Bands.parse(text) if text else Bands()


def bands() -> Bands:
    """The configured forecast bands (defaults 0.7 / 0.4 / 0.1)."""
    return _bands(ForecastSettings().bands)


@dataclass
class LandingView:
    """Today's landing forecast of one period and scope, its baselines and its top deals."""

    landing: Landing
    baselines: dict[str, float]
    deals: list[dict[str, Any]]
    model: dict[str, Any]
    open_deals: int
    seconds: float
    made_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def to_dict(self, full: bool = False) -> dict[str, Any]:
        out = {
            "landing": self.landing.to_dict(),
            "baselines": self.baselines,
            "deals": self.deals,
            "model": self.model,
            "open_deals": self.open_deals,
            "seconds": round(self.seconds, 3),
        }
        if full:
            out["made_at"] = self.made_at.isoformat()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LandingView:
        """The view :meth:`to_dict` (``full``) wrote, e.g. stored by another process."""
        from dataclasses import fields

        land = dict(data["landing"])
        land["as_of"] = dt.date.fromisoformat(land["as_of"])
        names = {f.name for f in fields(Landing)}
        return cls(
            landing=Landing(**{k: v for k, v in land.items() if k in names}),
            baselines=data["baselines"],
            deals=data["deals"],
            model=data["model"],
            open_deals=int(data["open_deals"]),
            seconds=float(data["seconds"]),
            made_at=dt.datetime.fromisoformat(data["made_at"]),
        )


_LOCK = threading.Lock()
_DONE: dict[tuple[Any, ...], Any] = {}
_RUNNING: dict[tuple[Any, ...], threading.Event] = {}


def _key(engine: Engine, scope: Scope, period: Period, as_of: dt.date) -> tuple[Any, ...]:
    with engine.connect() as conn:
        version = data_version(conn)
    return (str(engine.url), version, scope.cache_key(), period.grain, period.start, as_of)


def compute_landing(
    engine: Engine, scope: Scope, period: Period, as_of: dt.date, actor: Actor | str = "system"
) -> LandingView:
    """Compute (and freeze) the landing forecast of ``period`` as of ``as_of``: every method,
    the win model, the top deals with their factors."""
    started = time.perf_counter()
    with engine.connect() as conn:
        known = load_known(conn, as_of, scope)
        model = train_model(conn, known)
        scored = score_open(known, model)
        results: dict[str, Landing] = {}
        deals_frame = None
        for method in METHODS:
            land, deals = landing_as_of(
                conn, period, known, method=method, model=model, scored=scored, bands=bands()
            )
            results[method] = land
            if method == "landing":
                deals_frame = deals
        assert deals_frame is not None
        top = deals_frame.reindex(
            deals_frame["expected"].abs().sort_values(ascending=False).index
        ).head(TOP_DEALS)
        from salesops.forecast.winmodel import FEATURES

        factors = model.factors(top[list(FEATURES)]) if len(top) else []
        names = _names(
            conn,
            [int(i) for i in top["id"]],
            [int(i) for i in top["owner_id"] if i == i and i is not None],
        )
    rows = []
    for rec, fac in zip(to_records(top), factors or [[]] * len(top), strict=False):
        ident = int(rec["id"])
        ext, name = names["deals"].get(ident, (str(ident), None))
        rows.append(
            {
                "id": ident,
                "external_id": ext,
                "name": name,
                "owner": names["reps"].get(rec.get("owner_id")),
                "stage": rec.get("stage"),
                "amount": rec.get("amount"),
                "expected_close_on": rec.get("expected_close_on"),
                "p_win": rec.get("p_win"),
                "p_stage": rec.get("p_stage"),
                "timing": rec.get("timing"),
                "expected": rec.get("expected"),
                "category": rec.get("category"),
                "factors": fac,
            }
        )
    view = LandingView(
        landing=results["landing"],
        baselines={m: results[m].expected for m in METHODS},
        deals=rows,
        model={
            "method": model.method,
            "trained_rows": model.trained_rows,
            "won_rows": model.won_rows,
            "fallback_reason": model.fallback_reason,
            "seconds": round(model.seconds, 2),
        },
        open_deals=len(scored),
        seconds=time.perf_counter() - started,
    )
    from salesops.analysis.common import resolve_as_of

    with engine.begin() as conn:
        # Forecasts whose period has ended since the last computation get their actual now:
        # a period is scored by the first forecast made after it closes (or `forecast score`).
        store.score_ended(conn, resolve_as_of(None), actual_of_series(engine), actor=actor)
        for method, land in results.items():
            store.freeze(
                conn,
                kind="landing",
                method=method,
                metric="bookings",
                period_grain=period.grain,
                period_start=period.start,
                period_end=period.end,
                as_of=as_of,
                scope=scope,
                expected=land.expected,
                low=land.low,
                high=land.high,
                detail={
                    "closed_to_date": land.closed_to_date,
                    "categories": land.categories,
                    "notes": land.notes,
                    "model": view.model,
                },
                actor=actor,
            )
    return view


def _names(conn: Any, deal_ids: list[int], rep_ids: list[int]) -> dict[str, dict[Any, Any]]:
    deals = {
        int(i): (e, n)
        for i, e, n in conn.execute(
            select(Opportunity.id, Opportunity.external_id, Opportunity.name).where(
                Opportunity.id.in_(deal_ids or [0])
            )
        )
    }
    reps = {
        int(i): n
        for i, n in conn.execute(select(Rep.id, Rep.name).where(Rep.id.in_(rep_ids or [0])))
    }
    return {"deals": deals, "reps": reps}


def _digest(key: tuple[Any, ...]) -> str:
    """What a kept result was computed from, the same in every process (the database URL,
    which only tells processes' engines apart, is left out)."""
    import hashlib

    return hashlib.sha256(repr((key[0], *key[2:])).encode()).hexdigest()


def _stored_stamp(engine: Engine, digest: str) -> int | None:
    """The id of the newest stored result under ``digest`` (None: none stored)."""
    from sqlalchemy import func

    from salesops.db.schema import ForecastResult

    with engine.connect() as conn:
        value = conn.execute(
            select(func.max(ForecastResult.id)).where(ForecastResult.result_key == digest)
        ).scalar()
    return None if value is None else int(value)


def _load_stored(engine: Engine, stamp: int) -> Any:
    import json

    from salesops.db.schema import ForecastResult

    with engine.connect() as conn:
        row = conn.execute(
            select(ForecastResult.kind, ForecastResult.payload).where(ForecastResult.id == stamp)
        ).first()
    if row is None:
        return None
    loader = {"landing": LandingView.from_dict, "series": SeriesView.from_dict}[row.kind]
    return loader(json.loads(row.payload))


#: Stored results older than this are removed when a new one is stored (keys of old data
#: versions are never asked for again).
STORED_DAYS = 7


def _store_result(engine: Engine, digest: str, kind: str, result: Any) -> int:
    """Store ``result`` under ``digest`` for the other processes; returns its id."""
    import json

    from sqlalchemy import delete, insert

    from salesops.db.schema import ForecastResult

    payload = json.dumps(result.to_dict(full=True), ensure_ascii=False, default=_json_value)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    r = ForecastResult
    with engine.begin() as conn:
        ident = conn.execute(
            insert(r)
            .values(result_key=digest, kind=kind, payload=payload, made_at=now)
            .returning(r.id)
        ).scalar_one()
        conn.execute(
            delete(r).where(
                (r.made_at < now - dt.timedelta(days=STORED_DAYS))
                | ((r.result_key == digest) & (r.id < ident))
            )
        )
    return int(ident)


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def _kept(
    key: tuple[Any, ...],
    compute: Any,
    wait: float | None,
    engine: Engine | None = None,
    kind: str = "",
) -> Any:
    """``compute()``'s result kept under ``key``: from memory when there, else computed — in
    the caller's thread (``wait`` None) or in a background thread, waiting at most ``wait``
    seconds (None returned when it is not done yet; a later call picks it up).

    With ``engine``, results are shared between processes the way the metrics cache follows
    the data version: each call reads the id of the newest result stored in the database
    under the key's digest (one small query); a process whose kept result is older — or that
    has none — takes the stored one instead of computing, and a computed result is stored."""
    digest = _digest(key) if engine is not None else None
    stamp = None
    if engine is not None and digest is not None:
        stamp = _stored_stamp(engine, digest)
    with _LOCK:
        done = _DONE.get(key)
        event = _RUNNING.get(key)
    if isinstance(done, BaseException):
        raise done
    if stamp is not None and (done is None or done[0] != stamp) and engine is not None:
        loaded = _load_stored(engine, stamp)
        if loaded is not None:
            with _LOCK:
                _DONE[key] = (stamp, loaded)
            if kind == "series":
                store.bump_generation()  # its frozen rows may be new to the trend charts
            return loaded
    if done is not None:
        return done[1]
    with _LOCK:
        done = _DONE.get(key)
        event = _RUNNING.get(key)
        starter = done is None and event is None
        if starter:
            event = threading.Event()
            _RUNNING[key] = event
    if done is not None:
        if isinstance(done, BaseException):
            raise done
        return done[1]
    assert event is not None

    def run() -> None:
        result: Any
        try:
            value = compute()
            ident = None
            if engine is not None and digest is not None:
                try:
                    ident = _store_result(engine, digest, kind, value)
                except Exception:  # sharing is an optimisation: never lose the result for it
                    log.warning("forecast result not stored for other processes", exc_info=True)
            result = (ident, value)
        except Exception as exc:  # kept and raised to the callers, not lost in a thread
            result = exc
        with _LOCK:
            if len(_DONE) > 128:
                _DONE.clear()
            _DONE[key] = result
            _RUNNING.pop(key, None)
        event.set()

    if starter:
        if wait is None:
            run()
        else:
            # not a daemon: a thread still inside DuckDB or NumPy when the interpreter
            # finalises aborts the whole process, so the process finishes the forecast first
            threading.Thread(target=run, name="forecast", daemon=False).start()
    if wait is None:
        event.wait()
    elif not event.wait(wait):
        return None
    with _LOCK:
        done = _DONE.get(key)
    if isinstance(done, BaseException):
        raise done
    return None if done is None else done[1]


def landing_view(
    engine: Engine,
    scope: Scope,
    period: Period,
    as_of: dt.date,
    *,
    wait: float | None = None,
    actor: Actor | str = "system",
) -> LandingView | None:
    """The landing view of this data version, scope, period and day (see :func:`_kept`)."""
    key = ("landing", *_key(engine, scope, period, as_of))
    result: LandingView | None = _kept(
        key, lambda: compute_landing(engine, scope, period, as_of, actor), wait, engine, "landing"
    )
    return result


def forget(engine: Engine | None = None) -> None:
    """Drop every kept result of this process (tests, timings); with ``engine``, the
    results stored for the other processes in that database too."""
    with _LOCK:
        _DONE.clear()
    if engine is not None:
        from sqlalchemy import delete

        from salesops.db.schema import ForecastResult

        with engine.begin() as conn:
            conn.execute(delete(ForecastResult))


# --------------------------------------------------------------------------- series


@dataclass
class SeriesView:
    """History and forecast of one KPI series with its interval and target line."""

    metric: str
    grain: str
    where: dict[str, str]
    periods: list[str]
    actual: list[float]
    forecast_periods: list[str]
    mean: list[float]
    low: list[float]
    high: list[float]
    method: str
    chosen_by: dict[str, float | None]
    targets: dict[str, float]

    def to_dict(self, full: bool = False) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SeriesView:
        """The view :meth:`to_dict` wrote, e.g. stored by another process."""
        return cls(**data)


GRAINS = ("month", "week")


def _month_labels(first: dt.date, count: int) -> list[str]:
    from salesops.targets.calendar import add_months

    return [f"{add_months(first, i):%Y-%m}" for i in range(count)]


def _step(day: dt.date, grain: str, k: int) -> dt.date:
    """The start of the ``grain`` period ``k`` periods after the one starting at ``day``."""
    from salesops.targets.calendar import add_months

    return add_months(day, k) if grain == "month" else day + dt.timedelta(weeks=k)


def _labels(first: dt.date, count: int, grain: str) -> list[str]:
    from salesops.metrics.dialects import period_label

    return [period_label(grain, _step(first, grain, i)) for i in range(count)]


def complete_end(as_of: dt.date, grain: str) -> dt.date:
    """The first day after the last complete ``grain`` period at the end of ``as_of``: months
    and ISO weeks (Monday to Sunday)."""
    from salesops.targets.calendar import add_months

    if grain == "week":
        monday = as_of - dt.timedelta(days=as_of.weekday())
        return monday + dt.timedelta(weeks=1) if as_of.weekday() == 6 else monday
    next_month = add_months(as_of.replace(day=1), 1)
    return as_of.replace(day=1) if next_month - dt.timedelta(days=1) != as_of else next_month


def _check_grain(grain: str) -> None:
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}; use month or week")


def series_view(
    engine: Engine,
    scope: Scope,
    metric: str,
    as_of: dt.date,
    *,
    where: dict[str, str] | None = None,
    horizon: int = 3,
    method: str = "auto",
    grain: str = "month",
    actor: Actor | str = "system",
    wait: float | None = None,
) -> SeriesView | None:
    """:func:`compute_series`, kept per data version (see :func:`_kept`); bad input raises
    at once, not in the background."""
    from salesops.metrics.catalog import get as get_kpi

    kpi = get_kpi(metric)
    if not kpi.additive_over_time:
        raise ValueError(
            f"{metric!r} does not add up over time; forecast a flow KPI such as bookings"
        )
    _check_grain(grain)
    if not 1 <= horizon <= MAX_HORIZON[grain]:
        raise ValueError(f"horizon must be 1 to {MAX_HORIZON[grain]} periods")
    with engine.connect() as conn:
        version = data_version(conn)
    where = {k: v for k, v in (where or {}).items() if v}
    key = (
        "series",
        str(engine.url),
        version,
        scope.cache_key(),
        metric,
        tuple(sorted(where.items())),
        as_of,
        horizon,
        method,
        grain,
    )
    result: SeriesView | None = _kept(
        key,
        lambda: compute_series(
            engine,
            scope,
            metric,
            as_of,
            where=where,
            horizon=horizon,
            method=method,
            grain=grain,
            actor=actor,
        ),
        wait,
        engine,
        "series",
    )
    return result


#: The longest horizon asked for, per grain (two years)
MAX_HORIZON = {"month": 24, "week": 104}


def series_values(
    engine: Engine,
    scope: Scope,
    metric: str,
    as_of: dt.date,
    *,
    where: dict[str, str] | None = None,
    grain: str = "month",
    history: int | None = None,
) -> tuple[dt.date, dt.date, list[str], list[float]]:
    """The complete ``grain`` periods of ``metric`` up to ``as_of`` (at most ``history`` of
    them, from the KPI's first data on): ``(first start, end, labels, values)``; a period
    without data is 0."""
    from salesops.forecast.series import HISTORY, monthly_values
    from salesops.metrics.dialects import bucket_of
    from salesops.metrics.engine import shared_engine
    from salesops.metrics.query import MetricQuery

    _check_grain(grain)
    history = history or HISTORY[grain]
    end = complete_end(as_of, grain)
    first = _step(end, grain, -history)
    start = _data_start(engine, metric)
    if start is not None:
        first = max(first, bucket_of(grain, start))
    if grain == "month":
        count = (end.year - first.year) * 12 + end.month - first.month
    else:
        count = (end - first).days // 7
    if count <= 0:
        raise ValueError(f"no complete {grain} of history before this date")
    where = {k: v for k, v in (where or {}).items() if v}
    query = MetricQuery(
        metric,
        grain=grain,  # type: ignore[arg-type]
        start=first,
        end=end - dt.timedelta(days=1),
        where=tuple((k, (v,)) for k, v in sorted(where.items())),
    )
    rows = shared_engine(engine).query(query, scope).rows
    periods = _labels(first, count, grain)
    return first, end, periods, monthly_values(rows, periods)


def compute_series(
    engine: Engine,
    scope: Scope,
    metric: str,
    as_of: dt.date,
    *,
    where: dict[str, str] | None = None,
    horizon: int = 3,
    history_months: int | None = None,
    method: str = "auto",
    grain: str = "month",
    actor: Actor | str = "system",
) -> SeriesView:
    """History of ``metric`` by ``grain`` (complete months or ISO weeks up to ``as_of``) and
    its forecast for the next ``horizon`` periods, by ``method`` (auto: chosen per series by
    backtest). ``history_months``: how many periods of history (default 36 months, 156
    weeks)."""
    from salesops.forecast.series import forecast
    from salesops.metrics.catalog import get as get_kpi

    kpi = get_kpi(metric)
    if not kpi.additive_over_time:
        raise ValueError(
            f"{metric!r} does not add up over time; forecast a flow KPI such as bookings"
        )
    _check_grain(grain)
    if not 1 <= horizon <= MAX_HORIZON[grain]:
        raise ValueError(f"horizon must be 1 to {MAX_HORIZON[grain]} periods")
    where = {k: v for k, v in (where or {}).items() if v}
    first, end, periods, values = series_values(
        engine, scope, metric, as_of, where=where, grain=grain, history=history_months
    )
    key = ";".join(f"{k}={v}" for k, v in sorted(where.items()))
    kept = forecast(values, horizon, grain, method)
    with engine.begin() as conn:
        for i, (m, lo, hi) in enumerate(zip(kept.mean, kept.low, kept.high, strict=False)):
            p_start = _step(end, grain, i)
            store.freeze(
                conn,
                kind="series",
                method=kept.method,
                metric=metric,
                period_grain=grain,
                period_start=p_start,
                period_end=_step(p_start, grain, 1) - dt.timedelta(days=1),
                as_of=as_of,
                scope=scope,
                expected=m,
                low=lo,
                high=hi,
                series_key=key,
                detail={"chosen_by": kept.chosen_by, "horizon": horizon},
                actor=actor,
            )
    targets = (
        _monthly_targets(engine, metric, scope, first, _step(end, grain, horizon))
        if not where and grain == "month"
        else {}
    )
    return SeriesView(
        metric=metric,
        grain=grain,
        where=where,
        periods=periods,
        actual=values,
        forecast_periods=_labels(end, horizon, grain),
        mean=kept.mean,
        low=kept.low,
        high=kept.high,
        method=kept.method,
        chosen_by=kept.chosen_by,
        targets=targets,
    )


def _data_start(engine: Engine, metric: str) -> dt.date | None:
    """The first month with data of the KPI's fact (orders, closed deals, customers)."""
    from sqlalchemy import func

    from salesops.db.schema import Customer, OrderLine

    column = {
        "order_line": OrderLine.order_date,
        "customer": Customer.first_order_on,
        "opportunity": Opportunity.closed_on,
    }
    from salesops.metrics.catalog import get as get_kpi

    col = column.get(get_kpi(metric).fact)
    if col is None:
        return None
    with engine.connect() as conn:
        return conn.execute(select(func.min(col))).scalar()


def _monthly_targets(
    engine: Engine, metric: str, scope: Scope, first: dt.date, end: dt.date
) -> dict[str, float]:
    """Monthly targets of ``metric`` at the scope's own level, by ``YYYY-MM``."""
    from salesops.db.schema import Target

    t = Target
    stmt = select(t.period_start, t.value).where(
        t.metric == metric, t.period_grain == "month", t.period_start >= first, t.period_start < end
    )
    stmt = stmt.where(t.channel.is_(None))  # the whole target, not a channel's part
    if scope.kind == "all":
        stmt = stmt.where(t.scope_kind == "company")
    elif scope.kind == "org_unit":
        stmt = stmt.where(t.scope_kind == "org_unit", t.org_unit_id == scope.org_unit_id)
    else:
        stmt = stmt.where(t.scope_kind == "rep", t.rep_id == scope.rep_id)
    with engine.connect() as conn:
        return {f"{d:%Y-%m}": float(v) for d, v in conn.execute(stmt)}


# --------------------------------------------------------------------------- accuracy


def accuracy_view(engine: Engine, scope: Scope) -> dict[str, Any]:
    """Scored frozen forecasts of ``scope``: per kind and method WAPE, bias, coverage and
    count, the per-period history of landing forecasts, and the latest win-model Brier."""
    from salesops.forecast import accuracy

    with engine.connect() as conn:
        rows = store.snapshots(conn, scope, scored_only=True)
        briers = store.snapshots(conn, scope, kind="win_brier")
    table = []
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        if r["kind"] in ("landing", "series"):
            groups.setdefault((r["kind"], r["method"]), []).append(r)
    for (kind, method), items in sorted(groups.items()):
        fc = [float(i["expected"]) for i in items]
        ac = [float(i["actual"]) for i in items]
        ranged = [
            i
            for i in items
            if i["low"] is not None and i["high"] is not None and i["low"] != i["high"]
        ]
        table.append(
            {
                "kind": kind,
                "method": method,
                "n": len(items),
                "wape": accuracy.wape(fc, ac),
                "bias": accuracy.bias(fc, ac),
                "coverage": accuracy.coverage(
                    [float(i["low"]) for i in ranged],
                    [float(i["high"]) for i in ranged],
                    [float(i["actual"]) for i in ranged],
                )
                if ranged
                else None,
            }
        )
    history: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["kind"] != "landing":
            continue
        label = f"{r['period_start']:%Y-%m}"
        entry = history.setdefault(
            label, {"period_start": r["period_start"].isoformat(), "actual": float(r["actual"])}
        )
        entry.setdefault("forecasts", {})[r["method"]] = float(r["expected"])
    import json

    brier = json.loads(briers[-1]["detail"]) if briers else None
    return {"table": table, "history": [history[k] for k in sorted(history)], "brier": brier}


# --------------------------------------------------------------------------- calls


def calls_view(engine: Engine, scope: Scope, period: Period) -> dict[str, Any]:
    """The calls of ``period`` the scope sees, rolled up (latest per rep)."""
    with engine.connect() as conn:
        rows = store.calls(conn, period, scope)
    out = store.roll_up_calls(rows)
    out["rows"] = rows
    return out


def actual_of_series(engine: Engine) -> Any:
    """For :func:`salesops.forecast.store.score_ended`: the actual of a stored series
    forecast (its KPI over its month, series and scope) from the metrics engine."""
    from salesops.metrics.engine import shared_engine
    from salesops.metrics.query import MetricQuery

    metrics = shared_engine(engine)

    def actual(row: dict[str, Any]) -> float | None:
        if row["kind"] != "series":
            return None
        where = tuple(
            (k, (v,))
            for k, _, v in (part.partition("=") for part in row["series_key"].split(";") if part)
        )
        scope = store.scope_of_row(row["scope_kind"], row["org_unit_id"], row["rep_id"])
        q = MetricQuery(
            row["metric"], start=row["period_start"], end=row["period_end"], where=where
        )
        rows = metrics.query(q, scope).rows
        return float(rows[0]["value"] or 0.0) if rows else 0.0

    return actual
