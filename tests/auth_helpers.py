"""Signed-in clients for tests: users are made without passwords (no Argon2 cost) and reach
the app through an API token (TestClient) or a one-time sign-in link (Chromium)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from salesops.app import create_app
from salesops.auth import sessions, tokens, users
from salesops.auth.audit import Actor

TEST_ACTOR = Actor("test")


def ensure_user(
    engine: Engine,
    login: str = "test-admin",
    role: str = "admin",
    *,
    rep: str | None = None,
    org_unit: str | None = None,
) -> users.User:
    """The user ``login``, created (without a password) if missing."""
    with engine.connect() as conn:
        try:
            return users.get_user(conn, username=login)
        except users.UserNotFound:
            pass
    return users.add_user(engine, login, role=role, rep=rep, org_unit=org_unit, actor=TEST_ACTOR)


def bearer(
    engine: Engine, login: str = "test-admin", role: str = "admin", **kw: Any
) -> dict[str, str]:
    """An ``Authorization`` header for a fresh read-write token of ``login``."""
    user = ensure_user(engine, login, role, **kw)
    secret, _ = tokens.create_token(engine, user.username, name="test", actor=TEST_ACTOR)
    return {"Authorization": f"Bearer {secret}"}


def admin_client(engine: Engine, **client_kw: Any) -> TestClient:
    """A TestClient of a new app, signed in as an admin through a bearer token."""
    client = TestClient(create_app(engine), **client_kw)
    client.headers.update(bearer(engine))
    return client


def link_path(
    engine: Engine, login: str = "test-admin", role: str = "admin", *, then: str = "", **kw: Any
) -> str:
    """A one-time sign-in path for ``login`` (a browser opens it to get a session); ``then``:
    the page it leads to instead of the overview (a test that goes elsewhere next need not
    wait for the overview)."""
    user = ensure_user(engine, login, role, **kw)
    path = "/login/link?token=" + sessions.create_sign_in_link(
        engine, user.username, actor=TEST_ACTOR
    )
    return path + ("&next=" + quote(then, safe="") if then else "")
