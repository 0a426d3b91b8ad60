"""Import rules: atomicity, idempotency, references, value maps, defaults, sales region, derived."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

from salesops.ingest.errors import write_errors_csv
from tests.conftest import Db
from tests.ingest.helpers import count, ok, rows, run, seed_customers, snapshot, write_csv

ORDER_HEADER = ["order_no", "line_no", "order_date", "customer", "rep", "product", "amount"]


def test_one_bad_row_among_good_ones_changes_nothing(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    first = write_csv(
        tmp_path / "o1.csv",
        [ORDER_HEADER, ["S1", "1", "2024-01-02", "C1", "R1", "", "100"]],
    )
    ok(db, "order_line", first)
    before = snapshot(db)
    path = write_csv(
        tmp_path / "o2.csv",
        [
            ORDER_HEADER,
            ["S1", "1", "2024-01-02", "C1", "R1", "", "150"],  # would update
            ["S2", "1", "2024-01-03", "C2", "R3", "", "200"],
            ["S3", "1", "2024-01-04", "C1", "R1", "", "2OO"],  # letter O, not zero
            ["S4", "1", "2024-01-05", "C1", "R1", "", "300"],
        ],
    )
    report = run(db, "order_line", path)
    assert report.status == "failed"
    assert [(e.file, e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (str(path), 4, "amount", "2OO", "not a number")
    ]
    assert report.inserted == 0 and report.updated == 0
    assert snapshot(db) == before
    assert count(db, "order_line") == 1


def test_reimport_changes_nothing_and_a_changed_row_updates(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    data = [
        ORDER_HEADER,
        ["S1", "1", "2024-01-02", "C1", "R1", "", "100"],
        ["S1", "2", "2024-01-02", "C1", "R1", "", "50"],
        ["S2", "1", "2024-02-03", "C2", "R3", "", "200"],
    ]
    path = write_csv(tmp_path / "o.csv", data)
    first = ok(db, "order_line", path)
    assert (first.inserted, first.updated, first.unchanged) == (3, 0, 0)
    before = snapshot(db)
    again = ok(db, "order_line", path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert again.data_version is None  # nothing changed: the data version stays
    assert snapshot(db) == before
    data[2][6] = "75"
    changed = ok(db, "order_line", write_csv(tmp_path / "o.csv", data))
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 2)
    assert rows(db, "SELECT order_no, line_no, amount FROM order_line ORDER BY id") == [
        ("S1", 1, Decimal("100.00")),
        ("S1", 2, Decimal("75.00")),
        ("S2", 1, Decimal("200.00")),
    ]
    assert rows(db, "SELECT order_no, amount, lines FROM order_header ORDER BY order_no") == [
        ("S1", Decimal("175.00"), 2),
        ("S2", Decimal("200.00"), 1),
    ]


def test_duplicate_key_in_one_file(db: Db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        [["external_id", "name"], ["P1", "A"], ["P2", "B"], ["P1", "A again"]],
    )
    report = run(db, "product", path)  # a dimension: one error for all repeated keys
    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (4, "external_id", "P1", "1 product key repeats with different values, e.g. rows 2 "
         "and 4 differ in name ('A' / 'A again'); set on_duplicate: first or last in the "
         "mapping to keep the first or the last row of each (identical repeated rows are "
         "merged by themselves)")
    ]  # fmt: skip
    # One row per order line but no line number: the message says what the key is and what
    # is missing.
    lines = write_csv(
        tmp_path / "l.csv",
        [
            ["order_no", "order_date", "amount"],
            ["S1", "2024-01-05", "10"],
            ["S1", "2024-01-05", "20"],
        ],
    )
    mapping = tmp_path / "l.yaml"
    mapping.write_text(
        "entity: order_line\non_unknown_reference: create\ncolumns:\n  order_no: order_no\n"
        "  order_date: order_date\n  amount: amount\n",
        encoding="utf-8",
    )
    report = run(db, "order_line", lines, mapping)
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (
            3,
            "order_no",
            "duplicate record: the same key as row 2 (the key is order_no + line_no; "
            "map a column to line_no)",
        )
    ]


def test_references_by_name_case_insensitive_and_trimmed(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    path = write_csv(
        tmp_path / "o.csv",
        [
            ORDER_HEADER,
            ["S1", "1", "2024-01-02", "  acme LTD ", " wang wei", "", "1"],
            ["S2", "1", "2024-01-02", "北京乙公司", "LI NA  ", "", "1"],
            ["S3", "1", "2024-01-02", "C2", "R3", "", "1"],
        ],
    )
    ok(db, "order_line", path)
    assert rows(
        db,
        "SELECT l.order_no, c.external_id, r.external_id FROM order_line l "
        "JOIN customer c ON c.id = l.customer_id JOIN rep r ON r.id = l.rep_id ORDER BY l.id",
    ) == [("S1", "C1", "R1"), ("S2", "C2", "R2"), ("S3", "C2", "R3")]


def test_ambiguous_name_is_an_error(db: Db, tmp_path: Path) -> None:
    write_csv(
        tmp_path / "c.csv",
        [["external_id", "name"], ["C1", "Acme"], ["C2", "ACME "]],
    )
    ok(db, "customer", tmp_path / "c.csv")
    path = write_csv(
        tmp_path / "o.csv", [["external_id", "customer"], ["O1", "acme"], ["O2", "C2"]]
    )
    report = run(db, "opportunity", path)
    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (2, "customer", "acme", "2 customer records have this name; use the external id")
    ]


def _orders_with_unknowns(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "o.csv",
        [
            ORDER_HEADER,
            ["S1", "1", "2024-01-02", "C1", "R1", "Widget", "10"],
            ["S2", "1", "2024-01-02", "New Co", "R1", "widget", "20"],
            ["S3", "1", "2024-01-02", "new co", "Nobody", "", "30"],
        ],
    )


def test_unknown_reference_reject(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    report = run(db, "order_line", _orders_with_unknowns(tmp_path))
    assert report.status == "failed"
    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (2, "product", "Widget", "no product with this external id or name"),
        (3, "customer", "New Co", "no customer with this external id or name"),
        (3, "product", "widget", "no product with this external id or name"),
        (4, "customer", "new co", "no customer with this external id or name"),
        (4, "rep", "Nobody", "no rep with this external id or name"),
    ]
    assert count(db, "order_line") == 0 and count(db, "product") == 0


def test_unknown_reference_create(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    path = _orders_with_unknowns(tmp_path)
    mapping = {"on_unknown_reference": "create", "columns": {h: h for h in ORDER_HEADER}}
    report = ok(db, "order_line", path, _mapping(tmp_path, "order_line", mapping))
    assert report.created == {"customer": 1, "product": 1, "rep": 1}
    assert rows(db, "SELECT external_id, name FROM product") == [("Widget", "Widget")]
    assert rows(db, "SELECT external_id, name FROM customer WHERE id > 2") == [("New Co", "New Co")]
    assert rows(
        db,
        "SELECT l.order_no, c.external_id, r.external_id, p.external_id FROM order_line l "
        "JOIN customer c ON c.id = l.customer_id JOIN rep r ON r.id = l.rep_id "
        "LEFT JOIN product p ON p.id = l.product_id ORDER BY l.id",
    ) == [
        ("S1", "C1", "R1", "Widget"),
        ("S2", "New Co", "R1", "Widget"),
        ("S3", "New Co", "Nobody", None),
    ]


def test_unknown_reference_null(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    path = _orders_with_unknowns(tmp_path)
    mapping = {"on_unknown_reference": "null", "columns": {h: h for h in ORDER_HEADER}}
    report = ok(db, "order_line", path, _mapping(tmp_path, "order_line", mapping))
    assert report.nulled == 5
    assert rows(
        db, "SELECT order_no, customer_id, rep_id, product_id FROM order_line ORDER BY id"
    ) == [("S1", 1, 1, None), ("S2", None, 1, None), ("S3", None, None, None)]
    assert count(db, "customer") == 2


def _mapping(tmp_path: Path, entity: str, body: dict[str, object]) -> Path:
    import yaml

    path = tmp_path / f"{entity}.yaml"
    path.write_text(yaml.safe_dump({"entity": entity, **body}, allow_unicode=True), "utf-8")
    return path


def test_value_maps_with_star_and_defaults(db: Db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "opps.csv",
        [
            ["Id", "Stage", "Prob"],
            ["O1", "Closed Won", ""],
            ["O2", "closed lost", "10"],
            ["O3", "Negotiation", ""],
            ["O4", "", ""],
        ],
    )
    mapping = _mapping(
        tmp_path,
        "opportunity",
        {
            "columns": {
                "external_id": "Id",
                "stage": {"column": "Stage", "map": {"Closed Won": "赢单", "Closed Lost": "输单"}},
                "status": {
                    "column": "Stage",
                    "map": {"Closed Won": "won", "Closed Lost": "lost", "*": "open"},
                },
                "probability": {"column": "Prob", "default": "50%"},
                "source_channel": {"default": "Trade show"},
            }
        },
    )
    ok(db, "opportunity", path, mapping)
    assert rows(
        db,
        "SELECT external_id, stage, status, probability, source_channel FROM opportunity "
        "ORDER BY id",
    ) == [
        ("O1", "赢单", "won", Decimal("0.5000"), "Trade show"),
        ("O2", "输单", "lost", Decimal("0.1000"), "Trade show"),
        ("O3", "Negotiation", "open", Decimal("0.5000"), "Trade show"),
        ("O4", None, "open", Decimal("0.5000"), "Trade show"),
    ]


def test_missing_mapped_column_is_an_error(db: Db, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [["Code", "Title"], ["P1", "A"]])
    mapping = _mapping(
        tmp_path, "product", {"columns": {"external_id": "Code", "name": "Product Name"}}
    )
    report = run(db, "product", path, mapping)
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (
            None,
            "Product Name",
            "mapped to name, but the file has no such column; its columns are: Code, Title",
        )
    ]
    # --map fixes it without editing the mapping file
    ok(db, "product", path, mapping, overrides=["name=Title"])
    assert rows(db, "SELECT external_id, name FROM product") == [("P1", "A")]


def test_unmapped_columns_are_ignored_and_required_fields_checked(db: Db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.csv",
        [["external_id", "name", "Notes"], ["C1", "Acme", "ignored"], ["C2", "", "x"]],
    )
    report = run(db, "customer", path)
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (3, "name", "a value is required")
    ]
    # a new record needs its required fields even when they are not mapped
    path = write_csv(tmp_path / "c2.csv", [["external_id", "city"], ["C9", "上海"]])
    report = run(db, "customer", path)
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (2, "name", "name is required (map a column to it)")
    ]


def test_partial_reimport_keeps_unmapped_fields(db: Db, tmp_path: Path) -> None:
    ok(
        db,
        "customer",
        write_csv(
            tmp_path / "c.csv",
            [["external_id", "name", "city", "credit_limit"], ["C1", "Acme", "上海", "5000"]],
        ),
    )
    ok(
        db,
        "customer",
        write_csv(tmp_path / "c2.csv", [["external_id", "credit_limit"], ["C1", "8000"]]),
    )
    assert rows(db, "SELECT name, city, credit_limit FROM customer") == [
        ("Acme", "上海", Decimal("8000.00"))
    ]


def test_dry_run_validates_references_and_writes_nothing(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    before = snapshot(db)
    good = write_csv(
        tmp_path / "o.csv",
        [ORDER_HEADER, ["S1", "1", "2024-01-02", "C1", "R1", "", "10"]],
    )
    report = run(db, "order_line", good, dry_run=True)
    assert report.status == "dry-run" and report.inserted == 1
    assert snapshot(db) == before
    bad = write_csv(
        tmp_path / "o2.csv",
        [ORDER_HEADER, ["S1", "1", "2024-01-02", "C404", "R1", "", "10"]],
    )
    report = run(db, "order_line", bad, dry_run=True)
    assert report.status == "failed"
    assert [(e.row, e.value) for e in report.errors] == [(2, "C404")]
    assert snapshot(db) == before
    assert rows(db, "SELECT status FROM import_run ORDER BY id")[-2:] == [("dry-run",), ("failed",)]


def test_errors_out_csv(db: Db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        [["external_id", "name", "list_price"], ["P1", "", "1"], ["P2", "B", "¥abc"]],
    )
    report = run(db, "product", path)
    out = tmp_path / "errors.csv"
    write_errors_csv(report.errors, out)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.reader(fh)) == [
            ["file", "row", "column", "value", "reason"],
            [str(path), "2", "name", "", "a value is required"],
            [str(path), "3", "list_price", "¥abc", "not a number"],
        ]


def test_sales_region_resolution_order(db: Db, tmp_path: Path) -> None:
    # R1, R2 in 华东; R3 in 华南; C1 in 华北; C2 without region
    seed_customers(db, tmp_path)
    write_csv(tmp_path / "r.csv", [["external_id", "name"], ["R4", "No Region"]])
    ok(db, "rep", tmp_path / "r.csv")
    path = write_csv(
        tmp_path / "o.csv",
        [
            [*ORDER_HEADER, "region"],
            ["S1", "1", "2024-01-02", "C1", "R3", "", "1", "西南"],  # own region wins
            ["S2", "1", "2024-01-02", "C1", "R3", "", "1", ""],  # else the rep's
            ["S3", "1", "2024-01-02", "C1", "R4", "", "1", ""],  # else the customer's
            ["S4", "1", "2024-01-02", "C2", "", "", "1", ""],  # else none
        ],
    )
    ok(db, "order_line", path)
    assert rows(
        db,
        "SELECT l.order_no, g.name FROM order_line l LEFT JOIN region g ON g.id = l.region_id "
        "ORDER BY l.id",
    ) == [("S1", "西南"), ("S2", "华南"), ("S3", "华北"), ("S4", None)]
    assert rows(
        db,
        "SELECT h.order_no, g.name FROM order_header h LEFT JOIN region g ON g.id = h.region_id "
        "ORDER BY h.order_no",
    ) == [("S1", "西南"), ("S2", "华南"), ("S3", "华北"), ("S4", None)]


def test_profit_instead_of_cost(db: Db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "o.csv",
        [
            ["order_no", "order_date", "amount", "profit"],
            ["S1", "2024-01-02", "1,000.00", "250.50"],
            ["S2", "2024-01-02", "80", "-20"],
            ["S3", "2024-01-02", "80", ""],
        ],
    )
    ok(db, "order_line", path)
    assert rows(db, "SELECT order_no, line_no, amount, cost FROM order_line ORDER BY id") == [
        ("S1", 1, Decimal("1000.00"), Decimal("749.50")),
        ("S2", 1, Decimal("80.00"), Decimal("100.00")),
        ("S3", 1, Decimal("80.00"), None),
    ]


def test_order_headers_and_customer_order_dates(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    path = write_csv(
        tmp_path / "o.csv",
        [
            [*ORDER_HEADER, "status", "cost"],
            ["S1", "1", "2024-01-02", "C1", "R1", "", "100", "normal", "60"],
            ["S1", "2", "2024-01-02", "C1", "R1", "", "40", "returned", "10"],
            ["S2", "1", "2024-03-05", "C1", "R1", "", "10", "normal", ""],
            ["S3", "1", "2024-05-06", "C1", "R1", "", "99", "cancelled", ""],
            ["S4", "1", "2023-12-31", "C2", "R3", "", "5", "normal", "1"],
        ],
    )
    ok(db, "order_line", path)
    assert rows(
        db,
        "SELECT order_no, order_date, amount, cost, normal_lines, lines FROM order_header "
        "ORDER BY order_no",
    ) == [
        ("S1", dt.date(2024, 1, 2), Decimal("100.00"), Decimal("60.00"), 1, 2),
        ("S2", dt.date(2024, 3, 5), Decimal("10.00"), None, 1, 1),
        ("S3", dt.date(2024, 5, 6), None, None, 0, 1),
        ("S4", dt.date(2023, 12, 31), Decimal("5.00"), Decimal("1.00"), 1, 1),
    ]
    assert rows(
        db, "SELECT external_id, first_order_on, last_order_on FROM customer ORDER BY id"
    ) == [
        ("C1", dt.date(2024, 1, 2), dt.date(2024, 3, 5)),
        ("C2", dt.date(2023, 12, 31), dt.date(2023, 12, 31)),
    ]
    assert rows(db, "SELECT count(*) FROM order_line WHERE order_id IS NULL") == [(0,)]


def test_import_run_and_audit_event(db: Db, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [["external_id", "name"], ["P1", "A"], ["P2", "B"]])
    report = ok(db, "product", path)
    assert rows(
        db, "SELECT entity, rows_read, inserted, updated, unchanged, errors, status FROM import_run"
    ) == [("product", 2, 2, 0, 0, 0, "ok")]
    assert report.run_id == rows(db, "SELECT id FROM import_run")[0][0]
    audit = rows(db, "SELECT actor, action, target FROM audit_event")
    assert audit == [("cli", "import", "product:p.csv")]


def test_self_references_within_one_file(db: Db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "org.csv",
        [
            ["external_id", "name", "kind", "parent"],
            ["T1", "East Team", "team", "east region"],  # parent by name, later in the file
            ["G1", "East Region", "region", "CO"],
            ["CO", "Company", "company", ""],
        ],
    )
    ok(db, "org_unit", path)
    assert rows(
        db,
        "SELECT o.external_id, p.external_id FROM org_unit o "
        "LEFT JOIN org_unit p ON p.id = o.parent_id ORDER BY o.id",
    ) == [("T1", "G1"), ("G1", "CO"), ("CO", None)]
    reps = write_csv(
        tmp_path / "rep.csv",
        [
            ["external_id", "name", "manager", "org_unit"],
            ["R1", "Boss", "", "T1"],
            ["R2", "A", "R1", "T1"],
        ],
    )
    ok(db, "rep", reps)
    # the manager moves to another team while reps point at him (DuckDB's FK pitfall)
    moved = write_csv(
        tmp_path / "rep2.csv",
        [
            ["external_id", "name", "manager", "org_unit"],
            ["R1", "Boss", "", "G1"],
            ["R2", "A", "R1", "T1"],
        ],
    )
    report = ok(db, "rep", moved)
    assert (report.updated, report.unchanged) == (1, 1)
    bad = write_csv(
        tmp_path / "rep3.csv", [["external_id", "name", "manager"], ["R3", "B", "Ghost"]]
    )
    report = run(db, "rep", bad)
    assert [(e.row, e.column, e.value) for e in report.errors] == [(2, "manager", "Ghost")]
    assert count(db, "rep") == 2


def test_a_large_import_refreshes_the_planner_statistics(db: Db, tmp_path: Path) -> None:
    from salesops.ingest.loader import ANALYZE_ROWS

    rows_ = [["external_id", "name"]] + [[f"P{i}", f"Product {i}"] for i in range(ANALYZE_ROWS)]
    report = ok(db, "product", write_csv(tmp_path / "many.csv", rows_))
    assert report.inserted == ANALYZE_ROWS
    if db.kind == "postgresql":
        # ANALYZE ran in the import's transaction: PostgreSQL knows the table's size (a
        # table never analysed says -1).
        tuples = rows(
            db,
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass('product')",
        )
        assert tuples == [(float(ANALYZE_ROWS),)]
