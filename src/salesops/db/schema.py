"""The one schema (SPEC §3), for DuckDB and PostgreSQL alike.

Conventions, and why:

* Every table has an integer surrogate key from an explicit ``Sequence`` (DuckDB has no SERIAL).
  Facts reference dimensions by these integer keys: joins and group-bys on integers are what
  makes the board fast over millions of rows.
* Records from a source system keep its ``external_id`` (unique per entity), so re-importing
  updates instead of duplicating. Order lines are keyed by ``order_no`` + ``line_no``.
* Money is ``Numeric(20, 4)`` (exact decimals with four places, so a file whose line amounts
  carry discounts to the tenth of a cent sums to its own total); sums of many lines
  ``Numeric(28, 4)``; rates and probabilities ``Numeric(9, 4)``.
* Every fact carries ``region_id``: its *sales region*, resolved by the loader (own region, else
  the rep's, else the customer's). The customer's own geography is ``customer.region_id``.
* ``order_header``, ``order_line_month``, ``order_header_month``, ``payment_month``,
  ``payment_open`` and ``customer.first_order_on / last_order_on`` are derived by the loader
  (``salesops.db.derived``) in the same transaction as every write; nothing else writes them.
* Foreign keys are declared, but DuckDB refuses updates to a *key or unique* column of a
  referenced row, so writers never update ``id`` or ``external_id``.
* Foreign keys exist on PostgreSQL only: DuckDB indexes every foreign-key column and turns an
  UPDATE of an indexed column into delete + insert, which it refuses for any row that another
  row references (a rep moving to another team or region would fail). The loader resolves
  every reference before it writes, so integrity holds either way.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Numeric,
    Sequence,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

MONEY = Numeric(20, 4)
RATE = Numeric(9, 4)
QUANTITY = Numeric(18, 4)
MONEY_SUM = Numeric(28, 4)

naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base; ``Base.metadata`` is the whole schema."""

    metadata = MetaData(naming_convention=naming_convention)


def _pk(table: str, *, big: bool = False) -> Mapped[int]:
    seq = Sequence(f"{table}_id_seq")
    type_ = BigInteger if big else Integer
    return mapped_column(type_, seq, primary_key=True, server_default=seq.next_value())


def _fk(target: str, *, index: bool = False) -> Mapped[int | None]:
    return mapped_column(Integer, ForeignKey(f"{target}.id"), nullable=True, index=index)


def _ref() -> Mapped[int | None]:
    """A reference column of a high-volume fact table; its constraint comes from ``_pg_fks``."""
    return mapped_column(Integer, nullable=True)


def _pg_fks(**refs: str) -> tuple[ForeignKeyConstraint, ...]:
    """Foreign keys declared on PostgreSQL only.

    On DuckDB every foreign-key check on insert is an index probe: measured here, a 1 M-row
    order-line insert takes 2.5 s with them and 0.6 s without. The loader resolves every
    reference before it writes, so integrity holds either way.
    """
    return tuple(
        ForeignKeyConstraint([col], [f"{target}.id"]).ddl_if(dialect="postgresql")
        for col, target in refs.items()
    )


def _pg_index(name: str, *cols: Any) -> Index:
    """An index for PostgreSQL's time-filtered scans; DuckDB's zone maps do that job itself."""
    return Index(name, *cols).ddl_if(dialect="postgresql")


# --------------------------------------------------------------------------- dimensions


class Region(Base):
    """A sales region / geography name (华东, 华南 ...). Created on first mention by imports."""

    __tablename__ = "region"
    id: Mapped[int] = _pk("region")
    name: Mapped[str] = mapped_column(String(100), unique=True)


class OrgUnit(Base):
    """Company, region or team; ``parent_id`` forms the org tree that data scope follows."""

    __tablename__ = "org_unit"
    id: Mapped[int] = _pk("org_unit")
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="team")  # company | region | team
    parent_id: Mapped[int | None] = _fk("org_unit")
    region_id: Mapped[int | None] = _fk("region")


class Rep(Base):
    """A sales person (also a user of the board, linked from ``app_user.rep_id``)."""

    __tablename__ = "rep"
    id: Mapped[int] = _pk("rep")
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    org_unit_id: Mapped[int | None] = _fk("org_unit")
    manager_id: Mapped[int | None] = _fk("rep")
    region_id: Mapped[int | None] = _fk("region")
    hired_on: Mapped[dt.date | None] = mapped_column(Date)
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Product(Base):
    __tablename__ = "product"
    id: Mapped[int] = _pk("product")
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    product_line: Mapped[str | None] = mapped_column(String(100))
    list_price: Mapped[Decimal | None] = mapped_column(MONEY)
    unit_cost: Mapped[Decimal | None] = mapped_column(MONEY)


class Customer(Base):
    __tablename__ = "customer"
    id: Mapped[int] = _pk("customer")
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    industry: Mapped[str | None] = mapped_column(String(100))
    segment: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[str | None] = mapped_column(String(50))  # band such as "100-499", or a number
    region_id: Mapped[int | None] = _fk("region")  # the customer's own geography
    city: Mapped[str | None] = mapped_column(String(100))
    source_channel: Mapped[str | None] = mapped_column(String(100))
    owner_id: Mapped[int | None] = _fk("rep")
    created_on: Mapped[dt.date | None] = mapped_column(Date)
    credit_limit: Mapped[Decimal | None] = mapped_column(MONEY)
    # Derived by the loader from normal order lines; never imported.
    first_order_on: Mapped[dt.date | None] = mapped_column(Date)
    last_order_on: Mapped[dt.date | None] = mapped_column(Date)


class PipelineStage(Base):
    """Stages are data: ordered, with a default win probability and a kind (open/won/lost)."""

    __tablename__ = "pipeline_stage"
    __table_args__ = (UniqueConstraint("pipeline", "name"),)
    id: Mapped[int] = _pk("pipeline_stage")
    pipeline: Mapped[str] = mapped_column(String(100), default="default")
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    probability: Mapped[Decimal | None] = mapped_column(RATE)
    kind: Mapped[str] = mapped_column(String(10), default="open")  # open | won | lost


# --------------------------------------------------------------------------- pipeline facts


class Lead(Base):
    __tablename__ = "lead"
    id: Mapped[int] = _pk("lead")
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    source_channel: Mapped[str | None] = mapped_column(String(100))
    created_on: Mapped[dt.date | None] = mapped_column(Date)
    customer_id: Mapped[int | None] = _fk("customer")
    owner_id: Mapped[int | None] = _fk("rep")
    opportunity_id: Mapped[int | None] = _fk("opportunity")  # the converted opportunity
    status: Mapped[str | None] = mapped_column(String(50))
    region_id: Mapped[int | None] = _fk("region")


class Opportunity(Base):
    __tablename__ = "opportunity"
    __table_args__ = _pg_fks(
        customer_id="customer", owner_id="rep", product_id="product", region_id="region"
    )
    id: Mapped[int] = _pk("opportunity")
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str | None] = mapped_column(String(300))
    customer_id: Mapped[int | None] = _ref()
    owner_id: Mapped[int | None] = _ref()
    product_id: Mapped[int | None] = _ref()
    region_id: Mapped[int | None] = _ref()
    pipeline: Mapped[str] = mapped_column(String(100), default="default")
    source_channel: Mapped[str | None] = mapped_column(String(100))
    stage: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | won | lost
    amount: Mapped[Decimal | None] = mapped_column(MONEY)
    probability: Mapped[Decimal | None] = mapped_column(RATE)  # fraction 0..1
    created_on: Mapped[dt.date | None] = mapped_column(Date)
    expected_close_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    competitor: Mapped[str | None] = mapped_column(String(200))
    lost_reason: Mapped[str | None] = mapped_column(String(300))
    # The CRM's forecast category (commit | best_case | pipeline | omitted), current value only
    # (not tracked in history: forecasts as of a past day use the probability bands).
    forecast_category: Mapped[str | None] = mapped_column(String(20))


