"""The ORM classes of the schema (SPEC §3): one class per table of :mod:`salesops.db.tables`.

The tables themselves — columns, keys, indexes, and the conventions they follow — are declared
in SQLAlchemy Core in :mod:`salesops.db.tables`; each class here maps one of them
(``__table__``) and annotates its columns for the type checker. Code that only builds SQL
imports :mod:`salesops.db.tables` instead, which loads no ORM (issue #23: the metric command's
start). ``metadata``, ``MONEY`` … are re-exported from there for the code that imports them
from here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import DeclarativeBase, Mapped

from salesops.db import tables
from salesops.db.tables import MONEY as MONEY
from salesops.db.tables import MONEY_SUM as MONEY_SUM
from salesops.db.tables import QUANTITY as QUANTITY
from salesops.db.tables import RATE as RATE
from salesops.db.tables import metadata as metadata


class Base(DeclarativeBase):
    """Declarative base; ``Base.metadata`` is the whole schema (:data:`tables.metadata`)."""

    metadata = tables.metadata


# --------------------------------------------------------------------------- dimensions


class Region(Base):
    """A sales region / geography name (华东, 华南 ...). Created on first mention by imports."""

    __table__ = tables.region
    __tablename__ = "region"
    id: Mapped[int]
    name: Mapped[str]


class OrgUnit(Base):
    """Company, region or team; ``parent_id`` forms the org tree that data scope follows."""

    __table__ = tables.org_unit
    __tablename__ = "org_unit"
    id: Mapped[int]
    external_id: Mapped[str]
    name: Mapped[str]
    kind: Mapped[str]
    parent_id: Mapped[int | None]
    region_id: Mapped[int | None]


class Rep(Base):
    """A sales person (also a user of the board, linked from ``app_user.rep_id``)."""

    __table__ = tables.rep
    __tablename__ = "rep"
    id: Mapped[int]
    external_id: Mapped[str]
    name: Mapped[str]
    email: Mapped[str | None]
    org_unit_id: Mapped[int | None]
    manager_id: Mapped[int | None]
    region_id: Mapped[int | None]
    hired_on: Mapped[dt.date | None]
    left_on: Mapped[dt.date | None]
    active: Mapped[bool]


class Product(Base):
    __table__ = tables.product
    __tablename__ = "product"
    id: Mapped[int]
    external_id: Mapped[str]
    name: Mapped[str]
    product_line: Mapped[str | None]
    list_price: Mapped[Decimal | None]
    unit_cost: Mapped[Decimal | None]


class Customer(Base):
    __table__ = tables.customer
    __tablename__ = "customer"
    id: Mapped[int]
    external_id: Mapped[str]
    name: Mapped[str]
    industry: Mapped[str | None]
    segment: Mapped[str | None]
    size: Mapped[str | None]
    region_id: Mapped[int | None]
    city: Mapped[str | None]
    source_channel: Mapped[str | None]
    owner_id: Mapped[int | None]
    created_on: Mapped[dt.date | None]
    credit_limit: Mapped[Decimal | None]
    first_order_on: Mapped[dt.date | None]
    last_order_on: Mapped[dt.date | None]


class PipelineStage(Base):
    """Stages are data: ordered, with a default win probability and a kind (open/won/lost)."""

    __table__ = tables.pipeline_stage
    __tablename__ = "pipeline_stage"
    id: Mapped[int]
    pipeline: Mapped[str]
    name: Mapped[str]
    position: Mapped[int]
    probability: Mapped[Decimal | None]
    kind: Mapped[str]


# --------------------------------------------------------------------------- pipeline facts


class Lead(Base):
    __table__ = tables.lead
    __tablename__ = "lead"
    id: Mapped[int]
    external_id: Mapped[str]
    source_channel: Mapped[str | None]
    created_on: Mapped[dt.date | None]
    customer_id: Mapped[int | None]
    owner_id: Mapped[int | None]
    opportunity_id: Mapped[int | None]
    status: Mapped[str | None]
    region_id: Mapped[int | None]


class Opportunity(Base):
    __table__ = tables.opportunity
    __tablename__ = "opportunity"
    id: Mapped[int]
    external_id: Mapped[str]
    name: Mapped[str | None]
    customer_id: Mapped[int | None]
    owner_id: Mapped[int | None]
    product_id: Mapped[int | None]
    region_id: Mapped[int | None]
    pipeline: Mapped[str]
    source_channel: Mapped[str | None]
    stage: Mapped[str | None]
    status: Mapped[str]
    amount: Mapped[Decimal | None]
    probability: Mapped[Decimal | None]
    created_on: Mapped[dt.date | None]
    expected_close_on: Mapped[dt.date | None]
    closed_on: Mapped[dt.date | None]
    competitor: Mapped[str | None]
    lost_reason: Mapped[str | None]
    forecast_category: Mapped[str | None]


class OpportunityChange(Base):
    """History: one row per changed field of an opportunity (SPEC §3 "History is never lost")."""

    __table__ = tables.opportunity_change
    __tablename__ = "opportunity_change"
    id: Mapped[int]
    opportunity_id: Mapped[int]
    field: Mapped[str]
    old_value: Mapped[str | None]
    new_value: Mapped[str | None]
    changed_at: Mapped[dt.datetime]
    source: Mapped[str]
    seq: Mapped[int | None]
    next_at: Mapped[dt.datetime | None]


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

    __table__ = tables.opportunity_month_end
    __tablename__ = "opportunity_month_end"
    as_of: Mapped[dt.date]
    opportunity_id: Mapped[int]
    stage: Mapped[str | None]
    status: Mapped[str | None]
    amount: Mapped[Decimal | None]
    probability: Mapped[Decimal | None]
    expected_close_on: Mapped[dt.date | None]
    owner_ref: Mapped[str | None]
    owner_id: Mapped[int | None]
    customer_id: Mapped[int | None]
    product_id: Mapped[int | None]
    region_id: Mapped[int | None]
    pipeline: Mapped[str | None]
    source_channel: Mapped[str | None]
    created_on: Mapped[dt.date | None]
    competitor: Mapped[str | None]
    lost_reason: Mapped[str | None]


class OpportunityMonthEndCover(Base):
    """The month ends :class:`OpportunityMonthEnd` holds in full (a contiguous run of past
    month ends; a date not listed is read from history)."""

    __table__ = tables.opportunity_month_end_cover
    __tablename__ = "opportunity_month_end_cover"
    as_of: Mapped[dt.date]


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

    __table__ = tables.opportunity_stage_stay
    __tablename__ = "opportunity_stage_stay"
    id: Mapped[int]
    opportunity_id: Mapped[int]
    stage: Mapped[str | None]
    entered_at: Mapped[dt.datetime | None]
    left_on: Mapped[dt.date]
    days: Mapped[float | None]
    owner_id: Mapped[int | None]
    region_id: Mapped[int | None]
    customer_id: Mapped[int | None]
    product_id: Mapped[int | None]
    pipeline: Mapped[str | None]
    source_channel: Mapped[str | None]
    competitor: Mapped[str | None]
    lost_reason: Mapped[str | None]


# --------------------------------------------------------------------------- revenue facts


class OrderHeader(Base):
    """One row per order_no, derived from its lines by the loader (never imported)."""

    __table__ = tables.order_header
    __tablename__ = "order_header"
    id: Mapped[int]
    order_no: Mapped[str]
    order_date: Mapped[dt.date | None]
    customer_id: Mapped[int | None]
    rep_id: Mapped[int | None]
    region_id: Mapped[int | None]
    channel: Mapped[str | None]
    amount: Mapped[Decimal | None]
    cost: Mapped[Decimal | None]
    normal_lines: Mapped[int]
    lines: Mapped[int]
    shared: Mapped[bool | None]


class OrderLine(Base):
    __table__ = tables.order_line
    __tablename__ = "order_line"
    id: Mapped[int]
    order_id: Mapped[int | None]
    order_no: Mapped[str]
    line_no: Mapped[int]
    order_date: Mapped[dt.date]
    customer_id: Mapped[int | None]
    rep_id: Mapped[int | None]
    product_id: Mapped[int | None]
    region_id: Mapped[int | None]
    channel: Mapped[str | None]
    quantity: Mapped[Decimal | None]
    amount: Mapped[Decimal]
    cost: Mapped[Decimal | None]
    status: Mapped[str]


class OrderLineMonth(Base):
    """Order lines summed per month and key: an exact, much smaller stand-in for ``order_line``
    in sums (revenue, cost, gross profit), derived by every writer (``salesops.db.derived``).

    The columns keep ``order_line``'s names, so a measure's SQL reads the same on either table:
    ``order_date`` is the first day of the month, ``amount`` / ``cost`` are sums. Lines with and
    without a cost are kept in separate rows (``cost_known``), so ``cost IS NOT NULL`` selects
    exactly the costed lines and ``amount - cost`` is the costed lines' gross profit. The id is a
    BIGINT because every refresh of a month writes its rows again with fresh ids.
    """

    __table__ = tables.order_line_month
    __tablename__ = "order_line_month"
    id: Mapped[int]
    order_date: Mapped[dt.date]
    status: Mapped[str]
    region_id: Mapped[int | None]
    rep_id: Mapped[int | None]
    product_id: Mapped[int | None]
    channel: Mapped[str | None]
    cost_known: Mapped[bool]
    amount: Mapped[Decimal]
    cost: Mapped[Decimal | None]
    lines: Mapped[int]


class OrderHeaderMonth(Base):
    """Normal orders counted per month, customer, rep, region and channel: an exact, much
    smaller stand-in for ``order_header`` in order and customer counts (orders, active, repeat
    and retained customers), derived by every writer (``salesops.db.derived``).

    The columns keep ``order_header``'s names, so a measure's SQL reads the same on either
    table: ``order_date`` is the first day of the month, ``normal_lines`` a sum. Only orders
    with a normal line are counted (``orders``); every row has ``normal_lines > 0``.
    """

    __table__ = tables.order_header_month
    __tablename__ = "order_header_month"
    id: Mapped[int]
    order_date: Mapped[dt.date]
    customer_id: Mapped[int | None]
    rep_id: Mapped[int | None]
    region_id: Mapped[int | None]
    channel: Mapped[str | None]
    orders: Mapped[int]
    normal_lines: Mapped[int]


class Payment(Base):
    """A receivable (回款计划) and what was paid against it (回款)."""

    __table__ = tables.payment
    __tablename__ = "payment"
    id: Mapped[int]
    external_id: Mapped[str]
    customer_id: Mapped[int | None]
    rep_id: Mapped[int | None]
    region_id: Mapped[int | None]
    order_no: Mapped[str | None]
    due_date: Mapped[dt.date | None]
    due_amount: Mapped[Decimal | None]
    paid_date: Mapped[dt.date | None]
    paid_amount: Mapped[Decimal | None]


class PaymentMonth(Base):
    """Derived (``salesops.db.derived.refresh_payment_months``), never imported: payments summed
    per due month, paid month, rep and region — an exact, much smaller stand-in for
    ``payment`` in the collection rate of periods made of whole months.

    The columns keep ``payment``'s names, so the measures' SQL reads the same on either table:
    ``due_date`` is the first day of the due month, ``paid_date`` the *last* day of the month
    paid in (NULL: not paid), the amounts are sums. "Paid by the end of the period" is then
    exact for every period that ends on a month end (the compiler reads the table only then).
    """

    __table__ = tables.payment_month
    __tablename__ = "payment_month"
    id: Mapped[int]
    due_date: Mapped[dt.date]
    paid_date: Mapped[dt.date | None]
    rep_id: Mapped[int | None]
    region_id: Mapped[int | None]
    due_amount: Mapped[Decimal | None]
    paid_amount: Mapped[Decimal | None]


class PaymentOpen(Base):
    """Derived (``salesops.db.derived.refresh_open_payments``), never imported: a copy of the
    payments never settled in full (no paid date or amount, or less paid than due) — the only
    payments that can be overdue at a date, besides those paid in full after it. Overdue
    receivables today read these plus the payments paid in full on or after the date instead
    of every payment (``salesops.metrics.compiler.stocks.payments_due_at``).

    Same columns as ``payment``; ``id`` is the payment's.
    """

    __table__ = tables.payment_open
    __tablename__ = "payment_open"
    id: Mapped[int]
    external_id: Mapped[str]
    customer_id: Mapped[int | None]
    rep_id: Mapped[int | None]
    region_id: Mapped[int | None]
    order_no: Mapped[str | None]
    due_date: Mapped[dt.date | None]
    due_amount: Mapped[Decimal | None]
    paid_date: Mapped[dt.date | None]
    paid_amount: Mapped[Decimal | None]


class PaymentMonthEnd(Base):
    """Derived (``salesops.db.derived.refresh_payment_month_ends``), never imported: the
    receivables overdue at the end of every past month, summed per customer, rep and region —
    what overdue receivables by month read instead of joining every payment with every date.

    ``overdue`` is the sum of the outstanding amounts of the payments overdue then (NULL: the
    group had payments due and not yet settled, none of them overdue with an amount), computed
    by the measure's own SQL. Which month ends the table holds is in
    :class:`PaymentMonthEndCover`.
    """

    __table__ = tables.payment_month_end
    __tablename__ = "payment_month_end"
    id: Mapped[int]
    as_of: Mapped[dt.date]
    customer_id: Mapped[int | None]
    rep_id: Mapped[int | None]
    region_id: Mapped[int | None]
    overdue: Mapped[Decimal | None]


class PaymentMonthEndCover(Base):
    """The month ends :class:`PaymentMonthEnd` holds in full (a contiguous run of past month
    ends; a date not listed is computed from the payments)."""

    __table__ = tables.payment_month_end_cover
    __tablename__ = "payment_month_end_cover"
    as_of: Mapped[dt.date]


class Activity(Base):
    __table__ = tables.activity
    __tablename__ = "activity"
    id: Mapped[int]
    external_id: Mapped[str]
    kind: Mapped[str]
    customer_id: Mapped[int | None]
    rep_id: Mapped[int | None]
    opportunity_id: Mapped[int | None]
    region_id: Mapped[int | None]
    occurred_at: Mapped[dt.datetime]


class VisitConversion(Base):
    """Derived (``salesops.db.derived.refresh_visit_conversions``), never imported: every visit
    (an activity of kind ``visit`` with a customer) under ``activity``'s column names, with
    ``converts_on``: the first day on or after the visit's (local) day that its customer won a
    deal or placed a normal order, over all of the data (NULL: none since). Visit conversion
    in the full data scope reads these instead of sorting every customer's visits and orders
    (a narrower scope counts only its own deals and orders, and reads those).
    """

    __table__ = tables.visit_conversion
    __tablename__ = "visit_conversion"
    id: Mapped[int]
    kind: Mapped[str]
    customer_id: Mapped[int | None]
    rep_id: Mapped[int | None]
    opportunity_id: Mapped[int | None]
    region_id: Mapped[int | None]
    occurred_at: Mapped[dt.datetime]
    converts_on: Mapped[dt.date | None]


class Feedback(Base):
    __table__ = tables.feedback
    __tablename__ = "feedback"
    id: Mapped[int]
    external_id: Mapped[str]
    customer_id: Mapped[int | None]
    rep_id: Mapped[int | None]
    region_id: Mapped[int | None]
    received_on: Mapped[dt.date | None]
    channel: Mapped[str | None]
    nps: Mapped[int | None]
    csat: Mapped[int | None]
    category: Mapped[str | None]
    priority: Mapped[str | None]
    status: Mapped[str]
    assignee_id: Mapped[int | None]
    text: Mapped[str | None]
    resolved_on: Mapped[dt.date | None]
    assignee_user_id: Mapped[int | None]
    assignee_department: Mapped[str | None]
    due_on: Mapped[dt.date | None]
    first_response_on: Mapped[dt.date | None]
    informed_on: Mapped[dt.date | None]


class MarketingSpend(Base):
    __table__ = tables.marketing_spend
    __tablename__ = "marketing_spend"
    id: Mapped[int]
    external_id: Mapped[str]
    channel: Mapped[str]
    period_start: Mapped[dt.date]
    period_grain: Mapped[str]
    amount: Mapped[Decimal]
    region_id: Mapped[int | None]


class MarketSize(Base):
    __table__ = tables.market_size
    __tablename__ = "market_size"
    id: Mapped[int]
    external_id: Mapped[str]
    region_id: Mapped[int | None]
    product_line: Mapped[str | None]
    period_start: Mapped[dt.date]
    period_grain: Mapped[str]
    amount: Mapped[Decimal]
    industry: Mapped[str | None]
    accounts: Mapped[int | None]


class Target(Base):
    """A target for one KPI, period and scope; ``parent_id`` links a decomposition tree."""

    __table__ = tables.target
    __tablename__ = "target"
    id: Mapped[int]
    external_id: Mapped[str]
    metric: Mapped[str]
    period_grain: Mapped[str]
    period_start: Mapped[dt.date]
    scope_kind: Mapped[str]
    org_unit_id: Mapped[int | None]
    rep_id: Mapped[int | None]
    region_id: Mapped[int | None]
    product_line: Mapped[str | None]
    value: Mapped[Decimal]
    parent_id: Mapped[int | None]
    channel: Mapped[str | None]


class Announcement(Base):
    """Goals, values and news shown on the board."""

    __table__ = tables.announcement
    __tablename__ = "announcement"
    id: Mapped[int]
    external_id: Mapped[str]
    kind: Mapped[str]
    text_zh: Mapped[str | None]
    text_en: Mapped[str | None]
    valid_from: Mapped[dt.date | None]
    valid_to: Mapped[dt.date | None]


# --------------------------------------------------------------------------- security & ops


class AppUser(Base):
    """A person (or service) who signs in; their role and rep/org unit give their data scope."""

    __table__ = tables.app_user
    __tablename__ = "app_user"
    id: Mapped[int]
    username: Mapped[str]
    display_name: Mapped[str | None]
    email: Mapped[str | None]
    locale: Mapped[str | None]
    password_hash: Mapped[str | None]
    role: Mapped[str]
    rep_id: Mapped[int | None]
    org_unit_id: Mapped[int | None]
    active: Mapped[bool]
    created_at: Mapped[dt.datetime | None]
    password_changed_at: Mapped[dt.datetime | None]
    sessions_valid_after: Mapped[dt.datetime | None]
    locked_until: Mapped[dt.datetime | None]


class UserSession(Base):
    """A server-side sign-in session; the cookie carries a random id, the table its hash."""

    __table__ = tables.user_session
    __tablename__ = "user_session"
    id: Mapped[int]
    token_hash: Mapped[str]
    user_id: Mapped[int]
    csrf_token: Mapped[str]
    kind: Mapped[str]
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    client: Mapped[str | None]
    user_agent: Mapped[str | None]
    ended_at: Mapped[dt.datetime | None]


class ApiToken(Base):
    """A bearer token for scripts and integrations; only its hash is kept."""

    __table__ = tables.api_token
    __tablename__ = "api_token"
    id: Mapped[int]
    user_id: Mapped[int]
    name: Mapped[str]
    token_hash: Mapped[str]
    prefix: Mapped[str | None]
    read_only: Mapped[bool | None]
    created_at: Mapped[dt.datetime | None]
    created_by: Mapped[str | None]
    expires_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
    revoked: Mapped[bool]
    revoked_at: Mapped[dt.datetime | None]


class WallLink(Base):
    """A kiosk link for a meeting-room screen: the wall only, in one scope, until it expires."""

    __table__ = tables.wall_link
    __tablename__ = "wall_link"
    id: Mapped[int]
    name: Mapped[str]
    token_hash: Mapped[str]
    prefix: Mapped[str | None]
    scope_kind: Mapped[str]
    org_unit_id: Mapped[int | None]
    rep_id: Mapped[int | None]
    query: Mapped[str | None]
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str | None]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class LoginFailure(Base):
    """One failed sign-in; recent ones per account and per client slow down and lock sign-in."""

    __table__ = tables.login_failure
    __tablename__ = "login_failure"
    id: Mapped[int]
    username: Mapped[str]
    client: Mapped[str | None]
    failed_at: Mapped[dt.datetime]


class AuditEvent(Base):
    """Append-only: sign-ins, user and token changes, imports, exports, target changes."""

    __table__ = tables.audit_event
    __tablename__ = "audit_event"
    id: Mapped[int]
    occurred_at: Mapped[dt.datetime]
    user_id: Mapped[int | None]
    actor: Mapped[str | None]
    action: Mapped[str]
    target: Mapped[str | None]
    detail: Mapped[str | None]
    client: Mapped[str | None]
    outcome: Mapped[str | None]


class ImportRun(Base):
    """One row per import attempt, with its counts (shown on the data page)."""

    __table__ = tables.import_run
    __tablename__ = "import_run"
    id: Mapped[int]
    entity: Mapped[str]
    source: Mapped[str]
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    rows_read: Mapped[int]
    inserted: Mapped[int]
    updated: Mapped[int]
    unchanged: Mapped[int]
    errors: Mapped[int]
    status: Mapped[str]
    actor: Mapped[str | None]
    error_sample: Mapped[str | None]


class DataVersion(Base):
    """A single counter bumped by every write; the metrics cache keys on it."""

    __table__ = tables.data_version
    __tablename__ = "data_version"
    id: Mapped[int]
    version: Mapped[int]
    changed_at: Mapped[dt.datetime | None]


# --- issue 18: import from the browser ------------------------------------------------------


class SavedMapping(Base):
    """A column mapping kept by name (the web import page and ``salesops mappings`` share it);
    ``body`` is the mapping's YAML, single-entity or a sheet mapping (``entity`` = "sheet")."""

    __table__ = tables.saved_mapping
    __tablename__ = "saved_mapping"
    id: Mapped[int]
    name: Mapped[str]
    entity: Mapped[str]
    body: Mapped[str]
    headers: Mapped[str | None]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    updated_by: Mapped[str | None]


