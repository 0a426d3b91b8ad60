"""Progress bars for long imports, and the import-speed benchmark's generator (small)."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from salesops.bench.import_speed import run_import_speed, write_order_lines_csv
from salesops.ingest import import_file
from salesops.ingest.progress import RichProgress
from salesops.ingest.readers import read_csv
from tests.conftest import Db
from tests.ingest.helpers import count


def test_progress_shows_every_phase(db: Db, tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    write_order_lines_csv(path, 300)
    path.write_text(
        "\n".join(
            ",".join(cell for i, cell in enumerate(line.split(",")) if i not in (3, 4, 5))
            for line in path.read_text(encoding="utf-8").splitlines()
        ),
        encoding="utf-8",
    )  # without the customer, rep and product columns: no references to seed
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    with RichProgress(console) as progress:
        report = import_file(db.engine, "order_line", path, progress=progress)
    assert report.ok and report.inserted == 300
    text = out.getvalue()
    for phase in ("reading", "validating", "loading"):
        assert phase in text
    assert count(db, "order_line") == 300


def test_benchmark_file_is_deterministic_and_valid(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    write_order_lines_csv(a, 1000, seed=3)
    write_order_lines_csv(b, 1000, seed=3)
    assert a.read_bytes() == b.read_bytes()
    table = read_csv(a)
    assert table.n_rows == 1000
    assert table.headers == [
        "order_no", "line_no", "order_date", "customer", "rep", "product", "channel",
        "quantity", "amount", "cost", "status",
    ]  # fmt: skip
    keys = list(
        zip(
            table.columns["order_no"].to_pylist(), table.columns["line_no"].to_pylist(), strict=True
        )
    )
    assert len(set(keys)) == 1000  # order_no + line_no is a key


def test_benchmark_runs_end_to_end_small(tmp_path: Path) -> None:
    lines: list[str] = []
    result = run_import_speed(rows=2000, repeats=1, workdir=tmp_path, log=lines.append)
    assert len(result.importer) == 1 and len(result.duckdb_read_csv) == 1
    assert result.rows == 2000
    assert "2,000 order lines" in result.summary()
    assert lines[0].startswith("wrote 2,000 order lines")
