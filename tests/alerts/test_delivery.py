"""Delivery to real local receivers: each vendor's signature and body, e-mail over STARTTLS,
faults (500, timeout, dropped connection) retried without duplicates, failure after N tries,
secrets never shown, and one evaluation per rule with two runners at once."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from salesops.alerts import service
from salesops.alerts.rules import parse_rule
from salesops.alerts.store import save_rules
from salesops.auth.audit import Actor
from salesops.db.schema import Alert, AlertChannel, AlertDelivery, AlertDeliveryLog, AuditEvent
from salesops.metrics.engine import MetricsEngine
from salesops.notify.outbox import (
    DeliveryPolicy,
    deliver_due,
    list_channels,
    save_channel,
    subscribe,
)
from tests.alerts.receivers import SECRET, http_receiver, smtp_receiver
from tests.alerts.test_rules import TODAY, _sales
from tests.conftest import Db

ACTOR = Actor("test")
NOW = dt.datetime(2025, 12, 10, 1, 0)  # 09:00 in Shanghai, on TODAY
POLICY = DeliveryPolicy(
    max_attempts=5, retry_base_seconds=1, timeout_seconds=0.5, base_url="https://board.example.com"
)
RULE = {
    "name": "东区回款 East revenue",
    "kind": "threshold",
    "metric": "revenue",
    "by": ["region"],
    "period": "last_month",
    "op": "<",
    "value": 2000,
    "severity": "critical",
}


def _fire(
    db: Db,
    channel: str,
    kind: str,
    url: str | None,
    secret: str | None = SECRET,
    settings: dict[str, Any] | None = None,
) -> None:
    """The hand-made sales, one rule, one channel subscribed by everyone; the rule fired."""
    _sales(db)
    save_rules(db.engine, [parse_rule(RULE)], ACTOR)
    save_channel(
        db.engine, channel, kind, target=url, secret=secret, settings=settings, actor=ACTOR
    )
    subscribe(db.engine, channel, kind="all", actor=ACTOR)
    report = service.run(
        db.engine, now=NOW, force=True, deliver=False, metrics=MetricsEngine(db.engine, today=TODAY)
    )
    assert report.fired == {RULE["name"]: 1}


def _deliveries(db: Db) -> list[Any]:
    with db.engine.connect() as conn:
        return conn.execute(select(AlertDelivery).order_by(AlertDelivery.id)).all()


@pytest.mark.parametrize("kind", ["dingtalk", "wecom", "feishu", "slack", "webhook"])
def test_each_vendor_gets_a_signed_message_it_accepts(db: Db, kind: str) -> None:
    with http_receiver() as rec:
        path = {
            "dingtalk": "/dingtalk/robot/send?access_token=tok123",
            "wecom": "/wecom/cgi-bin/webhook/send?key=k-123",
            "feishu": "/feishu/open-apis/bot/v2/hook/abc",
            "slack": "/slack/services/T0/B0/xyz",
            "webhook": "/webhook/in",
        }[kind]
        secret = SECRET if kind in ("dingtalk", "feishu", "webhook") else None
        _fire(db, f"{kind}-group", kind, rec.url + path, secret)
        counts = deliver_due(db.engine, POLICY, now=NOW)
        assert counts["sent"] == 1, [g.problem for g in rec.got]
        [got] = rec.got
        assert got.problem is None
        text = got.body.decode()
        # the explanation travels: rule, value, threshold, period, contributors, the link
        assert "东区回款" in text and "1,000.00" in text and "2,000.00" in text
        assert "2025-11" in text and "R2" in text
        assert "https://board.example.com/?period=custom" in text
        if kind == "dingtalk":
            assert got.query["access_token"] == ["tok123"]
            assert got.json()["markdown"]["text"].startswith("### 【严重】东区回款")
        if kind == "webhook":
            payload = got.json()
            assert payload["explanation"]["value"] == 1000.0
            assert payload["explanation"]["contributors"][0]["name"] == "R2"
    [d] = _deliveries(db)
    assert (d.status, d.attempts, d.response_code) == ("sent", 1, 200)


def test_a_wrong_signature_fails_without_retries(db: Db) -> None:
    with http_receiver() as rec:
        _fire(
            db,
            "ding",
            "dingtalk",
            rec.url + "/dingtalk/robot/send?access_token=t",
            secret="not-the-secret",
        )
        assert deliver_due(db.engine, POLICY, now=NOW)["failed"] == 1
        assert rec.got[0].problem == "dingtalk: bad sign"
    [d] = _deliveries(db)
    assert d.status == "failed" and "310000" in d.last_error


def test_faults_are_retried_with_backoff_and_sent_once(db: Db) -> None:
    with http_receiver() as rec:
        rec.faults = ["500", "timeout", "drop"]
        _fire(db, "hook", "webhook", rec.url + "/webhook/in")
        now = NOW
        outcomes = []
        for _ in range(8):
            counts = deliver_due(db.engine, POLICY, now=now)
            outcomes.append({k: v for k, v in counts.items() if v})
            now += dt.timedelta(seconds=10)  # past any backoff of these attempts
        assert outcomes[:4] == [{"retry": 1}, {"retry": 1}, {"retry": 1}, {"sent": 1}]
        assert outcomes[4:] == [{}] * 4  # nothing more to send: no duplicate
        assert [g.problem for g in rec.got] == ["answered 500", "timed out", "dropped", None]
        assert len(set(rec.keys())) == 1 and len(rec.accepted()) == 1
    with db.engine.connect() as conn:
        log = conn.execute(
            select(
                AlertDeliveryLog.attempt, AlertDeliveryLog.status, AlertDeliveryLog.response_code
            ).order_by(AlertDeliveryLog.id)
        ).all()
    assert [tuple(r) for r in log] == [
        (1, "retry", 500),
        (2, "retry", None),
        (3, "retry", None),
        (4, "sent", 200),
    ]


def test_backoff_waits_before_the_next_try(db: Db) -> None:
    with http_receiver() as rec:
        rec.faults = ["500", "500"]
        _fire(db, "hook", "webhook", rec.url + "/webhook/in")
        slow = DeliveryPolicy(retry_base_seconds=60, timeout_seconds=0.5)
        assert deliver_due(db.engine, slow, now=NOW)["retry"] == 1
        assert deliver_due(db.engine, slow, now=NOW + dt.timedelta(seconds=59)) == {
            "sent": 0,
            "retry": 0,
            "failed": 0,
            "held": 0,
            "unconfirmed": 0,
        }
        assert deliver_due(db.engine, slow, now=NOW + dt.timedelta(seconds=61))["retry"] == 1
        # the second wait is twice as long (120 s after the second try)
        later = NOW + dt.timedelta(seconds=61 + 119)
        assert deliver_due(db.engine, slow, now=later)["sent"] == 0
        assert deliver_due(db.engine, slow, now=later + dt.timedelta(seconds=2))["sent"] == 1


def test_failed_after_the_last_try(db: Db) -> None:
    with http_receiver() as rec:
        rec.faults = ["500"] * 10
        _fire(db, "hook", "webhook", rec.url + "/webhook/in")
        policy = DeliveryPolicy(max_attempts=3, retry_base_seconds=1, timeout_seconds=0.5)
        now = NOW
        for _ in range(6):
            deliver_due(db.engine, policy, now=now)
            now += dt.timedelta(seconds=10)
        assert len(rec.got) == 3
    [d] = _deliveries(db)
    assert (d.status, d.attempts, d.last_error) == ("failed", 3, "HTTP 500")


def test_email_over_starttls_with_text_and_html(db: Db, tmp_path: Path) -> None:
    with smtp_receiver(tmp_path) as box:
        settings = {
            "host": "127.0.0.1",
            "port": box.port,
            "from": "board@example.com",
            "to": ["boss@example.com"],
            "ca_file": str(box.ca_file),
        }
        _fire(db, "mail", "email", None, secret=None, settings=settings)
        assert deliver_due(db.engine, POLICY, now=NOW)["sent"] == 1
        [(rcpt, msg)] = box.messages
    assert rcpt == ["boss@example.com"] and box.tls_seen == [True]
    assert msg["Subject"] == "【严重】东区回款 East revenue"
    assert msg.get_content_type() == "multipart/alternative"
    parts = {p.get_content_type(): p.get_content() for p in msg.iter_parts()}  # type: ignore[attr-defined]
    assert set(parts) == {"text/plain", "text/html"}
    assert "1,000.00" in parts["text/plain"] and "<h2>【严重】东区回款" in parts["text/html"]
    assert msg["Message-ID"].startswith("<salesops-alert-")


def test_email_refuses_a_server_it_cannot_verify(db: Db, tmp_path: Path) -> None:
    with smtp_receiver(tmp_path) as box:
        settings = {
            "host": "127.0.0.1",
            "port": box.port,
            "from": "board@example.com",
            "to": ["boss@example.com"],
        }  # no ca_file: the self-signed cert fails
        _fire(db, "mail", "email", None, secret=None, settings=settings)
        assert deliver_due(db.engine, POLICY, now=NOW)["retry"] == 1
        assert box.messages == []


def test_secrets_are_sealed_and_never_shown(db: Db) -> None:
    url = "https://oapi.dingtalk.com/robot/send?access_token=SECRET_TOKEN_abcd"
    save_channel(db.engine, "ding", "dingtalk", target=url, secret=SECRET, actor=ACTOR)
    with db.engine.connect() as conn:
        row = conn.execute(select(AlertChannel)).one()
        audit = conn.execute(select(AuditEvent.detail)).scalars().all()
    assert row.target.startswith("sealed:v1:") and row.secret.startswith("sealed:v1:")
    assert "SECRET_TOKEN" not in row.target and SECRET not in row.secret
    shown = json.dumps(list_channels(db.engine))
    assert "SECRET_TOKEN" not in shown and SECRET not in shown
    assert list_channels(db.engine)[0]["hint"] == "https://oapi.dingtalk.com/…abcd"
    assert not any("SECRET_TOKEN" in (d or "") or SECRET in (d or "") for d in audit)


def test_quiet_hours_hold_messages_without_using_tries(db: Db) -> None:
    with http_receiver() as rec:
        _sales(db)
        save_rules(db.engine, [parse_rule({**RULE, "quiet_hours": "22:00-08:00"})], ACTOR)
        save_channel(
            db.engine, "hook", "webhook", target=rec.url + "/webhook/in", secret=SECRET, actor=ACTOR
        )
        subscribe(db.engine, "hook", kind="all", actor=ACTOR)
        night = dt.datetime(2025, 12, 9, 15, 0)  # 23:00 in Shanghai
        service.run(
            db.engine,
            now=night,
            force=True,
            deliver=False,
            metrics=MetricsEngine(db.engine, today=TODAY),
        )
        assert deliver_due(db.engine, POLICY, now=night)["held"] == 1
        [d] = _deliveries(db)
        assert d.attempts == 0 and d.next_attempt_at == dt.datetime(2025, 12, 10, 0, 0)
        assert rec.got == []
        assert deliver_due(db.engine, POLICY, now=dt.datetime(2025, 12, 10, 0, 1))["sent"] == 1


def _created(db: Db, when: dt.datetime) -> None:
    from sqlalchemy import update

    from salesops.db.schema import AlertRule

    with db.engine.begin() as conn:
        conn.execute(update(AlertRule).values(created_at=when))


def test_two_runners_at_once_evaluate_each_rule_once(db: Db) -> None:
    _sales(db)
    save_rules(db.engine, [parse_rule(RULE)], ACTOR)
    _created(db, dt.datetime(2025, 12, 9, 12))  # due at 12-10 08:00 Shanghai
    start = threading.Barrier(4)
    reports: list[service.RunReport] = []

    def runner() -> None:
        start.wait()
        reports.append(
            service.run(
                db.engine, now=NOW, deliver=False, metrics=MetricsEngine(db.engine, today=TODAY)
            )
        )

    threads = [threading.Thread(target=runner) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    evaluated = [r.evaluated for r in reports]
    assert sum(len(e) for e in evaluated) == 1, evaluated  # the others were busy or not due
    assert sorted(r.status for r in reports).count("ok") >= 1
    with db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Alert)).scalar_one() == 1
    # later runs find nothing due until the next scheduled time (08:00 daily)
    again = service.run(db.engine, now=NOW + dt.timedelta(hours=1), deliver=False)
    assert again.evaluated == []


def test_a_restart_catches_up_once_on_missed_times(db: Db) -> None:
    _sales(db)
    save_rules(db.engine, [parse_rule(RULE)], ACTOR)  # daily at 08:00 Shanghai = 00:00 UTC
    _created(db, dt.datetime(2025, 12, 5, 12))
    metrics = MetricsEngine(db.engine, today=TODAY)
    # down since 12-05: three 08:00 runs were missed; one evaluation at the latest of them
    first = service.run(db.engine, now=NOW, deliver=False, metrics=metrics)
    assert first.evaluated == [RULE["name"]]
    with db.engine.connect() as conn:
        from salesops.db.schema import AlertRule

        assert conn.execute(select(AlertRule.last_due_at)).scalar_one() == dt.datetime(
            2025, 12, 10, 0, 0
        )
    assert service.run(db.engine, now=NOW, deliver=False, metrics=metrics).evaluated == []


def test_killing_the_runner_mid_send_loses_nothing_and_sends_once(
    db: Db, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``salesops alerts run`` is killed (SIGKILL) while the receiver holds its request; the
    next run resends after the lease with the same idempotency key: the receiver, which
    drops repeats of a key, has the message exactly once, and the alert is not evaluated
    again."""
    import os
    import signal
    import subprocess
    import sys

    from salesops.auth.secrets import utcnow

    with http_receiver() as rec:
        rec.faults = ["hang"]
        _fire(db, "hook", "webhook", rec.url + "/webhook/in")
        db.engine.dispose()  # DuckDB: one process at a time
        monkeypatch.setenv("SALESOPS_ALERT_LEASE_SECONDS", "1")
        monkeypatch.setenv("SALESOPS_ALERT_TIMEOUT_SECONDS", "60")
        errors = tmp_path / "stderr.txt"
        with errors.open("wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "salesops.cli.main", "alerts", "run"],
                env=os.environ.copy(),
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
            try:
                assert rec.arrived.wait(60), errors.read_text()
            finally:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
        [d] = _deliveries(db)
        assert (d.status, d.attempts) == ("sending", 1)  # claimed, outcome unknown
        # within the lease nobody touches it; after it, it is sent again, once
        assert (
            deliver_due(db.engine, POLICY, now=d.claimed_until - dt.timedelta(seconds=0.5))["sent"]
            == 0
        )
        assert deliver_due(db.engine, POLICY, now=utcnow() + dt.timedelta(seconds=5))["sent"] == 1
        assert deliver_due(db.engine, POLICY, now=utcnow() + dt.timedelta(hours=1))["sent"] == 0
        keys = [g.headers["idempotency-key"] for g in rec.got]
        assert len(keys) == 2 and len(set(keys)) == 1  # the same message, recognisably
        assert len(rec.accepted()) == 1
    with db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Alert)).scalar_one() == 1
    [d] = _deliveries(db)
    assert (d.status, d.attempts) == ("sent", 2)