# ------------------------------------------------------------------- issue #21: integration


class ImportSource(Base):
    """A saved source of data: an SQL query on another system's database, a watched folder
    or a webhook sender, with its entity, mapping and schedule (``salesops sources``).
    ``url`` never holds a password; ``secret`` is a reference (``env:VAR``, ``file:PATH``)
    or a sealed value (:mod:`salesops.auth.secretbox`), never the secret in plain text."""

    __table__ = tables.import_source
    __tablename__ = "import_source"
    id: Mapped[int]
    name: Mapped[str]
    kind: Mapped[str]
    entity: Mapped[str]
    mapping: Mapped[str | None]
    url: Mapped[str | None]
    query: Mapped[str | None]
    folder: Mapped[str | None]
    secret: Mapped[str | None]
    schedule: Mapped[str | None]
    enabled: Mapped[bool]
    next_run_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    updated_by: Mapped[str | None]


class ImportSourceRun(Base):
    """One run of a saved source (a scheduled or manual pull, one file of a folder)."""

    __table__ = tables.import_source_run
    __tablename__ = "import_source_run"
    id: Mapped[int]
    source: Mapped[str]
    trigger: Mapped[str]
    file: Mapped[str | None]
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[str]
    rows_read: Mapped[int]
    inserted: Mapped[int]
    updated: Mapped[int]
    unchanged: Mapped[int]
    errors: Mapped[int]
    message: Mapped[str | None]
    import_run_id: Mapped[int | None]


