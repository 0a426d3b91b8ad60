"""Benchmark (not a test): the monthly company report on a demo database, PDF included —
wall and CPU time (this process's threads plus finished child processes: the browser) of
building and of printing, medians over runs, each with a fresh engine (cold result cache).

    python -m salesops.bench.reports duckdb:////tmp/medium.duckdb 3
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time

from salesops.db.engine import make_engine
from salesops.reports.assemble import build_report
from salesops.reports.render import render


def cpu() -> float:
    """User + system seconds of this process and its finished children."""
    a = resource.getrusage(resource.RUSAGE_SELF)
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def main(url: str, runs: int = 3) -> None:
    rows: list[tuple[float, ...]] = []
    for i in range(runs):
        e = make_engine(url)  # fresh engine: cold result cache each run
        w0, c0 = time.perf_counter(), cpu()
        r = build_report(e, "monthly", None, "company", "zh")
        w1, c1 = time.perf_counter(), cpu()
        pdf = render(r, "pdf")
        w2, c2 = time.perf_counter(), cpu()
        rows.append((w1 - w0, c1 - c0, w2 - w1, c2 - c1, w2 - w0, c2 - c0, len(pdf)))
        print(
            f"run {i + 1}: build {w1 - w0:.2f}s wall / {c1 - c0:.2f}s cpu; "
            f"pdf {w2 - w1:.2f}s wall / {c2 - c1:.2f}s cpu; total {w2 - w0:.2f}s; "
            f"pdf {len(pdf):,} B",
            flush=True,
        )
        e.dispose()
    for k, name in (
        (0, "build wall"),
        (1, "build cpu"),
        (2, "pdf wall"),
        (3, "pdf cpu"),
        (4, "total wall"),
        (5, "total cpu"),
    ):
        print(
            name,
            "median",
            f"{statistics.median(r[k] for r in rows):.2f}s",
            [f"{r[k]:.2f}" for r in rows],
        )
    print("loadavg", os.getloadavg())


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3)
