"""Records pushed by a CRM's webhook: ``POST /api/v1/records/{entity}``.

A delivery is one JSON object, a list of them or ``{"records": [...]}`` (at most
:data:`MAX_RECORDS`), keyed by ``external_id`` like an import. It is written to a JSON-lines
file and imported by :func:`salesops.ingest.import_file` — so a stage change lands in the
opportunity history exactly as an import's would, with source ``api``. The delivery id
(``X-Delivery-Id`` or ``Idempotency-Key``) is stored with the answer *in the import's own
transaction*: a redelivery finds it and gets the same answer with nothing written, and two
copies arriving at once cannot both apply (the second one's insert fails, its import rolls
back, and it answers with the first one's stored answer). A delivery that fails writes
nothing and stores nothing, so the sender's retry tries again.

Records arrive out of order (a retry overtakes a later change): a record carrying its own
``version`` (a whole number) or ``updated_at`` (an ISO 8601 timestamp; without an offset it is
UTC) is compared with the one the last applied record of the same ``external_id`` carried
(table ``record_version``). An older record is *stale*: it is skipped — nothing of it is
written, no opportunity history — and the answer (still 200) lists it under ``stale``. Of
several records of one ``external_id`` in one delivery only the newest is applied. Records
without a version, or whose entity is keyed otherwise, are always applied; so is the first
versioned record of an ``external_id`` (file imports keep no versions).

A saved webhook source (``salesops sources add NAME --webhook``) may give the mapping and a
signing secret: the body must then carry ``X-Signature-256: sha256=<hex HMAC-SHA256 of the
body>``. The secret is never logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import shutil
import tempfile
import time
from collections.abc import Mapping as MappingType
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import DBAPIError

from salesops.auth.audit import Actor
from salesops.db.schema import ImportSource, RecordVersion, WebhookDelivery
from salesops.ingest.errors import ImportFailed, RowError
from salesops.ingest.fields import ENTITIES
from salesops.ingest.importer import ImportReport, import_file
from salesops.ingest.mapping import Mapping, SheetMapping
from salesops.ingest.uploads import upload_root
from salesops.integrate.credentials import CredentialError, resolve
from salesops.integrate.push import PushError, outcome, saved

MAX_RECORDS = 1000
MAX_BODY = 1024 * 1024
DELIVERY_HEADERS = ("x-delivery-id", "idempotency-key")
SIGNATURE_HEADER = "x-signature-256"
#: how long a delivery refused by the database (a copy of it committing at the same moment)
#: waits for that copy's answer
RACE_WAIT_S = 5.0


class WebhookError(ValueError):
    """A delivery refused before anything is imported (``status``: 400, 401, 404)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def parse_records(body: bytes) -> list[dict[str, Any]]:
    """The records of a delivery; :class:`WebhookError` when the body is not what we take."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WebhookError(f"the body is not JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("records"), list):
        data = data["records"]
    records = data if isinstance(data, list) else [data]
    if not records:
        raise WebhookError("the delivery has no records")
    if len(records) > MAX_RECORDS:
        raise WebhookError(
            f"a delivery holds at most {MAX_RECORDS} records, not {len(records)}; "
            "push larger batches as a file to /api/v1/import/{entity}"
        )
    for i, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise WebhookError(f"record {i} is not a JSON object")
    return records


def delivery_id(headers: MappingType[str, str]) -> str | None:
    """The delivery's id from ``X-Delivery-Id`` or ``Idempotency-Key`` (None: no retries
    protection asked for)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in DELIVERY_HEADERS:
        value = (lowered.get(name) or "").strip()
        if value:
            if len(value) > 200:
                raise WebhookError(f"{name} is longer than 200 characters")
            return value
    return None


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is ``sha256=`` + the hex HMAC-SHA256 of ``body`` under ``secret``."""
    if not header:
        return False
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


def stored_answer(conn: Connection, sender: str, delivery: str) -> dict[str, Any] | None:
    """The answer given to an applied delivery, if any."""
    table = WebhookDelivery.__table__
    row = conn.execute(
        select(table.c.response).where(table.c.sender == sender, table.c.delivery_id == delivery)
    ).first()
    return None if row is None else dict(json.loads(row.response))


# --------------------------------------------------------------------------- record versions

#: how many times a delivery is tried again when a newer copy of one of its records commits
#: while it is being applied
VERSION_RETRIES = 3
_STALE_RACE = "a newer version of a record was written meanwhile"


@dataclass(frozen=True)
class Stamp:
    """A record's key and its own version (``version`` and/or ``updated_at``)."""

    key: str
    version: int | None
    updated_at: dt.datetime | None

    def older_than(self, version: int | None, updated_at: dt.datetime | None) -> bool:
        """Whether this record is older than one stamped ``version`` / ``updated_at``:
        versions are compared when both have one, else timestamps."""
        if self.version is not None and version is not None:
            return self.version < version
        if self.updated_at is not None and updated_at is not None:
            return self.updated_at < updated_at
        return False

    def shown(self) -> dict[str, Any]:
        """The stamp as the answer lists it."""
        out: dict[str, Any] = {"external_id": self.key}
        if self.version is not None:
            out["version"] = self.version
        if self.updated_at is not None:
            out["updated_at"] = self.updated_at.isoformat()
        return out


