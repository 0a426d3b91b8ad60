"""The metrics engine: the one place numbers come from.

``MetricsEngine(sa_engine)`` answers :class:`~salesops.metrics.query.MetricQuery` objects with
SQL compiled from the KPI catalog (:mod:`salesops.metrics.compiler`), run in the database, under
the caller's data scope, and cached by (query, scope, data version). It also explains a query
(definition + SQL, without running it) and lists the fact rows behind a number.
"""

from __future__ import annotations

import datetime as dt
import gc
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import compress
from typing import Any

from sqlalchemy import Date, Engine, cast, func, inspect, select, true

from salesops.config import get_settings, local_today
from salesops.db.derived import data_version
from salesops.db.tables import Opportunity as OpportunityModel
from salesops.db.tables import (
    OpportunityChange,
    OpportunityMonthEndCover,
    OrderHeader,
    OrderLine,
    Payment,
    PaymentMonthEndCover,
    Target,
)
from salesops.metrics import catalog
from salesops.metrics.cache import ResultCache
from salesops.metrics.compiler import (
    Compiled,
    MetricQueryError,
    compile_queries,
    needs_series,
    value_column,
)
from salesops.metrics.compiler.plan import check_query, kpi_formula
from salesops.metrics.dialects import literal_sql, period_label
from salesops.metrics.measures import MEASURES
from salesops.metrics.query import MetricQuery
from salesops.metrics.scope import FULL_SCOPE, Scope

__all__ = [
    "Explanation",
    "MetricQueryError",
    "MetricResult",
    "MetricsEngine",
    "ResultRow",
    "shared_engine",
]

#: The cover tables of the month-end structures (which month ends they hold), in the order
#: :meth:`MetricsEngine._month_ends` answers for them.
_COVERS = (OpportunityMonthEndCover, PaymentMonthEndCover)

#: Places of each unit in answers; money keeps the four it is stored with (a file's total to the
#: last digit), and pages round it for display per locale.
_DIGITS = {
    "money": 4, "money_per_day": 2, "days": 4, "score": 4, "ratio": 6, "count": 4, "multiple": 4
}  # fmt: skip


class ResultRow(dict[str, Any]):
    """One row of an answer, shared with the result cache: it can be read like any dict but
    not changed in place — ``dict(row)`` is a copy to change. Sharing them is what makes a
    warm answer cheap: the full overview holds 70 k rows, and copying each on every cache hit
    cost more than the rest of the hit."""

    __slots__ = ()

    def _read_only(self, *_args: Any, **_kwargs: Any) -> Any:
        raise TypeError("a result row is shared with the cache: change a copy, dict(row)")

    __setitem__ = __delitem__ = __ior__ = _read_only
    update = pop = popitem = setdefault = clear = _read_only


@dataclass(frozen=True)
class MetricResult:
    """One KPI's answer: rows of dimension display values, optional ``period`` label, ``value``
    (and ``previous``/``change`` with a comparison). The rows are read-only
    (:class:`ResultRow`); the list is the caller's own."""

    metric: str
    unit: str
    rows: list[ResultRow]
    by: tuple[str, ...] = ()
    grain: str | None = None
    compare: str | None = None
    data_version: int = 0

    def to_json(self) -> dict[str, Any]:
        """The CLI / API shape: ``{"metric": ..., "rows": [...]}``."""
        return {"metric": self.metric, "rows": [dict(r) for r in self.rows]}


@dataclass(frozen=True)
class Explanation:
    """Where a number comes from: the KPI's definition and the SQL the engine would run."""

    metric: str
    name_zh: str
    name_en: str
    unit: str
    good: str
    fact: str
    time: str
    description_en: str
    description_zh: str
    formula: str
    measures: list[dict[str, Any]]
    sql: str
    dialect: str
    query: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dict(self.__dict__)