class OpportunityChange(Base):
    """History: one row per changed field of an opportunity (SPEC §3 "History is never lost")."""

    __tablename__ = "opportunity_change"
    __table_args__ = _pg_fks(opportunity_id="opportunity")
    id: Mapped[int] = _pk("opportunity_change")
    opportunity_id: Mapped[int] = mapped_column(Integer)
    # stage | status | amount | probability | expected_close_on | owner
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(String(300))
    new_value: Mapped[str | None] = mapped_column(String(300))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC
    source: Mapped[str] = mapped_column(String(20), default="import")  # history | import | api
    # Derived (salesops.db.derived.refresh_change_sequence), never imported: the change's rank
    # among its opportunity's changes of the same field (by time, then id) and the time of the
    # next one, so reading a field "as of" a date needs no window over the whole history.
    seq: Mapped[int | None] = mapped_column(Integer)
    next_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class OpportunityMonthEnd(Base):
    """Derived (``salesops.db.derived.refresh_month_ends``), never imported: every opportunity
    open at the end of a past month, with its tracked fields as they stood then — the month-end
    pipeline a stock KPI by month reads instead of replaying the history at each date.

    The values are those :func:`salesops.metrics.history.opportunity_states_at` gives (that
    function fills the table), except the owner: ``owner_ref`` is the owner's ``external_id``
    from history (NULL when the owner has no history), resolved to a rep when read, so a rep
    imported later is found exactly as it would be from history. The opportunity's columns
    without history that dimensions, filters and the data scope read (current owner,
    customer, region, pipeline, source, ...: :data:`salesops.metrics.history.MONTH_END_COPIES`)
    are copied, so a stock by month needs no join with ``opportunity``: every write that
    changes an opportunity rewrites its rows. Which month ends the table holds is in
    :class:`OpportunityMonthEndCover`.
    """

    __tablename__ = "opportunity_month_end"
    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str | None] = mapped_column(String(10))
    amount: Mapped[Decimal | None] = mapped_column(MONEY)
    probability: Mapped[Decimal | None] = mapped_column(RATE)
    expected_close_on: Mapped[dt.date | None] = mapped_column(Date)
    owner_ref: Mapped[str | None] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(Integer)
    customer_id: Mapped[int | None] = mapped_column(Integer)
    product_id: Mapped[int | None] = mapped_column(Integer)
    region_id: Mapped[int | None] = mapped_column(Integer)
    pipeline: Mapped[str | None] = mapped_column(String(100))
    source_channel: Mapped[str | None] = mapped_column(String(100))
    created_on: Mapped[dt.date | None] = mapped_column(Date)
    competitor: Mapped[str | None] = mapped_column(String(200))
    lost_reason: Mapped[str | None] = mapped_column(String(300))


class OpportunityMonthEndCover(Base):
    """The month ends :class:`OpportunityMonthEnd` holds in full (a contiguous run of past
    month ends; a date not listed is read from history)."""

    __tablename__ = "opportunity_month_end_cover"
    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)


class OpportunityStageStay(Base):
    """Derived (``salesops.db.derived.refresh_stage_stays``), never imported: every stay of an
    opportunity in a stage that has ended — by the next stage change or by the close —, with
    its length: time in stage over a period reads these instead of replaying the history.

    The rows are :func:`salesops.metrics.history.stage_entries` (no cut-off) with an end:
    ``left_on`` is the day the stay ended, ``days`` its length in days (fractional), and the
    opportunity's columns that dimensions, filters and the data scope read (owner, region,
    customer, product, pipeline, source, competitor, lost reason), copied so a query needs
    no join with ``opportunity``: every write that changes an opportunity rewrites its stays.
    Whether the stage is a closing one is decided when read (the pipeline's stages can
    change on their own). The id is a BIGINT because a refresh writes the stays again.
    """

    __tablename__ = "opportunity_stage_stay"
    id: Mapped[int] = _pk("opportunity_stage_stay", big=True)
    opportunity_id: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str | None] = mapped_column(String(300))
    entered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    left_on: Mapped[dt.date] = mapped_column(Date)
    days: Mapped[float | None] = mapped_column(Double)
    owner_id: Mapped[int | None] = _ref()
    region_id: Mapped[int | None] = _ref()
    customer_id: Mapped[int | None] = _ref()
    product_id: Mapped[int | None] = _ref()
    pipeline: Mapped[str | None] = mapped_column(String(100))
    source_channel: Mapped[str | None] = mapped_column(String(100))
    competitor: Mapped[str | None] = mapped_column(String(200))
    lost_reason: Mapped[str | None] = mapped_column(String(300))


# --------------------------------------------------------------------------- revenue facts


class OrderHeader(Base):
    """One row per order_no, derived from its lines by the loader (never imported)."""

    __tablename__ = "order_header"
    __table_args__ = _pg_fks(customer_id="customer", rep_id="rep", region_id="region")
    id: Mapped[int] = _pk("order_header")
    order_no: Mapped[str] = mapped_column(String(100), unique=True)
    order_date: Mapped[dt.date | None] = mapped_column(Date)
    customer_id: Mapped[int | None] = _ref()
    rep_id: Mapped[int | None] = _ref()
    region_id: Mapped[int | None] = _ref()
    channel: Mapped[str | None] = mapped_column(String(100))
    # Over normal lines only; normal_lines = 0 means the whole order was cancelled/returned.
    amount: Mapped[Decimal | None] = mapped_column(MONEY)
    cost: Mapped[Decimal | None] = mapped_column(MONEY)
    normal_lines: Mapped[int] = mapped_column(Integer, default=0)
    lines: Mapped[int] = mapped_column(Integer, default=0)
    # TRUE when the order's normal lines name more than one customer, else NULL. Such an
    # order counts for every one of its customers: customer counts read the lines then.
    shared: Mapped[bool | None] = mapped_column(Boolean)


class OrderLine(Base):
    __tablename__ = "order_line"
    __table_args__ = (
        UniqueConstraint("order_no", "line_no"),
        *_pg_fks(
            order_id="order_header",
            customer_id="customer",
            rep_id="rep",
            product_id="product",
            region_id="region",
        ),
    )
    id: Mapped[int] = _pk("order_line")
    order_id: Mapped[int | None] = _ref()
    order_no: Mapped[str] = mapped_column(String(100))
    line_no: Mapped[int] = mapped_column(Integer, default=1)
    order_date: Mapped[dt.date] = mapped_column(Date)
    customer_id: Mapped[int | None] = _ref()
    rep_id: Mapped[int | None] = _ref()
    product_id: Mapped[int | None] = _ref()
    region_id: Mapped[int | None] = _ref()
    channel: Mapped[str | None] = mapped_column(String(100))
    quantity: Mapped[Decimal | None] = mapped_column(QUANTITY)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    cost: Mapped[Decimal | None] = mapped_column(MONEY)
    status: Mapped[str] = mapped_column(String(20), default="normal")  # normal|cancelled|returned


