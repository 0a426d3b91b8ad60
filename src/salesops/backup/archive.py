"""The archive file: a zip of ``manifest.json`` and one Parquet file per table, optionally
encrypted whole (:mod:`salesops.backup.crypto`).

A zip keeps its directory at the end, so a truncated file is noticed at once, and every member
carries a CRC-32; the manifest's per-table SHA-256 over normalised rows (see
:mod:`salesops.backup.tables`) is what proves the content is the content that was backed up.
Parquet files are compressed already (zstd), so the zip stores them as they are.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from salesops.backup import crypto
from salesops.backup.errors import ArchiveError, PassphraseNeeded
from salesops.backup.tables import Column

FORMAT = "salesops-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class TableEntry:
    """One table of the manifest."""

    name: str
    file: str
    rows: int
    sha256: str
    columns: list[Column]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.file,
            "rows": self.rows,
            "sha256": self.sha256,
            "columns": [c.to_json() for c in self.columns],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TableEntry:
        return cls(
            name=str(data["name"]),
            file=str(data["file"]),
            rows=int(data["rows"]),
            sha256=str(data["sha256"]),
            columns=[Column(str(c["name"]), str(c["type"])) for c in data["columns"]],
        )


@dataclass
class Manifest:
    """What an archive holds: versions, time, source database and each table's count and
    checksum."""

    app_version: str
    schema_revision: str
    created_at: str  # ISO 8601, UTC, e.g. 2026-12-07T02:40:00Z
    database: str  # duckdb | postgresql
    tables: list[TableEntry] = field(default_factory=list)

    @property
    def row_total(self) -> int:
        return sum(t.rows for t in self.tables)

    def summary(self) -> dict[str, Any]:
        """The public part, also kept readable in an encrypted archive's header."""
        return {
            "app_version": self.app_version,
            "schema_revision": self.schema_revision,
            "created_at": self.created_at,
            "database": self.database,
            "row_total": self.row_total,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            **self.summary(),
            "tables": [t.to_json() for t in self.tables],
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> Manifest:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ArchiveError(f"{where}: not a SalesOps backup archive (no SalesOps manifest)")
        if int(data.get("format_version", 0)) > FORMAT_VERSION:
            raise ArchiveError(
                f"{where}: archive format {data.get('format_version')} is newer than this "
                f"version of SalesOps reads ({FORMAT_VERSION}); upgrade SalesOps"
            )
        try:
            return cls(
                app_version=str(data["app_version"]),
                schema_revision=str(data["schema_revision"]),
                created_at=str(data["created_at"]),
                database=str(data["database"]),
                tables=[TableEntry.from_json(t) for t in data["tables"]],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ArchiveError(f"{where}: the manifest is damaged ({exc})") from None


def write_zip(path: Path, manifest: Manifest, files: dict[str, Path]) -> None:
    """Write the plain archive: the manifest first, then the table files."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr(MANIFEST, json.dumps(manifest.to_json(), indent=2, ensure_ascii=False))
        for name, file in files.items():
            zf.write(file, name)


def describe(path: Path) -> tuple[dict[str, Any], bool]:
    """The public summary of an archive and whether it is encrypted, read without a
    passphrase and without reading the tables."""
    if crypto.is_encrypted(path):
        header, _ = crypto.read_header(path)
        summary = header.get("summary")
        if not isinstance(summary, dict):
            raise ArchiveError(f"{path}: the encrypted archive's header is damaged")
        return summary, True
    with _open_zip(path) as zf:
        return _read_manifest(zf, str(path)).summary(), False


@contextmanager
def open_plain(path: Path, workdir: Path, passphrase: str | None) -> Iterator[zipfile.ZipFile]:
    """The archive as an open zip; an encrypted one is decrypted into ``workdir`` first."""
    if crypto.is_encrypted(path):
        if passphrase is None:
            raise PassphraseNeeded(
                f"{path} is encrypted: set SALESOPS_BACKUP_PASSPHRASE or run interactively"
            )
        plain = workdir / "archive.zip"
        crypto.decrypt_file(path, plain, passphrase)
        path_to_open = plain
    else:
        path_to_open = path
    with _open_zip(path_to_open, shown=path) as zf:
        yield zf


@contextmanager
def _open_zip(path: Path, shown: Path | None = None) -> Iterator[zipfile.ZipFile]:
    shown = shown or path
    try:
        with path.open("rb") as fh:
            start = fh.read(4)
    except OSError as exc:
        raise ArchiveError(f"{shown}: cannot read the archive ({exc.strerror})") from None
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        if start == ZIP_MAGIC:
            raise ArchiveError(
                f"{shown}: the archive is truncated or damaged (its zip directory is missing)"
            ) from None
        raise ArchiveError(f"{shown}: not a SalesOps backup archive") from None
    with zf:
        yield zf


def read_manifest(zf: zipfile.ZipFile, where: str) -> Manifest:
    """The manifest of an open archive."""
    return _read_manifest(zf, where)


def _read_manifest(zf: zipfile.ZipFile, where: str) -> Manifest:
    try:
        raw = zf.read(MANIFEST)
    except KeyError:
        raise ArchiveError(f"{where}: not a SalesOps backup archive (no {MANIFEST})") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"{where}: the manifest is damaged ({exc})") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError:
        raise ArchiveError(f"{where}: the manifest is not valid JSON (damaged)") from None
    return Manifest.from_json(data, where)


def extract_member(zf: zipfile.ZipFile, name: str, dest: Path, where: str, table: str) -> Path:
    """Extract one table file to ``dest``; a damaged member (CRC) names the table."""
    try:
        with zf.open(name) as src, dest.open("wb") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
    except KeyError:
        raise ArchiveError(f"{where}: table {table}: file {name} is missing") from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ArchiveError(f"{where}: table {table}: file {name} is damaged ({exc})") from None
    return dest
