"""Real-world exports: a messy Salesforce file, and every sample mapping in docs/mappings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from salesops.ingest import load_mapping, load_sheet_mapping
from tests.conftest import Db
from tests.ingest.helpers import count, ok, rows, run, seed_customers, write_csv

MAPPINGS = Path(__file__).resolve().parents[2] / "docs" / "mappings"

SALESFORCE_HEADER = [
    "Opportunity ID",
    "Opportunity Name",
    "Account Name",
    "Opportunity Owner",
    "Stage",
    "Amount",
    "Probability (%)",
    "Close Date",
    "Created Date",
    "Lead Source",
    "Type",
    "Next Step",
]


def _salesforce_rows(owner_of_row_5: str) -> list[list[str]]:
    return [
        SALESFORCE_HEADER,
        ["0065g00000AbCdE", "Acme - ERP Rollout", "Acme Ltd", "Wang Wei", "Prospecting",
         "$12,500.00", "10", "3/15/2024", "1/5/2024", "Web", "New Business", ""],
        ["0065g00000AbCdF", "Acme - Support Renewal", "acme ltd ", "wang wei ", "Closed Won",
         "$3,000.00", "100", "2/28/2024", "1/20/2024", "", "Existing Business", "Invoice"],
        ["0065g00000AbCdG", "北京乙公司 - CRM", "北京乙公司", "LI NA", "Closed Lost",
         "$8,250.50", "0", "4/2/2024", "2/1/2024", "Trade Show", "New Business", ""],
        ["0065g00000AbCdH", "Acme - Pilot", "Acme Ltd", owner_of_row_5, "Negotiation/Review",
         "", "60", "12/31/2024", "3/3/2024", "Partner Referral", "", ""],
    ]  # fmt: skip


def test_salesforce_export_with_a_misspelled_owner(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)  # reps Wang Wei, Li Na, Zhang San; customers Acme Ltd, 北京乙公司
    mapping = MAPPINGS / "salesforce-opportunities.yaml"
    path = write_csv(tmp_path / "report1712.csv", _salesforce_rows("Zhang Sna"))
    report = run(db, "opportunity", path, mapping)
    assert report.status == "failed"
    assert [(e.file, e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (str(path), 5, "Opportunity Owner", "Zhang Sna", "no rep with this external id or name")
    ]
    assert count(db, "opportunity") == 0

    fixed = write_csv(tmp_path / "report1712.csv", _salesforce_rows("zhang san"))
    report = ok(db, "opportunity", fixed, mapping)
    assert report.inserted == 4
    assert rows(
        db,
        "SELECT o.external_id, o.name, c.external_id, r.external_id, o.stage, o.status, o.amount,"
        " o.probability, o.expected_close_on, o.closed_on, o.created_on, o.source_channel,"
        " g.name FROM opportunity o JOIN customer c ON c.id = o.customer_id"
        " JOIN rep r ON r.id = o.owner_id LEFT JOIN region g ON g.id = o.region_id ORDER BY o.id",
    ) == [
        ("0065g00000AbCdE", "Acme - ERP Rollout", "C1", "R1", "Prospecting", "open",
         Decimal("12500.00"), Decimal("0.1000"), dt.date(2024, 3, 15), None,
         dt.date(2024, 1, 5), "Web", "华东"),
        ("0065g00000AbCdF", "Acme - Support Renewal", "C1", "R1", "Closed Won", "won",
         Decimal("3000.00"), Decimal("1.0000"), dt.date(2024, 2, 28), dt.date(2024, 2, 28),
         dt.date(2024, 1, 20), None, "华东"),
        ("0065g00000AbCdG", "北京乙公司 - CRM", "C2", "R2", "Closed Lost", "lost",
         Decimal("8250.50"), Decimal("0.0000"), dt.date(2024, 4, 2), dt.date(2024, 4, 2),
         dt.date(2024, 2, 1), "Trade Show", "华东"),
        ("0065g00000AbCdH", "Acme - Pilot", "C1", "R3", "Negotiation/Review", "open",
         None, Decimal("0.6000"), dt.date(2024, 12, 31), None, dt.date(2024, 3, 3),
         "Partner Referral", "华南"),
    ]  # fmt: skip


def test_salesforce_export_with_create_policy(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    path = write_csv(tmp_path / "sf.csv", _salesforce_rows("Zhang Sna"))
    mapping = load_mapping(MAPPINGS / "salesforce-opportunities.yaml")
    from dataclasses import replace

    report = ok(db, "opportunity", path, replace(mapping, on_unknown_reference="create"))
    assert report.created == {"rep": 1}
    assert rows(db, "SELECT external_id, name, active FROM rep WHERE name = 'Zhang Sna'") == [
        ("Zhang Sna", "Zhang Sna", True)
    ]


@pytest.mark.parametrize("path", sorted(MAPPINGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_sample_mapping_parses(path: Path) -> None:
    from salesops.ingest.fields import ENTITIES

    if "entities:" in path.read_text(encoding="utf-8"):  # a sheet mapping (import sheet)
        sheet = load_sheet_mapping(path)
        assert all(m.columns and m.entity in ENTITIES for m in sheet.sections)
        return
    mapping = load_mapping(path)
    assert mapping.columns
    assert mapping.entity in ENTITIES


OPPORTUNITY_SAMPLES = {
    "hubspot-deals.yaml": (
        ["Record ID", "Deal Name", "Associated Company", "Deal owner", "Pipeline", "Deal Stage",
         "Amount", "Close Date", "Create Date", "Original Source", "Closed Lost Reason"],
        ["9001", "Acme deal", "Acme Ltd", "Wang Wei", "Sales Pipeline", "Closed lost",
         "12000", "2024-04-30 00:00", "2024-01-15 09:12", "Organic Search", "Price"],
    ),
    "zoho-crm-deals.yaml": (
        ["Record Id", "Deal Name", "Account Name", "Deal Owner", "Stage", "Amount",
         "Probability (%)", "Closing Date", "Created Time", "Lead Source", "Reason For Loss"],
        ["zcrm_5001", "Acme deal", "Acme Ltd", "Wang Wei", "Closed-Lost to Competition",
         "12000", "0", "2024-04-30", "2024-01-15 09:12:00", "Web Download", "Price"],
    ),
    "fxiaoke-opportunities.yaml": (
        ["商机编号", "商机名称", "客户名称", "负责人", "销售阶段", "商机金额", "赢率",
         "预计成交日期", "结单日期", "创建时间", "商机来源", "输单原因", "竞争对手"],
        ["SJ-0001", "甲公司ERP项目", "Acme Ltd", "Wang Wei", "输单", "￥12,000.00", "0%",
         "2024-04-30", "2024-04-30", "2024-01-15 09:12", "展会", "价格", "用友"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(OPPORTUNITY_SAMPLES))
def test_opportunity_sample_mappings_import(db: Db, tmp_path: Path, name: str) -> None:
    seed_customers(db, tmp_path)
    header, row = OPPORTUNITY_SAMPLES[name]
    encoding = "gbk" if name.startswith("fxiaoke") else "utf-8"
    path = write_csv(tmp_path / "export.csv", [header, row], encoding=encoding)
    ok(db, "opportunity", path, MAPPINGS / name)
    assert rows(
        db,
        "SELECT o.status, o.amount, o.closed_on, o.created_on, c.external_id, r.external_id "
        "FROM opportunity o JOIN customer c ON c.id = o.customer_id "
        "JOIN rep r ON r.id = o.owner_id",
    ) == [("lost", Decimal("12000.00"), dt.date(2024, 4, 30), dt.date(2024, 1, 15), "C1", "R1")]


def test_plain_spreadsheet_mapping_imports_an_xlsx(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    ok(
        db,
        "product",
        write_csv(tmp_path / "p.csv", [["external_id", "name"], ["P1", "ERP 标准版"]]),
    )
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["订单号", "行号", "下单日期", "客户", "销售", "产品", "渠道", "数量", "金额",
               "毛利", "状态", "大区", "备注"])  # fmt: skip
    ws.append(["XS-001", 1, "2024/03/05", "北京乙公司", "Zhang San", "ERP 标准版", "", 2,
               "¥20,000.00", "¥8,000.00", "正常", "华北", "老客户"])  # fmt: skip
    ws.append(["XS-001", 2, "2024/03/05", "北京乙公司", "Zhang San", "P1", "代理", 1,
               "5000", "1000", "退货", "", ""])  # fmt: skip
    ws.append(["XS-002", None, dt.datetime(2024, 3, 6), "Acme Ltd", "Wang Wei", "", "", None,
               "100", "", "", "", ""])  # fmt: skip
    path = tmp_path / "销售明细.xlsx"
    book.save(path)
    report = ok(db, "order_line", path, MAPPINGS / "spreadsheet-orders.yaml")
    assert report.inserted == 3
    assert rows(
        db,
        "SELECT l.order_no, l.line_no, l.order_date, c.external_id, r.external_id, l.channel,"
        " l.quantity, l.amount, l.cost, l.status, g.name FROM order_line l"
        " JOIN customer c ON c.id = l.customer_id JOIN rep r ON r.id = l.rep_id"
        " LEFT JOIN region g ON g.id = l.region_id ORDER BY l.id",
    ) == [
        ("XS-001", 1, dt.date(2024, 3, 5), "C2", "R3", "直销", Decimal("2"),
         Decimal("20000.00"), Decimal("12000.00"), "normal", "华北"),
        ("XS-001", 2, dt.date(2024, 3, 5), "C2", "R3", "代理", Decimal("1"),
         Decimal("5000.00"), Decimal("4000.00"), "returned", "华南"),
        ("XS-002", 1, dt.date(2024, 3, 6), "C1", "R1", "直销", None,
         Decimal("100.00"), None, "normal", "华东"),
    ]  # fmt: skip
