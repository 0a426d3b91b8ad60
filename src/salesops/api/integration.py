"""Other systems push data in: a file to ``/api/v1/import/{entity}`` (or ``/import/sheet``)
and records to ``/api/v1/records/{entity}`` (a CRM's webhook).

Both go through the importer (:mod:`salesops.ingest`): one transaction, re-imports never
duplicate, errors name the row, column and value. A file that does not import is answered
422 with every error as JSON and nothing written. Every push is audited.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from salesops.api.deps import ActorDep, EngineDep, Require
from salesops.api.errors import AUTH, responses
from salesops.auth.audit import record_now
from salesops.auth.roles import Permission as P
from salesops.ingest.mapping import SHEET
from salesops.ingest.uploads import UploadError, discard, receive
from salesops.integrate.push import PushError, check_entity, choose_mapping, file_name, run_push
from salesops.integrate.webhook import WebhookError, receive_records

router = APIRouter(tags=["integration"], dependencies=[Require(P.IMPORT_DATA)], responses=AUTH)

_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}
            },
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
MappingName = Annotated[
    str | None, Query(max_length=100, description="The name of a saved mapping")
]
MappingText = Annotated[
    str | None,
    Query(max_length=20_000, description="An inline mapping document, YAML or JSON"),
]
Overrides = Annotated[
    list[str] | None,
    Query(max_length=200, description="field=Source Column, as --map of salesops import"),
]


def _answer(ok: bool, body: dict[str, Any]) -> JSONResponse:
    if not ok:
        body = {"detail": f"{body['errors_total']} error(s); nothing was imported", **body}
    return JSONResponse(body, status_code=200 if ok else 422)


async def _push(
    request: Request,
    actor: Any,
    engine: Any,
    entity: str,
    *,
    mapping: str | None,
    mapping_inline: str | None,
    overrides: list[str] | None,
    name: str | None,
    fmt: str | None,
    sheet: str | None,
    dry_run: bool,
) -> JSONResponse:
    try:
        check_entity(entity)
        chosen = choose_mapping(engine, entity, mapping, mapping_inline)
        filename = file_name(name, fmt, request.headers.get("content-type"))
    except PushError as exc:
        raise HTTPException(400, str(exc)) from None
    length = request.headers.get("content-length")
    declared = int(length) if length and length.isdigit() else None
    try:
        upload = await receive(request.stream(), filename, actor.name, declared=declared)
    except UploadError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    try:
        ok, body = await run_in_threadpool(
            run_push,
            engine,
            entity,
            upload.path,
            chosen,
            overrides=overrides,
            sheet=sheet,
            dry_run=dry_run,
            actor=actor,
        )
    except PushError as exc:
        raise HTTPException(400, str(exc)) from None
    finally:
        discard(upload)
    detail = {
        "status": body["status"],
        "size": upload.size,
        "rows": body["rows_read"],
        "errors": body["errors_total"],
        "run_id": body["run_id"],
        "dry_run": dry_run,
    }
    outcome = "ok" if ok else "failed"
    record_now(engine, actor, "import.push", f"{entity}:{upload.name}", detail, outcome=outcome)
    return _answer(ok, body)


_PUSH_ERRORS = responses(400, 413, 422)


@router.post(
    "/import/sheet",
    summary="Push a file of several entities (a sheet mapping, saved or inline)",
    responses=_PUSH_ERRORS,
    openapi_extra=_BODY,
    response_model=None,
)
async def push_sheet(
    request: Request,
    actor: ActorDep,
    engine: EngineDep,
    mapping: MappingName = None,
    mapping_inline: MappingText = None,
    name: Annotated[str | None, Query(max_length=200, description="The file's name")] = None,
    format: Annotated[str | None, Query(description="csv, xlsx or jsonl")] = None,
    dry_run: bool = False,
) -> JSONResponse:
    """Import the body (the file itself) into every entity its sheet mapping names, in one
    transaction; 422 with every error and nothing written when it does not import."""
    return await _push(
        request,
        actor,
        engine,
        SHEET,
        mapping=mapping,
        mapping_inline=mapping_inline,
        overrides=None,
        name=name,
        fmt=format,
        sheet=None,
        dry_run=dry_run,
    )


@router.post(
    "/import/{entity}",
    summary="Push a file (CSV, XLSX or JSON lines; the body is the file) into one entity",
    responses=_PUSH_ERRORS,
    openapi_extra=_BODY,
    response_model=None,
)
async def push_file(
    request: Request,
    actor: ActorDep,
    engine: EngineDep,
    entity: Annotated[str, Path(max_length=40, description="The entity, e.g. order_line")],
    mapping: MappingName = None,
    mapping_inline: MappingText = None,
    map: Overrides = None,
    name: Annotated[str | None, Query(max_length=200, description="The file's name")] = None,
    format: Annotated[str | None, Query(description="csv, xlsx or jsonl")] = None,
    sheet: Annotated[str | None, Query(max_length=100, description="Sheet of a workbook")] = None,
    dry_run: bool = False,
) -> JSONResponse:
    """The same import as ``salesops import ENTITY FILE``: all rows or none, a re-push
    updates and never duplicates; 422 with every error (row, column, value, reason)."""
    return await _push(
        request,
        actor,
        engine,
        entity,
        mapping=mapping,
        mapping_inline=mapping_inline,
        overrides=map,
        name=name,
        fmt=format,
        sheet=sheet,
        dry_run=dry_run,
    )


@router.post(
    "/records/{entity}",
    summary="Upsert a few records (a CRM webhook), idempotent by delivery id",
    responses=responses(400, 401, 404, 409, 413, 422),
    response_model=None,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {}}},
        }
    },
)
async def post_records(
    request: Request,
    actor: ActorDep,
    engine: EngineDep,
    entity: Annotated[str, Path(max_length=40, description="The entity, e.g. opportunity")],
    source: Annotated[
        str | None, Query(max_length=100, description="A saved webhook source (mapping, secret)")
    ] = None,
    mapping: MappingName = None,
) -> JSONResponse:
    """One JSON object, a list of them or ``{"records": [...]}``, keyed by ``external_id``:
    applied in one transaction with the delivery id (``X-Delivery-Id`` or
    ``Idempotency-Key``); a redelivery writes nothing and gets the same answer. Opportunity
    changes land in the history with source ``api``. 200 only once committed."""
    body = await _limited_body(request)
    try:
        status, answer, replayed = await run_in_threadpool(
            receive_records,
            engine,
            entity,
            body,
            headers=dict(request.headers),
            source=source,
            mapping=mapping,
            actor=actor,
        )
    except WebhookError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    response = JSONResponse(answer, status_code=status)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


async def _limited_body(request: Request) -> bytes:
    from salesops.integrate.webhook import MAX_BODY

    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise HTTPException(
                413, f"a webhook body is at most {MAX_BODY // 1024} KB; push files to /import"
            )
        chunks.append(chunk)
    return b"".join(chunks)
