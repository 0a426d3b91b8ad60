"""Company scale on PostgreSQL: a streaming read replica with read-your-own-writes, and several
server processes whose caches see a write made by another process at once.

The replica is a second local PostgreSQL cluster on 127.0.0.1:5433, streaming from the
server at 5432 (``scripts/pg-replica.sh`` makes it; the fixture runs it when the replica does
not answer). Like the PostgreSQL leg itself, a run that cannot reach it fails, never skips.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text
from typer.testing import CliRunner

from salesops.app import create_app
from salesops.cli.main import app as cli
from salesops.config import get_settings
from salesops.db.engine import make_engine
from salesops.db.migrate import current_revision, head_revision, upgrade
from salesops.db.replica import (
    READ_AFTER_COOKIE,
    READ_AFTER_HEADER,
    ReplicaConfigError,
    make_read_engine,
    primary_lsn,
    replica_has,
)
from tests.auth_helpers import bearer
from tests.conftest import DATABASES, Db, _truncate_all
from tests.web.data import seed

ROOT = Path(__file__).resolve().parents[2]
REPLICA_PORT = int(os.environ.get("SALESOPS_REPLICA_PORT", "5433"))
TARGET = {"metric": "revenue", "period": "2027", "scope": "company", "value": "5000000"}


def _replica_url(primary_url: str) -> str:
    return primary_url.replace("@127.0.0.1:5432/", f"@127.0.0.1:{REPLICA_PORT}/")


def _answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def pg(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Db]:
    """The PostgreSQL test database alone (replicas and server processes are PostgreSQL's)."""
    if "postgresql" not in DATABASES:
        pytest.skip("the PostgreSQL leg is not selected (SALESOPS_TEST_DATABASES)")
    url = request.getfixturevalue("_pg_schema_url")
    engine = make_engine(url)
    if current_revision(engine) != head_revision():
        upgrade(engine)
    _truncate_all(engine)
    monkeypatch.setenv("SALESOPS_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        yield Db(kind="postgresql", url=url, engine=engine)
    finally:
        engine.dispose()
        get_settings.cache_clear()


@pytest.fixture
def replica(pg: Db) -> Iterator[Engine]:
    if not _answers(REPLICA_PORT):
        subprocess.run(["bash", str(ROOT / "scripts" / "pg-replica.sh")], check=True)
    engine = make_engine(_replica_url(pg.url))
    try:
        yield engine
    finally:
        with engine.connect() as conn:  # never leave the replica paused for other tests
            conn.execute(text("SELECT pg_wal_replay_resume()"))
        engine.dispose()


def _caught_up(primary: Engine, replica: Engine, timeout: float = 30.0) -> None:
    lsn = primary_lsn(primary)
    deadline = time.monotonic() + timeout
    while not replica_has(replica, lsn):
        assert time.monotonic() < deadline, "the replica did not catch up in 30 s"
        time.sleep(0.05)


class Statements:
    """Counts the statements an engine runs that read a given table."""

    def __init__(self, engine: Engine, table: str) -> None:
        self.count = 0
        self.table = table
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if self.table in statement:
            self.count += 1


def test_reads_go_to_the_replica_and_writes_to_the_primary(pg: Db, replica: Engine) -> None:
    seed(pg.engine)
    headers = bearer(pg.engine)
    _caught_up(pg.engine, replica)
    on_primary = Statements(pg.engine, "order_line")
    on_replica = Statements(replica, "order_line")
    client = TestClient(create_app(pg.engine, replica), headers=headers)

    answer = client.get("/api/v1/metrics/revenue")
    assert answer.status_code == 200, answer.text
    assert (on_replica.count, on_primary.count) == (1, 0)
    page = client.get("/api/v1/panels/overview")
    assert page.status_code == 200, page.text
    assert on_primary.count == 0 and on_replica.count > 1

    written = Statements(pg.engine, "INSERT INTO target")
    answer = client.post("/api/v1/targets", json=TARGET)
    assert answer.status_code == 201, answer.text
    assert written.count == 1
    # The write is stamped with the primary's WAL position, for the caller's next reads.
    assert answer.headers[READ_AFTER_HEADER]
    assert READ_AFTER_COOKIE in answer.headers["set-cookie"]


def test_a_caller_reads_their_own_write_while_the_replica_lags(pg: Db, replica: Engine) -> None:
    seed(pg.engine)
    headers = bearer(pg.engine)
    _caught_up(pg.engine, replica)
    before = TestClient(create_app(pg.engine, replica), headers=headers).get("/api/v1/counts")
    assert before.status_code == 200, before.text
    with replica.connect() as conn:  # the replica stops replaying: it lags from now on
        conn.execute(text("SELECT pg_wal_replay_pause()"))

    writer = TestClient(create_app(pg.engine, replica), headers=headers)
    answer = writer.post("/api/v1/targets", json=TARGET)
    assert answer.status_code == 201, answer.text
    position = answer.headers[READ_AFTER_HEADER]

    # The writer (its cookie came back with the answer) sees the new target at once ...
    mine = writer.get("/api/v1/counts").json()
    assert mine["counts"]["target"] == before.json()["counts"]["target"] + 1
    assert mine["data_version"] > before.json()["data_version"]
    # ... and so does an API client that sends the position back as a header ...
    client = TestClient(create_app(pg.engine, replica), headers=headers)
    theirs = client.get("/api/v1/counts", headers={READ_AFTER_HEADER: position}).json()
    assert theirs == mine
    # ... while a reader who wrote nothing is served by the lagging replica.
    stale = client.get("/api/v1/counts").json()
    assert stale == before.json()
    # A position that is not one sends the read to the primary (slower, never wrong).
    odd = client.get("/api/v1/counts", headers={READ_AFTER_HEADER: "x' OR 1=1 --"})
    assert odd.status_code == 200 and odd.json() == mine

    with replica.connect() as conn:
        conn.execute(text("SELECT pg_wal_replay_resume()"))
    _caught_up(pg.engine, replica)
    assert client.get("/api/v1/counts").json() == mine


def test_duckdb_has_no_replica_and_one_server_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"duckdb:///{tmp_path / 'one.duckdb'}"
    monkeypatch.setenv("SALESOPS_DATABASE_URL", url)
    get_settings.cache_clear()
    engine = make_engine(url)
    with pytest.raises(ReplicaConfigError, match="DuckDB"):
        make_read_engine(engine, "postgresql://postgres@127.0.0.1:5433/test")
    engine.dispose()
    runner = CliRunner()
    result = runner.invoke(cli, ["serve", "--workers", "2", "--port", "1"])
    get_settings.cache_clear()
    assert result.exit_code == 2
    assert "--workers needs PostgreSQL" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _revenue(base: str, headers: dict[str, str]) -> float:
    answer = httpx.get(f"{base}/api/v1/metrics/revenue", headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return float(answer.json()["rows"][0]["value"])


def test_server_processes_see_an_import_made_by_another_process(pg: Db, tmp_path: Path) -> None:
    seed(pg.engine)
    headers = bearer(pg.engine)
    port = _free_port()
    env = {**os.environ, "SALESOPS_DATABASE_URL": pg.url, "SALESOPS_BOARD_WARMUP": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "salesops.cli.main", "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start in 120 s"
            time.sleep(0.2)
        # New connections land on either process: ask often enough that both cache the total.
        before = {_revenue(base, headers) for _ in range(12)}
        assert len(before) == 1
        lines = tmp_path / "lines.csv"
        lines.write_text(
            "order_no,line_no,order_date,customer,product,amount\nX-1,1,2026-03-02,C1,P1,1234.50\n",
            encoding="utf-8",
        )
        imported = subprocess.run(
            [sys.executable, "-m", "salesops.cli.main", "import", "order_line", str(lines)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert imported.returncode == 0, imported.stdout + imported.stderr
        after = {_revenue(base, headers) for _ in range(12)}
        assert after == {before.pop() + 1234.5}
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if server.stderr is not None:
            server.stderr.close()
