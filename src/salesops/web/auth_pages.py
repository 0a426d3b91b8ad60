"""Sign-in and sign-out, one-time sign-in links, wall (kiosk) links, the account page and the
admin pages (users, wall links, audit log). Every route declares its permission."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from salesops.api.deps import (
    CSRF_FIELD,
    SESSION_COOKIE,
    WALL_COOKIE,
    ActorDep,
    AuthProblem,
    EngineDep,
    PrincipalDep,
    Require,
    RowId,
    client_address,
)
from salesops.auth import audit, sessions, tokens, users, walls
from salesops.auth.passwords import PasswordPolicyError, verify_password
from salesops.auth.principal import Principal
from salesops.auth.roles import ROLE_HELP, ROLES
from salesops.auth.roles import Permission as P
from salesops.auth.secrets import same, utcnow
from salesops.db.schema import AppUser
from salesops.web.i18n import translate
from salesops.web.render import render, request_locale, shell

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "salesops_login_csrf"


def safe_next(value: str | None) -> str:
    """A local path to go to after signing in (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value[:2000]


def _session_cookie(request: Request, response: Response, token: str) -> None:
    from salesops.config import get_settings

    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=get_settings().session_absolute_hours * 3600,
        path="/",
    )


# --------------------------------------------------------------------------- sign in / out


def _login_page(
    request: Request, *, error: str | None = None, status: int = 200, login: str = ""
) -> HTMLResponse:
    csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "auth/login.html",
        status_code=status,
        csrf_token=csrf,
        next=safe_next(request.query_params.get("next")),
        error=error,
        login=login,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        csrf,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/login",
    )
    return response


@router.get("/login", response_class=HTMLResponse, dependencies=[Require(P.PUBLIC)])
def login_form(request: Request, principal: PrincipalDep) -> Response:
    """The sign-in page (already signed in: straight on)."""
    if principal.kind == "session":
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return _login_page(request)


