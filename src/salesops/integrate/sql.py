"""Pull from another system's database: ``salesops import ENTITY --from-sql URL --query ...``.

The URL is an SQLAlchemy URL (``postgresql+psycopg://``, ``mysql+pymysql://`` for MySQL and
MariaDB, ``mssql+pyodbc://`` …) without a password; the password comes from
``--password env:VAR`` / ``file:PATH`` / a sealed value (or the whole URL from ``env:VAR`` /
``file:PATH``). Only one read-only statement is run (``SELECT`` or ``WITH … SELECT``), in a
read-only transaction where the database has one, and its rows are streamed in batches
(a server-side cursor) to a temporary CSV file, which the importer then imports like any other
file — atomically, with the same mappings and errors ("row 5" is the query's fifth row).
Passwords are redacted from every message.
"""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from salesops.auth.audit import Actor
from salesops.formula_safety import csv_row
from salesops.ingest.importer import ImportReport, import_file
from salesops.ingest.mapping import Mapping
from salesops.ingest.readers import cell_text
from salesops.integrate.credentials import CredentialError, redact, resolve

#: rows fetched from the source database per round trip
BATCH = 5000


class SqlSourceError(ValueError):
    """A pull that cannot run: a bad URL, a refused query, a connection failure. The
    message never holds a password."""


_WRITES = re.compile(
    r"\b(insert|update|delete|merge|upsert|create|alter|drop|truncate|grant|revoke|call|exec|"
    r"execute|copy|into|lock|set|handler|rename|vacuum|attach)\b",
    re.IGNORECASE,
)


def _strip(query: str) -> str:
    """The query without comments and string / quoted-name contents (so that a keyword inside
    a value is not taken for a statement)."""
    out = re.sub(r"--[^\n]*|#[^\n]*|/\*.*?\*/", " ", query, flags=re.S)
    return re.sub(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`", "''", out)


def check_select(query: str) -> str:
    """``query`` (a trailing ``;`` removed) when it is a single read-only SELECT; else a
    :class:`SqlSourceError` saying why."""
    body = query.strip().rstrip(";").strip()
    bare = _strip(body).strip()
    if not bare:
        raise SqlSourceError("the query is empty")
    if ";" in bare:
        raise SqlSourceError("only one statement may be given (the query holds a ';')")
    first = bare.split(None, 1)[0].lower()
    if first not in ("select", "with"):
        raise SqlSourceError(
            f"only SELECT queries are allowed, not {first.upper()}: the board reads other "
            "systems' databases and never writes to them"
        )
    found = _WRITES.search(bare)
    if found:
        raise SqlSourceError(
            f"only plain SELECT queries are allowed; {found.group(0).upper()} is refused"
        )
    return body


def source_url(url: str, password: str | None = None) -> tuple[URL, list[str]]:
    """The URL to connect with (``url`` may be ``env:VAR`` / ``file:PATH``), with the password
    from ``password`` (a reference); also every secret to redact from messages."""
    secrets: list[str] = []
    try:
        if url.startswith(("env:", "file:")):
            url = resolve(url)
            secrets.append(url)
        parsed = make_url(url)
    except CredentialError as exc:
        raise SqlSourceError(str(exc)) from None
    except (ArgumentError, ValueError):
        raise SqlSourceError(
            f"{redact(url, *secrets)!r} is not a database URL like "
            "mysql+pymysql://user@host/db or postgresql+psycopg://user@host/db"
        ) from None
    if parsed.password:
        secrets.append(str(parsed.password))
    if password is not None:
        try:
            secret = resolve(password)
        except CredentialError as exc:
            raise SqlSourceError(f"--password: {exc}") from None
        secrets.append(secret)
        parsed = parsed.set(password=secret)
    return parsed, secrets


def shown(url: URL) -> str:
    """A URL as messages show it: the password hidden."""
    return url.render_as_string(hide_password=True)


@dataclass
class Pull:
    """What a pull fetched."""

    url: str  # password hidden
    rows: int
    columns: list[str]


def _read_only(conn: Connection, dialect: str) -> None:
    statements = {
        "postgresql": "SET TRANSACTION READ ONLY",
        "mysql": "SET SESSION TRANSACTION READ ONLY",
        "mariadb": "SET SESSION TRANSACTION READ ONLY",
    }
    sql = statements.get(dialect)
    if sql:
        conn.execute(text(sql))


def pull_to_csv(
    url: str,
    query: str,
    dest: Path,
    *,
    password: str | None = None,
    batch: int = BATCH,
    on_batch: Callable[[int], None] | None = None,
) -> Pull:
    """Run ``query`` on ``url`` and write its rows to ``dest`` (CSV, header = the query's
    column names), ``batch`` rows at a time; only this batch is ever in memory."""
    body = check_select(query)
    parsed, secrets = source_url(url, password)
    try:
        source = create_engine(parsed, pool_pre_ping=False)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise SqlSourceError(
            f"no driver for {parsed.drivername} ({exc}); for MySQL/MariaDB install "
            "salesops[mysql] (pymysql)"
        ) from None
    count = 0
    try:
        with source.connect() as conn:
            dialect = conn.dialect.name
            if dialect == "mysql" or dialect == "mariadb":
                _read_only(conn, dialect)
                conn.commit()
            with conn.begin():
                if dialect == "postgresql":
                    _read_only(conn, dialect)
                result = conn.execution_options(stream_results=True, max_row_buffer=batch).execute(
                    text(body)
                )
                columns = [str(c) for c in list(result.keys())]
                with dest.open("w", encoding="utf-8", newline="") as fh:
                    writer = csv.writer(fh)
                    writer.writerow(csv_row(columns))
                    while chunk := result.fetchmany(batch):
                        for row in chunk:
                            writer.writerow(csv_row([_cell(v) for v in row]))
                        count += len(chunk)
                        if on_batch:
                            on_batch(count)
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise SqlSourceError(f"{shown(parsed)}: {redact(detail, *secrets)}") from None
    finally:
        source.dispose()
    return Pull(shown(parsed), count, columns)


def _cell(value: object) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value).decode("utf-8", errors="replace")
    found = cell_text(value)
    return "" if found is None else found


def import_from_sql(
    engine: Engine,
    entity: str,
    url: str,
    query: str,
    mapping: Mapping | Path | None = None,
    *,
    password: str | None = None,
    overrides: list[str] | None = None,
    dry_run: bool = False,
    actor: Actor | str = "cli",
    name: str = "query",
) -> tuple[ImportReport, Pull | None]:
    """Pull ``query`` from ``url`` and import its rows into ``entity`` (one transaction).

    A pull that cannot run raises :class:`SqlSourceError`; the import's own errors are in the
    report, as for a file (the file is named ``<name>.csv``: rows are the query's rows + 1,
    the header being row 1)."""
    folder = Path(tempfile.mkdtemp(prefix="salesops-sql-"))
    try:
        dest = folder / f"{name}.csv"
        pull = pull_to_csv(url, query, dest, password=password)
        if pull.rows == 0:
            report = ImportReport(entity=entity, file=str(dest), status="ok")
            return report, pull
        report = import_file(
            engine,
            entity,
            dest,
            mapping,
            overrides=overrides or [],
            dry_run=dry_run,
            actor=actor,
        )
        report.file = f"{name}.csv"
        return report, pull
    finally:
        shutil.rmtree(folder, ignore_errors=True)
