"""``salesops backup`` and ``salesops restore``: the whole database to one archive and back.

The passphrase of ``--encrypt`` (and of restoring an encrypted archive) comes from
``SALESOPS_BACKUP_PASSPHRASE`` or an interactive prompt, never from an argument: arguments
end up in shell history and in every user's ``ps``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

PASSPHRASE_ENV = "SALESOPS_BACKUP_PASSPHRASE"


class ListFormat(StrEnum):
    table = "table"
    json = "json"


def _passphrase(confirm: bool) -> str:
    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value
    if not sys.stdin.isatty():
        typer.echo(
            f"Error: a passphrase is needed: set {PASSPHRASE_ENV} or run interactively.",
            err=True,
        )
        raise typer.Exit(2)
    value = typer.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm)
    if not value:
        typer.echo("Error: the passphrase is empty.", err=True)
        raise typer.Exit(2)
    return str(value)


def _fail(console: Console, message: str) -> typer.Exit:
    console.print(f"[red]Error:[/red] {message}", soft_wrap=True, markup=True, highlight=False)
    return typer.Exit(1)


def _locked(console: Console, exc: Exception) -> Exception:
    """A DuckDB file held by another process gets a clear error; anything else goes on."""
    if "could not set lock" not in str(exc).lower():
        return exc
    return _fail(
        console,
        "the database file is in use by another process (DuckDB allows one process per "
        "file). While the board serves it, let the board take the backup: POST "
        "/api/v1/backups with an admin's token (it writes to SALESOPS_BACKUP_DIR); or stop "
        "the board (salesops serve) for this command",
    )


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _list(directory: Path, fmt: ListFormat, console: Console) -> None:
    from salesops.backup import list_archives

    if not directory.is_dir():
        typer.echo(f"Error: {directory} is not a directory.", err=True)
        raise typer.Exit(2)
    archives = list_archives(directory)
    if fmt is ListFormat.json:
        typer.echo(json.dumps([a.to_json() for a in archives], indent=2))
        return
    table = Table("file", "date (UTC)", "size", "encrypted", "schema", "rows", title=str(directory))
    for a in archives:
        table.add_row(
            a.path.name,
            a.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            _size(a.size),
            "yes" if a.encrypted else "no",
            a.schema_revision,
            f"{a.row_total:,}",
        )
    console.print(table)


def backup(
    file: Path | None = typer.Argument(
        None,
        help="Archive to write, or a directory (the file is then named salesops-DATE.zip).",
        show_default=False,
    ),
    encrypt: bool = typer.Option(
        False,
        "--encrypt",
        help=f"Encrypt the archive (AES-256-GCM); passphrase from {PASSPHRASE_ENV} or a prompt.",
    ),
    list_dir: Path | None = typer.Option(
        None, "--list", help="List the archives in this directory instead of backing up."
    ),
    fmt: ListFormat = typer.Option(ListFormat.table, "--format", help="Format of --list."),
    keep_daily: int | None = typer.Option(
        None, "--keep-daily", min=0, help="After the backup, keep the newest archive of N days."
    ),
    keep_weekly: int | None = typer.Option(
        None, "--keep-weekly", min=0, help="... and of M ISO weeks; delete the other archives."
    ),
) -> None:
    """Back up the whole database to one archive, from one snapshot.

    One Parquet file per table plus a manifest with row counts and checksums; --encrypt
    seals it with a passphrase. --list DIR shows what a folder keeps."""
    console = Console(stderr=True)
    if list_dir is not None:
        if file is not None:
            typer.echo("Error: give either FILE or --list DIR, not both.", err=True)
            raise typer.Exit(2)
        _list(list_dir, fmt, Console())
        return
    if file is None:
        typer.echo("Error: give the archive FILE (or a directory), or --list DIR.", err=True)
        raise typer.Exit(2)
    retention = keep_daily is not None or keep_weekly is not None

    from salesops.backup import BackupError, backup_database, prune
    from salesops.backup.retention import archive_name
    from salesops.cli.common import open_database
    from salesops.ingest.progress import RichProgress

    if file.is_dir():
        file = file / archive_name(dt.datetime.now(dt.UTC), encrypt)
    elif retention:
        typer.echo("Error: --keep-daily/--keep-weekly need FILE to be a directory.", err=True)
        raise typer.Exit(2)
    passphrase = _passphrase(confirm=True) if encrypt else None
    engine = open_database(migrate=False)
    try:
        with RichProgress(console) as progress:
            manifest = backup_database(engine, file, passphrase=passphrase, progress=progress)
    except BackupError as exc:
        raise _fail(console, str(exc)) from None
    except Exception as exc:
        raise _locked(console, exc) from None
    finally:
        engine.dispose()
    console.print(
        f"[green]Backed up[/green] {len(manifest.tables)} tables, {manifest.row_total:,} rows "
        f"(schema {manifest.schema_revision}) to {file} ({_size(file.stat().st_size)})"
        + (", encrypted" if encrypt else "")
        + ".",
        soft_wrap=True,
    )
    if retention:
        dropped = prune(file.parent, keep_daily or 0, keep_weekly or 0)
        for info in dropped:
            console.print(f"Removed old archive {info.path.name}", soft_wrap=True)


def restore(
    file: Path = typer.Argument(..., help="The archive to restore.", show_default=False),
    force: bool = typer.Option(
        False, "--force", help="Replace the content of a database that holds data."
    ),
) -> None:
    """Restore an archive into the configured database, all or nothing.

    Verified first, schema created, upgraded through the migrations, in one transaction;
    into DuckDB or PostgreSQL."""
    from salesops.backup import BackupError, PassphraseNeeded, restore_database
    from salesops.backup.crypto import is_encrypted
    from salesops.db.engine import make_engine
    from salesops.ingest.progress import RichProgress

    console = Console(stderr=True)
    if not file.is_file():
        raise _fail(console, f"{file}: no such file")
    passphrase = _passphrase(confirm=False) if is_encrypted(file) else None
    engine = make_engine()
    try:
        with RichProgress(console) as progress:
            report = restore_database(
                engine, file, passphrase=passphrase, force=force, progress=progress
            )
    except PassphraseNeeded as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    except BackupError as exc:
        raise _fail(console, str(exc)) from None
    except Exception as exc:
        raise _locked(console, exc) from None
    finally:
        engine.dispose()
    upgraded = (
        f", upgraded from schema {report.upgraded_from} to {report.revision}"
        if report.upgraded_from
        else ""
    )
    console.print(
        f"[green]Restored[/green] {len(report.manifest.tables)} tables, "
        f"{report.manifest.row_total:,} rows from {file} "
        f"(backed up {report.manifest.created_at}){upgraded}"
        + ("; the previous content was replaced" if report.replaced else "")
        + f" in {report.seconds:.1f} s.",
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add ``backup`` and ``restore`` to the ``salesops`` command."""
    from salesops.cli.common import OPERATIONS

    app.command("backup", rich_help_panel=OPERATIONS)(backup)
    app.command("restore", rich_help_panel=OPERATIONS)(restore)
