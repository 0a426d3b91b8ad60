"""The archive of generated reviews: a report kept with its kind, period, scope, language,
who or what made it and when, and its rendered files.

Files are kept in the database (``report_file``, base64 in a text column), not in a folder:
one place to back up (the backup package archives every table of the schema), the same on
DuckDB and PostgreSQL, and several server processes see the same archive. Reviews are small
(Markdown and XLSX some kB, the HTML with its inlined charts and the PDF some hundred kB).

A caller sees only archived reviews whose scope is inside their own (a rep: their own; a
manager: their org subtree and its reps); one outside it does not exist for them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, false, insert, or_, select, true
from sqlalchemy.exc import IntegrityError

from salesops.auth.audit import Actor, record
from salesops.auth.secrets import utcnow
from salesops.db.schema import Rep, ReportArchive, ReportFile
from salesops.metrics.scope import Scope, subtree_units
from salesops.reports.model import Report

FORMATS = ("html", "pdf", "xlsx", "md")
SOURCES = ("page", "api", "cli", "schedule")


class ArchiveError(ValueError):
    """A format that cannot be kept, or nothing to keep."""


class NotFound(LookupError):
    """No archived review (or file) with that id in the caller's scope."""


def check_formats(formats: Sequence[str]) -> list[str]:
    """The formats, in order, without repeats; a clear error for an unknown one."""
    wanted = list(dict.fromkeys(f.strip().lower() for f in formats if f.strip()))
    if not wanted:
        raise ArchiveError(f"give at least one format: {', '.join(FORMATS)}")
    for f in wanted:
        if f not in FORMATS:
            raise ArchiveError(f"unknown format {f!r}; known: {', '.join(FORMATS)}")
    return wanted


@dataclass(frozen=True)
class Archived:
    """An archived review as lists show it (never the files' bytes)."""

    id: int
    kind: str
    period: str
    start: dt.date
    end: dt.date
    scope: str
    lang: str
    title: str
    source: str
    generated_by: str
    created_at: dt.datetime
    formats: tuple[str, ...]
    summary: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "period": self.period,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "scope": self.scope,
            "lang": self.lang,
            "title": self.title,
            "source": self.source,
            "generated_by": self.generated_by,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "formats": list(self.formats),
        }


def render_files(report: Report, formats: Sequence[str]) -> dict[str, bytes]:
    """The report rendered in each format (before any transaction: PDF takes seconds)."""
    from salesops.reports.render import render

    return {f: render(report, f) for f in check_formats(formats)}


def keep(
    engine: Engine,
    report: Report,
    files: dict[str, bytes],
    *,
    source: str,
    actor: Actor,
    schedule_id: int | None = None,
    due_at: dt.datetime | None = None,
) -> int:
    """Store ``report`` with its rendered ``files`` (format → bytes); its id. Audited
    (``report.archive``). A scheduled run is kept once per schedule and due time: a second
    runner that gets this far finds the first one's id."""
    if source not in SOURCES:
        raise ArchiveError(f"unknown source {source!r}")
    if not files:
        raise ArchiveError("nothing to keep: no rendered file")
    scope = report.scope
    try:
        with engine.begin() as conn:
            aid = conn.execute(
                insert(ReportArchive)
                .values(
                    kind=report.kind,
                    period=report.period.label,
                    period_start=report.period.start,
                    period_end=report.period.end,
                    scope_kind=scope.kind,
                    org_unit_id=scope.org_unit_id,
                    rep_id=scope.rep_id,
                    scope_name=report.scope_name[:200],
                    lang=report.lang,
                    title=report.title[:300],
                    summary=json.dumps(report.summary, ensure_ascii=False),
                    source=source,
                    generated_by=actor.name[:100],
                    schedule_id=schedule_id,
                    due_at=due_at,
                    created_at=utcnow(),
                )
                .returning(ReportArchive.id)
            ).scalar_one()
            for fmt, data in files.items():
                conn.execute(
                    insert(ReportFile).values(
                        archive_id=aid,
                        format=fmt,
                        filename=f"{report.filename_stem}.{fmt}"[:300],
                        size_bytes=len(data),
                        sha256=hashlib.sha256(data).hexdigest(),
                        content=base64.b64encode(data).decode("ascii"),
                    )
                )
            record(
                conn,
                actor,
                "report.archive",
                report.title[:200],
                {"id": aid, "source": source, "formats": sorted(files), "schedule": schedule_id},
            )
    except IntegrityError:
        if schedule_id is None:
            raise
        with engine.connect() as conn:
            found = conn.execute(
                select(ReportArchive.id).where(
                    ReportArchive.schedule_id == schedule_id, ReportArchive.due_at == due_at
                )
            ).scalar()
        if found is None:  # pragma: no cover - the unique key is the only one
            raise
        return int(found)
    return int(aid)


