"""``salesops report schedule add|list|run|remove`` and ``salesops report archive list|get``,
with a real local webhook receiver."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from salesops.auth.audit import Actor
from salesops.cli.main import app
from salesops.notify.outbox import save_channel
from tests.alerts.receivers import SECRET, http_receiver
from tests.conftest import Db
from tests.web.data import seed

runner = CliRunner(env={"COLUMNS": "200"})


def test_schedule_and_archive_commands(db: Db, tmp_path: Path) -> None:
    seed(db.engine)
    with http_receiver() as rec:
        save_channel(db.engine, "hook", "webhook", target=f"{rec.url}/webhook/x", secret=SECRET,
                     actor=Actor("test"))  # fmt: skip
        add = ["report", "schedule", "add", "东区周报", "--kind", "weekly", "--cron",
               "30 8 * * 1", "--to", "hook", "--scope", "T-E", "--format", "md,xlsx"]  # fmt: skip
        result = runner.invoke(app, add)
        assert result.exit_code == 0, result.output
        assert "Saved schedule '东区周报': weekly review of 华东一组" in result.output
        bad = runner.invoke(app, [*add[:3], "x", *add[4:6], "--cron", "8:30 mondays", *add[8:]])
        assert bad.exit_code == 1 and "is not a cron line" in bad.output
        listed = runner.invoke(app, ["report", "schedule", "list", "-f", "json"])
        [s] = json.loads(listed.stdout)
        assert (s["name"], s["cron"], s["recipients"], s["formats"]) == (
            "东区周报", "30 8 * * 1", "hook", "md,xlsx"
        )  # fmt: skip
        ran = runner.invoke(app, ["report", "schedule", "run", "东区周报"])
        assert ran.exit_code == 0, ran.output
        assert "东区周报: kept as report 1, 1 message(s) queued." in ran.output
        assert "Delivered: 1 sent." in ran.output
        assert len(rec.accepted()) == 1
    archived = runner.invoke(app, ["report", "archive", "list", "-f", "json"])
    [a] = json.loads(archived.stdout)
    assert (a["kind"], a["scope"], a["source"], a["formats"]) == (
        "weekly", "华东一组", "schedule", "md,xlsx"
    )  # fmt: skip
    out = tmp_path / "kept.md"
    got = runner.invoke(app, ["report", "archive", "get", "1", "--format", "md", "-o", str(out)])
    assert got.exit_code == 0, got.output
    assert out.read_text(encoding="utf-8").startswith("# 销售周报 · ")
    missing = runner.invoke(app, ["report", "archive", "get", "1", "--format", "pdf", "-o", "-"])
    assert missing.exit_code == 1 and "no pdf file of archived report 1" in missing.output
    # a report generated at the command line is kept with --archive
    monthly = ["report", "monthly", "--period", "2026-05", "--format", "md", "-o", str(out)]
    kept = runner.invoke(app, [*monthly, "--archive"])
    assert kept.exit_code == 0 and "Kept in the archive as report 2." in kept.output
    removed = runner.invoke(app, ["report", "schedule", "remove", "东区周报"])
    assert removed.exit_code == 0
    again = runner.invoke(app, ["report", "schedule", "remove", "东区周报"])
    assert again.exit_code == 1 and "no report schedule '东区周报'" in again.output
