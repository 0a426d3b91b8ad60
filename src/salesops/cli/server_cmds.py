"""``salesops init`` and ``salesops serve``."""

from __future__ import annotations

import typer
from rich.console import Console

from salesops.cli.common import BOARD, OPERATIONS, open_database

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
) -> None:
    """Serve the web board and the JSON API."""
    import uvicorn

    from salesops.app import create_app
    from salesops.config import get_settings
    from salesops.web import warmup

    engine = open_database(migrate=True)
    settings = get_settings()
    console.print(f"SalesOps Board on http://{host}:{port}  (database: {_safe(settings)})")
    app = create_app(engine)
    # The default view of every page is built while the server starts (web/warmup.py).
    warmup.warm_at_start(engine)
    # One process: an embedded DuckDB file allows one writer; threads share the engine.
    uvicorn.run(app, host=host, port=port, log_level="info")


def _safe(settings: object) -> str:
    from sqlalchemy.engine import make_url

    return make_url(getattr(settings, "database_url", "")).render_as_string(hide_password=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``salesops`` app."""
    app.command(rich_help_panel=OPERATIONS)(init)
    app.command(rich_help_panel=BOARD)(serve)
