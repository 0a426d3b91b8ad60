"""Turn the text cells of a file into typed columns for the loader, column at a time.

Every step is vectorised over Arrow arrays (value maps and dates work on distinct values), so a
million rows convert in seconds. A cell that cannot be converted becomes a row error naming
the source column and the value as it is in the file.

Numbers accept currency signs (``¥ ￥ $ € £``, ``RMB``, ``CNY``, ``元`` ...), thousands
separators, spaces, ``(1,234.00)`` for negatives and ``12.5%`` (→ 0.125). With
``decimal: ","`` the comma is the decimal mark and dots or spaces group thousands
(``1.234,50``, ``1 234,50``). Decimal values travel to the database as normalised text and
are cast there to the column's type (money: four decimal places), so money stays exact.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Numeric, String

from salesops.db.schema import MONEY
from salesops.ingest.dates import AmbiguousDates, parse_dates, to_arrow
from salesops.ingest.errors import ErrorList
from salesops.ingest.fields import EntitySpec, Field
from salesops.ingest.mapping import DIMENSIONS, ColumnSpec, Mapping
from salesops.ingest.readers import RawTable

_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_PLAIN_NUMBER = r"^-?\d+(\.\d+)?$"
_CURRENCY = r"[¥￥$€£]|RMB|CNY|USD|EUR|HKD|元"
_TRUE = {"true", "t", "yes", "y", "1", "是", "在职", "active", "x", "✓"}
_FALSE = {"false", "f", "no", "n", "0", "否", "离职", "inactive"}
_MAX_REPORTED = 1000  # per column: enough to see the pattern of a wrong column
_NULL = pa.scalar(None, pa.string())

#: key fields that take a default when empty, so records can be matched
KEY_DEFAULTS = {("order_line", "line_no"): 1, ("pipeline_stage", "pipeline"): "default"}


def staging_name(field: str) -> str:
    """The staging column of a canonical field (prefixed: ``at`` is a reserved word)."""
    return f"f_{field}"


@dataclass
class ConvertState:
    """What the batches of one file share: the next record's index and what earlier batches
    decided for a whole column — a detected date format, whether rates are percentages."""

    next_idx: int = 1
    date_formats: dict[str, str] = dc_field(default_factory=dict)
    rate_percent: dict[str, bool] = dc_field(default_factory=dict)


class _Column:
    """One mapped field while it converts: its text, where errors go, what it became."""

    def __init__(self, field: Field, spec: ColumnSpec, raw: pa.Array, label: str) -> None:
        self.field = field
        self.spec = spec
        self.raw = raw  # the cells as in the file (for error messages)
        self.label = label  # the source column name (or the field when only a default)


def convert_table(
    raw: RawTable,
    mapping: Mapping,
    errors: ErrorList,
    *,
    timezone: str,
    on_progress: Callable[[float], None] | None = None,
    state: ConvertState | None = None,
    whole: bool = True,
) -> pa.Table | None:
    """Convert ``raw`` as ``mapping`` says; None when the file's columns do not fit at all.

    ``raw`` is the whole file, or (``whole`` False) one batch of it: ``state`` carries what
    the batches share, and the checks across rows (repeated keys) are the caller's, made
    once every batch is staged (:mod:`salesops.ingest.repeats`)."""
    spec = mapping.spec
    state = state or ConvertState()
    if not _columns_present(raw, mapping, errors) or not _keys_mapped(spec, mapping, errors):
        return None
    n = raw.n_rows
    first = state.next_idx
    state.next_idx += n
    out: dict[str, pa.Array] = {
        "_row": pa.array(raw.rows, type=pa.int64()),
        "_idx": pa.array(np.arange(first, first + n, dtype=np.int64)),
    }
    for name, cspec in mapping.columns.items():
        fld = spec.field(name)
        source = raw.columns[cspec.column] if cspec.column else pa.nulls(n, pa.string())
        col = _Column(fld, cspec, source, cspec.column or name)
        text = _apply_map(source, cspec.map)
        if cspec.default is not None:
            text = pc.fill_null(text, cspec.default)
        out[staging_name(name)] = _convert(col, text, spec, mapping, errors, raw, timezone, state)
        if fld.required:
            _report(errors, raw, col, _mask(text.is_null()), "a value is required")
        if on_progress:
            on_progress(1 / max(len(mapping.columns), 1))
    for (entity, key), default in KEY_DEFAULTS.items():
        if entity == spec.name:
            current = out.get(staging_name(key), pa.nulls(n, _arrow_type(spec.field(key))))
            out[staging_name(key)] = pc.fill_null(current, default)
    if spec.natural_key:
        out[staging_name("external_id")] = _natural_key(spec, out, n)
    table = pa.table(out)
    if not whole:
        return table
    if spec.name in DIMENSIONS:
        return _merge_repeated(spec, mapping, table, errors)
    _check_duplicates(spec, mapping, table, errors, raw)
    return table


def _columns_present(raw: RawTable, mapping: Mapping, errors: ErrorList) -> bool:
    ok = True
    for name, cspec in mapping.columns.items():
        if cspec.column is not None and cspec.column not in raw.columns:
            ok = False
            errors.add(
                None,
                cspec.column,
                None,
                f"mapped to {name}, but the file has no such column; its columns are: "
                + ", ".join(raw.headers),
            )
    return ok


def _keys_mapped(spec: EntitySpec, mapping: Mapping, errors: ErrorList) -> bool:
    needed = [k for k in spec.key if (spec.name, k) not in KEY_DEFAULTS]
    if spec.natural_key:
        needed = [k for k in needed if k != "external_id"]
    if spec.append_only:
        needed = [f.name for f in spec.fields if f.required]
    missing = [k for k in needed if k not in mapping.columns]
    for k in missing:
        errors.add(None, None, None, f"{spec.name} needs the field {k!r}; map a column to it")
    return not missing


def _apply_map(array: pa.Array, value_map: dict[str, str]) -> pa.Array:
    """Rewrite listed values (case-insensitively); ``"*"`` rewrites every other value."""
    if not value_map:
        return array
    lowered = {k.strip().lower(): v for k, v in value_map.items() if k != "*"}
    star = value_map.get("*")
    encoded = pc.dictionary_encode(array)
    mapped = []
    for value in encoded.dictionary.to_pylist():
        new = lowered.get(value.lower(), star if star is not None else value)
        mapped.append(new.strip() or None)
    return pc.take(pa.array(mapped, type=pa.string()), encoded.indices)


def _report(errors: ErrorList, raw: RawTable, col: _Column, mask: np.ndarray, reason: str) -> None:
    where = np.nonzero(mask)[0]
    if not len(where):
        return
    shown = where[:_MAX_REPORTED]
    values = col.raw.take(pa.array(shown)).to_pylist()
    if col.spec.column is None:
        values = [col.spec.default] * len(shown)
    for i, value in zip(shown, values, strict=True):
        errors.add(int(raw.rows[i]), col.label, value, reason)
    errors.count_more(len(where) - len(shown))


def _mask(array: pa.Array) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=bool)


def _convert(
    col: _Column,
    text: pa.Array,
    spec: EntitySpec,
    mapping: Mapping,
    errors: ErrorList,
    raw: RawTable,
    timezone: str,
    state: ConvertState,
) -> pa.Array:
    field = col.field
    kind = field.kind
    if kind in ("decimal", "rate", "int"):
        numbers, bad, pct = parse_numbers(text, mapping.decimal)
        _report(errors, raw, col, bad, "not a number")
        if kind == "int":
            return _to_int(col, numbers, errors, raw)
        if kind == "rate":
            return _to_rate(col, numbers, pct, errors, raw, state)
        numbers = _percent(numbers, pct)
        return _check_magnitude(col, numbers, spec, errors, raw)
    if kind in ("date", "datetime"):
        fmt = col.spec.format or mapping.date_format
        try:
            parsed = parse_dates(
                text,
                fmt=fmt,
                timezone=timezone,
                with_time=kind == "datetime",
                detected=state.date_formats.get(field.name),
            )
        except AmbiguousDates as exc:
            if not errors.seen(None, col.label):  # once, not once per batch
                errors.add(None, col.label, exc.value, str(exc))
            return pa.nulls(len(text), _arrow_type(field))
        if not fmt and parsed.format:
            state.date_formats[field.name] = parsed.format
        _report(errors, raw, col, parsed.bad, parsed.reason)
        return to_arrow(parsed, with_time=kind == "datetime")
    if kind == "bool":
        return _to_bool(col, text, errors, raw)
    if kind == "choice":
        norm = pc.replace_substring_regex(pc.utf8_lower(text), r"[\s\-]+", "_")
        for spelling, choice in field.synonyms:
            norm = pc.if_else(pc.fill_null(pc.equal(norm, spelling), False), choice, norm)
        bad = _mask(pc.and_(pc.is_valid(norm), pc.invert(pc.is_in(norm, pa.array(field.choices)))))
        _report(errors, raw, col, bad, "must be one of " + ", ".join(field.choices))
        return pc.if_else(pa.array(bad), _NULL, norm)
    limit = _max_length(spec, field)
    if limit:
        too_long = _mask(pc.fill_null(pc.greater(pc.utf8_length(text), limit), False))
        _report(errors, raw, col, too_long, f"longer than {limit} characters")
    return text


def _max_length(spec: EntitySpec, field: Field) -> int | None:
    if field.kind == "region":
        return 100
    if field.kind == "ref":
        return 300
    column = field.db_column
    if column is None:
        return None
    col_type = spec.table.c[column].type
    return col_type.length if isinstance(col_type, String) else None


def parse_numbers(text: pa.Array, decimal: str) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Normalised number text, a mask of cells that are not numbers, and a mask of ``%``."""
    plain = pc.match_substring_regex(text, _PLAIN_NUMBER)
    if pc.all(pc.fill_null(plain, True)).as_py():  # the common case: nothing to clean
        n = len(text)
        return text, np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    s = pc.replace_substring_regex(text, _CURRENCY, "")
    s = pc.replace_substring_regex(s, "[\\s\u00a0\u202f\u3000']", "")
    if decimal == ",":
        s = pc.replace_substring(pc.replace_substring(s, ".", ""), ",", ".")
    else:
        s = pc.replace_substring(s, ",", "")
    negative = pc.fill_null(pc.match_substring_regex(s, r"^\(.*\)$"), False)
    s = pc.if_else(
        negative, pc.binary_join_element_wise("-", pc.utf8_slice_codeunits(s, 1, -1), ""), s
    )
    pct = pc.fill_null(pc.ends_with(s, "%"), False)
    s = pc.if_else(pct, pc.utf8_slice_codeunits(s, 0, -1), s)
    valid = pc.fill_null(pc.match_substring_regex(s, _NUMBER), False)
    bad = _mask(pc.and_(pc.is_valid(text), pc.invert(valid)))
    s = pc.if_else(valid, s, _NULL)
    return s, bad, _mask(pc.and_(pct, valid))


