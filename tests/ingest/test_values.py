"""Cell values: numbers, percentages, dates (explicit, detected, ambiguous), choices, yes/no."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from tests.conftest import Db
from tests.ingest.helpers import count, ok, rows, run, write_csv


def test_number_formats(db: Db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        [
            ["external_id", "name", "list_price", "unit_cost"],
            ["P1", "yuan", "¥1,234.50", "￥ 1 000"],
            ["P2", "dollar", "$12,500.00", "(1,234.00)"],
            ["P3", "rmb", "RMB 88", "99元"],
            ["P4", "percent", "12.5%", ""],
            ["P5", "plain", "-0.5", " 7 "],
        ],
    )
    ok(db, "product", path)
    assert rows(db, "SELECT external_id, list_price, unit_cost FROM product ORDER BY id") == [
        ("P1", Decimal("1234.50"), Decimal("1000.00")),
        ("P2", Decimal("12500.00"), Decimal("-1234.00")),
        ("P3", Decimal("88.00"), Decimal("99.00")),
        ("P4", Decimal("0.1250"), None),  # 12.5 % = 0.125: money keeps four places
        ("P5", Decimal("-0.50"), Decimal("7.00")),
    ]


def test_decimal_comma(db: Db, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        "external_id;name;list_price;unit_cost\nP1;A;1 234,50;1.234,5\nP2;B;0,99;12,5%\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        'entity: product\ndecimal: ","\ncolumns:\n  external_id: external_id\n  name: name\n'
        "  list_price: list_price\n  unit_cost: unit_cost\n",
        encoding="utf-8",
    )
    ok(db, "product", path, mapping)
    assert rows(db, "SELECT list_price, unit_cost FROM product ORDER BY id") == [
        (Decimal("1234.50"), Decimal("1234.50")),
        (Decimal("0.99"), Decimal("0.125")),
    ]


def test_not_a_number_is_a_row_error(db: Db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        [["external_id", "name", "list_price"], ["P1", "A", "12"], ["P2", "B", "twelve"]],
    )
    report = run(db, "product", path)
    assert report.status == "failed"
    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (3, "list_price", "twelve", "not a number")
    ]


def test_probability_percent_and_fraction(db: Db, tmp_path: Path) -> None:
    fractions = write_csv(
        tmp_path / "a.csv",
        [["external_id", "probability"], ["O1", "0.3"], ["O2", "12.5%"], ["O3", ""]],
    )
    ok(db, "opportunity", fractions)
    percents = write_csv(
        tmp_path / "b.csv", [["external_id", "probability"], ["O4", "30"], ["O5", "5"]]
    )
    ok(db, "opportunity", percents)  # a column whose values exceed 1 holds percentages
    assert rows(db, "SELECT external_id, probability FROM opportunity ORDER BY id") == [
        ("O1", Decimal("0.3000")),
        ("O2", Decimal("0.1250")),
        ("O3", None),
        ("O4", Decimal("0.3000")),
        ("O5", Decimal("0.0500")),
    ]
    bad = write_csv(tmp_path / "c.csv", [["external_id", "probability"], ["O6", "150%"]])
    report = run(db, "opportunity", bad)
    assert [(e.row, e.value, e.reason) for e in report.errors] == [
        (2, "150%", "must be between 0 and 1 (or 0% and 100%)")
    ]


def test_integers_and_ranges(db: Db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "f.csv",
        [
            ["external_id", "nps", "csat"],
            ["F1", "9", "5"],
            ["F2", "10.0", ""],
            ["F3", "11", "0"],
            ["F4", "7.5", "3"],
        ],
    )
    report = run(db, "feedback", path)
    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (4, "csat", "0", "must be between 1 and 5"),
        (4, "nps", "11", "must be between 0 and 10"),
        (5, "nps", "7.5", "not a whole number"),
    ]
    assert count(db, "feedback") == 0


def test_dates_detected_when_unambiguous(db: Db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "o.csv",
        [
            ["external_id", "status", "created_on", "expected_close_on", "closed_on"],
            ["O1", "won", "03/01/2019", "2019年3月1日", "20190301"],
            ["O2", "lost", "25/12/2019", "2019年12月25日", "20191225"],
            ["O3", "won", "2019-06-30", "", ""],  # ISO is always read, whatever the format
        ],
    )
    ok(db, "opportunity", path)
    assert rows(
        db, "SELECT created_on, expected_close_on, closed_on FROM opportunity ORDER BY id"
    ) == [
        (dt.date(2019, 1, 3), dt.date(2019, 3, 1), dt.date(2019, 3, 1)),
        (dt.date(2019, 12, 25), dt.date(2019, 12, 25), dt.date(2019, 12, 25)),
        (dt.date(2019, 6, 30), None, None),
    ]


def test_ambiguous_dates_stop_the_import_and_list_the_formats(db: Db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "o.csv",
        [["external_id", "created_on"], ["O1", "03/01/19"], ["O2", "04/02/19"]],
    )
    report = run(db, "opportunity", path)
    assert report.status == "failed"
    assert len(report.errors) == 1
    error = report.errors[0]
    assert (error.row, error.column, error.value) == (None, "created_on", "03/01/19")
    assert error.reason == (
        "ambiguous dates: '03/01/19' fits %d/%m/%y (2019-01-03), %m/%d/%y (2019-03-01), "
        "%y/%m/%d (2003-01-19); set the column's format in the mapping (format: ...) "
        "or date_format"
    )
    assert count(db, "opportunity") == 0


def test_per_column_date_format_resolves_ambiguity(db: Db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "o.csv",
        [
            ["Id", "Created", "Close"],
            ["O1", "03/01/19", "01.02.2019"],
            ["O2", "04/02/19", "bad"],
        ],
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "entity: opportunity\n"
        'date_format: "%d.%m.%Y"\n'
        "columns:\n"
        "  external_id: Id\n"
        '  created_on: {column: Created, format: "%m/%d/%y"}\n'
        "  expected_close_on: Close\n",
        encoding="utf-8",
    )
    report = run(db, "opportunity", path, mapping)
    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (3, "Close", "bad", "not a date in the format %d.%m.%Y")
    ]
    path = write_csv(
        tmp_path / "o.csv",
        [["Id", "Created", "Close"], ["O1", "03/01/19", "01.02.2019"], ["O2", "04/02/19", ""]],
    )
    ok(db, "opportunity", path, mapping)
    assert rows(db, "SELECT created_on, expected_close_on FROM opportunity ORDER BY id") == [
        (dt.date(2019, 3, 1), dt.date(2019, 2, 1)),
        (dt.date(2019, 4, 2), None),
    ]


def test_date_not_matching_the_rest_of_the_column(db: Db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "o.csv",
        [
            ["order_no", "order_date", "amount"],
            ["S1", "31/01/2024", "1"],
            ["S2", "28/02/2024", "1"],
            ["S3", "yesterday", "1"],
        ],
    )
    report = run(db, "order_line", path)
    assert [(e.row, e.value, e.reason) for e in report.errors] == [
        (4, "yesterday", "not a date in the format of the rest of the column (%d/%m/%Y)")
    ]


def test_timestamps_are_local_times_stored_in_utc(db: Db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv",
        [
            ["external_id", "kind", "at"],
            ["A1", "Visit", "2024-03-01 09:30"],
            ["A2", "web visit", "2024-03-01T10:00:00+00:00"],
            ["A3", "CALL", "3/13/2024 2:05 PM"],
        ],
    )
    ok(db, "activity", path)  # time zone: Asia/Shanghai (UTC+8), the default setting
    assert rows(db, "SELECT external_id, kind, occurred_at FROM activity ORDER BY id") == [
        ("A1", "visit", dt.datetime(2024, 3, 1, 1, 30)),
        ("A2", "web_visit", dt.datetime(2024, 3, 1, 10, 0)),
        ("A3", "call", dt.datetime(2024, 3, 13, 6, 5)),
    ]


def test_choices_and_booleans(db: Db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "r.csv",
        [
            ["external_id", "name", "active"],
            ["R1", "A", "是"],
            ["R2", "B", "No"],
            ["R3", "C", "maybe"],
        ],
    )
    report = run(db, "rep", path)
    assert [(e.row, e.value, e.reason) for e in report.errors] == [
        (4, "maybe", "not a yes/no value (true/false, yes/no, 1/0, 是/否)")
    ]
    path = write_csv(
        tmp_path / "a.csv", [["external_id", "kind", "at"], ["A1", "lunch", "2024-01-01"]]
    )
    report = run(db, "activity", path)
    assert [(e.column, e.value, e.reason) for e in report.errors] == [
        ("kind", "lunch", "must be one of visit, call, email, meeting, web_visit, event")
    ]


def test_text_longer_than_the_column(db: Db, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [["external_id", "name"], ["P" * 101, "A"]])
    report = run(db, "product", path)
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (2, "external_id", "longer than 100 characters")
    ]