@router.post("/login", dependencies=[Require(P.PUBLIC)])
def login_submit(
    request: Request,
    engine: EngineDep,
    username: str = Form("", max_length=200),
    password: str = Form("", max_length=2000),
    csrf_token: str = Form("", max_length=200),
    next: str = Form("/", max_length=2000),
) -> Response:
    """Check the login; a new session (a new id, the old one ended) on success."""
    locale = request_locale(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not same(csrf_token, expected):
        return _login_page(
            request,
            error=translate(locale, "The sign-in form expired. Please try again."),
            status=403,
            login=username,
        )
    try:
        token, session = sessions.sign_in(
            engine,
            username,
            password,
            client=client_address(request),
            user_agent=request.headers.get("user-agent"),
            replaces=request.cookies.get(SESSION_COOKIE),
        )
    except sessions.SignInError as exc:
        if exc.reason == "locked":
            minutes = max(1, (exc.retry_after + 59) // 60)
            message = translate(
                locale,
                "Too many failed sign-ins. Try again in {minutes} minutes.",
                minutes=minutes,
            )
            locked = _login_page(request, error=message, status=429, login=username)
            locked.headers["Retry-After"] = str(exc.retry_after)
            return locked
        message = translate(locale, "Wrong login name or password.")
        return _login_page(request, error=message, status=401, login=username)
    target = safe_next(next)
    if session.user.locale and "lang=" not in target:
        target += ("&" if "?" in target else "?") + "lang=" + session.user.locale.split("_")[0]
    response = RedirectResponse(target, status_code=303)
    _session_cookie(request, response, token)
    return response


@router.get("/login/link", dependencies=[Require(P.PUBLIC)])
def login_link(request: Request, engine: EngineDep, token: str = "") -> Response:
    """A one-time sign-in link (``salesops demo`` and ``salesops users link`` print one)."""
    try:
        session_token, _ = sessions.use_sign_in_link(
            engine,
            token[:200],
            client=client_address(request),
            user_agent=request.headers.get("user-agent"),
        )
    except sessions.SignInError:
        locale = request_locale(request)
        return _login_page(
            request,
            error=translate(locale, "This sign-in link was used already or has expired."),
            status=401,
        )
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    _session_cookie(request, response, session_token)
    return response


@router.post("/logout", dependencies=[Require(P.SIGNED_IN)])
def logout(request: Request, engine: EngineDep, everywhere: str = Form("")) -> Response:
    """Sign out here (or everywhere: every session of this user ends)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        sessions.sign_out(
            engine, token, everywhere=bool(everywhere), client=client_address(request)
        )
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/wall/k/{key}", dependencies=[Require(P.PUBLIC)])
def wall_key(request: Request, engine: EngineDep, key: str) -> Response:
    """A meeting-room screen opens its wall link: a wall-only cookie, then the wall."""
    wall = walls.verify_wall_key(engine, key[:200])
    if wall is None:
        locale = request_locale(request)
        return render(
            request,
            "auth/message.html",
            status_code=404,
            page_title=translate(locale, "Wall link"),
            message=translate(locale, "This wall link does not exist, was revoked or has expired."),
        )
    response = RedirectResponse("/wall" + (f"?{wall.query}" if wall.query else ""), status_code=303)
    seconds = int((wall.expires_at - utcnow()).total_seconds())
    response.set_cookie(
        WALL_COOKIE,
        key,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=max(60, seconds),
        path="/",
    )
    return response


# --------------------------------------------------------------------------- account


def _me(principal: Principal) -> users.User:
    """The signed-in user of a ``SIGNED_IN`` route (sessions and tokens have one)."""
    if principal.user is None:
        raise AuthProblem(403, "not allowed")
    return principal.user


def _page(
    request: Request, template: str, title: str, status: int = 200, **context: Any
) -> HTMLResponse:
    locale = request_locale(request)
    ctx = shell(request, None, context.pop("nav_current", "account"))
    ctx["page_title"] = translate(locale, title)
    ctx.update(context)
    return render(request, template, status_code=status, **ctx)


@router.get("/account", response_class=HTMLResponse, dependencies=[Require(P.SIGNED_IN)])
def account(request: Request, engine: EngineDep, principal: PrincipalDep) -> HTMLResponse:
    """My account: who I am, my scope, my API tokens, my password, sign out everywhere."""
    return _account(request, engine, principal)


def _account(
    request: Request,
    engine: Any,
    principal: Principal,
    *,
    new_token: str | None = None,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    with engine.connect() as conn:  # with the rep's and org unit's names, for the scope text
        user = users.get_user(conn, user_id=_me(principal).id)
    return _page(
        request,
        "auth/account.html",
        "My account",
        status=status,
        me=user,
        scope_text=user.describe_scope(),
        tokens=tokens.list_tokens(engine, username=user.username),
        new_token=new_token,
        notice=notice,
        error=error,
    )


@router.post("/account/tokens", dependencies=[Require(P.SIGNED_IN)])
def account_token_create(
    request: Request,
    engine: EngineDep,
    principal: PrincipalDep,
    actor: ActorDep,
    name: str = Form("api", max_length=100),
    read_only: str = Form(""),
    expires_in: str = Form("90d", max_length=20),
) -> HTMLResponse:
    """Create one of my tokens; it is shown once on the page that answers."""
    locale = request_locale(request)
    try:
        secret, _ = tokens.create_token(
            engine,
            _me(principal).username,
            name=name.strip() or "api",
            read_only=bool(read_only),
            expires_in=None if expires_in == "never" else tokens.parse_duration(expires_in),
            actor=actor,
        )
    except users.UserError as exc:
        return _account(request, engine, principal, error=str(exc), status=400)
    notice = translate(locale, "Copy the token now: it is shown only once.")
    return _account(request, engine, principal, new_token=secret, notice=notice)


@router.post("/account/tokens/{token_id}/revoke", dependencies=[Require(P.SIGNED_IN)])
def account_token_revoke(
    request: Request, engine: EngineDep, principal: PrincipalDep, actor: ActorDep, token_id: RowId
) -> Response:
    """Revoke one of my tokens."""
    try:
        tokens.revoke_token(engine, token_id, actor=actor, owner=_me(principal).username)
    except users.UserError as exc:
        return _account(request, engine, principal, error=str(exc), status=404)
    return RedirectResponse("/account", status_code=303)


@router.post("/account/password", dependencies=[Require(P.SIGNED_IN)])
def account_password(
    request: Request,
    engine: EngineDep,
    principal: PrincipalDep,
    actor: ActorDep,
    current: str = Form("", max_length=2000),
    new: str = Form("", max_length=2000),
) -> Response:
    """Change my password (the current one first, unless I have none yet); every session of
    mine ends, this one included, so I sign in again."""
    locale = request_locale(request)
    with engine.connect() as conn:
        stored = conn.execute(
            AppUser.__table__.select().where(AppUser.id == _me(principal).id)
        ).first()
    if (
        stored is not None
        and stored.password_hash
        and not verify_password(stored.password_hash, current)
    ):
        return _account(
            request,
            engine,
            principal,
            error=translate(locale, "The current password is wrong."),
            status=400,
        )
    try:
        users.set_password(engine, _me(principal).username, new, actor=actor)
    except PasswordPolicyError as exc:
        return _account(request, engine, principal, error=str(exc), status=400)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --------------------------------------------------------------------------- admin: users


def _users_page(
    request: Request,
    engine: Any,
    *,
    error: str | None = None,
    notice: str | None = None,
    link: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return _page(
        request,
        "auth/users.html",
        "Users",
        status=status,
        nav_current="admin",
        users=users.list_users(engine),
        roles=[(r, ROLE_HELP[r]) for r in ROLES],
        error=error,
        notice=notice,
        link=link,
    )


@router.get("/admin/users", response_class=HTMLResponse, dependencies=[Require(P.MANAGE_USERS)])
def admin_users(request: Request, engine: EngineDep) -> HTMLResponse:
    """Users, their roles and scopes; add, change role, disable, reset password."""
    return _users_page(request, engine)


@router.post("/admin/users", dependencies=[Require(P.MANAGE_USERS)])
def admin_user_add(
    request: Request,
    engine: EngineDep,
    actor: ActorDep,
    username: str = Form(..., max_length=100),
    role: str = Form(..., max_length=20),
    rep: str = Form("", max_length=100),
    org_unit: str = Form("", max_length=100),
    display_name: str = Form("", max_length=200),
    password: str = Form("", max_length=2000),
) -> HTMLResponse:
    """Add a user (with a password, or without one and a one-time sign-in link)."""
    try:
        user = users.add_user(
            engine,
            username,
            role=role,
            password=password or None,
            rep=rep or None,
            org_unit=org_unit or None,
            display_name=display_name or None,
            actor=actor,
        )
    except (users.UserError, ValueError) as exc:
        return _users_page(request, engine, error=str(exc), status=400)
    link = None
    if not password:
        link = _link_url(request, sessions.create_sign_in_link(engine, user.username, actor=actor))
    return _users_page(request, engine, notice=f"{user.username}", link=link)


def _link_url(request: Request, token: str) -> str:
    return str(request.base_url).rstrip("/") + "/login/link?token=" + quote(token)


@router.post("/admin/users/{username}", dependencies=[Require(P.MANAGE_USERS)])
def admin_user_change(
    request: Request,
    engine: EngineDep,
    actor: ActorDep,
    username: str,
    action: str = Form(..., max_length=20),
    role: str = Form("", max_length=20),
    rep: str = Form("", max_length=100),
    org_unit: str = Form("", max_length=100),
) -> HTMLResponse:
    """Change a user: ``action`` = role | disable | enable | link (a one-time sign-in link to
    hand over instead of a password) | unlock."""
    link = None
    try:
        if action == "role":
            users.set_role(
                engine, username, role, rep=rep or None, org_unit=org_unit or None, actor=actor
            )
        elif action in ("disable", "enable"):
            users.set_active(engine, username, action == "enable", actor=actor)
        elif action == "link":
            link = _link_url(request, sessions.create_sign_in_link(engine, username, actor=actor))
        elif action == "unlock":
            sessions.unlock(engine, username, actor=actor)
        else:
            raise users.UserError(f"unknown action {action!r}")
    except (users.UserError, sessions.SignInError, ValueError) as exc:
        return _users_page(request, engine, error=str(exc), status=400)
    return _users_page(request, engine, notice=username, link=link)


# --------------------------------------------------------------------------- admin: walls


def _walls_page(
    request: Request,
    engine: Any,
    *,
    error: str | None = None,
    link: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return _page(
        request,
        "auth/walls.html",
        "Wall links",
        status=status,
        nav_current="admin",
        walls=walls.list_wall_links(engine),
        error=error,
        link=link,
    )


@router.get("/admin/walls", response_class=HTMLResponse, dependencies=[Require(P.MANAGE_WALLS)])
def admin_walls(request: Request, engine: EngineDep) -> HTMLResponse:
    """Wall links for meeting-room screens."""
    return _walls_page(request, engine)


@router.post("/admin/walls", dependencies=[Require(P.MANAGE_WALLS)])
def admin_wall_create(
    request: Request,
    engine: EngineDep,
    actor: ActorDep,
    name: str = Form(..., max_length=100),
    org_unit: str = Form("", max_length=100),
    rep: str = Form("", max_length=100),
    expires_in: str = Form("365d", max_length=20),
    rotate: str = Form("", max_length=6),
    refresh: str = Form("", max_length=6),
) -> HTMLResponse:
    """Create a wall link; its URL is shown once."""
    query = urlencode({k: v for k, v in (("rotate", rotate), ("refresh", refresh)) if v.isdigit()})
    try:
        key, _ = walls.create_wall_link(
            engine,
            name,
            org_unit=org_unit or None,
            rep=rep or None,
            expires_in=tokens.parse_duration(expires_in),
            query=query or None,
            actor=actor,
        )
    except users.UserError as exc:
        return _walls_page(request, engine, error=str(exc), status=400)
    return _walls_page(request, engine, link=str(request.base_url).rstrip("/") + "/wall/k/" + key)


@router.post("/admin/walls/{wall_id}/revoke", dependencies=[Require(P.MANAGE_WALLS)])
def admin_wall_revoke(
    request: Request, engine: EngineDep, actor: ActorDep, wall_id: RowId
) -> Response:
    """Revoke a wall link: the screen shows the sign-in page at its next refresh."""
    try:
        walls.revoke_wall_link(engine, wall_id, actor=actor)
    except users.UserError as exc:
        return _walls_page(request, engine, error=str(exc), status=404)
    return RedirectResponse("/admin/walls", status_code=303)


# --------------------------------------------------------------------------- admin: audit


def parse_day(value: str | None) -> dt.datetime | None:
    """``2026-12-01`` (or a full ISO time) as a UTC datetime; None when empty or not a date."""
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.strip()[:40])
    except ValueError:
        return None


@router.get("/admin/audit", response_class=HTMLResponse, dependencies=[Require(P.VIEW_AUDIT)])
def admin_audit(request: Request, engine: EngineDep) -> HTMLResponse:
    """The audit log with filters (since, until, user, action)."""
    q = request.query_params
    events = audit.list_events(
        engine,
        since=parse_day(q.get("since")),
        until=parse_day(q.get("until")),
        actor=(q.get("user") or "").strip()[:100] or None,
        action=(q.get("action") or "").strip()[:50] or None,
        limit=500,
    )
    return _page(
        request,
        "auth/audit.html",
        "Audit log",
        nav_current="admin",
        events=events,
        q={k: q.get(k, "") for k in ("since", "until", "user", "action")},
    )


__all__ = ["CSRF_FIELD", "router", "safe_next"]
