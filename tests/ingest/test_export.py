"""Export: canonical names, references as external ids, read back by the importer unchanged."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
from sqlalchemy import text

from salesops.db.schema import ENTITY_TABLES
from salesops.ingest import export_entity
from tests.conftest import Db
from tests.ingest.helpers import count, ok, rows, write_csv

FILES: dict[str, list[list[str]]] = {
    "org_unit": [
        ["external_id", "name", "kind", "parent", "region"],
        ["CO", "总公司", "company", "", ""],
        ["G1", "华东大区", "region", "CO", "华东"],
        ["T1", "上海一组", "team", "G1", "华东"],
    ],
    "rep": [
        ["external_id", "name", "email", "org_unit", "manager", "region", "hired_on", "left_on",
         "active"],
        ["R1", "王伟", "wang@example.com", "T1", "", "华东", "2020-02-29", "", "yes"],
        ["R2", "Li Na", "", "T1", "R1", "华东", "2021-07-01", "2024-06-30", "no"],
    ],
    "product": [
        ["external_id", "name", "product_line", "list_price", "unit_cost"],
        ["P1", "ERP 标准版", "ERP", "12000.00", "4000.50"],
        ["P2", "Widget, large", "", "", ""],
    ],
    "customer": [
        ["external_id", "name", "industry", "segment", "size", "region", "city",
         "source_channel", "owner", "created_on", "credit_limit"],
        ["C1", "上海甲公司", "制造", "KA", "100-499", "华北", "上海", "展会", "R1",
         "2023-05-06", "500000.00"],
        ["C2", 'Quote "Inc"', "", "", "", "", "", "", "", "", ""],
    ],
    "pipeline_stage": [
        ["pipeline", "name", "position", "probability", "kind"],
        ["default", "Qualify", "1", "0.1", "open"],
        ["default", "赢单", "2", "1", "won"],
    ],
    "opportunity": [
        ["external_id", "name", "customer", "owner", "product", "region", "pipeline",
         "source_channel", "stage", "status", "amount", "probability", "created_on",
         "expected_close_on", "closed_on", "competitor", "lost_reason"],
        ["O1", "ERP 项目", "C1", "R1", "P1", "西南", "default", "Web", "Qualify", "open",
         "120000.00", "0.25", "2024-01-10", "2024-06-30", "", "用友", ""],
        ["O2", "", "C2", "", "", "", "default", "", "赢单", "won", "10.50", "", "2024-02-01",
         "", "2024-03-01", "", ""],
    ],
    "opportunity_change": [
        ["opportunity", "field", "old_value", "new_value", "changed_at", "source"],
        ["O1", "amount", "100000.00", "120000.00", "2024-02-01 09:30:15", "api"],
    ],
    "lead": [
        ["external_id", "source_channel", "created_on", "customer", "owner",
         "converted_opportunity", "status", "region"],
        ["L1", "Web", "2024-01-02", "C1", "R2", "O1", "converted", ""],
    ],
    "order_line": [
        ["order_no", "line_no", "order_date", "customer", "rep", "product", "region", "channel",
         "quantity", "amount", "cost", "status"],
        ["S1", "1", "2024-03-05", "C1", "R1", "P1", "", "直销", "2", "24000.00", "8001.00",
         "normal"],
        ["S1", "2", "2024-03-05", "C1", "R1", "P2", "华南", "", "1.5", "99.99", "", "returned"],
    ],
    "payment": [
        ["external_id", "customer", "rep", "region", "order_no", "due_date", "due_amount",
         "paid_date", "paid_amount"],
        ["PAY1", "C1", "R1", "", "S1", "2024-04-05", "24000.00", "2024-04-20", "12000.00"],
    ],
    "activity": [
        ["external_id", "kind", "customer", "rep", "opportunity", "region", "at"],
        ["A1", "visit", "C1", "R1", "O1", "", "2024-03-01 14:05:09"],
    ],
    "feedback": [
        ["external_id", "customer", "rep", "region", "received_on", "channel", "nps", "csat",
         "category", "priority", "status", "assignee", "text", "resolved_on"],
        ["F1", "C1", "", "", "2024-03-02", "电话", "9", "4", "service", "high", "resolved", "R2",
         "响应很快，\n但是报价单有误, \"请核对\"", "2024-03-09"],
    ],
    "marketing_spend": [
        ["channel", "period_start", "period_grain", "amount", "region"],
        ["展会", "2024-03-01", "month", "50000.00", "华东"],
        ["Online", "2024-03-01", "month", "1234.56", ""],
    ],
    "market_size": [
        ["region", "product_line", "period_start", "period_grain", "amount"],
        ["华东", "ERP", "2024-01-01", "year", "90000000.00"],
    ],
    "target": [
        ["external_id", "metric", "period_grain", "period_start", "scope_kind", "org_unit", "rep",
         "region", "product_line", "value", "parent"],
        ["TG1", "revenue", "year", "2024-01-01", "company", "", "", "", "", "10000000", ""],
        ["TG2", "revenue", "quarter", "2024-01-01", "rep", "", "R1", "", "", "2500000.5", "TG1"],
    ],
    "announcement": [
        ["external_id", "kind", "text_zh", "text_en", "valid_from", "valid_to"],
        ["AN1", "goal", "今年目标：一个亿", "Goal: 100 M", "2024-01-01", "2024-12-31"],
    ],
}  # fmt: skip


def _load_everything(db: Db, tmp_path: Path) -> None:
    for entity, data in FILES.items():
        ok(db, entity, write_csv(tmp_path / f"in_{entity}.csv", data))


def _export_all(db: Db, folder: Path) -> dict[str, str]:
    folder.mkdir()
    out = {}
    for entity in ENTITY_TABLES:
        path = folder / f"{entity}.csv"
        export_entity(db.engine, entity, path, "csv")
        out[entity] = path.read_text(encoding="utf-8-sig")
    return out


def _empty(db: Db) -> None:
    from salesops.db.schema import metadata

    with db.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table.name not in ("alembic_version", "audit_event"):  # append-only
                conn.execute(text(f"DELETE FROM {table.name}"))  # noqa: S608


def test_export_writes_canonical_fields_and_external_ids(db: Db, tmp_path: Path) -> None:
    _load_everything(db, tmp_path)
    exported = _export_all(db, tmp_path / "out")
    assert list(csv.reader(exported["rep"].splitlines())) == [
        ["external_id", "name", "email", "org_unit", "manager", "region", "hired_on", "left_on",
         "active"],
        ["R1", "王伟", "wang@example.com", "T1", "", "华东", "2020-02-29", "", "true"],
        ["R2", "Li Na", "", "T1", "R1", "华东", "2021-07-01", "2024-06-30", "false"],
    ]  # fmt: skip
    assert list(csv.reader(exported["order_line"].splitlines())) == [
        FILES["order_line"][0],
        ["S1", "1", "2024-03-05", "C1", "R1", "P1", "华东", "直销", "2.0000", "24000.0000",
         "8001.0000", "normal"],
        ["S1", "2", "2024-03-05", "C1", "R1", "P2", "华南", "", "1.5000", "99.9900", "",
         "returned"],
    ]  # fmt: skip
    assert exported["activity"].splitlines()[1] == "A1,visit,C1,R1,O1,华东,2024-03-01 14:05:09"
    assert exported["marketing_spend"].splitlines()[1:] == [
        "展会|2024-03-01|month|华东,展会,2024-03-01,month,50000.0000,华东",
        "Online|2024-03-01|month|,Online,2024-03-01,month,1234.5600,",
    ]


def test_round_trip_into_an_empty_database(db: Db, tmp_path: Path) -> None:
    _load_everything(db, tmp_path)
    first = _export_all(db, tmp_path / "first")
    counts = {entity: count(db, entity) for entity in ENTITY_TABLES}
    assert counts["opportunity_change"] == 5  # 2 × initial stage and status, 1 from the file
    _empty(db)
    assert count(db, "customer") == 0
    for entity in ENTITY_TABLES:
        ok(db, entity, tmp_path / "first" / f"{entity}.csv")
    second = _export_all(db, tmp_path / "second")
    assert second == first
    assert {entity: count(db, entity) for entity in ENTITY_TABLES} == counts


def test_xlsx_export_round_trip(db: Db, tmp_path: Path) -> None:
    _load_everything(db, tmp_path)
    path = tmp_path / "lines.xlsx"
    assert export_entity(db.engine, "order_line", path, "xlsx") == 2
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == FILES["order_line"][0]
    assert values[2][:4] == ["S1", "2", "2024-03-05", "C1"]
    before = rows(db, "SELECT order_no, line_no, amount, cost, quantity, status FROM order_line")
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM order_line"))
        conn.execute(text("DELETE FROM order_header"))
    ok(db, "order_line", path)
    after = rows(db, "SELECT order_no, line_no, amount, cost, quantity, status FROM order_line")
    assert after == before
    assert rows(db, "SELECT action, target FROM audit_event WHERE action = 'export'") == [
        ("export", "order_line:lines.xlsx")
    ]
