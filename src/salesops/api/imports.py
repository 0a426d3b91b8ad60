"""Import from the browser (``/api/v1/imports``) and the saved mappings (``/api/v1/mappings``).

The data page uploads a file (the body is the file itself, streamed to disk with a size
limit), previews it, asks for mapping suggestions, runs a dry run or an import as a job whose
progress it polls, and lists the history of imports. Everything is done by
:mod:`salesops.ingest` (the same importer as the CLI); every write is audited.
"""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from salesops.api.deps import ActorDep, EngineDep, Require
from salesops.api.errors import AUTH, responses
from salesops.auth.audit import record_now
from salesops.auth.roles import Permission as P
from salesops.db.schema import ImportRun
from salesops.ingest.fields import ENTITIES
from salesops.ingest.mapping import SHEET, MappingError, auto_mapping
from salesops.ingest.registry import get_saved, list_saved, matching, sample_mappings, save_mapping
from salesops.ingest.uploads import (
    UploadError,
    fields_of,
    get_job,
    get_upload,
    preview,
    receive,
    start_import,
)

router = APIRouter(tags=["import"], dependencies=[Require(P.IMPORT_DATA)], responses=AUTH)

UploadId = Annotated[str, Path(max_length=64, description="The upload's id")]
Sheet = Annotated[str | None, Query(max_length=100, description="Sheet of an Excel workbook")]


def _problem(exc: UploadError | MappingError) -> HTTPException:
    status = exc.status if isinstance(exc, UploadError) else 400
    return HTTPException(status, str(exc))


class Preview(BaseModel):
    upload_id: str
    name: str
    size: int
    headers: list[str]
    rows: list[list[str | None]]
    row_numbers: list[int]
    n_rows: int
    format: str
    encoding: str | None
    sheets: list[str]
    sheet: str | None
    problems: list[str]
    problems_total: int
    date_formats: dict[str, list[dict[str, str]]]


def _preview(upload_id: str, name: str, size: int, path: Any, sheet: str | None) -> Preview:
    return Preview(upload_id=upload_id, name=name, size=size, **preview(path, sheet=sheet))