def visible(conn: Connection, caller: Scope, table: Any = ReportArchive) -> Any:
    """A WHERE clause on ``table`` (its scope columns): rows inside ``caller``'s scope."""
    if caller.is_full:
        return true()
    if caller.kind == "rep":
        return and_(table.scope_kind == "rep", table.rep_id == caller.rep_id)
    assert caller.org_unit_id is not None
    units = [int(u) for u in conn.execute(subtree_units(caller.org_unit_id)).scalars()]
    reps = [int(r) for r in conn.execute(select(Rep.id).where(Rep.org_unit_id.in_(units)))
            .scalars()]  # fmt: skip
    return or_(
        and_(table.scope_kind == "org_unit", table.org_unit_id.in_(units)),
        and_(table.scope_kind == "rep", table.rep_id.in_(reps)) if reps else false(),
    )


def list_archive(
    engine: Engine,
    caller: Scope,
    *,
    kind: str | None = None,
    archive_id: int | None = None,
    limit: int = 100,
) -> list[Archived]:
    """Archived reviews inside ``caller``'s scope, newest first."""
    with engine.connect() as conn:
        q = select(ReportArchive).where(visible(conn, caller))
        if kind:
            q = q.where(ReportArchive.kind == kind)
        if archive_id is not None:
            q = q.where(ReportArchive.id == archive_id)
        rows = conn.execute(
            q.order_by(ReportArchive.created_at.desc(), ReportArchive.id.desc()).limit(limit)
        ).all()
        ids = [r.id for r in rows]
        formats: dict[int, list[str]] = {}
        if ids:
            for aid, fmt in conn.execute(
                select(ReportFile.archive_id, ReportFile.format)
                .where(ReportFile.archive_id.in_(ids))
                .order_by(ReportFile.id)
            ):
                formats.setdefault(int(aid), []).append(str(fmt))
    return [
        Archived(
            id=int(r.id),
            kind=r.kind,
            period=r.period,
            start=r.period_start,
            end=r.period_end,
            scope=r.scope_name,
            lang=r.lang,
            title=r.title,
            source=r.source,
            generated_by=r.generated_by,
            created_at=r.created_at,
            formats=tuple(formats.get(int(r.id), [])),
            summary=tuple(json.loads(r.summary or "[]")),
        )
        for r in rows
    ]


def get_archived(engine: Engine, archive_id: int, caller: Scope) -> Archived:
    """One archived review inside ``caller``'s scope (else :class:`NotFound`)."""
    found = list_archive(engine, caller, archive_id=archive_id, limit=1)
    if not found:
        raise NotFound(f"no archived report {archive_id}")
    return found[0]


def get_file(engine: Engine, archive_id: int, fmt: str, caller: Scope) -> tuple[str, bytes]:
    """The file name and bytes of one archived review's ``fmt`` file, inside ``caller``'s
    scope (else :class:`NotFound`)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(ReportFile.filename, ReportFile.content, ReportFile.sha256)
            .join(ReportArchive, ReportArchive.id == ReportFile.archive_id)
            .where(
                ReportFile.archive_id == archive_id,
                ReportFile.format == fmt,
                visible(conn, caller),
            )
        ).first()
    if row is None:
        raise NotFound(f"no {fmt} file of archived report {archive_id}")
    data = base64.b64decode(row.content)
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise NotFound(f"the {fmt} file of archived report {archive_id} is damaged")
    return str(row.filename), data
