"""``salesops report``: writes the file, refuses bad input with exit 2 and a clear message."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from salesops.cli.main import app
from salesops.demo import generate_demo
from tests.conftest import Db
from tests.demo.helpers import TINY

runner = CliRunner(env={"COLUMNS": "200"})


def test_report_command(db: Db, tmp_path: Path) -> None:
    generate_demo(db.engine, TINY)
    out = tmp_path / "weekly.md"
    args = ["report", "weekly", "--period", "2026-W46", "--lang", "en", "--format", "md"]
    result = runner.invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    body = out.read_text(encoding="utf-8")
    assert body.startswith("# Weekly sales report · 2026-W46 · Company")
    assert "## Revenue bridge" in body
    bad = runner.invoke(app, ["report", "weekly", "--period", "2025-W53", "-o", str(out)])
    assert bad.exit_code == 2
    assert "2025 has ISO weeks 1 to 52, not week 53" in bad.output
