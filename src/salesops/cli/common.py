"""Helpers shared by the CLI commands.

Nothing heavy at module level: ``salesops --help`` imports every ``cli`` module (see
``tests/cli/test_startup.py``); SQLAlchemy, Alembic and the services load inside the commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from typer.core import TyperGroup

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: Panels of ``salesops --help`` (Typer's ``rich_help_panel``), in the order they are shown.
DATA = "Data"
NUMBERS = "Numbers"
BOARD = "Board"
TARGETS = "Targets"
OPERATIONS = "Operations"
PANELS = (DATA, NUMBERS, BOARD, TARGETS, OPERATIONS)


class PanelOrder(TyperGroup):
    """Lists commands panel by panel (Typer shows panels in the order it first meets them,
    and puts sub-groups such as ``targets`` after every command)."""

    def list_commands(self, ctx: Any) -> list[str]:  # Typer's own (vendored) click.Context
        names = super().list_commands(ctx)

        def rank(name: str) -> int:
            panel = getattr(self.commands[name], "rich_help_panel", None)
            return PANELS.index(panel) if panel in PANELS else len(PANELS)

        return sorted(names, key=rank)


def open_database(*, migrate: bool = True) -> Engine:
    """The configured database (``SALESOPS_DATABASE_URL``), created or upgraded if asked."""
    from salesops.db.engine import make_engine

    engine = make_engine()
    if migrate:
        from salesops.db.migrate import upgrade

        upgrade(engine)
    return engine