class OrderLineMonth(Base):
    """Order lines summed per month and key: an exact, much smaller stand-in for ``order_line``
    in sums (revenue, cost, gross profit), derived by every writer (``salesops.db.derived``).

    The columns keep ``order_line``'s names, so a measure's SQL reads the same on either table:
    ``order_date`` is the first day of the month, ``amount`` / ``cost`` are sums. Lines with and
    without a cost are kept in separate rows (``cost_known``), so ``cost IS NOT NULL`` selects
    exactly the costed lines and ``amount - cost`` is the costed lines' gross profit. The id is a
    BIGINT because every refresh of a month writes its rows again with fresh ids.
    """

    __tablename__ = "order_line_month"
    id: Mapped[int] = _pk("order_line_month", big=True)
    order_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    region_id: Mapped[int | None] = _ref()
    rep_id: Mapped[int | None] = _ref()
    product_id: Mapped[int | None] = _ref()
    channel: Mapped[str | None] = mapped_column(String(100))
    cost_known: Mapped[bool] = mapped_column(Boolean)
    # A line's money is Numeric(20, 4); eight more digits hold the sum of many million lines.
    amount: Mapped[Decimal] = mapped_column(MONEY_SUM)
    cost: Mapped[Decimal | None] = mapped_column(MONEY_SUM)
    lines: Mapped[int] = mapped_column(Integer)


class OrderHeaderMonth(Base):
    """Normal orders counted per month, customer, rep, region and channel: an exact, much
    smaller stand-in for ``order_header`` in order and customer counts (orders, active, repeat
    and retained customers), derived by every writer (``salesops.db.derived``).

    The columns keep ``order_header``'s names, so a measure's SQL reads the same on either
    table: ``order_date`` is the first day of the month, ``normal_lines`` a sum. Only orders
    with a normal line are counted (``orders``); every row has ``normal_lines > 0``.
    """

    __tablename__ = "order_header_month"
    id: Mapped[int] = _pk("order_header_month", big=True)
    order_date: Mapped[dt.date] = mapped_column(Date)
    customer_id: Mapped[int | None] = _ref()
    rep_id: Mapped[int | None] = _ref()
    region_id: Mapped[int | None] = _ref()
    channel: Mapped[str | None] = mapped_column(String(100))
    orders: Mapped[int] = mapped_column(Integer)
    normal_lines: Mapped[int] = mapped_column(Integer)


class Payment(Base):
    """A receivable (回款计划) and what was paid against it (回款)."""

    __tablename__ = "payment"
    __table_args__ = _pg_fks(customer_id="customer", rep_id="rep", region_id="region")
    id: Mapped[int] = _pk("payment")
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    customer_id: Mapped[int | None] = _ref()
    rep_id: Mapped[int | None] = _ref()
    region_id: Mapped[int | None] = _ref()
    order_no: Mapped[str | None] = mapped_column(String(100))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    due_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    paid_date: Mapped[dt.date | None] = mapped_column(Date)
    paid_amount: Mapped[Decimal | None] = mapped_column(MONEY)


class PaymentMonth(Base):
    """Derived (``salesops.db.derived.refresh_payment_months``), never imported: payments summed
    per due month, paid month, rep and region — an exact, much smaller stand-in for
    ``payment`` in the collection rate of periods made of whole months.

    The columns keep ``payment``'s names, so the measures' SQL reads the same on either table:
    ``due_date`` is the first day of the due month, ``paid_date`` the *last* day of the month
    paid in (NULL: not paid), the amounts are sums. "Paid by the end of the period" is then
    exact for every period that ends on a month end (the compiler reads the table only then).
    """

    __tablename__ = "payment_month"
    id: Mapped[int] = _pk("payment_month", big=True)
    due_date: Mapped[dt.date] = mapped_column(Date)
    paid_date: Mapped[dt.date | None] = mapped_column(Date)
    rep_id: Mapped[int | None] = _ref()
    region_id: Mapped[int | None] = _ref()
    due_amount: Mapped[Decimal | None] = mapped_column(MONEY_SUM)
    paid_amount: Mapped[Decimal | None] = mapped_column(MONEY_SUM)


class PaymentOpen(Base):
    """Derived (``salesops.db.derived.refresh_open_payments``), never imported: a copy of the
    payments never settled in full (no paid date or amount, or less paid than due) — the only
    payments that can be overdue at a date, besides those paid in full after it. Overdue
    receivables today read these plus the payments paid in full on or after the date instead
    of every payment (``salesops.metrics.compiler.stocks.payments_due_at``).

    Same columns as ``payment``; ``id`` is the payment's.
    """

    __tablename__ = "payment_open"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    external_id: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[int | None] = _ref()
    rep_id: Mapped[int | None] = _ref()
    region_id: Mapped[int | None] = _ref()
    order_no: Mapped[str | None] = mapped_column(String(100))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    due_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    paid_date: Mapped[dt.date | None] = mapped_column(Date)
    paid_amount: Mapped[Decimal | None] = mapped_column(MONEY)


class PaymentMonthEnd(Base):
    """Derived (``salesops.db.derived.refresh_payment_month_ends``), never imported: the
    receivables overdue at the end of every past month, summed per customer, rep and region —
    what overdue receivables by month read instead of joining every payment with every date.

    ``overdue`` is the sum of the outstanding amounts of the payments overdue then (NULL: the
    group had payments due and not yet settled, none of them overdue with an amount), computed
    by the measure's own SQL. Which month ends the table holds is in
    :class:`PaymentMonthEndCover`.
    """

    __tablename__ = "payment_month_end"
    id: Mapped[int] = _pk("payment_month_end", big=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    customer_id: Mapped[int | None] = _ref()
    rep_id: Mapped[int | None] = _ref()
    region_id: Mapped[int | None] = _ref()
    overdue: Mapped[Decimal | None] = mapped_column(MONEY)


class PaymentMonthEndCover(Base):
    """The month ends :class:`PaymentMonthEnd` holds in full (a contiguous run of past month
    ends; a date not listed is computed from the payments)."""

    __tablename__ = "payment_month_end_cover"
    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)


class Activity(Base):
    __tablename__ = "activity"
    __table_args__ = _pg_fks(
        customer_id="customer", rep_id="rep", opportunity_id="opportunity", region_id="region"
    )
    id: Mapped[int] = _pk("activity")
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # visit|call|email|meeting|web_visit|event
    customer_id: Mapped[int | None] = _ref()
    rep_id: Mapped[int | None] = _ref()
    opportunity_id: Mapped[int | None] = _ref()
    region_id: Mapped[int | None] = _ref()
    # Canonical import field "at"; "at" is a reserved word in DuckDB, hence the column name.
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC


class VisitConversion(Base):
    """Derived (``salesops.db.derived.refresh_visit_conversions``), never imported: every visit
    (an activity of kind ``visit`` with a customer) under ``activity``'s column names, with
    ``converts_on``: the first day on or after the visit's (local) day that its customer won a
    deal or placed a normal order, over all of the data (NULL: none since). Visit conversion
    in the full data scope reads these instead of sorting every customer's visits and orders
    (a narrower scope counts only its own deals and orders, and reads those).
    """

    __tablename__ = "visit_conversion"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # activity
    kind: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[int | None] = _ref()
    rep_id: Mapped[int | None] = _ref()
    opportunity_id: Mapped[int | None] = _ref()
    region_id: Mapped[int | None] = _ref()
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime)
    converts_on: Mapped[dt.date | None] = mapped_column(Date)


