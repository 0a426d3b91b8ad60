"""The append-only audit log: who did what, when, from where, with what outcome.

Every write of the application appends one event here (sign-ins, users, tokens, wall links,
imports, exports, targets). Rows are never updated or deleted (on PostgreSQL a trigger refuses
it). Details are JSON of counts and names — never a password, token or session id."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from salesops.auth.secrets import utcnow
from salesops.db.schema import AuditEvent

#: Keys never written into an event's details, whatever a caller passes.
_SECRET_KEYS = frozenset(
    {"password", "new_password", "token", "secret", "session", "csrf_token", "passphrase", "key"}
)


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user, a token's user, a wall, or the operator at the CLI."""

    name: str  # login, "token:NAME@login", "wall:NAME", "cli:OSUSER"
    user_id: int | None = None
    client: str | None = None  # the client address of a web request

    @classmethod
    def cli(cls) -> Actor:
        """The operator at this machine's command line."""
        import getpass

        try:
            who = getpass.getuser()
        except Exception:  # no login name in a container: still say it was the CLI
            who = "unknown"
        return cls(f"cli:{who}")


def _clean(detail: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in detail.items() if not any(word in k.lower() for word in _SECRET_KEYS)}


def record(
    conn: Connection,
    actor: Actor | str,
    action: str,
    target: str | None = None,
    detail: Mapping[str, Any] | None = None,
    *,
    outcome: str = "ok",
) -> None:
    """Append one event in the caller's transaction (so it commits with the change)."""
    who = actor if isinstance(actor, Actor) else Actor(actor)
    conn.execute(
        insert(AuditEvent).values(
            occurred_at=utcnow(),
            user_id=who.user_id,
            actor=who.name[:100],
            action=action[:50],
            target=(target or "")[:300] or None,
            detail=json.dumps(_clean(detail or {}), ensure_ascii=False, default=str),
            client=(who.client or "")[:100] or None,
            outcome=outcome,
        )
    )


def record_now(engine: Engine, actor: Actor | str, action: str, *args: Any, **kw: Any) -> None:
    """Append one event in a transaction of its own (e.g. a refused sign-in)."""
    with engine.begin() as conn:
        record(conn, actor, action, *args, **kw)


@dataclass(frozen=True)
class AuditRow:
    id: int
    occurred_at: dt.datetime
    actor: str | None
    action: str
    target: str | None
    outcome: str | None
    client: str | None
    detail: dict[str, Any]


def list_events(
    engine: Engine,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    actor: str | None = None,
    action: str | None = None,
    limit: int = 500,
) -> list[AuditRow]:
    """Events newest first, filtered by time, actor (exact login or prefix before ``:``)
    and action."""
    q = (
        select(*AuditEvent.__table__.c)
        .order_by(AuditEvent.id.desc())
        .limit(max(1, min(limit, 10_000)))
    )
    if since is not None:
        q = q.where(AuditEvent.occurred_at >= since)
    if until is not None:
        q = q.where(AuditEvent.occurred_at < until)
    if actor:
        q = q.where((AuditEvent.actor == actor) | AuditEvent.actor.startswith(f"{actor}:"))
    if action:
        q = q.where(AuditEvent.action == action)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    return [
        AuditRow(
            id=r.id,
            occurred_at=r.occurred_at,
            actor=r.actor,
            action=r.action,
            target=r.target,
            outcome=r.outcome,
            client=r.client,
            detail=json.loads(r.detail) if r.detail else {},
        )
        for r in rows
    ]
