"""PostgreSQL session settings of the board's connections: UTC, JIT off, a larger work_mem."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from salesops.config import get_settings
from salesops.db.engine import make_engine, session_settings
from tests.conftest import DATABASES, Db


def test_session_settings_follow_the_configuration() -> None:
    assert session_settings(False, "64MB") == [
        "SET TIME ZONE 'UTC'",
        "SET jit = off",
        "SET work_mem = '64MB'",
    ]
    # JIT on and the server's own work_mem: only the time zone is set
    assert session_settings(True, "") == ["SET TIME ZONE 'UTC'"]


def test_a_work_mem_that_is_not_a_size_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESOPS_DB_WORK_MEM", "64MB'; DROP TABLE rep; --")
    get_settings.cache_clear()
    try:
        with pytest.raises(ValueError, match="db_work_mem"):
            get_settings()
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("db", [k for k in DATABASES if k == "postgresql"], indirect=True)
def test_every_postgresql_connection_starts_with_them(
    db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.engine.connect() as conn:
        shown = [conn.execute(text(f"SHOW {name}")).scalar_one() for name in ("jit", "work_mem")]
        assert shown == ["off", "64MB"]
        assert conn.execute(text("SHOW TimeZone")).scalar_one() == "UTC"
    monkeypatch.setenv("SALESOPS_DB_JIT", "1")
    monkeypatch.setenv("SALESOPS_DB_WORK_MEM", "")
    get_settings.cache_clear()
    engine = make_engine(db.url)
    try:
        with engine.connect() as conn:
            # nothing SET: both as the server's configuration has them (SET leaves reset_val)
            rows = conn.execute(
                text("SELECT setting, reset_val FROM pg_settings WHERE name IN ('jit', 'work_mem')")
            ).all()
            assert len(rows) == 2 and all(setting == reset for setting, reset in rows)
    finally:
        engine.dispose()
