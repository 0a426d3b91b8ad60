"""Time backup and restore of a database (docs/benchmarks.md, "Backup and restore").

    .venv/bin/python scripts/bench_backup.py SOURCE.duckdb [--pg URL] [--runs 3] [--work DIR]

Backs up SOURCE (plain and encrypted), verifies the archive, restores it into a new DuckDB file
and into a new PostgreSQL schema; prints the median seconds of each step and the sizes as JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from salesops.backup import backup_database, restore_database, verify_archive
from salesops.db.engine import make_engine


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("source")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-backup-"))
    source = make_engine(f"duckdb:///{Path(args.source).resolve()}")
    admin = make_engine(args.pg)
    times: dict[str, list[float]] = {}
    sizes: dict[str, int] = {}
    rows = 0
    for run in range(args.runs):
        plain, sealed = work / f"{run}.zip", work / f"{run}.zip.enc"
        step = {
            "backup": lambda p=plain: backup_database(source, p),
            "backup --encrypt": lambda p=sealed: backup_database(source, p, passphrase="bench"),
            "verify": lambda p=plain: verify_archive(p),
        }
        for name, fn in step.items():
            times.setdefault(name, []).append(timed(fn))
        rows = verify_archive(plain).row_total
        sizes = {"archive": plain.stat().st_size, "encrypted": sealed.stat().st_size}
        target = make_engine(f"duckdb:///{work / f'restored-{run}.duckdb'}")
        times.setdefault("restore into DuckDB", []).append(
            timed(lambda t=target, p=plain: restore_database(t, p))
        )
        target.dispose()
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        pg = make_engine(f"{args.pg}?options=-csearch_path%3D{schema}")
        try:
            times.setdefault("restore into PostgreSQL", []).append(
                timed(lambda t=pg, p=plain: restore_database(t, p))
            )
            times.setdefault("backup from PostgreSQL", []).append(
                timed(lambda t=pg, p=work / f"{run}-pg.zip": backup_database(t, p))
            )
        finally:
            pg.dispose()
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        print(json.dumps({k: round(v[-1], 2) for k, v in times.items()}), flush=True)
    print(
        json.dumps(
            {
                "rows": rows,
                "source_file_bytes": Path(args.source).stat().st_size,
                "sizes": sizes,
                "median_s": {k: round(statistics.median(v), 2) for k, v in times.items()},
                "all_s": {k: [round(x, 2) for x in v] for k, v in times.items()},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
