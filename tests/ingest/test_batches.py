"""Files read in batches: every guarantee of a one-batch import holds across batches.

The batch size is made tiny (2 records) so that a few rows span several batches; the
expected values are the ones a file read whole gives (row numbers as in the spreadsheet).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from salesops.ingest import parse_mapping, readers
from tests.conftest import Db
from tests.ingest.helpers import count, ok, rows, run, snapshot, write_csv

LINES = ["order_no", "line_no", "order_date", "amount"]


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "BATCH_ROWS", 2)
    monkeypatch.setattr(readers, "CSV_BLOCK", 64)  # Arrow parses a few records at a time


def _lines(n: int) -> list[list[str]]:
    return [[f"S{i}", "1", "2024-01-05", f"{i}.50"] for i in range(1, n + 1)]


def test_a_long_file_imports_whole_and_again_unchanged(db: Db, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", [LINES, *_lines(7)])
    report = ok(db, "order_line", path)
    assert (report.rows_read, report.inserted, report.unchanged) == (7, 7, 0)
    assert rows(db, "SELECT sum(amount), count(DISTINCT order_no) FROM order_line") == [
        (Decimal("31.5000"), 7)  # 1.5 + 2.5 + ... + 7.5
    ]
    again = ok(db, "order_line", path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 7)
    assert count(db, "order_line") == 7


def test_errors_name_rows_across_batches_and_nothing_is_written(db: Db, tmp_path: Path) -> None:
    data = _lines(7)
    data[4] = ["S1", "1", "2024-01-05", "9"]  # row 6: the key of row 2 (another batch)
    data[6] = ["S7", "1", "2024-01-05", "lots"]  # row 8: not a number (the last batch)
    path = write_csv(tmp_path / "l.csv", [LINES, *data])
    before = snapshot(db)
    report = run(db, "order_line", path)
    assert report.status == "failed"
    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (6, "order_no", "S1", "duplicate record: the same key as row 2 "
         "(the key is order_no + line_no)"),
        (8, "amount", "lots", "not a number"),
    ]  # fmt: skip
    assert snapshot(db) == before


def test_blank_and_ragged_lines_in_a_later_batch(db: Db, tmp_path: Path) -> None:
    """Arrow refuses a blank line of a file of several columns only when it gets there: the
    file is read again by the exact reader, and the batches read before are forgotten."""
    text = "order_no,line_no,order_date,amount\n" + "".join(
        f"S{i},1,2024-01-05,{i}\n" for i in range(1, 6)
    )
    path = tmp_path / "l.csv"
    path.write_text(text + "\nS6,1,2024-01-05,6\n", encoding="utf-8")  # row 7 blank
    report = ok(db, "order_line", path)
    assert (report.rows_read, report.inserted) == (6, 6)
    path.write_text(text + "S6,1,2024-01-05,6,extra\n", encoding="utf-8")
    report = run(db, "order_line", path)
    assert [(e.row, e.reason) for e in report.errors] == [
        (7, "the row has 5 cells but the header has 4")
    ]
    assert report.rows_read == 6  # no batch counted twice


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (None, None),
        ("first", [("C1", "Acme", "SMB"), ("C2", "Beta", "SMB")]),
        ("last", [("C1", "ACME Ltd", "Enterprise"), ("C2", "Beta", "Enterprise")]),
    ],
)
def test_repeated_dimension_rows_across_batches(
    db: Db, tmp_path: Path, policy: str | None, expected: list[tuple[str, ...]] | None
) -> None:
    path = write_csv(
        tmp_path / "c.csv",
        [
            ["external_id", "name", "segment"],
            ["C1", "Acme", "SMB"],  # row 2
            ["C2", "Beta", "SMB"],  # row 3
            ["C1", "Acme", "SMB"],  # row 4: identical to row 2
            ["C1", "ACME Ltd", "Enterprise"],  # row 5
            ["C2", "Beta", "Enterprise"],  # row 6
            ["C2", "Beta", "Enterprise"],  # row 7: identical to row 6
        ],
    )
    doc: dict[str, object] = {
        "entity": "customer",
        "columns": {"external_id": "external_id", "name": "name", "segment": "segment"},
    }
    if policy:
        doc["on_duplicate"] = policy
    report = run(db, "customer", path, parse_mapping(doc))
    if expected is None:  # the same single error as the file read whole
        assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
            (5, "external_id", "C1", "2 customer keys repeat with different values, e.g. rows "
             "2 and 5 differ in name ('Acme' / 'ACME Ltd'), segment ('SMB' / 'Enterprise'); "
             "set on_duplicate: first or last in the mapping to keep the first or the last "
             "row of each (identical repeated rows are merged by themselves)"),
        ]  # fmt: skip
        assert count(db, "customer") == 0
        return
    assert report.status == "ok", report.errors
    assert (report.inserted, report.merged) == (2, 4)
    assert rows(db, "SELECT external_id, name, segment FROM customer ORDER BY 1") == expected


def test_a_date_format_found_in_the_first_batch_holds_for_the_rest(db: Db, tmp_path: Path) -> None:
    data = [
        ["S1", "1", "25/01/2024", "1"],  # only day-first fits: the column is d/m/Y
        ["S2", "1", "26/01/2024", "1"],
        ["S3", "1", "03/02/2024", "1"],  # later batch: 3 February, not 2 March
        ["S4", "1", "2024-02-04", "1"],  # ISO is always accepted
    ]
    path = write_csv(tmp_path / "l.csv", [LINES, *data])
    ok(db, "order_line", path)
    got = rows(db, "SELECT order_no, order_date FROM order_line ORDER BY 1")
    assert [(o, d.isoformat()) for o, d in got] == [
        ("S1", "2024-01-25"),
        ("S2", "2024-01-26"),
        ("S3", "2024-02-03"),
        ("S4", "2024-02-04"),
    ]


def test_json_lines_keys_of_later_lines_and_bad_lines(db: Db, tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    lines: list[dict[str, str]] = [{"external_id": f"C{i}", "name": f"N{i}"} for i in (1, 2, 3)]
    lines.append({"external_id": "C4", "name": "N4", "segment": "SMB"})  # only here
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    ok(db, "customer", path)
    assert rows(db, "SELECT external_id, segment FROM customer ORDER BY 1") == [
        ("C1", None),
        ("C2", None),
        ("C3", None),
        ("C4", "SMB"),
    ]
    path.write_text(path.read_text(encoding="utf-8") + "\n{oops\n", encoding="utf-8")
    report = run(db, "customer", path)
    assert [(e.row, e.value) for e in report.errors] == [(6, "{oops")]


def test_xlsx_rows_read_in_batches(db: Db, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.append([])
    ws.append(LINES)  # row 2 is the header
    for line in _lines(5):
        ws.append(line)
    ws.append(["S1", "1", "2024-01-05", "x"])  # row 8: repeats row 3's key, not a number
    path = tmp_path / "l.xlsx"
    book.save(path)
    report = run(db, "order_line", path)
    assert sorted((e.row, e.column) for e in report.errors) == [
        (8, "amount"),
        (8, "order_no"),
    ]
    assert [e.reason for e in report.errors if e.column == "order_no"] == [
        "duplicate record: the same key as row 3 (the key is order_no + line_no)"
    ]
