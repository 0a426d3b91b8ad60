"""``upgrade`` at the latest revision returns before loading Alembic (issue #23)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from salesops.db import migrate
from salesops.db.migrate import current_revision, head_from_files, head_revision, upgrade
from tests.conftest import Db


def test_head_read_from_the_files_is_alembics_head() -> None:
    assert head_from_files() == head_revision()


def test_upgrade_at_head_leaves_alembic_alone(db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_migration(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a database at head was migrated again")

    monkeypatch.setattr(migrate, "migrate_connection", no_migration)
    upgrade(db.engine)
    assert current_revision(db.engine) == head_revision()


def test_upgrade_below_head_still_migrates(db: Db) -> None:
    """A database one revision behind (its last migration undone) is brought to head."""
    from alembic import command

    cfg = migrate.alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "-1")
    behind = current_revision(db.engine)
    assert behind is not None and behind != head_revision()
    upgrade(db.engine)
    assert current_revision(db.engine) == head_revision()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
