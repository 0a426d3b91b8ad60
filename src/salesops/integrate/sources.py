"""Saved sources (``salesops sources add|list|run|remove``) and the scheduler job that runs
them (``import-sources``).

A source names where rows come from — an SQL query on another system's database, a watched
folder, or a webhook sender — with its entity, saved mapping and schedule (``15m``, ``1h``,
``1d`` or a cron line in the board's time zone). Each run is recorded in
``import_source_run`` (start, end, counts, first errors) and shown on the data page. The job
is idempotent: a source is claimed by moving its ``next_run_at`` forward in one UPDATE, so two
server processes never run the same source twice for one due time.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError

from salesops.auth.audit import Actor, record
from salesops.config import get_settings
from salesops.db.schema import ImportSource, ImportSourceRun
from salesops.ingest.fields import ENTITIES
from salesops.ingest.importer import ImportReport
from salesops.ingest.mapping import SHEET, Mapping, SheetMapping
from salesops.integrate.credentials import redact, to_stored
from salesops.integrate.push import PushError, saved

log = logging.getLogger(__name__)

KINDS = ("sql", "folder", "webhook")
#: how often the scheduler looks for due sources
TICK_SECONDS = 60
#: a folder source without a schedule is looked at this often
FOLDER_DEFAULT = "1m"
_INTERVAL = re.compile(r"^(\d+)\s*([smhd])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class SourceError(ValueError):
    """A source that cannot be saved or run as asked; the message says why."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def check_schedule(text: str) -> str:
    """``text`` when it is an interval (``30s`` … ``1d``) or a five-field cron line."""
    text = text.strip()
    found = _INTERVAL.match(text)
    if found:
        if int(found.group(1)) * _UNIT[found.group(2)] < 10:
            raise SourceError("a schedule runs at most every 10 seconds")
        return text
    from salesops.schedule.cron import trigger

    try:
        trigger(text)
    except ValueError as exc:
        raise SourceError(
            f"schedule {text!r} is neither an interval like 15m, 1h, 1d nor a cron line "
            f"like '0 2 * * *' ({exc})"
        ) from None
    return text


