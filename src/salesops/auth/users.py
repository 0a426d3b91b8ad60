"""Users: who may sign in, with which role, as which rep or org unit.

Every change is audited with the acting user; passwords are checked against the policy and
stored as Argon2id hashes. A rep or org unit is named by its external id (as in imports)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, func, insert, select, update

from salesops.auth import audit
from salesops.auth.audit import Actor
from salesops.auth.passwords import check_policy, hash_password
from salesops.auth.roles import ROLES, ScopeSource, check_role, scope_for
from salesops.auth.secrets import utcnow
from salesops.db.schema import AppUser, OrgUnit, Rep, UserSession
from salesops.metrics.scope import Scope


class UserError(ValueError):
    """A user command that cannot be done; the message says why."""


class UserNotFound(UserError):
    pass


@dataclass(frozen=True)
class User:
    """A user as the rest of the application sees it (never with the password hash)."""

    id: int
    username: str
    display_name: str | None
    role: str
    rep_id: int | None
    org_unit_id: int | None
    active: bool
    locale: str | None = None
    email: str | None = None
    rep: str | None = None  # the rep's external id and name, for lists
    org_unit: str | None = None
    created_at: dt.datetime | None = None

    @property
    def scope(self) -> Scope:
        return scope_for(ScopeSource(self.role, self.rep_id, self.org_unit_id))

    @property
    def label(self) -> str:
        return self.display_name or self.username

    def describe_scope(self) -> str:
        """The scope in words: ``all data``, ``org unit EAST (华东区)``, ``rep R001 (张伟)``."""
        if self.role in ("admin", "ops"):
            return "all data"
        if self.role == "manager" or (self.role in ("viewer", "finance") and self.org_unit_id):
            return f"org unit {self.org_unit}" if self.org_unit_id else "nothing (no org unit)"
        if self.role == "rep" or self.rep_id:
            return f"rep {self.rep}" if self.rep_id else "nothing (no rep)"
        return "all data"


def _select_users():  # type: ignore[no-untyped-def]
    """Users with their rep's and org unit's external ids and names (for lists)."""
    return (
        select(
            *USER_COLUMNS,
            (Rep.external_id + " (" + Rep.name + ")").label("rep"),
            (OrgUnit.external_id + " (" + OrgUnit.name + ")").label("org_unit"),
        )
        .outerjoin(Rep, Rep.id == AppUser.rep_id)
        .outerjoin(OrgUnit, OrgUnit.id == AppUser.org_unit_id)
    )


def _user(row: object) -> User:
    m = row._mapping  # type: ignore[attr-defined]
    return User(**{k: m[k] for k in User.__dataclass_fields__ if k in m})


#: What a request needs of its user: one table, no joins (read on every request).
USER_COLUMNS = (
    AppUser.id,
    AppUser.username,
    AppUser.display_name,
    AppUser.role,
    AppUser.rep_id,
    AppUser.org_unit_id,
    AppUser.active,
    AppUser.locale,
    AppUser.email,
    AppUser.created_at,
)


def user_from(row: object) -> User:
    """A :class:`User` from a row that holds :data:`USER_COLUMNS` (labels left empty)."""
    return _user(row)


def list_users(engine: Engine) -> list[User]:
    """Every user, by login name."""
    with engine.connect() as conn:
        return [_user(r) for r in conn.execute(_select_users().order_by(AppUser.username))]


def get_user(
    conn: Connection,
    *,
    user_id: int | None = None,
    username: str | None = None,
    labels: bool = True,
) -> User:
    """One user by id or login name (case-insensitive); UserNotFound otherwise. Without
    ``labels`` the rep's and org unit's names are not read (one table, for every request)."""
    q = _select_users() if labels else select(*USER_COLUMNS)
    if user_id is not None:
        q = q.where(AppUser.id == user_id)
    elif username is not None:
        q = q.where(func.lower(AppUser.username) == username.strip().lower())
    else:
        raise ValueError("get_user needs user_id or username")
    row = conn.execute(q).first()
    if row is None:
        raise UserNotFound(f"no user {username or user_id!r}")
    return _user(row)


def resolve_ref(conn: Connection, model: type[Rep] | type[OrgUnit], ref: str | None) -> int | None:
    if ref is None or not ref.strip():
        return None
    ref = ref.strip()
    found = conn.execute(select(model.id).where(model.external_id == ref)).scalar()
    if found is None:
        found = conn.execute(select(model.id).where(func.lower(model.name) == ref.lower())).scalar()
    if found is None:
        kind = "rep" if model is Rep else "org unit"
        raise UserError(f"no {kind} with external id or name {ref!r}")
    return int(found)


def _check_scope_links(role: str, rep_id: int | None, org_unit_id: int | None) -> None:
    if role == "rep" and rep_id is None:
        raise UserError("a rep user needs --rep (the sales rep they are)")
    if role == "manager" and org_unit_id is None:
        raise UserError("a manager user needs --org-unit (the root of the subtree they manage)")


def add_user(
    engine: Engine,
    username: str,
    *,
    role: str,
    password: str | None = None,
    rep: str | None = None,
    org_unit: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
    locale: str | None = None,
    actor: Actor,
    check_password: bool = True,
) -> User:
    """Create a user. Without a password the user cannot sign in until one is set."""
    username = username.strip()
    if not username or len(username) > 100 or any(c.isspace() for c in username):
        raise UserError("a login name is 1–100 characters without spaces")
    check_role(role)
    with engine.begin() as conn:
        if conn.execute(
            select(AppUser.id).where(func.lower(AppUser.username) == username.lower())
        ).first():
            raise UserError(f"a user {username!r} exists already")
        rep_id = resolve_ref(conn, Rep, rep)
        org_unit_id = resolve_ref(conn, OrgUnit, org_unit)
        _check_scope_links(role, rep_id, org_unit_id)
        if display_name is None and rep_id is not None:
            display_name = conn.execute(select(Rep.name).where(Rep.id == rep_id)).scalar()
        now = utcnow()
        hashed = None
        if password is not None:
            if check_password:
                check_policy(password, hints=(username, display_name or ""))
            hashed = hash_password(password)
        user_id = conn.execute(
            insert(AppUser)
            .values(
                username=username,
                display_name=display_name,
                email=email,
                locale=locale,
                password_hash=hashed,
                role=role,
                rep_id=rep_id,
                org_unit_id=org_unit_id,
                active=True,
                created_at=now,
                password_changed_at=now if hashed else None,
            )
            .returning(AppUser.id)
        ).scalar_one()
        audit.record(
            conn,
            actor,
            "user.add",
            username,
            {"role": role, "rep": rep, "org_unit": org_unit, "has_password": hashed is not None},
        )
        return get_user(conn, user_id=int(user_id))


def set_role(
    engine: Engine,
    username: str,
    role: str,
    *,
    rep: str | None = None,
    org_unit: str | None = None,
    actor: Actor,
) -> User:
    """Change a user's role (and rep / org unit when given); their sessions end, so the new
    scope applies at once."""
    check_role(role)
    with engine.begin() as conn:
        user = get_user(conn, username=username)
        rep_id = resolve_ref(conn, Rep, rep) if rep is not None else user.rep_id
        org_unit_id = (
            resolve_ref(conn, OrgUnit, org_unit) if org_unit is not None else user.org_unit_id
        )
        _check_scope_links(role, rep_id, org_unit_id)
        _protect_last_admin(conn, user, new_role=role)
        conn.execute(
            update(AppUser)
            .where(AppUser.id == user.id)
            .values(role=role, rep_id=rep_id, org_unit_id=org_unit_id)
        )
        _end_sessions(conn, user.id)
        audit.record(
            conn,
            actor,
            "user.set_role",
            user.username,
            {"from": user.role, "to": role, "rep": rep, "org_unit": org_unit},
        )
        return get_user(conn, user_id=user.id)


def set_active(engine: Engine, username: str, active: bool, *, actor: Actor) -> User:
    """Disable (or enable again) a user; disabling ends their sessions and stops their
    tokens (a disabled user's tokens open nothing)."""
    with engine.begin() as conn:
        user = get_user(conn, username=username)
        if not active:
            _protect_last_admin(conn, user, new_role=None)
            _end_sessions(conn, user.id)
        conn.execute(update(AppUser).where(AppUser.id == user.id).values(active=active))
        audit.record(conn, actor, "user.enable" if active else "user.disable", user.username)
        return get_user(conn, user_id=user.id)


def set_password(
    engine: Engine, username: str, password: str, *, actor: Actor, check: bool = True
) -> User:
    """Set a new password (policy-checked); every session of the user ends."""
    with engine.begin() as conn:
        user = get_user(conn, username=username)
        if check:
            check_policy(password, hints=(user.username, user.display_name or ""))
        now = utcnow()
        conn.execute(
            update(AppUser)
            .where(AppUser.id == user.id)
            .values(
                password_hash=hash_password(password),
                password_changed_at=now,
                locked_until=None,
            )
        )
        _end_sessions(conn, user.id)
        audit.record(conn, actor, "user.password", user.username)
        return user


def set_locale(engine: Engine, user_id: int, locale: str | None) -> None:
    """Remember a user's language (not audited: a preference, not a permission)."""
    with engine.begin() as conn:
        conn.execute(update(AppUser).where(AppUser.id == user_id).values(locale=locale))


def _end_sessions(conn: Connection, user_id: int) -> None:
    now = utcnow()
    conn.execute(update(AppUser).where(AppUser.id == user_id).values(sessions_valid_after=now))
    conn.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=now)
    )


def _protect_last_admin(conn: Connection, user: User, *, new_role: str | None) -> None:
    """Refuse to leave the application without an active admin."""
    if user.role != "admin" or new_role == "admin":
        return
    admins = conn.execute(
        select(func.count()).where(AppUser.role == "admin", AppUser.active.is_(True))
    ).scalar_one()
    if admins <= 1:
        raise UserError("this is the last active admin; make another admin first")


def has_users(engine: Engine) -> bool:
    """Whether any user exists (a board without users is the operator's own)."""
    with engine.connect() as conn:
        return conn.execute(select(AppUser.id).limit(1)).first() is not None


__all__ = [
    "ROLES",
    "User",
    "UserError",
    "UserNotFound",
    "add_user",
    "get_user",
    "has_users",
    "list_users",
    "set_active",
    "set_password",
    "set_role",
]
