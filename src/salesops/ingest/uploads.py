"""Files brought in from the browser: kept in a folder of their own until they are imported,
previewed (headers, first rows, the date formats their values fit), then imported by a job
whose progress the page polls.

An upload is streamed to disk in chunks and stops at ``upload_max_mb``; each upload lives in
``<upload_dir>/<id>/`` with its owner, and only its owner may preview or import it. Uploads
are removed once imported, and any left behind after a day.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import shutil
import tempfile
import threading
import time
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from salesops.auth.audit import Actor
from salesops.config import get_settings
from salesops.ingest.dates import FORMATS
from salesops.ingest.errors import ImportFailed, RowError
from salesops.ingest.fields import entity_spec
from salesops.ingest.importer import ImportReport, import_file
from salesops.ingest.mapping import SheetMapping
from salesops.ingest.readers import (
    EXCEL_EXTENSIONS,
    JSON_EXTENSIONS,
    XLS_EXTENSIONS,
    RawTable,
    read_table,
)
from salesops.ingest.registry import parse_any
from salesops.ingest.sheet import SheetReport, import_sheet

#: What the data page accepts.
EXTENSIONS = (".csv", ".txt", ".tsv", *sorted(EXCEL_EXTENSIONS | XLS_EXTENSIONS | JSON_EXTENSIONS))
#: Uploads older than this are removed when the next one arrives.
KEEP_SECONDS = 24 * 3600
PREVIEW_ROWS = 10
_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class UploadError(ValueError):
    """An upload that cannot be taken or used; the message says why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def upload_root() -> Path:
    """The folder uploads wait in."""
    configured = get_settings().upload_dir
    return configured or Path(tempfile.gettempdir()) / "salesops-uploads"


def safe_name(name: str) -> str:
    """A file name safe to keep on disk: the last path part, no control or path characters."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    return name[:150] or "upload"


@dataclass(frozen=True)
class Upload:
    """One uploaded file waiting to be imported."""

    id: str
    path: Path
    name: str
    size: int
    owner: str


def _clean_old(root: Path) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for folder in root.glob("*"):
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


async def receive(
    chunks: AsyncIterator[bytes], filename: str, owner: str, *, declared: int | None = None
) -> Upload:
    """Stream an upload to disk; raises :class:`UploadError` (nothing kept) when its name,
    type or size is wrong."""
    name = safe_name(filename)
    ext = Path(name).suffix.lower()
    if ext not in EXTENSIONS:
        raise UploadError(
            f"{name}: files of type {ext or '(none)'} cannot be imported; "
            f"use one of {', '.join(EXTENSIONS)}"
        )
    limit = get_settings().upload_max_mb * 1024 * 1024
    if declared is not None and declared > limit:
        raise UploadError(_too_large(name, limit), 413)
    root = upload_root()
    root.mkdir(parents=True, exist_ok=True)
    _clean_old(root)
    upload_id = secrets.token_urlsafe(18)
    folder = root / upload_id
    folder.mkdir(mode=0o700)
    path = folder / name
    size = 0
    try:
        with path.open("wb") as fh:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise UploadError(_too_large(name, limit), 413)
                fh.write(chunk)
        if size == 0:
            raise UploadError(f"{name}: the file is empty")
        meta = {"owner": owner, "name": name, "size": size}
        (folder / "upload.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return Upload(upload_id, path, name, size, owner)


def _too_large(name: str, limit: int) -> str:
    return f"{name}: the file is larger than {limit // (1024 * 1024)} MB (SALESOPS_UPLOAD_MAX_MB)"


def get_upload(upload_id: str, owner: str) -> Upload:
    """The upload ``upload_id`` of ``owner``; raises :class:`UploadError` (404) otherwise."""
    folder = upload_root() / upload_id
    meta_path = folder / "upload.json"
    if not _ID.match(upload_id) or not meta_path.is_file():
        raise UploadError("no such upload (it may have been imported or removed already)", 404)
    meta = json.loads(meta_path.read_text("utf-8"))
    if meta.get("owner") != owner:
        raise UploadError("no such upload (it may have been imported or removed already)", 404)
    return Upload(upload_id, folder / meta["name"], meta["name"], int(meta["size"]), owner)


def discard(upload: Upload) -> None:
    """Remove an upload from disk."""
    shutil.rmtree(upload.path.parent, ignore_errors=True)


# --------------------------------------------------------------------------- preview


def sheet_names(path: Path) -> list[str]:
    """The sheets of an Excel workbook (empty for other files)."""
    ext = path.suffix.lower()
    try:
        if ext in EXCEL_EXTENSIONS:
            import openpyxl

            book = openpyxl.load_workbook(path, read_only=True)
            try:
                return list(book.sheetnames)
            finally:
                book.close()
        if ext in XLS_EXTENSIONS:
            import xlrd

            return list(xlrd.open_workbook(str(path), on_demand=True).sheet_names())
    except Exception:  # the reader says what is wrong with the file
        return []
    return []


def date_formats(values: list[str]) -> list[dict[str, str]]:
    """The date formats every one of ``values`` fits, each with the first value's reading."""
    sample = [v.strip() for v in values if v and v.strip()][:50]
    if not sample or all(re.fullmatch(r"[\d.,+-]+", v) for v in sample):
        return []
    out = []
    for fmt in FORMATS:
        try:
            first = dt.datetime.strptime(sample[0], fmt)
            for value in sample[1:]:
                dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
        shown = first.date().isoformat() if first.time() == dt.time() else first.isoformat(" ")
        out.append({"format": fmt, "example": sample[0], "reads": shown})
    return out


