"""Data scope: which rows a caller may see. Applied inside the engine, never in pages.

A scope is all data, an org subtree (a manager sees the reps of every unit below theirs) or one
rep. Every fact is attributed to a rep (``order_line.rep_id``, ``opportunity.owner_id``,
``payment.rep_id``, ``activity.rep_id``, ``feedback.rep_id``, ``customer.owner_id``); a scoped
caller sees the rows whose rep is visible to them, and nothing that has no rep.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, select, true

from salesops.db.tables import OrgUnit, Rep

ScopeKind = Literal["all", "org_unit", "rep"]


@dataclass(frozen=True)
class Scope:
    """The caller's data scope; hashable, so it can be part of a cache key."""

    kind: ScopeKind = "all"
    org_unit_id: int | None = None
    rep_id: int | None = None

    @classmethod
    def everything(cls) -> Scope:
        """Full scope (admins, directors, the CLI until users exist)."""
        return cls("all")

    @classmethod
    def subtree(cls, org_unit_id: int) -> Scope:
        """The reps of ``org_unit_id`` and of every unit below it."""
        return cls("org_unit", org_unit_id=org_unit_id)

    @classmethod
    def single_rep(cls, rep_id: int) -> Scope:
        """One rep's own data."""
        return cls("rep", rep_id=rep_id)

    @property
    def is_full(self) -> bool:
        return self.kind == "all"

    def cache_key(self) -> str:
        return f"{self.kind}:{self.org_unit_id or ''}:{self.rep_id or ''}"


FULL_SCOPE = Scope.everything()


_SUBTREE_LOCK = threading.Lock()


def subtree_units(org_unit_id: int) -> Select[Any]:
    """Ids of ``org_unit_id`` and all units below it (a recursive CTE; both databases).

    One object per unit: a statement that restricts several tables by the same subtree (facts
    and targets) shares one ``scope_tree`` CTE; two distinct CTEs of that name cannot be
    compiled into one statement. The lock makes "one object" hold across threads too: with a
    bare ``lru_cache`` two threads missing at once each built their own, and a statement could
    get one thread's CTE for its facts and the other's for its targets ("Multiple unrelated
    CTEs named scope_tree", seen once while reports were built side by side)."""
    with _SUBTREE_LOCK:
        return _subtree_units(org_unit_id)


@lru_cache(maxsize=256)
def _subtree_units(org_unit_id: int) -> Select[Any]:
    tree = select(OrgUnit.id).where(OrgUnit.id == org_unit_id).cte("scope_tree", recursive=True)
    tree = tree.union_all(select(OrgUnit.id).where(OrgUnit.parent_id == tree.c.id))
    return select(tree.c.id)


def visible_reps(scope: Scope) -> Select[Any] | None:
    """A subquery of the rep ids ``scope`` may see, or None when nothing is restricted."""
    if scope.kind == "all":
        return None
    if scope.kind == "rep":
        return select(Rep.id).where(Rep.id == scope.rep_id)
    if scope.org_unit_id is None:
        raise ValueError("an org_unit scope needs org_unit_id")
    return select(Rep.id).where(Rep.org_unit_id.in_(subtree_units(scope.org_unit_id)))


def restrict(scope: Scope, rep_column: ColumnElement[Any]) -> ColumnElement[bool]:
    """The condition that keeps only rows whose ``rep_column`` is visible in ``scope``."""
    reps = visible_reps(scope)
    if reps is None:
        return true()
    return rep_column.in_(reps)
