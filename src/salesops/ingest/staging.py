"""Bulk-load converted rows into a temporary staging table, in the import's transaction.

DuckDB reads the Arrow table directly (zero-copy scan of a registered view); PostgreSQL gets
it through ``COPY ... FROM STDIN`` as CSV written by Arrow. Both are orders of magnitude faster
than inserting rows one by one.
"""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection, text

STAGING = "_imp_stg"


def _sql_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_integer(arrow_type):
        return "BIGINT"
    if pa.types.is_date(arrow_type):
        return "DATE"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMP"
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    return "VARCHAR"


def drop_temp(conn: Connection, *names: str) -> None:
    """Drop our temporary tables if they exist (the names are ours, never user input)."""
    for name in names:
        conn.execute(text(f"DROP TABLE IF EXISTS {name}"))


def load_staging(conn: Connection, table: pa.Table, name: str = STAGING) -> None:
    """Create temporary table ``name`` shaped like ``table`` and fill it with its rows."""
    create_staging(conn, table.schema, name)
    append_staging(conn, table, name)
    analyze_staging(conn, name)


def create_staging(conn: Connection, schema: pa.Schema, name: str = STAGING) -> None:
    """Create (anew) the empty temporary table ``name`` with the columns of ``schema``."""
    drop_temp(conn, name)
    columns = ", ".join(f"{f.name} {_sql_type(f.type)}" for f in schema)
    conn.execute(text(f"CREATE TEMPORARY TABLE {name} ({columns})"))


def append_staging(conn: Connection, table: pa.Table, name: str = STAGING) -> None:
    """Append ``table``'s rows (one batch of a file) to the staging table ``name``."""
    if not table.num_rows:
        return
    raw = conn.connection.driver_connection
    if conn.dialect.name == "duckdb":
        view = f"{name}_arrow"
        raw.register(view, table)  # type: ignore[union-attr]
        try:
            raw.execute(f"INSERT INTO {name} SELECT * FROM {view}")  # type: ignore[union-attr]  # noqa: S608
        finally:
            raw.unregister(view)  # type: ignore[union-attr]
        return
    # PostgreSQL: Arrow writes CSV (nulls as empty, unquoted), COPY reads it.
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False))
    names = ", ".join(table.schema.names)
    copy_sql = f"COPY {name} ({names}) FROM STDIN (FORMAT csv)"
    with raw.cursor() as cur, cur.copy(copy_sql) as copy:  # type: ignore[union-attr]
        data = memoryview(buffer.getbuffer())
        step = 8 << 20
        for start in range(0, len(data), step):
            copy.write(data[start : start + step])


def analyze_staging(conn: Connection, name: str = STAGING) -> None:
    """Give PostgreSQL's planner the staged rows' statistics (once every batch is in)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ANALYZE {name}"))