def _text(array: Any, n: int) -> list[str | None]:
    return [None if v is None else str(v) for v in array.slice(0, n).to_pylist()]


def preview(path: Path, *, sheet: str | None = None, rows: int = PREVIEW_ROWS) -> dict[str, Any]:
    """Headers, the first rows, how many rows, and the date formats each column's values fit;
    raises :class:`UploadError` when the file cannot be read (the reason names the problem)."""
    try:
        raw: RawTable = read_table(path, sheet=sheet)
    except ImportFailed as exc:
        raise UploadError("; ".join(_plain(e) for e in exc.errors)) from None
    columns = {h: _text(raw.columns[h], max(rows, 50)) for h in raw.headers}
    return {
        "headers": raw.headers,
        "rows": [[columns[h][i] for h in raw.headers] for i in range(min(rows, raw.n_rows))],
        "row_numbers": [int(r) for r in raw.rows[:rows]],
        "n_rows": raw.n_rows,
        "format": raw.format,
        "encoding": raw.encoding,
        "sheets": sheet_names(path),
        "sheet": sheet,
        "problems": [_plain(e) for e in raw.errors[:20]],
        "problems_total": len(raw.errors),
        "date_formats": {
            h: found
            for h in raw.headers
            if (found := date_formats([v for v in columns[h] if v is not None]))
        },
    }


def _plain(error: RowError) -> str:
    """An error without the upload folder's path (the file's own name stays)."""
    return str(error).replace(error.file, Path(error.file).name, 1)


def fields_of(entity: str) -> list[dict[str, Any]]:
    """The canonical fields of ``entity`` for the mapping form."""
    spec = entity_spec(entity)
    return [
        {
            "name": f.name,
            "kind": f.kind,
            "required": f.required or f.name in spec.key,
            "ref": f.ref,
        }
        for f in spec.fields
    ]


# --------------------------------------------------------------------------- import jobs

#: Share of the progress bar each phase of an import takes.
_PHASES = {"reading": (0.0, 0.2), "validating": (0.2, 0.4), "loading": (0.4, 1.0)}


@dataclass
class ImportJob:
    """An import (or dry run) of an upload, running in a thread; the page polls it."""

    id: str
    owner: str
    upload: Upload
    dry_run: bool
    phase: str = "queued"
    done: float = 0.0
    total: float = 1.0
    finished: bool = False
    result: dict[str, Any] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    saved_at: float = 0.0

    # ProgressSink
    def phase_(self, name: str, total: float) -> None:
        with self.lock:
            self.phase, self.done, self.total = name, 0.0, max(total, 1.0)
        self.save(force=True)

    def advance(self, steps: float = 1) -> None:
        with self.lock:
            self.done = min(self.total, self.done + steps)
        self.save()

    def finish(self, result: dict[str, Any]) -> None:
        with self.lock:
            self.result = result
            self.finished = True
        self.save(force=True)

    def save(self, *, force: bool = False) -> None:
        """Write the job's state beside the uploads (at most four times a second), so that
        every server process can answer the page's polls (``serve --workers N``)."""
        now = time.monotonic()
        if not force and now - self.saved_at < 0.25:
            return
        self.saved_at = now
        state = {"owner": self.owner, **self.to_json()}
        folder = _jobs_folder()
        folder.mkdir(parents=True, exist_ok=True)
        part = folder / f"{self.id}.json.part"
        part.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        part.replace(folder / f"{self.id}.json")  # atomic: a reader never sees half of it

    @property
    def progress(self) -> float:
        """0 to 1 over the whole import."""
        if self.finished:
            return 1.0
        low, high = _PHASES.get(self.phase, (0.0, 0.0))
        return round(low + (high - low) * (self.done / self.total), 3)

    def to_json(self) -> dict[str, Any]:
        """What the page polls."""
        with self.lock:
            return {
                "id": self.id,
                "phase": "done" if self.finished else self.phase,
                "progress": self.progress,
                "finished": self.finished,
                "dry_run": self.dry_run,
                "result": self.result,
            }


