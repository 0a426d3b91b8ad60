"""Watched folders: files dropped in a folder source's folder are imported with its mapping.

A file is taken once it has not changed for :data:`STABLE_SECONDS` (a copy still being written
keeps changing), and never while its name says it is incomplete (``.part``, ``.tmp``,
``.crdownload``, ``~``, hidden files). It is moved to ``processing/`` (an atomic rename: of two
processes only one gets it), imported by the importer (all rows or none), then moved to
``done/`` — or to ``failed/`` with ``NAME.errors.csv`` beside it listing every error.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from salesops.auth.audit import Actor
from salesops.ingest.errors import RowError, write_errors_csv
from salesops.ingest.importer import ImportReport, import_file
from salesops.ingest.mapping import SheetMapping
from salesops.ingest.sheet import SheetReport, import_sheet
from salesops.ingest.uploads import EXTENSIONS
from salesops.integrate.push import PushError, saved

#: a file must be unchanged this long before it is imported
STABLE_SECONDS = 10.0
INCOMPLETE = (".part", ".tmp", ".partial", ".crdownload", ".download", "~")
FOLDERS = ("processing", "done", "failed")
#: a file still in processing/ this long after it was moved there was left by a process that
#: stopped mid-import (its transaction rolled back, or committed: re-importing is idempotent)
STALE_SECONDS = 3600.0

RecordRun = Callable[[Engine, Any, str, dt.datetime, "Actor | str"], None]


def ready_files(folder: Path, *, now: float | None = None) -> list[Path]:
    """The files of ``folder`` ready to import, oldest first."""
    now = time.time() if now is None else now
    found = []
    for path in folder.iterdir():
        name = path.name.lower()
        if not path.is_file() or name.startswith((".", "~$")) or name.endswith(INCOMPLETE):
            continue
        if path.suffix.lower() not in EXTENSIONS:
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        if now - stat.st_mtime >= STABLE_SECONDS:
            found.append((stat.st_mtime, path))
    return [p for _, p in sorted(found)]


def _recover(folder: Path) -> None:
    """Move files abandoned in ``processing/`` back into the folder, to be imported again
    (the rename into processing/ set their ctime)."""
    now = time.time()
    for path in (folder / "processing").iterdir():
        try:
            if path.is_file() and now - path.stat().st_ctime >= STALE_SECONDS:
                path.rename(_free(folder, path.name))
        except OSError:
            continue


def _free(folder: Path, name: str) -> Path:
    """``folder/name``, or a name with the time added when that one is taken."""
    target = folder / name
    if not target.exists():
        return target
    stem, suffix = Path(name).stem, Path(name).suffix
    return folder / f"{stem}.{dt.datetime.now():%Y%m%d-%H%M%S-%f}{suffix}"


def scan_folder(
    engine: Engine,
    source: Any,
    *,
    trigger: str,
    actor: Actor | str,
    record_run: RecordRun,
) -> list[Any]:
    """Import every ready file of a folder source; one recorded run per file."""
    from salesops.integrate.sources import RunOutcome, from_report, utcnow

    folder = Path(source.folder)
    if not folder.is_dir():
        outcome = RunOutcome(source.name, "failed", errors=1, message=f"no folder {folder}")
        record_run(engine, outcome, trigger, utcnow(), actor)
        return [outcome]
    for sub in FOLDERS:
        (folder / sub).mkdir(exist_ok=True)
    _recover(folder)
    outcomes = []
    for path in ready_files(folder):
        started = utcnow()
        working = _free(folder / "processing", path.name)
        try:
            path.rename(working)
        except OSError:  # taken by another process, or gone
            continue
        report: ImportReport | SheetReport | None = None
        try:
            mapping = saved(engine, source.mapping) if source.mapping else None
            if isinstance(mapping, SheetMapping):
                report = import_sheet(engine, working, mapping, actor=actor)
            else:
                report = import_file(engine, source.entity, working, mapping, actor=actor)
            outcome = from_report(source.name, report, path.name)
        except PushError as exc:
            outcome = RunOutcome(source.name, "failed", path.name, errors=1, message=str(exc))
        if outcome.status == "ok":
            working.rename(_free(folder / "done", path.name))
        else:
            moved = _free(folder / "failed", path.name)
            working.rename(moved)
            errors = (
                report.errors
                if report is not None
                else [RowError(path.name, None, None, None, outcome.message or "failed")]
            )
            named = [RowError(path.name, e.row, e.column, e.value, e.reason) for e in errors]
            write_errors_csv(named, moved.with_name(moved.name + ".errors.csv"))
        record_run(engine, outcome, trigger, started, actor)
        outcomes.append(outcome)
    return outcomes
