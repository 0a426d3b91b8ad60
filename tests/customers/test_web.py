"""Issue #28 through the board: the customer page and its export, task and reassignment forms
— role-gated, audited, and limited to the caller's data scope (both databases)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from salesops.app import create_app
from salesops.config import local_today
from salesops.db.schema import AuditEvent, Customer, Task
from tests.analysis.data import build
from tests.auth_helpers import bearer
from tests.conftest import Db


@dataclass
class World:
    db: Db
    ids: dict[str, int]

    def client(self, login: str, role: str, **kw: str) -> TestClient:
        client = TestClient(create_app(self.db.engine))
        client.headers.update(bearer(self.db.engine, login, role, **kw))
        return client

    def count(self, action: str) -> int:
        with self.db.engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).where(AuditEvent.action == action)).scalar_one()
            )


@pytest.fixture
def world(db: Db) -> Iterator[World]:
    today = local_today()
    day = lambda n: (today - dt.timedelta(days=n)).isoformat()  # noqa: E731
    with build(db.engine) as b:
        b.team("North")
        b.team("South")
        b.rep("Ann", team="North")
        b.rep("Bob", team="North")
        b.rep("Cid", team="South")
        b.customer("Acme", owner="Ann", industry="Retail", size="350")
        b.customer("=HYPERLINK(1)", owner="Ann")  # imported text that looks like a formula
        b.customer("Beta", owner="Bob")
        b.customer("Gamma", owner="Cid")
        b.order("A1", day(80), "Acme", 100, rep="Ann")
        b.order("A2", day(70), "Acme", 100, rep="Ann")  # silent 70 days, usually every 10
        b.order("H1", day(5), "=HYPERLINK(1)", 10, rep="Ann")
        b.order("B1", day(5), "Beta", 20, rep="Bob")
        b.activity("Acme", day(60), kind="web_visit", rep="Ann")
    yield World(db, b.ids)


def test_the_customer_page_in_both_languages(world: World) -> None:
    admin = world.client("boss", "admin")
    acme = world.ids["customer:Acme"]
    zh = admin.get(f"/customers/{acme}?lang=zh")
    assert zh.status_code == 200
    assert "客户档案" in zh.text and "Acme" in zh.text and "流失风险" in zh.text
    assert "200-999" in zh.text  # size 350, banded
    en = admin.get(f"/customers/{acme}?lang=en")
    assert "Customer profile" in en.text and "Churn risk" in en.text
    assert admin.get("/customers/999999").status_code == 404
    assert admin.get("/customers/0").status_code == 422
    found = admin.get("/customers/find?name=Acme", follow_redirects=False)
    assert found.status_code == 303 and found.headers["location"] == f"/customers/{acme}"


def test_export_is_formula_safe_and_audited(world: World) -> None:
    admin = world.client("boss", "admin")
    cid = world.ids["customer:=HYPERLINK(1)"]
    page = admin.get(f"/customers/{cid}")
    assert "=HYPERLINK(1)" in page.text
    response = admin.get(f"/customers/{cid}/export?lang=en")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    cells = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2)}
    name = cells["Customer"]
    assert name.value == "=HYPERLINK(1)" and name.data_type == "s"  # text, never a formula
    kinds = [
        c.data_type
        for ws in load_workbook(io.BytesIO(response.content))
        for r in ws.iter_rows()
        for c in r
    ]
    assert "f" not in kinds
    assert world.count("export.customer") == 1


def test_a_rep_sees_only_their_own_customers_and_tasks(world: World) -> None:
    ann = world.client("ann", "rep", rep="Ann")
    acme, beta = world.ids["customer:Acme"], world.ids["customer:Beta"]
    assert ann.get(f"/customers/{acme}").status_code == 200
    assert ann.get(f"/customers/{beta}").status_code == 404
    assert ann.get(f"/customers/{beta}/export").status_code == 404
    assert ann.get("/customers/find?name=Beta", follow_redirects=False).status_code == 404
    made = ann.post(
        f"/customers/{acme}/tasks",
        data={"kind": "visit", "title": "Visit Acme", "due_on": "2030-01-05"},
        follow_redirects=False,
    )
    assert made.status_code == 303 and "done=task" in made.headers["location"]
    assert ann.post(f"/customers/{beta}/tasks", data={"title": "x"}).status_code == 404
    bad = ann.post(f"/customers/{acme}/tasks", data={"kind": "dance", "title": "x"})
    assert "unknown task kind" in bad.text  # back on the page with the error, not a 500
    assert world.count("task.create") == 1
    # A manager of North makes a task for Bob's customer; Ann's list does not show it.
    manager = world.client("north", "manager", org_unit="North")
    assert manager.post(f"/customers/{beta}/tasks", data={"title": "Call Beta"}).status_code == 200
    mine = ann.get("/tasks?lang=en").text
    assert "Visit Acme" in mine and "Call Beta" not in mine
    assert "Call Beta" in manager.get("/tasks").text
    with world.db.engine.connect() as conn:
        beta_task = conn.execute(select(Task.id).where(Task.customer_id == beta)).scalar_one()
        acme_task = conn.execute(select(Task.id).where(Task.customer_id == acme)).scalar_one()
    # Ann cannot close Bob's customer's task; she closes her own with a result.
    assert ann.post(f"/tasks/{beta_task}/complete", data={"result": "x"}).status_code == 404
    closed = ann.post(
        f"/tasks/{acme_task}/complete",
        data={"result": "Met the buyer", "back": f"/customers/{acme}"},
        follow_redirects=False,
    )
    assert closed.status_code == 303 and closed.headers["location"].startswith(f"/customers/{acme}")
    assert world.count("task.complete") == 1
    assert "Met the buyer" in ann.get(f"/customers/{acme}").text


def test_reassigning_is_for_managers_in_their_scope(world: World) -> None:
    acme = world.ids["customer:Acme"]
    bob, cid = world.ids["rep:Bob"], world.ids["rep:Cid"]
    form = {"to_rep_id": str(bob), "reason": "rebalance"}
    assert (
        world.client("ann", "rep", rep="Ann")
        .post(f"/customers/{acme}/reassign", data=form)
        .status_code
        == 403
    )
    assert (
        world.client("v", "viewer")
        .post(f"/customers/{acme}/tasks", data={"title": "x"})
        .status_code
        == 403
    )
    manager = world.client("north", "manager", org_unit="North")
    out_of_scope = manager.post(f"/customers/{acme}/reassign", data={**form, "to_rep_id": str(cid)})
    assert out_of_scope.status_code == 404
    no_reason = manager.post(f"/customers/{acme}/reassign", data={**form, "reason": ""})
    assert "give a reason" in no_reason.text
    moved = manager.post(f"/customers/{acme}/reassign", data=form, follow_redirects=False)
    assert moved.status_code == 303 and "done=moved" in moved.headers["location"]
    with world.db.engine.connect() as conn:
        owner = conn.execute(select(Customer.owner_id).where(Customer.id == acme)).scalar()
    assert owner == bob
    assert world.count("customer.reassign") == 1
    # Ann no longer sees the customer; Bob does.
    assert world.client("ann", "rep", rep="Ann").get(f"/customers/{acme}").status_code == 404
    assert world.client("bob", "rep", rep="Bob").get(f"/customers/{acme}").status_code == 200


def test_the_json_api(world: World) -> None:
    acme, beta = world.ids["customer:Acme"], world.ids["customer:Beta"]
    ann = world.client("ann", "rep", rep="Ann")
    got = ann.get(f"/api/v1/customers/{acme}")
    assert got.status_code == 200
    body = got.json()
    assert body["customer"]["name"] == "Acme" and body["customer"]["size_band"] == "200-999"
    assert [r["reason"] for r in body["churn_reasons"]] == ["no_contact"]
    assert body["engagement"]["interactions"] == 3  # two orders and a web visit
    assert ann.get(f"/api/v1/customers/{beta}").status_code == 404
    made = ann.post(f"/api/v1/customers/{acme}/tasks", json={"kind": "call", "title": "Call"})
    assert made.status_code == 201
    task_id = made.json()["id"]
    assert ann.post(f"/api/v1/customers/{acme}/tasks", json={"kind": "dance"}).status_code == 422
    assert ann.post(f"/api/v1/customers/{acme}/tasks", json={"title": "a\x00b"}).status_code == 400
    assert ann.post(f"/api/v1/tasks/{task_id}/complete", json={}).status_code == 400  # no result
    done = ann.post(f"/api/v1/tasks/{task_id}/complete", json={"result": "Reached them"})
    assert done.status_code == 200
    listed = ann.get("/api/v1/tasks?status=done").json()
    assert [(t["id"], t["result"]) for t in listed] == [(task_id, "Reached them")]
    # Reassign a filtered set: Ann's Retail customers (Acme only) to Bob.
    manager = world.client("north", "manager", org_unit="North")
    form = {"to_rep_id": world.ids["rep:Bob"], "reason": "retail desk"}
    bad = manager.post(
        "/api/v1/customers/reassign",
        json={**form, "from_rep_id": world.ids["rep:Ann"], "filters": {"colour": ["red"]}},
    )
    assert bad.status_code == 400
    moved = manager.post(
        "/api/v1/customers/reassign",
        json={**form, "from_rep_id": world.ids["rep:Ann"], "filters": {"industry": ["Retail"]}},
    )
    assert moved.status_code == 200 and moved.json()["moved"] == [acme]
    assert (
        ann.post("/api/v1/customers/reassign", json={**form, "customer_ids": [acme]}).status_code
        == 403
    )
