"""The caller of one request: what they may do, which data they see, and who they are in the
audit log. Built once per request from a session cookie, a bearer token or a wall key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from salesops.auth.audit import Actor
from salesops.auth.roles import NOTHING, READ_ONLY, ROLES, WALL_ONLY, Permission
from salesops.auth.sessions import Session
from salesops.auth.tokens import TokenUse
from salesops.auth.users import User
from salesops.auth.walls import Wall
from salesops.metrics.scope import Scope

PrincipalKind = Literal["anonymous", "session", "token", "wall"]


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    permissions: frozenset[Permission]
    scope: Scope
    actor: Actor
    user: User | None = None
    session: Session | None = None
    token: TokenUse | None = None
    wall: Wall | None = None
    read_only: bool = False
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    def can(self, permission: Permission) -> bool:
        return permission is Permission.PUBLIC or permission in self.permissions

    @property
    def signed_in(self) -> bool:
        return self.kind in ("session", "token")


def anonymous(client: str | None) -> Principal:
    return Principal("anonymous", frozenset(), NOTHING, Actor("anonymous", client=client))


def from_session(session: Session, client: str | None) -> Principal:
    user = session.user
    return Principal(
        "session",
        ROLES.get(user.role, frozenset()),
        user.scope,
        Actor(user.username, user.id, client),
        user=user,
        session=session,
    )


def from_token(use: TokenUse, client: str | None) -> Principal:
    user = use.user
    permissions = ROLES.get(user.role, frozenset())
    if use.read_only:
        permissions = permissions & READ_ONLY
    return Principal(
        "token",
        permissions,
        user.scope,
        Actor(f"token:{use.name}@{user.username}", user.id, client),
        user=user,
        token=use,
        read_only=use.read_only,
    )


def from_wall(wall: Wall, client: str | None) -> Principal:
    return Principal(
        "wall",
        WALL_ONLY,
        wall.scope,
        Actor(f"wall:{wall.name}", None, client),
        wall=wall,
        read_only=True,
    )