class MetricsEngine:
    """Query, explain and trace KPIs over one database.

    ``today`` fixes the date stocks and pacing are measured at (default: today in the
    configured time zone); pass a date or a callable (tests, benchmarks). ``summary=False``
    reads every number from the facts themselves even where a structure the writers keep
    gives the same answer faster — order-line sums from the lines rather than the monthly
    summary, order and customer counts from the order headers rather than
    ``order_header_month``, stocks at past month ends from history rather than
    ``opportunity_month_end``, time in stage from history rather than
    ``opportunity_stage_stay``, visit conversion from visits, deals and orders rather than
    ``visit_conversion``, the collection rate and overdue receivables from all payments
    rather than ``payment_month`` and ``payment_open``: for tests and benchmarks that compare
    the two paths.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        today: dt.date | Callable[[], dt.date] | None = None,
        cache_size: int = 512,
        summary: bool = True,
        workers: int = 2,
    ) -> None:
        self.engine = engine
        self._today = today
        self.summary = summary
        #: statements of one ``query_many`` run side by side on this many connections
        self.workers = workers
        self._summary_table: bool | None = None
        self._tables: dict[str, bool] = {}
        self._month_ends_seen: list[tuple[dt.date, dt.date] | None] = [None] * len(_COVERS)
        self._shared_seen = False
        self.cache = ResultCache(cache_size)
        # Built statements by query shape (like prepared statements): results are cached
        # separately and keyed by data version; a statement only depends on the query.
        self._statements = ResultCache(cache_size)

    # ------------------------------------------------------------------ basics

    def today(self) -> dt.date:
        """The engine's today (fixed, or today in the configured time zone)."""
        if callable(self._today):
            return self._today()
        if self._today is not None:
            return self._today
        return local_today()

    def data_version(self) -> int:
        """The database's current data version."""
        with self.engine.connect() as conn:
            return data_version(conn)

    def catalog(self) -> list[dict[str, Any]]:
        """Every KPI: id, names in both languages, unit, fact, time column, good direction,
        descriptions and formula."""
        return [
            {
                "id": k.id,
                "name_zh": k.name_zh,
                "name_en": k.name_en,
                "unit": k.unit,
                "fact": k.fact,
                "time": k.time,
                "good": k.good,
                "stock": k.stock,
                "description_en": k.description_en,
                "description_zh": k.description_zh,
                "formula": k.formula_text,
            }
            for k in catalog.all_kpis()
        ]

    def clear_cache(self) -> None:
        """Forget every cached result."""
        self.cache.clear()

    def cache_info(self) -> dict[str, Any]:
        """Cache size, hits, misses and median hit / miss times (ms)."""
        return {"size": len(self.cache), **self.cache.stats.summary()}

    # ------------------------------------------------------------------ queries

    def query(self, q: MetricQuery, scope: Scope = FULL_SCOPE) -> MetricResult:
        """Answer one query under ``scope`` (cached by query, scope and data version).

        Raises :class:`MetricQueryError` for a query the catalog cannot answer.
        """
        return self.query_many([q], scope)[0]

    def query_many(
        self, queries: Sequence[MetricQuery], scope: Scope = FULL_SCOPE
    ) -> list[MetricResult]:
        """Answer several queries, fusing those that differ only in their KPI into one
        statement (one pass per fact table for all of them). Results keep the input order."""
        started = time.perf_counter()
        for q in queries:
            check_query(q)
        with self.engine.connect() as conn:
            version = data_version(conn)
            today = self.today()
            results: list[MetricResult | None] = [None] * len(queries)
            groups: dict[tuple[Any, ...], list[int]] = {}
            for i, q in enumerate(queries):
                results[i] = self.cache.get(self._key(q, scope, version, today))
                groups.setdefault(self._fuse_key(q, i), []).append(i)
            # A group with any query unanswered runs whole: its statement is then the same
            # whatever else happens to be cached, so its compiled SQL is reused (answering
            # only the missing queries would fuse a different statement each time).
            todo = [ix for ix in groups.values() if any(results[i] is None for i in ix)]
            for indexes, answers in zip(
                todo, self._run_groups(conn, queries, todo, scope, version, today), strict=True
            ):
                for i, res in zip(indexes, answers, strict=True):
                    results[i] = res
                    self.cache.put(self._key(queries[i], scope, version, today), res)
        out = [r for r in results if r is not None]
        self.cache.record(not todo, time.perf_counter() - started)
        return [replace(r, rows=list(r.rows)) for r in out]

    def _run_groups(
        self,
        conn: Any,
        queries: Sequence[MetricQuery],
        todo: list[list[int]],
        scope: Scope,
        version: int,
        today: dt.date,
    ) -> list[list[MetricResult]]:
        """Run each group of ``todo`` (indexes into ``queries``): the first on ``conn``, the
        others side by side on connections of their own, so that a database using one core
        for part of a statement uses the other for the next (measured at ``large``: the
        overview's four statements took 10 % less)."""
        groups = [[queries[i] for i in ix] for ix in todo]
        if len(groups) <= 1 or self.workers <= 1:
            return [self._run(conn, g, scope, version, today) for g in groups]

        def run_apart(group: list[MetricQuery]) -> list[MetricResult]:
            with self.engine.connect() as own:
                return self._run(own, group, scope, version, today)

        with ThreadPoolExecutor(min(self.workers, len(groups) - 1)) as pool:
            apart = [pool.submit(run_apart, g) for g in groups[1:]]
            first = self._run(conn, groups[0], scope, version, today)
            return [first, *(f.result() for f in apart)]

    @staticmethod
    def _key(q: MetricQuery, scope: Scope, version: int, today: dt.date) -> tuple[Any, ...]:
        fiscal = get_settings().fiscal_year_start_month
        return (q, scope.cache_key(), version, today, fiscal)

    @staticmethod
    def _fuse_key(q: MetricQuery, index: int) -> tuple[Any, ...]:
        if q.sort or q.limit:
            return ("alone", index)
        return (q.by, q.grain, q.start, q.end, q.as_of, q.where, q.compare, q.extra)

    def compile(
        self, queries: Sequence[MetricQuery], scope: Scope = FULL_SCOPE, conn: Any = None
    ) -> Compiled:
        """The compiled statement for ``queries`` (fusable ones; see :meth:`query_many`)."""
        today = self.today()
        data_start = None
        if any(needs_series(q) for q in queries):
            data_start = self._data_start(conn)
        fiscal = get_settings().fiscal_year_start_month
        summary = self._use_summary(conn)
        month_ends, payment_ends = self._month_ends(conn) if self.summary else (None, None)
        stays = self.summary and (conn is None or self._has_table(conn, "opportunity_stage_stay"))
        visits = self.summary and (conn is None or self._has_table(conn, "visit_conversion"))
        headers = self.summary and (conn is None or self._has_table(conn, "order_header_month"))
        payments = self.summary and (conn is None or self._has_table(conn, "payment_open"))
        shared = self._shared_orders(conn)
        key = (
            tuple(queries),
            scope,
            today,
            fiscal,
            data_start,
            summary,
            month_ends,
            payment_ends,
            stays,
            visits,
            headers,
            payments,
            shared,
        )
        found = self._statements.get(key)
        if found is not None:
            return found
        compiled = compile_queries(
            queries,
            scope,
            today=today,
            fiscal_start_month=fiscal,
            data_start=data_start,
            summary=summary,
            month_ends=month_ends,
            payment_month_ends=payment_ends,
            stays=stays,
            visits=visits,
            header_months=headers,
            kept_payments=payments,
            shared_orders=shared,
        )
        self._statements.put(key, compiled)
        return compiled

    def _use_summary(self, conn: Any = None) -> bool:
        """Whether to read order-line sums through ``order_line_month``: asked for, and the
        database has the table (one not yet migrated to it still answers, from the lines).

        Without a connection (:meth:`explain`, which runs nothing) and before any query has
        looked, the table is taken to exist, as it does in every migrated database.
        """
        if not self.summary:
            return False
        if self._summary_table is None:
            if conn is None:
                return True
            self._summary_table = self._has_table(conn, "order_line_month")
        return self._summary_table

    def _month_ends(self, conn: Any = None) -> list[tuple[dt.date, dt.date] | None]:
        """For each month-end structure (:data:`_COVERS`: the pipeline, the overdue
        receivables), the month ends it holds (first, last), or None (no table yet, or not
        filled) — one round trip, on every query. Without a connection (:meth:`explain`,
        which runs nothing): what the last query found."""
        if conn is None:
            return list(self._month_ends_seen)
        present = [c for c in _COVERS if self._has_table(conn, c.__tablename__)]
        bounds: list[Any] = []
        for c in present:
            bounds += [select(func.min(c.as_of)).scalar_subquery(),
                       select(func.max(c.as_of)).scalar_subquery()]  # fmt: skip
        found = iter(conn.execute(select(*bounds)).one() if bounds else ())
        held = {c: (next(found), next(found)) for c in present}
        self._month_ends_seen = [
            (first, last) if first is not None else None
            for first, last in (held.get(c, (None, None)) for c in _COVERS)
        ]
        return list(self._month_ends_seen)

    def _shared_orders(self, conn: Any = None) -> bool:
        """Whether some order's normal lines name several customers (``order_header.shared``;
        a partial index on PostgreSQL, zone maps on DuckDB answer without reading the
        headers) — on every query. Without a connection: what the last query found."""
        if conn is None:
            return self._shared_seen
        if not self._has_table(conn, "order_header"):
            return False
        found = conn.execute(
            select(OrderHeader.id).where(OrderHeader.shared == true()).limit(1)
        ).first()
        self._shared_seen = found is not None
        return self._shared_seen

    def _has_table(self, conn: Any, name: str) -> bool:
        found = self._tables.get(name)
        if found is None:
            # One look at the catalog for every table: a query per table was eight catalog
            # queries on a first query, ≈ 0.2 s on DuckDB, a fifth of ``salesops metric``
            # (issue #23).
            present = set(inspect(conn).get_table_names())
            for table in present:
                self._tables.setdefault(table, True)
            found = self._tables[name] = name in present
        return found

    def _data_start(self, conn: Any = None) -> dt.date | None:
        """The earliest date any fact has (a series of periods starts there)."""
        cols: list[Any] = [
            func.min(OrderLine.order_date),
            func.min(OpportunityModel.created_on),
            func.min(Payment.due_date),
            func.min(Target.period_start),
            func.min(cast(OpportunityChange.changed_at, Date)),
        ]
        own = conn is None
        conn = conn or self.engine.connect()
        try:
            found = [conn.execute(select(c)).scalar() for c in cols]
        finally:
            if own:
                conn.close()
        dates = [d.date() if isinstance(d, dt.datetime) else d for d in found if d is not None]
        return min(dates) if dates else None

    def _run(
        self,
        conn: Any,
        queries: Sequence[MetricQuery],
        scope: Scope,
        version: int,
        today: dt.date,
    ) -> list[MetricResult]:
        compiled = self.compile(queries, scope, conn)
        result = conn.execute(compiled.statement)
        names = list(result.keys())
        fiscal = get_settings().fiscal_year_start_month
        out = []
        with _collector_paused():
            # Column-wise from here: the KPIs of a fused statement each read a few of its
            # columns, and a column is a tuple to walk at C speed rather than a row to index.
            data = list(zip(*result.all(), strict=True)) or [() for _ in names]
            columns = dict(zip(names, data, strict=True))
            periods = _period_labels(compiled, columns, fiscal)
            for q in queries:
                kpi = catalog.get(q.metric)
                out.append(
                    MetricResult(
                        metric=q.metric,
                        unit=kpi.unit,
                        rows=_rows(compiled, kpi, columns, periods),
                        by=tuple(q.by),
                        grain=q.grain,
                        compare=compiled.compare,
                        data_version=version,
                    )
                )
        return out

    # ------------------------------------------------------------------ explain, records

    def explain(self, q: MetricQuery, scope: Scope = FULL_SCOPE) -> Explanation:
        """The KPI's definition and the SQL the engine would run for ``q`` (not run)."""
        kpi = check_query(q)
        compiled = self.compile([q], scope)
        formula = kpi_formula(kpi, dict(q.extra))
        measures = [
            {
                "name": m.name,
                "fact": m.fact,
                "kind": m.kind,
                "time": m.time,
                "aggregate": m.agg,
            }
            for m in (MEASURES[n] for n in sorted(formula.measures()))
        ]
        return Explanation(
            metric=kpi.id,
            name_zh=kpi.name_zh,
            name_en=kpi.name_en,
            unit=kpi.unit,
            good=kpi.good,
            fact=kpi.fact,
            time=kpi.time,
            description_en=kpi.description_en,
            description_zh=kpi.description_zh,
            formula=kpi.formula_text,
            measures=measures,
            sql=render_sql(compiled, self.engine),
            dialect=self.engine.dialect.name,
            query=describe_query(q),
        )

    def records(
        self, q: MetricQuery, scope: Scope = FULL_SCOPE, limit: int = 100
    ) -> list[dict[str, Any]]:
        """The fact rows behind ``q``'s number (the KPI's main fact, same period, filters and
        scope), newest first, at most ``limit``."""
        from salesops.metrics.records import fact_records

        kpi = check_query(q)
        with self.engine.connect() as conn:
            stmt = fact_records(kpi, q, scope, limit=limit, today=self.today())
            return [dict(r) for r in conn.execute(stmt).mappings()]


