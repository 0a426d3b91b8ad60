"""The /api/v1/people routes: who sees which statement, XLSX that is formula-safe and adds
up, ratings, proposals and coaching through the API, both databases."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import update

from salesops.app import create_app
from salesops.db.schema import Rep
from salesops.people import scorecards as sc
from salesops.people import statements as st
from salesops.people.plans import parse_rules
from tests.auth_helpers import bearer
from tests.conftest import Db
from tests.people.test_scorecards import CARD
from tests.people.world import build

TIERS = [{"upto": 1.0, "rate": 0.03}, {"upto": 1.2, "rate": 0.05}, {"rate": 0.08}]


@pytest.fixture
def world(db: Db) -> dict[str, int]:
    ids = build(db.engine)
    st.save_plan(db.engine, parse_rules({"code": "ae", "name": "AE", "tiers": TIERS}), "t")
    sc.save_scorecard(db.engine, sc.parse_scorecard(CARD), "t")
    return ids


def client(db: Db, login: str, role: str, **kw: str) -> TestClient:
    c = TestClient(create_app(db.engine))
    c.headers.update(bearer(db.engine, login, role, **kw))
    return c


def test_statement_visible_to_rep_managers_and_finance_only(db: Db, world: dict[str, int]) -> None:
    ann, cat = world["rep:Ann"], world["rep:Cat"]
    url = "/api/v1/people/statements?plan=ae&period=2024-Q1&rep="
    finance = client(db, "fin", "finance")
    body = finance.get(url + str(ann)).json()
    # S1 4000 + S2 3000 + S3 5000 + S5 2000 = 14 000 (no split here): 300 + 100 + 160
    assert body["total"] == 560.0
    assert body["total"] == sum(line["amount"] for line in body["lines"])
    assert all(line["source"] == "order_line" and line["source_id"] for line in body["lines"])
    rep = client(db, "ann", "rep", rep="ann")
    assert rep.get(url + str(ann)).json()["total"] == 560.0
    assert rep.get(url + str(cat)).status_code == 404
    mgr = client(db, "mgr", "manager", org_unit="east")
    assert mgr.get(url + str(ann)).status_code == 200
    assert mgr.get(url + str(cat)).status_code == 404
    assert client(db, "view", "viewer").get(url + str(ann)).status_code == 403
    assert client(db, "ops", "ops").get(url + str(ann)).status_code == 403
    assert finance.get(url + str(ann) + "&period=2024-13").status_code == 422
    # what-if: D2 6000 and D3 2000 on top, above 120 %: 8000 x 8 % = 640 more
    more = rep.get(url + f"{ann}&what_if={world['deal:D2']}&what_if={world['deal:D3']}").json()
    assert more["total"] == 1200.0


def test_statement_xlsx_is_formula_safe_and_adds_up(db: Db, world: dict[str, int]) -> None:
    with db.engine.begin() as conn:
        conn.execute(update(Rep).where(Rep.id == world["rep:Ann"]).values(name="=HYPERLINK(1)"))
    finance = client(db, "fin", "finance")
    got = finance.get(
        f"/api/v1/people/statements.xlsx?plan=ae&period=2024-Q1&rep={world['rep:Ann']}&lang=en"
    )
    assert got.status_code == 200
    ws = load_workbook(io.BytesIO(got.content)).active
    assert ws["B1"].value == "=HYPERLINK(1)" and ws["B1"].data_type == "s"
    rows = [r for r in ws.iter_rows(min_row=10, values_only=True)]
    lines, total = rows[:-1], rows[-1]
    assert total[8] == "Total"
    assert Decimal(str(total[9])) == sum(Decimal(str(r[9])) for r in lines) == Decimal(560)


def test_ratings_proposals_and_coaching(db: Db, world: dict[str, int]) -> None:
    ann = world["rep:Ann"]
    mgr = client(db, "mgr", "manager", org_unit="east")
    rep = client(db, "ann", "rep", rep="ann")
    rating = {"scorecard": "rep-q", "item": "attitude", "rep": ann, "period": "2024-Q1",
              "score": 90, "comment": "steady"}  # fmt: skip
    assert rep.post("/api/v1/people/ratings", json=rating).status_code == 403
    assert mgr.post("/api/v1/people/ratings", json=rating).status_code == 200
    assert (
        mgr.post("/api/v1/people/ratings", json={**rating, "rep": world["rep:Cat"]}).status_code
        == 404
    )
    scores = rep.get("/api/v1/people/scorecards?period=2024-Q1").json()
    assert [(r["rep"], r["score"]) for r in scores["reps"]] == [("Ann", 103.0)]
    proposal = {"period": "2099-Q1", "value": 12000, "rep": ann, "comment": "renewals"}
    pid = rep.post("/api/v1/people/proposals", json=proposal).json()["id"]
    decided = mgr.post(
        "/api/v1/people/proposals/decide",
        json={"proposal": pid, "decision": "adjust", "value": 13000, "comment": "more"},
    )
    assert decided.status_code == 200, decided.text
    assert (decided.json()["status"], decided.json()["decided_value"]) == ("adjusted", 13000.0)
    entry = {"rep": ann, "kind": "one_to_one", "occurred_on": "2024-02-01", "title": "Review"}
    assert rep.post("/api/v1/people/coaching", json=entry).status_code == 403
    assert mgr.post("/api/v1/people/coaching", json=entry).status_code == 201
    assert [e["title"] for e in rep.get("/api/v1/people/coaching").json()] == ["Review"]


def test_every_statement_in_scope_without_a_rep(db: Db, world: dict[str, int]) -> None:
    url = "/api/v1/people/statements?period=2024-Q1"
    body = client(db, "fin", "finance").get(url).json()
    # Ann 560 (see above); Bob B1 1000 + S6 2000 at 3 % (no target) = 90; Cat 3000 at 3 % = 90
    assert [(s["rep"], s["total"]) for s in body["statements"]] == [
        ("Ann", 560.0),
        ("Bob", 90.0),
        ("Cat", 90.0),
    ]
    east = client(db, "mgr", "manager", org_unit="east").get(url).json()
    assert [s["rep"] for s in east["statements"]] == ["Ann", "Bob"]
    xlsx = client(db, "fin", "finance").get("/api/v1/people/statements.xlsx?period=2024-Q1")
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    assert [r[0] for r in ws.iter_rows(min_row=2, values_only=True)] == ["Ann", "Bob", "Cat"]
