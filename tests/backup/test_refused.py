"""Archives that are truncated, altered, wrongly decrypted, too new or not archives at all are
refused with an error saying what is wrong, and the target database is left as it was."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from salesops.backup import (
    ArchiveError,
    BackupError,
    backup_database,
    restore_database,
    verify_archive,
)
from salesops.cli.main import app
from salesops.db.schema import metadata
from tests.backup.conftest import PASSPHRASE, Archives
from tests.backup.helpers import checksums
from tests.conftest import Db
from tests.ingest.helpers import seed_customers


def _truncated(src: Path, dest: Path) -> None:
    data = src.read_bytes()
    dest.write_bytes(data[: len(data) // 2])


def _rezipped(src: Path, dest: Path, change: Callable[[str, bytes], bytes]) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, change(info.filename, zin.read(info.filename)))


def _one_amount_changed(name: str, data: bytes) -> bytes:
    if name != "tables/order_line.parquet":
        return data
    table = pq.read_table(io.BytesIO(data))
    amounts = table.column("amount").to_pylist()
    amounts[3] += 1
    i = table.schema.get_field_index("amount")
    table = table.set_column(i, "amount", pa.array(amounts, table.schema.field(i).type))
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def _newer_revision(name: str, data: bytes) -> bytes:
    if name != "manifest.json":
        return data
    manifest = json.loads(data)
    manifest["schema_revision"] = "9999"
    return json.dumps(manifest).encode()


def _flip_byte_in_order_lines(src: Path, dest: Path) -> None:
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as zf:
        info = zf.getinfo("tables/order_line.parquet")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF
    dest.write_bytes(bytes(data))


def _flip_last_ciphertext_byte(src: Path, dest: Path) -> None:
    data = bytearray(src.read_bytes())
    data[-17] ^= 0x01
    dest.write_bytes(bytes(data))


# (case, which archive, how to spoil it, passphrase, expected message)
CASES = [
    ("truncated", "plain", _truncated, None, "truncated"),
    ("truncated-encrypted", "encrypted", _truncated, PASSPHRASE, "truncated"),
    (
        "tampered",
        "plain",
        lambda s, d: _rezipped(s, d, _one_amount_changed),
        None,
        "table order_line: checksum mismatch",
    ),
    ("damaged-member", "plain", _flip_byte_in_order_lines, None, "table order_line"),
    ("wrong-passphrase", "encrypted", shutil.copy, "Tr0ub4dor&3", "wrong passphrase"),
    ("tampered-encrypted", "encrypted", _flip_last_ciphertext_byte, PASSPHRASE, "altered"),
    (
        "newer-schema",
        "plain",
        lambda s, d: _rezipped(s, d, _newer_revision),
        None,
        "schema revision 9999 is newer",
    ),
    (
        "not-an-archive",
        "plain",
        lambda s, d: d.write_text("external_id,name\nC1,Acme\n"),
        None,
        "not a SalesOps backup archive",
    ),
    (
        "zip-without-manifest",
        "plain",
        lambda s, d: zipfile.ZipFile(d, "w").close(),
        None,
        "not a SalesOps backup archive",
    ),
]


@pytest.fixture(scope="module")
def spoiled(archives: Archives, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every bad archive of CASES, by case name."""
    work = tmp_path_factory.mktemp("spoiled")
    out = {}
    for name, source, spoil, _, _ in CASES:
        out[name] = work / f"{name}.zip"
        spoil(archives.plain if source == "plain" else archives.encrypted, out[name])
    return out


@pytest.mark.parametrize(
    ("name", "passphrase", "message"),
    [(c[0], c[3], c[4]) for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_bad_archive_fails_verification(
    spoiled: dict[str, Path], name: str, passphrase: str | None, message: str
) -> None:
    with pytest.raises(ArchiveError, match=message):
        verify_archive(spoiled[name], passphrase=passphrase)


def test_bad_archives_write_nothing(db: Db, tmp_path: Path, spoiled: dict[str, Path]) -> None:
    seed_customers(db, tmp_path)
    before = checksums(backup_database(db.engine, tmp_path / "before.zip"))

    for name, _, _, passphrase, message in CASES:
        with pytest.raises(ArchiveError, match=message):
            restore_database(db.engine, spoiled[name], passphrase=passphrase, force=True)

    assert checksums(backup_database(db.engine, tmp_path / "after.zip")) == before


def test_a_database_with_data_needs_force(db: Db, tmp_path: Path, archives: Archives) -> None:
    seed_customers(db, tmp_path)
    before = checksums(backup_database(db.engine, tmp_path / "before.zip"))

    # 3 regions, 1 team, 3 reps, 2 customers, 3 import runs, 3 audit events, 1 data version
    with pytest.raises(BackupError, match=r"not empty \(16 rows in 7 tables, e\.g\. .*--force"):
        restore_database(db.engine, archives.plain)
    assert checksums(backup_database(db.engine, tmp_path / "after.zip")) == before

    report = restore_database(db.engine, archives.plain, force=True)
    assert report.replaced
    after = checksums(backup_database(db.engine, tmp_path / "after.zip"))
    expected = checksums(archives.manifest)
    # data_version moves past the replaced data's, so no cache keeps the old numbers
    assert {k: v for k, v in after.items() if k != "data_version"} == {
        k: v for k, v in expected.items() if k != "data_version"
    }
    assert after["data_version"] != expected["data_version"]


def test_cli_exit_codes(db: Db, tmp_path: Path, archives: Archives) -> None:
    runner = CliRunner()
    bad = tmp_path / "bad.zip"
    _rezipped(archives.plain, bad, _one_amount_changed)
    result = runner.invoke(app, ["restore", str(bad)])
    assert result.exit_code == 1, result.output
    assert "table order_line: checksum mismatch" in result.output

    # encrypted, no passphrase in the environment and no terminal to ask on: a usage error
    result = runner.invoke(app, ["restore", str(archives.encrypted)], env={})
    assert result.exit_code == 2, result.output
    assert "SALESOPS_BACKUP_PASSPHRASE" in result.output

    result = runner.invoke(
        app,
        ["restore", str(archives.encrypted)],
        env={"SALESOPS_BACKUP_PASSPHRASE": PASSPHRASE},
    )
    assert result.exit_code == 0, result.output
    assert f"Restored {len(metadata.sorted_tables)} tables" in result.output
