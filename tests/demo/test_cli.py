"""``salesops demo-data`` and ``salesops demo`` through the real command line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from rich.console import Console
from sqlalchemy import text
from typer.testing import CliRunner

from salesops.cli.demo_cmds import ensure_demo_data
from salesops.cli.main import app
from salesops.demo import DATA_TABLES, generate_demo
from tests.conftest import Db
from tests.demo.helpers import TINY, count

runner = CliRunner(env={"COLUMNS": "200"})

#: rows of `salesops demo-data --scale small --seed 42 --today 2026-11-22`
SMALL = {
    "region": 7,
    "org_unit": 16,
    "rep": 40,
    "product": 19,
    "pipeline_stage": 7,
    "customer": 1_500,
    "opportunity": 20_000,
    "opportunity_change": 124_267,
    "lead": 2_364,
    "order_header": 68_646,
    "order_line": 199_783,
    "payment": 77_899,
    "activity": 80_115,
    "feedback": 3_920,
    "marketing_spend": 1_470,
    "market_size": 105,
    "target": 2_330,
    "announcement": 10,
}


@pytest.mark.slow
def test_demo_data_small_replaces_what_was_there(db: Db) -> None:
    generate_demo(db.engine, TINY)
    args = ["demo-data", "--scale", "small", "--seed", "42", "--today", "2026-11-22", "--replace"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Replaced the previous data of: region, org_unit" in result.output
    assert "Demo company written (seed 42, 2024-01-01 … 2026-11-22)" in result.output
    assert {t: count(db.engine, t) for t in DATA_TABLES} == SMALL


def test_demo_data_refuses_a_database_with_data(db: Db) -> None:
    generate_demo(db.engine, TINY)
    before = {t: count(db.engine, t) for t in DATA_TABLES}
    result = runner.invoke(app, ["demo-data", "--scale", "small"])
    assert result.exit_code == 1
    assert "Nothing was written: the database already holds data (region" in result.output
    assert "use --replace" in result.output
    assert {t: count(db.engine, t) for t in DATA_TABLES} == before


def test_demo_data_bad_arguments(db: Db) -> None:
    result = runner.invoke(app, ["demo-data", "--scale", "huge"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["demo-data", "--today", "22.11.2026"])
    assert result.exit_code == 2
    assert "is not a date like 2026-11-22" in result.output
    assert count(db.engine, "order_line") == 0


def test_ensure_demo_data_writes_once_then_reuses(db: Db) -> None:
    console = Console(record=True, width=200)
    assert ensure_demo_data(db.engine, TINY, console) is True
    lines = count(db.engine, "order_line")
    assert lines > 0
    assert ensure_demo_data(db.engine, TINY, console) is False
    assert f"Reusing the data already in the database ({lines:,} order lines)" in (
        console.export_text()
    )
    assert count(db.engine, "order_line") == lines


def test_demo_stops_when_the_database_has_other_data_but_no_orders(db: Db) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO product (external_id, name) VALUES ('P1', '网关')"))
    result = runner.invoke(app, ["demo", "--port", "1"])
    assert result.exit_code == 1
    assert "`salesops demo-data --replace` replaces it with the demo company" in result.output
    assert count(db.engine, "product") == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_serves_the_board_on_existing_data(db: Db) -> None:
    generate_demo(db.engine, TINY)
    db.engine.dispose()  # one process may write an embedded DuckDB file: the server's
    port = _free_port()
    cmd = [sys.executable, "-m", "salesops.cli.main", "demo", "--port", str(port)]
    proc = subprocess.Popen(
        cmd, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        body = _wait_for(f"http://127.0.0.1:{port}/api/v1/health", proc)
        assert "ok" in body
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert "Reusing the data already in the database" in output
    assert f"SalesOps Board on http://127.0.0.1:{port}" in output


def _wait_for(url: str, proc: subprocess.Popen[str], seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"salesops demo exited early: {proc.stdout.read() if proc.stdout else ''}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {seconds} s")
