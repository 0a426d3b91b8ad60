"""Sign-in over HTTP: the sign-in page, cookies, CSRF, lockout, tokens, wall links, security
headers and the admin pages, on both databases."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from salesops.app import create_app
from salesops.auth import audit, sessions, tokens, users, walls
from salesops.auth.audit import Actor
from salesops.config import get_settings
from tests.auth_helpers import bearer
from tests.conftest import Db
from tests.web.data import seed

ACTOR = Actor("test")
PASSWORD = "amber-cedar-orbit-willow"
TARGET = {"metric": "revenue", "period": "2027", "scope": "company", "value": "5000000"}


@pytest.fixture
def client(db: Db) -> TestClient:
    seed(db.engine)
    users.add_user(db.engine, "alice", role="admin", password=PASSWORD, actor=ACTOR)
    return TestClient(create_app(db.engine), follow_redirects=False)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def sign_in(client: TestClient, login: str = "alice", password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token (from a page's form)."""
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={"username": login, "password": password, "csrf_token": _csrf(page.text)},
    )
    assert answer.status_code == 303, answer.text
    return _csrf(client.get("/account").text)


def test_anonymous_callers_are_sent_to_sign_in(client: TestClient) -> None:
    page = client.get("/orders?period=year")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Forders%3Fperiod%3Dyear"
    api = client.get("/api/v1/metrics/revenue")
    assert api.status_code == 401 and api.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/health").status_code == 200  # declared public
    assert client.get("/login").status_code == 200


def test_sign_in_page_in_both_languages(client: TestClient) -> None:
    zh = client.get("/login?lang=zh").text
    en = client.get("/login?lang=en").text
    assert "登录" in zh and "密码" in zh
    assert "Sign in" in en and "Password" in en


def test_session_cookie_flags_and_rotation(client: TestClient, db: Db) -> None:
    form = {
        "username": "alice",
        "password": PASSWORD,
        "csrf_token": _csrf(client.get("/login").text),
    }
    first = client.post("/login", data=form)
    cookie = first.headers["set-cookie"]
    assert "salesops_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    old = client.cookies["salesops_session"]
    assert client.get("/login?next=/targets").headers["location"] == "/targets"  # signed in
    # Signing in again (e.g. over a session id someone planted) gives a new id and ends the old.
    client.post("/login", data=form)
    new = client.cookies["salesops_session"]
    assert new != old
    assert sessions.load_session(db.engine, old) is None
    assert sessions.load_session(db.engine, new) is not None


def test_cookies_are_secure_over_https(db: Db) -> None:
    users.add_user(db.engine, "alice", role="admin", password=PASSWORD, actor=ACTOR)
    client = TestClient(
        create_app(db.engine), base_url="https://board.example", follow_redirects=False
    )
    page = client.get("/login")
    assert "strict-transport-security" in page.headers
    form = {"username": "alice", "password": PASSWORD, "csrf_token": _csrf(page.text)}
    assert "Secure" in client.post("/login", data=form).headers["set-cookie"]


def test_the_sign_in_form_needs_its_csrf_cookie(client: TestClient) -> None:
    answer = client.post(
        "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": "x"}
    )
    assert answer.status_code == 403 and "salesops_session" not in client.cookies


def test_wrong_password_then_lockout_over_http(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SALESOPS_LOGIN_LOCK_AFTER", "2")
    monkeypatch.setenv("SALESOPS_LOGIN_SLOW_AFTER", "9")
    get_settings.cache_clear()
    for _ in range(2):
        page = client.get("/login?lang=en")
        wrong = client.post(
            "/login", data={"username": "alice", "password": "nope", "csrf_token": _csrf(page.text)}
        )
        assert wrong.status_code == 401 and "Wrong login name or password." in wrong.text
    page = client.get("/login?lang=en")
    locked = client.post(
        "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": _csrf(page.text)}
    )
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in locked.text


def test_csrf_is_required_on_every_state_changing_session_request(client: TestClient) -> None:
    token = sign_in(client)
    # A form without its token is refused, and nothing is written.
    form = {"metric": "revenue", "target_period": "2027", "target_scope": "company", "value": "1"}
    assert client.post("/targets/set", data=form).status_code == 403
    assert client.post("/targets/set", data={**form, "csrf_token": "forged"}).status_code == 403
    assert client.post("/targets/set", data={**form, "csrf_token": token}).status_code == 303
    # JSON with the session cookie: the header carries the token.
    assert client.post("/api/v1/targets", json=TARGET).status_code == 403
    answer = client.post("/api/v1/targets", json=TARGET, headers={"X-CSRF-Token": token})
    assert answer.status_code == 200  # the form above made the 2027 company target
    assert client.post("/logout").status_code == 403
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303