def _parse_version(value: Any, i: int) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())
    ):
        raise WebhookError(f"record {i}: version must be a whole number, not {value!r}")
    return int(value)


def _parse_updated_at(value: Any, i: int) -> dt.datetime | None:
    if value is None or value == "":
        return None
    try:
        stamp = dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise WebhookError(
            f"record {i}: updated_at must be an ISO 8601 timestamp, not {value!r}"
        ) from None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    return stamp


def stamps(records: list[dict[str, Any]], key_column: str) -> list[Stamp | None]:
    """Each record's :class:`Stamp` (None: no key or no version — always applied)."""
    out: list[Stamp | None] = []
    for i, record in enumerate(records, start=1):
        version = _parse_version(record.get("version"), i)
        updated_at = _parse_updated_at(record.get("updated_at"), i)
        key = record.get(key_column)
        key_text = "" if key is None else str(key).strip()
        if not key_text or (version is None and updated_at is None):
            out.append(None)
        else:
            out.append(Stamp(key_text[:300], version, updated_at))
    return out


def _stored(conn: Connection, entity: str, keys: list[str]) -> dict[str, Any]:
    table = RecordVersion.__table__
    found: dict[str, Any] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for row in conn.execute(
            select(table.c.external_id, table.c.version, table.c.updated_at).where(
                table.c.entity == entity, table.c.external_id.in_(chunk)
            )
        ):
            found[row.external_id] = row
    return found


def split_stale(
    conn: Connection,
    entity: str,
    records: list[dict[str, Any]],
    marks: list[Stamp | None],
) -> tuple[list[dict[str, Any]], list[Stamp], list[Stamp]]:
    """(records to apply, their stamps, stale stamps): a record is stale when it is older
    than the stored version of its key or than another record of its key in the delivery."""
    newest: dict[str, int] = {}
    for i, mark in enumerate(marks):
        if mark is None:
            continue
        j = newest.get(mark.key)
        if j is None or not mark.older_than(marks[j].version, marks[j].updated_at):  # type: ignore[union-attr]
            newest[mark.key] = i
    stored = _stored(conn, entity, sorted(newest))
    keep: list[dict[str, Any]] = []
    applied: list[Stamp] = []
    stale: list[Stamp] = []
    for i, (record, mark) in enumerate(zip(records, marks, strict=True)):
        if mark is None:
            keep.append(record)
            continue
        before = stored.get(mark.key)
        if newest[mark.key] != i or (
            before is not None and mark.older_than(before.version, before.updated_at)
        ):
            stale.append(mark)
            continue
        keep.append(record)
        applied.append(mark)
    return keep, applied, stale


def remember_versions(conn: Connection, entity: str, applied: list[Stamp]) -> None:
    """Store the versions of the records applied (in the import's transaction); raises
    :class:`ImportFailed` when a newer one was committed meanwhile (the delivery is tried
    again, and that record is then stale)."""
    if not applied:
        return
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    stored = _stored(conn, entity, [m.key for m in applied])
    for mark in applied:
        before = stored.get(mark.key)
        values = {"version": mark.version, "updated_at": mark.updated_at, "recorded_at": now}
        if before is None:
            conn.execute(
                insert(RecordVersion).values(entity=entity, external_id=mark.key, **values)
            )
            continue
        if mark.older_than(before.version, before.updated_at):
            raise ImportFailed([RowError("", None, None, mark.key, _STALE_RACE)])
        keep_version = mark.version if mark.version is not None else before.version
        keep_at = mark.updated_at if mark.updated_at is not None else before.updated_at
        conn.execute(
            update(RecordVersion)
            .where(RecordVersion.entity == entity, RecordVersion.external_id == mark.key)
            .values(version=keep_version, updated_at=keep_at, recorded_at=now)
        )


def _source(engine: Engine, name: str, entity: str) -> Any:
    table = ImportSource.__table__
    with engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.name == name)).first()
    if row is None or row.kind != "webhook":
        raise WebhookError(f"no webhook source named {name!r}", 404)
    if row.entity != entity:
        raise WebhookError(f"webhook source {name!r} is for {row.entity}, not {entity}")
    if not row.enabled:
        raise WebhookError(f"webhook source {name!r} is disabled", 409)
    return row


