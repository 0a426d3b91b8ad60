"""A rep's quota for a period, as commission and scorecards read it: the rep's whole target of
a KPI (never a channel's part of it), read for many reps with one query.

The quota of a period is the rep's target of exactly that period; else, when the rep has a
target for every quarter (or else every month) inside it, their sum; else there is none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import Connection, select

from salesops.db.schema import Target
from salesops.targets.calendar import Period, PeriodGrain

_FINER: tuple[PeriodGrain, ...] = ("quarter", "month")


def rep_targets(
    conn: Connection, metric: str, rep_ids: Sequence[int], period: Period
) -> dict[int, Decimal | None]:
    """Each rep's quota of ``metric`` for ``period`` (module docstring), by rep id; one query
    for all of them."""
    out: dict[int, Decimal | None] = {int(r): None for r in rep_ids}
    if not out:
        return out
    parts: dict[str, set[object]] = {}
    for grain in _FINER:
        if grain != period.grain and period.grain != "month":
            parts[grain] = {p.start for p in period.split(grain)}
    rows = conn.execute(
        select(Target.rep_id, Target.period_grain, Target.period_start, Target.value).where(
            Target.scope_kind == "rep",
            Target.channel.is_(None),
            Target.rep_id.in_(list(out)),
            Target.metric == metric,
            Target.period_start >= period.start,
            Target.period_start <= period.end,
            Target.period_grain.in_([period.grain, *parts]),
        )
    ).all()
    exact: dict[int, Decimal] = {}
    finer: dict[tuple[int, str], list[Decimal]] = defaultdict(list)
    for row in rows:
        if row.rep_id is None:
            continue
        if row.period_grain == period.grain and row.period_start == period.start:
            exact.setdefault(int(row.rep_id), Decimal(row.value))
        elif row.period_grain in parts and row.period_start in parts[row.period_grain]:
            finer[(int(row.rep_id), row.period_grain)].append(Decimal(row.value))
    for rep_id in out:
        if rep_id in exact:
            out[rep_id] = exact[rep_id]
            continue
        for finer_grain, starts in parts.items():
            values = finer.get((rep_id, finer_grain), [])
            if values and len(values) == len(starts):
                out[rep_id] = sum(values, Decimal(0))
                break
    return out


def rep_target(conn: Connection, metric: str, rep_id: int, period: Period) -> Decimal | None:
    """One rep's quota of ``metric`` for ``period`` (None: none set)."""
    return rep_targets(conn, metric, [rep_id], period)[rep_id]
