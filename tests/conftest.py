"""Test fixtures: every database test runs on the embedded DuckDB file *and* on PostgreSQL.

``SALESOPS_TEST_DATABASES`` (default ``duckdb,postgresql``) picks the legs. PostgreSQL is the
server at 127.0.0.1:5432 (``SALESOPS_TEST_PG_URL``); a run that cannot reach it fails, it
never skips. Each test session gets its own PostgreSQL schema, so parallel runs do not meet,
and every test starts from empty tables (DuckDB: a copy of a migrated template file;
PostgreSQL: TRUNCATE).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from salesops.config import get_settings
from salesops.db.engine import make_engine
from salesops.db.migrate import current_revision, head_revision, upgrade
from salesops.db.schema import metadata

PG_URL = os.environ.get("SALESOPS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DATABASES = [
    d.strip() for d in os.environ.get("SALESOPS_TEST_DATABASES", "duckdb,postgresql").split(",")
]


@dataclass
class Db:
    """A migrated, empty test database."""

    kind: str  # duckdb | postgresql
    url: str
    engine: Engine


@pytest.fixture(scope="session")
def _duckdb_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.duckdb"
    engine = make_engine(f"duckdb:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_schema_url() -> Iterator[str]:
    schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _truncate_all(engine: Engine) -> None:
    """Empty every table and restart every sequence used since the last test.

    Only the tables that hold rows are emptied, by DELETE with triggers (foreign keys, the
    audit log's append-only guard) off for this transaction: a TRUNCATE costs PostgreSQL new
    files for every table it names and every table referencing them, about a second for the
    whole schema on a busy machine, while one EXISTS per table finds the few a test wrote to
    in milliseconds."""
    names = [t.name for t in metadata.sorted_tables]
    probe = " UNION ALL ".join(
        f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})"  # noqa: S608 - our own table names
        for name in names
    )
    with engine.begin() as conn:
        filled = conn.execute(text(probe)).scalars().all()
        if filled:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for name in filled:
                conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 - from the schema
        for seq in conn.execute(
            text(
                "SELECT sequencename FROM pg_sequences"
                " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
            )
        ).scalars():
            conn.execute(text(f'ALTER SEQUENCE "{seq}" RESTART'))


@pytest.fixture(params=DATABASES)
def db(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Db]:
    """An empty database of each kind, also set as ``SALESOPS_DATABASE_URL``."""
    kind = request.param
    if kind == "duckdb":
        path = tmp_path / "salesops.duckdb"
        shutil.copy(request.getfixturevalue("_duckdb_template"), path)
        url = f"duckdb:///{path}"
        engine = make_engine(url)
    elif kind == "postgresql":
        url = request.getfixturevalue("_pg_schema_url")
        engine = make_engine(url)
        if current_revision(engine) != head_revision():
            upgrade(engine)  # a test before this one migrated the shared schema down
        _truncate_all(engine)
    else:
        raise ValueError(f"unknown test database {kind!r}")
    monkeypatch.setenv("SALESOPS_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        yield Db(kind=kind, url=url, engine=engine)
    finally:
        engine.dispose()
        get_settings.cache_clear()