class Feedback(Base):
    __tablename__ = "feedback"
    id: Mapped[int] = _pk("feedback")
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    customer_id: Mapped[int | None] = _fk("customer")
    rep_id: Mapped[int | None] = _fk("rep")  # the customer's owner when received
    region_id: Mapped[int | None] = _fk("region")
    received_on: Mapped[dt.date | None] = mapped_column(Date)
    channel: Mapped[str | None] = mapped_column(String(100))
    nps: Mapped[int | None] = mapped_column(Integer)  # 0..10
    csat: Mapped[int | None] = mapped_column(Integer)  # 1..5
    category: Mapped[str | None] = mapped_column(String(20))  # functional|emotional|service|other
    priority: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="new")  # new|assigned|resolved|informed
    assignee_id: Mapped[int | None] = _fk("rep")
    text: Mapped[str | None] = mapped_column(Text)
    resolved_on: Mapped[dt.date | None] = mapped_column(Date)
    # The closed loop (issue #25): besides a rep, a signed-in user or a department may own an
    # item; dates of each step, the due date from the SLA of its priority (0013_feedback_loop).
    assignee_user_id: Mapped[int | None] = _fk("app_user")
    assignee_department: Mapped[str | None] = mapped_column(String(100))
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    first_response_on: Mapped[dt.date | None] = mapped_column(Date)
    informed_on: Mapped[dt.date | None] = mapped_column(Date)


class MarketingSpend(Base):
    __tablename__ = "marketing_spend"
    id: Mapped[int] = _pk("marketing_spend")
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    channel: Mapped[str] = mapped_column(String(100))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_grain: Mapped[str] = mapped_column(String(10), default="month")
    amount: Mapped[Decimal] = mapped_column(MONEY)
    region_id: Mapped[int | None] = _fk("region")


class MarketSize(Base):
    __tablename__ = "market_size"
    id: Mapped[int] = _pk("market_size")
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    region_id: Mapped[int | None] = _fk("region")
    product_line: Mapped[str | None] = mapped_column(String(100))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_grain: Mapped[str] = mapped_column(String(10), default="year")
    amount: Mapped[Decimal] = mapped_column(MONEY)
    # Penetration (issue #25): the count of target accounts of a region and industry.
    industry: Mapped[str | None] = mapped_column(String(100))
    accounts: Mapped[int | None] = mapped_column(Integer)


class Target(Base):
    """A target for one KPI, period and scope; ``parent_id`` links a decomposition tree."""

    __tablename__ = "target"
    id: Mapped[int] = _pk("target")
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    metric: Mapped[str] = mapped_column(String(60))
    period_grain: Mapped[str] = mapped_column(String(10))  # year | quarter | month
    period_start: Mapped[dt.date] = mapped_column(Date)
    # company | org_unit | rep | product_line | region
    scope_kind: Mapped[str] = mapped_column(String(20), default="company")
    org_unit_id: Mapped[int | None] = _fk("org_unit")
    rep_id: Mapped[int | None] = _fk("rep")
    region_id: Mapped[int | None] = _fk("region")
    product_line: Mapped[str | None] = mapped_column(String(100))
    value: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    parent_id: Mapped[int | None] = _fk("target")
    # A sales channel (order_line.channel) the target is narrowed to; NULL: the scope's whole
    # quota, which is what attainment, scorecards and commission read (issue #27).
    channel: Mapped[str | None] = mapped_column(String(100))


class Announcement(Base):
    """Goals, values and news shown on the board."""

    __tablename__ = "announcement"
    id: Mapped[int] = _pk("announcement")
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="news")  # goal | value | news
    text_zh: Mapped[str | None] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)


# --------------------------------------------------------------------------- security & ops


class AppUser(Base):
    """A person (or service) who signs in; their role and rep/org unit give their data scope."""

    __tablename__ = "app_user"
    id: Mapped[int] = _pk("app_user")
    username: Mapped[str] = mapped_column(String(100), unique=True)  # the login name
    display_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(10))  # zh_CN | en; None = the browser's
    password_hash: Mapped[str | None] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20), default="viewer")  # see salesops.auth.roles
    rep_id: Mapped[int | None] = _fk("rep")
    org_unit_id: Mapped[int | None] = _fk("org_unit")  # data scope root for managers, viewers
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: sessions started before this are invalid ("sign out everywhere", password reset)
    sessions_valid_after: Mapped[dt.datetime | None] = mapped_column(DateTime)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)


class UserSession(Base):
    """A server-side sign-in session; the cookie carries a random id, the table its hash."""

    __tablename__ = "user_session"
    id: Mapped[int] = _pk("user_session")
    token_hash: Mapped[str] = mapped_column(String(100), unique=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("app_user.id"))
    csrf_token: Mapped[str] = mapped_column(String(100))
    #: ``session``, or ``link``: a one-time sign-in link that becomes a session when opened
    kind: Mapped[str] = mapped_column(String(10), default="session")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)  # absolute expiry
    client: Mapped[str | None] = mapped_column(String(100))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # signed out or replaced


class ApiToken(Base):
    """A bearer token for scripts and integrations; only its hash is kept."""

    __tablename__ = "api_token"
    id: Mapped[int] = _pk("api_token")
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("app_user.id"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(200), unique=True)
    prefix: Mapped[str | None] = mapped_column(String(20))  # shown in lists to tell tokens apart
    read_only: Mapped[bool | None] = mapped_column(Boolean, default=True)  # None: before 0009
    created_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(100))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class WallLink(Base):
    """A kiosk link for a meeting-room screen: the wall only, in one scope, until it expires."""

    __tablename__ = "wall_link"
    id: Mapped[int] = _pk("wall_link")
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(100), unique=True)
    prefix: Mapped[str | None] = mapped_column(String(20))
    scope_kind: Mapped[str] = mapped_column(String(20), default="all")  # all | org_unit | rep
    org_unit_id: Mapped[int | None] = _fk("org_unit")
    rep_id: Mapped[int | None] = _fk("rep")
    query: Mapped[str | None] = mapped_column(String(500))  # the wall's own ?rotate=&refresh=
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(100))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class LoginFailure(Base):
    """One failed sign-in; recent ones per account and per client slow down and lock sign-in."""

    __tablename__ = "login_failure"
    id: Mapped[int] = _pk("login_failure", big=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    client: Mapped[str | None] = mapped_column(String(100), index=True)
    failed_at: Mapped[dt.datetime] = mapped_column(DateTime)


class AuditEvent(Base):
    """Append-only: sign-ins, user and token changes, imports, exports, target changes."""

    __tablename__ = "audit_event"
    id: Mapped[int] = _pk("audit_event")
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = _fk("app_user")
    actor: Mapped[str | None] = mapped_column(String(100))  # login, "cli:OSUSER", "token:NAME"
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str | None] = mapped_column(String(300))
    detail: Mapped[str | None] = mapped_column(Text)  # JSON
    client: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(String(20))  # ok | failed | refused


class ImportRun(Base):
    """One row per import attempt, with its counts (shown on the data page)."""

    __tablename__ = "import_run"
    id: Mapped[int] = _pk("import_run")
    entity: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(500))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="running")  # ok | failed | dry-run
    # issue 18: who ran it and its first errors, for the data page's import history
    actor: Mapped[str | None] = mapped_column(String(100))
    error_sample: Mapped[str | None] = mapped_column(Text)  # JSON: the first errors


