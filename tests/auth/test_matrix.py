"""Authorization matrix, generated from the application's routes (it grows with every route):
every route declares exactly one permission; every route × role (admin, ops, manager, rep,
viewer, anonymous, wall link, read-only token) × a target inside and outside the role's scope
answers the status the declared permission and ``ROLES`` imply, and no 200 body names data
outside the role's scope. Requests go through TestClient with bearer tokens (fast); one test
takes the session cookie + CSRF path."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select
from starlette.routing import Mount, Route

from salesops.api.deps import SESSION_COOKIE, WALL_COOKIE, require
from salesops.app import OPENAPI_URL, create_app
from salesops.auth import tokens, walls
from salesops.auth.roles import READ_ONLY, ROLES, WALL_ONLY, Permission
from salesops.db.schema import Customer, Feedback, Rep, Target
from salesops.targets.calendar import parse_period
from salesops.targets.org import Directory
from salesops.targets.service import set_target
from salesops.web.panels import pages
from salesops.web.wall import SLIDES
from tests.auth_helpers import TEST_ACTOR, bearer, ensure_user, link_path
from tests.conftest import Db
from tests.web.data import ASOF, seed

SAFE = frozenset({"GET", "HEAD"})
EAST_OUTSIDE = ("王芳", "深圳丙电子", "广州丁物流")
REP_OUTSIDE = ("李娜", "杭州乙贸易", *EAST_OUTSIDE)


# --------------------------------------------------------------------------- the routes


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    permissions: frozenset[Permission]

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")


def _permissions(route: Any) -> list[frozenset[Permission]]:
    """The permission sets of every ``require`` dependency of a route."""
    found = []
    for dep in route.dependant.dependencies:
        wanted = getattr(dep.call, "permissions", None)
        if wanted is not None:
            assert dep.call.__qualname__ == require(Permission.PUBLIC).__qualname__
            found.append(frozenset(wanted))
    return found


def endpoints(engine: Engine) -> Iterator[Endpoint]:
    """Every method × path of the application, with its declared permission."""
    for context in iter_route_contexts(create_app(engine).routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            (wanted,) = _permissions(context)
            for method in sorted(context.methods or ()):
                yield Endpoint(method, str(context.path), wanted)


def undeclared(app: Any) -> list[str]:
    """API routes without exactly one ``require`` dependency (with at least one permission)."""
    out = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            found = _permissions(context)
            if len(found) != 1 or not found[0]:
                out.append(str(context.path))
    return out


def test_every_route_declares_exactly_one_permission(db: Db) -> None:
    app = create_app(db.engine)
    assert undeclared(app) == []
    api_routes = 0
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            api_routes += 1
        elif isinstance(route, Mount):
            assert route.path in ("/static", "/vendor"), route.path
        else:  # FastAPI's own schema route, public by design
            assert isinstance(route, Route) and route.path == OPENAPI_URL, route
    assert api_routes >= 50
    # A route added without a declared permission fails the walk: no page can forget it.
    app.get("/forgot")(lambda: {})
    assert undeclared(app) == ["/forgot"]


# --------------------------------------------------------------------------- the callers


@dataclass
class Caller:
    name: str
    permissions: frozenset[Permission]
    outside: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    read_only: bool = False
    scoped: str = ""  # "" full scope | "east" (T-E) | "rep" (张伟)

    @property
    def anonymous(self) -> bool:
        return not self.permissions


def callers(engine: Engine) -> list[Caller]:
    key, _ = walls.create_wall_link(engine, "meeting room", org_unit="T-E", actor=TEST_ACTOR)
    ensure_user(engine, "ro-ops", "ops")
    secret, _ = tokens.create_token(engine, "ro-ops", name="ro", read_only=True, actor=TEST_ACTOR)
    return [
        Caller("admin", ROLES["admin"], headers=bearer(engine, "m-admin", "admin")),
        Caller("ops", ROLES["ops"], headers=bearer(engine, "m-ops", "ops")),
        Caller(
            "manager",
            ROLES["manager"],
            EAST_OUTSIDE,
            headers=bearer(engine, "m-mgr", "manager", org_unit="T-E"),
            scoped="east",
        ),
        Caller(
            "rep",
            ROLES["rep"],
            REP_OUTSIDE,
            headers=bearer(engine, "m-rep", "rep", rep="张伟"),
            scoped="rep",
        ),
        Caller(
            "viewer",
            ROLES["viewer"],
            EAST_OUTSIDE,
            headers=bearer(engine, "m-viewer", "viewer", org_unit="T-E"),
            scoped="east",
        ),
        Caller("anonymous", frozenset()),
        Caller("wall", WALL_ONLY, EAST_OUTSIDE, cookies={WALL_COOKIE: key}, scoped="east"),
        Caller(
            "read-only token",
            ROLES["ops"] & READ_ONLY,
            headers={"Authorization": f"Bearer {secret}"},
            read_only=True,
        ),
    ]


# --------------------------------------------------------------------------- the requests


class Fixtures:
    """Path parameters and bodies: existing ids from the seed, fresh targets for writes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.months = itertools.count(1)
        with engine.connect() as conn:
            ids = dict(conn.execute(select(Target.external_id, Target.id)).all())
        self.rep_target = {"inside": ids["T-2026-张伟"], "outside": ids["T-2026-王芳"]}
        self.team_target = self.fresh("team:华东一组", year=True)
        self.wall_keys = [
            walls.create_wall_link(engine, f"spare {i}", actor=TEST_ACTOR)[0] for i in range(1)
        ]
        self.spare_wall_ids = [w.id for w in walls.list_wall_links(engine) if w.name == "spare 0"]
        ensure_user(engine, "victim", "viewer")
        # issue #28: customers and tasks inside (张伟's) and outside (王芳's) the scopes
        with engine.connect() as conn:
            names = dict(conn.execute(select(Customer.name, Customer.id)).all())
        self.customer = {"inside": names["上海甲科技"], "outside": names["深圳丙电子"]}
        with engine.connect() as conn:
            reps = dict(conn.execute(select(Rep.name, Rep.id)).all())
        # Reassigning a customer to its own owner changes nothing (the seed stays as it is).
        self.owner = {"inside": reps["张伟"], "outside": reps["王芳"]}

    def task_id(self, where: str) -> int:
        """A fresh open task of the inside or outside customer (closing one consumes it)."""
        from salesops.customers.tasks import create_task
        from salesops.metrics.scope import FULL_SCOPE

        return create_task(
            self.engine,
            TEST_ACTOR,
            FULL_SCOPE,
            customer_id=self.customer[where],
            kind="call",
            due_on=None,
            title="matrix",
        )

    def fresh(self, scope: str, *, year: bool = False) -> int:
        """A new target (one month of 2027 per call, or the year 2026) for ``scope``."""
        period = parse_period("2026" if year else f"2027-{next(self.months) % 12 + 1:02d}")
        with self.engine.connect() as conn:
            parsed = Directory(conn).parse(scope)
        value = 100_000 + next(self.months)  # a new value: an update is an update
        return set_target(self.engine, "revenue", period, parsed, value, actor=TEST_ACTOR).target.id

    def feedback_id(self, where: str, path: str) -> int:
        """A fresh feedback item of 张伟's (inside) or 王芳's (outside) customer, in the status
        the step of ``path`` starts from (issue #25), so an allowed write succeeds."""
        step = path.rsplit("/", 1)[-1]
        status = {"resolve": "assigned", "inform": "resolved", "reopen": "resolved"}.get(
            step, "new"
        )
        rep = "张伟" if where == "inside" else "王芳"
        with self.engine.begin() as conn:
            rep_id, customer_id = conn.execute(
                select(Rep.id, Customer.id).join(Customer, Customer.owner_id == Rep.id)
                .where(Rep.name == rep).limit(1)
            ).one()  # fmt: skip
            n = next(self.months)
            return int(
                conn.execute(
                    insert(Feedback)
                    .values(external_id=f"FX-{n}", customer_id=customer_id, rep_id=rep_id,
                            received_on=parse_period("2026-06").start, nps=5, status=status)
                    .returning(Feedback.id)
                ).scalar_one()
            )  # fmt: skip

    def target_id(self, caller: Caller, where: str, write: bool) -> int:
        rep = "张伟" if where == "inside" else "王芳"
        if write:  # writes (delete, decompose) consume their target: a fresh one each time
            return self.fresh(f"rep:{rep}")
        return self.rep_target[where]


