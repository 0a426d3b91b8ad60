"""Signing in and out: password check with slow-down and lockout, server-side sessions with
idle and absolute expiry, a CSRF token per session, and sign-out everywhere.

The cookie carries a random session id; the table keeps its SHA-256, so neither a database
copy nor a log line can be replayed. Signing in always starts a new session (the id rotates);
an old session id given at sign-in is ended."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from salesops.auth import audit
from salesops.auth.audit import Actor
from salesops.auth.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from salesops.auth.secrets import new_token, token_hash, utcnow
from salesops.auth.users import USER_COLUMNS, User, get_user, user_from
from salesops.config import get_settings
from salesops.db.schema import AppUser, LoginFailure, UserSession


class SignInError(Exception):
    """Sign-in refused. ``reason`` is ``invalid`` (wrong login or password: the two are never
    told apart) or ``locked`` (too many failures; ``retry_after`` seconds)."""

    def __init__(self, reason: str, retry_after: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class Session:
    """A valid session: its user and the CSRF token its forms must carry."""

    id: int
    user: User
    csrf_token: str
    created_at: dt.datetime


def _failures(
    engine: Engine, username: str, client: str | None, since: dt.datetime
) -> tuple[int, int]:
    with engine.connect() as conn:
        per_user = conn.execute(
            select(func.count()).where(
                LoginFailure.username == username, LoginFailure.failed_at >= since
            )
        ).scalar_one()
        per_client = 0
        if client:
            per_client = conn.execute(
                select(func.count()).where(
                    LoginFailure.client == client, LoginFailure.failed_at >= since
                )
            ).scalar_one()
    return int(per_user), int(per_client)


def sign_in(
    engine: Engine,
    username: str,
    password: str,
    *,
    client: str | None = None,
    user_agent: str | None = None,
    replaces: str | None = None,
    sleep: bool = True,
) -> tuple[str, Session]:
    """Check a login and password; on success a new session id (for the cookie) and the
    session. Failures are recorded per account and per client address: after
    ``login_slow_after`` the answer slows down (1, 2, 4 … s, at most 8), after
    ``login_lock_after`` (per account) or ``login_lock_after_per_client`` the sign-in is
    locked for ``login_lock_minutes`` — even with the right password. Every outcome is
    audited; the password never is."""
    settings = get_settings()
    login = username.strip().lower()[:100]
    now = utcnow()
    window = now - dt.timedelta(minutes=settings.login_window_minutes)
    per_user, per_client = _failures(engine, login, client, window)
    actor = Actor(login or "?", client=client)
    lock = dt.timedelta(minutes=settings.login_lock_minutes)
    with engine.connect() as conn:
        row = conn.execute(
            select(AppUser.id, AppUser.password_hash, AppUser.active, AppUser.locked_until).where(
                func.lower(AppUser.username) == login
            )
        ).first()
    locked_until = row.locked_until if row is not None else None
    if (locked_until and locked_until > now) or per_client >= settings.login_lock_after_per_client:
        until = locked_until if locked_until and locked_until > now else now + lock
        audit.record_now(engine, actor, "sign_in", login, {"reason": "locked"}, outcome="refused")
        raise SignInError("locked", retry_after=max(1, int((until - now).total_seconds())))
    if sleep and max(per_user, per_client) >= settings.login_slow_after:
        time.sleep(min(8.0, 2.0 ** (max(per_user, per_client) - settings.login_slow_after)))

    ok = verify_password(row.password_hash if row is not None else DUMMY_HASH, password)
    if row is None or not ok or not row.active:
        with engine.begin() as conn:
            conn.execute(insert(LoginFailure).values(username=login, client=client, failed_at=now))
            reason = "unknown login" if row is None else "inactive" if ok else "wrong password"
            locked = row is not None and per_user + 1 >= settings.login_lock_after
            if locked and row is not None:
                conn.execute(
                    update(AppUser).where(AppUser.id == row.id).values(locked_until=now + lock)
                )
            audit.record(
                conn,
                actor,
                "sign_in",
                login,
                {"reason": reason, "locked": locked},
                outcome="failed",
            )
        raise SignInError("invalid")

    with engine.begin() as conn:
        if replaces:
            conn.execute(
                update(UserSession)
                .where(
                    UserSession.token_hash == token_hash(replaces), UserSession.ended_at.is_(None)
                )
                .values(ended_at=now)
            )
        conn.execute(delete(LoginFailure).where(LoginFailure.username == login))
        if needs_rehash(row.password_hash):
            conn.execute(
                update(AppUser)
                .where(AppUser.id == row.id)
                .values(password_hash=hash_password(password))
            )
        token = _start_session(conn, row.id, now, client, user_agent)
        user = get_user(conn, user_id=row.id)
        audit.record(conn, Actor(user.username, user.id, client), "sign_in", user.username)
    session = load_session(engine, token, touch=False)
    assert session is not None
    return token, session


def _start_session(
    conn: Connection,
    user_id: int,
    now: dt.datetime,
    client: str | None,
    user_agent: str | None,
) -> str:
    """Insert a new session of ``user_id``; returns its id for the cookie (kept hashed)."""
    token = new_token()
    conn.execute(
        insert(UserSession).values(
            token_hash=token_hash(token),
            user_id=user_id,
            csrf_token=new_token(),
            kind="session",
            created_at=now,
            last_seen_at=now,
            expires_at=now + dt.timedelta(hours=get_settings().session_absolute_hours),
            client=(client or "")[:100] or None,
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    return token


#: last_seen_at is written at most this often per session (a read per request, not a write)
_TOUCH_EVERY = dt.timedelta(seconds=60)


def load_session(engine: Engine, token: str, *, touch: bool = True) -> Session | None:
    """The live session behind a cookie value, or None if it is unknown, ended, idle for
    longer than ``session_idle_minutes``, past its absolute expiry, its user disabled, or
    started before the user's last sign-out everywhere / password change."""
    if not token or len(token) > 200:
        return None
    settings = get_settings()
    now = utcnow()
    with engine.connect() as conn:
        row = conn.execute(
            select(
                UserSession.id.label("session_id"),
                UserSession.csrf_token,
                UserSession.created_at.label("session_created_at"),
                UserSession.last_seen_at,
                UserSession.expires_at,
                UserSession.ended_at,
                UserSession.kind,
                AppUser.sessions_valid_after,
                *USER_COLUMNS,
            )
            .join(AppUser, AppUser.id == UserSession.user_id)
            .where(UserSession.token_hash == token_hash(token))
        ).first()
    if row is None or row.ended_at is not None or not row.active or row.kind != "session":
        return None
    idle = dt.timedelta(minutes=settings.session_idle_minutes)
    if now >= row.expires_at or now - row.last_seen_at > idle:
        return None
    if row.sessions_valid_after and row.session_created_at <= row.sessions_valid_after:
        return None
    user = user_from(row)
    if touch and now - row.last_seen_at >= _TOUCH_EVERY:
        with engine.begin() as conn:
            conn.execute(
                update(UserSession).where(UserSession.id == row.session_id).values(last_seen_at=now)
            )
    return Session(
        id=row.session_id,
        user=user,
        csrf_token=row.csrf_token,
        created_at=row.session_created_at,
    )


