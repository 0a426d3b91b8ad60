"""Archives in a directory: list them, and keep N daily and M weekly ones (retention).

Only files that are SalesOps archives are listed or ever deleted; an archive's date is its
manifest's creation time (UTC), read without its passphrase.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from salesops.backup.archive import describe
from salesops.backup.errors import ArchiveError


@dataclass(frozen=True)
class ArchiveInfo:
    """One archive of a directory."""

    path: Path
    created_at: dt.datetime  # UTC
    size: int
    encrypted: bool
    schema_revision: str
    row_total: int
    app_version: str

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.path.name,
            "created_at": self.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "size": self.size,
            "encrypted": self.encrypted,
            "schema_revision": self.schema_revision,
            "row_total": self.row_total,
            "app_version": self.app_version,
        }


def archive_name(now: dt.datetime, encrypted: bool) -> str:
    """The file name ``salesops backup DIR`` gives a new archive."""
    return f"salesops-{now:%Y%m%dT%H%M%SZ}.zip" + (".enc" if encrypted else "")


def list_archives(directory: Path) -> list[ArchiveInfo]:
    """The SalesOps archives in ``directory``, newest first (other files are ignored)."""
    found = []
    for path in sorted(directory.iterdir()):
        if not path.is_file():
            continue
        try:
            summary, encrypted = describe(path)
            created = dt.datetime.strptime(summary["created_at"], "%Y-%m-%dT%H:%M:%SZ")
            found.append(
                ArchiveInfo(
                    path=path,
                    created_at=created,
                    size=path.stat().st_size,
                    encrypted=encrypted,
                    schema_revision=str(summary["schema_revision"]),
                    row_total=int(summary["row_total"]),
                    app_version=str(summary.get("app_version", "")),
                )
            )
        except (ArchiveError, KeyError, TypeError, ValueError, OSError):
            continue
    return sorted(found, key=lambda a: (a.created_at, a.path.name), reverse=True)


def to_prune(archives: list[ArchiveInfo], keep_daily: int, keep_weekly: int) -> list[ArchiveInfo]:
    """The archives retention drops: kept are the newest archive of each of the ``keep_daily``
    most recent days that have one, and of each of the ``keep_weekly`` most recent ISO weeks."""
    keep: set[Path] = set()
    days: set[dt.date] = set()
    weeks: set[tuple[int, int]] = set()
    for info in sorted(archives, key=lambda a: a.created_at, reverse=True):
        day = info.created_at.date()
        week = tuple(day.isocalendar())[:2]
        if day not in days and len(days) < keep_daily:
            days.add(day)
            keep.add(info.path)
        if week not in weeks and len(weeks) < keep_weekly:
            weeks.add(week)  # type: ignore[arg-type]
            keep.add(info.path)
    return [a for a in archives if a.path not in keep]


def prune(directory: Path, keep_daily: int, keep_weekly: int) -> list[ArchiveInfo]:
    """Delete the archives of ``directory`` that retention drops; returns them."""
    dropped = to_prune(list_archives(directory), keep_daily, keep_weekly)
    for info in dropped:
        info.path.unlink()
    return dropped
