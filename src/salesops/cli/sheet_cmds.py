"""``salesops import sheet FILE --mapping M.yaml``: several entities from one file, atomically.

Called by ``salesops import`` when its entity is the pseudo-entity ``sheet``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.console import Console


def import_sheet_cmd(
    file: Path,
    mapping: Path | None,
    *,
    dry_run: bool,
    errors_out: Path | None,
    as_of: dt.datetime | None,
    progress_bytes: int,
) -> None:
    """Import every section of the sheet mapping from FILE; exit 1 when nothing was written."""
    from salesops.cli.check_cmds import print_quality
    from salesops.cli.common import open_database
    from salesops.ingest.errors import errors_table, write_errors_csv
    from salesops.ingest.progress import RichProgress
    from salesops.ingest.sheet import import_sheet

    if mapping is None:
        raise typer.BadParameter(
            "import sheet needs --mapping FILE.yaml with an 'entities:' section "
            "(see docs/mappings/flat-sales-sheet.yaml)"
        )
    console = Console(stderr=True)
    engine = open_database(migrate=True)
    try:
        if file.is_file() and file.stat().st_size >= progress_bytes:
            with RichProgress(console) as progress:
                report = import_sheet(
                    engine, file, mapping, dry_run=dry_run, as_of=as_of, progress=progress
                )
        else:
            report = import_sheet(engine, file, mapping, dry_run=dry_run, as_of=as_of)
    finally:
        engine.dispose()
    if errors_out is not None and report.errors:
        write_errors_csv(report.errors, errors_out)
    if report.ok:
        verb = "Imported" if report.status == "ok" else "Dry run: would import"
        console.print(
            f"[green]{verb} {report.rows_read} row(s) of {file.name} into "
            f"{len(report.sections)} entities ({report.seconds:.1f} s):[/green]",
            soft_wrap=True,
        )
        for s in report.sections:
            line = f"  {s.entity}: {s.inserted} new, {s.updated} updated, {s.unchanged} unchanged"
            if s.merged:
                line += f" ({s.merged} repeated row(s) merged)"
            if s.history:
                line += f", {s.history} history row(s)"
            if s.created:
                line += "; created " + ", ".join(
                    f"{n} {e}(s)" for e, n in sorted(s.created.items())
                )
            console.print(line, soft_wrap=True, highlight=False, markup=False)
        print_quality(console, report.quality)
        return
    console.print(errors_table(report.errors, total=report.errors_total))
    console.print(
        f"[red]Nothing was imported from {file.name}: {report.errors_total} error(s).[/red]"
        + (f" All of them are in {errors_out}." if errors_out else ""),
        soft_wrap=True,
    )
    raise typer.Exit(code=1)
