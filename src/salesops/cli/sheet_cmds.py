"""``salesops import sheet FILE --mapping M.yaml``: several entities from one file, atomically.

Called by ``salesops import`` when its entity is the pseudo-entity ``sheet``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from salesops.ingest.mapping import SheetMapping


def _sheet_mapping(engine: Engine, value: str, console: Console) -> SheetMapping | Path:
    """``--mapping``: a file (read by the importer) or the name of a saved sheet mapping."""
    from salesops.ingest.mapping import MappingError, SheetMapping
    from salesops.ingest.registry import resolve_mapping

    if Path(value).is_file():
        return Path(value)
    try:
        found = resolve_mapping(engine, value)
        if not isinstance(found, SheetMapping):
            raise MappingError(
                f"saved mapping {value!r} is for one entity ({found.entity}); import it with "
                f"`salesops import {found.entity} FILE --mapping {value}`"
            )
    except MappingError as exc:
        engine.dispose()
        console.print(f"[red]{exc}[/red]", soft_wrap=True, highlight=False)
        raise typer.Exit(code=1) from None
    return found


def import_sheet_cmd(
    file: Path,
    mapping: str | None,
    *,
    dry_run: bool,
    errors_out: Path | None,
    as_of: dt.datetime | None,
    progress_bytes: int,
) -> None:
    """Import every section of the sheet mapping from FILE; exit 1 when nothing was written."""
    from salesops.auth.audit import Actor
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
        chosen = _sheet_mapping(engine, mapping, console)
        if file.is_file() and file.stat().st_size >= progress_bytes:
            with RichProgress(console) as progress:
                report = import_sheet(
                    engine,
                    file,
                    chosen,
                    dry_run=dry_run,
                    as_of=as_of,
                    progress=progress,
                    actor=Actor.cli(),
                )
        else:
            report = import_sheet(
                engine, file, chosen, dry_run=dry_run, as_of=as_of, actor=Actor.cli()
            )
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