def sign_out(
    engine: Engine, token: str, *, everywhere: bool = False, client: str | None = None
) -> None:
    """End this session (or, with ``everywhere``, every session of its user)."""
    session = load_session(engine, token, touch=False)
    if session is None:
        return
    now = utcnow()
    with engine.begin() as conn:
        if everywhere:
            conn.execute(
                update(AppUser)
                .where(AppUser.id == session.user.id)
                .values(sessions_valid_after=now)
            )
            conn.execute(
                update(UserSession)
                .where(UserSession.user_id == session.user.id, UserSession.ended_at.is_(None))
                .values(ended_at=now)
            )
        else:
            conn.execute(
                update(UserSession).where(UserSession.id == session.id).values(ended_at=now)
            )
        audit.record(
            conn,
            Actor(session.user.username, session.user.id, client),
            "sign_out",
            session.user.username,
            {"everywhere": everywhere},
        )


def unlock(engine: Engine, username: str, *, actor: Actor) -> None:
    """Lift a lockout (``salesops users unlock``)."""
    login = username.strip().lower()
    with engine.begin() as conn:
        user = get_user(conn, username=login)
        conn.execute(update(AppUser).where(AppUser.id == user.id).values(locked_until=None))
        conn.execute(delete(LoginFailure).where(LoginFailure.username == login))
        audit.record(conn, actor, "user.unlock", user.username)


def create_sign_in_link(engine: Engine, username: str, *, hours: int = 24, actor: Actor) -> str:
    """A one-time sign-in secret for ``username`` (``/login/link?token=…``, as Jupyter prints
    one): it opens one session, once, within ``hours``."""
    now = utcnow()
    token = new_token()
    with engine.begin() as conn:
        user = get_user(conn, username=username)
        if not user.active:
            raise SignInError("invalid")
        conn.execute(
            insert(UserSession).values(
                token_hash=token_hash(token),
                user_id=user.id,
                csrf_token=new_token(),
                kind="link",
                created_at=now,
                last_seen_at=now,
                expires_at=now + dt.timedelta(hours=hours),
                client="sign-in link",
            )
        )
        audit.record(conn, actor, "sign_in_link.create", user.username, {"hours": hours})
    return token


def use_sign_in_link(
    engine: Engine, token: str, *, client: str | None = None, user_agent: str | None = None
) -> tuple[str, Session]:
    """Trade a one-time link for a new session; the link is spent whether or not it works."""
    now = utcnow()
    with engine.begin() as conn:
        row = conn.execute(
            select(UserSession.id, UserSession.user_id, UserSession.expires_at, AppUser.active)
            .join(AppUser, AppUser.id == UserSession.user_id)
            .where(
                UserSession.token_hash == token_hash(token or "-"),
                UserSession.kind == "link",
                UserSession.ended_at.is_(None),
            )
        ).first()
        if row is None:
            audit.record(conn, Actor("?", client=client), "sign_in", "link", outcome="failed")
            raise SignInError("invalid")
        conn.execute(update(UserSession).where(UserSession.id == row.id).values(ended_at=now))
        if now >= row.expires_at or not row.active:
            raise SignInError("invalid")
        session_token = _start_session(conn, row.user_id, now, client, user_agent)
        user = get_user(conn, user_id=row.user_id)
        audit.record(
            conn, Actor(user.username, user.id, client), "sign_in", user.username, {"via": "link"}
        )
    session = load_session(engine, session_token, touch=False)
    assert session is not None
    return session_token, session