class WebhookDelivery(Base):
    """A webhook delivery that was applied: its id (``X-Delivery-Id`` / ``Idempotency-Key``)
    and the answer given, written in the import's own transaction; a redelivery gets the
    same answer and writes nothing."""

    __table__ = tables.webhook_delivery
    __tablename__ = "webhook_delivery"
    id: Mapped[int]
    sender: Mapped[str]
    delivery_id: Mapped[str]
    entity: Mapped[str]
    response: Mapped[str]
    received_at: Mapped[dt.datetime]


class RecordVersion(Base):
    """The ``version`` / ``updated_at`` a webhook record last written carried, per entity and
    ``external_id``: a record arriving late with an older one is skipped
    (:mod:`salesops.integrate.webhook`)."""

    __table__ = tables.record_version
    __tablename__ = "record_version"
    entity: Mapped[str]
    external_id: Mapped[str]
    version: Mapped[int | None]
    updated_at: Mapped[dt.datetime | None]
    recorded_at: Mapped[dt.datetime]


# ------------------------------------------------------------------- issue #28: customer 360


class CustomerOwnerHistory(Base):
    """Who owned a customer when (客户归属历史): one row per ownership period, ``valid_to``
    exclusive, the current period open (NULL). Written by a reassignment
    (``salesops.customers.ownership``) and by a customer import that changes the owner (reason
    ``import``); ``customer.owner_id`` stays the current owner. Revenue
    keeps the rep of its own order (``order_line.rep_id``); this table answers "whose customer
    was it on day D" (:func:`salesops.customers.ownership.owner_as_of`)."""

    __table__ = tables.customer_owner_history
    __tablename__ = "customer_owner_history"
    id: Mapped[int]
    customer_id: Mapped[int]
    rep_id: Mapped[int | None]
    valid_from: Mapped[dt.date | None]
    valid_to: Mapped[dt.date | None]
    reason: Mapped[str | None]
    changed_by: Mapped[str | None]
    changed_by_id: Mapped[int | None]
    changed_at: Mapped[dt.datetime | None]


