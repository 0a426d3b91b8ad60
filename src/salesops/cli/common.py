"""Helpers shared by the CLI commands."""

from __future__ import annotations

from sqlalchemy import Engine

from salesops.db.engine import make_engine
from salesops.db.migrate import upgrade


def open_database(*, migrate: bool = True) -> Engine:
    """The configured database (``SALESOPS_DATABASE_URL``), created or upgraded if asked."""
    engine = make_engine()
    if migrate:
        upgrade(engine)
    return engine