WALL_PAGE = SLIDES[0][0]


def _page_and_panel() -> tuple[str, str]:
    spec = pages()[WALL_PAGE]
    return WALL_PAGE, next(p.id for p in spec.panels if p.records is not None)


@dataclass
class Call:
    method: str
    url: str
    where: str = ""  # "inside" | "outside" | "" (no scoped item)
    json: Any = None
    data: dict[str, str] | None = None


def build_calls(ep: Endpoint, caller: Caller, fx: Fixtures) -> list[Call]:
    """The requests that exercise ``ep`` for ``caller`` (one per in/out-of-scope item)."""
    write = ep.method not in SAFE
    page, panel = _page_and_panel()
    scoped_ids = ("{target_id}", "{customer_id}", "{task_id}", "{feedback_id}")
    wheres = ["inside", "outside"] if any(k in ep.path for k in scoped_ids) else [""]
    out = []
    for where in wheres:
        path = ep.path
        if where and "{target_id}" in path:
            path = path.replace("{target_id}", str(fx.target_id(caller, where, write)))
        if where:
            path = path.replace("{customer_id}", str(fx.customer[where]))
        if where and "{task_id}" in path:
            path = path.replace("{task_id}", str(fx.task_id(where)))
        if where and "{feedback_id}" in path:
            path = path.replace("{feedback_id}", str(fx.feedback_id(where, ep.path)))
        path = (
            path.replace("{page}", page)
            .replace("{panel}", panel)
            .replace("{metric}", "revenue")
            .replace("{key}", fx.wall_keys[0])
            .replace("{token_id}", "999999")
            .replace("{username}", "victim")
            .replace("{wall_id}", str(fx.spare_wall_ids[0]))
            .replace("{upload_id}", "no-such-upload-0123456789")
            .replace("{job_id}", "no-such-job")
            .replace("{name}", "no-such-mapping")
            .replace("{alert_id}", "999999")
            .replace("{kind}", "weekly")
            .replace("{delivery_id}", "999999")
            .replace("{archive_id}", "999999")  # issue #26: an archived review, a schedule
            .replace("{schedule_id}", "999999")
            .replace("{name}", "no-such-rule")
            .replace("{entity}", "product")  # issue 21: the push API
        )
        assert "{" not in path, path
        call = Call(ep.method, path, where)
        rep = "张伟" if where != "outside" else "王芳"
        month = f"2027-{next(fx.months) % 12 + 1:02d}"
        if ep.path == "/api/v1/targets" and write:
            call.json = {"metric": "revenue", "period": month, "scope": f"rep:{rep}", "value": 1}
        elif ep.path.endswith("{target_id}") and ep.method == "PATCH":
            call.json = {"value": 123}
        elif ep.path.endswith("/decompose") or ep.path.endswith("/decompose-children"):
            call.json = {"over": "org", "dry_run": True} if ep.api else None
            call.data = None if ep.api else {"over": "org", "method": "even"}
        elif ep.path == "/targets/set":
            call.data = {
                "metric": "revenue",
                "target_period": month,
                "target_scope": f"rep:{rep}",
                "value": "1",
            }
        elif ep.path.startswith("/api/v1/feedback/") and ep.path.endswith("/assign"):
            call.json = {"kind": "department", "name": "产品开发"}
        elif ep.path.startswith("/api/v1/feedback/") and write:
            call.json = {"note": "matrix"}
        elif ep.path.endswith("/edit"):
            call.data = {"value": "123"}
        elif ep.path == "/admin/users" and write:
            call.data = {"username": f"new-{caller.name.replace(' ', '-')}", "role": "viewer"}
        elif ep.path == "/admin/users/{username}":
            call.data = {"action": "disable"}
        elif ep.path == "/admin/walls" and write:
            call.data = {"name": f"wall of {caller.name}"}
        elif ep.path == "/login/link":
            link = link_path(fx.engine, "link-user", "viewer")
            call.url += "?token=" + quote(link.split("token=")[1])
        elif ep.path == "/team/rep":
            call.url += "?rep=" + quote("张伟")
        elif ep.path.endswith("/tasks") and write:  # issue #28: a task for a customer
            call.json = {"title": "matrix"} if ep.api else None
            call.data = None if ep.api else {"title": "matrix"}
        elif ep.path.endswith(("/complete", "/done")):  # /done: a review's action item (#26)
            call.json = {"result": "done"} if ep.api else None
            call.data = None if ep.api else {"result": "done"}
        elif ep.path.endswith("/reassign") and where:
            call.data = {"to_rep_id": str(fx.owner[where]), "reason": "matrix"}
        elif ep.path == "/api/v1/customers/reassign":
            call.json = {
                "to_rep_id": fx.owner["inside"],
                "reason": "matrix",
                "customer_ids": [fx.customer["inside"]],
            }
        elif write and not ep.api:
            call.data = {}
        if ep.method == "GET" and (ep.path.startswith("/api/v1/panels") or not ep.api):
            call.url += ("&" if "?" in call.url else "?") + f"asof={ASOF}"
        if ep.path in ("/api/v1/targets", "/api/v1/targets/tree") and not write:
            call.url += "?period=2026"
        out.append(call)
    return out


