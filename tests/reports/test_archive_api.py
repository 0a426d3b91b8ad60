"""The archive and schedules through the API and the reports page: every caller sees only
what is inside their scope, writes need MANAGE_REPORTS and are audited."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from salesops.app import create_app
from salesops.auth.audit import Actor
from salesops.db.schema import AuditEvent
from salesops.notify.outbox import save_channel
from tests.auth_helpers import bearer
from tests.conftest import Db
from tests.web.data import seed


def test_archive_and_schedules_by_scope(db: Db) -> None:
    seed(db.engine)
    save_channel(db.engine, "hook", "webhook", target="http://127.0.0.1:9/x", actor=Actor("t"))
    app = create_app(db.engine)
    admin, manager, rep = TestClient(app), TestClient(app), TestClient(app)
    admin.headers.update(bearer(db.engine))
    manager.headers.update(bearer(db.engine, "m-east", "manager", org_unit="T-E"))
    rep.headers.update(bearer(db.engine, "r-zw", "rep", rep="张伟"))
    body = {"kind": "monthly", "period": "2026-05", "lang": "en", "formats": ["md"]}
    south = admin.post("/api/v1/reports/archive", json={**body, "scope": "T-S"})
    assert south.status_code == 201, south.text
    own = manager.post("/api/v1/reports/archive", json={**body, "scope": "张伟"})
    assert own.status_code == 201
    refused = manager.post("/api/v1/reports/archive", json={**body, "scope": "T-S"})
    assert refused.status_code == 400 and "outside your data scope" in refused.text
    assert rep.post("/api/v1/reports/archive", json=body).status_code == 403
    # lists: the admin sees both, the manager and the rep only 张伟's
    assert len(admin.get("/api/v1/reports/archive").json()["items"]) == 2
    for client in (manager, rep):
        [item] = client.get("/api/v1/reports/archive").json()["items"]
        assert item["scope"] == "张伟" and item["source"] == "api" and item["formats"] == ["md"]
    south_id, own_id = south.json()["id"], own.json()["id"]
    md = rep.get(f"/api/v1/reports/archive/{own_id}?format=md&download=true")
    assert md.status_code == 200 and md.text.startswith("# Monthly sales report · 2026-05 · 张伟")
    assert md.headers["content-disposition"].startswith("attachment;")
    assert manager.get(f"/api/v1/reports/archive/{south_id}?format=md").status_code == 404
    assert admin.get(f"/api/v1/reports/archive/{own_id}?format=pdf").status_code == 404
    # schedules
    weekly = {"name": "东区周报", "kind": "weekly", "cron": "30 8 * * 1", "recipients": ["hook"],
              "scope": "T-E", "formats": ["md", "xlsx"]}  # fmt: skip
    made = manager.post("/api/v1/reports/schedules", json=weekly)
    assert made.status_code == 201, made.text
    assert made.json()["scope"] == "华东一组" and made.json()["formats"] == "md,xlsx"
    other = admin.post(
        "/api/v1/reports/schedules", json={**weekly, "name": "南区周报", "scope": "T-S"}
    )
    assert other.status_code == 201
    bad = manager.post(
        "/api/v1/reports/schedules", json={**weekly, "name": "x", "cron": "61 8 * * 1"}
    )
    assert bad.status_code == 400 and "is not a cron line" in bad.text
    assert rep.post("/api/v1/reports/schedules", json=weekly).status_code == 403
    names = [s["name"] for s in manager.get("/api/v1/reports/schedules").json()["items"]]
    assert names == ["东区周报"]
    assert manager.delete(f"/api/v1/reports/schedules/{other.json()['id']}").status_code == 404
    assert manager.delete(f"/api/v1/reports/schedules/{made.json()['id']}").status_code == 200
    # the page: keep the review on screen, list the archive, view an archived one
    kept = manager.post(
        "/reports/keep",
        data={"kind": "weekly", "period": "2026-W23", "scope": "T-E", "report_lang": "zh"},
        follow_redirects=False,
    )
    assert kept.status_code == 303 and "kept=1" in kept.headers["location"]
    page = manager.get(kept.headers["location"])
    assert page.status_code == 200
    assert 'id="archived-view"' in page.text and "2026-W23" in page.text
    assert f"/api/v1/reports/archive/{own_id}?format=md" in page.text
    assert f"/api/v1/reports/archive/{south_id}" not in page.text
    added = manager.post(
        "/reports/schedules",
        data={"name": "东区月报", "kind": "monthly", "cron": "0 9 1 * *", "recipients": "hook",
              "scope": "T-E", "formats": ["xlsx", "md"]},
        follow_redirects=False,
    )  # fmt: skip
    assert added.status_code == 303
    page = manager.get("/reports")
    assert "东区月报" in page.text and "<code>0 9 1 * *</code>" in page.text
    assert "南区周报" not in page.text
    viewer = TestClient(app)
    viewer.headers.update(bearer(db.engine, "v", "viewer", org_unit="T-E"))
    assert 'id="schedule-form"' not in viewer.get("/reports").text
    with db.engine.connect() as conn:
        actions = conn.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert actions.count("report.archive") == 3
    assert actions.count("report_schedule.create") == 3
    assert actions.count("report_schedule.remove") == 1
