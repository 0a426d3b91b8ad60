"""``salesops import`` / ``salesops export`` through the real command line (exit codes, output)."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from salesops.cli.main import app
from tests.conftest import Db
from tests.ingest.helpers import count, rows, write_csv

runner = CliRunner(env={"COLUMNS": "240"})  # wide enough that rich does not fold cells


def test_import_ok_then_unchanged(db: Db, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [["external_id", "name"], ["P1", "A"], ["P2", "B"]])
    result = runner.invoke(app, ["import", "product", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported 2 product row(s) from p.csv: 2 new, 0 updated, 0 unchanged" in result.output
    result = runner.invoke(app, ["import", "product", str(path)])
    assert result.exit_code == 0
    assert "0 new, 0 updated, 2 unchanged" in result.output
    assert count(db, "product") == 2


def test_import_errors_exit_1_with_table_and_errors_out(db: Db, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [["external_id", "name", "list_price"], ["P1", "A", "x1"]])
    out = tmp_path / "errors.csv"
    result = runner.invoke(app, ["import", "product", str(path), "--errors-out", str(out)])
    assert result.exit_code == 1
    assert "1 error(s)" in result.output
    assert "Nothing was imported from p.csv: 1 error(s)." in result.output
    with out.open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.reader(fh))[1] == [str(path), "2", "list_price", "x1", "not a number"]
    assert count(db, "product") == 0


def test_import_with_mapping_map_and_dry_run(db: Db, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [["Code", "Title", "Price"], ["P1", "A", "¥9.90"]])
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "entity: product\ncolumns:\n  external_id: Code\n  name: Wrong\n", encoding="utf-8"
    )
    args = ["import", "product", str(path), "--mapping", str(mapping), "--map", "name=Title"]
    result = runner.invoke(app, [*args, "--map", "list_price=Price", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Dry run: would import 1 product row(s)" in result.output
    assert count(db, "product") == 0
    result = runner.invoke(app, [*args, "--map", "list_price=Price"])
    assert result.exit_code == 0, result.output
    assert rows(db, "SELECT external_id, name, list_price FROM product") == [
        ("P1", "A", __import__("decimal").Decimal("9.90"))
    ]


def test_bad_arguments_exit_2(db: Db, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [["external_id", "name"], ["P1", "A"]])
    result = runner.invoke(app, ["import", "widgets", str(path)])
    assert result.exit_code == 2
    assert "unknown entity 'widgets'" in result.output
    result = runner.invoke(app, ["import", "opportunity", str(path), "--as-of", "last week"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["export", "product", "--format", "pdf"])
    assert result.exit_code == 2


def test_missing_file_and_bad_mapping_exit_1(db: Db, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", "product", str(tmp_path / "nope.csv")])
    assert result.exit_code == 1
    assert "no such file" in result.output
    path = write_csv(tmp_path / "p.csv", [["external_id", "name"], ["P1", "A"]])
    mapping = tmp_path / "m.yaml"
    mapping.write_text("entity: product\ncolumns:\n  colour: Colour\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "product", str(path), "--mapping", str(mapping)])
    assert result.exit_code == 1
    assert "product has no field 'colour'" in result.output


def test_import_as_of(db: Db, tmp_path: Path) -> None:
    write_csv(tmp_path / "a.csv", [["external_id", "stage"], ["O1", "A"]])
    assert runner.invoke(app, ["import", "opportunity", str(tmp_path / "a.csv")]).exit_code == 0
    write_csv(tmp_path / "b.csv", [["external_id", "stage"], ["O1", "B"]])
    result = runner.invoke(
        app, ["import", "opportunity", str(tmp_path / "b.csv"), "--as-of", "2024-05-01T08:00"]
    )
    assert result.exit_code == 0, result.output
    assert "1 history row(s)" in result.output
    assert rows(
        db, "SELECT old_value, new_value, changed_at FROM opportunity_change WHERE old_value = 'A'"
    ) == [("A", "B", __import__("datetime").datetime(2024, 5, 1, 0, 0))]


def test_export_csv_and_xlsx(db: Db, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [["external_id", "name"], ["P1", "甲"]])
    assert runner.invoke(app, ["import", "product", str(path)]).exit_code == 0
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["export", "product", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Exported 1 product row(s)" in result.output
    assert out.read_text(encoding="utf-8-sig").splitlines() == [
        "external_id,name,product_line,list_price,unit_cost",
        "P1,甲,,,",
    ]
    xlsx = tmp_path / "out.xlsx"
    result = runner.invoke(app, ["export", "product", "--format", "xlsx", "-o", str(xlsx)])
    assert result.exit_code == 0, result.output
    assert xlsx.read_bytes()[:2] == b"PK"
    result = runner.invoke(app, ["export", "product", "-o", "-"])
    assert result.exit_code == 0
    assert "P1,甲,,," in result.stdout