_collector_lock = threading.Lock()
_collector_holders = 0
_collector_was_on = False


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while an answer's rows are made (shared by threads:
    on until the last holder leaves). The rows are plain dicts and tuples, which form no
    cycles, yet each thousand of them made the collector walk every young object again:
    70 k rows of the full overview took 4 × longer to build with it on."""
    global _collector_holders, _collector_was_on
    with _collector_lock:
        if _collector_holders == 0:
            _collector_was_on = gc.isenabled()
            gc.disable()
        _collector_holders += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_holders -= 1
            if _collector_holders == 0 and _collector_was_on:
                gc.enable()


def _period_labels(
    compiled: Compiled, columns: Mapping[str, Sequence[Any]], fiscal: int
) -> list[str | None] | None:
    """Each row's period label (None: the statement is not by period), shared by the KPIs
    of the statement."""
    if compiled.grain is None:
        return None
    grain = compiled.grain
    return [None if p is None else period_label(grain, p, fiscal) for p in columns["period"]]


def _rounded(column: Sequence[Any], unit: str) -> list[float | int | None]:
    """Every value of ``column`` as a plain JSON number for ``unit`` (counts as integers when
    whole; NULL and NaN as None), in one loop: the full overview at ``large`` rounds 70 k."""
    digits = _DIGITS.get(unit, 6)
    whole = unit == "count"
    out: list[float | int | None] = []
    append = out.append
    for value in column:
        if value is None:
            append(None)
            continue
        number = float(value)
        if number != number:  # NaN
            append(None)
        elif whole and number.is_integer():
            append(int(number))
        else:
            append(round(number, digits))
    return out


def _rows(
    compiled: Compiled,
    kpi: catalog.Kpi,
    columns: Mapping[str, Sequence[Any]],
    periods: list[str | None] | None,
) -> list[ResultRow]:
    """One KPI's rows of a (fused) statement's result: its dimensions, period and value, and
    the comparison when asked. Built column by column and zipped into rows: the full
    overview at ``large`` reads 70 k values, and shaping them row by row cost a third of
    its largest statement's time."""
    unit = kpi.unit
    keys: list[str] = list(compiled.by)
    series: list[Sequence[Any]] = [columns[d] for d in compiled.by]
    if periods is not None:
        keys.append("period")
        series.append(periods)
    keys.append("value")
    series.append(_rounded(columns[value_column(kpi.id, compiled.multi)], unit))
    if compiled.compare:
        keys += ["previous", "change"]
        previous = columns[value_column(kpi.id, compiled.multi, "previous")]
        change = columns[value_column(kpi.id, compiled.multi, "change")]
        series += [_rounded(previous, unit), _rounded(change, "ratio")]
    tuples: Iterable[tuple[Any, ...]] = zip(*series, strict=True)
    if compiled.multi:
        tuples = compress(tuples, columns[value_column(kpi.id, True, "present")])
    out = [ResultRow(zip(keys, t, strict=True)) for t in tuples]
    if not out and not compiled.by and compiled.grain is None:
        empty: list[tuple[str, Any]] = [("value", 0 if kpi.additive else None)]
        if compiled.compare:
            empty += [("previous", None), ("change", None)]
        out.append(ResultRow(empty))
    return out


