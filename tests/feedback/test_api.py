"""/api/v1/feedback: reading in scope, the loop's steps with their permission, statuses for
refused steps, audit; both databases."""

from __future__ import annotations

from sqlalchemy import select

from salesops.app import create_app
from salesops.db.schema import AuditEvent, Feedback
from tests.auth_helpers import admin_client, bearer
from tests.conftest import Db
from tests.web.data import seed


def _item(db: Db, rep: str = "张伟") -> int:
    from salesops.db.schema import Rep

    with db.engine.begin() as conn:
        rep_id = conn.execute(select(Rep.id).where(Rep.name == rep)).scalar_one()
        return int(
            conn.execute(
                Feedback.__table__.insert()
                .values(external_id=f"API-{rep}", rep_id=rep_id, status="new", nps=2,
                        priority="high", text="<b>交付</b>太慢")
                .returning(Feedback.__table__.c.id)
            ).scalar_one()
        )  # fmt: skip


def test_assign_resolve_inform_over_the_api(db: Db) -> None:
    seed(db.engine)
    item = _item(db)
    client = admin_client(db.engine)
    assert client.post(f"/api/v1/feedback/{item}/inform", json={}).status_code == 409
    got = client.post(
        f"/api/v1/feedback/{item}/assign", json={"kind": "department", "name": "产品开发"}
    )
    assert got.status_code == 200, got.text
    assert (got.json()["status"], got.json()["assignee"]) == ("assigned", "产品开发")
    assert client.post(f"/api/v1/feedback/{item}/resolve", json={"note": "补发"}).status_code == 200
    done = client.post(f"/api/v1/feedback/{item}/inform", json={}).json()
    assert done["status"] == "informed"
    assert [h["action"] for h in done["history"]] == ["assign", "resolve", "inform"]
    # the text comes back as data, never as markup of the API's making
    assert done["text"] == "<b>交付</b>太慢"
    assert client.get(f"/api/v1/feedback/{item}").json()["history"] == done["history"]
    # closed: notes need a reopen first; a reopen needs a reason
    assert client.post(f"/api/v1/feedback/{item}/notes", json={"note": "x"}).status_code == 409
    assert client.post(f"/api/v1/feedback/{item}/reopen", json={"note": ""}).status_code == 422
    assert client.post(f"/api/v1/feedback/{item}/reopen", json={"note": "再查"}).status_code == 200
    with db.engine.connect() as conn:
        actions = conn.execute(
            select(AuditEvent.action)
            .where(AuditEvent.target == "feedback:API-张伟")
            .order_by(AuditEvent.id)
        ).scalars()
        assert list(actions) == [
            "feedback.assign", "feedback.resolve", "feedback.inform", "feedback.reopen",
        ]  # fmt: skip


def test_bad_input_is_a_clear_error_never_a_500(db: Db) -> None:
    seed(db.engine)
    item = _item(db)
    client = admin_client(db.engine)
    assert (
        client.post(
            f"/api/v1/feedback/{item}/assign", json={"kind": "team", "name": "x"}
        ).status_code
        == 422
    )
    bad_rep = client.post(f"/api/v1/feedback/{item}/assign", json={"kind": "rep", "name": "无此人"})
    assert (bad_rep.status_code, bad_rep.json()["detail"]) == (422, "no sales rep '无此人'")
    assert client.get("/api/v1/feedback/99999").status_code == 404
    assert client.get("/api/v1/feedback?status=closed").status_code == 422
    assert client.get("/api/v1/feedback/sla").json()["days"]["high"] == 2


def test_roles_and_scope(db: Db) -> None:
    seed(db.engine)
    east, south = _item(db, "张伟"), _item(db, "王芳")
    app = create_app(db.engine)
    from fastapi.testclient import TestClient

    manager = TestClient(app)
    manager.headers.update(bearer(db.engine, "f-mgr", "manager", org_unit="T-E"))
    rep = TestClient(app)
    rep.headers.update(bearer(db.engine, "f-rep", "rep", rep="张伟"))
    body = {"kind": "rep", "name": "张伟"}
    # a manager runs the loop inside their org subtree only
    assert manager.post(f"/api/v1/feedback/{east}/assign", json=body).status_code == 200
    assert manager.post(f"/api/v1/feedback/{south}/assign", json=body).status_code == 404
    assert manager.get(f"/api/v1/feedback/{south}").status_code == 404
    listed = {i["external_id"] for i in manager.get("/api/v1/feedback?limit=500").json()["items"]}
    assert "API-张伟" in listed and "API-王芳" not in listed
    # a rep sees their item but may not change it
    assert rep.get(f"/api/v1/feedback/{east}").status_code == 200
    assert rep.post(f"/api/v1/feedback/{east}/resolve", json={}).status_code == 403
