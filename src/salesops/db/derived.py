"""Derived structures kept exact by every writer, in the writer's own transaction.

* ``order_header``: one row per ``order_no`` (order count, AOV and customers without a
  ``count(distinct order_no)`` over millions of lines);
* ``order_line.order_id``: the integer link from a line to its header;
* ``order_line_month``: order lines summed per month, status, region, rep, product, channel
  and whether the cost is known (revenue and margin without scanning every line);
* ``order_header_month``: normal orders counted per month, customer, rep, region and channel
  (customer and order counts, repeat and retained customers without every order header);
* ``customer.first_order_on / last_order_on``: over normal lines, for every customer an order's
  lines name (new customers, lifecycle, RFM without scanning all history);
* ``opportunity_change.seq / next_at``: each change's rank among its opportunity's changes of
  the same field and the time of the next one (a field's value as of any date, the stage
  stays of the funnel, without a window over the whole history — measured: the window was
  the largest single cost of the stuck-deal and funnel statements);
* ``opportunity_month_end``: the open pipeline at every past month end (stocks by month
  without replaying the history at each date);
* ``opportunity_stage_stay``: every ended stay in a stage with its length (time in stage);
* ``payment_month``: payments summed per due month, paid month, rep and region (the collection
  rate of whole months without reading every payment);
* ``payment_open``: the payments never settled in full (overdue amounts today without reading
  every payment);
* ``payment_month_end``: the receivables overdue at every past month end per customer, rep and
  region (overdue receivables by month without joining every payment with every date);
* ``data_version``: bumped on every write, the metrics cache keys on it.

The SQL is plain ANSI ``UPDATE ... FROM`` and ``INSERT ... SELECT`` that DuckDB and
PostgreSQL both run. Call :func:`refresh_after_write` once at the end of an import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, text

from salesops.config import local_today

_HEADER_AGG = """
    SELECT order_no,
           min(order_date) AS order_date,
           min(customer_id) AS customer_id,
           min(rep_id) AS rep_id,
           min(region_id) AS region_id,
           min(channel) AS channel,
           sum(CASE WHEN status = 'normal' THEN amount END) AS amount,
           sum(CASE WHEN status = 'normal' THEN cost END) AS cost,
           sum(CASE WHEN status = 'normal' THEN 1 ELSE 0 END) AS normal_lines,
           count(*) AS lines,
           CASE WHEN min(CASE WHEN status = 'normal' THEN customer_id END)
                     < max(CASE WHEN status = 'normal' THEN customer_id END)
                THEN TRUE END AS shared
    FROM order_line
    {where}
    GROUP BY order_no
