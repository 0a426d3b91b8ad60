"""The importer's public entry point: :func:`import_file` (used by the CLI, API and web page).

One file is one transaction: it imports completely or not at all. Every run — imported,
failed or dry — is logged to ``import_run``; imports and failed imports also to
``audit_event`` (action ``import``).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from sqlalchemy import Connection, Engine, insert
from sqlalchemy.exc import DBAPIError

from salesops.auth.audit import Actor, record
from salesops.config import get_settings
from salesops.db.schema import ImportRun
from salesops.ingest import readers
from salesops.ingest.convert import ConvertState, convert_table
from salesops.ingest.errors import ErrorList, ImportFailed, RowError
from salesops.ingest.fields import entity_spec
from salesops.ingest.loader import Loader
from salesops.ingest.mapping import (
    Mapping,
    MappingError,
    auto_mapping,
    load_mapping,
    parse_overrides,
    with_overrides,
)
from salesops.ingest.progress import NoProgress, ProgressSink
from salesops.ingest.quality import QualityReport, quality_report
from salesops.ingest.readers import RawTable, TableStream, open_table
from salesops.ingest.repeats import check_staged_repeats


@dataclass
class ImportReport:
    """The outcome of one import run."""

    entity: str
    file: str
    status: str = "failed"  # ok | failed | dry-run
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    history: int = 0  # opportunity_change rows written
    created: dict[str, int] = field(default_factory=dict)  # records created by references
    nulled: int = 0  # unknown references left empty (on_unknown_reference: null)
    merged: int = 0  # repeated rows of a dimension merged into another row of the same key
    errors: list[RowError] = field(default_factory=list)
    errors_total: int = 0
    encoding: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # field → source column
    run_id: int | None = None
    data_version: int | None = None
    seconds: float = 0.0
    quality: QualityReport | None = None  # checks of the whole database after an import

    @property
    def ok(self) -> bool:
        """True when the file imported (or, in a dry run, would import) without errors."""
        return self.status in ("ok", "dry-run")


#: A caller's last write inside an import's transaction (see :func:`import_file`).
BeforeCommit = Callable[[Connection, "ImportReport"], None]


def utc_naive(value: dt.datetime, timezone: str) -> dt.datetime:
    """A datetime as naive UTC; naive input is a local time of ``timezone``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(timezone))
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def import_file(
    engine: Engine,
    entity: str,
    path: Path | str,
    mapping: Mapping | Path | str | None = None,
    *,
    overrides: list[str] | dict[str, str] | None = None,
    sheet: str | None = None,
    dry_run: bool = False,
    as_of: dt.datetime | None = None,
    progress: ProgressSink | None = None,
    actor: Actor | str = "cli",
    history_source: str = "import",
    before_commit: BeforeCommit | None = None,
) -> ImportReport:
    """Import ``path`` into ``entity`` as one transaction and report what happened.

    ``mapping`` is a :class:`Mapping`, a YAML file, or None (source columns named like
    canonical fields map themselves). ``overrides`` are ``field=Source Column`` strings (or a
    dict) replacing the source column of a field. ``as_of`` is the snapshot time recorded in
    opportunity history (naive = local time of the configured time zone; default: a mapped
    ``snapshot_at`` column, else now). ``dry_run`` validates everything — references included —
    and writes nothing but the ``import_run`` log row. Errors never raise: they are in
    ``report.errors`` and ``report.status`` is ``failed``.

    ``history_source`` is what the opportunity history rows of this import say they come from
    (``import``; ``api`` for a webhook's records). ``before_commit(conn, report)`` runs inside
    the import's transaction just before it commits (not in a dry or failed run), so that a
    caller's own row — a webhook's delivery id — is written atomically with the data.
    """
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    path = Path(path)
    progress = progress or NoProgress()
    settings = get_settings()
    errors = ErrorList(str(path))
    report = ImportReport(entity=entity, file=str(path))
    try:
        report = _run(
            engine,
            entity,
            path,
            mapping,
            overrides,
            sheet,
            dry_run,
            as_of,
            progress,
            errors,
            report,
            settings.timezone,
            actor,
            started_at,
            history_source,
            before_commit,
        )
    except ImportFailed as exc:
        errors.extend(exc.errors)
    except MappingError as exc:
        errors.add(None, None, None, str(exc))
    except DBAPIError as exc:
        message = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        errors.add(None, None, None, f"the database refused the import: {message}")
    report.errors = errors.sorted()
    report.errors_total = errors.total
    if errors:
        report.status = "failed"
    report.seconds = time.perf_counter() - started
    if report.status != "ok":  # an ok run was logged inside its own transaction
        log_separately(engine, report, started_at, actor)
    return report


