"""Alembic environment: runs on the connection handed over by ``salesops.db.migrate``."""

from __future__ import annotations

from alembic import context
from alembic.ddl.impl import DefaultImpl

from salesops.db.engine import make_engine
from salesops.db.schema import metadata


class DuckDBImpl(DefaultImpl):
    """Alembic has no DuckDB implementation of its own; the default one suffices."""

    __dialect__ = "duckdb"


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        engine = make_engine(context.config.get_main_option("sqlalchemy.url") or None)
        with engine.begin() as connection:
            context.configure(connection=connection, target_metadata=metadata)
            with context.begin_transaction():
                context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
