"""Small demo companies for the tests, and table fingerprints to compare databases."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import Engine, text

from salesops.demo import DATA_TABLES, DemoConfig

TODAY = dt.date(2026, 11, 22)
#: five reps (four plus a replacement), two regions, two years and a bit
TINY = DemoConfig(
    seed=7,
    today=TODAY,
    regions=2,
    reps=5,
    customers=50,
    opportunities=300,
    order_lines=2_000,
)
#: big enough that the board's stories show (a declining region, laggards, churn ...)
STORY = DemoConfig(
    seed=42,
    today=TODAY,
    regions=3,
    reps=16,
    customers=400,
    opportunities=4_000,
    order_lines=30_000,
)


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608


def rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


def fingerprint(engine: Engine, table: str) -> str:
    """SHA-256 over every row of ``table`` in id order (values as text)."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        result = conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))  # noqa: S608
        for row in result:
            digest.update(repr(tuple(_plain(v) for v in row)).encode())
    return digest.hexdigest()


def fingerprints(engine: Engine) -> dict[str, str]:
    return {table: fingerprint(engine, table) for table in DATA_TABLES}


def _plain(value: Any) -> Any:
    # Both drivers give Decimal/date/datetime/str/int/bool; bools and ints stay as they are.
    return str(value) if value is not None else None
