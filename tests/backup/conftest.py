"""Fixtures of the backup tests: one demo company and its archives, made once per session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from salesops.backup import Manifest, backup_database
from salesops.db.engine import make_engine
from salesops.db.migrate import upgrade
from salesops.demo import generate_demo
from tests.demo.helpers import TINY

PASSPHRASE = "correct horse battery staple"


@dataclass
class Archives:
    """A plain and an encrypted archive of the tiny demo company."""

    plain: Path
    encrypted: Path
    manifest: Manifest


@pytest.fixture(scope="session")
def archives(tmp_path_factory: pytest.TempPathFactory) -> Archives:
    work = tmp_path_factory.mktemp("archives")
    engine = make_engine(f"duckdb:///{work / 'source.duckdb'}")
    upgrade(engine)
    generate_demo(engine, TINY)
    manifest = backup_database(engine, work / "demo.zip")
    backup_database(engine, work / "demo.zip.enc", passphrase=PASSPHRASE)
    engine.dispose()
    return Archives(work / "demo.zip", work / "demo.zip.enc", manifest)
