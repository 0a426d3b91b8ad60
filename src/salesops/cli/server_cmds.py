"""``salesops init`` and ``salesops serve``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from salesops.cli.common import BOARD, OPERATIONS, open_database

if TYPE_CHECKING:
    from sqlalchemy import Engine

console = Console(stderr=True)


def init() -> None:
    """Create or upgrade the database named by SALESOPS_DATABASE_URL."""
    from salesops.db.migrate import current_revision

    engine = open_database(migrate=True)
    console.print(
        f"[green]Database ready[/green] at revision {current_revision(engine)}: "
        f"{engine.url.render_as_string(hide_password=True)}"
    )


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    ssl_certfile: str | None = typer.Option(
        None, "--ssl-certfile", help="Serve HTTPS with this certificate (PEM)."
    ),
    ssl_keyfile: str | None = typer.Option(
        None, "--ssl-keyfile", help="The certificate's private key (PEM)."
    ),
    forwarded_allow_ips: str | None = typer.Option(
        None,
        "--forwarded-allow-ips",
        help="Reverse proxies whose X-Forwarded-For/-Proto to trust (default 127.0.0.1).",
    ),
    workers: int = typer.Option(
        1, "--workers", min=1, max=64, help="Server processes (PostgreSQL only; DuckDB: 1)."
    ),
) -> None:
    """Serve the web board and the JSON API."""
    import uvicorn

    from salesops.app import create_app
    from salesops.config import get_settings
    from salesops.db.engine import is_duckdb
    from salesops.db.replica import ReplicaConfigError, make_read_engine
    from salesops.web import warmup

    if bool(ssl_certfile) != bool(ssl_keyfile):
        console.print("[red]error:[/red] --ssl-certfile and --ssl-keyfile go together")
        raise typer.Exit(2)
    engine = open_database(migrate=True)
    settings = get_settings()
    if workers > 1 and is_duckdb(engine):
        console.print(
            "[red]error:[/red] --workers needs PostgreSQL: an embedded DuckDB file is opened "
            "by one process only (one process serves many people: its threads share the file)"
        )
        raise typer.Exit(2)
    try:
        read_engine = make_read_engine(engine, settings.read_database_url)
    except ReplicaConfigError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    scheme = "https" if ssl_certfile else "http"
    console.print(f"SalesOps Board on {scheme}://{host}:{port}  (database: {_safe(settings)})")
    if read_engine is not None:
        console.print(f"Reads from the replica at {_safe_url(str(settings.read_database_url))}")
    _first_admin(engine, f"{scheme}://{host}:{port}")
    common = {
        "host": host,
        "port": port,
        "log_level": "info",
        "ssl_certfile": ssl_certfile,
        "ssl_keyfile": ssl_keyfile,
        "proxy_headers": True,
        "forwarded_allow_ips": forwarded_allow_ips,
        "server_header": False,
    }
    scheduler = None
    if workers > 1:
        # Several processes, each with its own engine and pool (sized so that all of them
        # together stay inside the server's connection limit). Their caches stay right across
        # processes: every cached result is keyed by the database's data version, which every
        # write bumps. The start-up warm-up runs once, here, before the workers start: it
        # fills PostgreSQL's shared buffers, which every worker then reads from. The scheduler
        # (alerts, and later imports and reports) runs once too, in this parent process.
        _size_pools(engine, workers)
        warmup.warm_at_start(engine)
        engine.dispose()
        scheduler = _start_scheduler(engine, settings.scheduler)
        console.print(f"{workers} server processes")
        try:
            uvicorn.run("salesops.app:create_app", factory=True, workers=workers, **common)  # type: ignore[arg-type]
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
        return
    app = create_app(engine, read_engine)
    # The default view of every page is built while the server starts (web/warmup.py).
    warmup.warm_at_start(engine)
    scheduler = _start_scheduler(engine, settings.scheduler)
    # One process: an embedded DuckDB file allows one writer; threads share the engine.
    try:
        uvicorn.run(app, **common)  # type: ignore[arg-type]
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def _start_scheduler(engine: Engine, wanted: bool) -> Any:
    """The scheduler of alerts (and later imports and reports), unless turned off."""
    if not wanted:
        return None
    from salesops import schedule

    return schedule.start(engine)


def _size_pools(engine: Engine, workers: int) -> None:
    """Give each worker's connection pool its share of PostgreSQL's ``max_connections`` (a
    fifth kept back for the CLI, backups and administrators), through the environment the
    workers inherit."""
    import os

    from sqlalchemy import text

    with engine.connect() as conn:
        limit = int(conn.execute(text("SHOW max_connections")).scalar_one())
    share = max(2, int(limit * 0.8) // workers)
    size = max(1, min(10, share // 2))
    os.environ.setdefault("SALESOPS_DB_POOL_SIZE", str(size))
    os.environ.setdefault("SALESOPS_DB_MAX_OVERFLOW", str(max(0, share - size)))


def _first_admin(engine: Engine, url: str) -> None:
    """A board without users gets an ``admin`` without a password, and a one-time sign-in
    link for it is printed (as Jupyter prints its token): nobody else can open the board."""
    from salesops.auth import sessions, users
    from salesops.auth.audit import Actor

    if users.has_users(engine):
        return
    actor = Actor.cli()
    admin = users.add_user(engine, "admin", role="admin", actor=actor)
    token = sessions.create_sign_in_link(engine, admin.username, actor=actor)
    console.print(
        "No users yet: made [bold]admin[/bold]. Sign in once with this link, then set a "
        "password on the account page (or `salesops users reset-password admin`):"
    )
    console.print(f"  {url}/login/link?token={token}", soft_wrap=True, highlight=False)


def _safe(settings: object) -> str:
    return _safe_url(getattr(settings, "database_url", ""))


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``salesops`` app."""
    app.command(rich_help_panel=OPERATIONS)(init)
    app.command(rich_help_panel=BOARD)(serve)
