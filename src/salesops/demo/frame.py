"""Generated tables as numpy columns, turned into Arrow batches shaped like the schema.

The generators work with 0-based row indices; only the writer knows the database ids (it
reserves a block per table from its sequence). So a :class:`Frame` holds:

* plain numpy arrays, read by the target column's type: integers; exact decimals as scaled
  integers (cents for money, 1/10000 for rates and quantities); dates as days since
  1970-01-01; timestamps as seconds since 1970-01-01 (UTC);
* :class:`Ref` — row indices into another generated table (-1 = NULL), become its ids;
* :class:`Cat` — codes into a tuple of labels (-1 = NULL), become text;
* :class:`Code` — an external id made from the row number (``C000123``);
* lists of str or Arrow string arrays — text.

NULL in a plain numeric column is :data:`NULL` (the int64 minimum).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, Table

from salesops.db.schema import MONEY, MONEY_SUM, metadata

NULL = np.iinfo(np.int64).min
#: Money columns' units per generated cent.
CENTS_TO_MONEY = 10 ** ((MONEY.scale or 0) - 2)
EPOCH_DAY = 0  # day numbers count from 1970-01-01


@dataclass(frozen=True)
class Ref:
    """Row indices into generated table ``table`` (-1 = NULL)."""

    table: str
    rows: np.ndarray


@dataclass(frozen=True)
class Cat:
    """Codes into ``labels`` (-1 = NULL)."""

    codes: np.ndarray
    labels: Sequence[str]


@dataclass(frozen=True)
class Code:
    """``prefix`` + a zero-padded 1-based number of ``width`` digits: the row number, or (with
    ``rows``) the row of another table (an order line's order number)."""

    prefix: str
    width: int
    rows: np.ndarray | None = None


Column: TypeAlias = np.ndarray | Ref | Cat | Code | pa.Array | Sequence[str | None]


@dataclass
class Frame:
    """One generated table: its name, row count and columns (schema column name -> data)."""

    table: str
    rows: int
    columns: dict[str, Column]

    def __post_init__(self) -> None:
        schema = metadata.tables[self.table]
        for name, col in self.columns.items():
            if name not in schema.c:
                raise ValueError(f"{self.table} has no column {name!r}")
            length = _length(col)
            if length is not None and length != self.rows:
                raise ValueError(f"{self.table}.{name}: {length} values for {self.rows} rows")


def _length(col: Column) -> int | None:
    """Values in ``col``; None for a code made from the row number (fits any length)."""
    if isinstance(col, Code):
        return None if col.rows is None else len(col.rows)
    if isinstance(col, Ref):
        return len(col.rows)
    if isinstance(col, Cat):
        return len(col.codes)
    return len(col)


def to_arrow(frame: Frame, bases: Mapping[str, int], start: int, stop: int) -> pa.Table:
    """Rows ``start:stop`` of ``frame`` as an Arrow table with the schema's column types.

    ``bases`` gives each table's first id: row i of table t gets id ``bases[t] + i``.
    """
    schema = metadata.tables[frame.table]
    arrays: dict[str, pa.Array] = {"id": _ints(np.arange(start, stop) + bases[frame.table])}
    for name, col in frame.columns.items():
        arrays[name] = _column(schema, name, col, bases, start, stop)
    return pa.table(arrays)


def _column(
    schema: Table, name: str, col: Column, bases: Mapping[str, int], start: int, stop: int
) -> pa.Array:
    if isinstance(col, Ref):
        rows = col.rows[start:stop]
        return _ints(np.where(rows >= 0, rows + bases[col.table], -1), null_below=0)
    if isinstance(col, Cat):
        codes = np.asarray(col.codes[start:stop], dtype=np.int32)
        indices = pa.array(codes, mask=codes < 0)
        return pa.DictionaryArray.from_arrays(indices, pa.array(list(col.labels), pa.string()))
    if isinstance(col, Code):
        rows = np.arange(start, stop) if col.rows is None else col.rows[start:stop]
        numbers = pc.cast(pa.array(rows + 1), pa.string())
        padded = pc.utf8_lpad(numbers, width=col.width, padding="0")
        return pc.binary_join_element_wise(col.prefix, padded, "")
    if isinstance(col, pa.Array):
        return col.slice(start, stop - start)
    if not isinstance(col, np.ndarray):
        return pa.array(list(col[start:stop]), pa.string())
    values = col[start:stop]
    type_ = schema.c[name].type
    if isinstance(type_, Numeric):
        if type_ is MONEY or type_ is MONEY_SUM:  # generated in cents, stored with more places
            values = np.where(values == NULL, NULL, values * CENTS_TO_MONEY)
        return scaled_decimal(values, type_.precision or 18, type_.scale or 0)
    if isinstance(type_, DateTime):
        return pa.array(values.astype(np.int64), mask=values == NULL).cast(pa.timestamp("s"))
    if isinstance(type_, Date):
        mask = values == NULL
        return pa.array(np.where(mask, 0, values).astype(np.int32), mask=mask).cast(pa.date32())
    if isinstance(type_, Boolean):
        return pa.array(values.astype(bool))
    if isinstance(type_, Integer):
        return _ints(values, null_below=None)
    raise TypeError(f"{schema.name}.{name}: no numpy conversion for {type_!r}")


def _ints(values: np.ndarray, null_below: int | None = None) -> pa.Array:
    values = np.asarray(values, dtype=np.int64)
    mask = values == NULL if null_below is None else values < null_below
    return pa.array(values, pa.int64(), mask=mask if mask.any() else None)


def scaled_decimal(values: np.ndarray, precision: int, scale: int) -> pa.Array:
    """An Arrow decimal from integers already scaled by 10**scale (exact, no float step).

    Arrow stores decimal128 as 16-byte little-endian two's complement: the int64 value and
    its sign extension.
    """
    values = np.asarray(values, dtype=np.int64)
    mask = values == NULL
    words = np.empty((len(values), 2), dtype=np.int64)
    words[:, 0] = np.where(mask, 0, values)
    words[:, 1] = words[:, 0] >> 63
    validity = pa.array(~mask).buffers()[1] if mask.any() else None
    type_ = pa.decimal128(precision, scale)
    return pa.Array.from_buffers(type_, len(values), [validity, pa.py_buffer(words)])


def column_names(frame: Frame) -> list[str]:
    """The columns written for ``frame``: its id, then its generated columns."""
    return ["id", *frame.columns]