def test_rate_limits_hold_messages_without_using_tries(db: Db) -> None:
    """Slack takes about one message a second: the second alert waits for the next second."""
    with http_receiver() as rec:
        _sales(db)
        both = {**RULE, "value": 10000}  # East 1000 and West 5000 are both below
        save_rules(db.engine, [parse_rule(both)], ACTOR)
        save_channel(db.engine, "slack", "slack", target=rec.url + "/slack/x", actor=ACTOR)
        subscribe(db.engine, "slack", kind="all", actor=ACTOR)
        service.run(
            db.engine,
            now=NOW,
            force=True,
            deliver=False,
            metrics=MetricsEngine(db.engine, today=TODAY),
        )
        assert deliver_due(db.engine, POLICY, now=NOW) == {
            "sent": 1,
            "retry": 0,
            "failed": 0,
            "held": 1,
            "unconfirmed": 0,
        }
        held = [d for d in _deliveries(db) if d.status == "pending"]
        assert [(d.attempts, d.next_attempt_at) for d in held] == [
            (0, NOW + dt.timedelta(seconds=1))
        ]
        assert deliver_due(db.engine, POLICY, now=NOW + dt.timedelta(seconds=1))["sent"] == 1
        assert len(rec.accepted()) == 2


def test_long_messages_are_cut_to_each_vendors_size() -> None:
    from salesops.notify.channels import build_request
    from salesops.notify.render import Message

    text = "### 标题\n\n" + "\n\n".join(f"- 客户{i:04d} · 华东 · 1,234,567.89" for i in range(2000))
    msg = Message(title="t", markdown=text, slack=text, text=text, html=text, link="/")
    wecom = json.loads(build_request("wecom", "http://x/", None, msg, key="k").body)
    content = wecom["markdown"]["content"].encode()
    assert len(content) <= 4096 and content.endswith("…".encode())
    ding = build_request("dingtalk", "http://x/", SECRET, msg, key="k")
    assert len(ding.body) < 20_000
    feishu = build_request("feishu", "http://x/", SECRET, msg, key="k")
    assert len(feishu.body) < 20_000
    slack = json.loads(build_request("slack", "http://x/", None, msg, key="k").body)
    assert len(slack["blocks"]) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in slack["blocks"])