class Task(Base):
    """A follow-up task (任务 / 回访), the product's one task model: made by hand, by a task
    rule from a warning (churn, overdue receivable, detractor, stuck deal, care plan), by a
    review (action items, no customer) or by an alert.

    ``source`` says what made it (``manual``, a rule name, ``review``, ``alert``) and
    ``source_ref`` which warning (the rule's key of it); the pair is unique, so a rule run
    twice creates one task per warning, not one per run. The owner is a rep (data scope
    follows ``owner_rep_id``, else the customer's owner) and/or a user (``owner_user_id``).
    """

    __table__ = tables.task
    __tablename__ = "task"
    id: Mapped[int]
    customer_id: Mapped[int | None]
    opportunity_id: Mapped[int | None]
    owner_rep_id: Mapped[int | None]
    owner_user_id: Mapped[int | None]
    kind: Mapped[str]
    status: Mapped[str]
    title: Mapped[str | None]
    due_on: Mapped[dt.date | None]
    notes: Mapped[str | None]
    result: Mapped[str | None]
    source: Mapped[str]
    source_ref: Mapped[str | None]
    created_on: Mapped[dt.date]
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str | None]
    done_on: Mapped[dt.date | None]
    done_at: Mapped[dt.datetime | None]
    done_by: Mapped[str | None]


