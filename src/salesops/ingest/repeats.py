"""Repeated keys across the batches of a streamed file, checked on the staging table.

A file read in one batch is checked in memory (:func:`salesops.ingest.convert.convert_table`);
a longer one is converted and staged batch by batch, and these checks then run once, in SQL,
over every staged row — with the same outcome and the same errors:

* facts: two rows with the same key are an error of the later row ("the same key as row N");
* dimensions: identical repeated rows are one record; a key repeated with other values
  follows ``on_duplicate`` (``error``: one error naming a pair; ``first`` / ``last``: that
  row of each key stays).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from salesops.ingest.convert import _MAX_REPORTED, staging_name
from salesops.ingest.errors import ErrorList
from salesops.ingest.mapping import DIMENSIONS, Mapping
from salesops.ingest.staging import STAGING


def check_staged_repeats(
    conn: Connection, mapping: Mapping, columns: list[str], errors: ErrorList
) -> int:
    """Check (and, for a dimension, merge) repeated keys of the staged rows; returns how many
    rows were merged away. ``columns`` are the staging table's columns."""
    spec = mapping.spec
    if spec.append_only:
        return 0
    keys = [staging_name(k) for k in spec.key]
    if not _repeats(conn, keys):
        return 0
    if spec.name in DIMENSIONS:
        return _merge_repeated(conn, mapping, columns, keys, errors)
    _report_duplicates(conn, mapping, keys, errors)
    return 0


def _scalar(conn: Connection, sql: str) -> int:
    return int(conn.execute(text(sql)).scalar_one() or 0)


def _repeats(conn: Connection, keys: list[str]) -> int:
    """How many staged rows repeat the key of an earlier one (NULLs compare equal)."""
    cols = ", ".join(keys)
    return _scalar(
        conn,
        f"SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM {STAGING} "  # noqa: S608
        f"GROUP BY {cols}) AS g",
    )


def _label(mapping: Mapping, field: str) -> str:
    cspec = mapping.columns.get(field)
    return cspec.column if cspec and cspec.column else field


def _report_duplicates(
    conn: Connection, mapping: Mapping, keys: list[str], errors: ErrorList
) -> None:
    spec = mapping.spec
    cols = ", ".join(keys)
    base = (
        f"FROM (SELECT _row, {keys[0]} AS k0, MIN(_row) OVER (PARTITION BY {cols}) AS first_row "  # noqa: S608
        f"FROM {STAGING}) AS d WHERE _row > first_row"
    )
    total = _scalar(conn, f"SELECT COUNT(*) {base}")
    found = conn.execute(
        text(f"SELECT _row, k0, first_row {base} ORDER BY _row LIMIT {_MAX_REPORTED}")
    ).all()
    hint = ""
    if len(spec.key) > 1:
        unmapped = [k for k in spec.key if k not in mapping.columns]
        hint = f" (the key is {' + '.join(spec.key)}"
        hint += f"; map a column to {', '.join(unmapped)})" if unmapped else ")"
    label = _label(mapping, spec.key[0])
    for row, value, first in found:
        errors.add(
            int(row), label, value, f"duplicate record: the same key as row {int(first)}{hint}"
        )
    errors.count_more(total - len(found))


def _delete_repeats(conn: Connection, partition: str, last: bool) -> int:
    """Delete all but the first (``last``: the last) staged row of each ``partition``."""
    order = "DESC" if last else "ASC"
    return int(
        conn.execute(
            text(
                f"DELETE FROM {STAGING} WHERE _idx IN (SELECT _idx FROM ("  # noqa: S608
                f"SELECT _idx, ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY _idx "
                f"{order}) AS rn FROM {STAGING}) AS r WHERE rn > 1)"
            )
        ).rowcount
        or 0
    )


def _merge_repeated(
    conn: Connection, mapping: Mapping, columns: list[str], keys: list[str], errors: ErrorList
) -> int:
    last = mapping.on_duplicate == "last"
    fields = [c for c in columns if c not in ("_row", "_idx")]
    merged = _delete_repeats(conn, ", ".join(fields), last)  # identical rows: one stays
    cols = ", ".join(keys)
    clashing = _scalar(
        conn,
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {STAGING} GROUP BY {cols} "  # noqa: S608
        "HAVING COUNT(*) > 1) AS g",
    )
    if not clashing:
        return merged
    if mapping.on_duplicate == "error":
        _report_conflicts(conn, mapping, fields, keys, clashing, errors)
        return merged
    return merged + _delete_repeats(conn, cols, last)


def _report_conflicts(
    conn: Connection,
    mapping: Mapping,
    fields: list[str],
    keys: list[str],
    n_keys: int,
    errors: ErrorList,
) -> None:
    """One error for all keys that repeat with different values, with one example pair."""
    spec = mapping.spec
    cols = ", ".join(keys)
    first_idx = _scalar(
        conn,
        f"SELECT MIN(s._idx) FROM {STAGING} AS s JOIN (SELECT {cols} FROM {STAGING} "  # noqa: S608
        f"GROUP BY {cols} HAVING COUNT(*) > 1) AS g ON "
        + " AND ".join(f"s.{k} IS NOT DISTINCT FROM g.{k}" for k in keys),
    )
    same = " AND ".join(f"s.{k} IS NOT DISTINCT FROM f.{k}" for k in keys)
    select = ", ".join(f"s.{c}" for c in ["_row", *fields])
    pair: list[Any] = list(
        conn.execute(
            text(
                f"SELECT {select} FROM {STAGING} AS s JOIN {STAGING} AS f "  # noqa: S608
                f"ON f._idx = {first_idx} AND {same} ORDER BY s._idx LIMIT 2"
            )
        ).all()
    )
    a, b = (int(r[0]) for r in pair)

    def shown(value: object) -> str:
        return "empty" if value is None else repr(str(value))

    differ = [
        f"{_label(mapping, c[2:])} ({shown(pair[0][i + 1])} / {shown(pair[1][i + 1])})"
        for i, c in enumerate(fields)
        if c not in keys and pair[0][i + 1] != pair[1][i + 1]
    ]
    noun = "key repeats" if n_keys == 1 else "keys repeat"
    first_key = pair[0][1 + fields.index(keys[0])]
    errors.add(
        b,
        _label(mapping, keys[0][2:]),
        first_key,
        f"{n_keys} {spec.name} {noun} with different values, e.g. rows {a} and {b} differ "
        f"in {', '.join(differ)}; set on_duplicate: first or last in the mapping to keep the "
        "first or the last row of each (identical repeated rows are merged by themselves)",
    )
