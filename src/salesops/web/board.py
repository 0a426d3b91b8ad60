"""The request context every panel is built from: engine, scope, filters and language.

Every number a page shows goes through :meth:`Board.query` (the metrics engine) or an analysis
function; this module only shapes results for display (formatting, sparkline geometry, period
labels back to dates) and reads the ``target`` table for the KPI cards.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Engine

from salesops.db.derived import data_version
from salesops.metrics import catalog
from salesops.metrics.dimensions import engagement_as_of
from salesops.metrics.query import Grain, MetricQuery
from salesops.metrics.scope import Scope
from salesops.web import kpi
from salesops.web.filters import BoardFilters
from salesops.web.formatting import format_change, format_value, plain
from salesops.web.i18n import translate

log = logging.getLogger(__name__)

Row = dict[str, Any]
T = TypeVar("T")


class _AnalysisCache:
    """Results of analysis functions per database, dropped when the data version moves on.

    Single flight: a key being computed by one thread is waited for by the others (a lazy
    panel the page already started in the background, a warm-up building the same page),
    never computed twice at once.
    """

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self.lock = threading.Lock()
        self.entries: weakref.WeakKeyDictionary[Engine, tuple[int, OrderedDict[Any, Any]]] = (
            weakref.WeakKeyDictionary()
        )
        self.running: dict[tuple[int, int, Any], threading.Event] = {}

    def has(self, engine: Engine, key: Any, version: int) -> bool:
        """True when ``key`` holds a result for data ``version``."""
        with self.lock:
            found = self.entries.get(engine)
            return found is not None and found[0] == version and key in found[1]

    def forget(self, engine: Engine) -> None:
        """Drop every result of ``engine``'s database."""
        with self.lock:
            self.entries.pop(engine, None)

    def _bucket(self, engine: Engine, version: int) -> OrderedDict[Any, Any]:
        found = self.entries.get(engine)
        if found is None or found[0] != version:
            found = (version, OrderedDict())
            self.entries[engine] = found
        return found[1]

    def get(self, engine: Engine, key: Any, compute: Callable[[], T], version: int) -> T:
        """The result under ``key`` for data ``version``, computed on a miss."""
        flight = (id(engine), version, key)
        while True:
            with self.lock:
                bucket = self._bucket(engine, version)
                if key in bucket:
                    bucket.move_to_end(key)
                    value: T = bucket[key]
                    return value
                other = self.running.get(flight)
                if other is None:
                    done = self.running[flight] = threading.Event()
                    break
            # Another thread computes it: wait, then read its result (or compute ourselves if
            # it failed and left nothing behind).
            other.wait()
            with self.lock:
                bucket = self._bucket(engine, version)
                if key in bucket:
                    return bucket[key]
        try:
            value = compute()
            with self.lock:
                bucket = self._bucket(engine, version)
                bucket[key] = value
                while len(bucket) > self.size:
                    bucket.popitem(last=False)
            return value
        finally:
            with self.lock:
                self.running.pop(flight, None)
            done.set()


_ANALYSES = _AnalysisCache()


def forget_analyses(engine: Engine) -> None:
    """Drop the cached analyses and panels of ``engine``'s database."""
    _ANALYSES.forget(engine)