def expected(ep: Endpoint, caller: Caller, call: Call) -> str:
    """The status class the declared permission implies: 'ok' (2xx/3xx, or 400/404/422 caused
    by the parameters), '401', '403', 'login' (303 to the sign-in page) or '404'."""
    allowed = Permission.PUBLIC in ep.permissions or bool(ep.permissions & caller.permissions)
    if not allowed:
        if caller.anonymous:
            return "login" if not ep.api and ep.method in SAFE else "401"
        return "403"
    if ep.method not in SAFE and caller.read_only and Permission.PUBLIC not in ep.permissions:
        return "403"
    # Customers and tasks outside the scope do not exist for the caller, on pages too (#28).
    by_id = ep.api or "{customer_id}" in ep.path or "{task_id}" in ep.path
    if call.where == "outside" and caller.scoped and by_id:
        return "404"
    return "ok"


def status_class(status: int, location: str) -> str:
    if status in (401, 403, 404):
        return str(status)
    if status == 303 and location.startswith("/login"):
        return "login"
    if 200 <= status < 400 or status in (400, 422):
        return "ok"
    return str(status)


#: The callers walked by this file; tests/auth/test_matrix_roles.py walks the others, so that
#: the two halves of the walk (the suite's longest test) run on both workers side by side.
FIRST_HALF = frozenset({"admin", "manager", "anonymous", "wall"})
SECOND_HALF = frozenset({"ops", "rep", "viewer", "read-only token"})


