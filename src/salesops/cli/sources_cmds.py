"""``salesops sources add|list|run|remove|runs``: saved import sources — an SQL query on a CRM
or ERP database, a watched folder, or a webhook sender — with their mapping and schedule.
``salesops serve`` runs the scheduled ones (job ``import-sources``)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from salesops.cli import complete
from salesops.cli.common import DATA, open_database

sources_app = typer.Typer(
    help="Saved import sources: SQL pulls, watched folders, webhook senders; their runs.",
    no_args_is_help=True,
)

FORMATS = ("table", "json", "csv")


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"[red]{message}[/red]", soft_wrap=True, highlight=False)
    return typer.Exit(code=1)


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise typer.BadParameter(f"unknown format {fmt!r}; one of: {', '.join(FORMATS)}")
    return fmt


@sources_app.command("add")
def add(
    name: str = typer.Argument(..., help="The source's name."),
    entity: str = typer.Option(
        ...,
        "--entity",
        help="Entity its rows go to (sheet: a folder with a sheet mapping).",
        autocompletion=complete.entity_names,
    ),
    sql: str | None = typer.Option(
        None, "--sql", help="An SQLAlchemy URL without password (or env:VAR / file:PATH)."
    ),
    query: str | None = typer.Option(None, "--query", help="With --sql: the SELECT to pull."),
    folder: Path | None = typer.Option(None, "--folder", help="A folder to watch."),
    webhook: bool = typer.Option(False, "--webhook", help="A webhook sender (records API)."),
    mapping: str | None = typer.Option(None, "--mapping", help="A saved mapping's name."),
    secret: str | None = typer.Option(
        None,
        "--secret",
        help="The database password (--sql) or the signing key (--webhook): env:VAR, "
        "file:PATH, or a value to seal (never stored in plain text).",
    ),
    schedule: str | None = typer.Option(
        None, "--schedule", help="15m, 1h, 1d or a cron line like '0 2 * * *' (board time)."
    ),
) -> None:
    """Save a source: exactly one of --sql, --folder, --webhook."""
    from salesops.auth.audit import Actor
    from salesops.integrate.sources import SourceError, add_source

    kinds = [k for k, given in (("sql", sql), ("folder", folder), ("webhook", webhook)) if given]
    if len(kinds) != 1:
        raise typer.BadParameter("give exactly one of --sql URL, --folder PATH, --webhook")
    engine = open_database(migrate=True)
    try:
        source = add_source(
            engine,
            name,
            kind=kinds[0],
            entity=entity,
            mapping=mapping,
            url=sql,
            query=query,
            folder=folder,
            secret=secret,
            schedule=schedule,
            actor=Actor.cli(),
        )
    except SourceError as exc:
        raise _fail(str(exc)) from None
    finally:
        engine.dispose()
    when = f", {source.schedule}" if source.schedule else ""
    Console(stderr=True).print(
        f"[green]Saved {source.kind} source {source.name!r} ({source.entity}{when}).[/green]",
        soft_wrap=True,
        highlight=False,
    )


@sources_app.command("list")
def list_(
    fmt: str = typer.Option(
        "table",
        "--format",
        "-f",
        help="table, json or csv.",
        autocompletion=complete.choices(*FORMATS),
    ),
) -> None:
    """The saved sources (secrets are never shown)."""
    from salesops.integrate.sources import list_sources

    _format(fmt)
    engine = open_database(migrate=True)
    try:
        with engine.connect() as conn:
            found = [s.to_json() for s in list_sources(conn)]
    finally:
        engine.dispose()
    columns = [
        "name",
        "kind",
        "entity",
        "mapping",
        "url",
        "folder",
        "schedule",
        "enabled",
        "has_secret",
        "next_run_at",
        "query",
    ]
    _print(found, columns, fmt, f"{len(found)} source(s)")


def _print(found: list[dict[str, object]], columns: list[str], fmt: str, title: str) -> None:
    if fmt == "json":
        typer.echo(json.dumps(found, ensure_ascii=False, indent=2, default=str))
        return
    if fmt == "csv":
        import csv
        import sys

        from salesops.formula_safety import csv_row

        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        for row in found:
            writer.writerow(csv_row(["" if row[c] is None else row[c] for c in columns]))
        return
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in found:
        table.add_row(*("" if row[c] is None else str(row[c]) for c in columns))
    Console().print(table)


@sources_app.command("run")
def run(name: str = typer.Argument(..., help="The source to run now.")) -> None:
    """Run a source now: pull its query, or import the files waiting in its folder.

    Exit 1 when a run failed."""
    from salesops.auth.audit import Actor
    from salesops.integrate.sources import SourceError, run_source

    engine = open_database(migrate=True)
    try:
        outcomes = run_source(engine, name, trigger="manual", actor=Actor.cli())
    except SourceError as exc:
        raise _fail(str(exc)) from None
    finally:
        engine.dispose()
    console = Console(stderr=True)
    if not outcomes:
        console.print(f"{name}: nothing to import.", highlight=False)
    for o in outcomes:
        what = f"{o.source}" + (f" {o.file}" if o.file else "")
        if o.status == "ok":
            console.print(
                f"[green]{what}: {o.rows_read} row(s), {o.inserted} new, {o.updated} updated, "
                f"{o.unchanged} unchanged.[/green]",
                soft_wrap=True,
                highlight=False,
            )
        else:
            console.print(
                f"[red]{what}: failed, {o.errors} error(s): {o.message}[/red]",
                soft_wrap=True,
                highlight=False,
            )
    if any(o.status != "ok" for o in outcomes):
        raise typer.Exit(code=1)


@sources_app.command("runs")
def runs(
    limit: int = typer.Option(20, "--limit", min=1, max=1000, help="How many, newest first."),
    fmt: str = typer.Option(
        "table",
        "--format",
        "-f",
        help="table, json or csv.",
        autocompletion=complete.choices(*FORMATS),
    ),
) -> None:
    """The latest runs of every source."""
    from salesops.integrate.sources import recent_runs

    _format(fmt)
    engine = open_database(migrate=True)
    try:
        with engine.connect() as conn:
            found = recent_runs(conn, limit)
    finally:
        engine.dispose()
    columns = [
        "source",
        "trigger",
        "file",
        "started_at",
        "finished_at",
        "status",
        "rows_read",
        "inserted",
        "updated",
        "unchanged",
        "errors",
        "message",
    ]
    _print(found, columns, fmt, f"{len(found)} run(s)")


@sources_app.command("remove")
def remove(name: str = typer.Argument(..., help="The source to forget.")) -> None:
    """Forget a source (its runs stay in the history)."""
    from salesops.auth.audit import Actor
    from salesops.integrate.sources import SourceError, remove_source

    engine = open_database(migrate=True)
    try:
        remove_source(engine, name, actor=Actor.cli())
    except SourceError as exc:
        raise _fail(str(exc)) from None
    finally:
        engine.dispose()
    Console(stderr=True).print(f"Removed source {name!r}.", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``salesops sources ...`` to the ``salesops`` app."""
    app.add_typer(sources_app, name="sources", rich_help_panel=DATA)