class TaskRule(Base):
    """The settings of one task rule (``salesops.customers.rules.RULES`` names them and
    holds the defaults); a rule without a row runs with its defaults."""

    __table__ = tables.task_rule
    __tablename__ = "task_rule"
    name: Mapped[str]
    enabled: Mapped[bool]
    due_days: Mapped[int | None]
    settings: Mapped[str | None]
    changed_at: Mapped[dt.datetime | None]
    changed_by: Mapped[str | None]


# --------------------------------------------------------------------------- alerts (issue #19)


class AlertRule(Base):
    """A rule that watches the numbers (threshold, change, pacing, stuck deals, churn, ...).

    ``config`` is the kind's JSON settings (see ``salesops.alerts.rules``). ``last_due_at`` is
    the last scheduled time a runner claimed: a runner evaluates a due time only by moving it
    forward in the same transaction that stores the alerts, so two runners never both do."""

    __table__ = tables.alert_rule
    __tablename__ = "alert_rule"
    id: Mapped[int]
    name: Mapped[str]
    kind: Mapped[str]
    config: Mapped[str]
    severity: Mapped[str]
    scope_kind: Mapped[str]
    org_unit_id: Mapped[int | None]
    rep_id: Mapped[int | None]
    schedule: Mapped[str]
    quiet_hours: Mapped[str | None]
    enabled: Mapped[bool]
    created_at: Mapped[dt.datetime | None]
    created_by: Mapped[str | None]
    updated_at: Mapped[dt.datetime | None]
    last_due_at: Mapped[dt.datetime | None]


