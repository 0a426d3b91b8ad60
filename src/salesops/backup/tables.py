"""Tables as Arrow: which tables, their columns' portable types, reading, checksums, loading.

The tables are those of :data:`salesops.db.schema.metadata` that exist in the database (a
table added to the schema later is backed up without any change here), in dependency order.
Columns are read from ``information_schema`` rather than from the metadata, because a database
at an older schema revision has the columns of that revision.

Portable types (the manifest's ``type``): ``int16``, ``int32``, ``int64``, ``float32``,
``float64``, ``bool``, ``string``, ``date``, ``timestamp`` (UTC, microseconds, no zone) and
``decimal(P,S)``. Both databases' values are cast to these before they are hashed or written,
so the same content gives the same Parquet schema and the same checksum from either database.

The checksum of a table is SHA-256 over its rows in primary-key order, each row its cells
joined by ``,`` and ended by a newline, each cell ``LENGTH:TEXT`` (or ``~`` for NULL) where
TEXT is the value as Arrow casts it to a string: decimals with their column's fixed scale,
dates ``YYYY-MM-DD``, timestamps ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC), booleans
``true``/``false``, floats in their shortest round-trip form.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Sequence, Table, text

from salesops.backup.errors import BackupError
from salesops.db.schema import metadata

if TYPE_CHECKING:
    import pyarrow as pa

BATCH_ROWS = 65_536


@dataclass(frozen=True)
class Column:
    """A column of a table as archived: its name and portable type."""

    name: str
    type: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "type": self.type}


def quote(name: str) -> str:
    """A quoted identifier (our own table and column names only)."""
    return '"' + name.replace('"', '""') + '"'


def existing_tables(conn: Connection) -> list[Table]:
    """The schema's tables present in the database, parents before children."""
    present = {
        str(name)
        for name in conn.execute(
            text(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            )
        ).scalars()
    }
    return [t for t in metadata.sorted_tables if t.name in present]


_DECIMAL = re.compile(r"(?:DECIMAL|NUMERIC)\s*\((\d+)\s*,\s*(\d+)\)")
_SIMPLE = {
    "SMALLINT": "int16",
    "INTEGER": "int32",
    "INT": "int32",
    "BIGINT": "int64",
    "REAL": "float32",
    "FLOAT": "float32",
    "DOUBLE": "float64",
    "DOUBLE PRECISION": "float64",
    "BOOLEAN": "bool",
    "VARCHAR": "string",
    "CHARACTER VARYING": "string",
    "TEXT": "string",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITHOUT TIME ZONE": "timestamp",
}


def portable_type(data_type: str, precision: Any, scale: Any) -> str:
    """The portable type of an ``information_schema`` column description."""
    upper = data_type.upper().strip()
    match = _DECIMAL.fullmatch(upper)
    if match:
        return f"decimal({match[1]},{match[2]})"
    if upper in ("DECIMAL", "NUMERIC"):
        if precision is None:
            raise BackupError("a NUMERIC column without precision cannot be archived exactly")
        return f"decimal({int(precision)},{int(scale or 0)})"
    if upper.startswith("VARCHAR") or upper.startswith("CHARACTER VARYING"):
        return "string"
    if upper in _SIMPLE:
        return _SIMPLE[upper]
    raise BackupError(f"column type {data_type!r} is not supported by backup")


def table_columns(conn: Connection, table: str) -> list[Column]:
    """The columns of ``table`` as they are in the database, in table order."""
    rows = conn.execute(
        text(
            "SELECT column_name, data_type, numeric_precision, numeric_scale "
            "FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = :t "
            "ORDER BY ordinal_position"
        ),
        {"t": table},
    ).all()
    return [Column(str(r[0]), portable_type(str(r[1]), r[2], r[3])) for r in rows]


