"""Read an import file (CSV, XLSX, legacy XLS, JSON lines) into columns of trimmed text.

Every reader returns a :class:`RawTable`: the header names, one Arrow string array per column
(cells trimmed, empty cells null) and the row number of each record *as a person sees it in a
spreadsheet* (header = row 1; for JSON lines, the line number). Typed spreadsheet cells become
text in one canonical form (dates ``2019-03-01``, numbers without exponent where possible) so
that one set of converters serves every format.

CSV encodings are detected when ``encoding`` is ``auto``: a UTF-8 byte-order mark, then strict
UTF-8, then GB18030 (the superset of GBK that Chinese Excel writes), then charset-normalizer's
best guess.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from salesops.formula_safety import GUARDED
from salesops.ingest.errors import ImportFailed, RowError

EXCEL_EXTENSIONS = {".xlsx", ".xlsm"}
XLS_EXTENSIONS = {".xls"}
JSON_EXTENSIONS = {".jsonl", ".ndjson", ".json"}


@dataclass
class RawTable:
    """The text cells of one file, column by column."""

    path: Path
    headers: list[str]
    columns: dict[str, pa.Array]
    rows: np.ndarray  # int64: the spreadsheet row number of each record
    format: str  # csv | xlsx | xls | jsonl
    encoding: str | None = None
    errors: list[RowError] = field(default_factory=list)  # malformed records

    @property
    def n_rows(self) -> int:
        """Number of records read."""
        return len(self.rows)


def read_table(
    path: Path,
    *,
    sheet: str | None = None,
    encoding: str = "auto",
    delimiter: str | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> RawTable:
    """Read ``path`` by its extension; raises :class:`ImportFailed` if it cannot be read."""
    ext = path.suffix.lower()
    if not path.is_file():
        raise _fail(path, f"no such file: {path}")
    if sheet and ext not in EXCEL_EXTENSIONS | XLS_EXTENSIONS:
        raise _fail(path, "--sheet applies to Excel workbooks (.xlsx, .xls) only")
    try:
        if ext in EXCEL_EXTENSIONS:
            return read_xlsx(path, sheet)
        if ext in XLS_EXTENSIONS:
            return read_xls(path, sheet)
        if ext in JSON_EXTENSIONS:
            return read_jsonl(path, encoding=encoding)
        return read_csv(path, encoding=encoding, delimiter=delimiter, on_progress=on_progress)
    except ImportFailed:
        raise
    except MemoryError:
        raise _fail(path, "the file is too large to read into memory") from None
    except Exception as exc:  # whatever a damaged file does to a parser: an error, not a crash
        kind = {".xlsx": "an .xlsx workbook", ".xls": "an .xls workbook"}.get(ext, "a text file")
        raise _fail(path, f"cannot read the file as {kind} ({type(exc).__name__}: {exc})") from None


# --------------------------------------------------------------------------- helpers


def _fail(path: Path, reason: str) -> ImportFailed:
    return ImportFailed([RowError(str(path), None, None, None, reason)])


def unique_headers(raw: Sequence[object]) -> list[str]:
    """Header names trimmed; blank ones named ``column N``, repeated ones suffixed ``(2)``."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for i, value in enumerate(raw, start=1):
        name = str(value).strip() if value is not None else ""
        name = name or f"column {i}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        out.append(name)
    return out


def clean(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Trim every cell; empty cells become null; the apostrophe an export puts before text
    that starts like a formula (``'=...``, see formula_safety.py) is taken off again."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    trimmed = pc.utf8_trim_whitespace(array)
    if pc.any(pc.starts_with(trimmed, "'")).as_py():
        trimmed = pc.replace_substring_regex(trimmed, pattern=GUARDED, replacement=r"\1")
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def cell_text(value: object) -> str | None:
    """A typed spreadsheet/JSON value as canonical text (None for empty)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e18:
            return str(int(value))
        # Excel keeps 15 significant digits; more would show binary noise (0.30000000000000004)
        return format(value, ".15g")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _from_records(
    path: Path,
    fmt: str,
    headers: list[str],
    records: Iterable[tuple[int, Sequence[object]]],
    encoding: str | None = None,
) -> RawTable:
    """Build a table from (row number, cells) records; over-long records are row errors."""
    width = len(headers)
    cols: list[list[str | None]] = [[] for _ in headers]
    rows: list[int] = []
    errors: list[RowError] = []
    for row_no, cells in records:
        texts = [cell_text(c) for c in cells]
        if not any(t is not None and t.strip() for t in texts):
            continue  # blank rows are skipped (their number is still counted)
        if len(texts) > width and any(t not in (None, "") for t in texts[width:]):
            errors.append(
                RowError(
                    str(path),
                    row_no,
                    None,
                    None,
                    f"the row has {len(texts)} cells but the header has {width}",
                )
            )
            continue
        rows.append(row_no)
        for i in range(width):
            cols[i].append(texts[i] if i < len(texts) else None)
    columns = {h: clean(pa.array(c, type=pa.string())) for h, c in zip(headers, cols, strict=True)}
    return RawTable(path, headers, columns, np.array(rows, dtype=np.int64), fmt, encoding, errors)


# --------------------------------------------------------------------------- CSV


def detect_encoding(data: bytes) -> str:
    """The encoding of CSV bytes: BOM, strict UTF-8, GB18030 (GBK), else charset-normalizer."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for candidate in ("utf-8", "gb18030"):
        try:
            data.decode(candidate)
        except UnicodeDecodeError:
            continue
        return candidate
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1_000_000]).best()
    if best is None:
        raise ValueError("the file's text encoding could not be recognised")
    return str(best.encoding)


