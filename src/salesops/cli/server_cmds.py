"""``salesops init`` and ``salesops serve``."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
) -> None:
    """Serve the web board and the JSON API."""
    import uvicorn

    from salesops.app import create_app
    from salesops.config import get_settings
    from salesops.web import warmup

    if bool(ssl_certfile) != bool(ssl_keyfile):
        console.print("[red]error:[/red] --ssl-certfile and --ssl-keyfile go together")
        raise typer.Exit(2)
    engine = open_database(migrate=True)
    settings = get_settings()
    scheme = "https" if ssl_certfile else "http"
    console.print(f"SalesOps Board on {scheme}://{host}:{port}  (database: {_safe(settings)})")
    _first_admin(engine, f"{scheme}://{host}:{port}")
    app = create_app(engine)
    # The default view of every page is built while the server starts (web/warmup.py).
    warmup.warm_at_start(engine)
    scheduler = None
    if settings.scheduler:  # alerts (and later imports, reports) on their schedules
        from salesops import schedule

        scheduler = schedule.start(engine)
    # One process: an embedded DuckDB file allows one writer; threads share the engine.
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
    )
    if scheduler is not None:
        scheduler.shutdown(wait=False)


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
    from sqlalchemy.engine import make_url

    return make_url(getattr(settings, "database_url", "")).render_as_string(hide_password=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``salesops`` app."""
    app.command(rich_help_panel=OPERATIONS)(init)
    app.command(rich_help_panel=BOARD)(serve)