def _divide(numbers: pa.Array, mask: np.ndarray, by: int) -> pa.Array:
    """Divide the masked values by ``by`` exactly (Decimal), leaving the others."""
    where = np.nonzero(mask)[0]
    if not len(where):
        return numbers
    values = numbers.take(pa.array(where)).to_pylist()
    divided = [None if v is None else format(Decimal(v) / by, "f") for v in values]
    return pc.replace_with_mask(numbers, pa.array(mask), pa.array(divided, type=pa.string()))


def _percent(numbers: pa.Array, pct: np.ndarray) -> pa.Array:
    return _divide(numbers, pct, 100)


def _floats(numbers: pa.Array) -> np.ndarray:
    return np.asarray(pc.cast(numbers, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)


def _check_magnitude(
    col: _Column, numbers: pa.Array, spec: EntitySpec, errors: ErrorList, raw: RawTable
) -> pa.Array:
    column = col.field.db_column
    col_type = spec.table.c[column].type if column else MONEY
    if isinstance(col_type, Numeric) and col_type.precision is not None:
        limit = 10.0 ** (col_type.precision - (col_type.scale or 0))
        with np.errstate(invalid="ignore"):
            too_big = np.abs(_floats(numbers)) >= limit
        _report(errors, raw, col, too_big, f"too large (at most {limit:.0f})")
        numbers = pc.if_else(pa.array(too_big), _NULL, numbers)
    return numbers


def _to_rate(
    col: _Column,
    numbers: pa.Array,
    pct: np.ndarray,
    errors: ErrorList,
    raw: RawTable,
    state: ConvertState,
) -> pa.Array:
    """Fractions: ``12.5%`` → 0.125; plain values are percentages when one of them exceeds 1
    (decided by the first batch that has plain values, for the rest of the file)."""
    numbers = _percent(numbers, pct)
    values = _floats(numbers)
    plain = ~pct & ~np.isnan(values)
    percent = state.rate_percent.get(col.field.name)
    if percent is None and plain.any():
        percent = bool(np.nanmax(values[plain]) > 1)
        state.rate_percent[col.field.name] = percent
    if plain.any() and percent:
        numbers = _divide(numbers, plain, 100)
        values = _floats(numbers)
    with np.errstate(invalid="ignore"):
        out_of_range = (values < 0) | (values > 1)
    _report(errors, raw, col, out_of_range, "must be between 0 and 1 (or 0% and 100%)")
    return pc.if_else(pa.array(out_of_range), _NULL, numbers)


def _to_int(col: _Column, numbers: pa.Array, errors: ErrorList, raw: RawTable) -> pa.Array:
    whole = pc.fill_null(pc.match_substring_regex(numbers, r"^[+-]?\d+(\.0*)?$"), True)
    _report(errors, raw, col, ~_mask(whole), "not a whole number")
    ints = pc.replace_substring_regex(pc.if_else(whole, numbers, _NULL), r"\.0*$", "")
    low = col.field.low if col.field.low is not None else -(2**31)
    high = col.field.high if col.field.high is not None else 2**31 - 1
    values = _floats(ints)
    with np.errstate(invalid="ignore"):
        out = (values < low) | (values > high)
    _report(errors, raw, col, out, f"must be between {low} and {high}")
    return pc.cast(pc.if_else(pa.array(out), _NULL, ints), pa.int64())


def _to_bool(col: _Column, text: pa.Array, errors: ErrorList, raw: RawTable) -> pa.Array:
    lowered = pc.utf8_lower(text)
    true = pc.is_in(lowered, pa.array(sorted(_TRUE)))
    false = pc.is_in(lowered, pa.array(sorted(_FALSE)))
    bad = _mask(pc.and_(pc.is_valid(text), pc.invert(pc.or_(true, false))))
    _report(errors, raw, col, bad, "not a yes/no value (true/false, yes/no, 1/0, 是/否)")
    empty = pc.or_(pa.array(bad), text.is_null())
    return pc.if_else(empty, pa.scalar(None, pa.bool_()), true)


def _arrow_type(field: Field) -> pa.DataType:
    return {
        "int": pa.int64(),
        "date": pa.date32(),
        "datetime": pa.timestamp("us"),
        "bool": pa.bool_(),
    }.get(field.kind, pa.string())


def _natural_key(spec: EntitySpec, out: dict[str, pa.Array], n: int) -> pa.Array:
    """``external_id`` when the file has none: the natural key's values joined by ``|``."""
    parts = []
    for name in spec.natural_key:
        column = spec.field(name).db_column
        default = None
        if column and spec.table.c[column].default is not None:
            default = str(getattr(spec.table.c[column].default, "arg", "") or "")
        values = out.get(staging_name(name))
        text = pc.cast(values, pa.string()) if values is not None else pa.nulls(n, pa.string())
        parts.append(pc.fill_null(text, default or ""))
    joined = pc.binary_join_element_wise(*parts, "|") if parts else pa.nulls(n, pa.string())
    for name in spec.natural_key_optional:
        values = out.get(staging_name(name))
        if values is None:
            continue
        text = pc.cast(values, pa.string())
        has = pc.fill_null(pc.greater(pc.utf8_length(text), 0), False)
        joined = pc.if_else(has, pc.binary_join_element_wise(joined, text, "|"), joined)
    limit = _max_length(spec, spec.field("external_id")) or 100
    long = _mask(pc.fill_null(pc.greater(pc.utf8_length(joined), limit), False))
    if long.any():
        where = np.nonzero(long)[0]
        hashed = [
            "h:" + hashlib.sha1(v.encode("utf-8")).hexdigest()
            for v in joined.take(pa.array(where)).to_pylist()
        ]
        joined = pc.replace_with_mask(joined, pa.array(long), pa.array(hashed, type=pa.string()))
    given = out.get(staging_name("external_id"))
    return joined if given is None else pc.coalesce(given, joined)


def _check_duplicates(
    spec: EntitySpec, mapping: Mapping, table: pa.Table, errors: ErrorList, raw: RawTable
) -> None:
    """Two rows of one file with the same key cannot both be imported."""
    if spec.append_only or not table.num_rows:
        return
    keys = [staging_name(k) for k in spec.key]
    frame = pd.DataFrame({k: table.column(k).to_pandas() for k in keys})
    dup = frame.duplicated(keep="first").to_numpy()
    if not dup.any():
        return
    frame["_row"] = raw.rows
    first = frame.groupby(keys, dropna=False, sort=False)["_row"].transform("first").to_numpy()
    label_field = spec.key[0]
    cspec = mapping.columns.get(label_field)
    label = cspec.column if cspec and cspec.column else label_field
    shown = np.nonzero(dup)[0]
    values = table.column(keys[0]).take(pa.array(shown[:_MAX_REPORTED])).to_pylist()
    # A key of several fields (an order line is order_no + line_no) is said, with the part the
    # mapping leaves out: an export with one row per line and no line number is the usual case.
    hint = ""
    if len(spec.key) > 1:
        unmapped = [k for k in spec.key if k not in mapping.columns]
        hint = f" (the key is {' + '.join(spec.key)}"
        hint += f"; map a column to {', '.join(unmapped)})" if unmapped else ")"
    for i, value in zip(shown[:_MAX_REPORTED], values, strict=True):
        errors.add(
            int(raw.rows[i]),
            label,
            value,
            f"duplicate record: the same key as row {first[i]}{hint}",
        )
    errors.count_more(len(shown) - min(len(shown), _MAX_REPORTED))


def _merge_repeated(
    spec: EntitySpec, mapping: Mapping, table: pa.Table, errors: ErrorList
) -> pa.Table:
    """A dimension repeated in one file (a flat sheet names its customer on every line):
    rows identical in every mapped field are one record; rows whose key repeats with other
    values follow ``on_duplicate`` — ``error`` (one error: how many keys, two rows that differ
    and how), ``first`` or ``last`` (that row of each key is kept). Returns the rows to load."""
    if not table.num_rows:
        return table
    keys = [staging_name(k) for k in spec.key]
    fields = [c for c in table.schema.names if c not in ("_row", "_idx")]
    frame = pd.DataFrame({c: table.column(c).to_pandas() for c in fields})
    if not frame.duplicated(keys).any():
        return table
    keep_side: Literal["first", "last"] = "last" if mapping.on_duplicate == "last" else "first"
    keep = ~frame.duplicated(keep=keep_side).to_numpy()  # identical rows: one stays
    rest = frame[keep]
    conflict = rest.duplicated(keys, keep=False).to_numpy()
    if conflict.any() and mapping.on_duplicate == "error":
        _report_conflicts(spec, mapping, table, rest, conflict, keys, errors)
        return table
    if conflict.any():
        keep[np.nonzero(keep)[0][rest.duplicated(keys, keep=keep_side).to_numpy()]] = False
    return table.filter(pa.array(keep))


def _report_conflicts(
    spec: EntitySpec,
    mapping: Mapping,
    table: pa.Table,
    rest: pd.DataFrame,
    conflict: np.ndarray,
    keys: list[str],
    errors: ErrorList,
) -> None:
    """One error for all keys that repeat with different values, with one example pair."""
    clash = rest[conflict]
    n_keys = len(clash[keys].drop_duplicates())
    first_key = clash[keys].iloc[0]
    pair = clash[(clash[keys] == first_key).all(axis=1)].iloc[:2]
    rows = table.column("_row").to_numpy()
    a, b = (int(rows[i]) for i in pair.index[:2])

    def label(column: str) -> str:
        name = column[2:]  # f_<field>
        cspec = mapping.columns.get(name)
        return cspec.column if cspec and cspec.column else name

    def shown(value: object) -> str:
        return "empty" if value is None or value != value else repr(str(value))

    differ = [
        f"{label(c)} ({shown(pair[c].iloc[0])} / {shown(pair[c].iloc[1])})"
        for c in pair.columns
        if c not in keys and pair[c].iloc[0] != pair[c].iloc[1] and not (pair[c].isna().all())
    ]
    key_label = label(keys[0])
    noun = "key repeats" if n_keys == 1 else "keys repeat"
    errors.add(
        b,
        key_label,
        first_key.iloc[0],
        f"{n_keys} {spec.name} {noun} with different values, e.g. rows {a} and {b} differ "
        f"in {', '.join(differ)}; set on_duplicate: first or last in the mapping to keep the "
        "first or the last row of each (identical repeated rows are merged by themselves)",
    )
