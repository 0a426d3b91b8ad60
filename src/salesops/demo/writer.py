"""Bulk writing of generated frames: id blocks from the sequences, Arrow in, no row-by-row SQL.

* **Ids**: each table's rows get a contiguous block of ids taken from its own sequence
  (DuckDB: ``nextval`` over ``range(n)``; PostgreSQL: ``setval(nextval + n - 1)``), so the
  generator can write references before the database has seen the rows, and a later import
  draws ids after the block — it can never collide with demo ids. A fresh database hands out
  1..n, which makes the rows of a seed identical on every fresh database.
* **DuckDB** scans a registered Arrow table (``INSERT ... SELECT``); **PostgreSQL** gets CSV
  written by Arrow through ``COPY ... FROM STDIN``. Chunks of ``chunk_rows`` rows keep memory
  flat and move the progress bar.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection, text

from salesops.db.bulk import foreign_keys_checked_at_end
from salesops.demo.frame import Frame, to_arrow
from salesops.ingest.progress import NoProgress, ProgressSink

#: every table the demo writes, parents first; ``--replace`` empties them all
DATA_TABLES = (
    "region",
    "org_unit",
    "rep",
    "product",
    "pipeline_stage",
    "customer",
    "opportunity",
    "opportunity_change",
    "lead",
    "order_header",
    "order_line",
    "payment",
    "activity",
    "feedback",
    "marketing_spend",
    "market_size",
    "target",
    "announcement",
)
#: derived tables the demo does not write itself (``salesops.db.derived`` fills them after the
#: frames); ``--replace`` empties them too
DERIVED_TABLES = (
    "order_line_month",
    "order_header_month",
    "opportunity_month_end",
    "opportunity_month_end_cover",
    "opportunity_stage_stay",
    "payment_month_end",
    "payment_month_end_cover",
    "payment_month",
    "payment_open",
    "visit_conversion",
)
#: issue #27: what managers entered about the demo company's people (ratings, coaching,
#: splits, paid statements, proposals); they reference reps and targets, so ``--replace``
#: empties them first. Plans and scorecards are configuration and stay.
PEOPLE_TABLES = (
    "commission_line",
    "commission_statement",
    "deal_split",
    "rep_rating",
    "coaching_entry",
    "target_proposal",
)
#: what the board itself records about the data rows: the feedback loop's history (#25), follow-up
#: tasks and ownership history (#28), fired alerts, their deliveries and the items they have seen
#: (#19), frozen forecasts and forecast calls (#20). ``--replace`` empties them with the rows they
#: are about, children first.
HISTORY_TABLES = (
    "feedback_event",
    "task",
    "customer_owner_history",
    "alert_delivery",
    "alert",
    "alert_item_seen",
    "forecast_call",
    "forecast_snapshot",
)
#: configuration that may be scoped to one org unit or rep: ``--replace`` keeps the company-wide
#: rows and deletes those scoped to a unit or rep that the replacement removes
SCOPED_CONFIG = {
    "alert_rule": ("org_unit_id", "rep_id"),
    "alert_subscription": ("org_unit_id",),
    "wall_link": ("org_unit_id", "rep_id"),
}
#: users stay and lose their link to a rep or unit (:func:`clear_data` says how many)
UNLINKED = {"app_user": ("rep_id", "org_unit_id")}
#: dimensions that tables outside the emptied ones (users, scoped configuration) reference
_REFERENCED_FROM_OUTSIDE = ("rep", "org_unit", "region")


class DemoDataError(Exception):
    """The demo data cannot be written (for example: the database already holds data)."""


def non_empty_tables(conn: Connection) -> list[str]:
    """The data tables that hold at least one row."""
    return [
        table
        for table in DATA_TABLES
        if conn.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None  # noqa: S608
    ]


def emptied_tables() -> tuple[str, ...]:
    """Every table ``--replace`` empties, children before parents."""
    return (*HISTORY_TABLES, *PEOPLE_TABLES, *reversed((*DATA_TABLES, *DERIVED_TABLES)))


def clear_data(conn: Connection) -> int:
    """Empty every data table and what is recorded about its rows; keep users (unlinked from reps
    and units) and company-wide configuration. Returns how many users lost their link."""
    postgres = conn.dialect.name == "postgresql"

    def empty(tables: Sequence[str]) -> None:
        if postgres:  # one TRUNCATE: fast, and the references among the tables are allowed
            conn.execute(text(f"TRUNCATE {', '.join(tables)}"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608

    unlinked = conn.execute(
        text(
            "UPDATE app_user SET rep_id = NULL, org_unit_id = NULL "
            "WHERE rep_id IS NOT NULL OR org_unit_id IS NOT NULL"
        )
    ).rowcount
    # TRUNCATE refuses tables that a table outside the list references (app_user → rep), so
    # the dimensions go last, after the scoped configuration that references them.
    empty([t for t in emptied_tables() if t not in _REFERENCED_FROM_OUTSIDE])
    for table, columns in SCOPED_CONFIG.items():
        scoped = " OR ".join(f"{column} IS NOT NULL" for column in columns)
        conn.execute(text(f"DELETE FROM {table} WHERE {scoped}"))  # noqa: S608
    for table in _REFERENCED_FROM_OUTSIDE:
        conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608
    return max(unlinked, 0)


def reserve_ids(conn: Connection, table: str, n: int) -> int:
    """Take ``n`` consecutive ids from ``table``'s sequence; returns the first."""
    seq = f"{table}_id_seq"
    if n <= 0:
        return 1
    if conn.dialect.name == "postgresql":
        last = conn.execute(
            text("SELECT setval(:seq, nextval(:seq) + :n - 1)"), {"seq": seq, "n": n}
        ).scalar_one()
        return int(last) - n + 1
    low, high, count = conn.execute(
        text(f"SELECT min(v), max(v), count(*) FROM (SELECT nextval('{seq}') AS v FROM range(:n))"),  # noqa: S608
        {"n": n},
    ).one()
    if high - low + 1 != count:  # another writer drew from the sequence at the same time
        raise DemoDataError(f"could not reserve {n} consecutive ids for {table}")
    return int(low)


