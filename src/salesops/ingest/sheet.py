"""Several entities from one file in one atomic import: :func:`import_sheet`.

The most common file a sales team has is one flat sheet of order lines that carries the
customer's and the product's attributes on every row. A sheet mapping (see
:mod:`salesops.ingest.mapping`) names a section per entity; the file is read once, every
section is converted and checked first (all conversion errors of every section in one run),
then the sections are loaded in dependency order — org units, reps, products, customers, then
the facts — in **one** transaction: all entities or nothing. A section that fails to load
stops the import (later sections would only repeat its errors as unknown references).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyarrow as pa
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from salesops.auth.audit import Actor
from salesops.config import get_settings
from salesops.ingest.convert import convert_table
from salesops.ingest.errors import ErrorList, ImportFailed, RowError
from salesops.ingest.importer import ImportReport, load_section, log_run, log_separately, utc_naive
from salesops.ingest.mapping import SHEET, MappingError, SheetMapping, load_sheet_mapping
from salesops.ingest.progress import NoProgress, ProgressSink
from salesops.ingest.quality import QualityReport, quality_report
from salesops.ingest.readers import read_table


@dataclass
class SheetReport:
    """The outcome of one sheet import: a report per section, and the errors of all."""

    file: str
    status: str = "failed"  # ok | failed | dry-run
    sections: list[ImportReport] = field(default_factory=list)
    rows_read: int = 0
    encoding: str | None = None
    errors: list[RowError] = field(default_factory=list)
    errors_total: int = 0
    quality: QualityReport | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the file imported (or, in a dry run, would import) without errors."""
        return self.status in ("ok", "dry-run")


def import_sheet(
    engine: Engine,
    path: Path | str,
    mapping: SheetMapping | Path | str,
    *,
    dry_run: bool = False,
    as_of: dt.datetime | None = None,
    progress: ProgressSink | None = None,
    actor: Actor | str = "cli",
) -> SheetReport:
    """Import every section of ``mapping`` from ``path`` as one transaction.

    ``mapping`` is a :class:`SheetMapping` or its YAML file. Errors never raise: they are in
    ``report.errors`` (each reason starts with its section's entity) and ``report.status`` is
    ``failed``. ``dry_run`` loads everything, reports and rolls back.
    """
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    path = Path(path)
    progress = progress or NoProgress()
    report = SheetReport(file=str(path))
    errors = ErrorList(str(path))
    try:
        _run(engine, path, mapping, dry_run, as_of, progress, actor, started_at, report, errors)
    except ImportFailed as exc:
        errors.extend(exc.errors)
    except MappingError as exc:
        errors.add(None, None, None, str(exc))
    except DBAPIError as exc:
        message = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        errors.add(None, None, None, f"the database refused the import: {message}")
    report.errors = errors.sorted()
    report.errors_total = errors.total
    report.seconds = time.perf_counter() - started
    if errors:
        report.status = "failed"
    if report.status != "ok":
        summary = ImportReport(
            entity=SHEET,
            file=report.file,
            status=report.status,
            rows_read=report.rows_read,
            errors_total=report.errors_total,
            errors=report.errors,
        )
        for section in report.sections if report.status == "dry-run" else ():
            # what a dry run would write; a failed import wrote nothing
            summary.inserted += section.inserted
            summary.updated += section.updated
        log_separately(engine, summary, started_at, actor)
    return report


def _tagged(entity: str, found: ErrorList, into: ErrorList) -> None:
    """Move a section's errors into the sheet's, each reason starting with the entity."""
    into.extend(replace(e, reason=f"{entity}: {e.reason}") for e in found.items)
    into.count_more(found.total - len(found.items))


def _run(
    engine: Engine,
    path: Path,
    mapping_arg: SheetMapping | Path | str,
    dry_run: bool,
    as_of: dt.datetime | None,
    progress: ProgressSink,
    actor: Actor | str,
    started_at: dt.datetime,
    report: SheetReport,
    errors: ErrorList,
) -> None:
    mapping = (
        mapping_arg
        if isinstance(mapping_arg, SheetMapping)
        else load_sheet_mapping(Path(mapping_arg))
    )
    timezone = get_settings().timezone
    progress.phase("reading", 1)
    raw = read_table(
        path,
        sheet=mapping.sheet,
        encoding=mapping.encoding,
        delimiter=mapping.delimiter,
        on_progress=lambda share: progress.advance(share),
    )
    report.encoding = raw.encoding
    report.rows_read = raw.n_rows + len(raw.errors)
    errors.extend(raw.errors)
    progress.phase("validating", len(mapping.sections))
    tables: list[pa.Table] = []
    for section in mapping.sections:
        found = ErrorList(str(path))
        table = convert_table(raw, section, found, timezone=timezone)
        _tagged(section.entity, found, errors)
        sub = ImportReport(
            entity=section.entity,
            file=str(path),
            rows_read=report.rows_read,
            encoding=raw.encoding,
            columns={f: c.column for f, c in section.columns.items() if c.column is not None},
        )
        report.sections.append(sub)
        if table is not None:
            sub.merged = raw.n_rows - table.num_rows
            tables.append(table)
        progress.advance()
    if errors:
        return
    changed_at = utc_naive(as_of, timezone) if as_of else started_at
    progress.phase("loading", 6 * len(mapping.sections))
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            for section, table, sub in zip(mapping.sections, tables, report.sections, strict=True):
                found = ErrorList(str(path))
                load_section(
                    conn, section, table, found, sub, changed_at, as_of is not None, progress
                )
                _tagged(section.entity, found, errors)
                if found:
                    sub.status = "failed"
                    break
                sub.status = "dry-run" if dry_run else "ok"
            if not errors:
                created: dict[str, int] = {}
                for sub in report.sections:
                    for entity, n in sub.created.items():
                        created[entity] = created.get(entity, 0) + n
                report.quality = quality_report(conn, created=created)
            if errors or dry_run:
                trans.rollback()
                report.status = "failed" if errors else "dry-run"
                for sub in report.sections:
                    sub.data_version = None
            else:
                report.status = "ok"
                for sub in report.sections:
                    sub.run_id = log_run(conn, sub, started_at, actor, errors_total=0)
                trans.commit()
        except BaseException:
            trans.rollback()
            raise