def test_matrix(db: Db) -> None:
    walk_matrix(db, FIRST_HALF)


def walk_matrix(db: Db, names: frozenset[str] | None = None) -> None:
    """Every route for every caller named in ``names`` (all when None)."""
    seed(db.engine)
    fx = Fixtures(db.engine)
    app = create_app(db.engine)
    eps = list(endpoints(db.engine))
    problems: list[str] = []
    checked = 0
    everyone = callers(db.engine)
    assert {c.name for c in everyone} == FIRST_HALF | SECOND_HALF  # a new caller joins a half
    walked = [c for c in everyone if names is None or c.name in names]
    for caller in walked:
        client = TestClient(app, follow_redirects=False)
        client.headers.update(caller.headers)
        for ep in eps:
            if ep.method == "HEAD" or ep.path == "/logout":
                continue  # HEAD mirrors GET; sign-out is tested with a session
            for call in build_calls(ep, caller, fx):
                client.cookies.clear()  # a sign-in link sets a session: never carry it on
                client.cookies.update(caller.cookies)
                response = client.request(call.method, call.url, json=call.json, data=call.data)
                got = status_class(response.status_code, response.headers.get("location", ""))
                want = expected(ep, caller, call)
                if ep.path == "/login" and call.method == "POST":
                    want = "403"  # the sign-in form's own CSRF token is missing
                if got != want and not (want == "ok" and got == "404" and not call.where):
                    problems.append(
                        f"{caller.name} {call.method} {call.url} [{call.where}]: "
                        f"{response.status_code} ({want} expected) {response.text[:120]}"
                    )
                checked += 1
                if response.status_code == 200 and caller.outside:
                    leaked = [n for n in caller.outside if n in response.text]
                    if leaked:
                        problems.append(f"{caller.name} {call.method} {call.url}: {leaked}")
    assert problems == [], "\n".join(problems)
    assert checked > len(walked) * 50