@dataclass
class Board:
    """One request's view of the data: what to show, for whom, in which language."""

    engine: Engine
    scope: Scope
    filters: BoardFilters
    locale: str
    page: str = "overview"
    _metrics: Any = field(default=None, repr=False)
    _version: int | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ language

    def t(self, message: str, **params: object) -> str:
        """``message`` (an English msgid) in the board's language."""
        return translate(self.locale, message, **params)

    def fmt(self, value: object, unit: str, *, full: bool = False) -> str:
        """A value formatted for this board's language."""
        return format_value(value, unit, self.locale, full=full)

    # ------------------------------------------------------------------ analyses, cached

    @property
    def data_version(self) -> int:
        """The database's data version, read once per request (cache keys follow it)."""
        if self._version is None:
            with self.engine.connect() as conn:
                self._version = data_version(conn)
        return self._version

    def analysis(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(engine, scope, filters, *args, **kwargs)`` of ``salesops.analysis``, cached.

        Panels of a page share results (the funnel feeds two panels), and results are kept
        per data version like the engine's own cache: any import makes them stale.
        """
        # An engagement band filter is computed as of the analysis's day (else the period's
        # end), the day the customer page's score is computed for (issue #28).
        band_day = kwargs.get("as_of") or self.filters.end
        key = (
            fn.__module__,
            fn.__qualname__,
            self.scope.cache_key(),
            self.filters.where,
            band_day if self.filters.values("engagement_band") else None,
            args,
            tuple(sorted(kwargs.items())),
        )

        def run() -> T:
            with engagement_as_of(band_day):
                return fn(self.engine, self.scope, self.filters.where, *args, **kwargs)

        return _ANALYSES.get(self.engine, key, run, self.data_version)

    # ------------------------------------------------------------------ engine access

    @property
    def metrics(self) -> Any:
        """The metrics engine (one per database engine, shared across requests)."""
        if self._metrics is None:
            self._metrics = kpi.metrics_engine(self.engine)
        return self._metrics

    def metric_query(
        self,
        metric: str,
        *,
        by: Sequence[str] = (),
        grain: Grain | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
        compare: bool = False,
        where: Sequence[tuple[str, Sequence[str]]] = (),
        sort: str | None = None,
        limit: int | None = None,
        as_of: dt.date | None = None,
    ) -> MetricQuery:
        """A query over this board's filters; ``where`` adds or replaces dimension filters."""
        merged = dict(self.filters.where)
        for dim, values in where:
            merged[dim] = tuple(values)
        start = start or self.filters.start
        end = end or self.filters.end
        return MetricQuery(
            metric=metric,
            by=tuple(by),
            grain=grain,
            start=start,
            end=end,
            as_of=as_of,
            where=tuple(sorted((d, tuple(v)) for d, v in merged.items() if v)),
            compare=self.filters.compare if compare else None,
            sort=sort,
            limit=limit,
        )

    def query(self, metric: str, **kwargs: Any) -> list[Row]:
        """Rows of the engine's answer for ``metric`` over this board's filters."""
        return list(self.metrics.query(self.metric_query(metric, **kwargs), self.scope).rows)

    def query_many(self, *queries: tuple[str, dict[str, Any]]) -> list[list[Row]]:
        """Rows of each ``(metric, metric_query keywords)`` over this board's filters, asked of
        the engine at once (KPIs of one shape fused into one statement, shapes side by side)."""
        return self._ask([self.metric_query(metric, **kwargs) for metric, kwargs in queries])

    def _ask(self, queries: list[MetricQuery]) -> list[list[Row]]:
        return [list(r.rows) for r in self.metrics.query_many(queries, self.scope)]

    def total(self, metric: str, **kwargs: Any) -> Row:
        """The single row of an ungrouped query (value, and previous/change with compare)."""
        rows = self.query(metric, **kwargs)
        return rows[0] if rows else {"value": None}

    # ------------------------------------------------------------------ KPI cards

    def cards(
        self, metrics: Sequence[str], records_url: Callable[[str], str | None]
    ) -> list[dict[str, Any]]:
        """KPI cards: value, change with tone, target and attainment, 12-month sparkline.

        The engine answers all the cards' totals and all their sparklines in one call each,
        fusing KPIs that read the same facts into one statement.
        """
        f = self.filters
        spark_start = _month_start(f.end, -11)
        month_end = _month_start(f.end, 1) - dt.timedelta(days=1)
        totals = [
            self.metric_query(m, compare=True, **self._whole(m, f.period_end)) for m in metrics
        ]
        # Stocks (open pipeline, overdue receivables) at past month ends come from the month-end
        # tables the writers keep, and at today from the current rows: cheap enough for a line.
        sparks = [
            self.metric_query(
                m, grain="month", start=spark_start, **({"end": f.end} | self._whole(m, month_end))
            )
            for m in metrics
        ]
        answers = self._answer_many([*totals, *sparks])
        spark_of = dict(zip(metrics, answers[len(metrics) :], strict=True))
        targets = self.attainments(metrics)
        out = []
        for i, metric in enumerate(metrics):
            total, spark = answers[i], spark_of.get(metric, [])
            failed = next((a for a in (total, spark) if isinstance(a, Exception)), None)
            if failed is not None:
                out.append(broken_card(self, metric, str(failed)))
                continue
            assert not isinstance(total, Exception) and not isinstance(spark, Exception)
            row = total[0] if total else {"value": None}
            if row.get("value") is None:
                # No value with a comparison (e.g. no earlier data to compare with): show the
                # value alone rather than nothing.
                alone = self.query(metric)
                if alone and alone[0].get("value") is not None:
                    row = {"value": alone[0]["value"], "previous": None, "change": None}
            out.append(
                self._card(metric, row, spark, spark_start, records_url(metric), targets[metric])
            )
        return out

    def _whole(self, metric: str, end: dt.date) -> dict[str, Any]:
        """For a KPI that looks at the next period (pipeline coverage): the whole period to
        ``end``, as it stands on the board's date. Over June to the 15th, the next period
        would be 16-30 June, which no target covers; over June it is July."""
        if end <= self.filters.end or not kpi.info(metric, self.locale).looks_ahead:
            return {}
        return {"end": end, "as_of": self.filters.end}

    def _answer_many(self, queries: list[MetricQuery]) -> list[list[Row] | Exception]:
        """Rows of each query; one KPI the engine cannot answer does not sink the others."""
        try:
            return list(self._ask(queries))
        except ValueError:
            answers: list[list[Row] | Exception] = []
            for q in queries:
                try:
                    answers.append(list(self.metrics.query(q, self.scope).rows))
                except ValueError as exc:
                    answers.append(exc)
            return answers

    def _card(
        self,
        metric: str,
        row: Row,
        spark_rows: list[Row],
        spark_start: dt.date,
        records_url: str | None,
        att: Any,
    ) -> dict[str, Any]:
        info = kpi.info(metric, self.locale)
        value = row.get("value")
        change = row.get("change")
        previous = row.get("previous")
        tone, arrow = _tone(change, info.good)
        by_month = {str(r.get("period")): plain(r.get("value")) for r in spark_rows}
        spark = [
            by_month.get(f"{_month_start(spark_start, k):%Y-%m}", 0.0 if info.additive else None)
            for k in range(12)
        ]
        # Pacing from the targets service: ahead / on track is fine, behind / at risk is not.
        pacing_tone = ""
        if att and att.status in ("ahead", "on_track"):
            pacing_tone = "ahead"
        elif att and att.status in ("behind", "at_risk"):
            pacing_tone = "behind"
        compare_label = (
            self.t("Last year") if self.filters.compare == "yoy" else self.t("Previous period")
        )
        points, area = sparkline(spark)
        mtd = self._spark_to_date(metric)
        mtd_points, mtd_top = "", None
        if mtd and points:
            # the line runs solid to the last whole month, the month so far dashed, its point
            # marked and labelled (one day of December is not read as a collapse)
            coords = points.split(" ")
            points, mtd_points = " ".join(coords[:-1]), " ".join(coords[-2:])
            mtd_top = round(float(coords[-1].split(",")[1]) / SPARK_HEIGHT * 100, 1)
        return {
            "metric": metric,
            "label": info.label,
            "unit": info.unit,
            "definition": info.definition,
            "value": plain(value),
            "display": self.fmt(value, info.unit),
            "full": self.fmt(value, info.unit, full=True),
            "previous": plain(previous),
            "previous_label": (
                self.t("No target set")
                if value is None and info.targeted
                else f"{compare_label} {self.fmt(previous, info.unit)}"
            ),
            "compare_label": "",
            "change": plain(change),
            "change_display": format_change(change, self.locale),
            "tone": tone,
            "arrow": arrow,
            "target": plain(att.target) if att else None,
            "target_display": self.fmt(att.target if att else None, info.unit),
            "attainment": att.attainment if att else None,
            "attainment_display": format_value(
                att.attainment if att else None, "ratio", self.locale
            ),
            "pacing_tone": pacing_tone,
            "pacing": att.pacing if att else None,
            "status": att.status if att else "",
            "spark": spark,
            "spark_points": points,
            "spark_area": area,
            "spark_mtd": mtd,
            "spark_mtd_points": mtd_points,
            "spark_mtd_top": mtd_top,
            "records_url": records_url,
            "error": None,
        }

    def _spark_to_date(self, metric: str) -> str:
        """What the sparkline's last point is when its month is not over ("" when it is): a
        stock as of the board's date, a flow for its month so far."""
        end = self.filters.end
        if _month_start(end, 1) - dt.timedelta(days=1) == end:
            return ""
        if catalog.get(metric).stock:
            return self.t("As of {date}", date=end.isoformat())
        return self.t("{period} to {day}", period=f"{end:%Y-%m}", day=f"{end:%m-%d}")

    def is_cached(self, key: Any) -> bool:
        """Whether :meth:`cached` would answer ``key`` without computing."""
        return _ANALYSES.has(
            self.engine, (key, self.scope.cache_key(), self.filters), self.data_version
        )

    def cached(self, key: Any, compute: Callable[[], T]) -> T:
        """``compute()`` cached per data version under ``key`` (plus scope and filters)."""
        return _ANALYSES.get(
            self.engine, (key, self.scope.cache_key(), self.filters), compute, self.data_version
        )

    def attainments(self, metrics: Sequence[str]) -> dict[str, Any]:
        """The target standing of several cards, evaluated together, cached per data version."""
        key = ("attainments", tuple(metrics), self.scope.cache_key(), self.filters)
        return _ANALYSES.get(
            self.engine,
            key,
            lambda: kpi.card_attainments(self.engine, self.scope, metrics, self.filters),
            self.data_version,
        )


def broken_card(board: Board, metric: str, reason: str) -> dict[str, Any]:
    """A card for a KPI the engine cannot answer here: a dash, and the reason on hover."""
    try:
        label = kpi.info(metric, board.locale).label
    except LookupError:
        label = metric
    return {
        "metric": metric,
        "label": label,
        "unit": "",
        "definition": reason,
        "value": None,
        "display": "-",
        "full": reason,
        "previous": None,
        "previous_label": board.t("Not available for these filters"),
        "compare_label": "",
        "change": None,
        "change_display": "-",
        "tone": "",
        "arrow": "",
        "target": None,
        "target_display": "",
        "attainment": None,
        "attainment_display": "",
        "pacing_tone": "",
        "pacing": None,
        "status": "",
        "spark": [],
        "spark_points": "",
        "spark_area": "",
        "spark_mtd": "",
        "spark_mtd_points": "",
        "spark_mtd_top": None,
        "records_url": None,
        "error": reason,
    }


def _tone(change: object, good: str | None) -> tuple[str, str]:
    number = plain(change)
    if number is None or abs(number) < 0.0005:  # shows as 0.0%: no direction
        return "", ""
    arrow = "▲" if number > 0 else "▼"
    if good not in ("up", "down"):
        return "", arrow
    better = (number > 0) == (good == "up")
    return ("good" if better else "bad"), arrow


def _month_start(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


SPARK_HEIGHT = 30


def sparkline(
    values: Sequence[float | None], width: int = 100, height: int = SPARK_HEIGHT
) -> tuple[str, str]:
    """SVG polyline and area points for ``values`` (gaps drawn as zero) in a width×height box."""
    numbers = [v or 0.0 for v in values]
    if len(numbers) < 2:
        return "", ""
    low, high = min(numbers), max(numbers)
    span = (high - low) or 1.0
    step = width / (len(numbers) - 1)
    pts = [
        f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}"
        for i, v in enumerate(numbers)
    ]
    area = [*pts, f"{width},{height}", f"0,{height}"]
    return " ".join(pts), " ".join(area)


def period_range(label: str) -> tuple[dt.date, dt.date] | None:
    """The dates of an engine period label: 2017, 2017-Q1, 2017-03, 2017-W09, 2017-03-01."""
    try:
        if len(label) == 4:
            year = int(label)
            return dt.date(year, 1, 1), dt.date(year, 12, 31)
        if "-Q" in label:
            year_text, quarter = label.split("-Q")
            start = dt.date(int(year_text), 3 * (int(quarter) - 1) + 1, 1)
            return start, _month_start(start, 3) - dt.timedelta(days=1)
        if "-W" in label:
            year_text, week = label.split("-W")
            monday = dt.date.fromisocalendar(int(year_text), int(week), 1)
            return monday, monday + dt.timedelta(days=6)
        if len(label) == 7:
            start = dt.date.fromisoformat(label + "-01")
            return start, _month_start(start, 1) - dt.timedelta(days=1)
        day = dt.date.fromisoformat(label)
        return day, day
    except ValueError:
        return None
