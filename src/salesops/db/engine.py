"""Engine creation for DuckDB (embedded) and PostgreSQL (server)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event

from salesops.config import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def normalise_url(url: str) -> str:
    """Accept the short forms people type (``postgresql://``) and pick our drivers."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str | None = None, **kwargs: object) -> Engine:
    """Create an engine for ``url`` (default: the configured database)."""
    url = normalise_url(url or get_settings().database_url)
    if url.startswith("duckdb"):
        _register_duckdb()
        # One DuckDB file allows one writing process; threads of this process share the engine.
        kwargs.setdefault("poolclass", _duckdb_pool())
        engine = create_engine(url, **kwargs)
        _enable_compiled_cache(engine)
    else:
        settings = get_settings()
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_size", settings.db_pool_size)
        kwargs.setdefault("max_overflow", settings.db_max_overflow)
        engine = create_engine(url, **kwargs)
        _set_session(engine, session_settings(settings.db_jit, settings.db_work_mem))
    return engine


def _register_duckdb() -> None:
    """Name duckdb_engine's dialect to SQLAlchemy directly (what its entry point says), so
    that ``create_engine`` does not scan every installed package's entry points for it: about
    20 ms of each ``salesops metric`` call (issue #23)."""
    from sqlalchemy.dialects import registry

    registry.register("duckdb", "duckdb_engine", "Dialect")


def _duckdb_pool() -> type:
    from sqlalchemy.pool import QueuePool

    return QueuePool


def _enable_compiled_cache(engine: Engine) -> None:
    """Let SQLAlchemy reuse compiled SQL on DuckDB, as it does on PostgreSQL.

    duckdb_engine inherits PostgreSQL's (cache-safe) statement compiler but declares
    ``supports_statement_cache = False``, so every statement is compiled from scratch: about a
    third of a cold board page (0.3 s of the pipeline page at ``medium``) went to recompiling
    the same metric statements for every new filter. The metrics engine builds statements
    with bound parameters only (its custom constructs declare ``inherit_cache``), which is
    what the compiled cache needs; the whole suite runs with it on.
    """
    engine.dialect._supports_statement_cache = True


def session_settings(jit: bool, work_mem: str) -> list[str]:
    """The ``SET`` statements every PostgreSQL connection of the board starts with.

    * UTC, as the board stores and compares timestamps in UTC.
    * **JIT off** (unless ``SALESOPS_DB_JIT``): the board's statements are large CTEs whose
      estimated costs run into the millions (the planner multiplies guesses through every
      layer), far past ``jit_above_cost``, so PostgreSQL compiled each with full inlining
      and optimisation — measured at ``medium`` (2026-12-07): 10 s of the stuck-deals
      statement's 17 s was JIT compilation, for a statement that runs once per data
      version. Compiled code pays only on scans far longer than the board's.
    * **work_mem** (``SALESOPS_DB_WORK_MEM``, default 64MB): the default 4MB made the stage
      stays' sorts and the pipeline's hashes spill to disk in 64 batches at ``medium``.
    """
    out = ["SET TIME ZONE 'UTC'"]
    if not jit:
        out.append("SET jit = off")
    if work_mem:
        out.append(f"SET work_mem = '{work_mem}'")  # checked by the setting's pattern
    return out


def _set_session(engine: Engine, statements: list[str]) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        with dbapi_conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
        # psycopg opened a transaction for the SET: end it, so the setting survives a first
        # transaction that rolls back and the connection can still change isolation level.
        dbapi_conn.commit()


def is_duckdb(engine: Engine) -> bool:
    """True when ``engine`` talks to DuckDB."""
    return engine.dialect.name == "duckdb"


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    from sqlalchemy.orm import sessionmaker  # the ORM: not for code that only reads (issue #23)

    factory = sessionmaker(engine, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