# --------------------------------------------------------------------------- targets by scope


def test_targets_inside_and_outside_the_scope(db: Db) -> None:
    seed(db.engine)
    fx = Fixtures(db.engine)
    app = create_app(db.engine)
    manager = TestClient(app)
    manager.headers.update(bearer(db.engine, "m-mgr", "manager", org_unit="T-E"))
    rep = TestClient(app)
    rep.headers.update(bearer(db.engine, "m-rep", "rep", rep="张伟"))
    team, zw, wf = fx.team_target, fx.rep_target["inside"], fx.rep_target["outside"]
    # The manager of 华东一组 reads and edits the team's and 张伟's targets …
    for target in (team, zw):
        assert manager.get(f"/api/v1/targets/{target}").status_code == 200
        patched = manager.patch(f"/api/v1/targets/{target}", json={"value": 4321})
        assert (patched.status_code, patched.json()["value"]) == (200, 4321)
    # … but 王芳's (华南) does not exist for them, neither for reading nor for writing.
    assert manager.get(f"/api/v1/targets/{wf}").status_code == 404
    assert manager.patch(f"/api/v1/targets/{wf}", json={"value": 1}).status_code == 404
    assert manager.delete(f"/api/v1/targets/{wf}").status_code == 404
    listed = {t["id"] for t in manager.get("/api/v1/targets?period=2026").json()}
    assert {team, zw} <= listed and wf not in listed
    # A rep reads their own target; 王芳's is 404; writing is not their role.
    assert rep.get(f"/api/v1/targets/{zw}").status_code == 200
    assert rep.get(f"/api/v1/targets/{wf}").status_code == 404
    assert rep.get(f"/api/v1/targets/{team}").status_code == 404
    assert rep.patch(f"/api/v1/targets/{zw}", json={"value": 1}).status_code == 403
    assert {t["id"] for t in rep.get("/api/v1/targets?period=2026").json()} == {zw}
    # 王芳's target is untouched; the web form of the manager refuses it too.
    form = TestClient(app, follow_redirects=False)
    form.headers.update(bearer(db.engine, "m-mgr", "manager", org_unit="T-E"))
    answer = form.post(f"/targets/{wf}/edit", data={"value": "1"})
    assert answer.status_code == 303 and "err=" in answer.headers["location"]
    with db.engine.connect() as conn:
        assert conn.scalar(select(Target.value).where(Target.id == wf)) == 500_000


# --------------------------------------------------------------------------- session + CSRF


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def test_session_form_needs_its_csrf_token(db: Db) -> None:
    seed(db.engine)
    fx = Fixtures(db.engine)
    client = TestClient(create_app(db.engine), follow_redirects=False)
    signed_in = client.get(link_path(db.engine, "s-mgr", "manager", org_unit="T-E"))
    assert signed_in.status_code == 303 and client.cookies.get(SESSION_COOKIE)
    target = fx.team_target
    page = client.get(f"/targets?period=2026&asof={ASOF}")
    assert page.status_code == 200
    # Without the token: refused, nothing changed.
    refused = client.post(f"/targets/{target}/edit", data={"value": "777"})
    assert refused.status_code == 403
    wrong = client.post(f"/targets/{target}/edit", data={"value": "777", "csrf_token": "x" * 20})
    assert wrong.status_code == 403
    with db.engine.connect() as conn:
        assert conn.scalar(select(Target.value).where(Target.id == target)) != 777
    # With the token from the page's hidden field: saved.
    saved = client.post(
        f"/targets/{target}/edit", data={"value": "777", "csrf_token": _csrf(page.text)}
    )
    assert saved.status_code == 303 and "msg=updated" in saved.headers["location"]
    with db.engine.connect() as conn:
        assert conn.scalar(select(Target.value).where(Target.id == target)) == 777
    # JSON with a session needs the header too.
    assert client.patch(f"/api/v1/targets/{target}", json={"value": 1}).status_code == 403
    ok = client.patch(
        f"/api/v1/targets/{target}",
        json={"value": 778},
        headers={"X-CSRF-Token": _csrf(page.text)},
    )
    assert ok.status_code == 200 and ok.json()["value"] == 778
