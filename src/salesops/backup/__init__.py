"""Backup and restore: a consistent, portable, optionally encrypted archive of the whole
database (one Parquet file per table and a manifest), restorable into DuckDB or PostgreSQL.

The service is :mod:`salesops.backup.service`; the CLI is ``salesops backup`` / ``restore``.
"""

from salesops.backup.archive import Manifest
from salesops.backup.errors import ArchiveError, BackupError, PassphraseNeeded
from salesops.backup.retention import ArchiveInfo, list_archives, prune
from salesops.backup.service import (
    RestoreReport,
    backup_database,
    restore_database,
    verify_archive,
)

__all__ = [
    "ArchiveError",
    "ArchiveInfo",
    "BackupError",
    "Manifest",
    "PassphraseNeeded",
    "RestoreReport",
    "backup_database",
    "list_archives",
    "prune",
    "restore_database",
    "verify_archive",
]