def test_bearer_tokens_need_no_csrf_and_read_only_ones_cannot_write(
    client: TestClient, db: Db
) -> None:
    headers = bearer(db.engine, "alice")
    assert client.post("/api/v1/targets", json=TARGET, headers=headers).status_code == 201
    secret, info = tokens.create_token(db.engine, "alice", read_only=True, actor=ACTOR)
    ro = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/targets", headers=ro).status_code == 200
    assert client.post("/api/v1/targets", json=TARGET, headers=ro).status_code == 403
    # A token opens pages too.
    assert client.get("/?period=year", headers=ro).status_code == 200
    tokens.revoke_token(db.engine, info.id, actor=ACTOR)
    assert client.get("/api/v1/targets", headers=ro).status_code == 401
    # A wrong token never falls back to a cookie or to anonymous.
    assert client.get("/api/v1/health", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_security_headers_on_every_response(client: TestClient, db: Db) -> None:
    headers = bearer(db.engine, "alice")
    for path, framed in (
        ("/login", False),
        ("/?period=year", False),
        ("/api/v1/health", False),
        ("/wall?rotate=0&refresh=0", True),
        ("/static/board.css", False),
    ):
        answer = client.get(path, headers=headers)
        csp = answer.headers["content-security-policy"]
        assert (
            "script-src 'self';" in csp
            and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        )
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
        if framed:
            assert "frame-ancestors *" in csp and "x-frame-options" not in answer.headers
        else:
            assert "frame-ancestors 'none'" in csp and answer.headers["x-frame-options"] == "DENY"
    assert "<script>" not in client.get("/?period=year", headers=headers).text


def test_a_wall_link_shows_the_wall_and_nothing_else(client: TestClient, db: Db) -> None:
    key, wall = walls.create_wall_link(
        db.engine, "会议室", org_unit="T-E", query="rotate=30", actor=ACTOR
    )
    opened = client.get(f"/wall/k/{key}")
    assert opened.status_code == 303 and opened.headers["location"] == "/wall?rotate=30"
    page = client.get("/wall?rotate=30&asof=2026-06-15")
    assert page.status_code == 200 and "王芳" not in page.text
    assert client.get("/api/v1/panels/overview?asof=2026-06-15").status_code == 200
    assert client.get("/?period=year").status_code == 403
    assert client.get("/api/v1/metrics/revenue").status_code == 403
    assert client.get("/api/v1/panels/rep").status_code == 403  # not a page of the wall
    assert client.post("/api/v1/targets", json=TARGET).status_code == 403
    walls.revoke_wall_link(db.engine, wall.id, actor=ACTOR)
    assert client.get("/wall").status_code == 303  # to the sign-in page
    assert client.get(f"/wall/k/{key}").status_code == 404


def test_one_time_link_signs_in_once(client: TestClient, db: Db) -> None:
    link = sessions.create_sign_in_link(db.engine, "alice", actor=ACTOR)
    first = client.get(f"/login/link?token={link}&next=/targets")
    assert first.status_code == 303 and first.headers["location"] == "/targets"
    assert client.get("/account").status_code == 200
    client.cookies.clear()
    assert client.get(f"/login/link?token={link}").status_code == 401


def test_next_never_leaves_the_site(client: TestClient) -> None:
    for evil in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        page = client.get("/login", params={"next": evil})
        answer = client.post(
            "/login",
            data={
                "username": "alice",
                "password": PASSWORD,
                "csrf_token": _csrf(page.text),
                "next": evil,
            },
        )
        assert answer.headers["location"] == "/"
        client.cookies.delete("salesops_session")


def test_account_page_makes_and_revokes_my_tokens(client: TestClient, db: Db) -> None:
    token = sign_in(client)
    made = client.post(
        "/account/tokens",
        data={"name": "script", "expires_in": "30d", "read_only": "1", "csrf_token": token},
    )
    assert made.status_code == 200
    secret = re.search(r'<code id="new-token">([^<]+)</code>', made.text)
    assert secret is not None
    assert (
        client.get(
            "/api/v1/targets", headers={"Authorization": f"Bearer {secret.group(1)}"}
        ).status_code
        == 200
    )
    [info] = tokens.list_tokens(db.engine, username="alice")
    assert info.read_only and info.name == "script"
    assert (
        client.post(f"/account/tokens/{info.id}/revoke", data={"csrf_token": token}).status_code
        == 303
    )
    assert tokens.list_tokens(db.engine, username="alice")[0].state == "revoked"
    assert secret.group(1) not in client.get("/account").text  # shown once


def test_admin_pages_are_for_admins(client: TestClient, db: Db) -> None:
    users.add_user(db.engine, "zw", role="rep", rep="张伟", actor=ACTOR)
    rep = {**bearer(db.engine, "zw")}
    for path in ("/admin/users", "/admin/walls", "/admin/audit", "/data"):
        assert client.get(path, headers=rep).status_code == 403, path
    token = sign_in(client)
    page = client.get("/admin/users?lang=en")
    assert page.status_code == 200 and "zw" in page.text
    added = client.post(
        "/admin/users",
        data={"username": "li", "role": "rep", "rep": "李娜", "csrf_token": token},
    )
    assert added.status_code == 200 and "/login/link?token=" in added.text
    changed = client.post("/admin/users/li", data={"action": "disable", "csrf_token": token})
    assert changed.status_code == 200
    assert not next(u for u in users.list_users(db.engine) if u.username == "li").active
    bad = client.post("/admin/users", data={"username": "x", "role": "boss", "csrf_token": token})
    assert bad.status_code == 400 and "unknown role" in bad.text
    log = client.get("/admin/audit?user=alice&lang=en")
    assert log.status_code == 200 and "user.disable" in log.text and "user.add" in log.text
    walls_page = client.post(
        "/admin/walls", data={"name": "大屏", "org_unit": "T-E", "csrf_token": token}
    )
    assert walls_page.status_code == 200 and "/wall/k/wall_" in walls_page.text


def test_sign_ins_imports_and_exports_reach_the_audit_log(client: TestClient, db: Db) -> None:
    sign_in(client)
    client.get("/api/v1/panels/customers/tiers/records?format=csv&period=year&asof=2026-06-15")
    actions = {e.action for e in audit.list_events(db.engine, actor="alice")}
    assert {"sign_in", "export.records"} <= actions