def write_frames(
    conn: Connection,
    frames: Sequence[Frame],
    *,
    chunk_rows: int = 1_000_000,
    progress: ProgressSink | None = None,
) -> dict[str, int]:
    """Insert every frame (ids reserved first, so references resolve); returns row counts."""
    sink = progress or NoProgress()
    bases = {frame.table: reserve_ids(conn, frame.table, frame.rows) for frame in frames}
    counts: dict[str, int] = {}
    with foreign_keys_checked_at_end(conn, [f.table for f in frames]):
        for frame in frames:
            sink.phase(frame.table, frame.rows)
            for start in range(0, frame.rows, chunk_rows):
                stop = min(start + chunk_rows, frame.rows)
                insert_arrow(conn, frame.table, to_arrow(frame, bases, start, stop))
                sink.advance(stop - start)
            counts[frame.table] = frame.rows
    return counts


def insert_arrow(conn: Connection, table: str, data: pa.Table) -> None:
    """Append ``data`` (columns named like ``table``'s) to ``table`` in one bulk statement."""
    if not data.num_rows:
        return
    columns = ", ".join(data.schema.names)
    raw = conn.connection.driver_connection
    if conn.dialect.name == "duckdb":
        view = f"_demo_{table}"
        raw.register(view, data)  # type: ignore[union-attr]
        try:
            raw.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {view}")  # type: ignore[union-attr]  # noqa: S608
        finally:
            raw.unregister(view)  # type: ignore[union-attr]
        return
    buffer = io.BytesIO()
    pacsv.write_csv(data, buffer, pacsv.WriteOptions(include_header=False))
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy:  # type: ignore[union-attr]
        view_ = memoryview(buffer.getbuffer())
        step = 8 << 20
        for start in range(0, len(view_), step):
            copy.write(view_[start : start + step])