def first_line(text: str) -> str:
    """The text up to the first line ending: LF, CRLF or a lone CR (old Mac files)."""
    return _LINE_END.split(text, maxsplit=1)[0]


_LINE_END = re.compile(r"\r\n|\r|\n")


def sniff_delimiter(first_line: str) -> str:
    """The most frequent of ``, ; TAB |`` in the header line (comma when none)."""
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(
    path: Path,
    *,
    encoding: str = "auto",
    delimiter: str | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> RawTable:
    """Read a delimited text file; every cell is text."""
    data = path.read_bytes()
    auto = encoding in ("auto", "", None)
    # A file without a BOM is read as UTF-8 first without decoding it here: Arrow checks
    # every cell's UTF-8 itself, and only a file it refuses is decoded (and its encoding
    # detected) below — the same outcome as detecting first, one pass over the bytes fewer.
    optimistic = auto and not data.startswith(
        (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    )
    try:
        enc = "utf-8" if optimistic else detect_encoding(data) if auto else encoding
        utf8 = _as_utf8(data, enc, checked=optimistic)
    except (UnicodeDecodeError, LookupError, ValueError) as exc:
        raise _fail(path, f"cannot decode the file as {encoding}: {exc}") from None
    if not utf8.strip():
        raise _fail(path, "the file is empty")
    head_bytes = utf8[: 1 << 16]
    if optimistic and not _utf8_head(head_bytes):
        return read_csv(path, encoding=detect_encoding(data), delimiter=delimiter)
    head = head_bytes.decode("utf-8", errors="ignore")
    delim = delimiter or sniff_delimiter(first_line(head))
    # newline="": the csv module sees LF, CRLF and CR-only line endings (Excel for Mac's
    # "CSV (Macintosh)") as line ends, and keeps line breaks inside quoted cells.
    header = unique_headers(next(csv.reader(io.StringIO(head, newline=""), delimiter=delim)))
    if on_progress:
        on_progress(0.2)
    table = _read_csv_arrow(path, utf8, header, delim, enc)
    if table is None and optimistic:
        try:
            utf8.decode("utf-8")
        except UnicodeDecodeError:  # not UTF-8 after all: detect, decode and read again
            return read_csv(path, encoding=detect_encoding(data), delimiter=delimiter)
    if table is None:
        table = _read_csv_exact(path, utf8, header, delim, enc)
    if on_progress:
        on_progress(0.8)
    return table


def _as_utf8(data: bytes, enc: str, *, checked: bool) -> bytes:
    """The file's bytes as UTF-8 (``checked``: left to Arrow's own check of every cell)."""
    if codecs.lookup(enc).name == "utf-8":
        # Arrow reads UTF-8 bytes as they are: no decode / encode round trip.
        utf8 = data.removeprefix(codecs.BOM_UTF8)
        if not checked and enc not in ("utf-8-sig", "utf-8", "utf8"):
            utf8.decode("utf-8")
        return utf8
    return data.decode(enc).removeprefix("\ufeff").encode("utf-8")


def _utf8_head(head: bytes) -> bool:
    """Whether the first bytes of a file are UTF-8 (a character cut at the end is fine)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _read_csv_exact(path: Path, utf8: bytes, header: list[str], delim: str, enc: str) -> RawTable:
    """Python's csv module, record by record; a record it cannot parse is an error of its row."""
    reader = csv.reader(io.StringIO(utf8.decode("utf-8"), newline=""), delimiter=delim)
    next(reader)
    failed: list[RowError] = []

    def records() -> Iterable[tuple[int, Sequence[object]]]:
        row_no = 1
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. a field over the csv module's size limit
                failed.append(RowError(str(path), row_no + 1, None, None, f"unreadable: {exc}"))
                return
            row_no += 1
            yield row_no, record

    table = _from_records(path, "csv", header, records(), enc)
    table.errors += failed
    return table


def _read_csv_arrow(
    path: Path, utf8: bytes, header: list[str], delim: str, enc: str
) -> RawTable | None:
    """Arrow's multi-threaded CSV parser; None when the file needs the exact path."""
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(utf8),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=8 << 20),
            # Blank lines are records here, so that the row numbers stay the spreadsheet's: in
            # a file of several columns Arrow refuses them (too few cells) and the exact path
            # reads the file; in a file of one column they are empty rows, dropped below.
            parse_options=pacsv.ParseOptions(
                delimiter=delim, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return None  # ragged rows and the like: the exact path reports them row by row
    columns = {h: clean(table.column(n)) for h, n in zip(header, names, strict=True)}
    rows = np.arange(2, table.num_rows + 2, dtype=np.int64)
    raw = RawTable(path, header, columns, rows, "csv", enc)
    if raw.n_rows:
        blank = _all_null(columns.values(), raw.n_rows)
        if blank is not None and blank.any():
            keep = pa.array(~blank)
            raw.columns = {h: c.filter(keep) for h, c in columns.items()}
            raw.rows = rows[~blank]
    return raw


def _all_null(columns: Iterable[pa.Array], n: int) -> np.ndarray | None:
    mask = np.ones(n, dtype=bool)
    for col in columns:
        mask &= col.is_null().to_numpy(zero_copy_only=False)
    return mask


# --------------------------------------------------------------------------- Excel


def read_xlsx(path: Path, sheet: str | None) -> RawTable:
    """Read one sheet of an .xlsx workbook (the first unless ``sheet`` names one)."""
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not know
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a corrupt zip, a missing part, not a workbook at all ...
        raise _fail(path, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from None
    try:
        names = book.sheetnames
        if sheet is not None and sheet not in names:
            raise _fail(path, f"no sheet named {sheet!r}; the sheets are: {', '.join(names)}")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rows = [(i, r) for i, r in enumerate(ws.iter_rows(values_only=True), start=1)]
        except Exception as exc:
            raise _fail(path, f"the workbook is damaged ({type(exc).__name__}: {exc})") from None
    finally:
        book.close()
    return _table_from_sheet(path, "xlsx", rows)


def read_xls(path: Path, sheet: str | None) -> RawTable:
    """Read one sheet of a legacy .xls workbook."""
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except Exception as exc:
        raise _fail(path, f"not a readable .xls workbook ({type(exc).__name__}: {exc})") from None
    try:
        names = book.sheet_names()
        if sheet is not None and sheet not in names:
            raise _fail(path, f"no sheet named {sheet!r}; the sheets are: {', '.join(names)}")
        ws = book.sheet_by_name(sheet) if sheet is not None else book.sheet_by_index(0)
        rows: list[tuple[int, Sequence[object]]] = []
        for r in range(ws.nrows):
            cells: list[object] = []
            for c in ws.row(r):
                if c.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    cells.append(None)
                elif c.ctype == xlrd.XL_CELL_DATE:
                    cells.append(xlrd.xldate_as_datetime(c.value, book.datemode))
                elif c.ctype == xlrd.XL_CELL_BOOLEAN:
                    cells.append(bool(c.value))
                elif c.ctype == xlrd.XL_CELL_ERROR:
                    cells.append(xlrd.error_text_from_code.get(c.value, "#ERROR"))
                else:
                    cells.append(c.value)
            rows.append((r + 1, cells))
    finally:
        book.release_resources()
    return _table_from_sheet(path, "xls", rows)


def _table_from_sheet(path: Path, fmt: str, rows: list[tuple[int, Sequence[object]]]) -> RawTable:
    """The first non-blank row is the header; the rows after it are records."""
    for pos, (_row_no, cells) in enumerate(rows):
        if any(cell_text(c) not in (None, "") for c in cells):
            header_cells = list(cells)
            while header_cells and cell_text(header_cells[-1]) in (None, ""):
                header_cells.pop()  # trailing empty header cells are not columns
            headers = unique_headers([cell_text(c) for c in header_cells])
            return _from_records(path, fmt, headers, rows[pos + 1 :])
    raise _fail(path, "the sheet is empty")


# --------------------------------------------------------------------------- JSON lines


def read_jsonl(path: Path, *, encoding: str = "auto") -> RawTable:
    """Read JSON lines (one object per line), or a JSON array of objects."""
    data = path.read_bytes()
    try:
        enc = detect_encoding(data) if encoding in ("auto", "", None) else encoding
        text = data.decode(enc).removeprefix("\ufeff")
    except (UnicodeDecodeError, LookupError, ValueError) as exc:
        raise _fail(path, f"cannot decode the file as {encoding}: {exc}") from None
    objects: list[tuple[int, dict[str, object]]] = []
    errors: list[RowError] = []
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise _fail(path, f"not valid JSON: {exc}") from None
        lines: Iterable[tuple[int, object]] = enumerate(items, start=1)
    else:
        lines = []
        for no, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                lines.append((no, json.loads(line, parse_float=Decimal)))
            except json.JSONDecodeError as exc:
                errors.append(RowError(str(path), no, None, line[:80], f"not valid JSON: {exc}"))
    for no, obj in lines:
        if isinstance(obj, dict):
            objects.append((no, obj))
        else:
            errors.append(RowError(str(path), no, None, None, "not a JSON object"))
    headers: dict[str, None] = {}
    for _no, obj in objects:
        headers.update(dict.fromkeys(str(k) for k in obj))
    names = list(headers)
    records = ((no, [obj.get(h) for h in names]) for no, obj in objects)
    table = _from_records(path, "jsonl", names, records, enc)
    table.errors = errors + table.errors
    return table