class DataVersion(Base):
    """A single counter bumped by every write; the metrics cache keys on it."""

    __tablename__ = "data_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, default=1)
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


# --- issue 18: import from the browser ------------------------------------------------------


class SavedMapping(Base):
    """A column mapping kept by name (the web import page and ``salesops mappings`` share it);
    ``body`` is the mapping's YAML, single-entity or a sheet mapping (``entity`` = "sheet")."""

    __tablename__ = "saved_mapping"
    id: Mapped[int] = _pk("saved_mapping")
    name: Mapped[str] = mapped_column(String(100), unique=True)
    entity: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    headers: Mapped[str | None] = mapped_column(Text)  # JSON: the source columns it reads
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_by: Mapped[str | None] = mapped_column(String(100))


# ------------------------------------------------------------------- issue #21: integration


class ImportSource(Base):
    """A saved source of data: an SQL query on another system's database, a watched folder
    or a webhook sender, with its entity, mapping and schedule (``salesops sources``).
    ``url`` never holds a password; ``secret`` is a reference (``env:VAR``, ``file:PATH``)
    or a sealed value (:mod:`salesops.auth.secretbox`), never the secret in plain text."""

    __tablename__ = "import_source"
    id: Mapped[int] = _pk("import_source")
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # sql | folder | webhook
    entity: Mapped[str] = mapped_column(String(40))  # an entity, or "sheet"
    mapping: Mapped[str | None] = mapped_column(String(100))  # a saved mapping's name
    url: Mapped[str | None] = mapped_column(String(1000))
    query: Mapped[str | None] = mapped_column(Text)
    folder: Mapped[str | None] = mapped_column(String(1000))
    secret: Mapped[str | None] = mapped_column(Text)
    schedule: Mapped[str | None] = mapped_column(String(100))  # "15m", "1h", "1d" or cron
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    next_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # UTC
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_by: Mapped[str | None] = mapped_column(String(100))


class ImportSourceRun(Base):
    """One run of a saved source (a scheduled or manual pull, one file of a folder)."""

    __tablename__ = "import_source_run"
    id: Mapped[int] = _pk("import_source_run")
    source: Mapped[str] = mapped_column(String(100), index=True)
    trigger: Mapped[str] = mapped_column(String(20))  # schedule | manual
    file: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20))  # running | ok | failed
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)  # the first errors, passwords redacted
    import_run_id: Mapped[int | None] = mapped_column(Integer)


class WebhookDelivery(Base):
    """A webhook delivery that was applied: its id (``X-Delivery-Id`` / ``Idempotency-Key``)
    and the answer given, written in the import's own transaction; a redelivery gets the
    same answer and writes nothing."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (UniqueConstraint("sender", "delivery_id"),)
    id: Mapped[int] = _pk("webhook_delivery")
    sender: Mapped[str] = mapped_column(String(100))
    delivery_id: Mapped[str] = mapped_column(String(200))
    entity: Mapped[str] = mapped_column(String(40))
    response: Mapped[str] = mapped_column(Text)  # JSON
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)


class RecordVersion(Base):
    """The ``version`` / ``updated_at`` a webhook record last written carried, per entity and
    ``external_id``: a record arriving late with an older one is skipped
    (:mod:`salesops.integrate.webhook`)."""

    __tablename__ = "record_version"
    entity: Mapped[str] = mapped_column(String(40), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    version: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)


# ------------------------------------------------------------------- issue #28: customer 360


class CustomerOwnerHistory(Base):
    """Who owned a customer when (客户归属历史): one row per ownership period, ``valid_to``
    exclusive, the current period open (NULL). Written by a reassignment
    (``salesops.customers.ownership``) and by a customer import that changes the owner (reason
    ``import``); ``customer.owner_id`` stays the current owner. Revenue
    keeps the rep of its own order (``order_line.rep_id``); this table answers "whose customer
    was it on day D" (:func:`salesops.customers.ownership.owner_as_of`)."""

    __tablename__ = "customer_owner_history"
    __table_args__ = _pg_fks(customer_id="customer", rep_id="rep", changed_by_id="app_user")
    id: Mapped[int] = _pk("customer_owner_history")
    customer_id: Mapped[int] = mapped_column(Integer)
    rep_id: Mapped[int | None] = mapped_column(Integer)  # NULL: no owner in that period
    valid_from: Mapped[dt.date | None] = mapped_column(Date)  # NULL: since the beginning
    valid_to: Mapped[dt.date | None] = mapped_column(Date)  # exclusive; NULL: still current
    reason: Mapped[str | None] = mapped_column(String(300))
    changed_by: Mapped[str | None] = mapped_column(String(100))  # the actor's name
    changed_by_id: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Task(Base):
    """A follow-up task (任务 / 回访), the product's one task model: made by hand, by a task
    rule from a warning (churn, overdue receivable, detractor, stuck deal, care plan), by a
    review (action items, no customer) or by an alert.

    ``source`` says what made it (``manual``, a rule name, ``review``, ``alert``) and
    ``source_ref`` which warning (the rule's key of it); the pair is unique, so a rule run
    twice creates one task per warning, not one per run. The owner is a rep (data scope
    follows ``owner_rep_id``, else the customer's owner) and/or a user (``owner_user_id``).
    """

    __tablename__ = "task"
    __table_args__ = (
        UniqueConstraint("source", "source_ref"),
        *_pg_fks(
            customer_id="customer",
            opportunity_id="opportunity",
            owner_rep_id="rep",
            owner_user_id="app_user",
        ),
    )
    id: Mapped[int] = _pk("task")
    customer_id: Mapped[int | None] = mapped_column(Integer)
    opportunity_id: Mapped[int | None] = mapped_column(Integer)
    owner_rep_id: Mapped[int | None] = mapped_column(Integer)
    owner_user_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default="other")  # see customers.tasks.KINDS
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | done | cancelled
    title: Mapped[str | None] = mapped_column(String(300))
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(40), default="manual")
    source_ref: Mapped[str | None] = mapped_column(String(200))
    created_on: Mapped[dt.date] = mapped_column(Date)  # local day, what KPIs count on
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(100))
    done_on: Mapped[dt.date | None] = mapped_column(Date)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    done_by: Mapped[str | None] = mapped_column(String(100))


class TaskRule(Base):
    """The settings of one task rule (``salesops.customers.rules.RULES`` names them and
    holds the defaults); a rule without a row runs with its defaults."""

    __tablename__ = "task_rule"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    due_days: Mapped[int | None] = mapped_column(Integer)  # task due this many days after
    settings: Mapped[str | None] = mapped_column(Text)  # JSON of the rule's own parameters
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    changed_by: Mapped[str | None] = mapped_column(String(100))


# --------------------------------------------------------------------------- alerts (issue #19)


