"""Targets as records and as a tree, with the add-up check.

A decomposed target has children along one or two axes: over **time** (same scope, shorter
periods) and over the **organisation** (same period, narrower scopes), each at one or more
levels (quarters and months; regions, teams, reps, product lines). For additive KPIs the
children of each axis and level must add up to the parent; :func:`add_up_checks` reports, per
axis and level, the children's sum and how far it is from the parent. Ratio KPIs are copied to
their children, so there is nothing to add up. Stocks and distinct counts (open pipeline, active
customers) add up over the organisation but not over time.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Connection, select

from salesops.db.schema import Target
from salesops.metrics.scope import Scope
from salesops.targets.calendar import Period, period_of
from salesops.targets.kpis import MetricInfo, metric_info
from salesops.targets.org import SCOPE_KINDS, Directory, TargetScope

Axis = Literal["time", "org", "mixed"]


@dataclass
class TargetRecord:
    """One row of ``target``, with its period and scope as objects and display names."""

    id: int
    external_id: str
    metric: str
    period: Period
    scope: TargetScope
    value: Decimal
    parent_id: int | None
    scope_name: str = ""
    scope_text: str = ""
    unit_kind: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "external_id": self.external_id,
            "metric": self.metric,
            "period": self.period.label(),
            "period_grain": self.period.grain,
            "period_start": self.period.start.isoformat(),
            "period_end": self.period.end.isoformat(),
            "scope_kind": self.scope.kind,
            "scope": self.scope_text,
            "scope_name": self.scope_name,
            "org_unit_id": self.scope.org_unit_id,
            "rep_id": self.scope.rep_id,
            "region_id": self.scope.region_id,
            "product_line": self.scope.product_line,
            "channel": self.scope.channel,
            "value": self.value,
            "parent_id": self.parent_id,
        }


def _scope_of(row: Any) -> TargetScope:
    kind = row.scope_kind or "company"
    if kind not in SCOPE_KINDS:
        raise ValueError(f"target {row.id} has an unknown scope kind {kind!r}")
    return TargetScope(
        kind=kind,
        org_unit_id=row.org_unit_id if kind == "org_unit" else None,
        rep_id=row.rep_id if kind == "rep" else None,
        region_id=row.region_id if kind == "region" else None,
        product_line=row.product_line if kind == "product_line" else None,
        channel=row.channel or None,
    )


def _select() -> Any:
    return select(
        Target.id,
        Target.external_id,
        Target.metric,
        Target.period_grain,
        Target.period_start,
        Target.scope_kind,
        Target.org_unit_id,
        Target.rep_id,
        Target.region_id,
        Target.product_line,
        Target.value,
        Target.parent_id,
        Target.channel,
    ).order_by(Target.period_start, Target.id)


def load_targets(
    conn: Connection,
    directory: Directory,
    *,
    ids: Iterable[int] | None = None,
    parents: Iterable[int] | None = None,
    metric: str | None = None,
    overlapping: Period | None = None,
    period: Period | None = None,
    scope_kind: str | None = None,
    whole: bool = False,
) -> list[TargetRecord]:
    """Targets (optionally: these ids, the children of ``parents``, one KPI, periods
    overlapping ``overlapping``, exactly ``period``, one kind of scope; with ``whole`` only
    whole quotas, no channel's part)."""
    stmt = _select()
    if whole:
        stmt = stmt.where(Target.channel.is_(None))
    if period is not None:
        stmt = stmt.where(Target.period_grain == period.grain, Target.period_start == period.start)
    if scope_kind is not None:
        stmt = stmt.where(Target.scope_kind == scope_kind)
    if ids is not None:
        stmt = stmt.where(Target.id.in_(list(ids)))
    if parents is not None:
        stmt = stmt.where(Target.parent_id.in_(list(parents)))
    if metric:
        stmt = stmt.where(Target.metric == metric)
    if overlapping is not None:
        # A target period starts at most 12 months before it ends.
        stmt = stmt.where(
            Target.period_start <= overlapping.end,
            Target.period_start > overlapping.start - dt.timedelta(days=366),
        )
    out = []
    for row in conn.execute(stmt):
        period = period_of(row.period_grain, row.period_start)
        if overlapping is not None and period.end < overlapping.start:
            continue
        scope = _scope_of(row)
        out.append(
            TargetRecord(
                id=int(row.id),
                external_id=str(row.external_id),
                metric=str(row.metric),
                period=period,
                scope=scope,
                value=Decimal(row.value),
                parent_id=row.parent_id,
                scope_name=directory.name(scope),
                scope_text=directory.text(scope),
                unit_kind=directory.unit_kind(scope),
            )
        )
    return out


def visible_to(directory: Directory, scope: Scope, target: TargetRecord) -> bool:
    """Whether a caller with data ``scope`` may see ``target``: everything for full scope; a
    manager the targets of units and reps in their subtree; a rep their own."""
    if scope.is_full:
        return True
    if scope.kind == "rep":
        return target.scope.kind == "rep" and target.scope.rep_id == scope.rep_id
    units = set(directory.subtree(scope.org_unit_id or -1))
    if target.scope.kind == "org_unit":
        return target.scope.org_unit_id in units
    if target.scope.kind == "rep":
        rep = directory.reps.get(target.scope.rep_id or -1)
        return rep is not None and rep.org_unit_id in units
    return False


# --------------------------------------------------------------------------- add-up check


@dataclass(frozen=True)
class AddUpCheck:
    """Whether the children of one axis and level add up to their parent."""

    axis: Axis
    level: str  # quarter | month | region | team | rep | product_line | channel
    children: int
    children_sum: Decimal
    parent_value: Decimal

    @property
    def difference(self) -> Decimal:
        """Children's sum minus the parent's value (positive: children ask for more)."""
        return self.children_sum - self.parent_value

    @property
    def adds_up(self) -> bool:
        return self.difference == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "axis": self.axis,
            "level": self.level,
            "children": self.children,
            "children_sum": self.children_sum,
            "parent_value": self.parent_value,
            "difference": self.difference,
            "adds_up": self.adds_up,
        }


