"""Target scopes and the organisation they live in.

A target's scope is the company, a sales region (``region`` table), an org unit (a team, or a
region/company unit of the org tree), a rep or a product line, optionally narrowed to one sales
channel (``rep:张伟;channel:直销``; the channel of ``order_line``). A scope without a channel is
the whole quota; one with a channel is a part of it, which readers of "the rep's quota"
(commission, scorecards, the attainment KPI) leave aside. :class:`Directory` loads the
org tree, reps, regions and product lines once per operation (a few thousand rows at most) and
answers everything targets ask about them: resolving ``team:华东一组`` to an id, display names,
the engine filters that measure a scope, and the units one level down for decomposition.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Literal

from sqlalchemy import Connection, select

from salesops.db.schema import OrderHeader, OrgUnit, Product, Region, Rep

ScopeKind = Literal["company", "org_unit", "rep", "product_line", "region"]
SCOPE_KINDS: tuple[ScopeKind, ...] = ("company", "org_unit", "rep", "product_line", "region")
#: Levels an organisation split can produce, and the engine dimension that measures each.
OrgLevel = Literal["region", "team", "rep", "product_line", "channel"]
ORG_LEVELS: tuple[OrgLevel, ...] = ("region", "team", "rep", "product_line", "channel")
LEVEL_DIMENSION: dict[str, str] = {
    "region": "region",
    "team": "team",
    "rep": "rep",
    "product_line": "product_line",
    "channel": "channel",
}
#: The engine dimension a target's channel narrows by.
CHANNEL_DIMENSION = "channel"

Filters = tuple[tuple[str, tuple[str, ...]], ...]


class ScopeError(ValueError):
    """A scope that cannot be read or found."""


@dataclass(frozen=True)
class TargetScope:
    """Who a target is for; exactly the id column of ``kind`` is set, and ``channel`` when
    the target is one sales channel's part of that scope."""

    kind: ScopeKind = "company"
    org_unit_id: int | None = None
    rep_id: int | None = None
    region_id: int | None = None
    product_line: str | None = None
    channel: str | None = None

    @classmethod
    def company(cls) -> TargetScope:
        return cls("company")

    def without_channel(self) -> TargetScope:
        """The same scope, whole (all channels)."""
        return replace(self, channel=None)

    def with_channel(self, channel: str | None) -> TargetScope:
        return replace(self, channel=channel)


@dataclass(frozen=True)
class _Unit:
    id: int
    external_id: str
    name: str
    kind: str
    parent_id: int | None
    region_id: int | None


@dataclass(frozen=True)
class _Rep:
    id: int
    external_id: str
    name: str
    org_unit_id: int | None
    region_id: int | None
    hired_on: dt.date | None
    left_on: dt.date | None
    active: bool

    def works_during(self, start: dt.date, end: dt.date) -> bool:
        """Employed at some time between ``start`` and ``end``."""
        if self.hired_on and self.hired_on > end:
            return False
        if self.left_on:
            return self.left_on >= start
        return self.active


