"""Shared pieces of the backup tests: fresh databases, KPIs, table fingerprints."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from salesops.backup import Manifest
from salesops.db.engine import make_engine
from salesops.db.schema import metadata
from salesops.metrics.engine import MetricsEngine
from salesops.metrics.query import MetricQuery
from tests.conftest import PG_URL
from tests.demo.helpers import TODAY, fingerprints

#: KPIs of the overview, in total and by month (the by-month ones read the derived tables)
KPI_QUERIES = [
    MetricQuery(metric="revenue"),
    MetricQuery(metric="orders"),
    MetricQuery(metric="win_rate"),
    MetricQuery(metric="open_pipeline"),
    MetricQuery(metric="overdue_receivables"),
    MetricQuery(metric="collection_rate"),
    MetricQuery(metric="revenue", grain="month"),
    MetricQuery(metric="open_pipeline", grain="month"),
    MetricQuery(metric="overdue_receivables", grain="month"),
    MetricQuery(metric="orders", by=("region",)),
]


def kpis(engine: Engine) -> list[list[dict[str, Any]]]:
    """The overview KPIs of ``engine``'s database as plain rows (a fresh metrics engine)."""
    metrics = MetricsEngine(engine, today=TODAY)
    return [[dict(r) for r in metrics.query(q).rows] for q in KPI_QUERIES]


def checksums(manifest: Manifest) -> dict[str, tuple[int, str]]:
    """Row count and checksum of every table of an archive."""
    return {t.name: (t.rows, t.sha256) for t in manifest.tables}


def same_content(a: Engine, b: Engine) -> None:
    """Every data table of ``a`` and ``b`` holds the same rows (an independent check of the
    archive checksums: values as text, in id order)."""
    assert fingerprints(a) == fingerprints(b)


@contextmanager
def fresh_database(kind: str, tmp_path: Path) -> Iterator[Engine]:
    """A brand-new database of ``kind`` with no schema at all (a new DuckDB file or a new
    PostgreSQL schema), dropped afterwards."""
    if kind == "duckdb":
        engine = make_engine(f"duckdb:///{tmp_path / f'fresh-{uuid.uuid4().hex[:6]}.duckdb'}")
        try:
            yield engine
        finally:
            engine.dispose()
        return
    schema = f"fresh_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def assert_sequences_past_ids(engine: Engine) -> None:
    """Every id sequence hands out an id above the table's largest id."""
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            for column in table.columns:
                seq = getattr(column.default, "name", None)
                if seq is None or not hasattr(column.default, "next_value"):
                    continue
                top = conn.execute(text(f"SELECT max({column.name}) FROM {table.name}")).scalar()  # noqa: S608
                nxt = conn.execute(text(f"SELECT nextval('{seq}')")).scalar()
                assert top is None or nxt > top, (table.name, top, nxt)
