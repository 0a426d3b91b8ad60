"""Backup and restore of the whole database: the one service the CLI (and later the scheduler
and the API) call.

* :func:`backup_database` reads every table of the schema in **one read transaction** (a
  snapshot: DuckDB's MVCC transaction, PostgreSQL's REPEATABLE READ READ ONLY), so writers
  carry on and the archive holds each import whole or not at all.
* :func:`verify_archive` checks the manifest and every table's row count and checksum; it
  writes nothing anywhere but a temporary directory.
* :func:`restore_database` verifies first, then in **one transaction** empties the target
  (``force``), runs the migrations up to the archive's revision, loads every table, runs the
  migrations on to the latest revision (filling the derived tables they add) and moves every
  sequence past the largest id. Killed half-way, the target is as it was.

Derived tables (``salesops.db.derived``) are tables like the others: they are archived and
restored as they were, so the board shows the same numbers at once.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, text
from sqlalchemy.exc import DataError, IntegrityError

import salesops
from salesops.backup import archive, crypto
from salesops.backup.archive import Manifest, TableEntry
from salesops.backup.errors import ArchiveError, BackupError
from salesops.backup.tables import (
    BATCH_ROWS,
    TableHash,
    arrow_schema,
    existing_tables,
    quote,
    read_batches,
    sequences,
    table_columns,
)
from salesops.db.bulk import foreign_keys_checked_at_end
from salesops.db.migrate import fill_added, head_revision, is_known_revision, migrate_connection
from salesops.db.schema import metadata
from salesops.ingest.progress import NoProgress, ProgressSink

#: Test hook (documented in docs/backup.md): when set to a path, a restore creates that file
#: after loading its first table and then sleeps, so a test can kill it half-way.
PAUSE_ENV = "SALESOPS_TEST_RESTORE_PAUSE_FILE"


@dataclass
class RestoreReport:
    """What a restore did."""

    manifest: Manifest
    replaced: bool  # the target held data that was replaced (--force)
    upgraded_from: str | None  # the archive's revision when it was migrated on to the head
    revision: str  # the target's revision now
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------- backup


def backup_database(
    engine: Engine,
    path: Path | str,
    *,
    passphrase: str | None = None,
    progress: ProgressSink | None = None,
    after_table: Callable[[str], None] | None = None,
) -> Manifest:
    """Write an archive of the whole database behind ``engine`` to ``path``.

    Encrypted when ``passphrase`` is given. The file appears only once complete (written
    beside it under a temporary name, then renamed). ``after_table`` is called with each
    table's name once it has been read (tests use it to write concurrently).
    """
    path = Path(path)
    progress = progress or NoProgress()
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent}: no such directory")
    with tempfile.TemporaryDirectory(prefix=".salesops-backup-", dir=path.parent) as tmp:
        work = Path(tmp)
        manifest, files = _snapshot(engine, work, progress, after_table)
        plain = work / "archive.zip"
        archive.write_zip(plain, manifest, files)
        final = plain
        if passphrase is not None:
            final = work / "archive.enc"
            with final.open("wb") as out:
                crypto.encrypt_file(plain, out, passphrase, manifest.summary())
        os.replace(final, path)
    return manifest


def _snapshot(
    engine: Engine,
    work: Path,
    progress: ProgressSink,
    after_table: Callable[[str], None] | None,
) -> tuple[Manifest, dict[str, Path]]:
    import pyarrow.parquet as pq

    files: dict[str, Path] = {}
    with engine.connect() as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            # one snapshot for every table; DuckDB's transactions always are one
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        revision = _revision(conn)
        if revision is None:
            raise BackupError("the database has no SalesOps schema: nothing to back up")
        if not is_known_revision(revision):
            raise BackupError(
                f"the database is at schema revision {revision}, newer than this version "
                f"of SalesOps ({head_revision()}): back it up with the newer version"
            )
        manifest = Manifest(
            app_version=salesops.__version__,
            schema_revision=revision,
            created_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            database=conn.dialect.name,
        )
        for table in existing_tables(conn):
            columns = table_columns(conn, table.name)
            total = _count(conn, table.name)
            progress.phase(table.name, total)
            name = f"tables/{table.name}.parquet"
            file = work / f"{table.name}.parquet"
            digest = TableHash()
            schema = arrow_schema(columns)
            with pq.ParquetWriter(file, schema, compression="zstd") as writer:
                for batch in read_batches(conn, table, columns):
                    writer.write_batch(batch)
                    digest.update(batch)
                    progress.advance(batch.num_rows)
            files[name] = file
            manifest.tables.append(
                TableEntry(table.name, name, digest.rows, digest.hexdigest(), columns)
            )
            if after_table is not None:
                after_table(table.name)
    return manifest, files


# --------------------------------------------------------------------------- verify


def verify_archive(
    path: Path | str,
    *,
    passphrase: str | None = None,
    progress: ProgressSink | None = None,
) -> Manifest:
    """Check that ``path`` is a complete, unaltered archive this version can restore: the
    manifest, and every table's columns, row count and checksum. Raises
    :class:`ArchiveError` naming what is wrong; writes nothing but temporary files."""
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="salesops-verify-") as tmp:
        manifest, _ = _verified(path, Path(tmp), passphrase, progress or NoProgress())
    return manifest


def _verified(
    path: Path, work: Path, passphrase: str | None, progress: ProgressSink
) -> tuple[Manifest, dict[str, Path]]:
    """Verify the archive and leave its table files in ``work``."""
    import pyarrow.parquet as pq

    if not path.is_file():
        raise ArchiveError(f"{path}: no such file")
    files: dict[str, Path] = {}
    with archive.open_plain(path, work, passphrase) as zf:
        manifest = archive.read_manifest(zf, str(path))
        if not is_known_revision(manifest.schema_revision):
            raise ArchiveError(
                f"{path}: the archive's schema revision {manifest.schema_revision} is newer "
                f"than this version of SalesOps knows ({head_revision()}): "
                "restore it with a newer version"
            )
        known = set(metadata.tables)
        for entry in manifest.tables:
            if entry.name not in known:
                raise ArchiveError(f"{path}: table {entry.name} is not part of the schema")
            progress.phase(f"verify {entry.name}", entry.rows)
            file = archive.extract_member(
                zf, entry.file, work / f"{entry.name}.parquet", str(path), entry.name
            )
            _check_table(pq, path, entry, file, progress)
            files[entry.name] = file
    return manifest, files


def _check_table(pq: Any, path: Path, entry: TableEntry, file: Path, progress: Any) -> None:
    try:
        parquet = pq.ParquetFile(file)
        schema = parquet.schema_arrow
    except Exception as exc:  # pyarrow raises several kinds for a damaged file
        raise ArchiveError(f"{path}: table {entry.name}: not a readable Parquet file") from exc
    if schema != arrow_schema(entry.columns):
        raise ArchiveError(f"{path}: table {entry.name}: columns differ from the manifest")
    digest = TableHash()
    try:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            digest.update(batch)
            progress.advance(batch.num_rows)
    except Exception as exc:
        raise ArchiveError(f"{path}: table {entry.name}: the Parquet file is damaged") from exc
    if digest.rows != entry.rows:
        raise ArchiveError(
            f"{path}: table {entry.name}: {digest.rows:,} rows, the manifest says "
            f"{entry.rows:,} (altered)"
        )
    if digest.hexdigest() != entry.sha256:
        raise ArchiveError(
            f"{path}: table {entry.name}: checksum mismatch, the content was altered"
        )


# --------------------------------------------------------------------------- restore


def restore_database(
    engine: Engine,
    path: Path | str,
    *,
    passphrase: str | None = None,
    force: bool = False,
    progress: ProgressSink | None = None,
) -> RestoreReport:
    """Restore the archive ``path`` into the database behind ``engine``.

    The archive is verified completely before anything is written. A target with data is
    refused unless ``force``; then its content is replaced, in the same single transaction
    as the load. Raises :class:`BackupError` (or :class:`ArchiveError`) with the reason; the
    target is then unchanged.
    """
    path = Path(path)
    progress = progress or NoProgress()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="salesops-restore-") as tmp:
        manifest, files = _verified(path, Path(tmp), passphrase, progress)
        occupied = _target_rows(engine)
        if occupied and not force:
            largest = sorted(occupied.items(), key=lambda kv: -kv[1])[:3]
            raise BackupError(
                f"the target database is not empty ({sum(occupied.values()):,} rows in "
                f"{len(occupied)} tables, e.g. "
                + ", ".join(f"{name}: {rows:,}" for name, rows in largest)
                + "): use --force to replace its content"
            )
        report = RestoreReport(
            manifest=manifest,
            replaced=bool(occupied),
            upgraded_from=None,
            revision=manifest.schema_revision,
        )
        try:
            _write(engine, manifest, files, report, bool(occupied), progress)
        except (IntegrityError, DataError) as exc:
            detail = str(exc.orig).strip().splitlines()
            raise BackupError(
                "the archive's rows do not fit the target database, nothing was written: "
                + " ".join(detail[:2])
            ) from None
    report.seconds = time.perf_counter() - started
    return report


def _write(
    engine: Engine,
    manifest: Manifest,
    files: dict[str, Path],
    report: RestoreReport,
    occupied: bool,
    progress: ProgressSink,
) -> None:
    """Replace the target's schema and content with the archive's, in one transaction."""
    with engine.begin() as conn:
        old_version = _data_version(conn) if occupied else 0
        _drop_schema(conn)
        migrate_connection(conn, manifest.schema_revision)
        pause = os.environ.get(PAUSE_ENV)
        with foreign_keys_checked_at_end(conn, [t.name for t in manifest.tables]):
            for index, entry in enumerate(manifest.tables):
                progress.phase(f"load {entry.name}", entry.rows)
                _load(conn, entry, files[entry.name], progress)
                report.rows[entry.name] = entry.rows
                if pause and index == 0:
                    Path(pause).touch()
                    time.sleep(600)
        head = head_revision()
        if manifest.schema_revision != head:
            migrate_connection(conn, "head")
            fill_added(conn, manifest.schema_revision, head)
            report.upgraded_from, report.revision = manifest.schema_revision, head
        _restart_sequences(conn)
        if occupied:
            _bump_version(conn, old_version)


def _target_rows(engine: Engine) -> dict[str, int]:
    """The schema's tables in the target that hold rows, with their counts; refuses a
    target whose schema is newer than this version."""
    with engine.connect() as conn:
        revision = _revision(conn)
        if revision is not None and not is_known_revision(revision):
            raise BackupError(
                f"the target database is at schema revision {revision}, newer than this "
                "version of SalesOps: restore with the newer version"
            )
        found = {t.name: _count(conn, t.name) for t in existing_tables(conn)}
    return {name: rows for name, rows in found.items() if rows}


def _drop_schema(conn: Connection) -> None:
    """Drop the schema's tables and sequences and the revision table (inside the restore's
    transaction, so a failed restore leaves them as they were)."""
    cascade = " CASCADE" if conn.dialect.name == "postgresql" else ""
    for table in reversed(existing_tables(conn)):
        conn.execute(text(f"DROP TABLE {quote(table.name)}{cascade}"))
    conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    for table in metadata.sorted_tables:
        for _column, seq in sequences(table):
            conn.execute(text(f"DROP SEQUENCE IF EXISTS {quote(seq)}"))


def _load(conn: Connection, entry: TableEntry, file: Path, progress: ProgressSink) -> None:
    target = [c.name for c in table_columns(conn, entry.name)]
    archived = [c.name for c in entry.columns]
    if sorted(target) != sorted(archived):
        raise BackupError(
            f"table {entry.name}: the archive's columns ({', '.join(archived)}) differ from "
            f"those revision's schema creates ({', '.join(target)})"
        )
    if entry.rows == 0:
        return
    cols = ", ".join(quote(c) for c in archived)
    raw: Any = conn.connection.dbapi_connection
    if conn.dialect.name == "duckdb":
        raw.execute(
            f"INSERT INTO {quote(entry.name)} ({cols}) SELECT {cols} FROM read_parquet(?)",  # noqa: S608
            [str(file)],
        )
        progress.advance(entry.rows)
        return
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    options = pcsv.WriteOptions(include_header=False, quoting_style="needed")
    with (
        raw.cursor() as cur,
        cur.copy(f"COPY {quote(entry.name)} ({cols}) FROM STDIN (FORMAT csv)") as copy,
    ):
        for batch in pq.ParquetFile(file).iter_batches(batch_size=BATCH_ROWS):
            buffer = io.BytesIO()
            pcsv.write_csv(batch, buffer, options)
            copy.write(buffer.getvalue())
            progress.advance(batch.num_rows)


def _restart_sequences(conn: Connection) -> None:
    """Move every id sequence past the largest id, so new rows get fresh ids."""
    for table in existing_tables(conn):
        for column, seq in sequences(table):
            top = conn.execute(
                text(f"SELECT max({quote(column)}) FROM {quote(table.name)}")  # noqa: S608
            ).scalar()
            if top is not None:
                conn.execute(text("SELECT setval(:seq, :top)"), {"seq": seq, "top": int(top)})


def _bump_version(conn: Connection, old: int) -> None:
    """After replacing data, move ``data_version`` past both the old and the archived
    version, so no cache (another worker's) keeps numbers of the replaced data."""
    from salesops.db.derived import bump_data_version

    archived = _data_version(conn)
    if archived < old:
        conn.execute(text("DELETE FROM data_version"))
        conn.execute(
            text("INSERT INTO data_version (id, version, changed_at) VALUES (1, :v, NULL)"),
            {"v": old},
        )
    bump_data_version(conn)


def _data_version(conn: Connection) -> int:
    value = conn.execute(text("SELECT max(version) FROM data_version")).scalar()
    return int(value or 0)


def _revision(conn: Connection) -> str | None:
    present = conn.execute(
        text(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_name = 'alembic_version'"
        )
    ).scalar()
    if not present:
        return None
    found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return str(found) if found is not None else None


def _count(conn: Connection, table: str) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM {quote(table)}")).scalar_one())  # noqa: S608


def table_list(engine: Engine) -> list[Table]:
    """The tables a backup of ``engine`` would hold (for docs and checks)."""
    with engine.connect() as conn:
        return existing_tables(conn)
