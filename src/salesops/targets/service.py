"""Writing targets: set (create or update), edit, delete — used by the API, CLI and pages.

Every target is identified by its natural key — KPI, period, scope — and its ``external_id`` is
that key written the way the importer writes it when a file has no id column
(``revenue|month|2026-03-01|rep||R001||``: KPI, grain, start, scope kind, org unit external id,
rep external id, region name, product line; then ``|直销`` for a channel's part only). So
setting a target twice, decomposing twice, or importing an exported file updates the same row
instead of adding another. Each write is audited and bumps the data version in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import Connection, Engine, delete, insert, select, update

from salesops.auth.audit import Actor
from salesops.auth.audit import record as record_event
from salesops.db.derived import bump_data_version
from salesops.db.schema import Target
from salesops.metrics.scope import FULL_SCOPE, Scope
from salesops.targets.calendar import Period
from salesops.targets.kpis import MetricError, metric_info
from salesops.targets.org import Directory, TargetScope
from salesops.targets.tree import (
    TargetRecord,
    TreeNode,
    build_tree,
    descendants,
    load_targets,
    visible_to,
)

EXTERNAL_ID_LENGTH = 200


class TargetError(ValueError):
    """A target write that cannot be done; the message says why."""


class TargetNotFound(TargetError):
    """No target with that id (or not visible to the caller)."""


def natural_key(metric: str, period: Period, scope: TargetScope, directory: Directory) -> str:
    """The target's external id: its natural key, as the importer writes it."""
    unit, rep, region, line = directory.key_parts(scope)
    parts = [metric, period.grain, period.start.isoformat(), scope.kind, unit, rep, region, line]
    if scope.channel:
        # Appended only for a channel's part, so whole targets keep the keys they had.
        parts.append(scope.channel)
    key = "|".join(parts)
    if len(key) > EXTERNAL_ID_LENGTH:
        key = "h:" + hashlib.sha1(key.encode("utf-8")).hexdigest()
    return key


def parse_value(value: object) -> Decimal:
    """A target value as an exact decimal; rejects text that is not a number."""
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation as exc:
        raise TargetError(f"{value!r} is not a number") from exc
    if not number.is_finite():
        raise TargetError(f"{value!r} is not a finite number")
    return number


def _check_value(metric: str, value: Decimal) -> None:
    info = metric_info(metric)
    if info.additive and value < 0:
        raise TargetError(f"a {metric} target cannot be negative ({value})")


def audit(
    conn: Connection, actor: str | Actor, action: str, target: str, detail: dict[str, object]
) -> None:
    """Append one audit event (target changes are audited, SPEC §7)."""
    record_event(conn, actor, action, target, detail)


def get_target(engine: Engine, target_id: int, scope: Scope = FULL_SCOPE) -> TargetRecord:
    """One target; raises TargetNotFound when it does not exist or is outside ``scope``."""
    with engine.connect() as conn:
        directory = Directory(conn)
        found = load_targets(conn, directory, ids=[target_id])
    if not found or not visible_to(directory, scope, found[0]):
        raise TargetNotFound(f"no target with id {target_id}")
    return found[0]


@dataclass(frozen=True)
class SetResult:
    target: TargetRecord
    created: bool


def set_target(
    engine: Engine,
    metric: str,
    period: Period,
    scope: TargetScope,
    value: object,
    *,
    parent_id: int | None = None,
    actor: str | Actor = "cli",
    data_scope: Scope = FULL_SCOPE,
) -> SetResult:
    """Create the target of ``metric`` / ``period`` / ``scope``, or update its value when it
    exists (its parent too, when ``parent_id`` is given). A caller whose ``data_scope`` does
    not cover the target (a manager setting another region's target) is refused and nothing
    is written."""
    number = parse_value(value)
    try:
        _check_value(metric, number)
    except MetricError as exc:
        raise TargetError(str(exc)) from exc
    with engine.begin() as conn:
        directory = Directory(conn)
        directory.check(scope)
        key = natural_key(metric, period, scope, directory)
        existing = conn.execute(select(Target.id).where(Target.external_id == key)).scalar()
        if parent_id is not None:
            _check_parent(conn, parent_id, metric, existing)
        if existing is None:
            target_id = insert_target(conn, key, metric, period, scope, number, parent_id)
        else:
            target_id = int(existing)
            values: dict[str, object] = {"value": number}
            if parent_id is not None:
                values["parent_id"] = parent_id
            conn.execute(update(Target).where(Target.id == target_id).values(**values))
        action = "target.create" if existing is None else "target.update"
        audit(conn, actor, action, f"target:{key}", {"id": target_id, "value": number})
        bump_data_version(conn)  # targets feed no derived structure
        record = load_targets(conn, directory, ids=[target_id])[0]
        if not visible_to(directory, data_scope, record):
            raise TargetError("this target is outside your data scope")
    return SetResult(record, existing is None)


