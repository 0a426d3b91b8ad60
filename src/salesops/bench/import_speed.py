"""Import speed: ``salesops import order_line`` of a large CSV next to DuckDB's own ``read_csv``.

:func:`run_import_speed` writes a deterministic order-line CSV (default 1,000,000 rows, with
customer / rep / product references by external id, ``¥``-free plain numbers and ISO dates),
then, ``repeats`` times, into a fresh DuckDB file: imports the referenced dimensions (not
timed), times the full importer (read, convert, validate, resolve, upsert, derived order
headers), and times DuckDB reading the same file into a table (``CREATE TABLE AS SELECT *
FROM read_csv(...)``) as the floor no importer can beat. Medians are returned.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

N_CUSTOMERS = 20_000
N_REPS = 40
N_PRODUCTS = 30


@dataclass
class ImportSpeed:
    """Timings in seconds (each list has one entry per repeat)."""

    rows: int
    file_bytes: int
    importer: list[float] = field(default_factory=list)
    duckdb_read_csv: list[float] = field(default_factory=list)

    @property
    def importer_median(self) -> float:
        """Median seconds of the full import."""
        return statistics.median(self.importer)

    @property
    def read_csv_median(self) -> float:
        """Median seconds of DuckDB's read_csv into a table."""
        return statistics.median(self.duckdb_read_csv)

    def summary(self) -> str:
        """One line for people."""
        rate = self.rows / self.importer_median
        return (
            f"{self.rows:,} order lines ({self.file_bytes / 1e6:.0f} MB CSV): importer "
            f"median {self.importer_median:.2f} s ({rate:,.0f} rows/s), DuckDB read_csv "
            f"median {self.read_csv_median:.2f} s, ratio "
            f"{self.importer_median / self.read_csv_median:.1f}x "
            f"(runs: {', '.join(f'{t:.2f}' for t in self.importer)} / "
            f"{', '.join(f'{t:.2f}' for t in self.duckdb_read_csv)})"
        )


def write_order_lines_csv(path: Path, rows: int, seed: int = 7) -> None:
    """A deterministic order-line CSV of ``rows`` lines (about 3 lines per order)."""
    rng = np.random.default_rng(seed)
    order_index = np.sort(rng.integers(0, max(rows // 3, 1), rows))
    first = np.r_[True, order_index[1:] != order_index[:-1]]
    starts = np.maximum.accumulate(np.where(first, np.arange(rows), 0))
    line_no = np.arange(rows) - starts + 1
    days = (order_index * 730 // max(rows // 3, 1)).astype("int64")
    order_date = (np.datetime64("2024-01-01") + days).astype("datetime64[D]")
    customer = rng.integers(1, N_CUSTOMERS + 1, rows)
    customer = customer[starts]  # one customer per order
    rep = (customer % N_REPS) + 1
    product = rng.integers(1, N_PRODUCTS + 1, rows)
    quantity = rng.integers(1, 20, rows)
    cents = rng.integers(1_000, 5_000_000, rows)
    cost_cents = (cents * rng.uniform(0.3, 0.8, rows)).astype("int64")
    status = rng.choice(np.array(["normal", "cancelled", "returned"]), rows, p=[0.95, 0.03, 0.02])
    channel = rng.choice(np.array(["直销", "代理", "线上"]), rows)

    def ids(prefix: str, values: np.ndarray, width: int) -> pa.Array:
        return pa.array(np.char.add(prefix, np.char.zfill(values.astype(str), width)))

    def money(values: np.ndarray) -> pa.Array:
        return pa.array(
            np.char.add(
                np.char.add((values // 100).astype(str), "."),
                np.char.zfill((values % 100).astype(str), 2),
            )
        )

    table = pa.table(
        {
            "order_no": ids("SO", order_index, 8),
            "line_no": pa.array(line_no),
            "order_date": pa.array(order_date),
            "customer": ids("C", customer, 5),
            "rep": ids("R", rep, 3),
            "product": ids("P", product, 2),
            "channel": pa.array(channel),
            "quantity": pa.array(quantity),
            "amount": money(cents),
            "cost": money(cost_cents),
            "status": pa.array(status),
        }
    )
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))


def _write_dimensions(folder: Path) -> dict[str, Path]:
    reps = folder / "rep.csv"
    regions = ["华东", "华南", "华北", "西南"]
    reps.write_text(
        "external_id,name,region\n"
        + "".join(f"R{i:03d},Rep {i},{regions[i % 4]}\n" for i in range(1, N_REPS + 1)),
        encoding="utf-8",
    )
    products = folder / "product.csv"
    products.write_text(
        "external_id,name\n" + "".join(f"P{i:02d},Product {i}\n" for i in range(1, N_PRODUCTS + 1)),
        encoding="utf-8",
    )
    customers = folder / "customer.csv"
    customers.write_text(
        "external_id,name,region\n"
        + "".join(f"C{i:05d},Customer {i},{regions[i % 4]}\n" for i in range(1, N_CUSTOMERS + 1)),
        encoding="utf-8",
    )
    return {"rep": reps, "product": products, "customer": customers}


def run_import_speed(
    rows: int = 1_000_000,
    repeats: int = 3,
    workdir: Path | None = None,
    log: Callable[[str], None] = print,
) -> ImportSpeed:
    """Measure the importer against DuckDB's read_csv on the same file; returns the timings."""
    import duckdb

    from salesops.db.engine import make_engine
    from salesops.db.migrate import upgrade
    from salesops.ingest import import_file

    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        folder = Path(tmp)
        csv_path = folder / "order_line.csv"
        write_order_lines_csv(csv_path, rows)
        dims = _write_dimensions(folder)
        result = ImportSpeed(rows=rows, file_bytes=csv_path.stat().st_size)
        log(f"wrote {rows:,} order lines ({result.file_bytes / 1e6:.0f} MB)")
        for run in range(repeats):
            db_file = folder / f"bench{run}.duckdb"
            engine = make_engine(f"duckdb:///{db_file}")
            upgrade(engine)
            for entity, path in dims.items():
                report = import_file(engine, entity, path)
                assert report.ok, report.errors[:3]
            started = time.perf_counter()
            report = import_file(engine, "order_line", csv_path)
            result.importer.append(time.perf_counter() - started)
            assert report.ok and report.inserted == rows, report.errors[:3]
            engine.dispose()
            log(f"run {run + 1}: importer {result.importer[-1]:.2f} s")

            plain = duckdb.connect(str(folder / f"plain{run}.duckdb"))
            started = time.perf_counter()
            plain.execute("CREATE TABLE order_line AS SELECT * FROM read_csv(?)", [str(csv_path)])
            result.duckdb_read_csv.append(time.perf_counter() - started)
            plain.close()
            log(f"run {run + 1}: DuckDB read_csv {result.duckdb_read_csv[-1]:.2f} s")
        return result