def arrow_type(portable: str) -> pa.DataType:
    """The Arrow type of a portable type."""
    import pyarrow as pa

    match = re.fullmatch(r"decimal\((\d+),(\d+)\)", portable)
    if match:
        return pa.decimal128(int(match[1]), int(match[2]))
    types = {
        "int16": pa.int16(),
        "int32": pa.int32(),
        "int64": pa.int64(),
        "float32": pa.float32(),
        "float64": pa.float64(),
        "bool": pa.bool_(),
        "string": pa.string(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
    }
    if portable not in types:
        raise BackupError(f"unknown column type {portable!r} in the archive")
    return types[portable]


def arrow_schema(columns: list[Column]) -> pa.Schema:
    """The Arrow schema of a table's archived columns."""
    import pyarrow as pa

    return pa.schema([pa.field(c.name, arrow_type(c.type)) for c in columns])


def order_by(table: Table, columns: list[Column]) -> str:
    """The ORDER BY list that makes a table's row order the same in every database."""
    names = {c.name for c in columns}
    keys = [c.name for c in table.primary_key.columns if c.name in names]
    return ", ".join(quote(k) for k in (keys or sorted(names)))


def read_batches(conn: Connection, table: Table, columns: list[Column]) -> Iterator[pa.RecordBatch]:
    """The rows of ``table`` in primary-key order as Arrow batches of the portable schema,
    read on ``conn`` (inside its transaction, so all tables come from one snapshot)."""

    schema = arrow_schema(columns)
    select = ", ".join(quote(c.name) for c in columns)
    sql = f"SELECT {select} FROM {quote(table.name)} ORDER BY {order_by(table, columns)}"  # noqa: S608
    if conn.dialect.name == "duckdb":
        raw: Any = conn.connection.dbapi_connection
        reader = raw.sql(sql).to_arrow_reader(BATCH_ROWS)
        for batch in reader:
            yield _cast(batch, schema)
        return
    yield from _copy_batches(conn, sql, schema)


def _copy_batches(conn: Connection, sql: str, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """PostgreSQL: the rows through ``COPY (query) TO STDOUT`` as CSV, parsed by Arrow (rows
    through the driver took minutes at medium). The CSV is unambiguous: NULL is an
    unquoted empty field, an empty string is quoted; booleans are ``t``/``f``; dates ISO
    (set for the transaction); floats in their shortest exact form (PostgreSQL >= 12)."""
    import pyarrow.csv as pcsv

    raw: Any = conn.connection.dbapi_connection
    conn.execute(text("SET LOCAL datestyle = 'ISO, YMD'"))
    conn.execute(text("SET LOCAL extra_float_digits = 1"))
    with raw.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
        stream = _CopyStream(copy)
        if not stream.peek():
            return
        reader = pcsv.open_csv(
            stream,
            read_options=pcsv.ReadOptions(column_names=schema.names, block_size=8 << 20),
            parse_options=pcsv.ParseOptions(newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(
                column_types=schema,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                true_values=["t"],
                false_values=["f"],
            ),
        )
        for batch in reader:
            yield _cast(batch, schema)


class _CopyStream(io.RawIOBase):
    """A psycopg COPY TO as a readable binary file. psycopg hands over one row per chunk, so
    reads gather rows until the reader's buffer is full (Arrow asks for megabytes)."""

    def __init__(self, copy: Any) -> None:
        self._chunks = iter(copy)
        self._buffer = bytearray()
        self._done = False

    def _fill(self, size: int) -> None:
        while not self._done and len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                self._done = True
            else:
                self._buffer += chunk

    def peek(self) -> bytes:
        self._fill(1)
        return bytes(self._buffer[:1])

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        self._fill(len(target))
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        del self._buffer[:n]
        return n


def _cast(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    import pyarrow as pa

    arrays = [
        col if col.type == field.type else col.cast(field.type)
        for col, field in zip(batch.columns, schema, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


class TableHash:
    """The content checksum of one table, fed batch by batch (see the module docstring)."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self.rows = 0

    def update(self, batch: pa.RecordBatch) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        if batch.num_rows == 0:
            return
        cells = []
        for col in batch.columns:
            as_text = col if pa.types.is_string(col.type) else pc.cast(col, pa.string())
            length = pc.cast(pc.utf8_length(as_text), pa.string())
            cell = pc.binary_join_element_wise(length, as_text, ":")
            cells.append(pc.fill_null(cell, "~"))
        row = pc.binary_join_element_wise(*cells, ",") if len(cells) > 1 else cells[0]
        lines = pc.binary_join_element_wise(row, "", "\n")
        _, offsets_buf, data = lines.buffers()
        offsets = memoryview(offsets_buf).cast("i")
        start, end = offsets[lines.offset], offsets[lines.offset + len(lines)]
        self._digest.update(memoryview(data)[start:end])
        self.rows += batch.num_rows

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def sequences(table: Table) -> list[tuple[str, str]]:
    """(column, sequence name) of the columns of ``table`` numbered by a sequence."""
    return [
        (col.name, col.default.name) for col in table.columns if isinstance(col.default, Sequence)
    ]