class _Sink:
    """Adapts a job to the importer's :class:`~salesops.ingest.progress.ProgressSink`."""

    def __init__(self, job: ImportJob) -> None:
        self.job = job

    def phase(self, name: str, total: float) -> None:
        self.job.phase_(name, total)

    def advance(self, steps: float = 1) -> None:
        self.job.advance(steps)


_JOBS: dict[str, ImportJob] = {}
_JOBS_LOCK = threading.Lock()
_KEEP_JOBS = 50
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_KEEP_JOB_FILES_S = 24 * 3600


def _jobs_folder() -> Path:
    return upload_root() / "_jobs"


@dataclass(frozen=True)
class JobState:
    """A job as another server process wrote it down (see :meth:`ImportJob.save`)."""

    owner: str
    state: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return dict(self.state)


def get_job(job_id: str, owner: str) -> ImportJob | JobState:
    """The job ``job_id`` of ``owner`` — run by this process, or by another one of the same
    server; raises :class:`UploadError` (404) otherwise."""
    with _JOBS_LOCK:
        job = _JOBS.get(job_id)
    if job is not None:
        if job.owner != owner:
            raise UploadError("no such import", 404)
        return job
    path = _jobs_folder() / f"{job_id}.json"
    if not _JOB_ID.match(job_id) or not path.is_file():
        raise UploadError("no such import", 404)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UploadError("no such import", 404) from None
    if state.pop("owner", None) != owner:
        raise UploadError("no such import", 404)
    return JobState(owner, state)


def _forget_old_job_files() -> None:
    cutoff = time.time() - _KEEP_JOB_FILES_S
    for path in _jobs_folder().glob("*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass


def _section_json(report: ImportReport) -> dict[str, Any]:
    return {
        "entity": report.entity,
        "inserted": report.inserted,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "merged": report.merged,
        "history": report.history,
        "created": report.created,
        "nulled": report.nulled,
    }


def report_json(report: ImportReport | SheetReport) -> dict[str, Any]:
    """An import's outcome for the page: counts per entity, every kept error, data quality."""
    sections = report.sections if isinstance(report, SheetReport) else [report]
    quality = report.quality
    return {
        "status": report.status,
        "rows_read": report.rows_read,
        "seconds": round(report.seconds, 2),
        "sections": [_section_json(s) for s in sections if report.ok or s.inserted or s.updated],
        "errors": [
            {"row": e.row, "column": e.column, "value": e.value, "reason": e.reason}
            for e in report.errors
        ],
        "errors_total": report.errors_total,
        "quality": [
            {
                "check": p.check,
                "count": p.count,
                "title": p.title,
                "fix": p.fix,
                "examples": p.examples[:5],
            }
            for p in (quality.problems if quality else [])
        ],
    }


def start_import(
    engine: Engine,
    upload: Upload,
    document: dict[str, Any],
    *,
    dry_run: bool,
    actor: Actor,
) -> ImportJob:
    """Check ``document`` (a mapping; raises :class:`~salesops.ingest.mapping.MappingError`)
    and import ``upload`` with it in a thread; the job reports progress and the outcome."""
    mapping = parse_any(document)
    job = ImportJob(secrets.token_urlsafe(12), actor.name, upload, dry_run)
    with _JOBS_LOCK:
        _JOBS[job.id] = job
        for old in list(_JOBS)[:-_KEEP_JOBS]:
            if _JOBS[old].finished:
                del _JOBS[old]
    job.save(force=True)
    _forget_old_job_files()

    def run() -> None:
        sink = _Sink(job)
        result: dict[str, Any]
        try:
            report: ImportReport | SheetReport
            if isinstance(mapping, SheetMapping):
                report = import_sheet(
                    engine, upload.path, mapping, dry_run=dry_run, progress=sink, actor=actor
                )
            else:
                report = import_file(
                    engine,
                    mapping.entity,
                    upload.path,
                    mapping,
                    dry_run=dry_run,
                    progress=sink,
                    actor=actor,
                )
            result = report_json(report)
            if report.status == "ok":
                discard(upload)
        except Exception as exc:  # never a silent thread death: the page shows why
            result = {
                "status": "failed",
                "rows_read": 0,
                "seconds": 0,
                "sections": [],
                "errors": [{"row": None, "column": None, "value": None, "reason": str(exc)}],
                "errors_total": 1,
                "quality": [],
            }
        job.finish(result)

    # not a daemon: a server asked to stop finishes the import in hand (and never aborts
    # inside the database driver) instead of dropping it half-way
    threading.Thread(target=run, name=f"import-{job.id}", daemon=False).start()
    return job