def _kill_mid_send(db: Db, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, rec: Any) -> None:
    """Run ``salesops alerts run`` in a process and SIGKILL it while the receiver holds the
    request."""
    import os
    import signal
    import subprocess
    import sys

    db.engine.dispose()  # DuckDB: one process at a time
    monkeypatch.setenv("SALESOPS_ALERT_LEASE_SECONDS", "1")
    monkeypatch.setenv("SALESOPS_ALERT_TIMEOUT_SECONDS", "60")
    errors = tmp_path / "stderr.txt"
    with errors.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "salesops.cli.main", "alerts", "run"],
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        try:
            assert rec.arrived.wait(60), errors.read_text()
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()


def test_a_robot_message_cut_off_mid_send_is_unconfirmed_not_resent(
    db: Db, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A DingTalk robot has no idempotency key: after the sender is killed mid-send the message
    may be in the group already, so it becomes ``unconfirmed`` (never sent again by itself)
    until a person resends it; then it goes out once more, and only once."""
    from fastapi.testclient import TestClient

    from salesops.app import create_app
    from salesops.auth.secrets import utcnow
    from salesops.notify.outbox import outbox_rows, resend
    from tests.auth_helpers import bearer

    with http_receiver() as rec:
        rec.faults = ["hang"]
        _fire(db, "ding", "dingtalk", rec.url + "/dingtalk/robot/send?access_token=t")
        _kill_mid_send(db, monkeypatch, tmp_path, rec)
        [d] = _deliveries(db)
        assert (d.status, d.attempts) == ("sending", 1)
        later = utcnow() + dt.timedelta(seconds=5)
        counts = deliver_due(db.engine, POLICY, now=later)
        assert (counts["unconfirmed"], counts["sent"]) == (1, 0)
        assert deliver_due(db.engine, POLICY, now=later + dt.timedelta(hours=2)) == {
            "sent": 0,
            "retry": 0,
            "failed": 0,
            "held": 0,
            "unconfirmed": 0,
        }
        assert len(rec.got) == 1  # nothing went out again by itself
        [row] = outbox_rows(db.engine, status="unconfirmed")
        assert "may have gone out" in row["last_error"]
        # the alerts page offers "resend" to those who manage alerts; the API does it
        client = TestClient(create_app(db.engine), headers=bearer(db.engine))
        page = client.get("/alerts?lang=en&state=all").text
        assert f'action="/alerts/deliveries/{d.id}/resend"' in page and "unconfirmed" in page
        viewer = bearer(db.engine, "v", "viewer")
        assert (
            client.post(f"/api/v1/alerts/deliveries/{d.id}/resend", headers=viewer).status_code
            == 403
        )
        done = client.post(f"/api/v1/alerts/deliveries/{d.id}/resend")
        assert done.status_code == 200 and done.json() == {"queued": [d.id]}
        again = client.post(f"/api/v1/alerts/deliveries/{d.id}/resend")
        assert again.status_code == 400 and "pending" in again.json()["detail"]
        assert client.post("/api/v1/alerts/deliveries/999999/resend").status_code == 404
        assert deliver_due(db.engine, POLICY, now=utcnow())["sent"] == 1
        assert len(rec.accepted()) == 1 and len(rec.got) == 2
        # a sent message is not sent again by hand either
        with pytest.raises(Exception, match="only unconfirmed or failed"):
            resend(db.engine, [d.id], ACTOR)
    with db.engine.connect() as conn:
        statuses = conn.execute(
            select(AlertDeliveryLog.status).order_by(AlertDeliveryLog.id)
        ).scalars()
        assert list(statuses) == ["unconfirmed", "resend", "sent"]
        actions = conn.execute(select(AuditEvent.action)).scalars().all()
        assert "alert_delivery.resend" in actions


def test_resend_from_the_command_line(db: Db) -> None:
    """``salesops alerts deliveries --status unconfirmed`` and ``alerts resend --unconfirmed``."""
    from sqlalchemy import update
    from typer.testing import CliRunner

    from salesops.cli.main import app

    with http_receiver() as rec:
        _fire(db, "ding", "dingtalk", rec.url + "/dingtalk/robot/send?access_token=t")
        with db.engine.begin() as conn:  # as a killed sender leaves it, lease long over
            conn.execute(
                update(AlertDelivery).values(
                    status="sending", attempts=1, claimed_until=NOW - dt.timedelta(minutes=5)
                )
            )
        assert deliver_due(db.engine, POLICY, now=NOW)["unconfirmed"] == 1
        db.engine.dispose()
        runner = CliRunner()
        listed = runner.invoke(
            app, ["alerts", "deliveries", "--status", "unconfirmed", "--format", "json"]
        )
        assert listed.exit_code == 0, listed.output
        [row] = json.loads(listed.output)
        assert row["status"] == "unconfirmed" and row["channel"] == "ding"
        assert runner.invoke(app, ["alerts", "resend"]).exit_code == 2
        done = runner.invoke(app, ["alerts", "resend", "--unconfirmed"])
        assert done.exit_code == 0 and f"1 message(s) queued again: {row['id']}" in done.output
        wrong = runner.invoke(app, ["alerts", "resend", str(row["id"])])
        assert wrong.exit_code == 1 and "pending" in wrong.output
        from salesops.auth.secrets import utcnow

        assert deliver_due(db.engine, POLICY, now=utcnow() + dt.timedelta(minutes=1))["sent"] == 1
        assert len(rec.accepted()) == 1


def test_item_alerts_of_one_team_go_to_a_group_as_one_digest(db: Db) -> None:
    """Three item rules fire for the same team (big deals, one rule per outcome, and stuck
    deals by days): a DingTalk group gets one digest message holding all three, a webhook
    still gets one message per alert (with its own idempotency key); KPI alerts go alone."""
    from tests.analysis.data import build

    ids = _sales(db)
    with build(db.engine) as b:
        b.ids.update(ids)
        b.customer("Big Co")
        b.opportunity(
            "大单 A",
            customer="Big Co",
            owner="R1",
            status="won",
            amount=800000,
            closed="2025-12-08",
        )
        b.opportunity(
            "大单 B",
            customer="Big Co",
            owner="R2",
            status="lost",
            amount=900000,
            closed="2025-12-09",
        )
    rules = [
        RULE,
        {"name": "won", "kind": "big_deal", "amount": 500000, "outcome": "won", "group": "none"},
        {"name": "lost", "kind": "big_deal", "amount": 500000, "outcome": "lost", "group": "none"},
    ]
    save_rules(db.engine, [parse_rule(r) for r in rules], ACTOR)
    with http_receiver() as rec:
        ding = rec.url + "/dingtalk/robot/send?access_token=t"
        save_channel(db.engine, "ding", "dingtalk", target=ding, secret=SECRET, actor=ACTOR)
        save_channel(db.engine, "hook", "webhook", target=rec.url + "/webhook/in", actor=ACTOR)
        for channel in ("ding", "hook"):
            subscribe(db.engine, channel, kind="all", actor=ACTOR)
        report = service.run(
            db.engine,
            now=NOW,
            force=True,
            deliver=False,
            metrics=MetricsEngine(db.engine, today=TODAY),
        )
        assert sum(report.fired.values()) == 3
        counts = deliver_due(db.engine, POLICY, now=NOW)
        assert counts["sent"] == 6  # 3 alerts x 2 channels, every outbox row sent
        dingtalk = [g for g in rec.got if g.path.startswith("/dingtalk")]
        hooks = [g for g in rec.got if g.path.startswith("/webhook")]
        assert len(hooks) == 3 and len({g.headers["idempotency-key"] for g in hooks}) == 3
        # the revenue alert alone, the two deal alerts in one digest
        assert len(dingtalk) == 2 and all(g.problem is None for g in dingtalk)
        texts = [g.json()["markdown"]["text"] for g in dingtalk]
        [one] = [t for t in texts if "预警汇总" in t]
        assert "2 条" in one and "大单 A" in one and "大单 B" in one and "东区回款" not in one
    with db.engine.connect() as conn:
        logged = conn.execute(select(AlertDeliveryLog.status)).scalars().all()
    assert sorted(logged) == ["digest", "sent", "sent", "sent", "sent", "sent"]
