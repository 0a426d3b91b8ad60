"""Typed dependencies every route states in its signature, and the one place that says who
the caller is, what they may do and which data they see.

Every route declares its permission with ``dependencies=[Require(...)]`` (a test walks the
application's routes and fails for any route without one). The caller's data scope reaches
every consumer through ``ScopeDep``; the engine, analyses, panels, records and targets apply
it, so no page can leak data by forgetting a filter.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from sqlalchemy import Engine

from salesops.auth.audit import Actor
from salesops.auth.principal import Principal, anonymous, from_session, from_token, from_wall
from salesops.auth.roles import Permission
from salesops.auth.secrets import same
from salesops.auth.sessions import load_session
from salesops.auth.tokens import verify_token
from salesops.auth.walls import verify_wall_key
from salesops.db.replica import READ_AFTER_COOKIE, READ_AFTER_HEADER, engine_for_read
from salesops.metrics.scope import Scope

#: A row id in a path: a positive 32-bit integer (PostgreSQL refuses larger ones with a 500).
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]

SESSION_COOKIE = "salesops_session"
WALL_COOKIE = "salesops_wall"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class AuthProblem(Exception):
    """The request cannot go on: ``status`` 401 (sign in first), 403 (not allowed, or a
    missing or wrong CSRF token). Pages answer 401 with a redirect to the sign-in page."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def get_engine(request: Request) -> Engine:
    """The application's database engine."""
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]


def get_read_engine(request: Request) -> Engine:
    """Where this request's reads go: the read replica when one is configured and has the
    caller's own latest write (``SALESOPS_READ_DATABASE_URL``), else the primary. Routes
    that write, or read to decide a write, use :data:`EngineDep`."""
    primary: Engine = request.app.state.engine
    replica: Engine | None = getattr(request.app.state, "read_engine", None)
    if replica is None:
        return primary
    read_after = request.headers.get(READ_AFTER_HEADER) or request.cookies.get(READ_AFTER_COOKIE)
    return engine_for_read(primary, replica, read_after)


#: the engine for a read-only route (a replica when one is configured)
ReadEngineDep = Annotated[Engine, Depends(get_read_engine)]


def client_address(request: Request) -> str | None:
    """The client's address (the proxy's ``X-Forwarded-For`` is honoured only when uvicorn
    runs with ``--forwarded-allow-ips``, which rewrites ``request.client``)."""
    return request.client.host if request.client else None


def get_principal(request: Request) -> Principal:
    """Who is asking: a bearer token, else a session cookie, else a wall key, else nobody.

    A bearer header that is wrong is an error (401), never a fall-back to a cookie."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    engine = get_engine(request)
    client = client_address(request)
    principal = anonymous(client)
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        use = verify_token(engine, secret.strip()) if scheme.lower() == "bearer" else None
        if use is None:
            raise AuthProblem(401, "invalid or expired token")
        principal = from_token(use, client)
    elif cookie := request.cookies.get(SESSION_COOKIE):
        session = load_session(engine, cookie)
        if session is not None:
            principal = from_session(session, client)
    if principal.kind == "anonymous" and (key := request.cookies.get(WALL_COOKIE)):
        wall = verify_wall_key(engine, key)
        if wall is not None:
            principal = from_wall(wall, client)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(*permissions: Permission) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency that lets the request through when the caller holds any of
    ``permissions`` (``Permission.PUBLIC``: everyone), and, for a state-changing request made
    with a session cookie, carries the session's CSRF token (header or form field)."""
    wanted = frozenset(permissions)
    if not wanted:
        raise ValueError("require() needs at least one permission")

    async def check(request: Request, principal: PrincipalDep) -> Principal:
        if Permission.PUBLIC in wanted:
            return principal
        if not any(principal.can(p) for p in wanted):
            if principal.kind == "anonymous":
                raise AuthProblem(401, "sign in first")
            raise AuthProblem(403, "not allowed")
        if request.method not in SAFE_METHODS:
            if principal.read_only:
                raise AuthProblem(403, "read-only token")
            if principal.session is not None:
                await _check_csrf(request, principal.session.csrf_token)
        return principal

    check.permissions = wanted  # type: ignore[attr-defined]  # read by the route-walk test
    return check


async def _check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not same(sent, expected):
        raise AuthProblem(403, "missing or wrong CSRF token")


def Require(*permissions: Permission) -> Any:
    """``dependencies=[Require(Permission.X)]`` in a route decorator."""
    return Depends(require(*permissions))


def get_scope(principal: PrincipalDep) -> Scope:
    """The caller's data scope (see ``salesops.auth.roles.scope_for``)."""
    return principal.scope


ScopeDep = Annotated[Scope, Depends(get_scope)]


def get_actor(principal: PrincipalDep) -> Actor:
    """Who the audit log names for this request."""
    return principal.actor


ActorDep = Annotated[Actor, Depends(get_actor)]