def _mapping_for(
    entity: str,
    mapping: Mapping | Path | str | None,
    overrides: list[str] | dict[str, str] | None,
) -> Mapping | None:
    try:
        spec = entity_spec(entity)
    except ValueError as exc:
        raise MappingError(str(exc)) from None
    if isinstance(mapping, str | Path):
        mapping = load_mapping(Path(mapping), entity=spec.name)
    elif mapping is not None and mapping.entity != spec.name:
        raise MappingError(f"the mapping is for entity {mapping.entity!r}, not {spec.name!r}")
    if isinstance(overrides, list):
        overrides = parse_overrides(overrides, spec.name)
    if mapping is not None and overrides:
        mapping = with_overrides(mapping, overrides)
    return mapping


def _run(
    engine: Engine,
    entity: str,
    path: Path,
    mapping_arg: Mapping | Path | str | None,
    overrides: list[str] | dict[str, str] | None,
    sheet: str | None,
    dry_run: bool,
    as_of: dt.datetime | None,
    progress: ProgressSink,
    errors: ErrorList,
    report: ImportReport,
    timezone: str,
    actor: Actor | str,
    started_at: dt.datetime,
    history_source: str = "import",
    before_commit: BeforeCommit | None = None,
) -> ImportReport:
    mapping = _mapping_for(entity, mapping_arg, overrides)
    progress.phase("reading", 1)
    stream = open_table(
        path,
        sheet=sheet or (mapping.sheet if mapping else None),
        encoding=mapping.encoding if mapping else "auto",
        delimiter=mapping.delimiter if mapping else None,
        batch_rows=readers.BATCH_ROWS,
    )
    try:
        report.encoding = stream.encoding
        if mapping is None:
            mapping = auto_mapping(entity, stream.headers)
            if isinstance(overrides, list):
                overrides = parse_overrides(overrides, mapping.entity)
            if overrides:
                mapping = with_overrides(mapping, overrides)
        report.entity = mapping.entity
        report.columns = {f: c.column for f, c in mapping.columns.items() if c.column is not None}
        if not mapping.columns:
            raise MappingError(
                f"no column of the file maps to a field of {mapping.entity}; the file's columns "
                f"are {', '.join(stream.headers)}; its fields are "
                f"{', '.join(mapping.spec.field_names)} (give --mapping or --map field=Column)"
            )
        changed_at = utc_naive(as_of, timezone) if as_of else started_at
        with engine.connect() as conn:
            trans = conn.begin()
            try:
                loader = Loader(
                    conn,
                    mapping,
                    errors,
                    changed_at=changed_at,
                    as_of_given=as_of is not None,
                    history_source=history_source,
                )
                if not _stage_stream(stream, loader, mapping, errors, report, progress, timezone):
                    trans.rollback()
                    return report
                progress.phase("loading", 6)
                progress.advance()  # staged batch by batch above: the load's first step is done
                load_staged(loader, report, progress)
                if not errors:  # the database as the import leaves it (or, dry, would leave it)
                    report.quality = quality_report(conn, created=report.created)
                if errors or dry_run:
                    trans.rollback()
                    report.status = "failed" if errors else "dry-run"
                    report.data_version = None
                else:
                    report.status = "ok"
                    report.run_id = log_run(conn, report, started_at, actor, errors_total=0)
                    if before_commit is not None:
                        before_commit(conn, report)
                    trans.commit()
                progress.advance()
            except BaseException:
                trans.rollback()
                raise
    finally:
        stream.close()
    return report


def _lookahead(
    batches: Iterator[RawTable | None],
) -> Iterator[tuple[RawTable | None, bool]]:
    """Each batch with whether it is the last (the next one is read before it is handed on)."""
    current = next(batches, _END)
    while current is not _END:
        following = next(batches, _END)
        yield current, following is _END
        current = following


_END: Any = object()


