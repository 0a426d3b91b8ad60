"""DuckDB -> archive -> PostgreSQL -> archive -> DuckDB (and the other way round): every table's
rows and checksum, and the overview's numbers, are the same at each step."""

from __future__ import annotations

from pathlib import Path

from salesops.backup import backup_database, restore_database, verify_archive
from salesops.db.migrate import head_revision
from salesops.demo import generate_demo
from tests.backup.helpers import (
    assert_sequences_past_ids,
    checksums,
    fresh_database,
    kpis,
    same_content,
)
from tests.conftest import Db
from tests.demo.helpers import TINY


def test_round_trip_through_the_other_database(db: Db, tmp_path: Path) -> None:
    generate_demo(db.engine, TINY)
    expected = kpis(db.engine)
    assert expected[0][0]["value"] > 0  # revenue: the demo company sells

    first = backup_database(db.engine, tmp_path / "a.zip")
    assert first.schema_revision == head_revision()
    assert first.database == db.kind
    counts = {t.name: t.rows for t in first.tables}
    assert counts["order_line"] > 1_000 and counts["opportunity_month_end"] > 0
    assert verify_archive(tmp_path / "a.zip").row_total == first.row_total

    other = "postgresql" if db.kind == "duckdb" else "duckdb"
    with fresh_database(other, tmp_path) as middle:
        report = restore_database(middle, tmp_path / "a.zip")
        assert report.upgraded_from is None and not report.replaced
        assert kpis(middle) == expected
        same_content(db.engine, middle)
        second = backup_database(middle, tmp_path / "b.zip", passphrase="correct horse")
        assert second.database == other
        assert checksums(second) == checksums(first)
        assert_sequences_past_ids(middle)

    with fresh_database(db.kind, tmp_path) as last:
        restore_database(last, tmp_path / "b.zip", passphrase="correct horse")
        assert kpis(last) == expected
        same_content(db.engine, last)
        third = backup_database(last, tmp_path / "c.zip")
        assert checksums(third) == checksums(first)
        assert_sequences_past_ids(last)


def test_checksum_sees_one_changed_value(db: Db, tmp_path: Path) -> None:
    from sqlalchemy import text

    generate_demo(db.engine, TINY)
    before = checksums(backup_database(db.engine, tmp_path / "a.zip"))
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE order_line SET amount = amount + 0.01 WHERE id = 7"))
    after = checksums(backup_database(db.engine, tmp_path / "b.zip"))
    changed = [name for name in before if before[name] != after[name]]
    assert changed == ["order_line"]


def test_awkward_values_survive_both_ways(db: Db, tmp_path: Path) -> None:
    from sqlalchemy import text

    awkward = [
        # id, text_zh, text_en, valid_from
        (1, '第一行\n第二行 "引号", 逗号', "", "2024-02-29"),
        (2, "NULL", None, None),
        (3, "\\N ~ 0:", "a\r\nb", "1999-12-31"),
    ]
    with db.engine.begin() as conn:
        for id_, zh, en, day in awkward:
            conn.execute(
                text(
                    "INSERT INTO announcement (id, external_id, kind, text_zh, text_en, "
                    "valid_from) VALUES (:id, :ext, 'news', :zh, :en, CAST(:day AS DATE))"
                ),
                {"id": id_, "ext": f"A{id_}", "zh": zh, "en": en, "day": day},
            )
        conn.execute(
            text(
                "INSERT INTO opportunity (id, external_id, pipeline, status) "
                "VALUES (1, 'O1', 'default', 'open')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO opportunity_change (id, opportunity_id, field, new_value, "
                "changed_at, source) VALUES (1, 1, 'amount', '1.5', "
                "CAST('2024-03-01 08:09:10.123456' AS TIMESTAMP), 'import')"
            )
        )
    first = backup_database(db.engine, tmp_path / "a.zip")
    other = "postgresql" if db.kind == "duckdb" else "duckdb"
    with fresh_database(other, tmp_path) as target:
        restore_database(target, tmp_path / "a.zip")
        with target.connect() as conn:
            rows = conn.execute(
                text("SELECT id, text_zh, text_en, valid_from FROM announcement ORDER BY id")
            ).all()
            changed_at = conn.execute(text("SELECT changed_at FROM opportunity_change")).scalar()
        assert [(r[0], r[1], r[2], r[3] and r[3].isoformat()) for r in rows] == awkward
        assert changed_at.isoformat() == "2024-03-01T08:09:10.123456"
        second = backup_database(target, tmp_path / "b.zip")
    assert checksums(second) == checksums(first)
