"""Saved mappings: column mappings kept by name in the database, shared by the data page and
the command line (``salesops mappings add|list|show``, ``--mapping NAME``), and the sample
mappings of ``docs/mappings`` (known CRM exports, flat sheets) offered when a file's headers
match them.

A saved mapping is the mapping's YAML text, single-entity (``entity: customer``) or a sheet
mapping (``entities:``, stored with entity ``sheet``); it is validated before it is kept.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, Engine, insert, select, update

from salesops.auth.audit import Actor, record
from salesops.db.schema import SavedMapping
from salesops.ingest.mapping import (
    SHEET,
    Mapping,
    MappingError,
    SheetMapping,
    parse_mapping,
    parse_sheet_mapping,
    read_yaml,
)

_TABLE = SavedMapping.__table__
_NAME = re.compile(r"^[\w.\- ]{1,100}$")
#: Where the sample mappings live in a source checkout (not installed with a wheel).
SAMPLES = Path(__file__).resolve().parents[3] / "docs" / "mappings"


@dataclass(frozen=True)
class MappingInfo:
    """A named mapping: saved in the database or a sample from ``docs/mappings``."""

    name: str
    entity: str  # an entity, or "sheet" for several
    body: str  # YAML
    source: str  # saved | sample
    headers: tuple[str, ...]  # the source columns it reads
    updated_at: dt.datetime | None = None
    updated_by: str | None = None

    @property
    def document(self) -> dict[str, Any]:
        """The parsed YAML."""
        data = yaml.safe_load(self.body)
        return data if isinstance(data, dict) else {}

    def to_json(self) -> dict[str, Any]:
        """What the API answers."""
        return {
            "name": self.name,
            "entity": self.entity,
            "source": self.source,
            "headers": list(self.headers),
            "document": self.document,
            "body": self.body,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "updated_by": self.updated_by,
        }


def parse_any(data: Any) -> Mapping | SheetMapping:
    """A mapping document, single-entity or a sheet mapping (``entities:``)."""
    if isinstance(data, dict) and "entities" in data:
        return parse_sheet_mapping(data)
    return parse_mapping(data)


def source_columns(parsed: Mapping | SheetMapping) -> tuple[str, ...]:
    """Every source column a mapping reads, each once, in order."""
    sections = parsed.sections if isinstance(parsed, SheetMapping) else (parsed,)
    seen: dict[str, None] = {}
    for section in sections:
        for column in section.source_columns():
            seen.setdefault(column, None)
    return tuple(seen)


def entity_of(parsed: Mapping | SheetMapping) -> str:
    """The entity a mapping fills, or ``sheet`` for several."""
    return SHEET if isinstance(parsed, SheetMapping) else parsed.entity


def _read_body(body: str) -> tuple[Any, Mapping | SheetMapping]:
    try:
        data = yaml.safe_load(body)
    except yaml.YAMLError as exc:
        raise MappingError(f"the mapping is not valid YAML: {exc}") from None
    return data, parse_any(data)


def save_mapping(
    engine: Engine,
    name: str,
    mapping: str | dict[str, Any],
    *,
    actor: Actor | str,
) -> MappingInfo:
    """Keep ``mapping`` (YAML text or a parsed document) under ``name``, replacing a mapping of
    that name; raises :class:`MappingError` when the name or the mapping is wrong. Audited."""
    name = name.strip()
    if not _NAME.match(name):
        raise MappingError("a mapping name has 1 to 100 letters, digits, spaces, '.', '-' or '_'")
    if isinstance(mapping, str):
        body = mapping
        _, parsed = _read_body(body)
    else:
        parsed = parse_any(mapping)
        body = yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    who = actor.name if isinstance(actor, Actor) else actor
    values = {
        "entity": entity_of(parsed),
        "body": body,
        "headers": json.dumps(list(source_columns(parsed)), ensure_ascii=False),
        "updated_at": now,
        "updated_by": who[:100],
    }
    with engine.begin() as conn:
        existing = conn.execute(
            select(SavedMapping.id).where(SavedMapping.name == name)
        ).scalar_one_or_none()
        if existing is None:
            conn.execute(insert(SavedMapping).values(name=name, created_at=now, **values))
        else:
            conn.execute(update(SavedMapping).where(SavedMapping.id == existing).values(**values))
        record(
            conn,
            actor,
            "mapping.save",
            name,
            {"entity": values["entity"], "replaced": existing is not None},
        )
        info = get_saved(conn, name)
    assert info is not None
    return info


def _info(row: Any) -> MappingInfo:
    return MappingInfo(
        name=row.name,
        entity=row.entity,
        body=row.body,
        source="saved",
        headers=tuple(json.loads(row.headers or "[]")),
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def list_saved(conn: Connection) -> list[MappingInfo]:
    """Every saved mapping, by name."""
    rows = conn.execute(select(_TABLE).order_by(_TABLE.c.name)).all()
    return [_info(r) for r in rows]


def get_saved(conn: Connection, name: str) -> MappingInfo | None:
    """The saved mapping called ``name``, or None."""
    row = conn.execute(select(_TABLE).where(_TABLE.c.name == name.strip())).first()
    return _info(row) if row else None


@lru_cache(maxsize=1)
def sample_mappings() -> tuple[MappingInfo, ...]:
    """The sample mappings of ``docs/mappings`` (none when the docs are not installed)."""
    if not SAMPLES.is_dir():
        return ()
    found = []
    for path in sorted(SAMPLES.glob("*.yaml")):
        body = path.read_text(encoding="utf-8")
        try:
            _, parsed = _read_body(body)
        except MappingError:
            continue
        found.append(
            MappingInfo(
                name=path.stem,
                entity=entity_of(parsed),
                body=body,
                source="sample",
                headers=source_columns(parsed),
            )
        )
    return tuple(found)


def resolve_mapping(engine: Engine, value: str | Path) -> Mapping | SheetMapping:
    """``--mapping`` as given: a YAML file when one exists at that path, else a saved mapping
    of that name; raises :class:`MappingError` naming both possibilities."""
    path = Path(value)
    if path.is_file():
        return parse_any(read_yaml(path))
    with engine.connect() as conn:
        info = get_saved(conn, str(value))
        names = [m.name for m in list_saved(conn)] if info is None else []
    if info is None:
        known = f"; saved mappings: {', '.join(names)}" if names else " (none is saved yet)"
        raise MappingError(
            f"--mapping {str(value)!r} is neither a mapping file nor a saved mapping{known}"
        )
    try:
        return parse_any(info.document)
    except MappingError as exc:
        raise MappingError(f"saved mapping {info.name!r}: {exc}") from None


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text.strip().lower())


def matching(headers: list[str], entity: str | None, conn: Connection) -> list[dict[str, Any]]:
    """Saved and sample mappings whose source columns are all in ``headers`` (compared without
    case, spaces and underscores), best first: most columns read, saved before samples.
    ``entity`` (None: any) keeps those for that entity (``sheet``: sheet mappings)."""
    have = {_norm(h) for h in headers}
    out: list[tuple[int, int, str, dict[str, Any]]] = []
    for rank, group in enumerate((list_saved(conn), list(sample_mappings()))):
        for info in group:
            if entity and info.entity != entity:
                continue
            if not info.headers or not all(_norm(h) in have for h in info.headers):
                continue
            found = info.to_json()
            found["document"] = rebind(found["document"], headers)
            out.append((-len(info.headers), rank, info.name, found))
    out.sort(key=lambda t: t[:3])
    return [t[3] for t in out]


def rebind(document: dict[str, Any], headers: list[str]) -> dict[str, Any]:
    """``document`` with each source column spelled as the file spells it (matched without
    case, spaces and underscores), so that a suggestion imports the file as it is."""
    by_norm = {_norm(h): h for h in reversed(headers)}

    def columns(cols: Any) -> Any:
        if not isinstance(cols, dict):
            return cols
        out: dict[str, Any] = {}
        for name, spec in cols.items():
            if isinstance(spec, dict) and isinstance(spec.get("column"), str):
                spec = {**spec, "column": by_norm.get(_norm(spec["column"]), spec["column"])}
            elif isinstance(spec, str):
                spec = by_norm.get(_norm(spec), spec)
            out[name] = spec
        return out

    doc = dict(document)
    if isinstance(doc.get("entities"), dict):
        doc["entities"] = {
            e: {**s, "columns": columns(s.get("columns"))} if isinstance(s, dict) else s
            for e, s in doc["entities"].items()
        }
    else:
        doc["columns"] = columns(doc.get("columns"))
    return doc
