"""A restore killed with SIGKILL half-way leaves the target as it was: everything it writes is
one transaction.

The restore is paused after loading its first table by the test hook
``SALESOPS_TEST_RESTORE_PAUSE_FILE`` (it creates that file, then sleeps), so the kill lands
while the old tables are dropped and new rows are written, never before or after.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from salesops.backup import backup_database, restore_database
from salesops.backup.service import PAUSE_ENV
from salesops.db.engine import make_engine
from tests.backup.conftest import Archives
from tests.backup.helpers import checksums
from tests.conftest import Db
from tests.ingest.helpers import seed_customers


def test_restore_killed_half_way_leaves_the_target_as_it_was(
    db: Db, tmp_path: Path, archives: Archives
) -> None:
    seed_customers(db, tmp_path)
    before = checksums(backup_database(db.engine, tmp_path / "before.zip"))
    db.engine.dispose()  # DuckDB: one process at a time may open the file

    paused = tmp_path / "paused"
    env = {**os.environ, "SALESOPS_DATABASE_URL": db.url, PAUSE_ENV: str(paused)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "salesops.cli.main", "restore", "--force", str(archives.plain)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not paused.exists():
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the restore never started writing"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
        if proc.stderr:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    engine = make_engine(db.url)
    try:
        assert checksums(backup_database(engine, tmp_path / "after.zip")) == before
        # and the target is sound: the same restore, not killed, goes through
        restore_database(engine, archives.plain, force=True)
        restored = checksums(backup_database(engine, tmp_path / "restored.zip"))
        assert restored["order_line"] == checksums(archives.manifest)["order_line"]
    finally:
        engine.dispose()
