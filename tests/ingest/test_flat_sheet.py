"""Flat sheets: repeated dimension rows (``on_duplicate``) and ``import sheet`` (several
entities from one file, in one transaction)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salesops.cli.main import app
from salesops.ingest import MappingError, import_sheet, parse_mapping, parse_sheet_mapping
from tests.conftest import Db
from tests.ingest.helpers import count, ok, rows, run, snapshot, write_csv

DOCS = Path(__file__).resolve().parents[2] / "docs"
runner = CliRunner(env={"COLUMNS": "240"})

#: docs/samples/flat-sales-sheet*.csv: 30 lines of 12 orders, 5 customers, 5 products.
SAMPLE_TOTAL = Decimal("238932.3059")
SAMPLE_PROFIT = Decimal("90068.2726")


def _customers(tmp_path: Path, data: list[list[str]]) -> Path:
    return write_csv(tmp_path / "c.csv", [["external_id", "name", "segment"], *data])


def _mapping(on_duplicate: str | None) -> object:
    doc: dict[str, object] = {
        "entity": "customer",
        "columns": {"external_id": "external_id", "name": "name", "segment": "segment"},
    }
    if on_duplicate:
        doc["on_duplicate"] = on_duplicate
    return parse_mapping(doc)


def test_identical_repeated_rows_are_one_record(db: Db, tmp_path: Path) -> None:
    path = _customers(
        tmp_path,
        [["C1", "Acme", "SMB"], ["C2", "Beta", ""], ["C1", "Acme", "SMB"], ["C2", " Beta ", ""]],
    )
    report = ok(db, "customer", path, _mapping(None))
    assert (report.inserted, report.merged, report.unchanged) == (2, 2, 0)
    assert rows(db, "SELECT external_id, name, segment FROM customer ORDER BY 1") == [
        ("C1", "Acme", "SMB"),
        ("C2", "Beta", None),
    ]
    # again: the two records are unchanged, the repeats merged again
    again = ok(db, "customer", path, _mapping(None))
    assert (again.inserted, again.updated, again.unchanged, again.merged) == (0, 0, 2, 2)


def test_conflicting_repeats_are_one_error_naming_the_option(db: Db, tmp_path: Path) -> None:
    path = _customers(
        tmp_path,
        [
            ["C1", "Acme", "SMB"],  # row 2
            ["C2", "Beta", "SMB"],  # row 3
            ["C1", "Acme", "SMB"],  # row 4: identical to row 2, merged
            ["C1", "ACME Ltd", "Enterprise"],  # row 5: differs from row 2
            ["C2", "Beta", "Enterprise"],  # row 6: differs from row 3
            ["C2", "Beta", "Enterprise"],  # row 7: identical to row 6
        ],
    )
    before = snapshot(db)
    report = run(db, "customer", path, _mapping(None))
    assert report.status == "failed"
    assert [(e.row, e.column, e.value) for e in report.errors] == [(5, "external_id", "C1")]
    assert report.errors[0].reason == (
        "2 customer keys repeat with different values, e.g. rows 2 and 5 differ in name "
        "('Acme' / 'ACME Ltd'), segment ('SMB' / 'Enterprise'); set on_duplicate: first or "
        "last in the mapping to keep the first or the last row of each (identical repeated "
        "rows are merged by themselves)"
    )
    assert snapshot(db) == before


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("first", [("C1", "Acme", "SMB"), ("C2", "Beta", "SMB")]),
        ("last", [("C1", "ACME Ltd", "Enterprise"), ("C2", "Beta", "Enterprise")]),
    ],
)
def test_on_duplicate_first_or_last_keeps_that_row(
    db: Db, tmp_path: Path, policy: str, expected: list[tuple[str, str, str]]
) -> None:
    path = _customers(
        tmp_path,
        [
            ["C1", "Acme", "SMB"],
            ["C2", "Beta", "SMB"],
            ["C1", "ACME Ltd", "Enterprise"],
            ["C2", "Beta", "Enterprise"],
            ["C1", "Acme", "SMB"],  # identical to the first row, but the last C1 row
        ],
    )
    report = ok(db, "customer", path, _mapping(policy))
    assert (report.inserted, report.merged) == (2, 3)
    got = rows(db, "SELECT external_id, name, segment FROM customer ORDER BY 1")
    if policy == "last":  # the last row of C1 is row 6, the same as the first
        expected = [("C1", "Acme", "SMB"), expected[1]]
    assert got == expected


def test_facts_with_a_repeated_key_stay_errors(db: Db, tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="on_duplicate applies to org_unit, rep, product"):
        parse_mapping({"entity": "order_line", "on_duplicate": "last", "columns": {}})
    path = write_csv(
        tmp_path / "o.csv",
        [["order_no", "order_date", "amount"], ["S1", "2024-01-02", "5"]] * 1
        + [["S1", "2024-01-02", "5"]],
    )
    report = run(db, "order_line", path)
    assert [(e.row, e.reason) for e in report.errors] == [
        (3, "duplicate record: the same key as row 2 (the key is order_no + line_no; map a "
         "column to line_no)")
    ]  # fmt: skip


# ------------------------------------------------------------------ import sheet


def _sample_checks(db: Db) -> None:
    assert count(db, "customer") == 5
    assert count(db, "product") == 5
    assert count(db, "order_line") == 30
    assert count(db, "order_header") == 12
    # on_duplicate: last — KH002 became an enterprise customer on its last order
    assert rows(db, "SELECT segment FROM customer WHERE external_id = 'KH002'") in (
        [("企业",)],
        [("Enterprise",)],
    )
    # on_duplicate: first — CP02's first spelling wins
    assert rows(db, "SELECT name FROM product WHERE external_id = 'CP02'") in (
        [("云端CRM 专业版",)],
        [("Cloud CRM Pro",)],
    )
    # exact money: the file's totals to the last digit (amounts with four decimals)
    [(amount, cost)] = rows(db, "SELECT sum(amount), sum(cost) FROM order_line")
    assert (amount, amount - cost) == (SAMPLE_TOTAL, SAMPLE_PROFIT)
    [(line,)] = rows(db, "SELECT amount FROM order_line WHERE order_no = 'SO1005' AND line_no = 2")
    assert line == Decimal("5748.1112")


@pytest.mark.parametrize("variant", ["", "-en"])
def test_sample_sheet_imports_with_one_mapping(db: Db, variant: str) -> None:
    sheet = DOCS / "samples" / f"flat-sales-sheet{variant}.csv"
    mapping = DOCS / "mappings" / f"flat-sales-sheet{variant}.yaml"
    report = import_sheet(db.engine, sheet, mapping)
    assert report.status == "ok", [str(e) for e in report.errors]
    assert [s.entity for s in report.sections] == ["product", "customer", "order_line"]
    assert [(s.inserted, s.merged) for s in report.sections] == [(5, 25), (5, 25), (30, 0)]
    assert report.encoding == "utf-8-sig"
    _sample_checks(db)
    assert report.quality is not None and report.quality.problems == []
    runs = rows(db, "SELECT entity, inserted, status FROM import_run ORDER BY id")
    assert runs == [("product", 5, "ok"), ("customer", 5, "ok"), ("order_line", 30, "ok")]
    again = import_sheet(db.engine, sheet, mapping)
    assert [(s.inserted, s.updated, s.unchanged) for s in again.sections] == [
        (0, 0, 5),
        (0, 0, 5),
        (0, 0, 30),
    ]


def test_sheet_failing_in_its_last_section_leaves_nothing(db: Db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "s.csv",
        [
            ["订单号", "日期", "客户编号", "客户名称", "产品", "金额"],
            ["S1", "03/01/2026", "K1", "甲公司", "P1", "10.5"],
            ["S2", "04/01/2026", "K2", "乙公司", "P404", "20"],  # no such product
        ],
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        'date_format: "%d/%m/%Y"\n'
        "entities:\n"
        "  order_line: {columns: {order_no: 订单号, order_date: 日期, customer: 客户编号,"
        " product: 产品, amount: 金额}}\n"
        "  customer: {columns: {external_id: 客户编号, name: 客户名称}}\n",
        encoding="utf-8",
    )
    write_csv(tmp_path / "p.csv", [["external_id", "name"], ["P1", "Widget"]])
    ok(db, "product", tmp_path / "p.csv")
    before = snapshot(db)
    report = import_sheet(db.engine, path, mapping)
    assert report.status == "failed"
    assert [s.entity for s in report.sections] == ["customer", "order_line"]
    assert [s.status for s in report.sections] == ["ok", "failed"]  # customers loaded first
    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (3, "产品", "P404", "order_line: no product with this external id or name")
    ]
    assert snapshot(db) == before  # ... and rolled back with the rest
    assert rows(db, "SELECT entity, errors, status FROM import_run ORDER BY id DESC LIMIT 1") == [
        ("sheet", 1, "failed")
    ]


def test_sheet_reports_conversion_errors_of_every_section(db: Db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "s.csv",
        [["No", "Date", "Cust", "Amount", "Limit"], ["S1", "2026-01-03", "K1", "x", "y"]],
    )
    customer = {"external_id": "Cust", "name": "Cust", "credit_limit": "Limit"}
    lines = {"order_no": "No", "order_date": "Date", "customer": "Cust", "amount": "Amount"}
    mapping = {"entities": {"customer": {"columns": customer}, "order_line": {"columns": lines}}}
    report = import_sheet(db.engine, path, parse_sheet_mapping(mapping))
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (2, "Amount", "order_line: not a number"),
        (2, "Limit", "customer: not a number"),
    ]
    assert count(db, "customer") == 0


def test_sheet_dry_run_writes_nothing(db: Db) -> None:
    sheet = DOCS / "samples" / "flat-sales-sheet.csv"
    mapping = DOCS / "mappings" / "flat-sales-sheet.yaml"
    report = import_sheet(db.engine, sheet, mapping, dry_run=True)
    assert report.status == "dry-run"
    assert [s.inserted for s in report.sections] == [5, 5, 30]
    assert report.quality is not None
    assert count(db, "order_line") == 0
    assert count(db, "customer") == 0


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"columns": {}}, "a sheet mapping needs an 'entities:' section"),
        ({"entities": {"client": {"columns": {"name": "N"}}}}, "entities.client: unknown entity"),
        ({"entities": {"customer": {"columns": {"name": "N"}, "sheet": "x"}}}, "key(s) sheet"),
        ({"entities": {"customer": {}}}, "entities.customer: give the section's columns"),
        ({"entities": {"customer": {"columns": {"nom": "N"}}}}, "customer has no field 'nom'"),
        ({"on_duplicate": "newest", "entities": {"customer": {"columns": {"name": "N"}}}},
         "on_duplicate must be one of error, first, last"),
    ],
)  # fmt: skip
def test_sheet_mapping_errors(doc: dict[str, object], message: str) -> None:
    with pytest.raises(MappingError) as exc:
        parse_sheet_mapping(doc)
    assert message in str(exc.value)


def test_file_level_keys_apply_to_every_section() -> None:
    sheet = parse_sheet_mapping(
        {
            "date_format": "%d/%m/%Y",
            "on_duplicate": "last",
            "on_unknown_reference": "create",
            "entities": {
                "order_line": {"columns": {"order_no": "No"}, "on_unknown_reference": "reject"},
                "customer": {"columns": {"external_id": "C"}},
            },
        }
    )
    customer, order_line = sheet.sections
    assert (customer.date_format, customer.on_duplicate, customer.on_unknown_reference) == (
        "%d/%m/%Y",
        "last",
        "create",
    )
    # the section's own key wins; on_duplicate is for the dimensions only
    assert (order_line.date_format, order_line.on_duplicate) == ("%d/%m/%Y", "error")
    assert order_line.on_unknown_reference == "reject"


def test_cli_import_sheet(db: Db, tmp_path: Path) -> None:
    sheet = str(DOCS / "samples" / "flat-sales-sheet.csv")
    mapping = str(DOCS / "mappings" / "flat-sales-sheet.yaml")
    result = runner.invoke(app, ["import", "sheet", sheet, "--mapping", mapping])
    assert result.exit_code == 0, result.output
    assert "Imported 30 row(s) of flat-sales-sheet.csv into 3 entities" in result.output
    assert "customer: 5 new, 0 updated, 0 unchanged (25 repeated row(s) merged)" in result.output
    assert "Data quality: no problems found (10 checks)." in result.output
    metric = runner.invoke(app, ["metric", "revenue", "--format", "json"])
    assert metric.exit_code == 0, metric.output
    assert '"value": 238932.3059' in metric.output
    no_mapping = runner.invoke(app, ["import", "sheet", sheet])
    assert no_mapping.exit_code == 2
    single = runner.invoke(app, ["import", "customer", sheet, "--mapping", mapping])
    assert single.exit_code == 1
    assert "import it with `salesops import sheet" in single.output


@pytest.mark.parametrize(
    ("variant", "amount", "profit"), [("", "金额", "利润"), ("-en", "Sales", "Profit")]
)
def test_a_new_user_imports_a_flat_export_with_one_command(
    db: Db, variant: str, amount: str, profit: str
) -> None:
    """Tried as a new user would (issue 18): a public-style flat order-line export — customer
    and product attributes on every line, day-first dates, a BOM, profit instead of cost —
    goes in with one mapping file and one command, and the board's totals equal the file's,
    summed exactly from its own text, to the last digit."""
    import csv

    from salesops.metrics.engine import MetricsEngine
    from salesops.metrics.query import MetricQuery

    sheet = DOCS / "samples" / f"flat-sales-sheet{variant}.csv"
    assert sheet.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM a spreadsheet writes
    with sheet.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.DictReader(fh))
    file_amount = sum(Decimal(r[amount]) for r in lines)
    file_profit = sum(Decimal(r[profit]) for r in lines)
    mapping = DOCS / "mappings" / f"flat-sales-sheet{variant}.yaml"
    result = runner.invoke(app, ["import", "sheet", str(sheet), "--mapping", str(mapping)])
    assert result.exit_code == 0, result.output
    engine = MetricsEngine(db.engine)
    board = {
        metric: engine.query(MetricQuery(metric)).rows[0]["value"]
        for metric in ("revenue", "gross_profit", "orders", "active_customers")
    }
    assert board == {
        "revenue": float(file_amount),
        "gross_profit": float(file_profit),
        "orders": len({r[next(iter(r))] for r in lines}),
        "active_customers": 5,
    }
    [(stored_amount, stored_cost)] = rows(db, "SELECT sum(amount), sum(cost) FROM order_line")
    assert (stored_amount, stored_amount - stored_cost) == (file_amount, file_profit)
    assert f"{board['revenue']:.4f}" == f"{file_amount:.4f}"  # every digit the file has