class Alert(Base):
    """One fired alert with its explanation; ``dedup_key`` (rule, scope, period, subject) is
    unique, so the same finding is stored, and sent, once."""

    __table__ = tables.alert
    __tablename__ = "alert"
    id: Mapped[int]
    rule_id: Mapped[int]
    dedup_key: Mapped[str]
    period: Mapped[str]
    subject: Mapped[str | None]
    severity: Mapped[str]
    scope_kind: Mapped[str]
    org_unit_id: Mapped[int | None]
    rep_id: Mapped[int | None]
    value: Mapped[float | None]
    baseline: Mapped[float | None]
    explanation: Mapped[str]
    link: Mapped[str | None]
    fired_at: Mapped[dt.datetime]
    status: Mapped[str]
    acknowledged_by: Mapped[str | None]
    acknowledged_at: Mapped[dt.datetime | None]
    snoozed_until: Mapped[dt.datetime | None]


class AlertItemSeen(Base):
    """Items (a deal, a customer, a payment) an entity rule has already alerted on."""

    __table__ = tables.alert_item_seen
    __tablename__ = "alert_item_seen"
    id: Mapped[int]
    rule_id: Mapped[int]
    item_key: Mapped[str]
    alert_id: Mapped[int | None]


class AlertChannel(Base):
    """Where alerts go: a DingTalk/WeCom/Feishu robot, a Slack webhook, SMTP, a webhook.

    ``target`` (webhook URL or SMTP password) and ``secret`` (signing key) are sealed
    (``salesops.auth.secretbox``); ``hint`` is what lists show instead of them."""

    __table__ = tables.alert_channel
    __tablename__ = "alert_channel"
    id: Mapped[int]
    name: Mapped[str]
    kind: Mapped[str]
    target: Mapped[str | None]
    secret: Mapped[str | None]
    hint: Mapped[str | None]
    settings: Mapped[str | None]
    enabled: Mapped[bool]
    created_at: Mapped[dt.datetime | None]
    created_by: Mapped[str | None]


class AlertSubscription(Base):
    """A subscriber (everyone, an org unit's subtree, a user, a role's users) on a channel."""

    __table__ = tables.alert_subscription
    __tablename__ = "alert_subscription"
    id: Mapped[int]
    channel_id: Mapped[int]
    subscriber_kind: Mapped[str]
    user_id: Mapped[int | None]
    org_unit_id: Mapped[int | None]
    role: Mapped[str | None]
    min_severity: Mapped[str]


class AlertDelivery(Base):
    """The outbox: one message of one alert to one channel (and recipient)."""

    __table__ = tables.alert_delivery
    __tablename__ = "alert_delivery"
    id: Mapped[int]
    dedup_key: Mapped[str]
    alert_id: Mapped[int]
    channel_id: Mapped[int]
    recipient: Mapped[str | None]
    locale: Mapped[str]
    status: Mapped[str]
    attempts: Mapped[int]
    next_attempt_at: Mapped[dt.datetime]
    claimed_until: Mapped[dt.datetime | None]
    response_code: Mapped[int | None]
    last_error: Mapped[str | None]
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]


class AlertDeliveryLog(Base):
    """One row per delivery attempt: channel, status, response code, time."""

    __table__ = tables.alert_delivery_log
    __tablename__ = "alert_delivery_log"
    id: Mapped[int]
    delivery_id: Mapped[int]
    channel_id: Mapped[int]
    attempt: Mapped[int]
    logged_at: Mapped[dt.datetime]
    status: Mapped[str]
    response_code: Mapped[int | None]
    detail: Mapped[str | None]
    duration_ms: Mapped[int | None]


class AlertRun(Base):
    """One run of the alert runner that did something (evaluated, sent, or failed)."""

    __table__ = tables.alert_run
    __tablename__ = "alert_run"
    id: Mapped[int]
    runner: Mapped[str]
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    rules_evaluated: Mapped[int]
    alerts_fired: Mapped[int]
    messages_sent: Mapped[int]
    status: Mapped[str]
    detail: Mapped[str | None]


# --------------------------------------------------------------------------- reviews (issue #26)


class ReportArchive(Base):
    """A generated review kept: what it is (kind, period, scope, language), who or what made
    it (``source``: page | api | cli | schedule) and when. Its files are ``report_file`` rows.
    A scheduled run is unique per schedule and due time (the run's second guard)."""

    __table__ = tables.report_archive
    __tablename__ = "report_archive"
    id: Mapped[int]
    kind: Mapped[str]
    period: Mapped[str]
    period_start: Mapped[dt.date]
    period_end: Mapped[dt.date]
    scope_kind: Mapped[str]
    org_unit_id: Mapped[int | None]
    rep_id: Mapped[int | None]
    scope_name: Mapped[str]
    lang: Mapped[str]
    title: Mapped[str]
    summary: Mapped[str | None]
    source: Mapped[str]
    generated_by: Mapped[str]
    schedule_id: Mapped[int | None]
    due_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]