class AlertRule(Base):
    """A rule that watches the numbers (threshold, change, pacing, stuck deals, churn, ...).

    ``config`` is the kind's JSON settings (see ``salesops.alerts.rules``). ``last_due_at`` is
    the last scheduled time a runner claimed: a runner evaluates a due time only by moving it
    forward in the same transaction that stores the alerts, so two runners never both do."""

    __tablename__ = "alert_rule"
    id: Mapped[int] = _pk("alert_rule")
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    config: Mapped[str] = mapped_column(Text)  # JSON
    severity: Mapped[str] = mapped_column(String(10), default="warning")
    scope_kind: Mapped[str] = mapped_column(String(20), default="all")  # all | org_unit | rep
    org_unit_id: Mapped[int | None] = _fk("org_unit")
    rep_id: Mapped[int | None] = _fk("rep")
    schedule: Mapped[str] = mapped_column(String(100), default="0 8 * * *")  # cron, local time
    quiet_hours: Mapped[str | None] = mapped_column(String(20))  # "22:00-07:00"
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_due_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Alert(Base):
    """One fired alert with its explanation; ``dedup_key`` (rule, scope, period, subject) is
    unique, so the same finding is stored, and sent, once."""

    __tablename__ = "alert"
    id: Mapped[int] = _pk("alert")
    rule_id: Mapped[int] = mapped_column(Integer, ForeignKey("alert_rule.id"), index=True)
    dedup_key: Mapped[str] = mapped_column(String(400), unique=True)
    period: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str | None] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(10))
    #: who may see it: the scope its numbers were computed in (a rep: only their own)
    scope_kind: Mapped[str] = mapped_column(String(20), default="all")
    org_unit_id: Mapped[int | None] = _fk("org_unit")
    rep_id: Mapped[int | None] = _fk("rep")
    value: Mapped[float | None] = mapped_column(Double)
    baseline: Mapped[float | None] = mapped_column(Double)
    explanation: Mapped[str] = mapped_column(Text)  # JSON
    link: Mapped[str | None] = mapped_column(String(1000))
    fired_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | acknowledged
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    snoozed_until: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AlertItemSeen(Base):
    """Items (a deal, a customer, a payment) an entity rule has already alerted on."""

    __tablename__ = "alert_item_seen"
    __table_args__ = (UniqueConstraint("rule_id", "item_key"),)
    id: Mapped[int] = _pk("alert_item_seen", big=True)
    rule_id: Mapped[int] = mapped_column(Integer, ForeignKey("alert_rule.id"))
    item_key: Mapped[str] = mapped_column(String(200))
    alert_id: Mapped[int | None] = mapped_column(Integer)


class AlertChannel(Base):
    """Where alerts go: a DingTalk/WeCom/Feishu robot, a Slack webhook, SMTP, a webhook.

    ``target`` (webhook URL or SMTP password) and ``secret`` (signing key) are sealed
    (``salesops.auth.secretbox``); ``hint`` is what lists show instead of them."""

    __tablename__ = "alert_channel"
    id: Mapped[int] = _pk("alert_channel")
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    target: Mapped[str | None] = mapped_column(Text)
    secret: Mapped[str | None] = mapped_column(Text)
    hint: Mapped[str | None] = mapped_column(String(200))
    settings: Mapped[str | None] = mapped_column(Text)  # JSON, nothing secret
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(100))


class AlertSubscription(Base):
    """A subscriber (everyone, an org unit's subtree, a user, a role's users) on a channel."""

    __tablename__ = "alert_subscription"
    id: Mapped[int] = _pk("alert_subscription")
    channel_id: Mapped[int] = mapped_column(Integer, ForeignKey("alert_channel.id"))
    subscriber_kind: Mapped[str] = mapped_column(String(20))  # all | org_unit | user | role
    user_id: Mapped[int | None] = _fk("app_user")
    org_unit_id: Mapped[int | None] = _fk("org_unit")
    role: Mapped[str | None] = mapped_column(String(20))
    min_severity: Mapped[str] = mapped_column(String(10), default="info")


class AlertDelivery(Base):
    """The outbox: one message of one alert to one channel (and recipient)."""

    __tablename__ = "alert_delivery"
    id: Mapped[int] = _pk("alert_delivery")
    dedup_key: Mapped[str] = mapped_column(String(300), unique=True)
    alert_id: Mapped[int] = mapped_column(Integer, ForeignKey("alert.id"), index=True)
    channel_id: Mapped[int] = mapped_column(Integer, ForeignKey("alert_channel.id"))
    recipient: Mapped[str | None] = mapped_column(String(300))  # e-mail address
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    response_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AlertDeliveryLog(Base):
    """One row per delivery attempt: channel, status, response code, time."""

    __tablename__ = "alert_delivery_log"
    id: Mapped[int] = _pk("alert_delivery_log", big=True)
    delivery_id: Mapped[int] = mapped_column(Integer, index=True)
    channel_id: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer)
    logged_at: Mapped[dt.datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20))  # sent | retry | failed | held
    response_code: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int | None] = mapped_column(Integer)


class AlertRun(Base):
    """One run of the alert runner that did something (evaluated, sent, or failed)."""

    __tablename__ = "alert_run"
    id: Mapped[int] = _pk("alert_run")
    runner: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    rules_evaluated: Mapped[int] = mapped_column(Integer, default=0)
    alerts_fired: Mapped[int] = mapped_column(Integer, default=0)
    messages_sent: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="ok")  # ok | failed
    detail: Mapped[str | None] = mapped_column(Text)


# --------------------------------------------------------------------------- reviews (issue #26)


class ReportArchive(Base):
    """A generated review kept: what it is (kind, period, scope, language), who or what made
    it (``source``: page | api | cli | schedule) and when. Its files are ``report_file`` rows.
    A scheduled run is unique per schedule and due time (the run's second guard)."""

    __tablename__ = "report_archive"
    __table_args__ = (UniqueConstraint("schedule_id", "due_at"),)
    id: Mapped[int] = _pk("report_archive")
    kind: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(20))  # its label: 2026-W48, FY2026-Q2 ...
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    scope_kind: Mapped[str] = mapped_column(String(20))  # all | org_unit | rep (Scope.kind)
    org_unit_id: Mapped[int | None] = mapped_column(Integer)
    rep_id: Mapped[int | None] = mapped_column(Integer)
    scope_name: Mapped[str] = mapped_column(String(200))
    lang: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str | None] = mapped_column(Text)  # JSON list of the summary sentences
    source: Mapped[str] = mapped_column(String(20))
    generated_by: Mapped[str] = mapped_column(String(100))
    schedule_id: Mapped[int | None] = mapped_column(Integer)
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # UTC
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class ReportFile(Base):
    """One rendered file of an archived review, base64 in a text column: the backup package
    archives it like any other table, on DuckDB and PostgreSQL alike."""

    __tablename__ = "report_file"
    id: Mapped[int] = _pk("report_file")
    archive_id: Mapped[int] = mapped_column(Integer, index=True)
    format: Mapped[str] = mapped_column(String(10))  # html | pdf | xlsx | md
    filename: Mapped[str] = mapped_column(String(300))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)  # base64


