"""The push API (issue 21): a file pushed to /api/v1/import/{entity} or /import/sheet goes
through the importer — a good file imports, a bad one writes nothing and answers 422 with every
error, the same push twice never duplicates, a dry run writes nothing, reps get 403, every push
is audited — and webhook records are applied once per delivery id, landing in the history."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from salesops.app import create_app
from salesops.config import get_settings
from salesops.ingest.registry import save_mapping
from tests.auth_helpers import TEST_ACTOR, admin_client, bearer
from tests.conftest import Db
from tests.ingest.helpers import DATA_TABLES, rows

PRODUCTS = b"external_id,name,list_price\nP1,Widget,10.50\nP2,Gadget,20\n"


@pytest.fixture(autouse=True)
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "uploads"
    monkeypatch.setenv("SALESOPS_UPLOAD_DIR", str(folder))
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def _snapshot(db: Db) -> dict[str, int]:
    return {t: rows(db, f"SELECT count(*) FROM {t}")[0][0] for t in DATA_TABLES}  # noqa: S608


def test_push_good_bad_twice_dry_and_audited(db: Db, uploads: Path) -> None:
    client = admin_client(db.engine)
    csv_type = {"content-type": "text/csv"}
    dry = client.post("/api/v1/import/product?dry_run=true", content=PRODUCTS, headers=csv_type)
    assert dry.status_code == 200, dry.text
    assert dry.json()["status"] == "dry-run"
    assert rows(db, "SELECT count(*) FROM product") == [(0,)]
    first = client.post("/api/v1/import/product", content=PRODUCTS, headers=csv_type)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["status"], body["entity"], body["file"]) == ("ok", "product", "push.csv")
    assert body["sections"][0]["inserted"] == 2 and body["run_id"]
    again = client.post("/api/v1/import/product", content=PRODUCTS, headers=csv_type)
    assert again.json()["sections"][0]["unchanged"] == 2
    assert rows(db, "SELECT external_id, list_price FROM product ORDER BY 1") == [
        ("P1", pytest.approx(10.5)),
        ("P2", pytest.approx(20)),
    ]
    before = _snapshot(db)
    bad = b"external_id,name,list_price\nP3,Thing,abc\nP4,,5\n"
    refused = client.post("/api/v1/import/product?name=feed.csv", content=bad, headers=csv_type)
    assert refused.status_code == 422
    answer = refused.json()
    assert answer["status"] == "failed" and answer["errors_total"] == 2
    assert answer["detail"] == "2 error(s); nothing was imported"
    found = {(e["file"], e["row"], e["column"], e["value"]) for e in answer["errors"]}
    assert ("feed.csv", 2, "list_price", "abc") in found
    assert _snapshot(db) == before  # nothing written
    actions = rows(
        db,
        "SELECT outcome, target FROM audit_event WHERE action = 'import.push' ORDER BY id",
    )
    assert actions == [
        ("ok", "product:push.csv"),
        ("ok", "product:push.csv"),
        ("ok", "product:push.csv"),
        ("failed", "product:feed.csv"),
    ]
    assert list(uploads.glob("*/*.csv")) == []  # the pushed files are removed again


def test_push_json_lines_xlsx_mappings_and_sheet(db: Db) -> None:
    client = admin_client(db.engine)
    lines = b'{"Code": "C1", "Name": "Acme"}\n{"Code": "C2", "Name": "Beta"}\n'
    inline = json.dumps({"columns": {"external_id": "Code", "name": "Name"}})
    pushed = client.post(
        "/api/v1/import/customer",
        params={"mapping_inline": inline},
        content=lines,
        headers={"content-type": "application/x-ndjson"},
    )
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["file"] == "push.jsonl"
    save_mapping(
        db.engine,
        "erp-products",
        {"entity": "product", "columns": {"external_id": "SKU", "name": "Title"}},
        actor=TEST_ACTOR,
    )
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["SKU", "Title"])
    sheet.append(["X1", "Excel item"])
    data = io.BytesIO()
    book.save(data)
    xlsx = client.post(
        "/api/v1/import/product?mapping=erp-products&format=xlsx", content=data.getvalue()
    )
    assert xlsx.status_code == 200, xlsx.text
    assert rows(db, "SELECT name FROM product") == [("Excel item",)]
    sheet_doc = {
        "entities": {
            "customer": {"columns": {"external_id": "Customer", "name": "Customer"}},
            "product": {"columns": {"external_id": "Product", "name": "Product"}},
        }
    }
    flat = b"Customer,Product\nC9,P9\n"
    several = client.post(
        "/api/v1/import/sheet",
        params={"mapping_inline": json.dumps(sheet_doc)},
        content=flat,
        headers={"content-type": "text/csv"},
    )
    assert several.status_code == 200, several.text
    assert rows(db, "SELECT count(*) FROM customer") == [(3,)]
    unknown = client.post("/api/v1/import/product?mapping=nope", content=PRODUCTS)
    assert unknown.status_code == 400 and "no saved mapping named 'nope'" in unknown.text
    no_sheet = client.post("/api/v1/import/sheet", content=flat)
    assert no_sheet.status_code == 400
    bad_entity = client.post("/api/v1/import/dragon", content=PRODUCTS)
    assert bad_entity.status_code == 400


def test_reps_and_viewers_get_403(db: Db) -> None:
    reps = b"external_id,name\nR1,Rita\n"
    assert admin_client(db.engine).post("/api/v1/import/rep", content=reps).status_code == 200
    client = TestClient(create_app(db.engine))
    for headers in (bearer(db.engine, "rita", "rep", rep="R1"), bearer(db.engine, "vic", "viewer")):
        lines = client.post("/api/v1/import/order_line", content=PRODUCTS, headers=headers)
        assert lines.status_code == 403
        hook = client.post("/api/v1/records/opportunity", json={}, headers=headers)
        assert hook.status_code == 403
    assert client.post("/api/v1/import/product", content=PRODUCTS).status_code == 401


def _customers(db: Db) -> None:
    client = admin_client(db.engine)
    lines = b"external_id,name\nC1,Acme\n"
    assert client.post("/api/v1/import/customer", content=lines).status_code == 200


def test_webhook_record_applied_once_and_in_the_history(db: Db) -> None:
    _customers(db)
    client = admin_client(db.engine)
    deal = {"external_id": "D1", "customer": "C1", "stage": "Qualify", "amount": 1000}
    first = client.post("/api/v1/records/opportunity", json=deal, headers={"X-Delivery-Id": "e1"})
    assert first.status_code == 200, first.text
    assert first.json()["inserted"] == 1
    moved = {**deal, "stage": "Proposal"}
    second = client.post(
        "/api/v1/records/opportunity", json=[moved], headers={"Idempotency-Key": "e2"}
    )
    assert second.status_code == 200 and second.json()["updated"] == 1
    replay = client.post(
        "/api/v1/records/opportunity", json=[moved], headers={"Idempotency-Key": "e2"}
    )
    assert replay.status_code == 200 and replay.json() == second.json()
    assert replay.headers["idempotent-replayed"] == "true"
    # even a different body under the same delivery id changes nothing
    stale = client.post(
        "/api/v1/records/opportunity",
        json={**deal, "stage": "Lost"},
        headers={"X-Delivery-Id": "e1"},
    )
    assert stale.json() == first.json()
    history = rows(
        db,
        "SELECT field, old_value, new_value, source FROM opportunity_change "
        "WHERE field = 'stage' ORDER BY id",
    )
    assert history == [("stage", None, "Qualify", "api"), ("stage", "Qualify", "Proposal", "api")]
    assert rows(db, "SELECT count(*) FROM webhook_delivery") == [(2,)]
    bad = client.post(
        "/api/v1/records/opportunity",
        json={"records": [{"external_id": "D2", "customer": "C404"}]},
        headers={"X-Delivery-Id": "e3"},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["value"] == "C404"
    assert rows(db, "SELECT count(*) FROM webhook_delivery") == [(2,)]  # a retry tries again
    assert client.post("/api/v1/records/opportunity", content=b"{oops").status_code == 400
    assert client.post("/api/v1/records/opportunity", json=[]).status_code == 400


def test_webhook_source_checks_the_signature(db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    from salesops.integrate.sources import add_source

    _customers(db)
    monkeypatch.setenv("CRM_HOOK_SECRET", "s3cret-key")
    add_source(
        db.engine,
        "crm-hook",
        kind="webhook",
        entity="opportunity",
        secret="env:CRM_HOOK_SECRET",
        actor=TEST_ACTOR,
    )
    client = admin_client(db.engine)
    body = json.dumps({"external_id": "D7", "customer": "C1", "stage": "Won"}).encode()
    url = "/api/v1/records/opportunity?source=crm-hook"
    unsigned = client.post(url, content=body, headers={"content-type": "application/json"})
    assert unsigned.status_code == 401
    sig = "sha256=" + hmac.new(b"s3cret-key", body, hashlib.sha256).hexdigest()
    signed = client.post(
        url,
        content=body,
        headers={"content-type": "application/json", "X-Signature-256": sig, "X-Delivery-Id": "9"},
    )
    assert signed.status_code == 200, signed.text
    assert rows(db, "SELECT sender FROM webhook_delivery") == [("source:crm-hook",)]


def test_two_copies_of_a_delivery_at_once_apply_once(db: Db) -> None:
    import threading

    from salesops.auth.audit import Actor
    from salesops.integrate.webhook import receive_records

    _customers(db)
    body = json.dumps({"external_id": "D9", "customer": "C1", "stage": "Qualify"}).encode()
    barrier = threading.Barrier(2)
    answers: list[tuple[int, dict[str, object], bool]] = []

    def deliver() -> None:
        barrier.wait()
        answers.append(
            receive_records(
                db.engine,
                "opportunity",
                body,
                headers={"X-Delivery-Id": "same"},
                source=None,
                mapping=None,
                actor=Actor("crm"),
            )
        )

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a[0] for a in answers) == [200, 200], answers
    assert answers[0][1] == answers[1][1]
    assert rows(db, "SELECT count(*) FROM opportunity") == [(1,)]
    assert rows(db, "SELECT count(*) FROM webhook_delivery") == [(1,)]
    assert rows(db, "SELECT count(*) FROM opportunity_change WHERE field = 'stage'") == [(1,)]


def test_webhook_record_older_than_the_stored_one_is_skipped(db: Db) -> None:
    _customers(db)
    client = admin_client(db.engine)
    url = "/api/v1/records/opportunity"
    deal = {"external_id": "D1", "customer": "C1", "amount": 1000}
    newer = client.post(url, json={**deal, "stage": "Proposal", "version": 2})
    assert newer.status_code == 200 and newer.json()["inserted"] == 1
    assert newer.json()["stale"] == []
    late = client.post(url, json={**deal, "stage": "Qualify", "amount": 5, "version": 1})
    assert late.status_code == 200, late.text
    body = late.json()
    assert (body["inserted"], body["updated"], body["records"]) == (0, 0, 1)
    assert body["stale"] == [{"external_id": "D1", "version": 1}]
    assert rows(db, "SELECT stage, amount FROM opportunity") == [("Proposal", pytest.approx(1000))]
    stage_history = "SELECT new_value FROM opportunity_change WHERE field = 'stage' ORDER BY id"
    assert rows(db, stage_history) == [("Proposal",)]  # the late record left no history
    # one delivery with two versions of a record (and one without a version): the newest wins
    both = client.post(
        url,
        json=[
            {**deal, "stage": "Won", "version": 4},
            {**deal, "stage": "Lost", "version": 3},
            {"external_id": "D2", "customer": "C1", "stage": "Qualify", "amount": 7},
        ],
        headers={"X-Delivery-Id": "d-both"},
    )
    assert both.status_code == 200, both.text
    assert (both.json()["updated"], both.json()["inserted"]) == (1, 1)
    assert both.json()["stale"] == [{"external_id": "D1", "version": 3}]
    assert sorted(rows(db, stage_history)) == [("Proposal",), ("Qualify",), ("Won",)]  # no Lost
    assert rows(db, "SELECT external_id, version FROM record_version ORDER BY 1") == [("D1", 4)]
    # timestamps: an offset is converted to UTC before comparing
    d3 = {"external_id": "D3", "customer": "C1", "stage": "Qualify", "amount": 1}
    at = "2026-12-07T10:00:00+08:00"  # 02:00 UTC
    assert client.post(url, json={**d3, "updated_at": at}).json()["inserted"] == 1
    older = client.post(url, json={**d3, "stage": "Lost", "updated_at": "2026-12-07T01:59:00Z"})
    assert older.json()["stale"] == [{"external_id": "D3", "updated_at": "2026-12-07T01:59:00"}]
    later = client.post(url, json={**d3, "stage": "Proposal", "updated_at": "2026-12-07 02:01"})
    assert later.json()["updated"] == 1 and later.json()["stale"] == []
    bad = client.post(url, json={**d3, "version": "v7"})
    assert bad.status_code == 400 and "version must be a whole number" in bad.text
