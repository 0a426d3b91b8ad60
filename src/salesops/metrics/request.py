"""A metric query from the strings a user types (CLI options, API query parameters).

One parser for both interfaces, so ``salesops metric`` and ``GET /api/v1/metrics/{id}`` accept
exactly the same things and reject bad input with the same clear messages
(:class:`~salesops.metrics.compiler.MetricQueryError`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast, get_args

from salesops.metrics.compiler import MetricQueryError
from salesops.metrics.compiler.plan import check_query
from salesops.metrics.dimensions import unknown_dimension_message
from salesops.metrics.query import DIMENSIONS, Compare, Grain, MetricQuery


def parse_date(value: str | None, what: str) -> dt.date | None:
    """``YYYY-MM-DD`` (or None); a clear error otherwise."""
    if value is None or value == "":
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise MetricQueryError(f"{what}: {value!r} is not a date (use YYYY-MM-DD)") from None


def parse_where(items: Sequence[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``DIM=VALUE`` items → sorted ``((dim, (value, ...)), ...)`` (repeats of a dim are ORed)."""
    merged: dict[str, list[str]] = {}
    for item in items:
        dim, sep, value = item.partition("=")
        dim = dim.strip()
        if not sep or not dim:
            raise MetricQueryError(f"--where {item!r}: use DIM=VALUE, e.g. region=East")
        if dim not in DIMENSIONS:
            raise MetricQueryError(unknown_dimension_message(dim))
        values = merged.setdefault(dim, [])
        if value not in values:
            values.append(value)
    return tuple(sorted((d, tuple(v)) for d, v in merged.items()))


def build_query(
    metric: str,
    *,
    by: Sequence[str] = (),
    grain: str | None = None,
    start: str | None = None,
    end: str | None = None,
    as_of: str | None = None,
    where: Sequence[str] = (),
    compare: str | None = None,
    sort: str | None = None,
    limit: int | None = None,
    target_metric: str | None = None,
) -> MetricQuery:
    """A checked :class:`MetricQuery`; raises :class:`MetricQueryError` with a clear message."""
    by_dims: list[str] = []
    for item in by:
        for dim in item.split(","):
            dim = dim.strip()
            if dim:
                by_dims.append(dim)
    for dim in by_dims:
        if dim not in DIMENSIONS:
            raise MetricQueryError(unknown_dimension_message(dim))
    if grain is not None and grain not in get_args(Grain):
        raise MetricQueryError(f"unknown grain {grain!r}; known: {', '.join(get_args(Grain))}")
    if compare is not None and compare not in get_args(Compare):
        raise MetricQueryError(f"unknown comparison {compare!r}; known: prev, yoy")
    extra: tuple[tuple[str, Any], ...] = ()
    if target_metric:
        extra = (("target_metric", target_metric),)
    q = MetricQuery(
        metric=metric,
        by=tuple(by_dims),
        grain=cast(Grain | None, grain),
        start=parse_date(start, "from"),
        end=parse_date(end, "to"),
        as_of=parse_date(as_of, "as_of"),
        where=parse_where(where),
        compare=cast(Compare | None, compare),
        sort=sort or None,
        limit=limit,
        extra=extra,
    )
    check_query(q)
    return q
