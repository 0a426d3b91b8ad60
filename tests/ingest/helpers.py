"""Small helpers for the importer tests: write files, run imports, read tables back."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import text

from salesops.ingest import ImportReport, import_file
from tests.conftest import Db

#: tables whose content an import may change (import_run / audit_event are logs)
DATA_TABLES = [
    "region",
    "org_unit",
    "rep",
    "product",
    "customer",
    "pipeline_stage",
    "opportunity",
    "opportunity_change",
    "lead",
    "order_header",
    "order_line",
    "payment",
    "activity",
    "feedback",
    "marketing_spend",
    "market_size",
    "target",
    "announcement",
    "data_version",
]


def write_csv(path: Path, rows: list[list[Any]], encoding: str = "utf-8") -> Path:
    """Write rows (the first is the header) as CSV in ``encoding``."""
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def run(db: Db, entity: str, path: Path, mapping: Any = None, **kwargs: Any) -> ImportReport:
    """Import and return the report."""
    return import_file(db.engine, entity, path, mapping, **kwargs)


def ok(db: Db, entity: str, path: Path, mapping: Any = None, **kwargs: Any) -> ImportReport:
    """Import and assert it worked."""
    report = run(db, entity, path, mapping, **kwargs)
    assert report.status == "ok", [str(e) for e in report.errors]
    return report


def rows(db: Db, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Rows of a query, as tuples."""
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def count(db: Db, table: str) -> int:
    """Number of rows in ``table``."""
    return int(rows(db, f"SELECT count(*) FROM {table}")[0][0])  # noqa: S608


def snapshot(db: Db) -> dict[str, list[tuple[Any, ...]]]:
    """Every data table's rows, sorted: to compare a database before and after."""
    out = {}
    for table in DATA_TABLES:
        out[table] = sorted(rows(db, f"SELECT * FROM {table}"), key=repr)  # noqa: S608
    return out


def seed_reps(db: Db, tmp_path: Path) -> None:
    """Two regions, a team and three reps (R1 and R2 in 华东, R3 in 华南)."""
    write_csv(
        tmp_path / "seed_org.csv",
        [["external_id", "name", "kind", "region"], ["T1", "East Team", "team", "华东"]],
    )
    ok(db, "org_unit", tmp_path / "seed_org.csv")
    write_csv(
        tmp_path / "seed_rep.csv",
        [
            ["external_id", "name", "org_unit", "region", "email"],
            ["R1", "Wang Wei", "T1", "华东", "wang@example.com"],
            ["R2", "Li Na", "T1", "华东", ""],
            ["R3", "Zhang San", "", "华南", ""],
        ],
    )
    ok(db, "rep", tmp_path / "seed_rep.csv")


def seed_customers(db: Db, tmp_path: Path) -> None:
    """Reps plus customers C1 (华北, owner R1) and C2 (no region, owner R3)."""
    seed_reps(db, tmp_path)
    write_csv(
        tmp_path / "seed_customer.csv",
        [
            ["external_id", "name", "region", "owner", "industry"],
            ["C1", "Acme Ltd", "华北", "R1", "Manufacturing"],
            ["C2", "北京乙公司", "", "R3", "Retail"],
        ],
    )
    ok(db, "customer", tmp_path / "seed_customer.csv")
