"""``backup --list`` and retention: keep the newest archive of N days and of M ISO weeks."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from salesops.backup.retention import ArchiveInfo, list_archives, prune, to_prune
from salesops.cli.main import app
from tests.backup.conftest import Archives


def _info(stamp: str) -> ArchiveInfo:
    return ArchiveInfo(
        path=Path(f"{stamp}.zip"),
        created_at=dt.datetime.fromisoformat(stamp),
        size=1,
        encrypted=False,
        schema_revision="0008",
        row_total=1,
        app_version="0.1.0",
    )


def test_keeps_newest_of_each_day_and_week() -> None:
    stamps = [
        "2026-12-07T02:00",  # Mon, week 50: newest of day 1 and of week 50
        "2026-12-06T14:00",  # Sun, week 49: newest of day 2 and of week 49
        "2026-12-06T02:00",  # same day, older: dropped
        "2026-12-05T02:00",  # Sat: day 3
        "2026-12-04T02:00",  # Fri: beyond 3 days, not the newest of week 49: dropped
        "2026-11-29T02:00",  # Sun, week 48: newest of week 48
        "2026-11-23T02:00",  # Mon, week 48, older: dropped
        "2026-11-16T02:00",  # week 47: beyond 3 weeks: dropped
    ]
    dropped = to_prune([_info(s) for s in stamps], keep_daily=3, keep_weekly=3)
    assert sorted(a.path.stem for a in dropped) == [
        "2026-11-16T02:00",
        "2026-11-23T02:00",
        "2026-12-04T02:00",
        "2026-12-06T02:00",
    ]


def test_list_and_prune_a_directory(tmp_path: Path, archives: Archives) -> None:
    shutil.copy(archives.plain, tmp_path / "a.zip")
    shutil.copy(archives.encrypted, tmp_path / "b.zip.enc")
    (tmp_path / "notes.txt").write_text("not an archive")

    result = CliRunner().invoke(app, ["backup", "--list", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = {a["file"]: a for a in json.loads(result.stdout)}
    assert set(listed) == {"a.zip", "b.zip.enc"}
    assert listed["b.zip.enc"]["encrypted"] and not listed["a.zip"]["encrypted"]
    assert listed["a.zip"]["row_total"] == archives.manifest.row_total
    assert listed["a.zip"]["schema_revision"] == archives.manifest.schema_revision

    # both were made within seconds: one day and one week, so only the newer one is kept
    dropped = prune(tmp_path, keep_daily=1, keep_weekly=1)
    assert len(dropped) == 1
    assert len(list_archives(tmp_path)) == 1
    assert (tmp_path / "notes.txt").exists()
