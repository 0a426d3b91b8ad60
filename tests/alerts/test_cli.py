"""``salesops alerts``: import rules, list them, test one, run, list alerts, channels and
send-test against a real receiver; bad input exits 1 (data) or 2 (command) with a message."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from salesops.cli.main import app
from tests.alerts.receivers import SECRET, http_receiver
from tests.alerts.test_rules import _sales
from tests.conftest import Db

runner = CliRunner()
RULES = """rules:
  - name: east
    kind: threshold
    metric: revenue
    by: [region]
    period: last_month
    op: "<"
    value: 2000
"""


def test_import_list_test_and_run(db: Db, tmp_path: Path) -> None:
    _sales(db)
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    result = runner.invoke(app, ["alerts", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 rule(s) created, 0 updated" in result.output
    rules = json.loads(runner.invoke(app, ["alerts", "rules", "--format", "json"]).output)
    assert rules["rules"][0]["words"]["en"] == "Revenue by region last month < 2,000.00"
    tested = runner.invoke(
        app, ["alerts", "test", "east", "--as-of", "2025-12-10", "--format", "json"]
    )
    assert tested.exit_code == 0, tested.output
    fired = json.loads(tested.output)["fired"]
    assert [(f["subject"], f["value"], f["baseline"]) for f in fired] == [
        ("region=East", 1000.0, 2000.0)
    ]
    # nothing stored by a test; `run --force` stores it (today's last month has no orders)
    listed = json.loads(runner.invoke(app, ["alerts", "list", "--format", "json"]).output)
    assert listed == {"alerts": []}
    ran = runner.invoke(app, ["alerts", "run", "--force", "--format", "json"])
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.output)["evaluated"] == ["east"]


def test_bad_input_is_refused_with_a_message(db: Db, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("- {name: x, kind: threshold, metric: revenue}\n", encoding="utf-8")
    result = runner.invoke(app, ["alerts", "import", str(path)])
    assert result.exit_code == 1 and "a threshold rule needs a value" in result.output
    assert runner.invoke(app, ["alerts", "list", "--format", "xml"]).exit_code == 2
    missing = runner.invoke(app, ["alerts", "test", "nope"])
    assert missing.exit_code == 1 and "no alert rule 'nope'" in missing.output
    assert runner.invoke(app, ["alerts", "send-test", "nope"]).exit_code == 1


def test_channel_subscribe_and_send_test(db: Db) -> None:
    with http_receiver() as rec:
        url = rec.url + "/webhook/hook"
        made = runner.invoke(
            app, ["alerts", "channel", "hook", "webhook", "--url", url, "--secret", SECRET]
        )
        assert made.exit_code == 0, made.output
        shown = runner.invoke(app, ["alerts", "channels", "--format", "json"]).output
        assert SECRET not in shown and "/webhook/hook" not in shown
        assert json.loads(shown)["channels"][0]["hint"] == "http://127.0.0.1/…hook"
        assert runner.invoke(app, ["alerts", "subscribe", "hook"]).exit_code == 0
        sent = runner.invoke(app, ["alerts", "send-test", "hook", "--format", "json"])
        assert sent.exit_code == 0, sent.output
        assert json.loads(sent.output)["status"] == "sent"
        assert rec.got[0].problem is None and b"SalesOps Board: hook" in rec.got[0].body
