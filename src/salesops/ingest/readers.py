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
import itertools
import json
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
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
    read_share: float = 1.0  # how much of the file is read once this batch is

    @property
    def n_rows(self) -> int:
        """Number of records read."""
        return len(self.rows)


#: Records per batch when a file is streamed (:func:`open_table`): the importer converts and
#: stages one batch at a time, so memory stays flat however long the file is.
BATCH_ROWS = 50_000
#: Bytes Arrow's streaming CSV reader parses at a time.
CSV_BLOCK = 512 << 10


@dataclass
class TableStream:
    """A file being read batch by batch: its header, then :class:`RawTable` batches.

    ``batches`` yields the records in file order, their row numbers counted across batches.
    It may yield ``None`` once: the reader had to start again from the first record (Arrow
    refused a record that only the exact reader can report); forget every batch before it.
    """

    path: Path
    headers: list[str]
    format: str
    encoding: str | None
    batches: Iterator[RawTable | None]

    def close(self) -> None:
        """Release the file (a workbook stays open while its rows are read)."""
        close = getattr(self.batches, "close", None)
        if close is not None:
            close()


def read_table(
    path: Path,
    *,
    sheet: str | None = None,
    encoding: str = "auto",
    delimiter: str | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> RawTable:
    """Read ``path`` whole by its extension; raises :class:`ImportFailed` if it cannot be read.

    For files of any size use :func:`open_table`, which reads them batch by batch."""
    stream = open_table(path, sheet=sheet, encoding=encoding, delimiter=delimiter, batch_rows=None)
    tables: list[RawTable] = []
    try:
        for table in stream.batches:
            if table is None:
                tables = []
                continue
            tables.append(table)
            if on_progress:
                on_progress(table.read_share)
    finally:
        stream.close()
    return concat_tables(stream, tables)


def concat_tables(stream: TableStream, tables: list[RawTable]) -> RawTable:
    """The batches of ``stream`` as one table."""
    if len(tables) == 1:
        return tables[0]
    columns = {
        h: pa.concat_arrays([t.columns[h] for t in tables])
        if tables
        else pa.array([], type=pa.string())
        for h in stream.headers
    }
    rows = np.concatenate([t.rows for t in tables]) if tables else np.array([], dtype=np.int64)
    errors = [e for t in tables for e in t.errors]
    return RawTable(
        stream.path, stream.headers, columns, rows, stream.format, stream.encoding, errors
    )


def open_table(
    path: Path,
    *,
    sheet: str | None = None,
    encoding: str = "auto",
    delimiter: str | None = None,
    batch_rows: int | None = BATCH_ROWS,
) -> TableStream:
    """Open ``path`` for reading in batches of ``batch_rows`` records (None: one batch).

    The header is read here; the batches follow as the stream is iterated (close it when
    done). Raises :class:`ImportFailed` when the file cannot be read — here or while the
    batches are read."""
    ext = path.suffix.lower()
    if not path.is_file():
        raise _fail(path, f"no such file: {path}")
    if sheet and ext not in EXCEL_EXTENSIONS | XLS_EXTENSIONS:
        raise _fail(path, "--sheet applies to Excel workbooks (.xlsx, .xls) only")
    size = batch_rows if batch_rows is not None else sys.maxsize
    try:
        if ext in EXCEL_EXTENSIONS:
            stream = stream_xlsx(path, sheet, size)
        elif ext in XLS_EXTENSIONS:
            stream = stream_xls(path, sheet, size)
        elif ext in JSON_EXTENSIONS:
            stream = stream_jsonl(path, encoding=encoding, batch_rows=size)
        else:
            stream = stream_csv(path, encoding=encoding, delimiter=delimiter, batch_rows=size)
    except Exception as exc:
        raise _failure(path, exc) from None
    stream.batches = _guarded(path, stream.batches)
    return stream


def _failure(path: Path, exc: BaseException) -> ImportFailed:
    """What a reader's exception means for the import: an error, not a crash."""
    if isinstance(exc, ImportFailed):
        return exc
    if isinstance(exc, MemoryError):
        return _fail(path, "the file is too large to read into memory")
    ext = path.suffix.lower()
    kind = {".xlsx": "an .xlsx workbook", ".xls": "an .xls workbook"}.get(ext, "a text file")
    return _fail(path, f"cannot read the file as {kind} ({type(exc).__name__}: {exc})")


def _guarded(path: Path, batches: Iterator[RawTable | None]) -> Iterator[RawTable | None]:
    """``batches``, whatever a damaged file does to a parser turned into :class:`ImportFailed`."""
    try:
        while True:
            try:
                table = next(batches)
            except StopIteration:
                return
            except Exception as exc:
                raise _failure(path, exc) from None
            yield table
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()


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
    """Read a delimited text file whole; every cell is text."""
    return read_table(path, encoding=encoding, delimiter=delimiter, on_progress=on_progress)


def detect_file_encoding(path: Path) -> str:
    """:func:`detect_encoding` of a file, read in blocks (never whole into memory)."""
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for candidate in ("utf-8", "gb18030"):
        if _decodes(path, candidate):
            return candidate
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    if best is None:
        raise ValueError("the file's text encoding could not be recognised")
    return str(best.encoding)


def _decodes(path: Path, enc: str) -> bool:
    """Whether the whole file decodes as ``enc`` (checked block by block)."""
    decoder = codecs.getincrementaldecoder(enc)()
    try:
        with path.open("rb") as fh:
            while block := fh.read(8 << 20):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _is_utf8(enc: str) -> bool:
    return codecs.lookup(enc).name == "utf-8"


def stream_csv(
    path: Path, *, encoding: str = "auto", delimiter: str | None = None, batch_rows: int
) -> TableStream:
    """Open a delimited text file: the header now, the records batch by batch."""
    auto = encoding in ("auto", "", None)
    try:
        enc = detect_file_encoding(path) if auto else encoding
        decoder = codecs.getincrementaldecoder(enc)()
        with path.open("rb") as fh:
            head_bytes = fh.read(1 << 16)
            more = bool(fh.read(1))
        head = decoder.decode(head_bytes, final=not more).removeprefix("\ufeff")
    except (UnicodeDecodeError, LookupError, ValueError) as exc:
        raise _fail(path, f"cannot decode the file as {encoding}: {exc}") from None
    if not more and not head.strip():
        raise _fail(path, "the file is empty")
    delim = delimiter or sniff_delimiter(first_line(head))
    # newline="": the csv module sees LF, CRLF and CR-only line endings (Excel for Mac's
    # "CSV (Macintosh)") as line ends, and keeps line breaks inside quoted cells.
    header = unique_headers(next(csv.reader(io.StringIO(head, newline=""), delimiter=delim)))
    stream = TableStream(path, header, "csv", enc, iter(()))
    stream.batches = _csv_batches(path, header, delim, enc, encoding, batch_rows)
    return stream


def _csv_batches(
    path: Path, header: list[str], delim: str, enc: str, asked: str, batch_rows: int
) -> Iterator[RawTable | None]:
    """Arrow's parser while it can; the exact reader from the start when it cannot."""
    arrow = _csv_arrow_batches(path, header, delim, enc, batch_rows)
    yielded = False
    while True:
        try:
            table = next(arrow)
        except StopIteration:
            return
        except pa.ArrowInvalid:
            break  # ragged rows and the like: the exact path reports them row by row
        except UnicodeDecodeError as exc:
            raise _fail(path, f"cannot decode the file as {asked}: {exc}") from None
        yielded = True
        yield table
    if yielded:
        yield None  # start again
    yield from _csv_exact_batches(path, header, delim, enc, asked, batch_rows)


def _csv_exact_batches(
    path: Path, header: list[str], delim: str, enc: str, asked: str, batch_rows: int
) -> Iterator[RawTable]:
    """Python's csv module, record by record; a record it cannot parse is an error of its row."""
    size = max(path.stat().st_size, 1)
    try:
        with path.open("rb") as binary, io.TextIOWrapper(binary, enc, newline="") as fh:
            reader = csv.reader(fh, delimiter=delim)
            next(reader, None)
            row_no = 1
            done = False
            while not done:
                records: list[tuple[int, Sequence[object]]] = []
                failed: list[RowError] = []
                while len(records) < batch_rows:
                    try:
                        record = next(reader)
                    except StopIteration:
                        done = True
                        break
                    except csv.Error as exc:  # e.g. a field over the csv module's size limit
                        failed.append(
                            RowError(str(path), row_no + 1, None, None, f"unreadable: {exc}")
                        )
                        done = True
                        break
                    row_no += 1
                    records.append((row_no, record))
                table = _from_records(path, "csv", header, records, enc)
                table.errors += failed
                table.read_share = 1.0 if done else min(binary.tell() / size, 1.0)
                yield table
    except UnicodeDecodeError as exc:
        raise _fail(path, f"cannot decode the file as {asked}: {exc}") from None


def _csv_arrow_batches(
    path: Path, header: list[str], delim: str, enc: str, batch_rows: int
) -> Iterator[RawTable]:
    """Arrow's streaming CSV parser, its record batches gathered into batches of records."""
    names = [f"c{i}" for i in range(len(header))]
    source = pa.OSFile(str(path))
    size = max(path.stat().st_size, 1)
    try:
        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(
                column_names=names,
                skip_rows=1,
                block_size=CSV_BLOCK,
                encoding="utf8" if _is_utf8(enc) else enc,
            ),
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
        next_row = 2
        pending: list[pa.RecordBatch] = []
        count = 0
        finished = False
        while not finished:
            try:
                batch = reader.read_next_batch()
                pending.append(batch)
                count += batch.num_rows
            except StopIteration:
                finished = True
            if count >= batch_rows or (finished and (pending or next_row == 2)):
                table = pa.Table.from_batches(pending, schema=reader.schema)
                raw = _arrow_raw(path, header, names, table, next_row, enc)
                raw.read_share = 1.0 if finished else min(source.tell() / size, 1.0)
                next_row += table.num_rows
                pending, count = [], 0
                yield raw
    finally:
        source.close()


def _arrow_raw(
    path: Path, header: list[str], names: list[str], table: pa.Table, first_row: int, enc: str
) -> RawTable:
    """One batch of Arrow's records as a :class:`RawTable` (blank records dropped)."""
    columns = {h: clean(table.column(n)) for h, n in zip(header, names, strict=True)}
    rows = np.arange(first_row, first_row + table.num_rows, dtype=np.int64)
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


def stream_xlsx(path: Path, sheet: str | None, batch_rows: int) -> TableStream:
    """Open one sheet of an .xlsx workbook (the first unless ``sheet`` names one); its rows
    are read one at a time (openpyxl's read-only mode) as the batches are iterated."""
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not know
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a corrupt zip, a missing part, not a workbook at all ...
        raise _fail(path, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from None

    def rows() -> Iterator[tuple[int, Sequence[object]]]:
        try:
            names = book.sheetnames
            if sheet is not None and sheet not in names:
                raise _fail(path, f"no sheet named {sheet!r}; the sheets are: {', '.join(names)}")
            ws = book[sheet] if sheet is not None else book.worksheets[0]
            cells = ws.iter_rows(values_only=True)
            row_no = 0
            while True:
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        record = next(cells)
                except StopIteration:
                    return
                except Exception as exc:
                    reason = f"the workbook is damaged ({type(exc).__name__}: {exc})"
                    raise _fail(path, reason) from None
                row_no += 1
                yield row_no, record
        finally:
            book.close()

    return _stream_sheet(path, "xlsx", rows(), batch_rows)


def stream_xls(path: Path, sheet: str | None, batch_rows: int) -> TableStream:
    """Open one sheet of a legacy .xls workbook (xlrd reads it whole)."""
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
    return _stream_sheet(path, "xls", iter(rows), batch_rows)


def _stream_sheet(
    path: Path, fmt: str, rows: Iterator[tuple[int, Sequence[object]]], batch_rows: int
) -> TableStream:
    """The first non-blank row is the header; the rows after it are records."""
    for _row_no, cells in rows:
        if any(cell_text(c) not in (None, "") for c in cells):
            header_cells = list(cells)
            while header_cells and cell_text(header_cells[-1]) in (None, ""):
                header_cells.pop()  # trailing empty header cells are not columns
            headers = unique_headers([cell_text(c) for c in header_cells])
            batches = _record_batches(path, fmt, headers, rows, batch_rows, None)
            return TableStream(path, headers, fmt, None, batches)
    close = getattr(rows, "close", None)
    if close is not None:
        close()
    raise _fail(path, "the sheet is empty")


def _record_batches(
    path: Path,
    fmt: str,
    headers: list[str],
    records: Iterator[tuple[int, Sequence[object]]],
    batch_rows: int,
    encoding: str | None,
) -> Iterator[RawTable]:
    """(row number, cells) records as tables of ``batch_rows`` records (at least one table)."""
    try:
        done = False
        while not done:
            chunk = list(itertools.islice(records, batch_rows))
            done = len(chunk) < batch_rows
            table = _from_records(path, fmt, headers, chunk, encoding)
            table.read_share = 1.0 if done else 0.0
            yield table
    finally:
        close = getattr(records, "close", None)
        if close is not None:
            close()


# --------------------------------------------------------------------------- JSON lines


def stream_jsonl(path: Path, *, encoding: str = "auto", batch_rows: int) -> TableStream:
    """Open JSON lines (one object per line), or a JSON array of objects (read whole).

    The columns are every key of any object, so JSON lines are read twice: once for the
    keys, then batch by batch."""
    try:
        enc = detect_file_encoding(path) if encoding in ("auto", "", None) else encoding
        with path.open("r", encoding=enc) as fh:
            start = fh.read(1 << 16).removeprefix("\ufeff")
    except (UnicodeDecodeError, LookupError, ValueError) as exc:
        raise _fail(path, f"cannot decode the file as {encoding}: {exc}") from None
    if start.lstrip().startswith("["):
        try:
            with path.open("r", encoding=enc) as fh:
                items = json.loads(fh.read().removeprefix("\ufeff"), parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise _fail(path, f"not valid JSON: {exc}") from None
        except UnicodeDecodeError as exc:
            raise _fail(path, f"cannot decode the file as {encoding}: {exc}") from None
        if not isinstance(items, list):
            items = [items]
        names = _json_keys(obj for _no, obj in enumerate(items, start=1))
        numbered: Iterator[tuple[int, object]] = enumerate(items, start=1)
        batches = _json_batches(path, names, numbered, batch_rows, enc)
        return TableStream(path, names, "jsonl", enc, batches)

    def objects() -> Iterator[object]:
        for _no, obj in _json_lines(path, enc, encoding, None):
            yield obj

    names = _json_keys(objects())
    errors: list[RowError] = []
    lines = _json_lines(path, enc, encoding, errors)
    batches = _json_batches(path, names, lines, batch_rows, enc, errors)
    return TableStream(path, names, "jsonl", enc, batches)


def _json_keys(objects: Iterable[object]) -> list[str]:
    headers: dict[str, None] = {}
    for obj in objects:
        if isinstance(obj, dict):
            headers.update(dict.fromkeys(str(k) for k in obj))
    return list(headers)


def _json_lines(
    path: Path, enc: str, asked: str, errors: list[RowError] | None
) -> Iterator[tuple[int, object]]:
    """(line number, value) of every line holding JSON; a line that does not is an error
    (in ``errors``; None: skipped)."""
    try:
        with path.open("r", encoding=enc) as fh:
            no = 0
            for physical in fh:
                for line in physical.splitlines() or [""]:
                    no += 1
                    if no == 1:
                        line = line.removeprefix("\ufeff")
                    if not line.strip():
                        continue
                    try:
                        value = json.loads(line, parse_float=Decimal)
                    except json.JSONDecodeError as exc:
                        if errors is not None:
                            errors.append(
                                RowError(str(path), no, None, line[:80], f"not valid JSON: {exc}")
                            )
                        continue
                    yield no, value
    except UnicodeDecodeError as exc:
        raise _fail(path, f"cannot decode the file as {asked}: {exc}") from None


def _json_batches(
    path: Path,
    names: list[str],
    values: Iterator[tuple[int, object]],
    batch_rows: int,
    enc: str,
    errors: list[RowError] | None = None,
) -> Iterator[RawTable]:
    """Tables of ``batch_rows`` objects; the errors of the lines read go with each table."""
    bad: list[RowError] = errors if errors is not None else []
    done = False
    while not done:
        records: list[tuple[int, Sequence[object]]] = []
        while len(records) < batch_rows:
            try:
                no, obj = next(values)
            except StopIteration:
                done = True
                break
            if isinstance(obj, dict):
                records.append((no, [obj.get(h) for h in names]))
            else:
                bad.append(RowError(str(path), no, None, None, "not a JSON object"))
        table = _from_records(path, "jsonl", names, records, enc)
        table.errors = bad[:] + table.errors
        bad.clear()
        table.read_share = 1.0 if done else 0.0
        yield table