def receive_records(
    engine: Engine,
    entity: str,
    body: bytes,
    *,
    headers: MappingType[str, str],
    source: str | None,
    mapping: str | None,
    actor: Actor,
) -> tuple[int, dict[str, Any], bool]:
    """Apply one delivery: (HTTP status, answer, whether it is a replay of an applied one)."""
    if entity not in ENTITIES:
        raise WebhookError(f"unknown entity {entity!r}; one of: {', '.join(ENTITIES)}")
    chosen: Mapping | SheetMapping | None = None
    sender = actor.name
    if source:
        row = _source(engine, source, entity)
        sender = f"source:{row.name}"
        if row.secret:
            try:
                secret = resolve(row.secret)
            except CredentialError as exc:
                raise WebhookError(f"webhook source {row.name!r}: {exc}", 409) from None
            lowered = {k.lower(): v for k, v in headers.items()}
            if not signature_ok(secret, body, lowered.get(SIGNATURE_HEADER)):
                raise WebhookError("missing or wrong X-Signature-256", 401)
        mapping = mapping or row.mapping
    try:
        chosen = saved(engine, mapping) if mapping else None
    except PushError as exc:
        raise WebhookError(str(exc)) from None
    if isinstance(chosen, SheetMapping):
        raise WebhookError("records take a single-entity mapping")
    delivery = delivery_id(headers)
    if delivery is not None:
        with engine.connect() as conn:
            before = stored_answer(conn, sender, delivery)
        if before is not None:
            return 200, before, True
    records = parse_records(body)
    key_column = "external_id"
    if chosen is not None:
        cspec = chosen.columns.get("external_id")
        key_column = cspec.column if cspec is not None and cspec.column else "external_id"
    marks = stamps(records, key_column)
    for _attempt in range(VERSION_RETRIES):
        status, answer, replay, raced = _apply(
            engine, entity, records, marks, chosen, sender, delivery, actor
        )
        if not raced:
            break
    return status, answer, replay


def _apply(
    engine: Engine,
    entity: str,
    records: list[dict[str, Any]],
    marks: list[Stamp | None],
    chosen: Mapping | None,
    sender: str,
    delivery: str | None,
    actor: Actor,
) -> tuple[int, dict[str, Any], bool, bool]:
    """One try at a delivery: (status, answer, replay, whether a newer version of one of its
    records committed meanwhile — then it is tried again)."""
    with engine.connect() as conn:
        fresh, applied, stale = split_stale(conn, entity, records, marks)
    answer: dict[str, Any] = {}

    def remember(conn: Connection, report: ImportReport | None) -> None:
        remember_versions(conn, entity, applied)
        answer.update(_answer(report, entity, len(records), delivery, stale))
        if delivery is not None:
            conn.execute(
                insert(WebhookDelivery).values(
                    sender=sender[:100],
                    delivery_id=delivery,
                    entity=entity,
                    response=json.dumps(answer, ensure_ascii=False),
                    received_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
                )
            )

    if not fresh:  # every record is stale: nothing to import
        try:
            with engine.begin() as conn:
                remember(conn, None)
        except DBAPIError:  # a copy of this delivery stored its answer first
            pass
        else:
            return 200, answer, False, False
        with engine.connect() as conn:
            before = stored_answer(conn, sender, delivery) if delivery else None
        return (200, before, True, False) if before else (200, answer, False, False)
    folder = Path(tempfile.mkdtemp(prefix="records-", dir=_records_root()))
    path = folder / f"{entity}-records.jsonl"
    try:
        with path.open("w", encoding="utf-8") as fh:
            for record in fresh:
                fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        report = import_file(
            engine,
            entity,
            path,
            chosen,
            actor=actor,
            history_source="api",
            before_commit=remember,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if report.ok:
        return 200, answer, False, False
    if delivery is not None:  # a copy of this delivery may have won the race
        refused = any(e.reason.startswith("the database refused") for e in report.errors)
        deadline = time.monotonic() + (RACE_WAIT_S if refused else 0)
        while True:
            with engine.connect() as conn:
                before = stored_answer(conn, sender, delivery)
            if before is not None:
                return 200, before, True, False
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)
    raced = any(
        e.reason in (_STALE_RACE,) or e.reason.startswith("the database refused")
        for e in report.errors
    ) and bool(applied)
    body_out = outcome(report, path.name)
    body_out["detail"] = f"{report.errors_total} error(s); nothing was written"
    return 422, body_out, False, raced


def _answer(
    report: ImportReport | None, entity: str, n: int, delivery: str | None, stale: list[Stamp]
) -> dict[str, Any]:
    return {
        "status": "ok",
        "entity": entity,
        "records": n,
        "inserted": report.inserted if report else 0,
        "updated": report.updated if report else 0,
        "unchanged": report.unchanged if report else 0,
        "history": report.history if report else 0,
        "created": report.created if report else {},
        "run_id": report.run_id if report else None,
        "delivery_id": delivery,
        "stale": [m.shown() for m in stale],
    }


def _records_root() -> Path:
    root = upload_root() / "_records"
    root.mkdir(parents=True, exist_ok=True)
    return root