def insert_target(
    conn: Connection,
    key: str,
    metric: str,
    period: Period,
    scope: TargetScope,
    value: Decimal,
    parent_id: int | None,
) -> int:
    """Insert one target row (the caller checked it); returns its id."""
    new_id = conn.execute(
        insert(Target)
        .values(
            external_id=key,
            metric=metric,
            period_grain=period.grain,
            period_start=period.start,
            scope_kind=scope.kind,
            org_unit_id=scope.org_unit_id,
            rep_id=scope.rep_id,
            region_id=scope.region_id,
            product_line=scope.product_line,
            channel=scope.channel,
            value=value,
            parent_id=parent_id,
        )
        .returning(Target.id)
    ).scalar_one()
    return int(new_id)


def _check_parent(conn: Connection, parent_id: int, metric: str, child_id: int | None) -> None:
    row = conn.execute(select(Target.metric).where(Target.id == parent_id)).first()
    if row is None:
        raise TargetError(f"no parent target with id {parent_id}")
    if row.metric != metric:
        raise TargetError(f"the parent target is for {row.metric}, not {metric}")
    if child_id is not None and (parent_id == child_id or parent_id in descendants(conn, child_id)):
        raise TargetError("a target cannot be its own ancestor")


def update_target(
    engine: Engine,
    target_id: int,
    *,
    value: object | None = None,
    parent_id: int | None = None,
    clear_parent: bool = False,
    scope: Scope = FULL_SCOPE,
    actor: str | Actor = "cli",
) -> TargetRecord:
    """Edit a target's value and/or parent (its KPI, period and scope are its identity)."""
    current = get_target(engine, target_id, scope)
    values: dict[str, object] = {}
    if value is not None:
        number = parse_value(value)
        _check_value(current.metric, number)
        values["value"] = number
    with engine.begin() as conn:
        if parent_id is not None:
            _check_parent(conn, parent_id, current.metric, target_id)
            values["parent_id"] = parent_id
        elif clear_parent:
            values["parent_id"] = None
        if values:
            conn.execute(update(Target).where(Target.id == target_id).values(**values))
            audit(
                conn,
                actor,
                "target.update",
                f"target:{current.external_id}",
                {"id": target_id, **values},
            )
            bump_data_version(conn)  # targets feed no derived structure
        directory = Directory(conn)
        return load_targets(conn, directory, ids=[target_id])[0]


def delete_target(
    engine: Engine,
    target_id: int,
    *,
    cascade: bool = False,
    scope: Scope = FULL_SCOPE,
    actor: str | Actor = "cli",
) -> int:
    """Delete a target; with ``cascade`` its whole subtree too. Returns how many were deleted.

    Without ``cascade`` a target with children is refused, so a tree is never left with
    orphans by accident.
    """
    current = get_target(engine, target_id, scope)
    with engine.begin() as conn:
        below = descendants(conn, target_id)
        if below and not cascade:
            raise TargetError(
                f"target {target_id} has {len(below)} target(s) below it; delete them first "
                "or delete with cascade"
            )
        delete_ids(conn, [*below, target_id])
        audit(
            conn,
            actor,
            "target.delete",
            f"target:{current.external_id}",
            {"id": target_id, "deleted": len(below) + 1},
        )
        bump_data_version(conn)  # targets feed no derived structure
    return len(below) + 1


def delete_ids(conn: Connection, ids: list[int]) -> None:
    """Delete targets, deepest first (PostgreSQL checks the parent foreign key per row)."""
    if not ids:
        return
    # Detach first, so the order of deletion never matters to the foreign key.
    conn.execute(update(Target).where(Target.id.in_(ids)).values(parent_id=None))
    conn.execute(delete(Target).where(Target.id.in_(ids)))


def list_targets(
    engine: Engine,
    *,
    metric: str | None = None,
    period: Period | None = None,
    scope: Scope = FULL_SCOPE,
) -> list[TargetRecord]:
    """Targets visible in ``scope`` (optionally one KPI, periods overlapping ``period``)."""
    with engine.connect() as conn:
        directory = Directory(conn)
        found = load_targets(conn, directory, metric=metric, overlapping=period)
    return [t for t in found if visible_to(directory, scope, t)]


def target_tree(
    engine: Engine,
    *,
    metric: str | None = None,
    period: Period | None = None,
    as_of: dt.date | None = None,
    basis: str = "calendar",
    scope: Scope = FULL_SCOPE,
    with_attainment: bool = True,
) -> list[TreeNode]:
    """The visible targets as trees (roots first), each node with its add-up checks and, unless
    ``with_attainment`` is False, its attainment and pacing as of ``as_of`` (default today)."""
    from salesops.targets.attainment import BASES, evaluate

    if basis not in BASES:
        raise TargetError(f"basis is calendar or working, not {basis!r}")
    with engine.connect() as conn:
        directory = Directory(conn)
        found = load_targets(conn, directory, metric=metric, overlapping=period)
        visible = [t for t in found if visible_to(directory, scope, t)]
        # Filtered by period, a node shows only some of its children; check them all.
        children: dict[int, list[TargetRecord]] | None = None
        if period is not None and visible:
            children = defaultdict(list)
            for child in load_targets(conn, directory, parents=[t.id for t in visible]):
                children[child.parent_id or -1].append(child)
    roots = build_tree(visible, children)
    if with_attainment and visible:
        results = evaluate(
            engine,
            visible,
            as_of=as_of,
            basis=basis,
            scope=scope,
            directory=directory,
        )
        for root in roots:
            for _, node in root.walk():
                node.attainment = results.get(node.target.id)
    return roots
