"""``salesops check``: the data-quality report on demand (it also follows every import)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from salesops.cli.common import DATA, open_database

if TYPE_CHECKING:
    from salesops.ingest.quality import QualityReport

FORMATS = ("table", "json")


def print_quality(console: Console, quality: QualityReport | None) -> None:
    """The report as people read it: each problem with its count, examples and fix."""
    if quality is None:
        return
    problems = quality.problems
    if not problems:
        console.print(
            f"Data quality: no problems found ({len(quality.findings)} checks).", soft_wrap=True
        )
        return
    console.print(
        f"[yellow]Data quality: {len(problems)} of {len(quality.findings)} checks found "
        "something[/yellow] (salesops check lists them again):",
        soft_wrap=True,
    )
    for f in problems:
        console.print(f"  [bold]{f.title}[/bold]: {f.count}", soft_wrap=True, highlight=False)
        for example in f.examples:
            console.print(f"    - {example}", soft_wrap=True, highlight=False, markup=False)
        console.print(f"    Fix: {f.fix}", soft_wrap=True, highlight=False, markup=False)


def check_cmd(
    fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
    output: str | None = typer.Option(None, "--output", "-o", help="Write to FILE (- = stdout)."),
) -> None:
    """Check the data for problems the numbers would show oddly, with examples and fixes."""
    if fmt not in FORMATS:
        raise typer.BadParameter(f"unknown format {fmt!r}; one of: {', '.join(FORMATS)}")
    from salesops.ingest.quality import quality_report

    engine = open_database(migrate=True)
    try:
        with engine.connect() as conn:
            quality = quality_report(conn)
    finally:
        engine.dispose()
    if fmt == "json":
        text = json.dumps(quality.to_dict(), ensure_ascii=False, indent=2) + "\n"
        if output and output != "-":
            Path(output).write_text(text, encoding="utf-8")
        else:
            typer.echo(text, nl=False)
        return
    if output and output != "-":
        with Path(output).open("w", encoding="utf-8") as fh:
            print_quality(Console(file=fh, width=100), quality)
        return
    print_quality(Console(), quality)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``salesops`` app."""
    app.command("check", rich_help_panel=DATA)(check_cmd)
