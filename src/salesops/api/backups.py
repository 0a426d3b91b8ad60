"""Backups taken by the running board (``/api/v1/backups``): the one way to back up an
embedded DuckDB file while the board serves it, since DuckDB allows one process per file.

Archives go to ``SALESOPS_BACKUP_DIR`` on the server (default ``backups/``), encrypted when
the server has ``SALESOPS_BACKUP_PASSPHRASE``; restoring stays a command-line job
(``salesops restore``), done with the board stopped."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from salesops.api.deps import ActorDep, EngineDep, Require
from salesops.api.errors import AUTH, responses
from salesops.auth.audit import record_now
from salesops.auth.roles import Permission as P

router = APIRouter(prefix="/backups", tags=["system"])


class BackupOut(BaseModel):
    file: str
    created_at: str
    size: int
    encrypted: bool
    schema_revision: str
    row_total: int
    app_version: str


@router.get(
    "",
    dependencies=[Require(P.BACKUP)],
    summary="Archives in the server's backup folder, newest first",
    responses=AUTH,
)
def list_backups() -> list[BackupOut]:
    """What ``POST /backups`` (or ``salesops backup DIR``) left in ``SALESOPS_BACKUP_DIR``."""
    from salesops.backup.retention import list_archives
    from salesops.config import get_settings

    folder = get_settings().backup_dir
    if not folder.is_dir():
        return []
    return [BackupOut(**a.to_json()) for a in list_archives(folder)]


@router.post(
    "",
    status_code=201,
    dependencies=[Require(P.BACKUP)],
    summary="Take a backup now, from one snapshot, while the board keeps serving",
    responses={**AUTH, **responses(500)},
)
def take_backup(engine: EngineDep, actor: ActorDep) -> BackupOut:
    """One consistent archive of the whole database, written on the server."""
    import os

    from salesops.backup.errors import BackupError
    from salesops.backup.retention import archive_name, list_archives
    from salesops.backup.service import backup_database
    from salesops.config import get_settings

    folder = get_settings().backup_dir
    passphrase = os.environ.get("SALESOPS_BACKUP_PASSPHRASE") or None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        name = archive_name(dt.datetime.now(dt.UTC), passphrase is not None)
        manifest = backup_database(engine, folder / name, passphrase=passphrase)
    except (BackupError, OSError) as exc:
        record_now(engine, actor, "backup", str(folder), {"error": str(exc)}, outcome="failed")
        raise HTTPException(500, f"the backup failed: {exc}") from None
    detail: dict[str, Any] = {"rows": manifest.row_total, "encrypted": passphrase is not None}
    record_now(engine, actor, "backup", name, detail)
    found = next(a for a in list_archives(folder) if a.path.name == name)
    return BackupOut(**found.to_json())
