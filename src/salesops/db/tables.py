"""The one schema (SPEC §3), for DuckDB and PostgreSQL alike: its tables, in SQLAlchemy Core.

The ORM classes of :mod:`salesops.db.schema` map these tables. Code that only builds SQL (the
metrics compiler, the ``salesops metric`` command) reads them from here, so it loads neither
``sqlalchemy.orm`` nor the mapping of every class: that was a third of the command's start
(issue #23). ``tests/db/test_tables.py`` keeps it so. The names ``Opportunity``, ``OrderLine`` …
at the end are :class:`Columns`: ``Opportunity.amount`` is the Core column, as the ORM class's
attribute would be in a statement.

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

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
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
    Table,
    Text,
    UniqueConstraint,
)

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

#: The whole schema (``Base.metadata`` of :mod:`salesops.db.schema` is this object).
metadata = MetaData(naming_convention=naming_convention)


def _pk(table: str, *, big: bool = False) -> Column[int]:
    seq = Sequence(f"{table}_id_seq")
    type_ = BigInteger if big else Integer
    return Column("id", type_, seq, primary_key=True, server_default=seq.next_value())


def _fk(name: str, target: str, *, index: bool = False) -> Column[int]:
    return Column(name, Integer, ForeignKey(f"{target}.id"), nullable=True, index=index)


def _ref(name: str) -> Column[int]:
    """A reference column of a high-volume fact table; its constraint comes from ``_pg_fks``."""
    return Column(name, Integer, nullable=True)


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


region = Table(
    "region",
    metadata,
    _pk("region"),
    Column("name", String(100), unique=True, nullable=False),
)


org_unit = Table(
    "org_unit",
    metadata,
    _pk("org_unit"),
    Column("external_id", String(100), unique=True, nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), default="team", nullable=False),  # company | region | team
    _fk("parent_id", "org_unit"),
    _fk("region_id", "region"),
)


rep = Table(
    "rep",
    metadata,
    _pk("rep"),
    Column("external_id", String(100), unique=True, nullable=False),
    Column("name", String(200), nullable=False),
    Column("email", String(200)),
    _fk("org_unit_id", "org_unit"),
    _fk("manager_id", "rep"),
    _fk("region_id", "region"),
    Column("hired_on", Date),
    Column("left_on", Date),
    Column("active", Boolean, default=True, nullable=False),
)


product = Table(
    "product",
    metadata,
    _pk("product"),
    Column("external_id", String(100), unique=True, nullable=False),
    Column("name", String(200), nullable=False),
    Column("product_line", String(100)),
    Column("list_price", MONEY),
    Column("unit_cost", MONEY),
)


customer = Table(
    "customer",
    metadata,
    _pk("customer"),
    Column("external_id", String(100), unique=True, nullable=False),
    Column("name", String(300), nullable=False),
    Column("industry", String(100)),
    Column("segment", String(100)),
    Column("size", String(50)),  # band such as "100-499", or a number
    _fk("region_id", "region"),  # the customer's own geography
    Column("city", String(100)),
    Column("source_channel", String(100)),
    _fk("owner_id", "rep"),
    Column("created_on", Date),
    Column("credit_limit", MONEY),
    # Derived by the loader from normal order lines; never imported.
    Column("first_order_on", Date),
    Column("last_order_on", Date),
)


pipeline_stage = Table(
    "pipeline_stage",
    metadata,
    _pk("pipeline_stage"),
    Column("pipeline", String(100), default="default", nullable=False),
    Column("name", String(100), nullable=False),
    Column("position", Integer, nullable=False),
    Column("probability", RATE),
    Column("kind", String(10), default="open", nullable=False),  # open | won | lost
    UniqueConstraint("pipeline", "name"),
)


# --------------------------------------------------------------------------- pipeline facts


lead = Table(
    "lead",
    metadata,
    _pk("lead"),
    Column("external_id", String(100), unique=True, nullable=False),
    Column("source_channel", String(100)),
    Column("created_on", Date),
    _fk("customer_id", "customer"),
    _fk("owner_id", "rep"),
    _fk("opportunity_id", "opportunity"),  # the converted opportunity
    Column("status", String(50)),
    _fk("region_id", "region"),
)


opportunity = Table(
    "opportunity",
    metadata,
    _pk("opportunity"),
    Column("external_id", String(100), unique=True, nullable=False),
    Column("name", String(300)),
    _ref("customer_id"),
    _ref("owner_id"),
    _ref("product_id"),
    _ref("region_id"),
    Column("pipeline", String(100), default="default", nullable=False),
    Column("source_channel", String(100)),
    Column("stage", String(100)),
    Column("status", String(10), default="open", nullable=False),  # open | won | lost
    Column("amount", MONEY),
    Column("probability", RATE),  # fraction 0..1
    Column("created_on", Date),
    Column("expected_close_on", Date),
    Column("closed_on", Date),
    Column("competitor", String(200)),
    Column("lost_reason", String(300)),
    # The CRM's forecast category (commit | best_case | pipeline | omitted), current value only
    # (not tracked in history: forecasts as of a past day use the probability bands).
    Column("forecast_category", String(20)),
    *_pg_fks(customer_id="customer", owner_id="rep", product_id="product", region_id="region"),
)


opportunity_change = Table(
    "opportunity_change",
    metadata,
    _pk("opportunity_change"),
    Column("opportunity_id", Integer, nullable=False),
    # stage | status | amount | probability | expected_close_on | owner
    Column("field", String(40), nullable=False),
    Column("old_value", String(300)),
    Column("new_value", String(300)),
    Column("changed_at", DateTime, nullable=False),  # UTC
    Column("source", String(20), default="import", nullable=False),  # history | import | api
    # Derived (salesops.db.derived.refresh_change_sequence), never imported: the change's rank
    # among its opportunity's changes of the same field (by time, then id) and the time of the
    # next one, so reading a field "as of" a date needs no window over the whole history.
    Column("seq", Integer),
    Column("next_at", DateTime),
    *_pg_fks(opportunity_id="opportunity"),
)


opportunity_month_end = Table(
    "opportunity_month_end",
    metadata,
    Column("as_of", Date, primary_key=True),
    Column("opportunity_id", Integer, primary_key=True),
    Column("stage", String(100)),
    Column("status", String(10)),
    Column("amount", MONEY),
    Column("probability", RATE),
    Column("expected_close_on", Date),
    Column("owner_ref", String(300)),
    Column("owner_id", Integer),
    Column("customer_id", Integer),
    Column("product_id", Integer),
    Column("region_id", Integer),
    Column("pipeline", String(100)),
    Column("source_channel", String(100)),
    Column("created_on", Date),
    Column("competitor", String(200)),
    Column("lost_reason", String(300)),
)


opportunity_month_end_cover = Table(
    "opportunity_month_end_cover",
    metadata,
    Column("as_of", Date, primary_key=True),
)


opportunity_stage_stay = Table(
    "opportunity_stage_stay",
    metadata,
    _pk("opportunity_stage_stay", big=True),
    Column("opportunity_id", Integer, nullable=False),
    Column("stage", String(300)),
    Column("entered_at", DateTime),
    Column("left_on", Date, nullable=False),
    Column("days", Double),
    _ref("owner_id"),
    _ref("region_id"),
    _ref("customer_id"),
    _ref("product_id"),
    Column("pipeline", String(100)),
    Column("source_channel", String(100)),
    Column("competitor", String(200)),
    Column("lost_reason", String(300)),
)


# --------------------------------------------------------------------------- revenue facts


order_header = Table(
    "order_header",
    metadata,
    _pk("order_header"),
    Column("order_no", String(100), unique=True, nullable=False),
    Column("order_date", Date),
    _ref("customer_id"),
    _ref("rep_id"),
    _ref("region_id"),
    Column("channel", String(100)),
    # Over normal lines only; normal_lines = 0 means the whole order was cancelled/returned.
    Column("amount", MONEY),
    Column("cost", MONEY),
    Column("normal_lines", Integer, default=0, nullable=False),
    Column("lines", Integer, default=0, nullable=False),
    # TRUE when the order's normal lines name more than one customer, else NULL. Such an
    # order counts for every one of its customers: customer counts read the lines then.
    Column("shared", Boolean),
    *_pg_fks(customer_id="customer", rep_id="rep", region_id="region"),
)


order_line = Table(
    "order_line",
    metadata,
    _pk("order_line"),
    _ref("order_id"),
    Column("order_no", String(100), nullable=False),
    Column("line_no", Integer, default=1, nullable=False),
    Column("order_date", Date, nullable=False),
    _ref("customer_id"),
    _ref("rep_id"),
    _ref("product_id"),
    _ref("region_id"),
    Column("channel", String(100)),
    Column("quantity", QUANTITY),
    Column("amount", MONEY, nullable=False),
    Column("cost", MONEY),
    Column("status", String(20), default="normal", nullable=False),  # normal|cancelled|returned
    UniqueConstraint("order_no", "line_no"),
    *_pg_fks(
        order_id="order_header",
        customer_id="customer",
        rep_id="rep",
        product_id="product",
        region_id="region",
    ),
)


order_line_month = Table(
    "order_line_month",
    metadata,
    _pk("order_line_month", big=True),
    Column("order_date", Date, nullable=False),
    Column("status", String(20), nullable=False),
    _ref("region_id"),
    _ref("rep_id"),
    _ref("product_id"),
    Column("channel", String(100)),
    Column("cost_known", Boolean, nullable=False),
    # A line's money is Numeric(20, 4); eight more digits hold the sum of many million lines.
    Column("amount", MONEY_SUM, nullable=False),
    Column("cost", MONEY_SUM),
    Column("lines", Integer, nullable=False),
)


order_header_month = Table(
    "order_header_month",
    metadata,
    _pk("order_header_month", big=True),
    Column("order_date", Date, nullable=False),
    _ref("customer_id"),
    _ref("rep_id"),
    _ref("region_id"),
    Column("channel", String(100)),
    Column("orders", Integer, nullable=False),
    Column("normal_lines", Integer, nullable=False),
)


payment = Table(
    "payment",
    metadata,
    _pk("payment"),
    Column("external_id", String(100), unique=True, nullable=False),
    _ref("customer_id"),
    _ref("rep_id"),
    _ref("region_id"),
    Column("order_no", String(100)),
    Column("due_date", Date),
    Column("due_amount", MONEY),
    Column("paid_date", Date),
    Column("paid_amount", MONEY),
    *_pg_fks(customer_id="customer", rep_id="rep", region_id="region"),
)


payment_month = Table(
    "payment_month",
    metadata,
    _pk("payment_month", big=True),
    Column("due_date", Date, nullable=False),
    Column("paid_date", Date),
    _ref("rep_id"),
    _ref("region_id"),
    Column("due_amount", MONEY_SUM),
    Column("paid_amount", MONEY_SUM),
)


payment_open = Table(
    "payment_open",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("external_id", String(100), nullable=False),
    _ref("customer_id"),
    _ref("rep_id"),
    _ref("region_id"),
    Column("order_no", String(100)),
    Column("due_date", Date),
    Column("due_amount", MONEY),
    Column("paid_date", Date),
    Column("paid_amount", MONEY),
)


payment_month_end = Table(
    "payment_month_end",
    metadata,
    _pk("payment_month_end", big=True),
    Column("as_of", Date, nullable=False),
    _ref("customer_id"),
    _ref("rep_id"),
    _ref("region_id"),
    Column("overdue", MONEY),
)


payment_month_end_cover = Table(
    "payment_month_end_cover",
    metadata,
    Column("as_of", Date, primary_key=True),
)


activity = Table(
    "activity",
    metadata,
    _pk("activity"),
    Column("external_id", String(100), unique=True, nullable=False),
    Column("kind", String(20), nullable=False),  # visit|call|email|meeting|web_visit|event
    _ref("customer_id"),
    _ref("rep_id"),
    _ref("opportunity_id"),
    _ref("region_id"),
    # Canonical import field "at"; "at" is a reserved word in DuckDB, hence the column name.
    Column("occurred_at", DateTime, nullable=False),  # UTC
    *_pg_fks(
        customer_id="customer", rep_id="rep", opportunity_id="opportunity", region_id="region"
    ),
)


visit_conversion = Table(
    "visit_conversion",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # activity
    Column("kind", String(20), nullable=False),
    _ref("customer_id"),
    _ref("rep_id"),
    _ref("opportunity_id"),
    _ref("region_id"),
    Column("occurred_at", DateTime, nullable=False),
    Column("converts_on", Date),
)


feedback = Table(
    "feedback",
    metadata,
    _pk("feedback"),
    Column("external_id", String(100), unique=True, nullable=False),
    _fk("customer_id", "customer"),
    _fk("rep_id", "rep"),  # the customer's owner when received
    _fk("region_id", "region"),
    Column("received_on", Date),
    Column("channel", String(100)),
    Column("nps", Integer),  # 0..10
    Column("csat", Integer),  # 1..5
    Column("category", String(20)),  # functional|emotional|service|other
    Column("priority", String(20)),
    Column("status", String(20), default="new", nullable=False),  # new|assigned|resolved|informed
    _fk("assignee_id", "rep"),
    Column("text", Text),
    Column("resolved_on", Date),
    # The closed loop (issue #25): besides a rep, a signed-in user or a department may own an
    # item; dates of each step, the due date from the SLA of its priority (0013_feedback_loop).
    _fk("assignee_user_id", "app_user"),
    Column("assignee_department", String(100)),
    Column("due_on", Date),
    Column("first_response_on", Date),
    Column("informed_on", Date),
)


marketing_spend = Table(
    "marketing_spend",
    metadata,
    _pk("marketing_spend"),
    Column("external_id", String(100), unique=True, nullable=False),
    Column("channel", String(100), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_grain", String(10), default="month", nullable=False),
    Column("amount", MONEY, nullable=False),
    _fk("region_id", "region"),
)


market_size = Table(
    "market_size",
    metadata,
    _pk("market_size"),
    Column("external_id", String(100), unique=True, nullable=False),
    _fk("region_id", "region"),
    Column("product_line", String(100)),
    Column("period_start", Date, nullable=False),
    Column("period_grain", String(10), default="year", nullable=False),
    Column("amount", MONEY, nullable=False),
    # Penetration (issue #25): the count of target accounts of a region and industry.
    Column("industry", String(100)),
    Column("accounts", Integer),
)


target = Table(
    "target",
    metadata,
    _pk("target"),
    Column("external_id", String(200), unique=True, nullable=False),
    Column("metric", String(60), nullable=False),
    Column("period_grain", String(10), nullable=False),  # year | quarter | month
    Column("period_start", Date, nullable=False),
    # company | org_unit | rep | product_line | region
    Column("scope_kind", String(20), default="company", nullable=False),
    _fk("org_unit_id", "org_unit"),
    _fk("rep_id", "rep"),
    _fk("region_id", "region"),
    Column("product_line", String(100)),
    Column("value", Numeric(20, 4), nullable=False),
    _fk("parent_id", "target"),
    # A sales channel (order_line.channel) the target is narrowed to; NULL: the scope's whole
    # quota, which is what attainment, scorecards and commission read (issue #27).
    Column("channel", String(100)),
)


announcement = Table(
    "announcement",
    metadata,
    _pk("announcement"),
    Column("external_id", String(100), unique=True, nullable=False),
    Column("kind", String(20), default="news", nullable=False),  # goal | value | news
    Column("text_zh", Text),
    Column("text_en", Text),
    Column("valid_from", Date),
    Column("valid_to", Date),
)


# --------------------------------------------------------------------------- security & ops


app_user = Table(
    "app_user",
    metadata,
    _pk("app_user"),
    Column("username", String(100), unique=True, nullable=False),  # the login name
    Column("display_name", String(200)),
    Column("email", String(200)),
    Column("locale", String(10)),  # zh_CN | en; None = the browser's
    Column("password_hash", String(300)),
    Column("role", String(20), default="viewer", nullable=False),  # see salesops.auth.roles
    _fk("rep_id", "rep"),
    _fk("org_unit_id", "org_unit"),  # data scope root for managers, viewers
    Column("active", Boolean, default=True, nullable=False),
    Column("created_at", DateTime),
    Column("password_changed_at", DateTime),
    #: sessions started before this are invalid ("sign out everywhere", password reset)
    Column("sessions_valid_after", DateTime),
    Column("locked_until", DateTime),
)


user_session = Table(
    "user_session",
    metadata,
    _pk("user_session"),
    Column("token_hash", String(100), unique=True, nullable=False),
    Column("user_id", Integer, ForeignKey("app_user.id"), nullable=False),
    Column("csrf_token", String(100), nullable=False),
    #: ``session``, or ``link``: a one-time sign-in link that becomes a session when opened
    Column("kind", String(10), default="session", nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),  # absolute expiry
    Column("client", String(100)),
    Column("user_agent", String(300)),
    Column("ended_at", DateTime),  # signed out or replaced
)


api_token = Table(
    "api_token",
    metadata,
    _pk("api_token"),
    Column("user_id", Integer, ForeignKey("app_user.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(200), unique=True, nullable=False),
    Column("prefix", String(20)),  # shown in lists to tell tokens apart
    Column("read_only", Boolean, default=True),  # None: before 0009
    Column("created_at", DateTime),
    Column("created_by", String(100)),
    Column("expires_at", DateTime),
    Column("last_used_at", DateTime),
    Column("revoked", Boolean, default=False, nullable=False),
    Column("revoked_at", DateTime),
)


wall_link = Table(
    "wall_link",
    metadata,
    _pk("wall_link"),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(100), unique=True, nullable=False),
    Column("prefix", String(20)),
    Column("scope_kind", String(20), default="all", nullable=False),  # all | org_unit | rep
    _fk("org_unit_id", "org_unit"),
    _fk("rep_id", "rep"),
    Column("query", String(500)),  # the wall's own ?rotate=&refresh=
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(100)),
    Column("expires_at", DateTime, nullable=False),
    Column("revoked_at", DateTime),
)


login_failure = Table(
    "login_failure",
    metadata,
    _pk("login_failure", big=True),
    Column("username", String(100), index=True, nullable=False),
    Column("client", String(100), index=True),
    Column("failed_at", DateTime, nullable=False),
)


audit_event = Table(
    "audit_event",
    metadata,
    _pk("audit_event"),
    Column("occurred_at", DateTime, nullable=False),
    _fk("user_id", "app_user"),
    Column("actor", String(100)),  # login, "cli:OSUSER", "token:NAME"
    Column("action", String(50), nullable=False),
    Column("target", String(300)),
    Column("detail", Text),  # JSON
    Column("client", String(100)),
    Column("outcome", String(20)),  # ok | failed | refused
)


import_run = Table(
    "import_run",
    metadata,
    _pk("import_run"),
    Column("entity", String(40), nullable=False),
    Column("source", String(500), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("rows_read", Integer, default=0, nullable=False),
    Column("inserted", Integer, default=0, nullable=False),
    Column("updated", Integer, default=0, nullable=False),
    Column("unchanged", Integer, default=0, nullable=False),
    Column("errors", Integer, default=0, nullable=False),
    Column("status", String(20), default="running", nullable=False),  # ok | failed | dry-run
    # issue 18: who ran it and its first errors, for the data page's import history
    Column("actor", String(100)),
    Column("error_sample", Text),  # JSON: the first errors
)


data_version = Table(
    "data_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False, default=1),
    Column("version", Integer, default=0, nullable=False),
    Column("changed_at", DateTime),
)


# --- issue 18: import from the browser ------------------------------------------------------


saved_mapping = Table(
    "saved_mapping",
    metadata,
    _pk("saved_mapping"),
    Column("name", String(100), unique=True, nullable=False),
    Column("entity", String(40), nullable=False),
    Column("body", Text, nullable=False),
    Column("headers", Text),  # JSON: the source columns it reads
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", String(100)),
)


# ------------------------------------------------------------------- issue #21: integration


import_source = Table(
    "import_source",
    metadata,
    _pk("import_source"),
    Column("name", String(100), unique=True, nullable=False),
    Column("kind", String(20), nullable=False),  # sql | folder | webhook
    Column("entity", String(40), nullable=False),  # an entity, or "sheet"
    Column("mapping", String(100)),  # a saved mapping's name
    Column("url", String(1000)),
    Column("query", Text),
    Column("folder", String(1000)),
    Column("secret", Text),
    Column("schedule", String(100)),  # "15m", "1h", "1d" or cron
    Column("enabled", Boolean, default=True, nullable=False),
    Column("next_run_at", DateTime),  # UTC
    Column("created_at", DateTime, nullable=False),
    Column("updated_by", String(100)),
)


import_source_run = Table(
    "import_source_run",
    metadata,
    _pk("import_source_run"),
    Column("source", String(100), index=True, nullable=False),
    Column("trigger", String(20), nullable=False),  # schedule | manual
    Column("file", String(500)),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("status", String(20), nullable=False),  # running | ok | failed
    Column("rows_read", Integer, default=0, nullable=False),
    Column("inserted", Integer, default=0, nullable=False),
    Column("updated", Integer, default=0, nullable=False),
    Column("unchanged", Integer, default=0, nullable=False),
    Column("errors", Integer, default=0, nullable=False),
    Column("message", Text),  # the first errors, passwords redacted
    Column("import_run_id", Integer),
)


webhook_delivery = Table(
    "webhook_delivery",
    metadata,
    _pk("webhook_delivery"),
    Column("sender", String(100), nullable=False),
    Column("delivery_id", String(200), nullable=False),
    Column("entity", String(40), nullable=False),
    Column("response", Text, nullable=False),  # JSON
    Column("received_at", DateTime, nullable=False),
    UniqueConstraint("sender", "delivery_id"),
)


# ------------------------------------------------------------------- issue #28: customer 360


customer_owner_history = Table(
    "customer_owner_history",
    metadata,
    _pk("customer_owner_history"),
    Column("customer_id", Integer, nullable=False),
    Column("rep_id", Integer),  # NULL: no owner in that period
    Column("valid_from", Date),  # NULL: since the beginning
    Column("valid_to", Date),  # exclusive; NULL: still current
    Column("reason", String(300)),
    Column("changed_by", String(100)),  # the actor's name
    Column("changed_by_id", Integer),
    Column("changed_at", DateTime),
    *_pg_fks(customer_id="customer", rep_id="rep", changed_by_id="app_user"),
)


task = Table(
    "task",
    metadata,
    _pk("task"),
    Column("customer_id", Integer),
    Column("opportunity_id", Integer),
    Column("owner_rep_id", Integer),
    Column("owner_user_id", Integer),
    Column("kind", String(20), default="other", nullable=False),  # see customers.tasks.KINDS
    Column("status", String(20), default="open", nullable=False),  # open | done | cancelled
    Column("title", String(300)),
    Column("due_on", Date),
    Column("notes", Text),
    Column("result", Text),
    Column("source", String(40), default="manual", nullable=False),
    Column("source_ref", String(200)),
    Column("created_on", Date, nullable=False),  # local day, what KPIs count on
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(100)),
    Column("done_on", Date),
    Column("done_at", DateTime),
    Column("done_by", String(100)),
    UniqueConstraint("source", "source_ref"),
    *_pg_fks(
        customer_id="customer",
        opportunity_id="opportunity",
        owner_rep_id="rep",
        owner_user_id="app_user",
    ),
)


task_rule = Table(
    "task_rule",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("enabled", Boolean, default=True, nullable=False),
    Column("due_days", Integer),  # task due this many days after
    Column("settings", Text),  # JSON of the rule's own parameters
    Column("changed_at", DateTime),
    Column("changed_by", String(100)),
)


# --------------------------------------------------------------------------- alerts (issue #19)


alert_rule = Table(
    "alert_rule",
    metadata,
    _pk("alert_rule"),
    Column("name", String(100), unique=True, nullable=False),
    Column("kind", String(30), nullable=False),
    Column("config", Text, nullable=False),  # JSON
    Column("severity", String(10), default="warning", nullable=False),
    Column("scope_kind", String(20), default="all", nullable=False),  # all | org_unit | rep
    _fk("org_unit_id", "org_unit"),
    _fk("rep_id", "rep"),
    Column("schedule", String(100), default="0 8 * * *", nullable=False),  # cron, local time
    Column("quiet_hours", String(20)),  # "22:00-07:00"
    Column("enabled", Boolean, default=True, nullable=False),
    Column("created_at", DateTime),
    Column("created_by", String(100)),
    Column("updated_at", DateTime),
    Column("last_due_at", DateTime),
)


alert = Table(
    "alert",
    metadata,
    _pk("alert"),
    Column("rule_id", Integer, ForeignKey("alert_rule.id"), index=True, nullable=False),
    Column("dedup_key", String(400), unique=True, nullable=False),
    Column("period", String(60), nullable=False),
    Column("subject", String(300)),
    Column("severity", String(10), nullable=False),
    #: who may see it: the scope its numbers were computed in (a rep: only their own)
    Column("scope_kind", String(20), default="all", nullable=False),
    _fk("org_unit_id", "org_unit"),
    _fk("rep_id", "rep"),
    Column("value", Double),
    Column("baseline", Double),
    Column("explanation", Text, nullable=False),  # JSON
    Column("link", String(1000)),
    Column("fired_at", DateTime, index=True, nullable=False),
    Column("status", String(20), default="active", nullable=False),  # active | acknowledged
    Column("acknowledged_by", String(100)),
    Column("acknowledged_at", DateTime),
    Column("snoozed_until", DateTime),
)


alert_item_seen = Table(
    "alert_item_seen",
    metadata,
    _pk("alert_item_seen", big=True),
    Column("rule_id", Integer, ForeignKey("alert_rule.id"), nullable=False),
    Column("item_key", String(200), nullable=False),
    Column("alert_id", Integer),
    UniqueConstraint("rule_id", "item_key"),
)


alert_channel = Table(
    "alert_channel",
    metadata,
    _pk("alert_channel"),
    Column("name", String(100), unique=True, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("target", Text),
    Column("secret", Text),
    Column("hint", String(200)),
    Column("settings", Text),  # JSON, nothing secret
    Column("enabled", Boolean, default=True, nullable=False),
    Column("created_at", DateTime),
    Column("created_by", String(100)),
)


alert_subscription = Table(
    "alert_subscription",
    metadata,
    _pk("alert_subscription"),
    Column("channel_id", Integer, ForeignKey("alert_channel.id"), nullable=False),
    Column("subscriber_kind", String(20), nullable=False),  # all | org_unit | user | role
    _fk("user_id", "app_user"),
    _fk("org_unit_id", "org_unit"),
    Column("role", String(20)),
    Column("min_severity", String(10), default="info", nullable=False),
)


alert_delivery = Table(
    "alert_delivery",
    metadata,
    _pk("alert_delivery"),
    Column("dedup_key", String(300), unique=True, nullable=False),
    Column("alert_id", Integer, ForeignKey("alert.id"), index=True, nullable=False),
    Column("channel_id", Integer, ForeignKey("alert_channel.id"), nullable=False),
    Column("recipient", String(300)),  # e-mail address
    Column("locale", String(10), default="zh_CN", nullable=False),
    Column("status", String(20), default="pending", nullable=False),
    Column("attempts", Integer, default=0, nullable=False),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("claimed_until", DateTime),
    Column("response_code", Integer),
    Column("last_error", String(500)),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
)


alert_delivery_log = Table(
    "alert_delivery_log",
    metadata,
    _pk("alert_delivery_log", big=True),
    Column("delivery_id", Integer, index=True, nullable=False),
    Column("channel_id", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("logged_at", DateTime, nullable=False),
    Column("status", String(20), nullable=False),  # sent | retry | failed | held
    Column("response_code", Integer),
    Column("detail", String(500)),
    Column("duration_ms", Integer),
)


alert_run = Table(
    "alert_run",
    metadata,
    _pk("alert_run"),
    Column("runner", String(100), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("rules_evaluated", Integer, default=0, nullable=False),
    Column("alerts_fired", Integer, default=0, nullable=False),
    Column("messages_sent", Integer, default=0, nullable=False),
    Column("status", String(20), default="ok", nullable=False),  # ok | failed
    Column("detail", Text),
)


# --------------------------------------------------------------------------- forecasts (issue #20)


forecast_result = Table(
    "forecast_result",
    metadata,
    _pk("forecast_result"),
    Column("result_key", String(64), index=True, nullable=False),
    Column("kind", String(20), nullable=False),  # landing | series
    Column("payload", Text, nullable=False),
    Column("made_at", DateTime, nullable=False),
)


forecast_snapshot = Table(
    "forecast_snapshot",
    metadata,
    _pk("forecast_snapshot"),
    Column("made_at", DateTime, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("kind", String(20), nullable=False),  # landing | series
    Column("method", String(40), nullable=False),
    Column("metric", String(60), nullable=False),
    Column("period_grain", String(10), nullable=False),  # year | quarter | month | week
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("scope_kind", String(20), default="all", nullable=False),  # all | org_unit | rep
    _fk("org_unit_id", "org_unit"),
    _fk("rep_id", "rep"),
    Column("series_key", String(300), default="", nullable=False),
    Column("expected", Double, nullable=False),
    Column("low", Double),
    Column("high", Double),
    Column("detail", Text),  # JSON
    Column("made_by", String(100)),
    Column("actual", Double),
    Column("scored_at", DateTime),
)


forecast_call = Table(
    "forecast_call",
    metadata,
    _pk("forecast_call"),
    Column("period_grain", String(10), nullable=False),
    Column("period_start", Date, nullable=False),
    _fk("rep_id", "rep"),
    _fk("org_unit_id", "org_unit"),
    Column("kind", String(20), default="submitted", nullable=False),  # submitted | adjusted
    Column("commit_amount", MONEY, nullable=False),
    Column("best_case_amount", MONEY, nullable=False),
    Column("note", Text),
    _fk("user_id", "app_user"),
    Column("made_by", String(100)),
    Column("made_at", DateTime, nullable=False),
    Column("actual", MONEY),
    Column("scored_at", DateTime),
)


# --------------------------------------------------------------------------- issue #27: people
# Incentive plans and commission statements, deal splits, scorecards and ratings, the coaching
# log and target proposals. Plans and scorecards are configuration (their rules as JSON, loaded
# from YAML); statements are computed from the metrics engine's records, and only a *closed*
# statement (paid) is kept, line by line, so a later return can be clawed back exactly.


incentive_plan = Table(
    "incentive_plan",
    metadata,
    _pk("incentive_plan"),
    Column("code", String(100), unique=True, nullable=False),
    Column("name", String(200), nullable=False),
    Column("period_grain", String(10), default="quarter", nullable=False),  # month|quarter|year
    Column("basis", String(20), default="revenue", nullable=False),  # revenue|bookings|collected
    Column("rules", Text, nullable=False),  # JSON, checked by salesops.people.plans
    Column("active", Boolean, default=True, nullable=False),
    Column("updated_at", DateTime),
    Column("updated_by", String(100)),
)


deal_split = Table(
    "deal_split",
    metadata,
    _pk("deal_split"),
    Column("opportunity_id", Integer),
    Column("order_no", String(100)),
    Column("rep_id", Integer, ForeignKey("rep.id"), nullable=False),
    Column("share", RATE, nullable=False),
    UniqueConstraint("opportunity_id", "order_no", "rep_id"),
)


commission_statement = Table(
    "commission_statement",
    metadata,
    _pk("commission_statement"),
    Column("plan_id", Integer, ForeignKey("incentive_plan.id"), nullable=False),
    Column("rep_id", Integer, ForeignKey("rep.id"), nullable=False),
    Column("period_grain", String(10), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("total", MONEY, nullable=False),
    Column("closed_at", DateTime, nullable=False),
    Column("closed_by", String(100)),
    UniqueConstraint("plan_id", "rep_id", "period_start"),
)


commission_line = Table(
    "commission_line",
    metadata,
    _pk("commission_line"),
    Column("statement_id", Integer, ForeignKey("commission_statement.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", String(20), nullable=False),  # commission | spiff | bonus | clawback
    Column("source", String(20), nullable=False),  # order_line | opportunity | payment | kpi
    Column("source_id", Integer),
    Column("reference", String(200)),  # order no, deal id, KPI id
    Column("credit", MONEY),
    Column("share", RATE),
    Column("tier", String(60)),
    Column("rate", RATE),
    Column("amount", MONEY, nullable=False),
)


scorecard = Table(
    "scorecard",
    metadata,
    _pk("scorecard"),
    Column("code", String(100), unique=True, nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", String(20), default="rep", nullable=False),
    Column("period_grain", String(10), default="quarter", nullable=False),
    Column("missing", String(10), default="skip", nullable=False),  # skip | zero
    Column("active", Boolean, default=True, nullable=False),
)


scorecard_item = Table(
    "scorecard_item",
    metadata,
    _pk("scorecard_item"),
    Column("scorecard_id", Integer, ForeignKey("scorecard.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("code", String(60), nullable=False),
    Column("label_en", String(200), nullable=False),
    Column("label_zh", String(200)),
    Column("kind", String(10), nullable=False),  # kpi | rated
    Column("metric", String(60)),
    Column("weight", RATE, nullable=False),
    Column("scoring", String(10), nullable=False),  # target | bands | rating
    Column("bands", Text),  # JSON [[from, score], ...]
    Column("target_value", MONEY),
)


rep_rating = Table(
    "rep_rating",
    metadata,
    _pk("rep_rating"),
    Column("item_id", Integer, ForeignKey("scorecard_item.id"), nullable=False),
    Column("rep_id", Integer, ForeignKey("rep.id"), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("score", RATE, nullable=False),
    Column("comment", Text),
    Column("rated_by", String(100)),
    Column("rated_at", DateTime),
    UniqueConstraint("item_id", "rep_id", "period_start"),
)


coaching_entry = Table(
    "coaching_entry",
    metadata,
    _pk("coaching_entry"),
    Column("rep_id", Integer, ForeignKey("rep.id"), index=True, nullable=False),
    Column("kind", String(20), nullable=False),  # one_to_one | training | skill | action
    Column("occurred_on", Date, nullable=False),
    Column("owner", String(200)),
    Column("title", String(300), nullable=False),
    Column("notes", Text),
    Column("due_on", Date),
    Column("done", Boolean),
    Column("created_by", String(100)),
    Column("created_at", DateTime),
)


target_proposal = Table(
    "target_proposal",
    metadata,
    _pk("target_proposal"),
    Column("metric", String(60), nullable=False),
    Column("period_grain", String(10), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("scope_kind", String(20), nullable=False),  # rep | org_unit
    _fk("rep_id", "rep"),
    _fk("org_unit_id", "org_unit"),
    Column("channel", String(100)),  # NULL: the whole quota
    Column("value", MONEY, nullable=False),
    Column("comment", Text),
    Column("proposed_by", String(100), nullable=False),
    Column("proposed_at", DateTime, nullable=False),
    # open | accepted | adjusted | rejected
    Column("status", String(10), default="open", nullable=False),
    Column("decided_value", MONEY),
    Column("decision_comment", Text),
    Column("decided_by", String(100)),
    Column("decided_at", DateTime),
    _fk("target_id", "target"),
)


# ---------------------------------------------------------------- issue #25: the feedback loop


feedback_event = Table(
    "feedback_event",
    metadata,
    _pk("feedback_event"),
    Column("feedback_id", Integer, nullable=False),
    Column("changed_at", DateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(20), nullable=False),  # assign | resolve | inform | reopen | note
    Column("from_status", String(20)),
    Column("to_status", String(20)),
    Column("assignee", String(200)),  # as shown: "rep:张伟" ...
    Column("due_on", Date),
    Column("note", Text),
    *_pg_fks(feedback_id="feedback"),
)


# issue #21 (webhook record versions) and #26 (review archive and schedules)

# The ``version`` / ``updated_at`` a webhook record last written carried, per entity and
# ``external_id``: a record arriving late with an older one is skipped
# (:mod:`salesops.integrate.webhook`).
record_version = Table(
    "record_version",
    metadata,
    Column("entity", String(40), primary_key=True),
    Column("external_id", String(300), primary_key=True),
    Column("version", BigInteger),
    Column("updated_at", DateTime),
    Column("recorded_at", DateTime, nullable=False),
)


# A generated review kept: what it is (kind, period, scope, language), who or what made
# it (``source``: page | api | cli | schedule) and when. Its files are ``report_file`` rows.
# A scheduled run is unique per schedule and due time (the run's second guard).
report_archive = Table(
    "report_archive",
    metadata,
    _pk("report_archive"),
    Column("kind", String(20), nullable=False),
    Column("period", String(20), nullable=False),  # its label: 2026-W48, FY2026-Q2 ...
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("scope_kind", String(20), nullable=False),  # all | org_unit | rep (Scope.kind)
    Column("org_unit_id", Integer),
    Column("rep_id", Integer),
    Column("scope_name", String(200), nullable=False),
    Column("lang", String(5), nullable=False),
    Column("title", String(300), nullable=False),
    Column("summary", Text),  # JSON list of the summary sentences
    Column("source", String(20), nullable=False),
    Column("generated_by", String(100), nullable=False),
    Column("schedule_id", Integer),
    Column("due_at", DateTime),  # UTC
    Column("created_at", DateTime, index=True, nullable=False),
    UniqueConstraint("schedule_id", "due_at"),
)


# One rendered file of an archived review, base64 in a text column: the backup package
# archives it like any other table, on DuckDB and PostgreSQL alike.
report_file = Table(
    "report_file",
    metadata,
    _pk("report_file"),
    Column("archive_id", Integer, index=True, nullable=False),
    Column("format", String(10), nullable=False),  # html | pdf | xlsx | md
    Column("filename", String(300), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", Text, nullable=False),  # base64
)


# A review delivered on a cron line (board time zone) to alert channels. ``next_due_at``
# is claimed by one guarded UPDATE; ``running_due_at`` + ``claimed_until`` let another runner
# finish a run whose runner died before it was archived.
report_schedule = Table(
    "report_schedule",
    metadata,
    _pk("report_schedule"),
    Column("name", String(100), unique=True, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("scope_kind", String(20), nullable=False),
    Column("org_unit_id", Integer),
    Column("rep_id", Integer),
    Column("scope_name", String(200), nullable=False),
    Column("lang", String(5), nullable=False),
    Column("formats", String(50), nullable=False),  # comma-separated: pdf,xlsx
    Column("fiscal", Boolean, default=False, nullable=False),
    Column("cron", String(100), nullable=False),
    Column("recipients", Text, nullable=False),  # JSON [{"channel": name, "to": [...]}]
    Column("enabled", Boolean, default=True, nullable=False),
    Column("next_due_at", DateTime, nullable=False),  # UTC
    Column("running_due_at", DateTime),
    Column("claimed_until", DateTime),
    Column("last_run_at", DateTime),
    Column("last_error", String(500)),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime, nullable=False),
)


# The reviews' outbox: one archived review to one channel (and recipient), delivered by
# :mod:`salesops.notify.outbox` like an alert (claims, rate limits, unconfirmed).
report_delivery = Table(
    "report_delivery",
    metadata,
    _pk("report_delivery"),
    Column("dedup_key", String(300), unique=True, nullable=False),
    Column("archive_id", Integer, index=True, nullable=False),
    Column("channel_id", Integer, nullable=False),
    Column("recipient", String(300)),
    Column("locale", String(10), default="zh_CN", nullable=False),
    Column("status", String(20), default="pending", nullable=False),
    Column("attempts", Integer, default=0, nullable=False),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("claimed_until", DateTime),
    Column("response_code", Integer),
    Column("last_error", String(500)),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
)


# One row per attempt of a review's delivery (counted in the channel's rate limits).
report_delivery_log = Table(
    "report_delivery_log",
    metadata,
    _pk("report_delivery_log", big=True),
    Column("delivery_id", Integer, index=True, nullable=False),
    Column("channel_id", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("logged_at", DateTime, nullable=False),
    Column("status", String(20), nullable=False),
    Column("response_code", Integer),
    Column("detail", String(500)),
    Column("duration_ms", Integer),
)


# Indexes that serve the time-filtered scans of the metrics engine on PostgreSQL.
_pg_index("ix_order_line_order_date", order_line.c.order_date)
_pg_index("ix_order_line_order_id", order_line.c.order_id)
_pg_index("ix_order_header_order_date", order_header.c.order_date)
# The few shared orders, found without reading every header (see ``order_header.shared``).
Index("ix_order_header_shared", order_header.c.id, postgresql_where=order_header.c.shared).ddl_if(
    dialect="postgresql"
)
_pg_index("ix_order_line_month_order_date", order_line_month.c.order_date)
_pg_index("ix_order_header_month_order_date", order_header_month.c.order_date)
_pg_index("ix_opportunity_closed_on", opportunity.c.closed_on)
_pg_index("ix_opportunity_customer_id", opportunity.c.customer_id)
_pg_index("ix_opportunity_change_opportunity_id", opportunity_change.c.opportunity_id)
_pg_index("ix_opportunity_stage_stay_left_on", opportunity_stage_stay.c.left_on)
_pg_index("ix_opportunity_stage_stay_opportunity_id", opportunity_stage_stay.c.opportunity_id)
_pg_index("ix_payment_due_date", payment.c.due_date)
_pg_index("ix_payment_month_due_date", payment_month.c.due_date)
_pg_index("ix_payment_month_end_as_of", payment_month_end.c.as_of)
_pg_index("ix_activity_occurred_at", activity.c.occurred_at)
# Who counts as a seller in a period (per-rep KPIs: a rep with orders, deals or a quota then)
# asks per rep and period; without these PostgreSQL scanned the deals once per rep and month.
_pg_index("ix_opportunity_owner_created", opportunity.c.owner_id, opportunity.c.created_on)
Index(
    "ix_order_header_rep_date",
    order_header.c.rep_id,
    order_header.c.order_date,
    postgresql_where=order_header.c.normal_lines > 0,
).ddl_if(dialect="postgresql")
Index("ix_target_rep", target.c.rep_id, postgresql_where=target.c.rep_id.is_not(None)).ddl_if(
    dialect="postgresql"
)
# issue #28: the customer page reads one customer's facts.
_pg_index("ix_order_header_customer_id", order_header.c.customer_id)
_pg_index("ix_payment_customer_id", payment.c.customer_id)
_pg_index("ix_activity_customer_id", activity.c.customer_id)
_pg_index("ix_task_customer_id", task.c.customer_id)
_pg_index("ix_customer_owner_history_customer_id", customer_owner_history.c.customer_id)


def _duckdb_has_no_foreign_keys() -> None:
    """Make every foreign key PostgreSQL-only (see the module docstring for why)."""
    for table in metadata.tables.values():
        for constraint in table.foreign_key_constraints:
            constraint.ddl_if(dialect="postgresql")


_duckdb_has_no_foreign_keys()


class Columns:
    """A table's columns as attributes, the way its ORM class offers them in a statement
    (``Opportunity.amount``, ``Opportunity.__table__``, ``select_from(Opportunity)``), without
    the ORM."""

    __slots__ = ("__table__",)

    def __init__(self, table: Table) -> None:
        self.__table__ = table

    @property
    def __tablename__(self) -> str:
        return self.__table__.name

    def __getattr__(self, name: str) -> Column[Any]:
        try:
            return self.__table__.c[name]
        except KeyError:
            raise AttributeError(f"{self.__table__.name} has no column {name!r}") from None

    def __clause_element__(self) -> Table:
        return self.__table__

    def __repr__(self) -> str:
        return f"Columns({self.__table__.name})"


Region = Columns(region)
OrgUnit = Columns(org_unit)
Rep = Columns(rep)
Product = Columns(product)
Customer = Columns(customer)
PipelineStage = Columns(pipeline_stage)
Lead = Columns(lead)
Opportunity = Columns(opportunity)
OpportunityChange = Columns(opportunity_change)
OpportunityMonthEnd = Columns(opportunity_month_end)
OpportunityMonthEndCover = Columns(opportunity_month_end_cover)
OpportunityStageStay = Columns(opportunity_stage_stay)
OrderHeader = Columns(order_header)
OrderLine = Columns(order_line)
OrderLineMonth = Columns(order_line_month)
OrderHeaderMonth = Columns(order_header_month)
Payment = Columns(payment)
PaymentMonth = Columns(payment_month)
PaymentOpen = Columns(payment_open)
PaymentMonthEnd = Columns(payment_month_end)
PaymentMonthEndCover = Columns(payment_month_end_cover)
Activity = Columns(activity)
VisitConversion = Columns(visit_conversion)
Feedback = Columns(feedback)
MarketingSpend = Columns(marketing_spend)
MarketSize = Columns(market_size)
Target = Columns(target)
Announcement = Columns(announcement)
AppUser = Columns(app_user)
UserSession = Columns(user_session)
ApiToken = Columns(api_token)
WallLink = Columns(wall_link)
LoginFailure = Columns(login_failure)
AuditEvent = Columns(audit_event)
ImportRun = Columns(import_run)
DataVersion = Columns(data_version)
SavedMapping = Columns(saved_mapping)
ImportSource = Columns(import_source)
ImportSourceRun = Columns(import_source_run)
WebhookDelivery = Columns(webhook_delivery)
CustomerOwnerHistory = Columns(customer_owner_history)
Task = Columns(task)
TaskRule = Columns(task_rule)
AlertRule = Columns(alert_rule)
Alert = Columns(alert)
AlertItemSeen = Columns(alert_item_seen)
AlertChannel = Columns(alert_channel)
AlertSubscription = Columns(alert_subscription)
AlertDelivery = Columns(alert_delivery)
AlertDeliveryLog = Columns(alert_delivery_log)
AlertRun = Columns(alert_run)
ForecastResult = Columns(forecast_result)
ForecastSnapshot = Columns(forecast_snapshot)
ForecastCall = Columns(forecast_call)
IncentivePlan = Columns(incentive_plan)
DealSplit = Columns(deal_split)
CommissionStatement = Columns(commission_statement)
CommissionLine = Columns(commission_line)
Scorecard = Columns(scorecard)
ScorecardItem = Columns(scorecard_item)
RepRating = Columns(rep_rating)
CoachingEntry = Columns(coaching_entry)
TargetProposal = Columns(target_proposal)
FeedbackEvent = Columns(feedback_event)