def next_run(schedule: str, after: dt.datetime) -> dt.datetime:
    """The next due time (naive UTC) of ``schedule`` after ``after`` (naive UTC)."""
    found = _INTERVAL.match(schedule.strip())
    if found:
        return after + dt.timedelta(seconds=int(found.group(1)) * _UNIT[found.group(2)])
    from salesops.schedule.cron import trigger

    zone = ZoneInfo(get_settings().timezone)
    aware = after.replace(tzinfo=dt.UTC)
    fire = trigger(schedule, zone).get_next_fire_time(None, aware + dt.timedelta(seconds=1))
    if fire is None:  # pragma: no cover - a crontab always fires again
        return after + dt.timedelta(days=365)
    return fire.astimezone(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Source:
    """A saved source as shown (never its secret)."""

    name: str
    kind: str
    entity: str
    mapping: str | None
    url: str | None
    query: str | None
    folder: str | None
    schedule: str | None
    enabled: bool
    has_secret: bool
    next_run_at: dt.datetime | None

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["next_run_at"] = self.next_run_at.isoformat() if self.next_run_at else None
        return data


def _source(row: Any) -> Source:
    return Source(
        row.name,
        row.kind,
        row.entity,
        row.mapping,
        row.url,
        row.query,
        row.folder,
        row.schedule,
        bool(row.enabled),
        bool(row.secret),
        row.next_run_at,
    )


def add_source(
    engine: Engine,
    name: str,
    *,
    kind: str,
    entity: str,
    mapping: str | None = None,
    url: str | None = None,
    query: str | None = None,
    folder: str | Path | None = None,
    secret: str | None = None,
    schedule: str | None = None,
    actor: Actor | str,
) -> Source:
    """Check and save a source (audited). A secret is kept as a reference (``env:``,
    ``file:``) or sealed; a password inside ``url`` is refused."""
    from salesops.integrate.sql import SqlSourceError, check_select

    name = name.strip()
    if not re.fullmatch(r"[\w.-]{1,100}", name):
        raise SourceError("a source's name is 1-100 letters, digits, '.', '_' or '-'")
    if kind not in KINDS:
        raise SourceError(f"unknown kind {kind!r}; one of: {', '.join(KINDS)}")
    if entity != SHEET and entity not in ENTITIES:
        raise SourceError(f"unknown entity {entity!r}; one of: sheet, {', '.join(ENTITIES)}")
    if entity == SHEET and (kind != "folder" or not mapping):
        raise SourceError("only a folder source with a sheet mapping imports several entities")
    if mapping:
        try:
            found = saved(engine, mapping)
        except PushError as exc:
            raise SourceError(str(exc)) from None
        wanted = SHEET if isinstance(found, SheetMapping) else found.entity
        if wanted != entity:
            raise SourceError(f"mapping {mapping!r} is for {wanted}, not {entity}")
    if kind == "sql":
        if not url or not query:
            raise SourceError("an SQL source needs --url and --query")
        try:
            check_select(query)
        except SqlSourceError as exc:
            raise SourceError(str(exc)) from None
        if not url.startswith(("env:", "file:")):
            try:
                if make_url(url).password:
                    raise SourceError(
                        "the URL holds a password; give it with --secret env:VAR, file:PATH "
                        "or as a value to seal, never in the URL"
                    )
            except ArgumentError:
                raise SourceError(f"{redact(url)!r} is not a database URL") from None
    elif url or query:
        raise SourceError("--url and --query belong to SQL sources")
    if kind == "folder":
        if not folder:
            raise SourceError("a folder source needs --folder")
        folder = str(Path(folder).expanduser().resolve())
        schedule = schedule or FOLDER_DEFAULT
    elif folder:
        raise SourceError("--folder belongs to folder sources")
    if kind == "webhook" and schedule:
        raise SourceError("a webhook source is pushed to; it has no schedule")
    if schedule:
        schedule = check_schedule(schedule)
    now = utcnow()
    values = {
        "name": name,
        "kind": kind,
        "entity": entity,
        "mapping": mapping,
        "url": url,
        "query": query,
        "folder": folder,
        "secret": to_stored(secret) if secret else None,
        "schedule": schedule,
        "enabled": True,
        "next_run_at": now if schedule else None,
        "created_at": now,
        "updated_by": (actor.name if isinstance(actor, Actor) else actor)[:100],
    }
    try:
        with engine.begin() as conn:
            conn.execute(insert(ImportSource).values(**values))
            shown = {k: v for k, v in values.items() if k not in ("secret", "created_at")}
            shown["next_run_at"] = str(values["next_run_at"])
            record(conn, actor, "source.add", name, {**shown, "secret": bool(secret)})
    except IntegrityError:
        raise SourceError(f"a source named {name!r} exists already") from None
    return get_source(engine, name)


def get_source(engine: Engine, name: str) -> Source:
    """The source ``name``; :class:`SourceError` when there is none."""
    table = ImportSource.__table__
    with engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.name == name)).first()
    if row is None:
        raise SourceError(f"no source named {name!r} (salesops sources list)")
    return _source(row)


def list_sources(conn: Connection) -> list[Source]:
    """Every saved source, by name."""
    table = ImportSource.__table__
    return [_source(r) for r in conn.execute(select(table).order_by(table.c.name))]


def remove_source(engine: Engine, name: str, *, actor: Actor | str) -> None:
    """Forget a source (its run history stays); audited."""
    get_source(engine, name)
    with engine.begin() as conn:
        conn.execute(delete(ImportSource).where(ImportSource.name == name))
        record(conn, actor, "source.remove", name)


# --------------------------------------------------------------------------- runs


@dataclass
class RunOutcome:
    """One run of a source (one file, for a folder)."""

    source: str
    status: str  # ok | failed
    file: str | None = None
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    message: str | None = None
    run_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def from_report(source: str, report: ImportReport | Any, file: str | None) -> RunOutcome:
    """A run's outcome from an import's report (a file's or a sheet's)."""
    sections = getattr(report, "sections", None) or [report]
    first = "; ".join(str(e).replace(e.file, Path(e.file).name, 1) for e in report.errors[:5])
    return RunOutcome(
        source=source,
        status="ok" if report.status == "ok" else "failed",
        file=file,
        rows_read=report.rows_read,
        inserted=sum(s.inserted for s in sections),
        updated=sum(s.updated for s in sections),
        unchanged=sum(s.unchanged for s in sections),
        errors=report.errors_total,
        message=first or None,
        run_id=getattr(report, "run_id", None),
    )


