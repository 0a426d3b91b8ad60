"""``/api/v1/alerts``: lists in the caller's scope, acknowledge and snooze (404 outside it),
rules from YAML (400 with the reason), preview, channels without secrets, audited writes."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from salesops.alerts import service
from salesops.alerts.rules import parse_rule
from salesops.alerts.store import save_rules
from salesops.app import create_app
from salesops.auth.audit import Actor
from salesops.db.schema import AuditEvent
from salesops.metrics.engine import MetricsEngine
from tests.alerts.test_delivery import NOW
from tests.alerts.test_rules import TODAY, _sales
from tests.analysis.data import build
from tests.auth_helpers import bearer
from tests.conftest import Db


def _seed(db: Db) -> None:
    ids = _sales(db)
    with build(db.engine) as b:
        b.ids.update(ids)
        b.opportunity(
            "deal-R1", customer="K1", owner="R1", status="won", amount=800000, closed="2025-12-08"
        )
        b.opportunity(
            "deal-R2", customer="K1", owner="R2", status="won", amount=900000, closed="2025-12-09"
        )
    big = {"name": "big", "kind": "big_deal", "amount": 500000, "days": 7, "group": "rep"}
    save_rules(db.engine, [parse_rule(big)], Actor("test"))
    service.run(
        db.engine, now=NOW, force=True, deliver=False, metrics=MetricsEngine(db.engine, today=TODAY)
    )


def test_scope_acknowledge_and_snooze(db: Db) -> None:
    _seed(db)
    client = TestClient(create_app(db.engine))
    admin = bearer(db.engine)
    rep = bearer(db.engine, "rep-r1", "rep", rep="R1")
    everything = client.get("/api/v1/alerts", headers=admin).json()
    assert everything["active"] == 2
    mine = client.get("/api/v1/alerts", headers=rep).json()
    assert mine["active"] == 1
    [alert] = mine["alerts"]
    assert [i["name"] for i in alert["explanation"]["items"]] == ["deal-R1"]
    other = next(a["id"] for a in everything["alerts"] if a["id"] != alert["id"])
    assert client.post(f"/api/v1/alerts/{other}/acknowledge", headers=rep).status_code == 404
    done = client.post(f"/api/v1/alerts/{alert['id']}/acknowledge", headers=rep)
    assert done.status_code == 200 and done.json() == {"active": 0}
    assert client.get("/api/v1/alerts/count", headers=admin).json() == {"active": 1}
    snoozed = client.post(f"/api/v1/alerts/{other}/snooze", json={"hours": 2}, headers=admin)
    assert snoozed.json() == {"active": 0}
    assert (
        client.post(f"/api/v1/alerts/{other}/snooze", json={"hours": 0}, headers=admin).status_code
        == 422
    )
    states = client.get("/api/v1/alerts?state=snoozed", headers=admin).json()["alerts"]
    assert [a["id"] for a in states] == [other]
    with db.engine.connect() as conn:
        actions = set(conn.execute(select(AuditEvent.action)).scalars())
    assert {"alert.acknowledge", "alert.snooze", "alert_rule.create"} <= actions


def test_rules_preview_and_channels(db: Db) -> None:
    _sales(db)
    client = TestClient(create_app(db.engine))
    admin = bearer(db.engine)
    bad = client.post(
        "/api/v1/alerts/rules",
        content="- {name: x, kind: nope}",
        headers={**admin, "content-type": "text/plain"},
    )
    assert bad.status_code == 400 and "kind" in bad.json()["detail"]
    ok = client.post(
        "/api/v1/alerts/rules",
        content="- {name: churn, kind: churn_warning}",
        headers={**admin, "content-type": "text/plain"},
    )
    assert ok.json() == {"created": 1, "updated": 0}
    assert client.get("/api/v1/alerts/rules", headers=admin).json()["rules"][0]["words"] == {
        "zh": "新出现的客户流失预警",
        "en": "new churn warnings",
    }
    preview = client.post(
        "/api/v1/alerts/rules/preview?days=30",
        headers=admin,
        json={
            "kind": "threshold",
            "metric": "revenue",
            "value": 1e9,
            "op": "<",
            "period": "last_month",
        },
    )
    assert preview.status_code == 200
    # every day of the last 30 was in a month whose previous month had less than 1e9
    assert preview.json()["fired"] >= 1
    assert (
        client.post(
            "/api/v1/alerts/rules/preview", headers=admin, json={"kind": "threshold"}
        ).status_code
        == 400
    )
    put = client.put(
        "/api/v1/alerts/channels/ding",
        headers=admin,
        json={
            "kind": "dingtalk",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=TOPSECRET9",
            "secret": "SECxyz",
        },
    )
    assert put.status_code == 200
    listed = client.get("/api/v1/alerts/channels", headers=admin).text
    assert "TOPSECRET" not in listed and "SECxyz" not in listed and "…RET9" in listed
    rep = bearer(db.engine, "rep-r1", "rep", rep="R1")
    assert client.get("/api/v1/alerts/channels", headers=rep).status_code == 403
