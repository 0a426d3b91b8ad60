"""An archive from an older schema revision is restored at that revision and carried through the
migrations to the latest, derived tables filled: the board shows the same numbers."""

from __future__ import annotations

from pathlib import Path

from alembic import command

from salesops.backup import backup_database, restore_database
from salesops.db.migrate import alembic_config, current_revision, head_revision
from salesops.demo import generate_demo
from tests.backup.helpers import fresh_database, kpis
from tests.conftest import Db
from tests.demo.helpers import TINY


def test_archive_of_an_older_revision_is_upgraded(db: Db, tmp_path: Path) -> None:
    generate_demo(db.engine, TINY)
    expected = kpis(db.engine)
    cfg = alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")  # before the pipeline, payment and order summaries
    old = backup_database(db.engine, tmp_path / "old.zip")
    assert old.schema_revision == "0003"
    names = {t.name for t in old.tables}
    assert "order_line_month" in names and "payment_open" not in names

    with fresh_database(db.kind, tmp_path) as target:
        report = restore_database(target, tmp_path / "old.zip")
        assert report.upgraded_from == "0003"
        assert report.revision == head_revision() == current_revision(target)
        rows = {t.name: t.rows for t in backup_database(target, tmp_path / "new.zip").tables}
        # the tables the later migrations added are there and filled from the restored facts
        assert rows["payment_open"] > 0 and rows["opportunity_month_end"] > 0
        assert rows["order_header_month"] > 0 and rows["opportunity_stage_stay"] > 0
        assert kpis(target) == expected
