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
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from salesops.auth.audit import Actor
from salesops.db.schema import ImportSource, WebhookDelivery
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
    folder = Path(tempfile.mkdtemp(prefix="records-", dir=_records_root()))
    path = folder / f"{entity}-records.jsonl"
    try:
        with path.open("w", encoding="utf-8") as fh:
            for record in records:
                fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        answer: dict[str, Any] = {}

        def remember(conn: Connection, report: ImportReport) -> None:
            answer.update(_answer(report, path.name, len(records), delivery))
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
        return 200, answer, False
    if delivery is not None:  # a copy of this delivery may have won the race
        refused = any(e.reason.startswith("the database refused") for e in report.errors)
        deadline = time.monotonic() + (RACE_WAIT_S if refused else 0)
        while True:
            with engine.connect() as conn:
                before = stored_answer(conn, sender, delivery)
            if before is not None:
                return 200, before, True
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)
    body_out = outcome(report, path.name)
    body_out["detail"] = f"{report.errors_total} error(s); nothing was written"
    return 422, body_out, False


def _answer(report: ImportReport, name: str, n: int, delivery: str | None) -> dict[str, Any]:
    return {
        "status": "ok",
        "entity": report.entity,
        "records": n,
        "inserted": report.inserted,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "history": report.history,
        "created": report.created,
        "run_id": report.run_id,
        "delivery_id": delivery,
    }


def _records_root() -> Path:
    root = upload_root() / "_records"
    root.mkdir(parents=True, exist_ok=True)
    return root