class ReportSchedule(Base):
    """A review delivered on a cron line (board time zone) to alert channels. ``next_due_at``
    is claimed by one guarded UPDATE; ``running_due_at`` + ``claimed_until`` let another runner
    finish a run whose runner died before it was archived."""

    __tablename__ = "report_schedule"
    id: Mapped[int] = _pk("report_schedule")
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    scope_kind: Mapped[str] = mapped_column(String(20))
    org_unit_id: Mapped[int | None] = mapped_column(Integer)
    rep_id: Mapped[int | None] = mapped_column(Integer)
    scope_name: Mapped[str] = mapped_column(String(200))
    lang: Mapped[str] = mapped_column(String(5))
    formats: Mapped[str] = mapped_column(String(50))  # comma-separated: pdf,xlsx
    fiscal: Mapped[bool] = mapped_column(Boolean, default=False)
    cron: Mapped[str] = mapped_column(String(100))
    recipients: Mapped[str] = mapped_column(Text)  # JSON [{"channel": name, "to": [...]}]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    next_due_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC
    running_due_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ReportDelivery(Base):
    """The reviews' outbox: one archived review to one channel (and recipient), delivered by
    :mod:`salesops.notify.outbox` like an alert (claims, rate limits, unconfirmed)."""

    __tablename__ = "report_delivery"
    id: Mapped[int] = _pk("report_delivery")
    dedup_key: Mapped[str] = mapped_column(String(300), unique=True)
    archive_id: Mapped[int] = mapped_column(Integer, index=True)
    channel_id: Mapped[int] = mapped_column(Integer)
    recipient: Mapped[str | None] = mapped_column(String(300))
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    response_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ReportDeliveryLog(Base):
    """One row per attempt of a review's delivery (counted in the channel's rate limits)."""

    __tablename__ = "report_delivery_log"
    id: Mapped[int] = _pk("report_delivery_log", big=True)
    delivery_id: Mapped[int] = mapped_column(Integer, index=True)
    channel_id: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer)
    logged_at: Mapped[dt.datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20))
    response_code: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int | None] = mapped_column(Integer)


# --------------------------------------------------------------------------- forecasts (issue #20)


class ForecastResult(Base):
    """A computed forecast view (landing or series) as JSON, under a digest of what it was
    computed from (data version, scope, period, day ...): what one server process computed,
    the others show (:mod:`salesops.forecast.service`). Pruned as newer ones come."""

    __tablename__ = "forecast_result"
    id: Mapped[int] = _pk("forecast_result")
    result_key: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # landing | series
    payload: Mapped[str] = mapped_column(Text)
    made_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ForecastSnapshot(Base):
    """A frozen system forecast: stored when made, scored (``actual``) once its period ends.

    ``kind`` is ``landing`` (a period's landing forecast) or ``series`` (one period of a
    time-series forecast); ``series_key`` names the series (``region=East``), empty for the
    scope's total. Forecasts are estimates, kept as floating point, not as exact money."""

    __tablename__ = "forecast_snapshot"
    id: Mapped[int] = _pk("forecast_snapshot")
    made_at: Mapped[dt.datetime] = mapped_column(DateTime)
    as_of: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))  # landing | series
    method: Mapped[str] = mapped_column(String(40))
    metric: Mapped[str] = mapped_column(String(60))
    period_grain: Mapped[str] = mapped_column(String(10))  # year | quarter | month | week
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    scope_kind: Mapped[str] = mapped_column(String(20), default="all")  # all | org_unit | rep
    org_unit_id: Mapped[int | None] = _fk("org_unit")
    rep_id: Mapped[int | None] = _fk("rep")
    series_key: Mapped[str] = mapped_column(String(300), default="")
    expected: Mapped[float] = mapped_column(Double)
    low: Mapped[float | None] = mapped_column(Double)
    high: Mapped[float | None] = mapped_column(Double)
    detail: Mapped[str | None] = mapped_column(Text)  # JSON
    made_by: Mapped[str | None] = mapped_column(String(100))
    actual: Mapped[float | None] = mapped_column(Double)
    scored_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ForecastCall(Base):
    """A forecast call: a rep's commit and best case for a period (``kind`` submitted), or a
    manager's adjustment of a rep's call or of their team's roll-up (``kind`` adjusted). Rows
    are never changed: the latest row per period and rep (or org unit) is the call."""

    __tablename__ = "forecast_call"
    id: Mapped[int] = _pk("forecast_call")
    period_grain: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[dt.date] = mapped_column(Date)
    rep_id: Mapped[int | None] = _fk("rep")
    org_unit_id: Mapped[int | None] = _fk("org_unit")
    kind: Mapped[str] = mapped_column(String(20), default="submitted")  # submitted | adjusted
    commit_amount: Mapped[Decimal] = mapped_column(MONEY)
    best_case_amount: Mapped[Decimal] = mapped_column(MONEY)
    note: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = _fk("app_user")
    made_by: Mapped[str | None] = mapped_column(String(100))
    made_at: Mapped[dt.datetime] = mapped_column(DateTime)
    actual: Mapped[Decimal | None] = mapped_column(MONEY)
    scored_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


# --------------------------------------------------------------------------- issue #27: people
# Incentive plans and commission statements, deal splits, scorecards and ratings, the coaching
# log and target proposals. Plans and scorecards are configuration (their rules as JSON, loaded
# from YAML); statements are computed from the metrics engine's records, and only a *closed*
# statement (paid) is kept, line by line, so a later return can be clawed back exactly.


class IncentivePlan(Base):
    """A commission plan: tiers on attainment, bonuses, SPIFFs, cap (``rules``: JSON)."""

    __tablename__ = "incentive_plan"
    id: Mapped[int] = _pk("incentive_plan")
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    period_grain: Mapped[str] = mapped_column(String(10), default="quarter")  # month|quarter|year
    basis: Mapped[str] = mapped_column(String(20), default="revenue")  # revenue|bookings|collected
    rules: Mapped[str] = mapped_column(Text)  # JSON, checked by salesops.people.plans
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    updated_by: Mapped[str | None] = mapped_column(String(100))


class DealSplit(Base):
    """A rep's share of a deal or an order credited to several reps (shares add up to 1)."""

    __tablename__ = "deal_split"
    __table_args__ = (UniqueConstraint("opportunity_id", "order_no", "rep_id"),)
    id: Mapped[int] = _pk("deal_split")
    opportunity_id: Mapped[int | None] = mapped_column(Integer)
    order_no: Mapped[str | None] = mapped_column(String(100))
    rep_id: Mapped[int] = mapped_column(Integer, ForeignKey("rep.id"))
    share: Mapped[Decimal] = mapped_column(RATE)


class CommissionStatement(Base):
    """A closed (paid) statement of one rep, plan and period; its lines are kept as paid."""

    __tablename__ = "commission_statement"
    __table_args__ = (UniqueConstraint("plan_id", "rep_id", "period_start"),)
    id: Mapped[int] = _pk("commission_statement")
    plan_id: Mapped[int] = mapped_column(Integer, ForeignKey("incentive_plan.id"))
    rep_id: Mapped[int] = mapped_column(Integer, ForeignKey("rep.id"))
    period_grain: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(MONEY)
    closed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    closed_by: Mapped[str | None] = mapped_column(String(100))


