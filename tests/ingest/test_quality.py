"""The data-quality report: each check on hand-made data, after an import and on demand."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from salesops.cli.main import app
from salesops.ingest import parse_mapping
from salesops.ingest.quality import quality_report
from tests.conftest import Db
from tests.ingest.helpers import ok, seed_customers, write_csv

runner = CliRunner(env={"COLUMNS": "240"})

_LINES = [
    ["order_no", "line_no", "order_date", "customer", "rep", "amount"],
    ["S1", "1", "2024-01-05", "C1", "R1", "100"],
    ["S1", "2", "2024-01-06", "C2", "R2", "50"],  # another customer, rep and date
    ["S2", "1", "2024-02-01", "C1", "R1", "-20"],  # negative, and 120 from the median
    ["S3", "1", "2024-02-02", "C1", "R1", "90"],
    ["S4", "1", "2024-02-03", "C1", "R1", "95"],
    ["S5", "1", "2024-02-04", "C1", "R1", "100"],
    ["S6", "1", "2024-02-05", "C1", "R1", "105"],
    ["S7", "1", "2024-02-06", "C1", "R1", "110"],
    ["S8", "1", "2024-02-07", "C9", "R1", "100"],  # C9 is created on the fly
    ["S9", "1", "2024-02-08", "C1", "R1", "100000"],  # a missing decimal point
]
# Normal amounts sorted: -20 50 90 95 100 100 100 105 110 100000: median 100; distances
# 120 50 10 5 0 0 0 5 10 99900 sorted: 0 0 0 5 5 10 10 50 120 99900: MAD 7.5, so the range
# is 100 ± 75: S2 (-20) and S9 (100000) are out of it.

_DEALS = [
    ["external_id", "name", "customer", "status", "amount", "created_on", "closed_on"],
    ["O1", "Deal 1", "C1", "won", "", "2024-01-01", "2024-02-01"],  # won, no amount
    ["O2", "Deal 2", "C1", "won", "1000", "2024-01-01", ""],  # won, no close date
    ["O3", "Deal 3", "C1", "lost", "1000", "2024-03-10", "2024-03-01"],  # closed first
    ["O4", "Deal 4", "C1", "lost", "1000", "2024-01-01", "2024-01-20"],  # MAD 0: not checked
]

EXPECTED = {
    "order_customers": (1, ["order S1: C1 … C2"]),
    "order_reps": (1, ["order S1: R1 … R2"]),
    "order_dates": (1, ["order S1: 2024-01-05 … 2024-01-06"]),
    "won_without_amount": (1, ["O1 (Deal 1)"]),
    "won_without_closed_on": (1, ["O2 (Deal 2)"]),
    "closed_before_created": (1, ["O3: created 2024-03-10, closed 2024-03-01"]),
    "negative_amounts": (1, ["order line S2/1: -20"]),
    "amount_outliers": (
        2,
        [
            "order line S9/1: 100000 (median 100.00, MAD 7.50)",
            "order line S2/1: -20 (median 100.00, MAD 7.50)",
        ],
    ),
    "customers_without_region": (2, ["C2 (北京乙公司)", "C9 (C9)"]),
    "created_on_the_fly": (1, ["customer C9"]),
}


def _load(db: Db, tmp_path: Path) -> dict[str, tuple[int, list[str]]]:
    seed_customers(db, tmp_path)
    ok(db, "opportunity", write_csv(tmp_path / "o.csv", _DEALS))
    mapping = parse_mapping(
        {
            "entity": "order_line",
            "on_unknown_reference": "create",
            "columns": {c: c for c in _LINES[0]},
        }
    )
    report = ok(db, "order_line", write_csv(tmp_path / "l.csv", _LINES), mapping)
    assert report.quality is not None
    assert report.created == {"customer": 1}
    found = {f.check: (f.count, f.examples) for f in report.quality.findings}
    titles = {f.check: f.title for f in report.quality.findings}
    assert titles["created_on_the_fly"].endswith("— this import created 1 customer")
    return found


def test_every_check_after_an_import(db: Db, tmp_path: Path) -> None:
    assert _load(db, tmp_path) == EXPECTED


def test_a_clean_database_has_no_problems(db: Db, tmp_path: Path) -> None:
    with db.engine.connect() as conn:
        report = quality_report(conn)
    assert len(report.findings) == 10
    assert report.problems == []
    assert all(f.fix for f in report.findings)


def test_check_command_table_and_json(db: Db, tmp_path: Path) -> None:
    _load(db, tmp_path)
    result = runner.invoke(app, ["check", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {f["check"]: (f["count"], f["examples"]) for f in data["findings"]} == EXPECTED
    table = runner.invoke(app, ["check"])
    assert table.exit_code == 0, table.output
    assert "Data quality: 10 of 10 checks found something" in table.output
    assert "Orders whose lines name different customers: 1" in table.output
    assert "    - order S1: C1 … C2" in table.output
    out = tmp_path / "q.json"
    assert runner.invoke(app, ["check", "-f", "json", "-o", str(out)]).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8")) == data
    assert runner.invoke(app, ["check", "--format", "csv"]).exit_code == 2


def test_import_prints_the_report_after_its_summary(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    path = write_csv(tmp_path / "l.csv", _LINES[:3])
    result = runner.invoke(app, ["import", "order_line", str(path)])
    assert result.exit_code == 0, result.output
    summary = result.output.index("Imported 2 order_line row(s)")
    report = result.output.index("Data quality: 4 of 10 checks found something")
    assert summary < report
    assert "Customers without a region: 1" in result.output
