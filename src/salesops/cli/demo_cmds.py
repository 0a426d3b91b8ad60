"""``salesops demo-data`` (write the demo company) and ``salesops demo`` (load it and serve)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from salesops.cli.common import BOARD, DATA, open_database

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from salesops.demo import DemoConfig, DemoResult


class Scale(StrEnum):
    small = "small"
    medium = "medium"
    large = "large"


def _today(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date like 2026-11-22") from None


def _report(console: Console, result: DemoResult, config: DemoConfig) -> None:
    table = Table("table", "rows", title="Demo data written")
    for name, rows in result.counts.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    console.print(
        f"[green]Demo company written[/green] "
        f"(seed {config.seed}, {config.start} … {config.today}) "
        f"in {result.seconds:.1f} s: generated in {result.generate_seconds:.1f} s, "
        f"written in {result.write_seconds:.1f} s.",
        soft_wrap=True,
    )


def write_demo(
    engine: Engine, config: DemoConfig, console: Console, *, replace: bool = False
) -> DemoResult:
    """Generate and write the demo company with progress bars, then print what was written."""
    from salesops.demo import generate_demo
    from salesops.ingest.progress import RichProgress

    with RichProgress(console) as progress:
        result = generate_demo(engine, config, replace=replace, progress=progress)
    if result.replaced:
        console.print(
            f"Replaced the previous data of: {', '.join(result.replaced)}.", soft_wrap=True
        )
    if result.unlinked_users:
        console.print(
            f"[yellow]{result.unlinked_users} user(s) lost their link to a rep or team[/yellow] "
            "(those rows were replaced).",
            soft_wrap=True,
        )
    _report(console, result, config)
    return result


def order_lines(engine: Engine) -> int:
    """How many order lines the database holds."""
    from sqlalchemy import text

    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM order_line")).scalar_one())


def ensure_demo_data(engine: Engine, config: DemoConfig, console: Console) -> bool:
    """Write the demo company unless the database already has order lines; True if written."""
    existing = order_lines(engine)
    if existing:
        console.print(
            f"Reusing the data already in the database ({existing:,} order lines); "
            "`salesops demo-data --replace` writes a fresh demo company.",
            soft_wrap=True,
        )
        return False
    write_demo(engine, config, console)
    return True


def demo_data(
    scale: Scale = typer.Option(
        Scale.small, "--scale", help="small (~200k order lines), medium (10x) or large (50x)."
    ),
    seed: int = typer.Option(42, "--seed", help="Random seed: the same seed gives the same rows."),
    replace: bool = typer.Option(
        False, "--replace", help="Delete the data already in the database first."
    ),
    today: str | None = typer.Option(
        None, "--today", help="Last day of the history (default: today), e.g. 2026-11-22."
    ),
) -> None:
    """Write a deterministic demo company (云途智联, industrial IoT) into the database."""
    from salesops.demo import DemoConfig, DemoDataError

    console = Console(stderr=True)
    config = DemoConfig.for_scale(scale.value, seed=seed, today=_today(today))
    engine = open_database(migrate=True)
    try:
        write_demo(engine, config, console, replace=replace)
    except DemoDataError as exc:
        console.print(f"[red]Nothing was written: {exc}.[/red]", soft_wrap=True)
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()


def demo(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    scale: Scale = typer.Option(Scale.small, "--scale", help="Scale of the demo data if needed."),
    seed: int = typer.Option(42, "--seed", help="Random seed of the demo data if needed."),
) -> None:
    """Load the demo company (unless the database already has orders) and serve the board."""
    from salesops.cli.server_cmds import serve
    from salesops.demo import DemoConfig, DemoDataError

    console = Console(stderr=True)
    engine = open_database(migrate=True)
    try:
        ensure_demo_data(engine, DemoConfig.for_scale(scale.value, seed=seed), console)
    except DemoDataError as exc:
        console.print(
            f"[red]{exc}.[/red] The database has no orders but other data; "
            "`salesops demo-data --replace` replaces it with the demo company.",
            soft_wrap=True,
        )
        raise typer.Exit(code=1) from None
    try:
        _print_demo_users(engine, console, f"http://{host}:{port}")
    finally:
        engine.dispose()  # an embedded DuckDB file allows one writer: the server's
    serve(
        host=host,
        port=port,
        ssl_certfile=None,
        ssl_keyfile=None,
        forwarded_allow_ips=None,
        workers=1,
    )


def _print_demo_users(engine: Engine, console: Console, url: str) -> None:
    """The demo users with their scopes, their passwords when just made, and a one-time
    sign-in link for the admin (as Jupyter prints one)."""
    from rich.table import Table

    from salesops.auth import sessions
    from salesops.demo.users import ACTOR, ensure_demo_users

    made = ensure_demo_users(engine)
    if not made:
        return
    table = Table(title="Demo users (sign in at /login)", title_justify="left")
    for col in ("login", "role", "sees", "password"):
        table.add_column(col)
    for user in made:
        shown = user.password or "(set before; `salesops users reset-password`)"
        table.add_row(user.login, user.role, user.scope, shown)
    console.print(table)
    admin = next((u.login for u in made if u.role == "admin"), None)
    if admin:
        token = sessions.create_sign_in_link(engine, admin, actor=ACTOR)
        console.print(f"Open the board signed in as {admin} (one-time link):")
        console.print(f"  {url}/login/link?token={token}", soft_wrap=True, highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``salesops`` app."""
    app.command("demo-data", rich_help_panel=DATA)(demo_data)
    app.command("demo", rich_help_panel=BOARD)(demo)
