"""Import errors: what went wrong, where — file, row, column, value — and why.

Row numbers are those a person sees in a spreadsheet: the header is row 1, so the first
record is row 2 (for JSON lines: the line number). ``row`` is None for problems of the whole
file or of a whole column (an unreadable workbook, an ambiguous date column, a missing column).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

from salesops.formula_safety import csv_row

#: At most this many errors are kept per import (the total is still counted).
MAX_ERRORS = 10_000


@dataclass(frozen=True)
class RowError:
    """One problem found in an import file."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        if self.value is not None:
            where += f", value {self.value!r}"
        return f"{where}: {self.reason}"


class ImportFailed(Exception):
    """An import that cannot go on; carries the errors found so far."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors[:3]))
        self.errors = list(errors)


class ErrorList:
    """Collects errors up to :data:`MAX_ERRORS`, counting every one."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[RowError] = []
        self.total = 0
        self._cells: set[tuple[int | None, str | None]] = set()

    def seen(self, row: int | None, column: str | None) -> bool:
        """Whether a cell (or its whole column, row None) already has an error."""
        return (row, column) in self._cells or (None, column) in self._cells

    def add(self, row: int | None, column: str | None, value: object | None, reason: str) -> None:
        """Record one error (values are shown as text)."""
        self._cells.add((row, column))
        self.total += 1
        if len(self.items) < MAX_ERRORS:
            text = None if value is None else str(value)
            self.items.append(RowError(self.file, row, column, text, reason))

    def count_more(self, n: int) -> None:
        """Count ``n`` further errors that are not kept."""
        self.total += n

    def extend(self, errors: Iterable[RowError]) -> None:
        """Record errors made elsewhere (a reader, a converter)."""
        for e in errors:
            self.total += 1
            if len(self.items) < MAX_ERRORS:
                self.items.append(e)

    def clear(self) -> None:
        """Forget every error (the file is read again from its start)."""
        self.items.clear()
        self.total = 0
        self._cells.clear()

    def __bool__(self) -> bool:
        return self.total > 0

    def sorted(self) -> list[RowError]:
        """Errors ordered by row (file-level ones first), then column."""
        return sorted(self.items, key=lambda e: (e.row or 0, e.column or "", e.reason))


def errors_table(errors: Sequence[RowError], *, limit: int = 50, total: int | None = None) -> Table:
    """A rich table of the first ``limit`` errors, with a note on how many more there are."""
    total = len(errors) if total is None else total
    table = Table(title=f"{total} error(s)", title_justify="left", show_lines=False)
    for name in ("File", "Row", "Column", "Value", "Reason"):
        table.add_column(name, overflow="fold")
    for e in errors[:limit]:
        table.add_row(
            Path(e.file).name,
            "" if e.row is None else str(e.row),
            e.column or "",
            "" if e.value is None else e.value,
            e.reason,
        )
    if total > limit:
        table.caption = f"... and {total - limit} more (all of them with --errors-out FILE.csv)"
    return table


def write_errors_csv(errors: Sequence[RowError], path: Path) -> None:
    """Write errors to ``path`` as UTF-8 CSV (with BOM, so Excel opens Chinese text right)."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "row", "column", "value", "reason"])
        for e in errors:
            # values, headers and reasons quote the file: no formula may come through
            row = "" if e.row is None else e.row
            writer.writerow(csv_row([e.file, row, e.column or "", e.value or "", e.reason]))
