"""No traceback, whatever the file: mutated copies of a real 400-line order export.

Each example takes the order-line export and applies one to three mutations — byte flips,
truncation, another encoding, NULs, a huge field, stray quotes, another delimiter, other line
endings (CR-only as Excel for Mac's "CSV (Macintosh)" writes, CRLF, mixed) — then imports it
through the command line (``salesops import order_line FILE``) on DuckDB. The command must end
with exit 0, 1 or 2, never an unhandled exception, and when it says 1 ("nothing was imported")
the database must be exactly as it was.

``max_examples`` is 40 so the suite stays fast; ``SALESOPS_FUZZ_EXAMPLES=1000`` runs a longer
campaign (see docs/import-guide.md for the last one).
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from typer.testing import CliRunner

from salesops.bench.import_speed import write_order_lines_csv
from salesops.cli.main import app
from salesops.ingest import import_file
from tests.conftest import Db
from tests.ingest.helpers import DATA_TABLES, write_csv

EXAMPLES = int(os.environ.get("SALESOPS_FUZZ_EXAMPLES", "40"))
runner = CliRunner(env={"COLUMNS": "200"})

# --------------------------------------------------------------------------- the real file


@pytest.fixture(scope="module")
def export_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A 400-line order export as a CRM writes it (UTF-8, comma, LF, Chinese channel names)."""
    path = tmp_path_factory.mktemp("fuzz") / "orders.csv"
    write_order_lines_csv(path, 400)
    data = path.read_bytes()
    assert data.count(b"\n") >= 400
    return data


# --------------------------------------------------------------------------- mutations
# Each mutation is data (kind, parameters), so a failing example prints short and replays.

Mutation = tuple[str, Any]

ENCODINGS = ["gb18030", "gbk", "big5", "utf-16", "utf-16-le", "utf-8-sig", "latin-1", "cp1252",
             "shift_jis", "utf-32"]  # fmt: skip
SPOTS = st.lists(st.floats(0, 1), min_size=1, max_size=10)

MUTATIONS: st.SearchStrategy[Mutation] = st.one_of(
    st.tuples(
        st.just("flip"),
        st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=20),
    ),
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("encode"), st.sampled_from(ENCODINGS)),
    st.tuples(st.just("nul"), st.tuples(SPOTS, st.integers(1, 64))),
    st.tuples(
        st.just("huge"),
        st.tuples(
            st.floats(0, 1),
            st.sampled_from([70_000, 300_000]),
            st.sampled_from([b"x", b"9", "长".encode(), b'"', b","]),
        ),
    ),
    st.tuples(st.just("quote"), st.tuples(SPOTS, st.sampled_from([b'"', b"'", b'""', b'"\n']))),
    st.tuples(
        st.just("delimiter"),
        st.tuples(st.sampled_from([b";", b"\t", b"|", b" ", b":"]), st.booleans()),
    ),
    st.tuples(st.just("newline"), st.sampled_from(["cr", "crlf", "mixed", "blank", "none"])),
)


def _insert(data: bytes, spots: list[float], piece: bytes) -> bytes:
    for where in spots:
        i = int(where * len(data))
        data = data[:i] + piece + data[i:]
    return data


def mutate(data: bytes, mutation: Mutation) -> bytes:
    """``data`` with one mutation applied."""
    kind, arg = mutation
    if kind == "flip":
        out = bytearray(data)
        for where, byte in arg:
            if out:
                out[min(int(where * len(out)), len(out) - 1)] = byte
        return bytes(out)
    if kind == "truncate":
        return data[: int(len(data) * arg)]
    if kind == "encode":  # after a flip the bytes may not be UTF-8 any more: replace those
        return data.decode("utf-8", errors="replace").encode(arg, errors="replace")
    if kind == "nul":
        spots, run = arg
        return _insert(data, spots, b"\0" * run)
    if kind == "huge":
        where, size, filler = arg
        return _insert(data, [where], filler * (size // len(filler)))
    if kind == "quote":
        spots, quote = arg
        return _insert(data, spots, quote)
    if kind == "delimiter":
        new, everywhere = arg
        if everywhere:
            return data.replace(b",", new)
        head, _, rest = data.partition(b"\n")  # only the header changes: ragged rows
        return head.replace(b",", new) + b"\n" + rest
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    if arg == "cr":  # Excel for Mac's "CSV (Macintosh)"
        return b"\r".join(lines)
    if arg == "crlf":
        return b"\r\n".join(lines)
    if arg == "blank":
        return b"\n\n".join(lines)
    if arg == "none":
        return b"".join(lines)
    ends = [b"\r", b"\n", b"\r\n"]
    return b"".join(line + ends[i % 3] for i, line in enumerate(lines))


# --------------------------------------------------------------------------- the property


def fingerprint(db: Db) -> dict[str, object]:
    """Every data table's row count and a hash of its rows (DuckDB)."""
    with db.engine.connect() as conn:
        return {
            t: tuple(conn.execute(text(f"SELECT count(*), sum(hash(t)) FROM {t} AS t")).one())  # noqa: S608
            for t in DATA_TABLES
        }


@pytest.fixture
def duck(db: Db, export_bytes: bytes, tmp_path: Path) -> Db:
    """The DuckDB leg, with the reps, products and customers the export refers to."""
    if db.kind != "duckdb":
        pytest.skip("the fuzz campaign runs on DuckDB (the importer is the same on both)")
    records = list(csv.DictReader(io.StringIO(export_bytes.decode("utf-8"))))
    for entity in ("rep", "product", "customer"):
        ids = sorted({r[entity] for r in records})
        path = write_csv(
            tmp_path / f"{entity}.csv",
            [["external_id", "name"], *[[i, f"{entity} {i}"] for i in ids]],
        )
        assert import_file(db.engine, entity, path).ok
    return db


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=EXAMPLES <= 40,  # the suite is reproducible; a long campaign explores
)
@given(mutations=st.lists(MUTATIONS, min_size=1, max_size=3))
def test_mutated_exports_never_crash(
    duck: Db, export_bytes: bytes, tmp_path: Path, mutations: list[Mutation]
) -> None:
    data = export_bytes
    for mutation in mutations:
        data = mutate(data, mutation)
    path = tmp_path / "orders.csv"
    path.write_bytes(data)
    before = fingerprint(duck)
    result = runner.invoke(app, ["import", "order_line", str(path)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"unhandled {type(result.exception).__name__}") from result.exception
    assert result.exit_code in (0, 1, 2), result.output
    event(f"exit {result.exit_code}")  # counted by --hypothesis-show-statistics
    for mutation in mutations:
        event(f"mutation {mutation[0]}")
    if result.exit_code == 1:
        assert fingerprint(duck) == before, "a failed import changed the database"
        assert "Nothing was imported" in result.output


def test_cr_only_line_endings_import(duck: Db, export_bytes: bytes, tmp_path: Path) -> None:
    """Excel for Mac's "CSV (Macintosh)": CR-only line endings are read as lines."""
    path = tmp_path / "mac.csv"
    path.write_bytes(export_bytes.replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    result = runner.invoke(app, ["import", "order_line", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported 400 order_line row(s)" in result.output