class ReportFile(Base):
    """One rendered file of an archived review, base64 in a text column: the backup package
    archives it like any other table, on DuckDB and PostgreSQL alike."""

    __table__ = tables.report_file
    __tablename__ = "report_file"
    id: Mapped[int]
    archive_id: Mapped[int]
    format: Mapped[str]
    filename: Mapped[str]
    size_bytes: Mapped[int]
    sha256: Mapped[str]
    content: Mapped[str]


class ReportSchedule(Base):
    """A review delivered on a cron line (board time zone) to alert channels. ``next_due_at``
    is claimed by one guarded UPDATE; ``running_due_at`` + ``claimed_until`` let another runner
    finish a run whose runner died before it was archived."""

    __table__ = tables.report_schedule
    __tablename__ = "report_schedule"
    id: Mapped[int]
    name: Mapped[str]
    kind: Mapped[str]
    scope_kind: Mapped[str]
    org_unit_id: Mapped[int | None]
    rep_id: Mapped[int | None]
    scope_name: Mapped[str]
    lang: Mapped[str]
    formats: Mapped[str]
    fiscal: Mapped[bool]
    cron: Mapped[str]
    recipients: Mapped[str]
    enabled: Mapped[bool]
    next_due_at: Mapped[dt.datetime]
    running_due_at: Mapped[dt.datetime | None]
    claimed_until: Mapped[dt.datetime | None]
    last_run_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None]
    created_by: Mapped[str]
    created_at: Mapped[dt.datetime]


class ReportDelivery(Base):
    """The reviews' outbox: one archived review to one channel (and recipient), delivered by
    :mod:`salesops.notify.outbox` like an alert (claims, rate limits, unconfirmed)."""

    __table__ = tables.report_delivery
    __tablename__ = "report_delivery"
    id: Mapped[int]
    dedup_key: Mapped[str]
    archive_id: Mapped[int]
    channel_id: Mapped[int]
    recipient: Mapped[str | None]
    locale: Mapped[str]
    status: Mapped[str]
    attempts: Mapped[int]
    next_attempt_at: Mapped[dt.datetime]
    claimed_until: Mapped[dt.datetime | None]
    response_code: Mapped[int | None]
    last_error: Mapped[str | None]
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]


class ReportDeliveryLog(Base):
    """One row per attempt of a review's delivery (counted in the channel's rate limits)."""

    __table__ = tables.report_delivery_log
    __tablename__ = "report_delivery_log"
    id: Mapped[int]
    delivery_id: Mapped[int]
    channel_id: Mapped[int]
    attempt: Mapped[int]
    logged_at: Mapped[dt.datetime]
    status: Mapped[str]
    response_code: Mapped[int | None]
    detail: Mapped[str | None]
    duration_ms: Mapped[int | None]


# --------------------------------------------------------------------------- forecasts (issue #20)


class ForecastResult(Base):
    """A computed forecast view (landing or series) as JSON, under a digest of what it was
    computed from (data version, scope, period, day ...): what one server process computed,
    the others show (:mod:`salesops.forecast.service`). Pruned as newer ones come."""

    __table__ = tables.forecast_result
    __tablename__ = "forecast_result"
    id: Mapped[int]
    result_key: Mapped[str]
    kind: Mapped[str]
    payload: Mapped[str]
    made_at: Mapped[dt.datetime]


class ForecastSnapshot(Base):
    """A frozen system forecast: stored when made, scored (``actual``) once its period ends.

    ``kind`` is ``landing`` (a period's landing forecast) or ``series`` (one period of a
    time-series forecast); ``series_key`` names the series (``region=East``), empty for the
    scope's total. Forecasts are estimates, kept as floating point, not as exact money."""

    __table__ = tables.forecast_snapshot
    __tablename__ = "forecast_snapshot"
    id: Mapped[int]
    made_at: Mapped[dt.datetime]
    as_of: Mapped[dt.date]
    kind: Mapped[str]
    method: Mapped[str]
    metric: Mapped[str]
    period_grain: Mapped[str]
    period_start: Mapped[dt.date]
    period_end: Mapped[dt.date]
    scope_kind: Mapped[str]
    org_unit_id: Mapped[int | None]
    rep_id: Mapped[int | None]
    series_key: Mapped[str]
    expected: Mapped[float]
    low: Mapped[float | None]
    high: Mapped[float | None]
    detail: Mapped[str | None]
    made_by: Mapped[str | None]
    actual: Mapped[float | None]
    scored_at: Mapped[dt.datetime | None]


class ForecastCall(Base):
    """A forecast call: a rep's commit and best case for a period (``kind`` submitted), or a
    manager's adjustment of a rep's call or of their team's roll-up (``kind`` adjusted). Rows
    are never changed: the latest row per period and rep (or org unit) is the call."""

    __table__ = tables.forecast_call
    __tablename__ = "forecast_call"
    id: Mapped[int]
    period_grain: Mapped[str]
    period_start: Mapped[dt.date]
    rep_id: Mapped[int | None]
    org_unit_id: Mapped[int | None]
    kind: Mapped[str]
    commit_amount: Mapped[Decimal]
    best_case_amount: Mapped[Decimal]
    note: Mapped[str | None]
    user_id: Mapped[int | None]
    made_by: Mapped[str | None]
    made_at: Mapped[dt.datetime]
    actual: Mapped[Decimal | None]
    scored_at: Mapped[dt.datetime | None]


# --------------------------------------------------------------------------- issue #27: people
# Incentive plans and commission statements, deal splits, scorecards and ratings, the coaching
# log and target proposals. Plans and scorecards are configuration (their rules as JSON, loaded
# from YAML); statements are computed from the metrics engine's records, and only a *closed*
# statement (paid) is kept, line by line, so a later return can be clawed back exactly.


