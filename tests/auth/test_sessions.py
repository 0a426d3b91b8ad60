"""Sign-in, sessions, lockout, tokens and wall links as services, on both databases."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import select, update

from salesops.auth import audit, sessions, tokens, users, walls
from salesops.auth.audit import Actor
from salesops.auth.passwords import PasswordPolicyError, check_policy
from salesops.auth.roles import NOTHING, ROLES, Permission, ScopeSource, scope_for
from salesops.config import get_settings
from salesops.db.schema import ApiToken, AppUser, AuditEvent, UserSession
from salesops.metrics.scope import FULL_SCOPE, Scope
from tests.conftest import Db
from tests.web.data import seed

ACTOR = Actor("test")
PASSWORD = "amber-cedar-orbit-willow"


@pytest.fixture
def alice(db: Db) -> users.User:
    return users.add_user(db.engine, "alice", role="admin", password=PASSWORD, actor=ACTOR)


def _past(db: Db, table: type, column: str, delta: dt.timedelta, **where: object) -> None:
    """Move a stored time back by ``delta`` (what waiting would do)."""
    col = getattr(table, column)
    with db.engine.begin() as conn:
        cond = [getattr(table, k) == v for k, v in where.items()]
        for row_id, value in conn.execute(select(table.id, col).where(*cond)).all():
            conn.execute(update(table).where(table.id == row_id).values({column: value - delta}))


def test_password_policy_refuses_short_common_and_guessable() -> None:
    for bad in ("short1!", "password1234", "qwertyuiop123", "alice-alice-1"):
        with pytest.raises(PasswordPolicyError):
            check_policy(bad, hints=("alice",))
    check_policy(PASSWORD)


def test_passwords_are_argon2id_and_never_logged_or_audited(
    db: Db, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    users.add_user(db.engine, "alice", role="admin", password=PASSWORD, actor=ACTOR)
    with pytest.raises(sessions.SignInError):
        sessions.sign_in(db.engine, "alice", "wrong-" + PASSWORD, sleep=False)
    sessions.sign_in(db.engine, "alice", PASSWORD, sleep=False)
    users.set_password(db.engine, "alice", PASSWORD + "-2", actor=ACTOR)
    with db.engine.connect() as conn:
        stored = conn.execute(select(AppUser.password_hash)).scalar_one()
        details = " ".join(str(d) for d in conn.execute(select(AuditEvent.detail)).scalars())
        sessions_hashes = conn.execute(select(UserSession.token_hash)).scalars().all()
    assert stored.startswith("$argon2id$")
    for secret in (PASSWORD, "wrong-" + PASSWORD, PASSWORD + "-2"):
        assert secret not in caplog.text
        assert secret not in details
        assert secret not in stored
    assert all(len(h) == 64 for h in sessions_hashes)  # hashes, not the cookie values


def test_sign_in_makes_a_new_session_and_ends_the_old_one(db: Db, alice: users.User) -> None:
    first, s1 = sessions.sign_in(db.engine, "alice", PASSWORD, sleep=False)
    second, s2 = sessions.sign_in(db.engine, "ALICE", PASSWORD, replaces=first, sleep=False)
    assert first != second and s1.id != s2.id and s1.csrf_token != s2.csrf_token
    assert sessions.load_session(db.engine, first) is None  # rotated
    assert sessions.load_session(db.engine, second) is not None


def test_wrong_password_and_unknown_login_look_the_same(db: Db, alice: users.User) -> None:
    for login, password in (("alice", "nope-nope-nope-nope"), ("bob", PASSWORD)):
        with pytest.raises(sessions.SignInError) as exc:
            sessions.sign_in(db.engine, login, password, sleep=False)
        assert exc.value.reason == "invalid"
    events = audit.list_events(db.engine, action="sign_in")
    assert [e.outcome for e in events] == ["failed", "failed"]
    assert [e.detail["reason"] for e in events] == ["unknown login", "wrong password"]


def test_idle_and_absolute_expiry(db: Db, alice: users.User) -> None:
    token, session = sessions.sign_in(db.engine, "alice", PASSWORD, sleep=False)
    idle = dt.timedelta(minutes=get_settings().session_idle_minutes)
    _past(db, UserSession, "last_seen_at", idle - dt.timedelta(minutes=1), id=session.id)
    assert sessions.load_session(db.engine, token) is not None  # and touches last_seen_at
    _past(db, UserSession, "last_seen_at", idle + dt.timedelta(minutes=1), id=session.id)
    assert sessions.load_session(db.engine, token) is None

    token, session = sessions.sign_in(db.engine, "alice", PASSWORD, sleep=False)
    _past(
        db,
        UserSession,
        "expires_at",
        dt.timedelta(hours=get_settings().session_absolute_hours),
        id=session.id,
    )
    assert sessions.load_session(db.engine, token) is None


def test_sign_out_everywhere_and_disable_end_every_session(db: Db, alice: users.User) -> None:
    a, _ = sessions.sign_in(db.engine, "alice", PASSWORD, sleep=False)
    b, _ = sessions.sign_in(db.engine, "alice", PASSWORD, sleep=False)
    sessions.sign_out(db.engine, a, everywhere=True)
    assert sessions.load_session(db.engine, a) is None
    assert sessions.load_session(db.engine, b) is None
    c, _ = sessions.sign_in(db.engine, "alice", PASSWORD, sleep=False)
    users.add_user(db.engine, "root", role="admin", actor=ACTOR)  # not the last admin
    users.set_active(db.engine, "alice", False, actor=ACTOR)
    assert sessions.load_session(db.engine, c) is None
    with pytest.raises(sessions.SignInError):
        sessions.sign_in(db.engine, "alice", PASSWORD, sleep=False)


def test_lockout_per_account_even_with_the_right_password(
    db: Db, alice: users.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SALESOPS_LOGIN_LOCK_AFTER", "3")
    get_settings.cache_clear()
    for _ in range(3):
        with pytest.raises(sessions.SignInError) as exc:
            sessions.sign_in(
                db.engine, "alice", "wrong-wrong-wrong", client="10.0.0.1", sleep=False
            )
        assert exc.value.reason == "invalid"
    with pytest.raises(sessions.SignInError) as exc:
        sessions.sign_in(db.engine, "alice", PASSWORD, client="10.0.0.2", sleep=False)
    assert exc.value.reason == "locked" and exc.value.retry_after > 0
    refused = audit.list_events(db.engine, action="sign_in")[0]
    assert refused.outcome == "refused" and refused.detail == {"reason": "locked"}
    sessions.unlock(db.engine, "alice", actor=ACTOR)
    sessions.sign_in(db.engine, "alice", PASSWORD, sleep=False)


def test_lockout_per_client_address(
    db: Db, alice: users.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SALESOPS_LOGIN_LOCK_AFTER_PER_CLIENT", "4")
    get_settings.cache_clear()
    for i in range(4):  # a password spray: a different login each time
        with pytest.raises(sessions.SignInError):
            sessions.sign_in(db.engine, f"user{i}", PASSWORD, client="10.9.9.9", sleep=False)
    with pytest.raises(sessions.SignInError) as exc:
        sessions.sign_in(db.engine, "alice", PASSWORD, client="10.9.9.9", sleep=False)
    assert exc.value.reason == "locked"
    sessions.sign_in(db.engine, "alice", PASSWORD, client="10.1.1.1", sleep=False)


def test_failures_slow_down_before_they_lock(
    db: Db, alice: users.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SALESOPS_LOGIN_SLOW_AFTER", "2")
    monkeypatch.setenv("SALESOPS_LOGIN_LOCK_AFTER", "10")
    get_settings.cache_clear()
    waits: list[float] = []
    monkeypatch.setattr(sessions.time, "sleep", waits.append)
    for _ in range(5):
        with pytest.raises(sessions.SignInError):
            sessions.sign_in(db.engine, "alice", "wrong-wrong-wrong")
    assert waits == [1.0, 2.0, 4.0]  # after the 2nd, 3rd and 4th failure


def test_one_time_link_opens_one_session_once(db: Db, alice: users.User) -> None:
    link = sessions.create_sign_in_link(db.engine, "alice", actor=ACTOR)
    assert sessions.load_session(db.engine, link) is None  # a link is no session
    token, session = sessions.use_sign_in_link(db.engine, link)
    assert session.user.username == "alice"
    assert sessions.load_session(db.engine, token) is not None
    with pytest.raises(sessions.SignInError):
        sessions.use_sign_in_link(db.engine, link)


def test_tokens_expire_and_revoke_and_die_with_their_user(db: Db, alice: users.User) -> None:
    secret, info = tokens.create_token(db.engine, "alice", read_only=True, actor=ACTOR)
    assert secret.startswith("sob_") and info.state == "active"
    use = tokens.verify_token(db.engine, secret)
    assert use is not None and use.read_only and use.user.username == "alice"
    with db.engine.connect() as conn:
        assert conn.execute(select(ApiToken.token_hash)).scalar_one() != secret
        assert conn.execute(select(ApiToken.last_used_at)).scalar_one() is not None
    _past(db, ApiToken, "expires_at", dt.timedelta(days=91), id=info.id)
    assert tokens.verify_token(db.engine, secret) is None

    secret, info = tokens.create_token(db.engine, "alice", expires_in=None, actor=ACTOR)
    assert tokens.verify_token(db.engine, secret) is not None
    tokens.revoke_token(db.engine, info.id, actor=ACTOR)
    assert tokens.verify_token(db.engine, secret) is None
    assert [t.state for t in tokens.list_tokens(db.engine)] == ["revoked", "expired"]

    secret, _ = tokens.create_token(db.engine, "alice", actor=ACTOR)
    users.add_user(db.engine, "root", role="admin", actor=ACTOR)
    users.set_active(db.engine, "alice", False, actor=ACTOR)
    assert tokens.verify_token(db.engine, secret) is None


def test_roles_and_scopes(db: Db) -> None:
    seed(db.engine)
    assert ROLES["admin"] == frozenset(Permission)
    assert Permission.MANAGE_USERS not in ROLES["ops"]
    assert Permission.EDIT_TARGETS not in ROLES["rep"]
    assert Permission.IMPORT_DATA not in ROLES["manager"]
    mgr = users.add_user(db.engine, "mgr", role="manager", org_unit="T-E", actor=ACTOR)
    rep = users.add_user(db.engine, "zw", role="rep", rep="张伟", actor=ACTOR)
    viewer = users.add_user(db.engine, "cfo", role="viewer", actor=ACTOR)
    assert mgr.scope == Scope.subtree(mgr.org_unit_id or 0) and mgr.scope.kind == "org_unit"
    assert rep.scope == Scope.single_rep(rep.rep_id or 0)
    assert viewer.scope == FULL_SCOPE
    assert rep.describe_scope() == "rep 张伟 (张伟)"
    # A missing link never widens access: it narrows to nothing.
    assert scope_for(ScopeSource("manager", None, None)) == NOTHING
    assert scope_for(ScopeSource("rep", None, None)) == NOTHING
    with pytest.raises(users.UserError, match="needs --rep"):
        users.add_user(db.engine, "x", role="rep", actor=ACTOR)
    with pytest.raises(users.UserError, match="no org unit"):
        users.add_user(db.engine, "y", role="manager", org_unit="NOPE", actor=ACTOR)


def test_the_last_admin_stays(db: Db, alice: users.User) -> None:
    with pytest.raises(users.UserError, match="last active admin"):
        users.set_active(db.engine, "alice", False, actor=ACTOR)
    with pytest.raises(users.UserError, match="last active admin"):
        users.set_role(db.engine, "alice", "viewer", actor=ACTOR)


def test_a_role_change_ends_the_sessions_so_the_new_scope_applies(db: Db) -> None:
    seed(db.engine)
    users.add_user(db.engine, "root", role="admin", actor=ACTOR)
    users.add_user(db.engine, "mgr", role="manager", org_unit="T-E", password=PASSWORD, actor=ACTOR)
    token, _ = sessions.sign_in(db.engine, "mgr", PASSWORD, sleep=False)
    users.set_role(db.engine, "mgr", "rep", rep="李娜", actor=ACTOR)
    assert sessions.load_session(db.engine, token) is None
    _, session = sessions.sign_in(db.engine, "mgr", PASSWORD, sleep=False)
    assert session.user.role == "rep" and session.user.scope.kind == "rep"


def test_wall_links_expire_and_revoke(db: Db) -> None:
    seed(db.engine)
    key, wall = walls.create_wall_link(db.engine, "大屏", org_unit="T-E", actor=ACTOR)
    found = walls.verify_wall_key(db.engine, key)
    assert found is not None and found.scope.kind == "org_unit"
    walls.revoke_wall_link(db.engine, wall.id, actor=ACTOR)
    assert walls.verify_wall_key(db.engine, key) is None
    key, _ = walls.create_wall_link(db.engine, "old", expires_in=dt.timedelta(days=1), actor=ACTOR)
    _past(db, walls.WallLink, "expires_at", dt.timedelta(days=2), name="old")
    assert walls.verify_wall_key(db.engine, key) is None


def test_every_change_is_audited_with_its_actor(db: Db) -> None:
    seed(db.engine)
    users.add_user(db.engine, "root", role="admin", actor=ACTOR)
    users.add_user(db.engine, "zw", role="rep", rep="张伟", actor=Actor("root", 1, "127.0.0.1"))
    users.set_role(db.engine, "zw", "viewer", actor=ACTOR)
    users.set_active(db.engine, "zw", False, actor=ACTOR)
    _, info = tokens.create_token(db.engine, "root", actor=ACTOR)
    tokens.revoke_token(db.engine, info.id, actor=ACTOR)
    walls.create_wall_link(db.engine, "wall", actor=ACTOR)
    actions = [e.action for e in reversed(audit.list_events(db.engine))]
    assert actions == [
        "user.add",
        "user.add",
        "user.set_role",
        "user.disable",
        "token.create",
        "token.revoke",
        "wall_link.create",
    ]
    second = audit.list_events(db.engine, actor="root")
    assert [(e.action, e.client) for e in second] == [("user.add", "127.0.0.1")]


def test_the_audit_log_is_append_only_on_postgresql(db: Db) -> None:
    if db.kind != "postgresql":
        return  # DuckDB has no triggers: there the application alone keeps it append-only
    from sqlalchemy import delete
    from sqlalchemy.exc import DBAPIError

    users.add_user(db.engine, "root", role="admin", actor=ACTOR)
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(update(AuditEvent).values(action="nothing"))
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(delete(AuditEvent))


def test_a_rep_sees_their_rank_and_the_team_average_not_the_others(
    db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    """data.py, 2026 to 2026-06-15: team 华东一组 makes 290,000 (its header), 李娜 80,000 of it
    (O-2602), so 张伟 210,000; per rep 290,000 / 2 = 145,000; 李娜 ranks 2 of 2."""
    from salesops.web.board import Board
    from salesops.web.filters import parse_filters
    from salesops.web.panels.team import leaderboard_rows

    seed(db.engine)
    li = users.add_user(db.engine, "li", role="rep", rep="李娜", actor=ACTOR)
    filters = parse_filters({"period": ["year"], "asof": ["2026-06-15"]})
    rows = leaderboard_rows(Board(db.engine, li.scope, filters, "en", page="team"))
    assert [(r["rank"], r["rep"]) for r in rows] == [("2 / 2", "李娜"), ("", "Team average")]
    assert float(rows[0]["revenue"]) == 80_000
    assert float(rows[1]["revenue"]) == 145_000
    assert "张伟" not in str(rows) and "王芳" not in str(rows)
    monkeypatch.setenv("SALESOPS_LEADERBOARD_NAMES_FOR_REPS", "1")
    get_settings.cache_clear()
    rows = leaderboard_rows(Board(db.engine, li.scope, filters, "en", page="team"))
    assert [r["rep"] for r in rows] == ["张伟", "李娜"]  # their team only, never 王芳
