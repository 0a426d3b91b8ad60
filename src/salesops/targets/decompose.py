"""Decomposition: from one target, generate its children over time or over the organisation.

Over time (a year into quarters or months, a quarter into months):

* ``even`` — equal parts;
* ``calendar_days`` — in proportion to each sub-period's days (February 2028 has 29);
* ``working_days`` — in proportion to working days (see :mod:`salesops.targets.calendar`);
* ``seasonality`` — in proportion to the same KPI in the same sub-period last year, for the
  same scope (from the metrics engine).

Over the organisation (company into regions, teams, reps or product lines; a region into its
teams or reps; an org unit into the teams or reps below it; any whole scope into its sales
channels, ``into="channel"``; a channel's part into the same channel's parts of the level below,
so a decomposition keeps the channel):

* ``even`` — equal parts;
* ``weights`` — given weights per unit (``华东=3,华南=2``; units not named get 0);
* ``share`` — each unit's share of the KPI over the same period last year (metrics engine).

Only additive KPIs are split (money, counts). Ratio KPIs (win rate, margin, collection rate …)
are copied to every child, to be adjusted by hand. Money is rounded to cents with the remainder
on the last child, so the children add up exactly; counts are whole numbers, distributed by
largest remainder (each child within 1 of its exact share), also adding up exactly.

Children are written with their natural key as external id (see :mod:`salesops.targets.service`),
so decomposing again updates them; children of the same axis that the new split no longer
produces (a rep who left) are deleted with their own subtrees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, Literal

from sqlalchemy import Engine, select, update

from salesops.auth.audit import Actor
from salesops.db.derived import bump_data_version
from salesops.db.schema import Target
from salesops.metrics.query import MetricQuery
from salesops.metrics.scope import FULL_SCOPE, Scope
from salesops.targets.calendar import GRAINS, Period, WorkCalendar, work_calendar
from salesops.targets.kpis import MetricInfo, metric_info, query_rows, to_decimal
from salesops.targets.org import LEVEL_DIMENSION, ORG_LEVELS, Directory, OrgLevel, TargetScope
from salesops.targets.seasonal import seasonal_weights
from salesops.targets.service import (
    TargetError,
    audit,
    delete_ids,
    get_target,
    insert_target,
    natural_key,
)
from salesops.targets.tree import TargetRecord, descendants, level_of, load_targets

Over = Literal["time", "org"]
TIME_METHODS = ("even", "calendar_days", "working_days", "seasonality")
ORG_METHODS = ("even", "weights", "share")


# --------------------------------------------------------------------------- splitting numbers


def split(total: Decimal, weights: Sequence[Decimal], decimals: int) -> list[Decimal]:
    """``total`` in proportion to ``weights``, rounded to ``decimals`` places, adding up exactly.

    ``decimals`` = 0 (counts): largest remainder, ties to the earlier child. Otherwise (money:
    2): each child rounded half up, the remainder on the last child with a non-zero weight.
    """
    if not weights:
        return []
    if any(w < 0 for w in weights):
        raise TargetError("weights cannot be negative")
    whole = sum(weights, Decimal(0))
    if whole == 0:
        raise TargetError("the weights add up to zero; nothing to split by")
    quantum = Decimal(1).scaleb(-decimals)
    exact = [total * w / whole for w in weights]
    if decimals == 0 and total == total.to_integral_value():
        floors = [e.to_integral_value(rounding=ROUND_DOWN) for e in exact]
        left = int(total - sum(floors, Decimal(0)))
        order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
        for i in order[:left]:
            floors[i] += 1
        return floors
    parts = [e.quantize(quantum, rounding=ROUND_HALF_UP) for e in exact]
    last = max(i for i, w in enumerate(weights) if w > 0)
    parts[last] = total - sum((p for i, p in enumerate(parts) if i != last), Decimal(0))
    return parts


def parse_weights(text: str | Mapping[str, object]) -> dict[str, Decimal]:
    """``华东=3,华南=2`` (or a mapping) as name → weight."""
    items: list[tuple[str, object]] = []
    if isinstance(text, Mapping):
        items = [(str(k), v) for k, v in text.items()]
    else:
        for part in text.split(","):
            if not part.strip():
                continue
            label, sep, number = part.rpartition("=")
            if not sep or not label.strip():
                raise TargetError(f"cannot read the weight {part!r}; write NAME=NUMBER")
            items.append((label.strip(), number))
    out: dict[str, Decimal] = {}
    for name, value in items:
        try:
            out[name] = Decimal(str(value).strip())
        except ArithmeticError as exc:
            raise TargetError(f"the weight of {name!r} is not a number: {value!r}") from exc
    return out


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class ChildPlan:
    """One child a decomposition produces."""

    period: Period
    scope: TargetScope
    weight: Decimal
    value: Decimal
    name: str  # period label or scope name
    scope_text: str  # company, team:NAME ...


@dataclass(frozen=True)
class Plan:
    parent: TargetRecord
    over: Over
    method: str
    into: str
    copied: bool  # ratio KPI: the parent's value copied, not split
    children: tuple[ChildPlan, ...]


def default_into(parent: TargetRecord, over: Over, directory: Directory) -> str:
    """The next level down: year → quarter → month; company → region → team → rep."""
    if over == "time":
        if parent.period.grain == "month":
            raise TargetError("a monthly target cannot be split over time")
        return GRAINS[GRAINS.index(parent.period.grain) + 1]
    kind = parent.scope.kind
    if kind == "company":
        return "region" if directory.regions else "team"
    if kind == "region":
        return "team"
    if kind == "org_unit" and parent.unit_kind == "team":
        return "rep"
    if kind == "org_unit":
        return "team"
    raise TargetError(f"a {kind} target cannot be split over the organisation")


def plan(
    engine: Engine,
    parent: TargetRecord,
    over: Over,
    method: str,
    *,
    into: str | None = None,
    weights: str | Mapping[str, object] | None = None,
    scope: Scope = FULL_SCOPE,
    calendar: WorkCalendar | None = None,
    directory: Directory | None = None,
) -> Plan:
    """Work out the children of ``parent`` without writing anything."""
    info = metric_info(parent.metric)
    if directory is None:
        with engine.connect() as conn:
            directory = Directory(conn)
    into = into or default_into(parent, over, directory)
    if over == "time":
        if method not in TIME_METHODS:
            raise TargetError(f"over time the method is one of {', '.join(TIME_METHODS)}")
        if into not in GRAINS:
            raise TargetError(f"over time, split into quarter or month, not {into!r}")
        periods = parent.period.split(into)
        pairs = [(p, parent.scope, p.label()) for p in periods]
        weight_list = _time_weights(engine, parent, periods, method, scope, calendar)
    elif over == "org":
        if method not in ORG_METHODS:
            raise TargetError(
                f"over the organisation the method is one of {', '.join(ORG_METHODS)}"
            )
        if into not in ORG_LEVELS:
            raise TargetError(f"over the organisation, split into {', '.join(ORG_LEVELS)}")
        level: OrgLevel = into
        try:
            scopes = directory.children(parent.scope, level, parent.period.start, parent.period.end)
        except ValueError as exc:
            raise TargetError(str(exc)) from exc
        if not scopes:
            raise TargetError(f"{parent.scope_text} has no {into}s to split into")
        pairs = [(parent.period, s, directory.name(s)) for s in scopes]
        weight_list = _org_weights(engine, parent, level, scopes, method, weights, scope, directory)
    else:
        raise TargetError(f"decompose over time or org, not {over!r}")
    copied = not _splits(info, over)
    values = (
        [parent.value] * len(pairs) if copied else split(parent.value, weight_list, info.decimals)
    )
    children = tuple(
        ChildPlan(period, child_scope, w, v, name, directory.text(child_scope))
        for (period, child_scope, name), w, v in zip(pairs, weight_list, values, strict=True)
    )
    return Plan(parent, over, method, into, copied, children)


def _splits(info: MetricInfo, over: Over) -> bool:
    return info.additive and (over == "org" or info.over_time)


def _time_weights(
    engine: Engine,
    parent: TargetRecord,
    periods: list[Period],
    method: str,
    scope: Scope,
    calendar: WorkCalendar | None,
) -> list[Decimal]:
    if method == "even":
        return [Decimal(1)] * len(periods)
    if method == "calendar_days":
        return [Decimal(p.days) for p in periods]
    if method == "working_days":
        cal = calendar or work_calendar()
        return [Decimal(cal.working_days(p.start, p.end)) for p in periods]
    # seasonality: the same KPI and scope, each sub-period one year earlier
    with engine.connect() as conn:
        directory = Directory(conn)
    where = directory.filters(parent.scope)
    spans = [(p.start, p.end) for p in periods]
    out = seasonal_weights(engine, parent.metric, spans, where=where, scope=scope)[()]
    if not any(out):
        raise TargetError(
            f"no {parent.metric} last year for {parent.scope_text}; "
            "seasonality needs last year's data (use even or working_days)"
        )
    return out


def _org_weights(
    engine: Engine,
    parent: TargetRecord,
    level: OrgLevel,
    scopes: list[TargetScope],
    method: str,
    weights: str | Mapping[str, object] | None,
    scope: Scope,
    directory: Directory,
) -> list[Decimal]:
    # Names as the level's engine dimension spells them (a channel's name, a rep's name ...).
    names = [(s.channel or "") if level == "channel" else directory.base_name(s) for s in scopes]
    if method == "even":
        return [Decimal(1)] * len(scopes)
    if method == "weights":
        if not weights:
            raise TargetError("the weights method needs weights, e.g. 华东=3,华南=2")
        given = parse_weights(weights)
        lookup = {k.casefold(): v for k, v in given.items()}
        unknown = [k for k in given if k.casefold() not in {n.casefold() for n in names}]
        if unknown:
            raise TargetError(
                f"no {level} named {', '.join(unknown)} under {parent.scope_text or 'company'}; "
                f"known: {', '.join(names)}"
            )
        return [lookup.get(n.casefold(), Decimal(0)) for n in names]
    # share: each unit's share of the KPI over the same period last year, within the parent
    last = parent.period.shift_years(-1)
    dim = LEVEL_DIMENSION[level]
    rows = query_rows(
        engine,
        MetricQuery(
            metric=parent.metric,
            by=(dim,),
            start=last.start,
            end=last.end,
            where=directory.filters(parent.scope),
        ),
        scope,
    )
    by_name: dict[str, Decimal] = {}
    for row in rows:
        value = to_decimal(row.get("value"))
        if row.get(dim) is not None and value is not None:
            key = str(row[dim]).casefold()
            by_name[key] = by_name.get(key, Decimal(0)) + value
    out = [max(by_name.get(n.casefold(), Decimal(0)), Decimal(0)) for n in names]
    if not any(out):
        raise TargetError(
            f"no {parent.metric} last year by {level} for {parent.scope_text}; "
            "share needs last year's data (use even or weights)"
        )
    return out


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class Decomposition:
    """What a decomposition wrote."""

    plan: Plan
    children: list[TargetRecord]
    created: int
    updated: int
    removed: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "parent_id": self.plan.parent.id,
            "over": self.plan.over,
            "method": self.plan.method,
            "into": self.plan.into,
            "copied": self.plan.copied,
            "created": self.created,
            "updated": self.updated,
            "removed": self.removed,
            "children": [c.to_dict() for c in self.children],
        }


def decompose(
    engine: Engine,
    target_id: int,
    over: Over,
    method: str,
    *,
    into: str | None = None,
    weights: str | Mapping[str, object] | None = None,
    scope: Scope = FULL_SCOPE,
    calendar: WorkCalendar | None = None,
    actor: str | Actor = "cli",
) -> Decomposition:
    """Split target ``target_id`` and write its children (see the module docstring)."""
    parent = get_target(engine, target_id, scope)
    with engine.connect() as conn:
        directory = Directory(conn)
    the_plan = plan(
        engine,
        parent,
        over,
        method,
        into=into,
        weights=weights,
        scope=scope,
        calendar=calendar,
        directory=directory,
    )
    created = updated = 0
    ids: list[int] = []
    with engine.begin() as conn:
        for child in the_plan.children:
            key = natural_key(parent.metric, child.period, child.scope, directory)
            existing = conn.execute(select(Target.id).where(Target.external_id == key)).scalar()
            if existing is None:
                ids.append(
                    insert_target(
                        conn, key, parent.metric, child.period, child.scope, child.value, parent.id
                    )
                )
                created += 1
            else:
                if int(existing) == parent.id or int(existing) in _ancestors(conn, parent.id):
                    raise TargetError(
                        f"target {existing} is above {parent.id}; cannot be its child"
                    )
                conn.execute(
                    update(Target)
                    .where(Target.id == existing)
                    .values(value=child.value, parent_id=parent.id)
                )
                ids.append(int(existing))
                updated += 1
        removed = _remove_stale(conn, parent, the_plan.over, the_plan.into, set(ids), directory)
        audit(
            conn,
            actor,
            "target.decompose",
            f"target:{parent.external_id}",
            {
                "id": parent.id,
                "over": over,
                "method": method,
                "into": the_plan.into,
                "children": len(ids),
                "removed": removed,
            },
        )
        bump_data_version(conn)  # targets feed no derived structure
        children = load_targets(conn, directory, ids=ids)
    order = {i: n for n, i in enumerate(ids)}
    children.sort(key=lambda c: order[c.id])
    return Decomposition(the_plan, children, created, updated, removed)


def _ancestors(conn: Any, target_id: int) -> set[int]:
    out: set[int] = set()
    current = conn.execute(select(Target.parent_id).where(Target.id == target_id)).scalar()
    while current is not None and current not in out:
        out.add(int(current))
        current = conn.execute(select(Target.parent_id).where(Target.id == current)).scalar()
    return out


def _remove_stale(
    conn: Any, parent: TargetRecord, over: Over, into: str, keep: set[int], directory: Directory
) -> int:
    """Delete children of ``parent`` of the same axis and level as this split's that it no
    longer produced (splitting into reps leaves the teams alone)."""
    ids = [
        int(i)
        for i in conn.execute(select(Target.id).where(Target.parent_id == parent.id)).scalars()
        if int(i) not in keep
    ]
    if not ids:
        return 0
    stale = [
        child.id
        for child in load_targets(conn, directory, ids=ids)
        if level_of(parent, child) == (over, into)
    ]
    doomed: list[int] = []
    for target_id in stale:
        doomed.extend(descendants(conn, target_id))
        doomed.append(target_id)
    delete_ids(conn, doomed)
    return len(stale)


def decompose_children(
    engine: Engine,
    target_id: int,
    over: Over,
    method: str,
    *,
    level: str | None = None,
    into: str | None = None,
    weights: str | Mapping[str, object] | None = None,
    scope: Scope = FULL_SCOPE,
    calendar: WorkCalendar | None = None,
    actor: str | Actor = "cli",
) -> list[Decomposition]:
    """Split every child of ``target_id`` (only those of ``level`` — ``team``, ``month`` … —
    when given) the same way: after company → teams, each team → reps by share."""
    parent = get_target(engine, target_id, scope)
    with engine.connect() as conn:
        directory = Directory(conn)
        children = load_targets(conn, directory, parents=[parent.id])
    chosen = [c for c in children if level is None or level_of(parent, c)[1] == level]
    if not chosen:
        raise TargetError(
            f"target {target_id} has no children{f' of level {level}' if level else ''}"
        )
    return [
        decompose(
            engine,
            child.id,
            over,
            method,
            into=into,
            weights=weights,
            scope=scope,
            calendar=calendar,
            actor=actor,
        )
        for child in chosen
    ]