class CommissionLine(Base):
    """One line of a closed statement: what it was paid on (order line, deal, payment, KPI)."""

    __tablename__ = "commission_line"
    id: Mapped[int] = _pk("commission_line")
    statement_id: Mapped[int] = mapped_column(Integer, ForeignKey("commission_statement.id"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # commission | spiff | bonus | clawback
    source: Mapped[str] = mapped_column(String(20))  # order_line | opportunity | payment | kpi
    source_id: Mapped[int | None] = mapped_column(Integer)
    reference: Mapped[str | None] = mapped_column(String(200))  # order no, deal id, KPI id
    credit: Mapped[Decimal | None] = mapped_column(MONEY)
    share: Mapped[Decimal | None] = mapped_column(RATE)
    tier: Mapped[str | None] = mapped_column(String(60))
    rate: Mapped[Decimal | None] = mapped_column(RATE)
    amount: Mapped[Decimal] = mapped_column(MONEY)


class Scorecard(Base):
    """A performance scorecard for one role and period grain (items: :class:`ScorecardItem`)."""

    __tablename__ = "scorecard"
    id: Mapped[int] = _pk("scorecard")
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="rep")
    period_grain: Mapped[str] = mapped_column(String(10), default="quarter")
    missing: Mapped[str] = mapped_column(String(10), default="skip")  # skip | zero
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ScorecardItem(Base):
    """A weighted item: a catalog KPI scored against target or bands, or a rated item."""

    __tablename__ = "scorecard_item"
    id: Mapped[int] = _pk("scorecard_item")
    scorecard_id: Mapped[int] = mapped_column(Integer, ForeignKey("scorecard.id"))
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(60))
    label_en: Mapped[str] = mapped_column(String(200))
    label_zh: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # kpi | rated
    metric: Mapped[str | None] = mapped_column(String(60))
    weight: Mapped[Decimal] = mapped_column(RATE)
    scoring: Mapped[str] = mapped_column(String(10))  # target | bands | rating
    bands: Mapped[str | None] = mapped_column(Text)  # JSON [[from, score], ...]
    target_value: Mapped[Decimal | None] = mapped_column(MONEY)


class RepRating(Base):
    """A manager's rating of a rep on a rated item for one period (0-100), with a comment."""

    __tablename__ = "rep_rating"
    __table_args__ = (UniqueConstraint("item_id", "rep_id", "period_start"),)
    id: Mapped[int] = _pk("rep_rating")
    item_id: Mapped[int] = mapped_column(Integer, ForeignKey("scorecard_item.id"))
    rep_id: Mapped[int] = mapped_column(Integer, ForeignKey("rep.id"))
    period_start: Mapped[dt.date] = mapped_column(Date)
    score: Mapped[Decimal] = mapped_column(RATE)
    comment: Mapped[str | None] = mapped_column(Text)
    rated_by: Mapped[str | None] = mapped_column(String(100))
    rated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class CoachingEntry(Base):
    """One-to-one, training, skill or agreed action for a rep (辅导记录)."""

    __tablename__ = "coaching_entry"
    id: Mapped[int] = _pk("coaching_entry")
    rep_id: Mapped[int] = mapped_column(Integer, ForeignKey("rep.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # one_to_one | training | skill | action
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    owner: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    done: Mapped[bool | None] = mapped_column(Boolean)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class TargetProposal(Base):
    """A target proposed by a rep or team lead; the manager accepts or adjusts it."""

    __tablename__ = "target_proposal"
    id: Mapped[int] = _pk("target_proposal")
    metric: Mapped[str] = mapped_column(String(60))
    period_grain: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[dt.date] = mapped_column(Date)
    scope_kind: Mapped[str] = mapped_column(String(20))  # rep | org_unit
    rep_id: Mapped[int | None] = _fk("rep")
    org_unit_id: Mapped[int | None] = _fk("org_unit")
    channel: Mapped[str | None] = mapped_column(String(100))  # NULL: the whole quota
    value: Mapped[Decimal] = mapped_column(MONEY)
    comment: Mapped[str | None] = mapped_column(Text)
    proposed_by: Mapped[str] = mapped_column(String(100))
    proposed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # open | accepted | adjusted | rejected
    status: Mapped[str] = mapped_column(String(10), default="open")
    decided_value: Mapped[Decimal | None] = mapped_column(MONEY)
    decision_comment: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    target_id: Mapped[int | None] = _fk("target")


# ---------------------------------------------------------------- issue #25: the feedback loop


class FeedbackEvent(Base):
    """The history of a feedback item: one row per step of its loop (assign, resolve, inform,
    reopen) and per note, with who did it and when; never updated or deleted."""

    __tablename__ = "feedback_event"
    __table_args__ = _pg_fks(feedback_id="feedback")
    id: Mapped[int] = _pk("feedback_event")
    feedback_id: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))  # assign | resolve | inform | reopen | note
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    assignee: Mapped[str | None] = mapped_column(String(200))  # as shown: "rep:张伟" ...
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)


# Indexes that serve the time-filtered scans of the metrics engine on PostgreSQL.
_pg_index("ix_order_line_order_date", OrderLine.order_date)
_pg_index("ix_order_line_order_id", OrderLine.order_id)
_pg_index("ix_order_header_order_date", OrderHeader.order_date)
# The few shared orders, found without reading every header (see OrderHeader.shared).
Index("ix_order_header_shared", OrderHeader.id, postgresql_where=OrderHeader.shared).ddl_if(
    dialect="postgresql"
)
_pg_index("ix_order_line_month_order_date", OrderLineMonth.order_date)
_pg_index("ix_order_header_month_order_date", OrderHeaderMonth.order_date)
_pg_index("ix_opportunity_closed_on", Opportunity.closed_on)
_pg_index("ix_opportunity_customer_id", Opportunity.customer_id)
_pg_index("ix_opportunity_change_opportunity_id", OpportunityChange.opportunity_id)
_pg_index("ix_opportunity_stage_stay_left_on", OpportunityStageStay.left_on)
_pg_index("ix_opportunity_stage_stay_opportunity_id", OpportunityStageStay.opportunity_id)
_pg_index("ix_payment_due_date", Payment.due_date)
_pg_index("ix_payment_month_due_date", PaymentMonth.due_date)
_pg_index("ix_payment_month_end_as_of", PaymentMonthEnd.as_of)
_pg_index("ix_activity_occurred_at", Activity.occurred_at)
# Who counts as a seller in a period (per-rep KPIs: a rep with orders, deals or a quota then)
# asks per rep and period; without these PostgreSQL scanned the deals once per rep and month.
_pg_index("ix_opportunity_owner_created", Opportunity.owner_id, Opportunity.created_on)
Index(
    "ix_order_header_rep_date",
    OrderHeader.rep_id,
    OrderHeader.order_date,
    postgresql_where=OrderHeader.normal_lines > 0,
).ddl_if(dialect="postgresql")
Index("ix_target_rep", Target.rep_id, postgresql_where=Target.rep_id.is_not(None)).ddl_if(
    dialect="postgresql"
)
# issue #28: the customer page reads one customer's facts.
_pg_index("ix_order_header_customer_id", OrderHeader.customer_id)
_pg_index("ix_payment_customer_id", Payment.customer_id)
_pg_index("ix_activity_customer_id", Activity.customer_id)
_pg_index("ix_task_customer_id", Task.customer_id)
_pg_index("ix_customer_owner_history_customer_id", CustomerOwnerHistory.customer_id)

metadata = Base.metadata


def _duckdb_has_no_foreign_keys() -> None:
    """Make every foreign key PostgreSQL-only (see the module docstring for why)."""
    for table in metadata.tables.values():
        for constraint in table.foreign_key_constraints:
            constraint.ddl_if(dialect="postgresql")


_duckdb_has_no_foreign_keys()

#: Importable entities, in dependency order (a file may reference those before it).
ENTITY_TABLES: dict[str, type[Base]] = {
    "org_unit": OrgUnit,
    "rep": Rep,
    "product": Product,
    "customer": Customer,
    "pipeline_stage": PipelineStage,
    "opportunity": Opportunity,
    "opportunity_change": OpportunityChange,
    "lead": Lead,
    "order_line": OrderLine,
    "payment": Payment,
    "activity": Activity,
    "feedback": Feedback,
    "marketing_spend": MarketingSpend,
    "market_size": MarketSize,
    "target": Target,
    "announcement": Announcement,
}
