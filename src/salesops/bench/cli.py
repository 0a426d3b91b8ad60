"""``salesops bench``: the metrics engine against hand-written SQL and pandas."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

SCALES = ("small", "medium", "large")


def bench(
    scale: Annotated[str, typer.Option(help="Demo data scale: small | medium | large.")] = "small",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    repeat: Annotated[int, typer.Option(min=1, max=50, help="Runs per timing (median).")] = 3,
    data_dir: Annotated[
        Path, typer.Option(help="Where the benchmark databases live (git-ignored).")
    ] = Path("bench-data"),
    signin: Annotated[
        bool, typer.Option("--signin", help="Instead: what signing in adds to a warm page.")
    ] = False,
) -> None:
    """Overview KPIs through the engine (cold / warm) next to hand-written SQL and pandas."""
    from salesops.bench.run import run_bench

    if scale not in SCALES:
        Console(stderr=True).print(f"[red]error:[/red] unknown scale {scale!r}; use one of "
                                   f"{', '.join(SCALES)}")  # fmt: skip
        raise typer.Exit(2)
    from salesops.bench.run import bench_path, ensure_database
    from salesops.ingest.progress import RichProgress

    err = Console(stderr=True)
    # The first run of a scale generates its database (minutes at large): show the bars.
    with RichProgress(err) as bars:
        ensure_database(scale, bench_path(scale, data_dir), progress=bars).dispose()
    if signin:
        _signin(scale, data_dir, repeat, as_json)
        return
    with err.status("benchmark") as status:
        result = run_bench(
            scale, repeat=repeat, directory=data_dir, progress=lambda m: status.update(m)
        )
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
        return
    out = Console()
    table = Table(
        title=f"Overview benchmark · {scale}: {result.order_lines:,} order lines, "
        f"{result.opportunities:,} opportunities, year {result.year} (medians of {repeat})"
    )
    table.add_column("path")
    table.add_column("queries", justify="right")
    table.add_column("median", justify="right")
    table.add_column("vs engine cold", justify="right")
    cold = result.engine_cold_s

    def row(name: str, n: int, seconds: float) -> None:
        table.add_row(name, str(n), f"{seconds * 1000:,.1f} ms", f"{seconds / cold:.2f}x")

    n = result.core_queries
    row("engine, cold (cache cleared)", n, cold)
    row("engine, warm (cached)", n, result.engine_warm_s)
    row("hand-written SQL", n, result.handwritten_sql_s)
    row("pandas (read tables + compute)", n, result.pandas_s)
    row("pandas (compute only)", n, result.pandas_compute_s)
    row("engine, full overview cold", result.full_overview_queries, result.full_overview_cold_s)
    row("engine, full overview warm", result.full_overview_queries, result.full_overview_warm_s)
    out.print(table)
    verdict = "[green]yes[/green]" if result.results_agree else "[red]NO[/red]"
    out.print(f"results agree (engine = hand-written SQL = pandas): {verdict}")
    for problem in result.disagreements:
        out.print(f"  {problem}", highlight=False)
    if result.handwritten_sql_s:
        out.print(f"engine cold / hand-written SQL: {cold / result.handwritten_sql_s:.2f}x; "
                  f"pandas / engine cold: {result.pandas_s / cold:.1f}x")  # fmt: skip
    if not result.results_agree:
        raise typer.Exit(1)


def _signin(scale: str, data_dir: Path, repeat: int, as_json: bool) -> None:
    from salesops.bench.run import bench_path
    from salesops.bench.signin import PAGE, run_signin_bench
    from salesops.db.engine import make_engine

    engine = make_engine(f"duckdb:///{bench_path(scale, data_dir)}")
    rounds = max(repeat, 20)
    with Console(stderr=True).status(f"sign-in cost: {rounds} interleaved rounds"):
        cost = run_signin_bench(engine, rounds=rounds)
    engine.dispose()
    if as_json:
        sys.stdout.write(json.dumps({"scale": scale, **cost.to_json()}) + "\n")
        return
    table = Table(title=f"Sign-in cost · {scale}: warm {PAGE}, medians of {rounds} rounds")
    table.add_column("caller")
    table.add_column("page", justify="right")
    table.add_column("vs fixed caller", justify="right")
    table.add_column("lookup alone", justify="right")
    base = cost.page_fixed_ms
    table.add_row("fixed (no sign-in lookups)", f"{base:.1f} ms", "", "")
    table.add_row(
        "session cookie",
        f"{cost.page_session_ms:.1f} ms",
        f"{cost.page_session_ms - base:+.1f} ms",
        f"{cost.resolve_session_ms:.2f} ms",
    )
    table.add_row(
        "bearer token",
        f"{cost.page_token_ms:.1f} ms",
        f"{cost.page_token_ms - base:+.1f} ms",
        f"{cost.resolve_token_ms:.2f} ms",
    )
    Console().print(table)
