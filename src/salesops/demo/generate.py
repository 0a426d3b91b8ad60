"""Generate the demo company and write it: ``salesops demo-data`` and ``salesops demo``.

:func:`build_frames` is pure (config in, frames out; no database); :func:`generate_demo`
checks the database is empty (or empties it when asked to replace), writes every frame in one
transaction, then keeps the derived data exact: ``order_header`` is written from the same
arrays as the lines, the monthly summary (``order_line_month``) is summed from the lines in
SQL, customers' first/last order dates are refreshed from the headers, the month-end pipeline
(``opportunity_month_end``), the ended stage stays, each visit's conversion day and the overdue
receivables at past month ends (``payment_month_end``) are computed, and the data version is
bumped — what every writer does (``salesops.db.derived``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine, text

from salesops.db.derived import (
    bump_data_version,
    refresh_customer_order_dates,
    refresh_month_ends,
    refresh_open_payments,
    refresh_order_header_month,
    refresh_order_line_month,
    refresh_payment_month_ends,
    refresh_payment_months,
    refresh_stage_stays,
    refresh_visit_conversions,
)
from salesops.demo.catalog import REGIONS
from salesops.demo.config import DemoConfig
from salesops.demo.customers import build_customers
from salesops.demo.deals import build_deals
from salesops.demo.engagement import build_activities, build_feedback
from salesops.demo.frame import Frame
from salesops.demo.history import build_history
from salesops.demo.market import build_market_size, build_marketing
from salesops.demo.news import build_announcements
from salesops.demo.orders import build_orders
from salesops.demo.org import build_org
from salesops.demo.people import write_people
from salesops.demo.receivables import build_payments
from salesops.demo.targets import build_targets
from salesops.demo.timeline import Timeline
from salesops.demo.writer import (
    DATA_TABLES,
    DERIVED_TABLES,
    DemoDataError,
    clear_data,
    non_empty_tables,
    write_frames,
)
from salesops.ingest.progress import NoProgress, ProgressSink

_STEPS = 11


@dataclass
class DemoResult:
    """What was written, and how long it took."""

    counts: dict[str, int]
    generate_seconds: float
    write_seconds: float
    replaced: list[str]
    data_version: int
    #: users whose link to a rep or org unit was removed by a replace
    unlinked_users: int = 0

    @property
    def seconds(self) -> float:
        return self.generate_seconds + self.write_seconds


def build_frames(config: DemoConfig, progress: ProgressSink | None = None) -> list[Frame]:
    """Every table of the demo company, parents first (no database needed)."""
    sink = progress or NoProgress()
    sink.phase("generate", _STEPS)
    timeline = Timeline(config, np.array([r.growth for r in REGIONS[: config.regions]]))
    org = build_org(config, timeline)
    sink.advance()
    cust = build_customers(config, timeline, org)
    sink.advance()
    deals = build_deals(config, timeline, org, cust)
    sink.advance()
    history = build_history(deals, org, timeline)
    sink.advance()
    orders = build_orders(config, timeline, org, cust, deals)
    sink.advance()
    payments = build_payments(config, timeline, cust, orders)
    sink.advance()
    activities = build_activities(config, timeline, org, cust, deals)
    sink.advance()
    feedback = build_feedback(config, timeline, org, cust, orders)
    sink.advance()
    marketing = build_marketing(config, timeline, org)
    market = build_market_size(config, timeline, org, orders)
    sink.advance()
    targets, goals = build_targets(config, timeline, org, deals, orders)
    sink.advance()
    news = build_announcements(config, timeline, org, cust, deals, orders, goals)
    sink.advance()
    by_table = {f.table: f for f in [*org.frames, cust.frame, *deals.frames, history]}
    by_table.update({f.table: f for f in orders.frames})
    for frame in (payments, activities, feedback, marketing, market, targets, news):
        by_table[frame.table] = frame
    return [by_table[t] for t in DATA_TABLES]


def generate_demo(
    engine: Engine,
    config: DemoConfig,
    *,
    replace: bool = False,
    progress: ProgressSink | None = None,
) -> DemoResult:
    """Write the demo company into ``engine``'s (migrated) database.

    Refuses a database that holds data unless ``replace``, which empties the data tables
    first (users are kept, unlinked from reps). Everything happens in one transaction.
    """
    with engine.connect() as conn:
        filled = non_empty_tables(conn)
    if filled and not replace:
        raise DemoDataError(
            f"the database already holds data ({', '.join(filled)}); "
            "use --replace to delete it and write the demo data instead"
        )
    started = time.perf_counter()
    frames = build_frames(config, progress)
    generated = time.perf_counter()
    with engine.begin() as conn:
        unlinked = clear_data(conn) if replace else 0
        counts = write_frames(conn, frames, chunk_rows=config.chunk_rows, progress=progress)
        refresh_order_line_month(conn)
        refresh_order_header_month(conn)
        refresh_customer_order_dates(conn)
        refresh_month_ends(conn, today=config.today)
        refresh_stage_stays(conn)
        refresh_visit_conversions(conn)
        refresh_payment_months(conn)
        refresh_open_payments(conn)
        refresh_payment_month_ends(conn, today=config.today)
        write_people(conn, config.today, config.seed)  # issue #27
        version = bump_data_version(conn)
        if conn.dialect.name == "postgresql":
            for table in (*DATA_TABLES, *DERIVED_TABLES):
                conn.execute(text(f"ANALYZE {table}"))
    if engine.dialect.name == "duckdb":
        with engine.connect() as conn:
            conn.execute(text("CHECKPOINT"))
    return DemoResult(
        counts=counts,
        generate_seconds=generated - started,
        write_seconds=time.perf_counter() - generated,
        replaced=filled,
        data_version=version,
        unlinked_users=unlinked,
    )
