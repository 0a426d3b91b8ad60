"""Export an entity as CSV or XLSX with canonical field names, readable back by the importer.

References are written as the referenced record's external id (a rep as its external id, a
customer as its external id), regions as their names; timestamps as local times of the
configured time zone (the importer reads them back as such); decimals exactly as stored.
CSV is UTF-8 with a byte-order mark, so Excel shows Chinese text right.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from salesops.config import get_settings
from salesops.formula_safety import csv_cell, xlsx_cell
from salesops.ingest.fields import ENTITIES, EntitySpec, Field, entity_spec

FORMATS = ("csv", "xlsx")
_BATCH = 10_000
#: Field kinds written as numbers, dates or booleans; every other kind is text from the file and
#: is guarded against formulas (formula_safety.py): "-12.50" in an amount stays a number.
_NOT_TEXT = frozenset({"decimal", "int", "rate", "date", "datetime", "bool"})


def export_fields(spec: EntitySpec) -> list[Field]:
    """The fields an export writes: every stored field (not ``profit`` or ``snapshot_at``)."""
    return [f for f in spec.fields if f.db_column is not None]


def export_query(spec: EntitySpec) -> str:
    """SQL selecting the entity with references as external ids / region names."""
    select: list[str] = []
    joins: list[str] = []
    for f in export_fields(spec):
        if f.kind == "region":
            joins.append(f"LEFT JOIN region AS j_{f.name} ON j_{f.name}.id = t.{f.db_column}")
            select.append(f"j_{f.name}.name")
        elif f.kind == "ref":
            target = ENTITIES[str(f.ref)].table.name
            joins.append(f"LEFT JOIN {target} AS j_{f.name} ON j_{f.name}.id = t.{f.db_column}")
            select.append(f"j_{f.name}.external_id")
        else:
            select.append(f"t.{f.db_column}")
    return (
        f"SELECT {', '.join(select)} FROM {spec.table.name} AS t "  # noqa: S608 - our names
        f"{' '.join(joins)} ORDER BY t.id"
    )


def _cell(value: Any, f: Field, tz: ZoneInfo) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        local = value.replace(tzinfo=dt.UTC).astimezone(tz).replace(tzinfo=None)
        return local.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def rows(engine: Engine, spec: EntitySpec) -> Iterator[list[str | None]]:
    """The entity's records as lists of text cells, in id order, streamed."""
    tz = ZoneInfo(get_settings().timezone)
    fields = export_fields(spec)
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True).execute(text(export_query(spec)))
        while batch := result.fetchmany(_BATCH):
            for record in batch:
                yield [_cell(v, f, tz) for v, f in zip(record, fields, strict=True)]


def export_entity(
    engine: Engine, entity: str, path: Path | str | None, fmt: str = "csv", *, actor: str = "cli"
) -> int:
    """Write ``entity`` to ``path`` (None or ``-``: CSV on stdout); returns the row count."""
    spec = entity_spec(entity)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of: {', '.join(FORMATS)}")
    fields = export_fields(spec)
    header = [f.name for f in fields]
    text = [f.kind not in _NOT_TEXT for f in fields]
    if fmt == "xlsx":
        if path in (None, "-"):
            raise ValueError("an XLSX export needs an output file (-o FILE.xlsx)")
        count = _write_xlsx(Path(str(path)), header, text, rows(engine, spec))
    elif path in (None, "-"):
        count = _write_csv(sys.stdout, header, text, rows(engine, spec))
    else:
        with Path(str(path)).open("w", encoding="utf-8-sig", newline="") as fh:
            count = _write_csv(fh, header, text, rows(engine, spec))
    _audit(engine, entity, str(path or "-"), fmt, count, actor)
    return count


def _write_csv(
    fh: IO[str], header: list[str], text: list[bool], records: Iterator[list[str | None]]
) -> int:
    writer = csv.writer(fh)
    writer.writerow(header)
    count = 0
    for record in records:
        cells = zip(record, text, strict=True)
        writer.writerow(["" if v is None else csv_cell(v) if t else v for v, t in cells])
        count += 1
    return count


def _write_xlsx(
    path: Path, header: list[str], text: list[bool], records: Iterator[list[str | None]]
) -> int:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    sheet.append(header)
    count = 0
    for record in records:
        # Text cells keep every value exact (ids with leading zeros, decimals, dates); text
        # from the file is a string cell even when it starts with "=".
        sheet.append([xlsx_cell(sheet, v) if t else v for v, t in zip(record, text, strict=True)])
        count += 1
    book.save(path)
    return count


def _audit(engine: Engine, entity: str, target: str, fmt: str, count: int, actor: str) -> None:
    import json

    from sqlalchemy import insert

    from salesops.db.schema import AuditEvent

    with engine.begin() as conn:
        conn.execute(
            insert(AuditEvent).values(
                occurred_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
                actor=actor,
                action="export",
                target=f"{entity}:{Path(target).name}"[:300],
                detail=json.dumps({"format": fmt, "rows": count}),
            )
        )