def render_sql(compiled: Compiled, engine: Engine) -> str:
    """The statement the engine runs, as text with its parameters inlined as typed literals
    (dates as ``DATE '2024-03-31'``), so it can be pasted into the database's own shell."""
    try:
        return literal_sql(compiled.statement, engine.dialect)
    except Exception:  # some literal types cannot be inlined: show them as parameters
        text = compiled.statement.compile(dialect=engine.dialect)
        return f"{text}\n-- parameters: {text.params}"


def describe_query(q: MetricQuery) -> dict[str, Any]:
    """The query as plain JSON-ready values."""
    return {
        "metric": q.metric,
        "by": list(q.by),
        "grain": q.grain,
        "from": q.start.isoformat() if q.start else None,
        "to": q.end.isoformat() if q.end else None,
        "as_of": q.as_of.isoformat() if q.as_of else None,
        "where": {d: list(v) for d, v in q.where},
        "compare": q.compare,
        "sort": q.sort,
        "limit": q.limit,
    }


_SHARED: weakref.WeakKeyDictionary[Engine, MetricsEngine] = weakref.WeakKeyDictionary()
_SHARED_LOCK = threading.Lock()


def shared_engine(engine: Engine) -> MetricsEngine:
    """The process-wide :class:`MetricsEngine` of ``engine`` (one cache per database)."""
    with _SHARED_LOCK:
        found = _SHARED.get(engine)
        if found is None:
            found = MetricsEngine(engine)
            _SHARED[engine] = found
        return found
