"""The running board takes a backup itself (an embedded DuckDB file allows one process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from salesops.auth import audit
from salesops.backup.service import verify_archive
from salesops.config import get_settings
from tests.auth_helpers import admin_client, bearer
from tests.conftest import Db
from tests.web.data import seed


def test_an_admin_backs_up_through_the_board_and_a_rep_cannot(
    db: Db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db.engine)
    monkeypatch.setenv("SALESOPS_BACKUP_DIR", str(tmp_path / "kept"))
    get_settings.cache_clear()
    client = admin_client(db.engine)
    rep = bearer(db.engine, "zw", "rep", rep="张伟")
    assert client.get("/api/v1/backups").json() == []
    assert client.post("/api/v1/backups", headers=rep).status_code == 403
    made = client.post("/api/v1/backups")
    assert made.status_code == 201, made.text
    body = made.json()
    assert not body["encrypted"] and body["row_total"] > 0
    archive = tmp_path / "kept" / body["file"]
    manifest = verify_archive(archive)
    assert manifest.row_total == body["row_total"]
    assert [b["file"] for b in client.get("/api/v1/backups").json()] == [body["file"]]
    assert [e.target for e in audit.list_events(db.engine, action="backup")] == [body["file"]]