_LEVEL_OF_KIND = {"org_unit": "team"}


def level_of(parent: TargetRecord, child: TargetRecord) -> tuple[Axis, str]:
    """The axis of ``child`` under ``parent`` and its level (grain or scope kind)."""
    axis = axis_of(parent, child)
    kind = _LEVEL_OF_KIND.get(child.scope.kind, child.scope.kind)
    if child.scope.channel and not parent.scope.channel:
        kind = "channel"  # the whole scope (or a wider one) split by sales channel
    if axis == "time":
        return axis, child.period.grain
    if axis == "org":
        return axis, kind
    return axis, f"{child.period.grain} × {kind}"


def axis_of(parent: TargetRecord, child: TargetRecord) -> Axis:
    """``time`` (same scope), ``org`` (same period) or ``mixed``."""
    if child.period == parent.period:
        return "org"
    if child.scope == parent.scope:
        return "time"
    return "mixed"


def add_up_checks(
    parent: TargetRecord, children: Sequence[TargetRecord], info: MetricInfo | None = None
) -> list[AddUpCheck]:
    """One check per axis and level of ``parent``'s children, for KPIs whose children should
    add up (time before org, coarser levels first)."""
    info = info or metric_info(parent.metric)
    if not info.additive:
        return []
    groups: dict[tuple[Axis, str], list[TargetRecord]] = defaultdict(list)
    for child in children:
        if child.metric == parent.metric:
            groups[level_of(parent, child)].append(child)
    order = ("time", "org", "mixed")
    levels = ("quarter", "month", "region", "team", "product_line", "rep", "channel")
    checks = []
    for (axis, level), members in sorted(
        groups.items(),
        key=lambda kv: (order.index(kv[0][0]), levels.index(kv[0][1]) if kv[0][1] in levels else 9),
    ):
        if axis != "org" and not info.over_time:
            continue
        total = sum((c.value for c in members), Decimal(0))
        checks.append(AddUpCheck(axis, level, len(members), total, parent.value))
    return checks


# --------------------------------------------------------------------------- the tree


@dataclass
class TreeNode:
    """A target, its children, its add-up checks and (when asked) its attainment."""

    target: TargetRecord
    children: list[TreeNode] = field(default_factory=list)
    checks: list[AddUpCheck] = field(default_factory=list)
    attainment: Any = None  # salesops.targets.attainment.Attainment

    def walk(self, depth: int = 0) -> Iterable[tuple[int, TreeNode]]:
        """This node and every node below it, depth first, with their depth."""
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)

    def to_dict(self) -> dict[str, Any]:
        out = self.target.to_dict()
        out["checks"] = [c.to_dict() for c in self.checks]
        out["adds_up"] = all(c.adds_up for c in self.checks)
        out["attainment"] = self.attainment.to_dict() if self.attainment is not None else None
        out["children"] = [c.to_dict() for c in self.children]
        return out


def _sort_key(t: TargetRecord) -> tuple[Any, ...]:
    """Longer periods first, then by date; within a period, wider scopes first."""
    order = ("company", "region", "org_unit", "product_line", "rep")
    grain = ("year", "quarter", "month").index(t.period.grain)
    return (
        t.metric,
        grain,
        t.period.start,
        order.index(t.scope.kind),
        t.scope.channel is not None,
        t.scope_name,
    )


def build_tree(
    targets: Sequence[TargetRecord],
    all_children: Mapping[int, Sequence[TargetRecord]] | None = None,
) -> list[TreeNode]:
    """Roots (targets whose parent is absent from ``targets``) with their subtrees and checks.

    The checks add up every child of a node: ``all_children`` (parent id → children) when the
    tree shows only some of them (one period of a year, say), else the children shown."""
    nodes = {t.id: TreeNode(t) for t in sorted(targets, key=_sort_key)}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.target.parent_id or -1)
        if parent is None or parent is node:
            roots.append(node)
        else:
            parent.children.append(node)
    infos: dict[str, MetricInfo] = {}
    for node in nodes.values():
        children = [c.target for c in node.children]
        if all_children is not None:
            children = list(all_children.get(node.target.id, children))
        if children:
            metric = node.target.metric
            if metric not in infos:
                infos[metric] = metric_info(metric)
            node.checks = add_up_checks(node.target, children, infos[metric])
    return roots


def descendants(conn: Connection, target_id: int) -> list[int]:
    """Ids of every target below ``target_id`` (children before their own children)."""
    out: list[int] = []
    frontier = [target_id]
    seen = {target_id}
    while frontier:
        rows = conn.execute(select(Target.id).where(Target.parent_id.in_(frontier))).scalars()
        frontier = [int(r) for r in rows if int(r) not in seen]
        seen.update(frontier)
        out.extend(frontier)
    return out
