"""API tokens for scripts and integrations (``Authorization: Bearer …``).

A token is shown once when it is made; only its hash is kept. It opens what its user may open
(read-only tokens: only reading), until it expires or is revoked, and never once its user is
disabled."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update

from salesops.auth import audit
from salesops.auth.audit import Actor
from salesops.auth.secrets import new_token, token_hash, utcnow
from salesops.auth.users import USER_COLUMNS, User, UserError, get_user, user_from
from salesops.db.schema import ApiToken, AppUser

PREFIX = "sob_"  # SalesOps Board: lets secret scanners and people recognise a token


@dataclass(frozen=True)
class TokenInfo:
    id: int
    user: str
    name: str
    prefix: str | None
    read_only: bool
    created_at: dt.datetime | None
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked: bool

    @property
    def state(self) -> str:
        if self.revoked:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= utcnow():
            return "expired"
        return "active"


def parse_duration(text: str) -> dt.timedelta:
    """``30d``, ``12h``, ``90m``, ``2w`` → a timedelta (``never`` is handled by callers)."""
    m = re.fullmatch(r"\s*(\d{1,6})\s*([mhdw])\s*", text or "")
    if not m:
        raise UserError(f"{text!r} is not a duration like 30d, 12h, 90m or 2w")
    n, unit = int(m.group(1)), m.group(2)
    if n <= 0:
        raise UserError("a duration must be positive")
    return {
        "m": dt.timedelta(minutes=n),
        "h": dt.timedelta(hours=n),
        "d": dt.timedelta(days=n),
        "w": dt.timedelta(weeks=n),
    }[unit]


def create_token(
    engine: Engine,
    username: str,
    *,
    name: str = "api",
    read_only: bool = False,
    expires_in: dt.timedelta | None = dt.timedelta(days=90),
    actor: Actor,
) -> tuple[str, TokenInfo]:
    """Make a token for ``username``; returns the secret (to show once) and its record."""
    secret = new_token(PREFIX)
    now = utcnow()
    with engine.begin() as conn:
        user = get_user(conn, username=username)
        if not user.active:
            raise UserError(f"user {user.username!r} is disabled")
        token_id = conn.execute(
            insert(ApiToken)
            .values(
                user_id=user.id,
                name=(name or "api")[:100],
                token_hash=token_hash(secret),
                prefix=secret[: len(PREFIX) + 4],
                read_only=read_only,
                created_at=now,
                created_by=actor.name[:100],
                expires_at=now + expires_in if expires_in else None,
                revoked=False,
            )
            .returning(ApiToken.id)
        ).scalar_one()
        audit.record(
            conn,
            actor,
            "token.create",
            f"{user.username}:{name}",
            {
                "token_id": token_id,
                "read_only": read_only,
                "expires_at": (now + expires_in).isoformat() if expires_in else None,
            },
        )
    info = next(t for t in list_tokens(engine, username=user.username) if t.id == token_id)
    return secret, info


def list_tokens(engine: Engine, *, username: str | None = None) -> list[TokenInfo]:
    """Tokens (never their secrets), newest first; one user's with ``username``."""
    q = (
        select(
            ApiToken.id,
            AppUser.username.label("user"),
            ApiToken.name,
            ApiToken.prefix,
            ApiToken.read_only,
            ApiToken.created_at,
            ApiToken.expires_at,
            ApiToken.last_used_at,
            ApiToken.revoked,
        )
        .join(AppUser, AppUser.id == ApiToken.user_id)
        .order_by(ApiToken.id.desc())
    )
    if username:
        q = q.where(AppUser.username == username)
    with engine.connect() as conn:
        return [TokenInfo(**r._mapping) for r in conn.execute(q)]


def revoke_token(engine: Engine, token_id: int, *, actor: Actor, owner: str | None = None) -> None:
    """Revoke a token by id (``owner``: only if it is that user's own)."""
    with engine.begin() as conn:
        row = conn.execute(
            select(ApiToken.id, ApiToken.name, AppUser.username)
            .join(AppUser, AppUser.id == ApiToken.user_id)
            .where(ApiToken.id == token_id)
        ).first()
        if row is None or (owner is not None and row.username != owner):
            raise UserError(f"no token with id {token_id}")
        conn.execute(
            update(ApiToken)
            .where(ApiToken.id == token_id)
            .values(revoked=True, revoked_at=utcnow())
        )
        audit.record(
            conn, actor, "token.revoke", f"{row.username}:{row.name}", {"token_id": token_id}
        )


@dataclass(frozen=True)
class TokenUse:
    """A verified bearer token: its user and whether it may write."""

    token_id: int
    name: str
    user: User
    read_only: bool


_USED_EVERY = dt.timedelta(seconds=60)


def verify_token(engine: Engine, secret: str) -> TokenUse | None:
    """The token behind a bearer secret, or None when unknown, revoked, expired or its user
    disabled. Records the last use (at most once a minute)."""
    if not secret or len(secret) > 200:
        return None
    now = utcnow()
    with engine.connect() as conn:
        row = conn.execute(
            select(
                ApiToken.id.label("token_id"),
                ApiToken.name.label("token_name"),
                ApiToken.read_only,
                ApiToken.expires_at,
                ApiToken.revoked,
                ApiToken.last_used_at,
                *USER_COLUMNS,
            )
            .join(AppUser, AppUser.id == ApiToken.user_id)
            .where(ApiToken.token_hash == token_hash(secret))
        ).first()
    if row is None or row.revoked or (row.expires_at is not None and row.expires_at <= now):
        return None
    user = user_from(row)
    if not user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= _USED_EVERY:
        with engine.begin() as conn:
            conn.execute(
                update(ApiToken).where(ApiToken.id == row.token_id).values(last_used_at=now)
            )
    return TokenUse(
        token_id=row.token_id, name=row.token_name, user=user, read_only=bool(row.read_only)
    )