class Directory:
    """The org tree, reps, regions and product lines, loaded once."""

    def __init__(self, conn: Connection) -> None:
        self.units = {
            r.id: _Unit(r.id, r.external_id, r.name, r.kind, r.parent_id, r.region_id)
            for r in conn.execute(
                select(
                    OrgUnit.id,
                    OrgUnit.external_id,
                    OrgUnit.name,
                    OrgUnit.kind,
                    OrgUnit.parent_id,
                    OrgUnit.region_id,
                ).order_by(OrgUnit.id)
            )
        }
        self.reps = {
            r.id: _Rep(
                r.id,
                r.external_id,
                r.name,
                r.org_unit_id,
                r.region_id,
                r.hired_on,
                r.left_on,
                bool(r.active),
            )
            for r in conn.execute(
                select(
                    Rep.id,
                    Rep.external_id,
                    Rep.name,
                    Rep.org_unit_id,
                    Rep.region_id,
                    Rep.hired_on,
                    Rep.left_on,
                    Rep.active,
                ).order_by(Rep.id)
            )
        }
        self.regions = {
            int(i): str(n)
            for i, n in conn.execute(select(Region.id, Region.name).order_by(Region.id))
        }
        self.product_lines = sorted(
            str(p)
            for p in conn.execute(
                select(Product.product_line).where(Product.product_line.is_not(None)).distinct()
            ).scalars()
        )
        self._channels: list[str] | None = None
        self._engine = conn.engine
        self._children: dict[int | None, list[int]] = defaultdict(list)
        for unit in self.units.values():
            self._children[unit.parent_id].append(unit.id)

    @property
    def channels(self) -> list[str]:
        """The sales channels orders were taken through (read on first use)."""
        if self._channels is None:
            # Its own connection: a directory outlives the one it was loaded with.
            with self._engine.connect() as conn:
                found = conn.execute(
                    select(OrderHeader.channel).where(OrderHeader.channel.is_not(None)).distinct()
                ).scalars()
                self._channels = sorted(str(c) for c in found if str(c).strip())
        return self._channels

    # ------------------------------------------------------------------ reading scopes

    def parse(self, text: str, channel: str | None = None) -> TargetScope:
        """``company``, ``region:华东``, ``team:NAME`` (or ``org_unit:``), ``rep:NAME``,
        ``product_line:NAME``, each optionally followed by ``;channel:NAME`` (``channel:NAME``
        alone: the company's part in that channel), or ``channel`` given apart (``--channel``).
        Units and reps match external id, then name (trimmed, case-insensitive)."""
        parts = [p.strip() for p in text.split(";")]
        base_parts = []
        for part in parts:
            kind, sep, value = part.partition(":")
            if sep and kind.strip().lower() == "channel":
                if not value.strip():
                    raise ScopeError(f"the channel is empty in {text!r}")
                if channel is not None and channel.strip() != value.strip():
                    raise ScopeError(f"two channels given: {channel!r} and {value.strip()!r}")
                channel = value
            elif part:
                base_parts.append(part)
        if len(base_parts) > 1:
            raise ScopeError(
                f"cannot read the scope {text!r}; one scope, optionally with ;channel:NAME"
            )
        scope = self._parse_base(base_parts[0] if base_parts else "company")
        if channel is not None and channel.strip():
            scope = scope.with_channel(self._find_channel(channel.strip()))
        return scope

    def _find_channel(self, value: str) -> str:
        for known in self.channels:
            if known.strip().casefold() == value.casefold():
                return known
        # A channel without orders yet (a new one) is still a valid target scope.
        return value

    def _parse_base(self, text: str) -> TargetScope:
        text = text.strip()
        if text.lower() in ("company", "all", ""):
            return TargetScope.company()
        kind, sep, value = text.partition(":")
        kind, value = kind.strip().lower(), value.strip()
        if not sep or not value:
            raise ScopeError(
                f"cannot read the scope {text!r}; use company, region:NAME, team:NAME, "
                "rep:NAME or product_line:NAME"
            )
        if kind == "region":
            return TargetScope("region", region_id=self._find_region(value))
        if kind in ("team", "org_unit", "unit"):
            return TargetScope("org_unit", org_unit_id=self._find_unit(value))
        if kind == "rep":
            return TargetScope("rep", rep_id=self._find_rep(value))
        if kind in ("product_line", "product-line", "line"):
            return TargetScope("product_line", product_line=self._find_line(value))
        raise ScopeError(f"unknown scope kind {kind!r} in {text!r}")

    def _find_region(self, value: str) -> int:
        key = value.casefold()
        for rid, name in self.regions.items():
            if name.strip().casefold() == key:
                return rid
        raise ScopeError(f"no region named {value!r}; known: {', '.join(self.regions.values())}")

    def _find_unit(self, value: str) -> int:
        for unit in self.units.values():
            if unit.external_id == value:
                return unit.id
        matches = [
            u.id for u in self.units.values() if u.name.strip().casefold() == value.casefold()
        ]
        if len(matches) > 1:
            raise ScopeError(f"several org units are named {value!r}; use the external id")
        if not matches:
            raise ScopeError(f"no team or org unit {value!r}")
        return matches[0]

    def _find_rep(self, value: str) -> int:
        for rep in self.reps.values():
            if rep.external_id == value:
                return rep.id
        matches = [
            r.id for r in self.reps.values() if r.name.strip().casefold() == value.casefold()
        ]
        if len(matches) > 1:
            raise ScopeError(f"several reps are named {value!r}; use the external id")
        if not matches:
            raise ScopeError(f"no sales rep {value!r}")
        return matches[0]

    def _find_line(self, value: str) -> str:
        for line in self.product_lines:
            if line.strip().casefold() == value.casefold():
                return line
        # A line without products yet is still a valid target scope.
        return value

    # ------------------------------------------------------------------ describing scopes

    def check(self, scope: TargetScope) -> None:
        """Raise ScopeError unless the ids of ``scope`` exist."""
        if scope.kind == "org_unit" and scope.org_unit_id not in self.units:
            raise ScopeError(f"no org unit with id {scope.org_unit_id}")
        if scope.kind == "rep" and scope.rep_id not in self.reps:
            raise ScopeError(f"no rep with id {scope.rep_id}")
        if scope.kind == "region" and scope.region_id not in self.regions:
            raise ScopeError(f"no region with id {scope.region_id}")
        if scope.kind == "product_line" and not scope.product_line:
            raise ScopeError("a product-line target needs the product line")

    def name(self, scope: TargetScope) -> str:
        """Display name: the region's, unit's, rep's or product line's name (company: ''),
        followed by `` · CHANNEL`` for a channel's part (company: the channel)."""
        base = self._base_name(scope)
        if scope.channel:
            return f"{base} · {scope.channel}" if base else scope.channel
        return base

    def base_name(self, scope: TargetScope) -> str:
        """The name without the channel (what the scope's engine dimension calls it)."""
        return self._base_name(scope)

    def _base_name(self, scope: TargetScope) -> str:
        if scope.kind == "org_unit" and scope.org_unit_id in self.units:
            return self.units[scope.org_unit_id].name
        if scope.kind == "rep" and scope.rep_id in self.reps:
            return self.reps[scope.rep_id].name
        if scope.kind == "region" and scope.region_id in self.regions:
            return self.regions[scope.region_id]
        if scope.kind == "product_line":
            return scope.product_line or ""
        return ""

    def text(self, scope: TargetScope) -> str:
        """The scope as the CLI writes it: ``company``, ``team:华东一组``,
        ``rep:张伟;channel:直销`` ..."""
        suffix = f";channel:{scope.channel}" if scope.channel else ""
        if scope.kind == "company":
            return f"channel:{scope.channel}" if scope.channel else "company"
        prefix = {"org_unit": "team", "rep": "rep", "region": "region"}.get(scope.kind, scope.kind)
        return f"{prefix}:{self._base_name(scope)}{suffix}"

    def key_parts(self, scope: TargetScope) -> tuple[str, str, str, str]:
        """(org unit, rep, region, product line) as the importer's natural key writes them:
        external ids for units and reps, names for regions and product lines."""
        unit = self.units[scope.org_unit_id].external_id if scope.org_unit_id in self.units else ""
        rep = self.reps[scope.rep_id].external_id if scope.rep_id in self.reps else ""
        region = self.regions.get(scope.region_id or -1, "")
        return unit, rep, region, scope.product_line or ""

    def unit_kind(self, scope: TargetScope) -> str | None:
        if scope.kind == "org_unit" and scope.org_unit_id in self.units:
            return self.units[scope.org_unit_id].kind
        return None

    def filters(self, scope: TargetScope) -> Filters:
        """The metrics-engine filter that measures ``scope`` (dimension values are names).

        An org unit is measured by its reps' teams: the unit itself and every unit below it.
        A channel's part adds the channel filter (last).
        """
        channel: Filters = ((CHANNEL_DIMENSION, (scope.channel,)),) if scope.channel else ()
        if scope.kind == "company":
            return channel
        if scope.kind == "org_unit":
            names = sorted({self.units[u].name for u in self.subtree(scope.org_unit_id or -1)})
            return (("team", tuple(names)), *channel)
        dim = {"rep": "rep", "region": "region", "product_line": "product_line"}[scope.kind]
        return ((dim, (self._base_name(scope),)), *channel)

    # ------------------------------------------------------------------ the org tree

    def subtree(self, unit_id: int) -> list[int]:
        """``unit_id`` and every unit below it."""
        if unit_id not in self.units:
            return []
        out, todo = [], [unit_id]
        while todo:
            current = todo.pop()
            out.append(current)
            todo.extend(self._children.get(current, []))
        return sorted(out)

    def _unit_region(self, unit_id: int) -> int | None:
        """The region of a unit: its own, else the nearest ancestor's."""
        seen: set[int] = set()
        current: int | None = unit_id
        while current is not None and current in self.units and current not in seen:
            seen.add(current)
            if self.units[current].region_id is not None:
                return self.units[current].region_id
            current = self.units[current].parent_id
        return None

    def teams(self) -> list[int]:
        """Units that reps belong to (kind ``team``, or any unit with reps of its own)."""
        with_reps = {r.org_unit_id for r in self.reps.values()}
        return [u.id for u in self.units.values() if u.kind == "team" or u.id in with_reps]

    def children(
        self, parent: TargetScope, level: OrgLevel, start: dt.date, end: dt.date
    ) -> list[TargetScope]:
        """The scopes one split of ``parent`` into ``level`` produces, in a stable order.

        company → any level; region → its teams or reps; org unit → the teams or reps below it.
        Reps count when employed at some time in [start, end]. Any whole scope → its channels
        (the same scope, one child per channel orders were taken through). A channel's part
        splits into the channel's parts of the children: the channel is kept.
        """
        if level == "channel":
            if parent.channel:
                raise ScopeError("this target is already one channel's part")
            return [parent.with_channel(c) for c in self.channels]
        if parent.channel:
            whole = self.children(parent.without_channel(), level, start, end)
            return [c.with_channel(parent.channel) for c in whole]
        if parent.kind == "rep" or (parent.kind == "product_line" and level != "product_line"):
            raise ScopeError(f"a {parent.kind} target cannot be split into {level}s")
        if level == "product_line":
            if parent.kind != "company":
                raise ScopeError("only a company target can be split into product lines")
            return [TargetScope("product_line", product_line=p) for p in self.product_lines]
        if level == "region":
            if parent.kind != "company":
                raise ScopeError("only a company target can be split into regions")
            return [TargetScope("region", region_id=r) for r in self.regions]
        if level == "team":
            teams = self.teams()
            if parent.kind == "region":
                teams = [t for t in teams if self._team_in_region(t, parent.region_id)]
            elif parent.kind == "org_unit":
                below = set(self.subtree(parent.org_unit_id or -1)) - {parent.org_unit_id}
                teams = [t for t in teams if t in below]
            return [TargetScope("org_unit", org_unit_id=t) for t in teams]
        reps = [r for r in self.reps.values() if r.works_during(start, end)]
        if parent.kind == "region":
            reps = [r for r in reps if r.region_id == parent.region_id]
        elif parent.kind == "org_unit":
            below = set(self.subtree(parent.org_unit_id or -1))
            reps = [r for r in reps if r.org_unit_id in below]
        return [TargetScope("rep", rep_id=r.id) for r in reps]

    def _team_in_region(self, team_id: int, region_id: int | None) -> bool:
        """A team belongs to a region by the org tree, else by where most of its reps sell."""
        region = self._unit_region(team_id)
        if region is not None:
            return region == region_id
        counts: dict[int | None, int] = defaultdict(int)
        for rep in self.reps.values():
            if rep.org_unit_id == team_id:
                counts[rep.region_id] += 1
        if not counts:
            return False
        return max(counts.items(), key=lambda kv: (kv[1], -(kv[0] or 0)))[0] == region_id
