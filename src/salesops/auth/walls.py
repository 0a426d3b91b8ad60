"""Wall links: a meeting-room screen opens ``/wall/k/KEY`` without a user session and can
do nothing but look at the wall, in the link's scope, until the link expires or is revoked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update

from salesops.auth import audit
from salesops.auth.audit import Actor
from salesops.auth.secrets import new_token, token_hash, utcnow
from salesops.auth.users import UserError, resolve_ref
from salesops.db.schema import OrgUnit, Rep, WallLink
from salesops.metrics.scope import FULL_SCOPE, Scope


@dataclass(frozen=True)
class Wall:
    id: int
    name: str
    prefix: str | None
    scope_kind: str
    org_unit_id: int | None
    rep_id: int | None
    query: str | None
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None

    @property
    def scope(self) -> Scope:
        if self.scope_kind == "org_unit" and self.org_unit_id:
            return Scope.subtree(self.org_unit_id)
        if self.scope_kind == "rep" and self.rep_id:
            return Scope.single_rep(self.rep_id)
        return FULL_SCOPE

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= utcnow() else "active"


_COLUMNS = (
    WallLink.id,
    WallLink.name,
    WallLink.prefix,
    WallLink.scope_kind,
    WallLink.org_unit_id,
    WallLink.rep_id,
    WallLink.query,
    WallLink.created_at,
    WallLink.expires_at,
    WallLink.revoked_at,
)


def create_wall_link(
    engine: Engine,
    name: str,
    *,
    org_unit: str | None = None,
    rep: str | None = None,
    expires_in: dt.timedelta = dt.timedelta(days=365),
    query: str | None = None,
    actor: Actor,
) -> tuple[str, Wall]:
    """A new wall link; returns its key (shown once) and its record."""
    if org_unit and rep:
        raise UserError("a wall link is scoped to an org unit or a rep, not both")
    key = new_token("wall_")
    now = utcnow()
    with engine.begin() as conn:
        org_unit_id = resolve_ref(conn, OrgUnit, org_unit)
        rep_id = resolve_ref(conn, Rep, rep)
        kind = "org_unit" if org_unit_id else "rep" if rep_id else "all"
        wall_id = conn.execute(
            insert(WallLink)
            .values(
                name=(name or "wall")[:100],
                token_hash=token_hash(key),
                prefix=key[:9],
                scope_kind=kind,
                org_unit_id=org_unit_id,
                rep_id=rep_id,
                query=(query or "")[:500] or None,
                created_at=now,
                created_by=actor.name[:100],
                expires_at=now + expires_in,
            )
            .returning(WallLink.id)
        ).scalar_one()
        audit.record(
            conn,
            actor,
            "wall_link.create",
            name,
            {
                "wall_id": wall_id,
                "scope": kind,
                "org_unit": org_unit,
                "rep": rep,
                "expires_at": (now + expires_in).isoformat(),
            },
        )
        row = conn.execute(select(*_COLUMNS).where(WallLink.id == wall_id)).one()
    return key, Wall(**row._mapping)


def list_wall_links(engine: Engine) -> list[Wall]:
    with engine.connect() as conn:
        return [
            Wall(**r._mapping) for r in conn.execute(select(*_COLUMNS).order_by(WallLink.id.desc()))
        ]


def revoke_wall_link(engine: Engine, wall_id: int, *, actor: Actor) -> None:
    with engine.begin() as conn:
        name = conn.execute(select(WallLink.name).where(WallLink.id == wall_id)).scalar()
        if name is None:
            raise UserError(f"no wall link with id {wall_id}")
        conn.execute(update(WallLink).where(WallLink.id == wall_id).values(revoked_at=utcnow()))
        audit.record(conn, actor, "wall_link.revoke", name, {"wall_id": wall_id})


def verify_wall_key(engine: Engine, key: str) -> Wall | None:
    """The live wall link behind ``key``, or None."""
    if not key or len(key) > 200:
        return None
    with engine.connect() as conn:
        row = conn.execute(select(*_COLUMNS).where(WallLink.token_hash == token_hash(key))).first()
    if row is None:
        return None
    wall = Wall(**row._mapping)
    return wall if wall.state == "active" else None
