"""Odoo-shaped source databases for the pull tests: ``res_partner``, ``crm_stage``,
``crm_lead`` and ``sale_order`` / ``sale_order_line`` tables made in a database (MariaDB) or
schema (PostgreSQL) of their own, on the servers that run on these machines."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text

MARIADB_URL = "mysql+pymysql://root@127.0.0.1:3306/test"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

TABLES = [
    "CREATE TABLE res_partner (id INTEGER PRIMARY KEY, name VARCHAR(200), ref VARCHAR(40), "
    "industry VARCHAR(100), city VARCHAR(100), is_company BOOLEAN, create_date TIMESTAMP NULL)",
    "CREATE TABLE crm_stage (id INTEGER PRIMARY KEY, name VARCHAR(100), sequence INTEGER, "
    "is_won BOOLEAN)",
    "CREATE TABLE crm_lead (id INTEGER PRIMARY KEY, name VARCHAR(200), partner_id INTEGER, "
    "stage_id INTEGER, expected_revenue NUMERIC(16,2), probability NUMERIC(5,2), "
    "type VARCHAR(20), active BOOLEAN, create_date TIMESTAMP NULL, date_deadline DATE, "
    "description TEXT)",
    "CREATE TABLE sale_order (id INTEGER PRIMARY KEY, name VARCHAR(40), partner_id INTEGER, "
    "date_order TIMESTAMP NULL, state VARCHAR(20), amount_total NUMERIC(16,2))",
    "CREATE TABLE sale_order_line (id INTEGER PRIMARY KEY, order_id INTEGER, sequence INTEGER, "
    "name VARCHAR(200), product_uom_qty NUMERIC(12,3), price_subtotal NUMERIC(16,2))",
]
PARTNERS = [
    (1, "华东机械有限公司", "C001", "Manufacturing", "上海", True, dt.datetime(2026, 1, 5, 9, 0)),
    (2, "Acme, Inc.", "C002", "Retail", "Berlin", True, dt.datetime(2026, 2, 1, 10, 30)),
    (3, 'Quote "Co"\nline two', "C003", None, None, True, None),
]
STAGES = [(1, "New", 1, False), (2, "Proposition", 2, False), (3, "Won", 3, True)]
LEADS = [
    (
        10,
        "Big deal",
        1,
        2,
        Decimal("12000.50"),
        Decimal("40"),
        "opportunity",
        True,
        dt.datetime(2026, 3, 1, 8, 0),
        dt.date(2026, 6, 30),
        "=cmd|' /C calc'!A0",
    ),
    (
        11,
        "Small deal",
        2,
        3,
        Decimal("800.00"),
        Decimal("100"),
        "opportunity",
        True,
        dt.datetime(2026, 3, 2, 8, 0),
        None,
        None,
    ),
    (12, "A lead only", 2, 1, None, None, "lead", True, None, None, None),
]
ORDERS = [
    (100, "SO100", 1, dt.datetime(2026, 4, 1, 14, 0), "sale", Decimal("1500.00")),
    (101, "SO101", 2, dt.datetime(2026, 4, 2, 9, 0), "cancel", Decimal("99.90")),
]
LINES = [
    (1000, 100, 10, "Pump", Decimal("2"), Decimal("1000.00")),
    (1001, 100, 20, "Valve", Decimal("5"), Decimal("500.00")),
    (1002, 101, 10, "Seal", Decimal("1"), Decimal("99.90")),
]


@dataclass
class CrmDb:
    """A source database: its URL (no password) and how to qualify a table name."""

    kind: str  # mariadb | postgresql
    url: str
    prefix: str  # "" (MariaDB: its own database) or "schema." (PostgreSQL)

    def t(self, name: str) -> str:
        return self.prefix + name


def _fill(conn: object, prefix: str) -> None:
    run = conn.execute  # type: ignore[attr-defined]
    for ddl in TABLES:
        run(text(ddl.replace("CREATE TABLE ", "CREATE TABLE " + prefix, 1)))
    inserts = {
        "res_partner": (PARTNERS, "id, name, ref, industry, city, is_company, create_date"),
        "crm_stage": (STAGES, "id, name, sequence, is_won"),
        "crm_lead": (
            LEADS,
            "id, name, partner_id, stage_id, expected_revenue, probability, type, active, "
            "create_date, date_deadline, description",
        ),
        "sale_order": (ORDERS, "id, name, partner_id, date_order, state, amount_total"),
        "sale_order_line": (LINES, "id, order_id, sequence, name, product_uom_qty, price_subtotal"),
    }
    for table, (values, columns) in inserts.items():
        names = [c.strip() for c in columns.split(",")]
        params = ", ".join(f":{n}" for n in names)
        run(
            text(f"INSERT INTO {prefix}{table} ({columns}) VALUES ({params})"),  # noqa: S608
            [dict(zip(names, v, strict=True)) for v in values],
        )


@pytest.fixture(scope="module", params=["mariadb", "postgresql"])
def crm(request: pytest.FixtureRequest) -> Iterator[CrmDb]:
    """An Odoo-shaped database on MariaDB and on PostgreSQL."""
    name = f"odoo_{uuid.uuid4().hex[:10]}"
    if request.param == "mariadb":
        admin = create_engine(MARIADB_URL)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
        url = MARIADB_URL.rsplit("/", 1)[0] + f"/{name}?charset=utf8mb4"
        source = create_engine(url)
        with source.begin() as conn:
            _fill(conn, "")
        source.dispose()
        yield CrmDb("mariadb", url, "")
        with admin.begin() as conn:
            conn.execute(text(f"DROP DATABASE {name}"))
    else:
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {name}"))
            _fill(conn, f"{name}.")
        yield CrmDb("postgresql", PG_URL, f"{name}.")
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
    admin.dispose()
