"""The import API behind the data page (issue 18): uploads streamed with a size limit, bad files
answered with their reason (never a 500), uploads private to their owner, dry runs and imports
through the same importer as the CLI with every error listed, the history, permissions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from salesops.config import get_settings
from salesops.ingest import import_file
from tests.auth_helpers import admin_client, bearer
from tests.conftest import Db
from tests.ingest.helpers import DATA_TABLES, rows, write_csv

DOCS = Path(__file__).resolve().parents[2] / "docs"
OCTETS = {"content-type": "application/octet-stream"}


@pytest.fixture
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "uploads"
    monkeypatch.setenv("SALESOPS_UPLOAD_DIR", str(folder))
    monkeypatch.setenv("SALESOPS_UPLOAD_MAX_MB", "1")
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def _upload(client: TestClient, name: str, content: bytes) -> Any:
    return client.post(f"/api/v1/imports/uploads?name={name}", content=content, headers=OCTETS)


def _wait(client: TestClient, job: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while not job["finished"]:
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
        job = client.get(f"/api/v1/imports/jobs/{job['id']}").json()
    assert job["progress"] == 1.0 and job["phase"] == "done"
    result: dict[str, Any] = job["result"]
    return result


def _snapshot(db: Db) -> dict[str, int]:
    return {t: rows(db, f"SELECT count(*) FROM {t}")[0][0] for t in DATA_TABLES}  # noqa: S608


def test_bad_uploads_are_clear_errors_and_leave_no_file(db: Db, uploads: Path) -> None:
    client = admin_client(db.engine)
    big = _upload(client, "big.csv", b"a,b\n" + b"1,2\n" * 300_000)  # 1.2 MB > 1 MB
    assert big.status_code == 413
    assert big.json()["detail"] == "big.csv: the file is larger than 1 MB (SALESOPS_UPLOAD_MAX_MB)"
    exe = _upload(client, "tool.exe", b"MZ")
    assert (
        exe.status_code == 400 and "files of type .exe cannot be imported" in exe.json()["detail"]
    )
    empty = _upload(client, "empty.csv", b"")
    assert empty.status_code == 400 and empty.json()["detail"] == "empty.csv: the file is empty"
    broken = _upload(client, "book.xls", b"\xd0\xcf\x11\xe0 garbage")
    assert broken.status_code == 400
    assert broken.json()["detail"].startswith("book.xls: ")
    path_name = _upload(client, "../../etc/passwd.csv", b"x,y\n1,2\n")
    assert path_name.status_code == 201 and path_name.json()["name"] == "passwd.csv"
    kept = [p.name for p in uploads.glob("*/*") if p.name != "upload.json"]
    assert kept == ["passwd.csv"]  # refused files are gone, the good one waits inside the folder
    assert rows(db, "SELECT count(*) FROM audit_event WHERE action = 'import.upload'") == [(1,)]


def test_preview_offers_the_date_formats_the_values_fit(db: Db, uploads: Path) -> None:
    client = admin_client(db.engine)
    content = (DOCS / "samples" / "flat-sales-sheet.csv").read_bytes()
    shown = _upload(client, "销售明细.csv", content)
    assert shown.status_code == 201, shown.text
    data = shown.json()
    assert (data["name"], data["n_rows"], data["encoding"]) == ("销售明细.csv", 30, "utf-8-sig")
    assert data["headers"][:3] == ["订单号", "行号", "下单日期"]
    assert data["rows"][0][:3] == ["SO1001", "1", "03/01/2026"]
    assert data["row_numbers"][:2] == [2, 3]
    formats = [d["format"] for d in data["date_formats"]["下单日期"]]
    assert formats[0] == "%d/%m/%Y" and "%m/%d/%Y" not in formats
    assert data["date_formats"]["下单日期"][0]["reads"] == "2026-01-03"
    assert "金额" not in data["date_formats"]  # numbers are not dates
    again = client.get(f"/api/v1/imports/uploads/{data['upload_id']}")
    assert again.json()["headers"] == data["headers"]


def test_dry_run_then_import_list_every_error_as_the_cli(
    db: Db, uploads: Path, tmp_path: Path
) -> None:
    client = admin_client(db.engine)
    lines = [["external_id", "name", "list_price"]]
    lines += [[f"P{i}", f"Item {i}", "abc" if i % 3 == 0 else "10.1234"] for i in range(1, 61)]
    path = write_csv(tmp_path / "products.csv", lines)
    upload = _upload(client, "products.csv", path.read_bytes()).json()
    suggestions = client.get(
        f"/api/v1/imports/uploads/{upload['upload_id']}/suggestions?entity=product"
    ).json()
    doc = suggestions["same_name"]
    assert doc["columns"] == {
        "external_id": "external_id",
        "name": "name",
        "list_price": "list_price",
    }
    start = client.post(
        f"/api/v1/imports/uploads/{upload['upload_id']}/runs",
        json={"mapping": doc, "dry_run": True},
    )
    assert start.status_code == 202
    result = _wait(client, start.json())
    cli = import_file(db.engine, "product", path, dry_run=True)
    assert result["status"] == "failed" and result["errors_total"] == cli.errors_total == 20
    assert [(e["row"], e["column"], e["value"], e["reason"]) for e in result["errors"]] == [
        (e.row, e.column, e.value, e.reason) for e in cli.errors
    ]
    fixed = [r if r[2] != "abc" else [r[0], r[1], "1.5"] for r in lines]
    path = write_csv(tmp_path / "products.csv", fixed)
    upload = _upload(client, "products.csv", path.read_bytes()).json()
    dry = _wait(
        client,
        client.post(
            f"/api/v1/imports/uploads/{upload['upload_id']}/runs",
            json={"mapping": doc, "dry_run": True},
        ).json(),
    )
    assert dry["status"] == "dry-run" and dry["sections"][0]["inserted"] == 60
    assert _snapshot(db)["product"] == 0
    done = _wait(
        client,
        client.post(
            f"/api/v1/imports/uploads/{upload['upload_id']}/runs", json={"mapping": doc}
        ).json(),
    )
    assert done["status"] == "ok" and done["sections"][0]["inserted"] == 60
    assert rows(db, "SELECT list_price FROM product WHERE external_id = 'P1'") == [
        (Decimal("10.1234"),)
    ]
    # an imported upload is gone; the history lists every run with who and the first errors
    gone = client.get(f"/api/v1/imports/uploads/{upload['upload_id']}")
    assert gone.status_code == 404
    history = client.get("/api/v1/imports/runs").json()
    assert [(h["status"], h["file"], h["inserted"]) for h in history] == [
        ("ok", "products.csv", 60),
        ("dry-run", "products.csv", 60),
        ("failed", "products.csv", 0),  # the CLI's dry run above
        ("failed", "products.csv", 0),
    ]
    assert history[0]["actor"] == "token:test@test-admin"
    assert len(history[3]["error_sample"]) == 20
    assert history[3]["error_sample"][0] == {
        "row": 4,
        "column": "list_price",
        "value": "abc",
        "reason": cli.errors[0].reason,
    }


def test_bad_mappings_and_other_users(db: Db, uploads: Path) -> None:
    client = admin_client(db.engine)
    upload = _upload(client, "c.csv", b"ID,Name\nC1,A\n").json()
    runs = f"/api/v1/imports/uploads/{upload['upload_id']}/runs"
    wrong = client.post(runs, json={"mapping": {"entity": "customer", "columns": {"x": "ID"}}})
    assert wrong.status_code == 400 and "customer has no field 'x'" in wrong.json()["detail"]
    unknown = client.get(f"/api/v1/imports/uploads/{upload['upload_id']}/suggestions?entity=planet")
    assert unknown.status_code == 400
    # another importer cannot see or use this upload; a viewer may not import at all
    other = TestClient(client.app)
    other.headers.update(bearer(db.engine, "ops2", "ops"))
    assert other.get(f"/api/v1/imports/uploads/{upload['upload_id']}").status_code == 404
    assert other.post(runs, json={"mapping": {}}).status_code == 404
    viewer = TestClient(client.app)
    viewer.headers.update(bearer(db.engine, "v", "viewer"))
    assert _upload(viewer, "c.csv", b"ID\n1\n").status_code == 403
    assert viewer.get("/api/v1/imports/runs").status_code == 403
    assert viewer.post("/api/v1/mappings", json={"name": "x", "mapping": {}}).status_code == 403
    saved = client.post(
        "/api/v1/mappings",
        json={"name": "cust", "mapping": {"entity": "customer", "columns": {"external_id": "ID"}}},
    )
    assert saved.status_code == 201 and saved.json()["headers"] == ["ID"]
    bad = client.post("/api/v1/mappings", json={"name": "b", "mapping": {"entity": "planet"}})
    assert bad.status_code == 400
    assert client.get("/api/v1/mappings/cust").json()["entity"] == "customer"
    assert client.get("/api/v1/mappings/none").status_code == 404
    found = client.get(
        f"/api/v1/imports/uploads/{upload['upload_id']}/suggestions?entity=customer"
    ).json()
    assert [m["name"] for m in found["mappings"]] == ["cust"]


def test_a_workbook_previews_each_sheet_and_imports_the_one_chosen(
    db: Db, uploads: Path, tmp_path: Path
) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "说明"
    first.append(["这个工作表只有说明"])
    sheet = book.create_sheet("客户")
    sheet.append(["编号", "名称"])
    sheet.append(["K1", "华东客户"])
    sheet.append(["K2", "华南客户"])
    path = tmp_path / "客户.xlsx"
    book.save(path)
    client = admin_client(db.engine)
    shown = _upload(client, "客户.xlsx", path.read_bytes()).json()
    assert (shown["format"], shown["sheets"], shown["headers"]) == (
        "xlsx",
        ["说明", "客户"],
        ["这个工作表只有说明"],
    )
    chosen = client.get(f"/api/v1/imports/uploads/{shown['upload_id']}?sheet=客户").json()
    assert (chosen["headers"], chosen["n_rows"], chosen["sheet"]) == (["编号", "名称"], 2, "客户")
    missing = client.get(f"/api/v1/imports/uploads/{shown['upload_id']}?sheet=nope")
    assert missing.status_code == 400 and "nope" in missing.json()["detail"]
    doc = {"entity": "customer", "columns": {"external_id": "编号", "name": "名称"}}
    job = client.post(
        f"/api/v1/imports/uploads/{shown['upload_id']}/runs", json={"mapping": doc, "sheet": "客户"}
    )
    result = _wait(client, job.json())
    assert result["status"] == "ok", result["errors"]
    assert rows(db, "SELECT external_id, name FROM customer ORDER BY 1") == [
        ("K1", "华东客户"),
        ("K2", "华南客户"),
    ]


def test_another_server_process_answers_the_progress_polls(db: Db, uploads: Path) -> None:
    """With ``serve --workers N`` the page's polls reach any process: a job's state is kept
    beside the uploads, and only its owner may read it there too."""
    from salesops.ingest import uploads as jobs

    client = admin_client(db.engine)
    upload = _upload(client, "c.csv", b"external_id,name\nC1,A\n").json()
    runs = f"/api/v1/imports/uploads/{upload['upload_id']}/runs"
    mapping = {"entity": "customer", "columns": {"external_id": "external_id", "name": "name"}}
    job = client.post(runs, json={"mapping": mapping, "dry_run": True}).json()
    here = _wait(client, job)
    with jobs._JOBS_LOCK:  # as if the poll reached a process that did not run the job
        jobs._JOBS.clear()
    there = client.get(f"/api/v1/imports/jobs/{job['id']}")
    assert there.status_code == 200
    assert there.json()["result"] == here and there.json()["finished"] is True
    other = TestClient(client.app)
    other.headers.update(bearer(db.engine, "ops3", "ops"))
    assert other.get(f"/api/v1/imports/jobs/{job['id']}").status_code == 404
    assert client.get("/api/v1/imports/jobs/..%2F..%2Fetc").status_code == 404
    assert not list((uploads / "_jobs").glob("*.part"))