"""


#: The order aggregate of :func:`refresh_order_headers`, kept for one call (DuckDB).
_AGG = "_order_header_agg"


def refresh_order_headers(conn: Connection, touched_table: str | None = None) -> None:
    """Bring ``order_header`` and ``order_line.order_id`` in line with the order lines.

    Only headers whose aggregates changed are rewritten: on DuckDB an UPDATE is a delete and
    insert, so rewriting 300 k unchanged headers costs seconds (measured: 7.6 s).

    ``touched_table`` names a (temporary) table with an ``order_no`` column listing the orders
    a write touched; None refreshes every order. The name is ours, never user input.
    """
    where = ""
    if touched_table:
        where = f"WHERE order_no IN (SELECT order_no FROM {touched_table})"  # noqa: S608
    agg = _HEADER_AGG.format(where=where)
    kept = conn.dialect.name == "duckdb"
    if kept:
        # The update and the insert below read the same aggregate: on DuckDB it is computed
        # once (a million new lines: one grouping instead of two). PostgreSQL keeps the
        # subquery, whose estimates its planner needs (a fresh temporary table has none).
        conn.execute(text(f"DROP TABLE IF EXISTS {_AGG}"))
        conn.execute(text(f"CREATE TEMPORARY TABLE {_AGG} AS {agg}"))
        agg = f"SELECT * FROM {_AGG}"  # noqa: S608
    conn.execute(
        text(
            f"""
            UPDATE order_header SET
                order_date = a.order_date, customer_id = a.customer_id, rep_id = a.rep_id,
                region_id = a.region_id, channel = a.channel, amount = a.amount, cost = a.cost,
                normal_lines = a.normal_lines, lines = a.lines, shared = a.shared
            FROM ({agg}) AS a
            WHERE order_header.order_no = a.order_no
              AND (order_header.order_date IS DISTINCT FROM a.order_date
                   OR order_header.customer_id IS DISTINCT FROM a.customer_id
                   OR order_header.rep_id IS DISTINCT FROM a.rep_id
                   OR order_header.region_id IS DISTINCT FROM a.region_id
                   OR order_header.channel IS DISTINCT FROM a.channel
                   OR order_header.amount IS DISTINCT FROM a.amount
                   OR order_header.cost IS DISTINCT FROM a.cost
                   OR order_header.normal_lines <> a.normal_lines
                   OR order_header.lines <> a.lines
                   OR order_header.shared IS DISTINCT FROM a.shared)
            """  # noqa: S608 - only our own table names are formatted in
        )
    )
    conn.execute(
        text(
            f"""
            INSERT INTO order_header (order_no, order_date, customer_id, rep_id, region_id,
                                      channel, amount, cost, normal_lines, lines, shared)
            SELECT a.order_no, a.order_date, a.customer_id, a.rep_id, a.region_id, a.channel,
                   a.amount, a.cost, a.normal_lines, a.lines, a.shared
            FROM ({agg}) AS a
            WHERE NOT EXISTS (SELECT 1 FROM order_header h WHERE h.order_no = a.order_no)
            """  # noqa: S608
        )
    )
    if kept:
        conn.execute(text(f"DROP TABLE {_AGG}"))
    conn.execute(
        text(
            """
            UPDATE order_line SET order_id = h.id
            FROM order_header AS h
            WHERE order_line.order_no = h.order_no
              AND (order_line.order_id IS NULL OR order_line.order_id <> h.id)
            """
        )
    )


def month_of(column: str) -> str:
    """SQL for the first day of the month of the date ``column`` (both databases; the cast to
    TIMESTAMP keeps PostgreSQL from truncating in the session's time zone)."""
    return f"CAST(date_trunc('month', CAST({column} AS TIMESTAMP)) AS DATE)"


_MONTH_INSERT = """
    INSERT INTO order_line_month (order_date, status, region_id, rep_id, product_id, channel,
                                  cost_known, amount, cost, lines)
    SELECT {month}, status, region_id, rep_id, product_id, channel, cost IS NOT NULL,
           sum(amount), sum(cost), count(*)
    FROM order_line
    {where}
    GROUP BY {month}, status, region_id, rep_id, product_id, channel, cost IS NOT NULL
    ORDER BY 1
"""


def _month_ranges(months: Sequence[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Runs of consecutive months as [first day, first day after the run)."""
    out: list[tuple[dt.date, dt.date]] = []
    for m in sorted(set(months)):
        after = dt.date(m.year + m.month // 12, m.month % 12 + 1, 1)
        if out and out[-1][1] == m:
            out[-1] = (out[-1][0], after)
        else:
            out.append((m, after))
    return out


def refresh_order_line_month(conn: Connection, months_table: str | None = None) -> None:
    """Bring ``order_line_month`` in line with the order lines.

    ``months_table`` names a (temporary) table with a ``month`` column (first days, see
    :func:`month_of`) listing every month a write may have changed: for a line that changed,
    the months of its date before *and* after the write (a line moved from March to April
    changes both), for a new line its month. Those months are deleted and summed again from
    ``order_line``; None rebuilds every month. The name is ours, never user input.

    Rewriting whole months is simple and exact; a month is a few hundred thousand lines at
    most, and the date ranges let PostgreSQL's index and DuckDB's zone maps skip the rest.
    """
    if months_table is None:
        conn.execute(text("DELETE FROM order_line_month"))
        conn.execute(text(_MONTH_INSERT.format(month=month_of("order_date"), where="")))
        return
    months = conn.execute(
        text(f"SELECT DISTINCT month FROM {months_table} WHERE month IS NOT NULL")  # noqa: S608
    ).scalars()
    ranges = _month_ranges(list(months))
    if not ranges:
        return
    cond, params = _ranges_condition(ranges)
    where = f"WHERE {cond}"
    conn.execute(text(f"DELETE FROM order_line_month {where}"), params)  # noqa: S608
    insert = _MONTH_INSERT.format(month=month_of("order_date"), where=where)
    conn.execute(text(insert), params)


def _ranges_condition(ranges: list[tuple[dt.date, dt.date]]) -> tuple[str, dict[str, dt.date]]:
    """SQL matching ``order_date`` in any of the half-open ``ranges``, and its parameters."""
    params: dict[str, dt.date] = {}
    conds = []
    for i, (lo, hi) in enumerate(ranges):
        params[f"lo{i}"], params[f"hi{i}"] = lo, hi
        conds.append(f"(order_date >= :lo{i} AND order_date < :hi{i})")
    return " OR ".join(conds), params


_HEADER_MONTH_INSERT = """
    INSERT INTO order_header_month (order_date, customer_id, rep_id, region_id, channel,
                                    orders, normal_lines)
    SELECT {month}, customer_id, rep_id, region_id, channel, count(*), sum(normal_lines)
    FROM order_header
    WHERE normal_lines > 0 AND order_date IS NOT NULL {where}
    GROUP BY {month}, customer_id, rep_id, region_id, channel
    ORDER BY 1
"""


def header_months(conn: Connection, orders_table: str) -> set[dt.date]:
    """The months of the order headers of the orders ``orders_table`` lists (a temporary table
    with an ``order_no`` column; our own name, never user input)."""
    found = conn.execute(
        text(
            f"SELECT DISTINCT {month_of('order_date')} FROM order_header "  # noqa: S608
            f"WHERE order_no IN (SELECT order_no FROM {orders_table}) AND order_date IS NOT NULL"
        )
    ).scalars()
    return set(found)


def refresh_order_header_month(conn: Connection, months: set[dt.date] | None = None) -> None:
    """Bring ``order_header_month`` in line with the order headers: the given months (first
    days), or every month (None).

    A write changes the months its orders' headers were in before it and are in after it (a
    header is dated by its earliest line, so a new or moved line can move it; a line's
    status changes whether its order counts): the caller collects both with
    :func:`header_months`, before and after :func:`refresh_order_headers`.
    """
    month = month_of("order_date")
    if months is None:
        conn.execute(text("DELETE FROM order_header_month"))
        conn.execute(text(_HEADER_MONTH_INSERT.format(month=month, where="")))
        return
    ranges = _month_ranges(list(months))
    if not ranges:
        return
    where, params = _ranges_condition(ranges)
    conn.execute(text(f"DELETE FROM order_header_month WHERE {where}"), params)  # noqa: S608
    insert = _HEADER_MONTH_INSERT.format(month=month, where=f"AND ({where})")
    conn.execute(text(insert), params)


def refresh_customer_order_dates(conn: Connection) -> None:
    """Recompute each customer's first and last normal order date.

    Every customer with a normal line counts, also the second customer of an order whose
    lines name two (``order_header.shared``): their dates come from the lines of those few
    orders, everyone else's from the headers.
    """
    conn.execute(
        text(
            """
            UPDATE customer SET first_order_on = a.first_on, last_order_on = a.last_on
            FROM (
                SELECT c.id AS customer_id, min(o.order_date) AS first_on,
                       max(o.order_date) AS last_on
                FROM customer AS c
                LEFT JOIN (
                    SELECT customer_id, order_date FROM order_header
                    WHERE normal_lines > 0 AND shared IS NULL
                    UNION ALL
                    SELECT l.customer_id, l.order_date
                    FROM order_line AS l JOIN order_header AS h ON h.id = l.order_id
                    WHERE h.shared AND l.status = 'normal'
                ) AS o ON o.customer_id = c.id
                GROUP BY c.id
            ) AS a
            WHERE customer.id = a.customer_id
              AND (customer.first_order_on IS DISTINCT FROM a.first_on
                   OR customer.last_order_on IS DISTINCT FROM a.last_on)
            """
        )
    )


def refresh_change_sequence(conn: Connection, touched_table: str | None = None) -> None:
    """Bring ``opportunity_change.seq`` and ``next_at`` in line with the history.

    ``touched_table`` names a (temporary) table with an ``opportunity_id`` column listing the
    opportunities whose history a write changed (every change of such an opportunity is
    re-ranked, the others are left alone); None re-ranks everything. Only rows whose values
    change are written (an UPDATE is a delete and insert on DuckDB).
    """
    where = ""
    if touched_table:
        where = f"WHERE opportunity_id IN (SELECT opportunity_id FROM {touched_table})"  # noqa: S608
    conn.execute(
        text(
            f"""
            UPDATE opportunity_change SET seq = w.seq, next_at = w.next_at
            FROM (
                SELECT id,
                       row_number() OVER (PARTITION BY opportunity_id, field
                                          ORDER BY changed_at, id) AS seq,
                       lead(changed_at) OVER (PARTITION BY opportunity_id, field
                                              ORDER BY changed_at, id) AS next_at
                FROM opportunity_change
                {where}
            ) AS w
            WHERE opportunity_change.id = w.id
              AND (opportunity_change.seq IS DISTINCT FROM w.seq
                   OR opportunity_change.next_at IS DISTINCT FROM w.next_at)
            """  # noqa: S608 - only our own table names are formatted in
        )
    )


def _ids_in(table: str, column: str) -> Any:
    """``SELECT <column> FROM <table>``: the ids a writer's (temporary) table lists."""
    from sqlalchemy import column as column_
    from sqlalchemy import select
    from sqlalchemy import table as table_

    return select(column_(column)).select_from(table_(table))


def _month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    """The last days of the months from ``first``'s to ``last``'s (inclusive)."""
    out = []
    month = first.replace(day=1)
    while month <= last:
        after = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        end = after - dt.timedelta(days=1)
        if end <= last:
            out.append(end)
        month = after
    return out


def _in_years(days: list[dt.date]) -> Iterator[tuple[list[dt.date], Any]]:
    """``days`` a year at a time (bounds a statement's memory), each with a table of them
    (one ``as_of`` column) to join with."""
    from sqlalchemy import Date, cast, literal, select, union_all

    for i in range(0, len(days), 12):
        chunk = days[i : i + 12]
        rows = [select(cast(literal(d, Date), Date).label("as_of")) for d in chunk]
        yield chunk, (union_all(*rows) if len(rows) > 1 else rows[0]).subquery("month_ends")


def refresh_month_ends(
    conn: Connection, touched_table: str | None = None, today: dt.date | None = None
) -> None:
    """Bring ``opportunity_month_end`` in line with the opportunities and their history.

    The table covers every month end from the first month with an opportunity (or a change)
    to the last month that ended before ``today`` (default: today in the configured time zone);
    :class:`~salesops.db.schema.OpportunityMonthEndCover` lists them. ``touched_table`` names a
    (temporary) table with an ``opportunity_id`` column listing the opportunities a write
    changed or added (their rows or their history): those are computed again at every month
    end, and month ends that have passed since the last refresh are computed for everyone.
    None recomputes everything. The states come from
    :func:`salesops.metrics.history.month_end_states`, the very SQL the history path of a
    stock runs, so the two agree by construction.
    """
    from sqlalchemy import delete, insert, select

    from salesops.db.schema import OpportunityMonthEnd, OpportunityMonthEndCover
    from salesops.metrics.history import month_end_states

    today = today or local_today()
    first = conn.execute(
        text(
            "SELECT least((SELECT min(created_on) FROM opportunity), "
            "(SELECT CAST(min(changed_at) AS DATE) FROM opportunity_change))"
        )
    ).scalar()
    wanted = _month_ends(first, today.replace(day=1) - dt.timedelta(days=1)) if first else []
    Snap, Cover = OpportunityMonthEnd, OpportunityMonthEndCover
    had = set(conn.execute(select(Cover.as_of)).scalars()) if touched_table else set()
    kept = [d for d in wanted if d in had]
    new = [d for d in wanted if d not in had] if touched_table else wanted
    gone = had - set(wanted)

    def fill(days: list[dt.date], among: Any = None) -> None:
        for _, dates in _in_years(days):
            states = month_end_states(dates, among)
            conn.execute(insert(Snap).from_select(list(states.selected_columns.keys()), states))

    if touched_table is None:
        conn.execute(delete(Snap))
        conn.execute(delete(Cover))
    else:
        if gone:
            conn.execute(delete(Snap).where(Snap.as_of.in_(gone)))
            conn.execute(delete(Cover).where(Cover.as_of.in_(gone)))
        if kept:
            touched = _ids_in(touched_table, "opportunity_id")
            conn.execute(delete(Snap).where(Snap.opportunity_id.in_(touched), Snap.as_of.in_(kept)))
            fill(kept, touched)
    fill(new)
    if new:
        conn.execute(insert(Cover), [{"as_of": d} for d in new])


def add_passed_month_ends(conn: Connection, today: dt.date | None = None) -> int:
    """Add the month ends that have passed since the last write to ``opportunity_month_end``
    (every opportunity's state then) and ``payment_month_end``; nothing else is touched, so no
    answer changes and the data version stays. A long-running server calls this at start;
    returns how many month ends were added to the pipeline."""
    count = text("SELECT count(*) FROM opportunity_month_end_cover")
    before = int(conn.execute(count).scalar_one())
    if conn.execute(text("SELECT count(*) FROM payment_month_end_cover")).scalar_one():
        refresh_payment_month_ends(conn, today, passed_only=True)
    if not before:
        return 0  # never filled (or no opportunities): the next write fills it
    conn.execute(text("CREATE TEMPORARY TABLE _no_opps (opportunity_id INTEGER)"))
    try:
        refresh_month_ends(conn, "_no_opps", today)
    finally:
        conn.execute(text("DROP TABLE _no_opps"))
    return int(conn.execute(count).scalar_one()) - before


def month_end_of(column: str) -> str:
    """SQL for the last day of the month of the date ``column`` (both databases)."""
    first = f"date_trunc('month', CAST({column} AS TIMESTAMP))"
    return f"CAST({first} + INTERVAL '1 month' - INTERVAL '1 day' AS DATE)"


_PAYMENT_MONTH_INSERT = """
    INSERT INTO payment_month (due_date, paid_date, rep_id, region_id, due_amount, paid_amount)
    SELECT {due}, {paid}, rep_id, region_id, sum(due_amount), sum(paid_amount)
    FROM payment
    WHERE due_date IS NOT NULL
    GROUP BY {due}, {paid}, rep_id, region_id
    ORDER BY 1
"""


def refresh_payment_months(conn: Connection) -> None:
    """Recompute ``payment_month`` (payments summed per due month, paid month, rep and region)
    from the payments. A payment import rewrites it whole: at ``large`` 3.9 M payments summed
    into 0.33 M rows in 1.4 s, at ``medium`` 0.13 s (DuckDB)."""
    conn.execute(text("DELETE FROM payment_month"))
    sql = _PAYMENT_MONTH_INSERT.format(due=month_of("due_date"), paid=month_end_of("paid_date"))
    conn.execute(text(sql))


def refresh_open_payments(conn: Connection) -> None:
    """Recompute ``payment_open``: a copy of the payments never settled in full
    (:func:`salesops.metrics.compiler.stocks.never_settled`, the overdue query's own test). A
    payment import rewrites it whole (at ``large``: 0.48 M of 3.9 M payments, 1.7 s; at
    ``medium`` 0.3 s on DuckDB)."""
    from sqlalchemy import delete, insert, select

    from salesops.db.schema import Payment, PaymentOpen
    from salesops.metrics.compiler.stocks import never_settled

    pay = Payment.__table__
    conn.execute(delete(PaymentOpen))
    names = [c.name for c in pay.c]
    conn.execute(insert(PaymentOpen).from_select(names, select(*pay.c).where(never_settled(pay))))


def refresh_payment_month_ends(
    conn: Connection, today: dt.date | None = None, *, passed_only: bool = False
) -> int:
    """Bring ``payment_month_end`` in line with the payments; returns how many month ends
    were computed.

    The table covers every month end from the month of the first due date to the last month
    that ended before ``today`` (default: today in the configured time zone);
    :class:`~salesops.db.schema.PaymentMonthEndCover` lists them. Everything is recomputed
    (a payment's row decides its amount at every month end after its due date), unless
    ``passed_only``: then only month ends that have passed since the last refresh are added
    (the payments did not change). The rows come from
    :func:`salesops.metrics.compiler.stocks.payment_month_end_rows`, the overdue measure's
    own SQL, so the table and the payments agree by construction.
    """
    from sqlalchemy import delete, insert, select

    from salesops.db.schema import PaymentMonthEnd, PaymentMonthEndCover
    from salesops.metrics.compiler.stocks import payment_month_end_rows

    today = today or local_today()
    first = conn.execute(text("SELECT min(due_date) FROM payment")).scalar()
    wanted = _month_ends(first, today.replace(day=1) - dt.timedelta(days=1)) if first else []
    Kept, Cover = PaymentMonthEnd, PaymentMonthEndCover
    if passed_only:
        had = set(conn.execute(select(Cover.as_of)).scalars())
        wanted = [d for d in wanted if d not in had]
    else:
        conn.execute(delete(Kept))
        conn.execute(delete(Cover))
    for days, dates in _in_years(wanted):
        found = payment_month_end_rows(dates, days)
        conn.execute(insert(Kept).from_select(list(found.selected_columns.keys()), found))
    if wanted:
        conn.execute(insert(Cover), [{"as_of": d} for d in wanted])
    return len(wanted)


#: Opportunity columns ``opportunity_stage_stay`` carries (what dimensions, filters, the data
#: scope and the closing-stage test read), under the same names.
STAY_COPIES = ("owner_id", "region_id", "customer_id", "product_id", "pipeline",
               "source_channel", "competitor", "lost_reason")  # fmt: skip


def refresh_stage_stays(conn: Connection, touched_table: str | None = None) -> None:
    """Bring ``opportunity_stage_stay`` in line with the opportunities and their history.

    ``touched_table`` names a (temporary) table with an ``opportunity_id`` column listing the
    opportunities a write changed or added: their stays are written again; None rewrites all.
    The rows are :func:`salesops.metrics.history.stage_entries` with an end, the SQL time in
    stage read from history before this table existed.
    """
    from sqlalchemy import Date, cast, delete, func, insert, select

    from salesops.db.schema import Opportunity, OpportunityStageStay
    from salesops.metrics.dialects import seconds_between
    from salesops.metrics.history import stage_entries

    among: Any = None
    if touched_table is None:
        conn.execute(delete(OpportunityStageStay))
    else:
        among = _ids_in(touched_table, "opportunity_id")
        conn.execute(
            delete(OpportunityStageStay).where(OpportunityStageStay.opportunity_id.in_(among))
        )
    entries = stage_entries(among=among).subquery("entries")
    ended_at = func.coalesce(entries.c.left_at, entries.c.closed_at)
    opp = Opportunity.__table__
    copied = [opp.c[n] for n in STAY_COPIES]
    stays = (
        select(
            entries.c.opportunity_id,
            entries.c.stage,
            entries.c.entered_at,
            cast(ended_at, Date).label("left_on"),
            (seconds_between(entries.c.entered_at, ended_at) / 86400.0).label("days"),
            *copied,
        )
        .select_from(entries.join(opp, opp.c.id == entries.c.opportunity_id))
        .where(ended_at.is_not(None))
    )
    names = ["opportunity_id", "stage", "entered_at", "left_on", "days", *STAY_COPIES]
    conn.execute(insert(OpportunityStageStay).from_select(names, stays))


def refresh_visit_conversions(conn: Connection, customers_table: str | None = None) -> None:
    """Bring ``visit_conversion`` in line with the visits, won deals and orders.

    ``customers_table`` names a (temporary) table with a ``customer_id`` column listing the
    customers whose visits, deals or orders a write changed — for a row that moved from one
    customer to another, both: their visits are written again; None rewrites all. The rows
    are :func:`salesops.metrics.compiler.visits.visit_conversion_rows`.
    """
    from sqlalchemy import delete, insert

    from salesops.db.schema import VisitConversion
    from salesops.metrics.compiler.visits import visit_conversion_rows

    among: Any = None
    if customers_table is None:
        conn.execute(delete(VisitConversion))
    else:
        among = _ids_in(customers_table, "customer_id")
        conn.execute(delete(VisitConversion).where(VisitConversion.customer_id.in_(among)))
    rows = visit_conversion_rows(among)
    conn.execute(insert(VisitConversion).from_select(list(rows.selected_columns.keys()), rows))


def bump_data_version(conn: Connection) -> int:
    """Increment the data version (the metrics cache key) and return the new value."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    updated = conn.execute(
        text("UPDATE data_version SET version = version + 1, changed_at = :now WHERE id = 1"),
        {"now": now},
    ).rowcount
    if not updated:
        conn.execute(
            text("INSERT INTO data_version (id, version, changed_at) VALUES (1, 1, :now)"),
            {"now": now},
        )
    return int(conn.execute(text("SELECT version FROM data_version WHERE id = 1")).scalar_one())


def data_version(conn: Connection) -> int:
    """The current data version (0 for a database nothing was written to)."""
    value = conn.execute(text("SELECT max(version) FROM data_version")).scalar()
    return int(value or 0)


def refresh_after_write(
    conn: Connection,
    *,
    orders_touched: str | None = None,
    months_touched: str | None = None,
    orders_changed: bool = True,
    history_touched: str | None = None,
    history_changed: bool = True,
    customers_touched: str | None = None,
    visits_changed: bool = True,
    payments_changed: bool = True,
) -> int:
    """Refresh every derived structure after a write; returns the new data version.

    By default everything is refreshed; a writer that knows what it touched says so
    (``orders_touched`` / ``months_touched`` / ``history_touched`` / ``customers_touched``:
    temporary tables of order numbers, months (see :func:`refresh_order_line_month`),
    opportunity ids and customer ids (see :func:`refresh_visit_conversions`)) or that it left
    orders, history, what decides visit conversion (activities, orders, won deals) or the
    payments alone (``..._changed=False``).
    """
    if orders_changed:
        months = header_months(conn, orders_touched) if orders_touched else None
        refresh_order_headers(conn, orders_touched)
        refresh_order_line_month(conn, months_touched)
        if orders_touched and months is not None:
            months |= header_months(conn, orders_touched)
        refresh_order_header_month(conn, months)
        refresh_customer_order_dates(conn)
    if history_changed:
        refresh_change_sequence(conn, history_touched)
        refresh_month_ends(conn, history_touched)
        refresh_stage_stays(conn, history_touched)
    if visits_changed:
        refresh_visit_conversions(conn, customers_touched)
    if payments_changed:
        refresh_payment_months(conn)
        refresh_open_payments(conn)
        refresh_payment_month_ends(conn)
    return bump_data_version(conn)
