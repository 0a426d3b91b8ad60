"""``salesops mappings add|list|show``: the saved column mappings the data page uses too.

A saved mapping is used by name wherever a mapping file is: ``--mapping NAME``.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from salesops.cli import complete
from salesops.cli.common import DATA, open_database

mappings_app = typer.Typer(
    help="Saved column mappings, shared with the data page (use one with --mapping NAME).",
    no_args_is_help=True,
)

FORMATS = ("table", "json")


@mappings_app.command("add")
def add(
    name: str = typer.Argument(..., help="Name to keep it under (replaces one of that name)."),
    file: Path = typer.Argument(..., help="Mapping YAML file (one entity or 'entities:')."),
) -> None:
    """Check the mapping FILE and save it as NAME."""
    from salesops.auth.audit import Actor
    from salesops.ingest.mapping import MappingError
    from salesops.ingest.registry import save_mapping

    console = Console(stderr=True)
    try:
        body = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        console.print(f"[red]cannot read {file}: {exc}[/red]", soft_wrap=True, highlight=False)
        raise typer.Exit(code=1) from None
    engine = open_database(migrate=True)
    try:
        info = save_mapping(engine, name, body, actor=Actor.cli())
    except MappingError as exc:
        console.print(f"[red]{file}: {exc}[/red]", soft_wrap=True, highlight=False)
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()
    console.print(
        f"[green]Saved mapping {info.name!r} ({info.entity}, {len(info.headers)} source "
        "column(s)).[/green]",
        soft_wrap=True,
        highlight=False,
    )


@mappings_app.command("list")
def list_(
    fmt: str = typer.Option(
        "table", "--format", "-f", help="table or json.", autocompletion=complete.choices(*FORMATS)
    ),
    samples: bool = typer.Option(False, "--samples", help="Also list the sample mappings."),
) -> None:
    """The saved mappings (and with --samples those of docs/mappings)."""
    from salesops.ingest.registry import list_saved, sample_mappings

    if fmt not in FORMATS:
        raise typer.BadParameter(f"unknown format {fmt!r}; one of: {', '.join(FORMATS)}")
    engine = open_database(migrate=True)
    try:
        with engine.connect() as conn:
            found = list_saved(conn)
    finally:
        engine.dispose()
    if samples:
        found += list(sample_mappings())
    if fmt == "json":
        rows = [
            {k: v for k, v in m.to_json().items() if k not in ("body", "document")} for m in found
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{len(found)} mapping(s)", title_justify="left")
    for column in ("Name", "Entity", "Source", "Columns", "Updated", "By"):
        table.add_column(column, overflow="fold")
    for m in found:
        table.add_row(
            m.name,
            m.entity,
            m.source,
            ", ".join(m.headers),
            m.updated_at.isoformat(" ", "minutes") if m.updated_at else "",
            m.updated_by or "",
        )
    Console().print(table)


@mappings_app.command("show")
def show(name: str = typer.Argument(..., help="A saved (or sample) mapping's name.")) -> None:
    """Print the YAML of mapping NAME."""
    from salesops.ingest.registry import get_saved, sample_mappings

    engine = open_database(migrate=True)
    try:
        with engine.connect() as conn:
            info = get_saved(conn, name)
    finally:
        engine.dispose()
    if info is None:
        info = next((m for m in sample_mappings() if m.name == name), None)
    if info is None:
        Console(stderr=True).print(
            f"[red]no saved mapping named {name!r} (salesops mappings list)[/red]",
            soft_wrap=True,
            highlight=False,
        )
        raise typer.Exit(code=1)
    typer.echo(info.body.rstrip("\n"))


def register(app: typer.Typer) -> None:
    """Add ``salesops mappings ...`` to the ``salesops`` app."""
    app.add_typer(mappings_app, name="mappings", rich_help_panel=DATA)