@router.post(
    "/imports/uploads",
    status_code=201,
    summary="Upload a file to import (the body is the file; its name in ?name=)",
    responses=responses(400, 413),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def upload_file(
    request: Request,
    actor: ActorDep,
    engine: EngineDep,
    name: Annotated[str, Query(min_length=1, max_length=200, description="The file's name")],
    sheet: Sheet = None,
) -> Preview:
    """Stream the file to the server's upload folder and preview it; a file that cannot be
    read is removed again and answered with the reason (400), a too-large one with 413."""
    length = request.headers.get("content-length")
    declared = int(length) if length and length.isdigit() else None
    try:
        upload = await receive(request.stream(), name, actor.name, declared=declared)
    except UploadError as exc:
        raise _problem(exc) from None
    try:
        shown = _preview(upload.id, upload.name, upload.size, upload.path, sheet)
    except UploadError as exc:
        from salesops.ingest.uploads import discard

        discard(upload)
        raise _problem(exc) from None
    record_now(
        engine,
        actor,
        "import.upload",
        upload.name,
        {"size": upload.size, "rows": shown.n_rows, "upload": upload.id},
    )
    return shown


@router.get(
    "/imports/uploads/{upload_id}",
    summary="Preview an uploaded file again (e.g. another sheet)",
    responses=responses(400, 404),
)
def preview_upload(upload_id: UploadId, actor: ActorDep, sheet: Sheet = None) -> Preview:
    """Headers, first rows and the date formats of an upload of the caller."""
    try:
        upload = get_upload(upload_id, actor.name)
        return _preview(upload.id, upload.name, upload.size, upload.path, sheet)
    except UploadError as exc:
        raise _problem(exc) from None


class Suggestions(BaseModel):
    entity: str
    fields: dict[str, list[dict[str, Any]]]
    same_name: dict[str, Any]
    mappings: list[dict[str, Any]]


@router.get(
    "/imports/uploads/{upload_id}/suggestions",
    summary="Mapping suggestions for an upload: same-name fields, saved and sample mappings",
    responses=responses(400, 404),
)
def suggestions(
    upload_id: UploadId,
    actor: ActorDep,
    engine: EngineDep,
    entity: Annotated[str, Query(description="An entity, or 'sheet' for several")],
    sheet: Sheet = None,
) -> Suggestions:
    """What the mapping form offers for ``entity``."""
    if entity != SHEET and entity not in ENTITIES:
        raise HTTPException(400, f"unknown entity {entity!r}; one of: sheet, {', '.join(ENTITIES)}")
    try:
        upload = get_upload(upload_id, actor.name)
        headers = preview(upload.path, sheet=sheet, rows=0)["headers"]
    except UploadError as exc:
        raise _problem(exc) from None
    with engine.connect() as conn:
        found = matching(headers, entity, conn)
    if entity == SHEET:
        fields = {e: fields_of(e) for e in ENTITIES}
        same: dict[str, Any] = {}
    else:
        fields = {entity: fields_of(entity)}
        auto = auto_mapping(entity, headers)
        same = {"entity": entity, "columns": {f: c.column for f, c in auto.columns.items()}}
    return Suggestions(entity=entity, fields=fields, same_name=same, mappings=found)


class RunRequest(BaseModel):
    mapping: dict[str, Any] = Field(description="A mapping document, as in a mapping YAML file")
    dry_run: bool = False
    sheet: str | None = Field(default=None, max_length=100)


class JobOut(BaseModel):
    id: str
    phase: str
    progress: float
    finished: bool
    dry_run: bool
    result: dict[str, Any] | None


@router.post(
    "/imports/uploads/{upload_id}/runs",
    status_code=202,
    summary="Dry-run or import an upload with a mapping; poll the job for progress",
    responses=responses(400, 404),
)
def run_upload(upload_id: UploadId, body: RunRequest, actor: ActorDep, engine: EngineDep) -> JobOut:
    """Start the import; the same importer as ``salesops import``: all rows or none."""
    document = dict(body.mapping)
    if body.sheet and "sheet" not in document:
        document["sheet"] = body.sheet
    try:
        upload = get_upload(upload_id, actor.name)
        job = start_import(engine, upload, document, dry_run=body.dry_run, actor=actor)
    except (UploadError, MappingError) as exc:
        raise _problem(exc) from None
    return JobOut(**job.to_json())


@router.get(
    "/imports/jobs/{job_id}",
    summary="Progress and outcome of an import started from the browser",
    responses=responses(404),
)
def job_status(job_id: Annotated[str, Path(max_length=64)], actor: ActorDep) -> JobOut:
    """The job's phase, progress (0–1) and, once finished, its report with every error."""
    try:
        return JobOut(**get_job(job_id, actor.name).to_json())
    except UploadError as exc:
        raise _problem(exc) from None


class RunOut(BaseModel):
    id: int
    entity: str
    file: str
    actor: str | None
    started_at: str
    finished_at: str | None
    status: str
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    errors: int
    error_sample: list[dict[str, Any]]


def import_history(engine: Any, limit: int = 50) -> list[RunOut]:
    """The latest import runs, newest first."""

    with engine.connect() as conn:
        table = ImportRun.__table__
        rows = conn.execute(select(table).order_by(table.c.id.desc()).limit(limit)).all()
        return [
            RunOut(
                id=r.id,
                entity=r.entity,
                file=PurePath(r.source).name,
                actor=r.actor,
                started_at=r.started_at.isoformat(timespec="seconds"),
                finished_at=r.finished_at.isoformat(timespec="seconds") if r.finished_at else None,
                status=r.status,
                rows_read=r.rows_read,
                inserted=r.inserted,
                updated=r.updated,
                unchanged=r.unchanged,
                errors=r.errors,
                error_sample=json.loads(r.error_sample) if r.error_sample else [],
            )
            for r in rows
        ]


@router.get("/imports/runs", summary="The history of imports, newest first")
def list_runs(engine: EngineDep, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[RunOut]:
    """Who imported which file when, with its counts and first errors."""
    return import_history(engine, limit)


class MappingIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    mapping: dict[str, Any] = Field(description="A mapping document, as in a mapping YAML file")


@router.get("/mappings", summary="Saved mappings and the sample mappings")
def list_mappings(engine: EngineDep) -> list[dict[str, Any]]:
    """Every saved mapping (shared with ``salesops mappings``), then the samples."""
    with engine.connect() as conn:
        saved = [m.to_json() for m in list_saved(conn)]
    return saved + [m.to_json() for m in sample_mappings()]


@router.get("/mappings/{name}", summary="One saved mapping", responses=responses(404))
def show_mapping(name: Annotated[str, Path(max_length=100)], engine: EngineDep) -> dict[str, Any]:
    """The saved mapping ``name`` with its YAML."""
    with engine.connect() as conn:
        info = get_saved(conn, name)
    if info is None:
        raise HTTPException(404, f"no saved mapping named {name!r}")
    return info.to_json()


@router.post(
    "/mappings",
    status_code=201,
    summary="Save a mapping by name (replaces one of that name)",
    responses=responses(400),
)
def add_mapping(
    actor: ActorDep, engine: EngineDep, body: Annotated[MappingIn, Body()]
) -> dict[str, Any]:
    """Validate and keep a mapping for the next import (web page and CLI alike)."""
    try:
        return save_mapping(engine, body.name, body.mapping, actor=actor).to_json()
    except MappingError as exc:
        raise _problem(exc) from None
