"""A file pushed by another system: ``POST /api/v1/import/{entity}`` and ``/import/sheet``.

The body is the file itself (CSV, XLSX or JSON lines), streamed to a temporary file by
:func:`salesops.ingest.uploads.receive` (never held in memory whole), imported by the same
importer as ``salesops import`` and removed again. The mapping is a saved one by name, an
inline YAML/JSON document, or none (columns named like the fields map themselves).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine

from salesops.auth.audit import Actor
from salesops.ingest.fields import ENTITIES
from salesops.ingest.importer import ImportReport, import_file
from salesops.ingest.mapping import (
    SHEET,
    Mapping,
    MappingError,
    SheetMapping,
    parse_mapping,
    parse_sheet_mapping,
)
from salesops.ingest.registry import get_saved, parse_any
from salesops.ingest.sheet import SheetReport, import_sheet
from salesops.ingest.uploads import report_json

#: ``?format=`` and the Content-Types a push may declare, with the file extension they mean.
FORMATS = {"csv": ".csv", "xlsx": ".xlsx", "jsonl": ".jsonl"}
CONTENT_TYPES = {
    "text/csv": "csv",
    "application/csv": "csv",
    "text/plain": "csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/x-ndjson": "jsonl",
    "application/ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/x-jsonlines": "jsonl",
    "application/json": "jsonl",
}


class PushError(ValueError):
    """A push that cannot be imported as asked (HTTP 400); the message says why."""


def check_entity(entity: str) -> str:
    """``entity`` when it is an importable entity or ``sheet``; else :class:`PushError`."""
    if entity != SHEET and entity not in ENTITIES:
        raise PushError(f"unknown entity {entity!r}; one of: sheet, {', '.join(ENTITIES)}")
    return entity


def file_name(name: str | None, fmt: str | None, content_type: str | None) -> str:
    """The name the pushed file is kept (and named in errors) under: ``name`` when given,
    else ``push`` with the extension of ``fmt`` or of the Content-Type (default CSV)."""
    if fmt is not None and fmt not in FORMATS:
        raise PushError(f"unknown format {fmt!r}; one of: {', '.join(FORMATS)}")
    if name:
        if fmt and Path(name).suffix.lower() != FORMATS[fmt]:
            return name + FORMATS[fmt]
        return name
    kind = fmt or CONTENT_TYPES.get((content_type or "").split(";")[0].strip().lower(), "csv")
    return "push" + FORMATS[kind]


def saved(engine: Engine, name: str) -> Mapping | SheetMapping:
    """The saved mapping ``name`` (never a file on the server); :class:`PushError` if none."""
    with engine.connect() as conn:
        info = get_saved(conn, name)
    if info is None:
        raise PushError(f"no saved mapping named {name!r} (salesops mappings list)")
    try:
        return parse_any(info.document)
    except MappingError as exc:
        raise PushError(f"saved mapping {name!r}: {exc}") from None


def inline(entity: str, text: str) -> Mapping | SheetMapping:
    """A mapping given in the request as YAML or JSON text."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PushError(f"the inline mapping is not valid YAML or JSON: {exc}") from None
    try:
        if entity == SHEET:
            return parse_sheet_mapping(data)
        return parse_mapping(data, entity=entity)
    except MappingError as exc:
        raise PushError(f"the inline mapping: {exc}") from None


def choose_mapping(
    engine: Engine, entity: str, name: str | None, text: str | None
) -> Mapping | SheetMapping | None:
    """The mapping of a push: by ``name`` (saved), inline ``text``, or None (same-name)."""
    if name and text:
        raise PushError("give a saved mapping's name or an inline mapping, not both")
    found = saved(engine, name) if name else inline(entity, text) if text else None
    if entity == SHEET:
        if not isinstance(found, SheetMapping):
            raise PushError("a sheet import needs a sheet mapping ('entities:'), saved or inline")
    elif isinstance(found, SheetMapping):
        raise PushError(f"mapping {name!r} has several entities; push it to /import/sheet")
    elif found is not None and found.entity != entity:
        raise PushError(f"the mapping is for entity {found.entity!r}, not {entity!r}")
    return found


def outcome(report: ImportReport | SheetReport, name: str) -> dict[str, Any]:
    """What the API answers: the page's report (counts, every kept error, data quality) with
    the file's name, the entity and the import run's id."""
    body = report_json(report)
    body["file"] = name
    if isinstance(report, ImportReport):
        body["entity"] = report.entity
        body["run_id"] = report.run_id
    else:
        body["entity"] = SHEET
        body["run_id"] = next((s.run_id for s in report.sections if s.run_id), None)
    for error in body["errors"]:
        error["file"] = name
    return body


def run_push(
    engine: Engine,
    entity: str,
    path: Path,
    mapping: Mapping | SheetMapping | None,
    *,
    overrides: list[str] | None = None,
    sheet: str | None = None,
    dry_run: bool = False,
    actor: Actor,
) -> tuple[bool, dict[str, Any]]:
    """Import a pushed file; (whether it imported — or would —, the answer's body)."""
    report: ImportReport | SheetReport
    if isinstance(mapping, SheetMapping):
        if overrides:
            raise PushError("a sheet import takes its columns from the mapping, not ?map=")
        report = import_sheet(engine, path, mapping, dry_run=dry_run, actor=actor)
    else:
        report = import_file(
            engine,
            entity,
            path,
            mapping,
            overrides=overrides or [],
            sheet=sheet,
            dry_run=dry_run,
            actor=actor,
        )
    return report.ok, outcome(report, path.name)