def _stage_stream(
    stream: TableStream,
    loader: Loader,
    mapping: Mapping,
    errors: ErrorList,
    report: ImportReport,
    progress: ProgressSink,
    timezone: str,
) -> bool:
    """Read, convert and stage the file batch by batch (step 1 of the load), then check the
    keys repeated across batches; False when the file's columns do not fit the mapping.

    A file of one batch is converted and checked whole, in memory; a longer one never holds
    more than two batches (the one converted, the next one read)."""
    state = ConvertState()
    first, whole, shown = True, True, 0.0
    for raw, last in _lookahead(stream.batches):
        if raw is None:  # the reader starts again from the first record
            errors.clear()
            loader.restage()
            state, first, report.rows_read, report.merged = ConvertState(), True, 0, 0
            continue
        whole = first and last
        first = False
        report.rows_read += raw.n_rows + len(raw.errors)
        errors.extend(raw.errors)
        table = convert_table(raw, mapping, errors, timezone=timezone, state=state, whole=whole)
        if table is None:
            return False
        report.merged += raw.n_rows - table.num_rows
        loader.stage_batch(table)
        share = 1.0 if last else raw.read_share
        del raw, table
        progress.advance(max(0.0, share - shown))
        shown = max(shown, share)
    if loader.schema is None:  # no batch at all: an empty file
        return False
    progress.phase("validating", 1)
    if not whole:
        merged = check_staged_repeats(loader.conn, mapping, list(loader.schema.names), errors)
        report.merged += merged
        loader.rows_staged -= merged
    loader.staged_done()
    progress.advance()
    return True


def load_section(
    conn: Connection,
    mapping: Mapping,
    table: pa.Table,
    errors: ErrorList,
    report: ImportReport,
    changed_at: dt.datetime,
    as_of_given: bool,
    progress: ProgressSink,
    *,
    history_source: str = "import",
) -> None:
    """Load one converted table into ``mapping``'s entity in the caller's transaction, and put
    the counts in ``report``; writes nothing once ``errors`` has any (the caller rolls back)."""
    loader = Loader(
        conn,
        mapping,
        errors,
        changed_at=changed_at,
        as_of_given=as_of_given,
        history_source=history_source,
    )
    loader.stage(table)
    progress.advance()
    load_staged(loader, report, progress)


def load_staged(loader: Loader, report: ImportReport, progress: ProgressSink) -> None:
    """Steps 2–8 of a load whose rows are staged; the counts go in ``report``."""
    errors = loader.errors
    loader.resolve_references()
    progress.advance()
    loader.prepare()
    loader.check_required()
    progress.advance()
    if not errors:
        loader.upsert()
        progress.advance()
        loader.self_references()
        progress.advance()
    if not errors:
        loader.finish(loader.rows_staged)
        loader.cleanup()
    result = loader.result
    report.inserted, report.updated = result.inserted, result.updated
    report.unchanged, report.history = result.unchanged, result.history
    report.created, report.nulled = dict(result.refs.created), result.refs.nulled
    report.data_version = result.data_version


def log_run(
    conn: Connection,
    report: ImportReport,
    started_at: dt.datetime,
    actor: Actor | str,
    *,
    errors_total: int,
) -> int:
    """Write the ``import_run`` row (and the audit event unless it was a dry run)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    run_id = conn.execute(
        insert(ImportRun)
        .values(
            entity=report.entity,
            source=report.file[-500:],
            started_at=started_at,
            finished_at=now,
            rows_read=report.rows_read,
            inserted=report.inserted,
            updated=report.updated,
            unchanged=report.unchanged,
            errors=errors_total,
            status=report.status,
            actor=(actor.name if isinstance(actor, Actor) else actor)[:100],
            error_sample=error_sample(report.errors) if report.errors else None,
        )
        .returning(ImportRun.id)
    ).scalar_one()
    if report.status != "dry-run":
        detail = {
            "run_id": run_id,
            "status": report.status,
            "rows": report.rows_read,
            "inserted": report.inserted,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "history": report.history,
            "created": report.created,
            "errors": errors_total,
        }
        outcome = "ok" if report.status == "ok" else "failed"
        target = f"{report.entity}:{Path(report.file).name}"
        record(conn, actor, "import", target, detail, outcome=outcome)
    return int(run_id)


#: How many errors of a run ``import_run.error_sample`` keeps (the data page lists them).
ERROR_SAMPLE = 20


def error_sample(errors: list[RowError]) -> str:
    """The first errors of a run as JSON: ``[{"row", "column", "value", "reason"}, ...]``."""
    return json.dumps(
        [
            {"row": e.row, "column": e.column, "value": e.value, "reason": e.reason}
            for e in errors[:ERROR_SAMPLE]
        ],
        ensure_ascii=False,
    )


def log_separately(
    engine: Engine, report: ImportReport, started_at: dt.datetime, actor: Actor | str
) -> None:
    """Log a failed or dry run in a transaction of its own (the import's was rolled back)."""
    try:
        with engine.begin() as conn:
            total = report.errors_total
            report.run_id = log_run(conn, report, started_at, actor, errors_total=total)
    except DBAPIError:
        pass  # e.g. a database without our schema: the report still says what went wrong