def _record_run(
    engine: Engine, outcome: RunOutcome, trigger: str, started: dt.datetime, actor: Actor | str
) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(ImportSourceRun).values(
                source=outcome.source,
                trigger=trigger,
                file=(outcome.file or "")[-500:] or None,
                started_at=started,
                finished_at=utcnow(),
                status=outcome.status,
                rows_read=outcome.rows_read,
                inserted=outcome.inserted,
                updated=outcome.updated,
                unchanged=outcome.unchanged,
                errors=outcome.errors,
                message=outcome.message[:4000] if outcome.message else None,
                import_run_id=outcome.run_id,
            )
        )
        if outcome.status != "ok":
            detail = {"file": outcome.file, "errors": outcome.errors, "trigger": trigger}
            record(conn, actor, "source.run", outcome.source, detail, outcome="failed")


def _mapping(engine: Engine, row: Any) -> Mapping | SheetMapping | None:
    return saved(engine, row.mapping) if row.mapping else None


def run_source(
    engine: Engine, name: str, *, trigger: str = "manual", actor: Actor | str = "scheduler"
) -> list[RunOutcome]:
    """Run a source now: pull its query, or import the files waiting in its folder. Every
    run is recorded; failures are outcomes, never exceptions."""
    table = ImportSource.__table__
    with engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.name == name)).first()
    if row is None:
        raise SourceError(f"no source named {name!r} (salesops sources list)")
    if row.kind == "webhook":
        raise SourceError(f"{name!r} is a webhook source: it runs when the sender pushes")
    if row.kind == "folder":
        from salesops.integrate.folders import scan_folder

        return scan_folder(engine, row, trigger=trigger, actor=actor, record_run=_record_run)
    started = utcnow()
    outcome = _run_sql(engine, row, actor)
    _record_run(engine, outcome, trigger, started, actor)
    return [outcome]


def _run_sql(engine: Engine, row: Any, actor: Actor | str) -> RunOutcome:
    from salesops.integrate.sql import SqlSourceError, import_from_sql

    try:
        mapping = _mapping(engine, row)
        if isinstance(mapping, SheetMapping):
            raise SourceError("an SQL source imports one entity")
        report, _pull = import_from_sql(
            engine,
            row.entity,
            row.url,
            row.query,
            mapping,
            password=row.secret,
            actor=actor,
            name=row.name,
        )
    except (SqlSourceError, SourceError, PushError) as exc:
        return RunOutcome(row.name, "failed", errors=1, message=redact(str(exc)))
    return from_report(row.name, report, f"{row.name}.csv")


def claim_due(engine: Engine, now: dt.datetime | None = None) -> list[str]:
    """The sources due now, each claimed by moving its ``next_run_at`` to its next due time
    (an UPDATE guarded by the old value: of two processes only one wins a source)."""
    now = now or utcnow()
    table = ImportSource.__table__
    claimed = []
    with engine.connect() as conn:
        due = conn.execute(
            select(table.c.name, table.c.schedule, table.c.next_run_at).where(
                table.c.enabled.is_(True),
                table.c.schedule.is_not(None),
                table.c.next_run_at <= now,
            )
        ).all()
    for name, schedule, at in due:
        with engine.begin() as conn:
            moved = conn.execute(
                update(ImportSource)
                .where(ImportSource.name == name, ImportSource.next_run_at == at)
                .values(next_run_at=next_run(schedule, now))
            ).rowcount
        if moved == 1:
            claimed.append(name)
    return claimed


def tick(engine: Engine) -> int:
    """The scheduler job ``import-sources``: run every due source; the number of runs."""
    runs = 0
    for name in claim_due(engine):
        try:
            runs += len(run_source(engine, name, trigger="schedule", actor="scheduler"))
        except SourceError as exc:  # removed meanwhile
            log.warning("import source %s: %s", name, redact(str(exc)))
    return runs


def recent_runs(conn: Connection, limit: int = 20) -> list[dict[str, Any]]:
    """The latest source runs, newest first."""
    table = ImportSourceRun.__table__
    rows = conn.execute(select(table).order_by(table.c.id.desc()).limit(limit)).all()
    return [
        {
            "id": r.id,
            "source": r.source,
            "trigger": r.trigger,
            "file": r.file,
            "started_at": r.started_at.isoformat(timespec="seconds"),
            "finished_at": r.finished_at.isoformat(timespec="seconds") if r.finished_at else None,
            "status": r.status,
            "rows_read": r.rows_read,
            "inserted": r.inserted,
            "updated": r.updated,
            "unchanged": r.unchanged,
            "errors": r.errors,
            "message": r.message,
        }
        for r in rows
    ]
