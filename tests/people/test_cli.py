"""``salesops people`` on the hand-made world, both databases."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from salesops.cli.main import app
from tests.conftest import Db
from tests.people.world import build

PLAN = """
plans:
  - code: ae
    name: AE
    period: quarter
    tiers: [{upto: 1.0, rate: 0.03}, {upto: 1.2, rate: 0.05}, {rate: 0.08}]
"""


def test_load_plans_and_print_a_statement(db: Db, tmp_path: Path) -> None:
    build(db.engine)
    runner = CliRunner()
    (tmp_path / "plans.yaml").write_text(PLAN, encoding="utf-8")
    done = runner.invoke(app, ["people", "load-plans", str(tmp_path / "plans.yaml")])
    assert done.exit_code == 0, done.output
    got = runner.invoke(
        app, ["people", "statement", "--rep", "Ann", "--period", "2024-Q1", "--format", "json"]
    )
    assert got.exit_code == 0, got.output
    body = json.loads(got.output)
    # 4000 + 3000 + 3000 at 3 %, 2000 at 5 %, 2000 at 8 % (see test_incentives)
    assert body["total"] == 560.0
    assert [line["reference"] for line in body["lines"]] == ["S1/1", "S2/1", "S3/1", "S3/1", "S5/1"]
    out = tmp_path / "ann.xlsx"
    args = ["people", "statement", "--rep", "ann", "--period", "2024-Q1", "--format", "xlsx"]
    assert runner.invoke(app, [*args, "-o", str(out)]).exit_code == 0
    assert out.read_bytes()[:2] == b"PK"


def test_bad_input_exits_1_and_bad_usage_2(db: Db, tmp_path: Path) -> None:
    build(db.engine)
    runner = CliRunner()
    (tmp_path / "bad.yaml").write_text("code: x\nname: X\ntiers: []\n", encoding="utf-8")
    bad = runner.invoke(app, ["people", "load-plans", str(tmp_path / "bad.yaml")])
    assert bad.exit_code == 1 and "tiers" in bad.output
    usage = ["people", "statement", "--rep", "Ann", "--period", "2024-Q1", "--format", "xml"]
    assert runner.invoke(app, usage).exit_code == 2
    nobody = runner.invoke(app, ["people", "statement", "--rep", "Zed", "--period", "2024-Q1"])
    assert nobody.exit_code == 1 and "no single sales rep" in nobody.output
