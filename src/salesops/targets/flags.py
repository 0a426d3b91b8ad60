"""Reps far below their team: attainment or opportunity count under half the team average.

For one period, every rep of a team (of at least two reps) is compared with the team's average:

* **attainment** — the rep's attainment of their own target of the KPI (default revenue) for the
  period, against the mean attainment of the team's reps that have such a target;
* **opportunities** — new opportunities the rep created in the period so far, against the team's
  mean (reps with none count as 0).

A flag is raised when the rep's number is under ``threshold`` (default one half) of the team
average, and carries the numbers that raised it. The team average includes the rep. Only reps
visible in the caller's data scope are compared, so a manager's flags are about their reps.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any, Literal

from sqlalchemy import Engine

from salesops.metrics.query import MetricQuery
from salesops.metrics.scope import FULL_SCOPE, Scope
from salesops.targets.attainment import Basis, evaluate, today
from salesops.targets.calendar import Period
from salesops.targets.kpis import query_rows, to_decimal
from salesops.targets.org import Directory
from salesops.targets.tree import load_targets

Reason = Literal["attainment", "opportunities"]
OPPORTUNITY_METRIC = "new_opportunities"


@dataclass(frozen=True)
class RepFlag:
    """One rep far below their team on one measure."""

    rep_id: int
    rep: str
    team_id: int | None
    team: str
    reason: Reason
    value: float
    team_average: float
    ratio: float  # value / team_average
    threshold: float
    team_size: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _visible_reps(directory: Directory, scope: Scope) -> set[int]:
    if scope.is_full:
        return set(directory.reps)
    if scope.kind == "rep":
        return (
            {scope.rep_id} if scope.rep_id is not None and scope.rep_id in directory.reps else set()
        )
    units = set(directory.subtree(scope.org_unit_id or -1))
    return {r.id for r in directory.reps.values() if r.org_unit_id in units}


def _below_half(
    values: dict[int, float], directory: Directory, reason: Reason, threshold: float
) -> list[RepFlag]:
    by_team: dict[int | None, list[int]] = defaultdict(list)
    for rep_id in values:
        by_team[directory.reps[rep_id].org_unit_id].append(rep_id)
    flags = []
    for team_id, members in by_team.items():
        if team_id is None or len(members) < 2:
            continue
        average = sum(values[m] for m in members) / len(members)
        if average <= 0:
            continue
        for rep_id in members:
            if values[rep_id] < threshold * average:
                flags.append(
                    RepFlag(
                        rep_id=rep_id,
                        rep=directory.reps[rep_id].name,
                        team_id=team_id,
                        team=directory.units[team_id].name if team_id in directory.units else "",
                        reason=reason,
                        value=values[rep_id],
                        team_average=average,
                        ratio=values[rep_id] / average,
                        threshold=threshold,
                        team_size=len(members),
                    )
                )
    return flags


def rep_flags(
    engine: Engine,
    period: Period,
    *,
    as_of: dt.date | None = None,
    metric: str = "revenue",
    basis: Basis = "calendar",
    threshold: float = 0.5,
    scope: Scope = FULL_SCOPE,
) -> list[RepFlag]:
    """Reps under ``threshold`` × their team's average attainment of ``metric`` targets for
    ``period``, or of new opportunities in it; most severe first."""
    as_of = as_of or today()
    with engine.connect() as conn:
        directory = Directory(conn)
        targets = [
            t
            for t in load_targets(
                conn, directory, metric=metric, period=period, scope_kind="rep", whole=True
            )
            if t.scope.kind == "rep" and t.period == period
        ]
    visible = _visible_reps(directory, scope)
    targets = [t for t in targets if t.scope.rep_id in visible]
    results = evaluate(engine, targets, as_of=as_of, basis=basis, scope=scope, directory=directory)
    attainment: dict[int, float] = {}
    for t in targets:
        value = results[t.id].attainment
        if t.scope.rep_id is not None and value is not None:
            attainment[t.scope.rep_id] = value
    flags = _below_half(attainment, directory, "attainment", threshold)
    if as_of >= period.start:
        rows = query_rows(
            engine,
            MetricQuery(
                metric=OPPORTUNITY_METRIC,
                by=("rep",),
                start=period.start,
                end=min(as_of, period.end),
            ),
            scope,
        )
        counts = {
            str(r["rep"]).casefold(): to_decimal(r.get("value")) for r in rows if r.get("rep")
        }
        opportunities = {
            rep.id: float(counts.get(rep.name.casefold()) or 0)
            for rep in directory.reps.values()
            if rep.id in visible
            and rep.org_unit_id is not None
            and rep.works_during(period.start, min(as_of, period.end))
        }
        flags += _below_half(opportunities, directory, "opportunities", threshold)
    return sorted(flags, key=lambda f: (f.ratio, f.team, f.rep))
