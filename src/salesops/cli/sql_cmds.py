"""``salesops import ENTITY --from-sql URL --query "SELECT ..."``: pull from a CRM or ERP
database (see :mod:`salesops.integrate.sql`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from salesops.cli.common import open_database


def import_from_sql_cmd(
    entity: str,
    url: str,
    query: str,
    password: str | None,
    mapping: str | None,
    overrides: list[str],
    dry_run: bool,
    errors_out: Path | None,
) -> None:
    """Pull ``query``'s rows from ``url`` and import them like a file; exit 1 when the pull
    or the import fails (nothing written), 2 when the query is not a SELECT."""
    from salesops.auth.audit import Actor
    from salesops.cli.check_cmds import print_quality
    from salesops.cli.data_cmds import saved_or_file, summary
    from salesops.ingest.errors import errors_table, write_errors_csv
    from salesops.integrate.credentials import redact
    from salesops.integrate.sql import SqlSourceError, check_select, import_from_sql

    try:
        check_select(query)
    except SqlSourceError as exc:
        raise typer.BadParameter(str(exc), param_hint="--query") from None
    console = Console(stderr=True)
    engine = open_database(migrate=True)
    try:
        chosen = saved_or_file(engine, mapping, entity, console)
        report, pull = import_from_sql(
            engine,
            entity,
            url,
            query,
            chosen,
            password=password,
            overrides=overrides,
            dry_run=dry_run,
            actor=Actor.cli(),
        )
    except SqlSourceError as exc:
        console.print(f"[red]{redact(str(exc))}[/red]", soft_wrap=True, highlight=False)
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()
    if errors_out is not None and report.errors:
        write_errors_csv(report.errors, errors_out)
    where = pull.url if pull else "the database"
    if report.ok:
        console.print(f"Read {pull.rows if pull else 0} row(s) from {where}.", highlight=False)
        console.print(f"[green]{summary(report)}[/green]", soft_wrap=True)
        print_quality(console, report.quality)
        return
    console.print(errors_table(report.errors, total=report.errors_total))
    console.print(
        f"[red]Nothing was imported from {where}: {report.errors_total} error(s).[/red]"
        + (f" All of them are in {errors_out}." if errors_out else ""),
        soft_wrap=True,
        highlight=False,
    )
    raise typer.Exit(code=1)
