"""``salesops import`` and ``salesops export``: files in and out of the database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from salesops.cli import complete
from salesops.cli.common import DATA, open_database
from salesops.cli.names import ENTITIES

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from salesops.ingest.importer import ImportReport
    from salesops.ingest.mapping import Mapping

#: formats of ``salesops export`` (ingest/export.py ``FORMATS``)
EXPORT_FORMATS = ("csv", "xlsx")

#: files at least this large get progress bars
PROGRESS_BYTES = 1 << 20


def _entity(value: str) -> str:
    if value not in ENTITIES and value != "sheet":
        raise typer.BadParameter(f"unknown entity {value!r}; one of: {', '.join(ENTITIES)}")
    return value


def _as_of(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date or time like 2026-11-22 or 2026-11-22T18:00"
        ) from None


def summary(report: ImportReport) -> str:
    verb = {"ok": "Imported", "dry-run": "Dry run: would import"}.get(report.status, "Failed")
    text = (
        f"{verb} {report.rows_read} {report.entity} row(s) from {Path(report.file).name}: "
        f"{report.inserted} new, {report.updated} updated, {report.unchanged} unchanged"
    )
    if report.history:
        text += f", {report.history} history row(s)"
    if report.created:
        made = ", ".join(f"{n} {entity}(s)" for entity, n in sorted(report.created.items()))
        text += f"; created {made}"
    if report.nulled:
        text += f"; {report.nulled} unknown reference(s) left empty"
    if report.merged:
        text += f"; {report.merged} repeated row(s) merged"
    return text + f" ({report.seconds:.1f} s)."


def saved_or_file(
    engine: Engine, value: str | None, entity: str, console: Console
) -> Mapping | Path | None:
    """``--mapping``: a file is read by the importer (its errors go in the report); any other
    value names a saved mapping."""
    from salesops.ingest.mapping import MappingError, SheetMapping
    from salesops.ingest.registry import resolve_mapping

    if value is None or Path(value).is_file():
        return None if value is None else Path(value)
    try:
        found = resolve_mapping(engine, value)
        if isinstance(found, SheetMapping):
            raise MappingError(
                f"saved mapping {value!r} has several entities; import it with "
                f"`salesops import sheet FILE --mapping {value}`"
            )
    except MappingError as exc:
        engine.dispose()
        console.print(f"[red]{exc}[/red]", soft_wrap=True, highlight=False)
        raise typer.Exit(code=1) from None
    return found


def import_cmd(
    entity: str = typer.Argument(
        ...,
        help="Entity to import: "
        + ", ".join(ENTITIES)
        + "; or sheet: several entities from one file, as the --mapping's 'entities:' say.",
        autocompletion=complete.entity_names,
    ),
    file: Path | None = typer.Argument(
        None, help="CSV, XLSX, XLS or JSON-lines file (or --from-sql instead)."
    ),
    mapping: str | None = typer.Option(
        None,
        "--mapping",
        help="Column mapping: a YAML file (see docs/import-guide.md) or the name of a saved "
        "mapping (salesops mappings list).",
    ),
    map_: list[str] | None = typer.Option(
        None, "--map", help="Override one field's source column: field=Source Column."
    ),
    sheet: str | None = typer.Option(None, "--sheet", help="Sheet of an Excel workbook."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate everything, write nothing."),
    errors_out: Path | None = typer.Option(
        None, "--errors-out", help="Write every error to this CSV file."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Snapshot time for opportunity history (local time)."
    ),
    from_sql: str | None = typer.Option(
        None,
        "--from-sql",
        help="Pull from a database instead of a file: an SQLAlchemy URL without password "
        "(mysql+pymysql://user@host/db, postgresql+psycopg://...), or env:VAR / file:PATH.",
    ),
    query: str | None = typer.Option(
        None, "--query", help="With --from-sql: the SELECT whose rows are imported."
    ),
    password: str | None = typer.Option(
        None,
        "--password",
        help="With --from-sql: the database password as env:VAR, file:PATH or a sealed value.",
    ),
) -> None:
    """Import FILE into ENTITY: all rows or none; re-importing updates, never duplicates."""
    from salesops.auth.audit import Actor
    from salesops.ingest.errors import errors_table, write_errors_csv
    from salesops.ingest.importer import import_file
    from salesops.ingest.progress import RichProgress

    entity = _entity(entity)
    snapshot = _as_of(as_of)
    if from_sql is not None or query is not None or password is not None:
        from salesops.cli.sql_cmds import import_from_sql_cmd

        if file is not None or from_sql is None or query is None or entity == "sheet":
            raise typer.BadParameter(
                "--from-sql URL --query SELECT... replaces FILE and imports one entity"
            )
        import_from_sql_cmd(
            entity, from_sql, query, password, mapping, map_ or [], dry_run, errors_out
        )
        return
    if file is None:
        raise typer.BadParameter("give FILE, or --from-sql URL --query SELECT...")
    if entity == "sheet":
        from salesops.cli.sheet_cmds import import_sheet_cmd

        if map_ or sheet:
            raise typer.BadParameter("import sheet takes its columns and sheet from --mapping")
        import_sheet_cmd(
            file,
            mapping,
            dry_run=dry_run,
            errors_out=errors_out,
            as_of=snapshot,
            progress_bytes=PROGRESS_BYTES,
        )
        return
    console = Console(stderr=True)  # created per call: it reads the terminal width (COLUMNS)
    engine = open_database(migrate=True)
    try:
        chosen = saved_or_file(engine, mapping, entity, console)
        if file.is_file() and file.stat().st_size >= PROGRESS_BYTES:
            with RichProgress(console) as progress:
                report = import_file(
                    engine,
                    entity,
                    file,
                    chosen,
                    overrides=map_ or [],
                    sheet=sheet,
                    dry_run=dry_run,
                    as_of=snapshot,
                    progress=progress,
                    actor=Actor.cli(),
                )
        else:
            report = import_file(
                engine,
                entity,
                file,
                chosen,
                overrides=map_ or [],
                sheet=sheet,
                dry_run=dry_run,
                as_of=snapshot,
                actor=Actor.cli(),
            )
    finally:
        engine.dispose()
    if errors_out is not None and report.errors:
        write_errors_csv(report.errors, errors_out)
    if report.ok:
        from salesops.cli.check_cmds import print_quality

        console.print(f"[green]{summary(report)}[/green]", soft_wrap=True)
        print_quality(console, report.quality)
        return
    console.print(errors_table(report.errors, total=report.errors_total))
    console.print(
        f"[red]Nothing was imported from {file.name}: {report.errors_total} error(s).[/red]"
        + (f" All of them are in {errors_out}." if errors_out else ""),
        soft_wrap=True,
    )
    raise typer.Exit(code=1)


def export_cmd(
    entity: str = typer.Argument(
        ...,
        help="Entity to export: " + ", ".join(ENTITIES) + ".",
        autocompletion=complete.entity_names,
    ),
    fmt: str = typer.Option(
        "csv",
        "--format",
        "-f",
        help="csv or xlsx.",
        autocompletion=complete.choices(*EXPORT_FORMATS),
    ),
    output: str | None = typer.Option(
        None, "--output", "-o", help="Output file (default ENTITY.csv / ENTITY.xlsx; - = stdout)."
    ),
) -> None:
    """Export ENTITY with canonical field names, ready to be imported again."""
    from salesops.ingest.export import export_entity

    entity = _entity(entity)
    if fmt not in EXPORT_FORMATS:
        raise typer.BadParameter(f"unknown format {fmt!r}; one of: {', '.join(EXPORT_FORMATS)}")
    target = output or f"{entity}.{fmt}"
    console = Console(stderr=True)
    engine = open_database(migrate=True)
    try:
        count = export_entity(engine, entity, target, fmt)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()
    if target != "-":
        console.print(
            f"[green]Exported {count} {entity} row(s) to {target}.[/green]", soft_wrap=True
        )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``salesops`` app."""
    app.command("import", rich_help_panel=DATA)(import_cmd)
    app.command("export", rich_help_panel=DATA)(export_cmd)
