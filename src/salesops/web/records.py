"""The records behind a panel: a small table model, shown in a dialog and exported as CSV/XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from salesops.formula_safety import csv_row, xlsx_row
from salesops.web.formatting import format_value
from salesops.web.i18n import translate

#: Most rows a records view returns (exports included); the summary says when it was cut.
RECORDS_LIMIT = 5000


@dataclass(frozen=True)
class Column:
    """One column: ``key`` in each row, header ``label`` (already translated), display ``unit``."""

    key: str
    label: str
    unit: str | None = None  # money | count | ratio | days | score | number | None (text)


@dataclass
class RecordSet:
    """Rows with their columns; ``truncated`` when more rows existed than were returned."""

    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    truncated: bool = False
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _cell(value: Any, unit: str | None, locale: str) -> str:
    if value is None:
        return ""
    if unit and isinstance(value, int | float | Decimal):
        return format_value(value, unit, locale, full=unit != "ratio")
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def to_json(records: RecordSet, locale: str) -> dict[str, Any]:
    """The dialog's JSON: columns, raw rows, display strings and a one-line summary."""
    count = len(records.rows)
    summary = translate(locale, "{count} records", count=f"{count:,}")
    if records.truncated:
        summary = translate(locale, "First {count} records (export for all)", count=f"{count:,}")
    if records.note:
        summary = f"{summary} · {records.note}"
    return {
        "title": records.title,
        "columns": [
            {"key": c.key, "label": c.label, "unit": c.unit, "numeric": c.unit is not None}
            for c in records.columns
        ],
        "rows": [{c.key: _plain(r.get(c.key)) for c in records.columns} for r in records.rows],
        "display": [
            [_cell(r.get(c.key), c.unit, locale) for c in records.columns] for r in records.rows
        ],
        "summary": summary,
        "truncated": records.truncated,
    }


def _export_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    return value


def to_csv(records: RecordSet) -> bytes:
    """UTF-8 with BOM, so Excel opens Chinese text correctly; text that a spreadsheet would read
    as a formula gets a leading apostrophe (formula_safety.py)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(csv_row([c.label for c in records.columns]))
    for row in records.rows:
        writer.writerow(csv_row([_export_value(row.get(c.key)) for c in records.columns]))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(records: RecordSet) -> bytes:
    """An Excel workbook with one sheet, a bold header row and number formats per unit; text
    is never a formula (formula_safety.py)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = (records.title or "records")[:31].replace("/", "-").replace("·", "-")
    ws.append([c.label for c in records.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    formats = {"money": "#,##0.00", "ratio": "0.0%", "count": "#,##0", "days": "0.0"}
    for row in records.rows:
        ws.append(xlsx_row(ws, [_export_value(row.get(c.key)) for c in records.columns]))
    for idx, col in enumerate(records.columns, start=1):
        number_format = formats.get(col.unit or "")
        letter = ws.cell(row=1, column=idx).column_letter
        ws.column_dimensions[letter].width = max(10, min(40, len(col.label) * 2 + 4))
        if number_format:
            for (cell,) in ws.iter_rows(min_row=2, min_col=idx, max_col=idx):
                cell.number_format = number_format
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def from_rows(
    title: str,
    rows: Iterable[dict[str, Any]],
    columns: Sequence[Column],
    *,
    limit: int = RECORDS_LIMIT,
    note: str = "",
) -> RecordSet:
    """A record set of at most ``limit`` rows from any iterable of dicts."""
    kept: list[dict[str, Any]] = []
    truncated = False
    for row in rows:
        if len(kept) >= limit:
            truncated = True
            break
        kept.append(row)
    return RecordSet(title=title, columns=list(columns), rows=kept, truncated=truncated, note=note)