class IncentivePlan(Base):
    """A commission plan: tiers on attainment, bonuses, SPIFFs, cap (``rules``: JSON)."""

    __table__ = tables.incentive_plan
    __tablename__ = "incentive_plan"
    id: Mapped[int]
    code: Mapped[str]
    name: Mapped[str]
    period_grain: Mapped[str]
    basis: Mapped[str]
    rules: Mapped[str]
    active: Mapped[bool]
    updated_at: Mapped[dt.datetime | None]
    updated_by: Mapped[str | None]


class DealSplit(Base):
    """A rep's share of a deal or an order credited to several reps (shares add up to 1)."""

    __table__ = tables.deal_split
    __tablename__ = "deal_split"
    id: Mapped[int]
    opportunity_id: Mapped[int | None]
    order_no: Mapped[str | None]
    rep_id: Mapped[int]
    share: Mapped[Decimal]


class CommissionStatement(Base):
    """A closed (paid) statement of one rep, plan and period; its lines are kept as paid."""

    __table__ = tables.commission_statement
    __tablename__ = "commission_statement"
    id: Mapped[int]
    plan_id: Mapped[int]
    rep_id: Mapped[int]
    period_grain: Mapped[str]
    period_start: Mapped[dt.date]
    period_end: Mapped[dt.date]
    total: Mapped[Decimal]
    closed_at: Mapped[dt.datetime]
    closed_by: Mapped[str | None]


class CommissionLine(Base):
    """One line of a closed statement: what it was paid on (order line, deal, payment, KPI)."""

    __table__ = tables.commission_line
    __tablename__ = "commission_line"
    id: Mapped[int]
    statement_id: Mapped[int]
    position: Mapped[int]
    kind: Mapped[str]
    source: Mapped[str]
    source_id: Mapped[int | None]
    reference: Mapped[str | None]
    credit: Mapped[Decimal | None]
    share: Mapped[Decimal | None]
    tier: Mapped[str | None]
    rate: Mapped[Decimal | None]
    amount: Mapped[Decimal]


class Scorecard(Base):
    """A performance scorecard for one role and period grain (items: :class:`ScorecardItem`)."""

    __table__ = tables.scorecard
    __tablename__ = "scorecard"
    id: Mapped[int]
    code: Mapped[str]
    name: Mapped[str]
    role: Mapped[str]
    period_grain: Mapped[str]
    missing: Mapped[str]
    active: Mapped[bool]


class ScorecardItem(Base):
    """A weighted item: a catalog KPI scored against target or bands, or a rated item."""

    __table__ = tables.scorecard_item
    __tablename__ = "scorecard_item"
    id: Mapped[int]
    scorecard_id: Mapped[int]
    position: Mapped[int]
    code: Mapped[str]
    label_en: Mapped[str]
    label_zh: Mapped[str | None]
    kind: Mapped[str]
    metric: Mapped[str | None]
    weight: Mapped[Decimal]
    scoring: Mapped[str]
    bands: Mapped[str | None]
    target_value: Mapped[Decimal | None]


class RepRating(Base):
    """A manager's rating of a rep on a rated item for one period (0-100), with a comment."""

    __table__ = tables.rep_rating
    __tablename__ = "rep_rating"
    id: Mapped[int]
    item_id: Mapped[int]
    rep_id: Mapped[int]
    period_start: Mapped[dt.date]
    score: Mapped[Decimal]
    comment: Mapped[str | None]
    rated_by: Mapped[str | None]
    rated_at: Mapped[dt.datetime | None]


class CoachingEntry(Base):
    """One-to-one, training, skill or agreed action for a rep (辅导记录)."""

    __table__ = tables.coaching_entry
    __tablename__ = "coaching_entry"
    id: Mapped[int]
    rep_id: Mapped[int]
    kind: Mapped[str]
    occurred_on: Mapped[dt.date]
    owner: Mapped[str | None]
    title: Mapped[str]
    notes: Mapped[str | None]
    due_on: Mapped[dt.date | None]
    done: Mapped[bool | None]
    created_by: Mapped[str | None]
    created_at: Mapped[dt.datetime | None]


class TargetProposal(Base):
    """A target proposed by a rep or team lead; the manager accepts or adjusts it."""

    __table__ = tables.target_proposal
    __tablename__ = "target_proposal"
    id: Mapped[int]
    metric: Mapped[str]
    period_grain: Mapped[str]
    period_start: Mapped[dt.date]
    scope_kind: Mapped[str]
    rep_id: Mapped[int | None]
    org_unit_id: Mapped[int | None]
    channel: Mapped[str | None]
    value: Mapped[Decimal]
    comment: Mapped[str | None]
    proposed_by: Mapped[str]
    proposed_at: Mapped[dt.datetime]
    status: Mapped[str]
    decided_value: Mapped[Decimal | None]
    decision_comment: Mapped[str | None]
    decided_by: Mapped[str | None]
    decided_at: Mapped[dt.datetime | None]
    target_id: Mapped[int | None]


# ---------------------------------------------------------------- issue #25: the feedback loop


class FeedbackEvent(Base):
    """The history of a feedback item: one row per step of its loop (assign, resolve, inform,
    reopen) and per note, with who did it and when; never updated or deleted."""

    __table__ = tables.feedback_event
    __tablename__ = "feedback_event"
    id: Mapped[int]
    feedback_id: Mapped[int]
    changed_at: Mapped[dt.datetime]
    actor: Mapped[str]
    action: Mapped[str]
    from_status: Mapped[str | None]
    to_status: Mapped[str | None]
    assignee: Mapped[str | None]
    due_on: Mapped[dt.date | None]
    note: Mapped[str | None]


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
