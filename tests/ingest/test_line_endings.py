"""Any line ending reads: LF, CRLF, CR-only (Excel for Mac's "CSV (Macintosh)") and mixes;
whatever a parser chokes on becomes the importer's error, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from salesops.ingest.errors import ImportFailed
from salesops.ingest.readers import read_table

ROWS = [b"external_id,name", b"P1,A", b'P2,"two\nlines"', b"P3,C"]


def _read(tmp_path: Path, data: bytes, name: str = "p.csv") -> dict[str, list[str | None]]:
    path = tmp_path / name
    path.write_bytes(data)
    table = read_table(path)
    assert not table.errors, table.errors
    cols = {h: table.columns[h].to_pylist() for h in table.headers}
    cols["row"] = [int(r) for r in table.rows]
    return cols


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
def test_each_line_ending(tmp_path: Path, end: bytes) -> None:
    cols = _read(tmp_path, end.join(ROWS) + end)
    assert cols["external_id"] == ["P1", "P2", "P3"]
    assert cols["name"] == ["A", "two\nlines", "C"]  # a line break inside quotes stays
    assert cols["row"] == [2, 3, 4]


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
def test_blank_lines_keep_spreadsheet_row_numbers(tmp_path: Path, end: bytes) -> None:
    data = end.join([b"external_id,name", b"P1,A", b"", b"P3,C"]) + end
    cols = _read(tmp_path, data)
    assert cols["external_id"] == ["P1", "P3"]
    assert cols["row"] == [2, 4]


def test_mixed_line_endings(tmp_path: Path) -> None:
    cols = _read(tmp_path, b"external_id,name\rP1,A\nP2,B\r\nP3,C\r")
    assert cols["external_id"] == ["P1", "P2", "P3"]


def test_cr_only_header_picks_its_own_delimiter(tmp_path: Path) -> None:
    cols = _read(tmp_path, b"external_id;name\rP1;A,B\rP2;C\r")
    assert cols["name"] == ["A,B", "C"]


def test_a_field_over_the_csv_limit_is_an_error_of_its_row(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"  # a ragged row sends the file down the exact (csv module) path
    path.write_bytes(b"external_id,name\nP1,A,\n\nP2," + b"x" * 200_000 + b"\nP3,C\n")
    table = read_table(path)
    assert [e.row for e in table.errors] == [4]
    assert "unreadable" in table.errors[0].reason and "field larger" in table.errors[0].reason


def test_a_reader_failure_is_the_importers_error(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_bytes(b'{"external_id": "P1", "name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n")
    with pytest.raises(ImportFailed) as failed:
        read_table(path)
    (error,) = failed.value.errors
    assert error.file == str(path) and "cannot read the file" in error.reason


def test_blank_lines_keep_the_row_numbers_on_the_fast_path(tmp_path: Path) -> None:
    """Arrow reads blank lines as empty records (dropped), so the rows after them keep their
    spreadsheet numbers, in files of one and of several columns, LF and CR-only."""
    for content in (
        b"external_id,name\nP1,A\n\n\nP2,B\n",
        b"external_id,name\rP1,A\r\r\rP2,B\r",
        b"external_id\nP1\n\n\nP2\n",
    ):
        path = tmp_path / "p.csv"
        path.write_bytes(content)
        table = read_table(path)
        assert (table.rows.tolist(), table.columns["external_id"].to_pylist(), table.errors) == (
            [2, 5],
            ["P1", "P2"],
            [],
        ), content


def test_a_file_whose_first_lines_look_like_utf8_is_still_read_in_its_encoding(
    tmp_path: Path,
) -> None:
    """UTF-8 is assumed without a check of its own (Arrow checks every cell); a GBK file whose
    first 64 KiB are plain ASCII is still recognised once a later cell is not UTF-8."""
    path = tmp_path / "p.csv"
    ascii_rows = b"".join(b"P%05d,Item\n" % i for i in range(8000))  # > 64 KiB of ASCII
    path.write_bytes(b"external_id,name\n" + ascii_rows + "P9,华东客户\n".encode("gbk"))
    table = read_table(path)
    assert table.encoding == "gb18030" and table.errors == []
    assert table.columns["name"].to_pylist()[-1] == "华东客户"
    assert table.rows.tolist()[-1] == 8002
