"""File formats and encodings: GBK, UTF-8 BOM, XLSX, legacy XLS, JSON lines, broken files."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import xlwt

from salesops.ingest.readers import detect_encoding, read_csv
from tests.conftest import Db
from tests.ingest.helpers import count, ok, rows, run, write_csv

CHINESE = [
    ["external_id", "name", "industry", "region", "city"],
    ["C1", "上海锦江国际酒店股份有限公司", "酒店", "华东", "上海"],
    ["C2", "深圳市腾讯计算机系统有限公司", "互联网", "华南", "深圳"],
    ["C3", "北京京东世纪贸易有限公司（测试）", "零售·电商", "华北", "北京"],
]


def test_gbk_csv_with_chinese_names_round_trips_exactly(db: Db, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "customers.csv", CHINESE, encoding="gbk")
    assert detect_encoding(path.read_bytes()) == "gb18030"
    report = ok(db, "customer", path)
    assert report.encoding == "gb18030"
    assert report.inserted == 3
    got = rows(
        db,
        "SELECT c.external_id, c.name, c.industry, r.name, c.city FROM customer c "
        "JOIN region r ON r.id = c.region_id ORDER BY c.external_id",
    )
    assert got == [tuple(r) for r in CHINESE[1:]]


def test_gb18030_only_characters_survive(db: Db, tmp_path: Path) -> None:
    # 𠀀 (U+20000) exists in GB18030 but not in GBK
    path = write_csv(
        tmp_path / "c.csv", [["external_id", "name"], ["C9", "𠀀记商行"]], encoding="gb18030"
    )
    ok(db, "customer", path)
    assert rows(db, "SELECT name FROM customer") == [("𠀀记商行",)]


def test_utf8_bom_csv(db: Db, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bom.csv", CHINESE, encoding="utf-8-sig")
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
    report = ok(db, "customer", path)
    assert report.encoding == "utf-8-sig"
    # the BOM must not stick to the first header ("\ufeffexternal_id" would not map)
    assert rows(db, "SELECT external_id, name FROM customer ORDER BY external_id")[0] == (
        "C1",
        "上海锦江国际酒店股份有限公司",
    )


def test_explicit_encoding_in_mapping(db: Db, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", CHINESE, encoding="gbk")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "entity: customer\nencoding: gbk\ncolumns:\n  external_id: external_id\n  name: name\n",
        encoding="utf-8",
    )
    ok(db, "customer", path, mapping)
    assert count(db, "customer") == 3


def test_semicolon_csv_and_blank_lines_keep_row_numbers(db: Db, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        "external_id;name;list_price\nP1;Widget;10\n\nP2;Gadget;abc\n", encoding="utf-8"
    )
    report = run(db, "product", path)
    assert report.status == "failed"
    # the blank line is row 3, so the bad price is on row 4, as a spreadsheet shows it
    assert [(e.row, e.column, e.value) for e in report.errors] == [(4, "list_price", "abc")]


def test_ragged_row_is_reported(db: Db, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("external_id,name\nP1,Widget\nP2,Gadget,extra,cells\n", encoding="utf-8")
    report = run(db, "product", path)
    assert report.status == "failed"
    assert [(e.row, e.reason) for e in report.errors] == [
        (3, "the row has 4 cells but the header has 2")
    ]
    assert count(db, "product") == 0


def _xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    first = True
    for name, data in sheets.items():
        ws = book.active if first else book.create_sheet()
        assert ws is not None
        ws.title = name
        first = False
        for row in data:
            ws.append(row)
    book.save(path)
    return path


def test_real_xlsx_with_typed_cells_and_sheet(db: Db, tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path / "orders.xlsx",
        {
            "Notes": [["nothing here"]],
            "Orders": [
                ["order_no", "line_no", "order_date", "amount", "cost", "quantity"],
                ["SO-1", 1, dt.datetime(2024, 3, 5), 1234.5, 1000, 3],
                ["SO-1", 2, dt.date(2024, 3, 5), "99.90", None, 1],
                [None, None, None, None, None, None],
                ["SO-2", 1, "2024-04-01", 0.1, None, 2.5],
            ],
        },
    )
    report = ok(db, "order_line", path, sheet="Orders")
    assert report.inserted == 3
    assert rows(
        db,
        "SELECT order_no, line_no, order_date, amount, cost, quantity FROM order_line ORDER BY id",
    ) == [
        ("SO-1", 1, dt.date(2024, 3, 5), Decimal("1234.50"), Decimal("1000.00"), Decimal("3")),
        ("SO-1", 2, dt.date(2024, 3, 5), Decimal("99.90"), None, Decimal("1")),
        ("SO-2", 1, dt.date(2024, 4, 1), Decimal("0.10"), None, Decimal("2.5")),
    ]


def test_unknown_sheet_lists_the_sheets(db: Db, tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "b.xlsx", {"A": [["x"]], "B": [["y"]]})
    report = run(db, "product", path, sheet="C")
    assert report.status == "failed"
    assert report.errors[0].reason == "no sheet named 'C'; the sheets are: A, B"


def test_xlsx_row_numbers_match_the_sheet(db: Db, tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path / "p.xlsx",
        {"S": [[], ["external_id", "name", "list_price"], ["P1", "A", 1], ["P2", "B", "n/a"]]},
    )
    report = run(db, "product", path)
    # header on sheet row 2, so P2 is row 4
    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (4, "list_price", "n/a", "not a number")
    ]


def test_broken_xlsx_gives_a_clear_error(db: Db, tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    report = run(db, "customer", path)
    assert report.status == "failed"
    assert len(report.errors) == 1
    error = report.errors[0]
    assert error.row is None
    assert error.reason.startswith("not a readable .xlsx workbook (BadZipFile")
    truncated = tmp_path / "truncated.xlsx"
    good = _xlsx(tmp_path / "good.xlsx", {"S": [["external_id", "name"], ["C1", "x"]]})
    truncated.write_bytes(good.read_bytes()[:300])
    report = run(db, "customer", truncated)
    assert report.status == "failed"
    assert "not a readable .xlsx workbook" in report.errors[0].reason
    assert count(db, "customer") == 0


def test_legacy_xls(db: Db, tmp_path: Path) -> None:
    book = xlwt.Workbook()
    ws = book.add_sheet("Reps")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for col, name in enumerate(["external_id", "name", "hired_on", "active", "region"]):
        ws.write(0, col, name)
    ws.write(1, 0, "R1")
    ws.write(1, 1, "王伟")
    ws.write(1, 2, dt.date(2020, 2, 29), date_style)
    ws.write(1, 3, True)
    ws.write(1, 4, "华东")
    ws.write(2, 0, 1002)  # a numeric id cell: must become "1002", not "1002.0"
    ws.write(2, 1, "Li Na")
    ws.write(2, 2, "2021-07-01")
    ws.write(2, 3, "no")
    path = tmp_path / "reps.xls"
    book.save(str(path))
    ok(db, "rep", path, sheet="Reps")
    assert rows(db, "SELECT external_id, name, hired_on, active FROM rep ORDER BY id") == [
        ("R1", "王伟", dt.date(2020, 2, 29), True),
        ("1002", "Li Na", dt.date(2021, 7, 1), False),
    ]


def test_json_lines(db: Db, tmp_path: Path) -> None:
    path = tmp_path / "products.jsonl"
    lines = [
        {"external_id": "P1", "name": "企业版", "list_price": 12.5, "product_line": "ERP"},
        {"external_id": "P2", "name": "Basic", "list_price": "1,000.00"},
        {"external_id": "P3", "name": "Nested", "unit_cost": 0.1, "extra": {"a": 1}},
    ]
    path.write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n", encoding="utf-8"
    )
    ok(db, "product", path)
    assert rows(
        db, "SELECT external_id, name, product_line, list_price, unit_cost FROM product ORDER BY id"
    ) == [
        ("P1", "企业版", "ERP", Decimal("12.50"), None),
        ("P2", "Basic", None, Decimal("1000.00"), None),
        ("P3", "Nested", None, None, Decimal("0.10")),
    ]


def test_json_lines_bad_line_is_a_row_error(db: Db, tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"external_id": "P1", "name": "A"}\n{not json}\n', encoding="utf-8")
    report = run(db, "product", path)
    assert report.status == "failed"
    assert [(e.row, e.reason[:14]) for e in report.errors] == [(2, "not valid JSON")]
    assert count(db, "product") == 0


def test_csv_reader_arrow_and_exact_paths_agree(tmp_path: Path) -> None:
    body = 'a,b\n1,"x, y"\n2,"multi\nline"\n'
    fast = tmp_path / "fast.csv"
    fast.write_text(body, encoding="utf-8")
    slow = tmp_path / "slow.csv"
    slow.write_text(body + "\n3,z\n", encoding="utf-8")  # a blank line takes the exact path
    a = read_csv(fast)
    b = read_csv(slow)
    assert a.columns["b"].to_pylist() == ["x, y", "multi\nline"]
    assert b.columns["b"].to_pylist() == ["x, y", "multi\nline", "z"]
    assert list(a.rows) == [2, 3]
    assert list(b.rows) == [2, 3, 5]
