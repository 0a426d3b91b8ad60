"""Reads from a PostgreSQL read replica, with read-your-own-writes.

With ``SALESOPS_READ_DATABASE_URL`` set, the board's and the API's reads go to a streaming
replica and every write (imports, targets, sign-in, audit) to the primary. A replica lags the
primary by a little; a person who has just changed something must still see it. So every
successful write answers with the primary's WAL position (its LSN) — in a cookie for the
browser and in the ``X-SalesOps-Read-After`` header for API clients — and a read that brings
one back goes to the replica only once the replica has replayed that far, else to the primary.
Anything else than a well-formed LSN sends the read to the primary (never wrong, only slower).

DuckDB has no replicas: the embedded file is one process's, and asking for a read URL with it
is a configuration error.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, text

from salesops.db.engine import is_duckdb, make_engine

#: cookie and header that carry the primary's WAL position after a write
READ_AFTER_COOKIE = "salesops_read_after"
READ_AFTER_HEADER = "x-salesops-read-after"
#: how long the browser keeps the position (a replica that lags longer is broken anyway)
READ_AFTER_SECONDS = 300

_LSN = re.compile(r"^[0-9A-F]{1,8}/[0-9A-F]{1,8}$")


class ReplicaConfigError(ValueError):
    """A read replica was asked for where there can be none."""


def make_read_engine(primary: Engine, url: str | None) -> Engine | None:
    """The replica's engine for ``url`` (None when no replica is configured)."""
    if not url:
        return None
    if is_duckdb(primary) or url.startswith("duckdb"):
        raise ReplicaConfigError(
            "SALESOPS_READ_DATABASE_URL needs PostgreSQL on both sides: an embedded DuckDB "
            "file has no replicas (unset it, or move to PostgreSQL)"
        )
    return make_engine(url)


def valid_lsn(value: str | None) -> str | None:
    """``value`` upper-cased when it is a WAL position such as ``0/16B3748``, else None."""
    if not value:
        return None
    value = value.strip().upper()
    return value if _LSN.match(value) else None


def primary_lsn(primary: Engine) -> str:
    """The primary's current WAL write position (after a commit, it covers that commit)."""
    with primary.connect() as conn:
        return str(conn.execute(text("SELECT pg_current_wal_lsn()::text")).scalar_one())


def replica_has(replica: Engine, lsn: str) -> bool:
    """True when ``replica`` has replayed the WAL up to ``lsn``."""
    with replica.connect() as conn:
        done = conn.execute(
            text("SELECT pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn)"), {"lsn": lsn}
        ).scalar()
    return bool(done)


def engine_for_read(primary: Engine, replica: Engine | None, read_after: str | None) -> Engine:
    """Where a read goes: the replica, unless the caller's own write has not reached it yet
    (or the position they sent is not one: then the primary, to be safe)."""
    if replica is None:
        return primary
    if read_after is None:
        return replica
    lsn = valid_lsn(read_after)
    if lsn is None or not replica_has(replica, lsn):
        return primary
    return replica
