"""The only writer of facts: staged rows → resolved references → upsert, in a few statements.

Within the caller's transaction:

1. the converted rows are bulk-loaded into a staging table (:mod:`staging`);
2. references are resolved (:mod:`resolve`);
3. one ``_imp_prep`` table holds each record as it will be: mapped fields from the file,
   unmapped ones kept from the existing record, schema defaults for new records, the sales
   region (own region, else the rep's, else the customer's), ``cost = amount - profit``;
4. required values are checked; any error so far and the caller rolls everything back;
5. changed records are found with ``IS DISTINCT FROM`` and updated (non-key columns only:
   DuckDB refuses updates to unique columns of referenced rows), new ones inserted;
6. for opportunities, every change of stage, status, amount, probability, expected close
   date or owner is written to ``opportunity_change``, and a new opportunity gets its
   initial stage and status (old value NULL, at its ``created_on``);
7. self references (org unit parent, rep manager, target parent) are resolved once every
   record of the file exists;
8. ``salesops.db.derived.refresh_after_write`` keeps order headers, the monthly order-line
   summary, customer order dates, the month-end pipeline, stage stays, visit conversions and
   the data version exact — only when something changed, and only for what the load touched
   (the orders, months, opportunities and customers it names in temporary tables).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pyarrow as pa
from sqlalchemy import Connection, Numeric, text

from salesops.db.derived import month_of, refresh_after_write
from salesops.ingest.convert import staging_name
from salesops.ingest.errors import ErrorList
from salesops.ingest.fields import EntitySpec, Field
from salesops.ingest.mapping import Mapping
from salesops.ingest.resolve import RefStats, insert_defaults, ref_table, resolve, sql_literal
from salesops.ingest.staging import (
    STAGING,
    analyze_staging,
    append_staging,
    create_staging,
    drop_temp,
)

PREP = "_imp_prep"
CHANGED = "_imp_changed"
SELF = "_imp_self"
ORDERS = "_imp_orders"
OPPS = "_imp_opps"
MONTHS = "_imp_months"
CUSTOMERS = "_imp_customers"
OWNERS = "_imp_owners"
#: Entities whose rows decide when a visit converts (``visit_conversion``).
VISIT_FACTS = ("order_line", "opportunity", "activity")
#: Rows written from which an import on PostgreSQL refreshes the planner's statistics, and
#: the tables it refreshes them for (the entity's table, its derived ones).
ANALYZE_ROWS = 10_000
ANALYZED = {
    "order_line": ("order_line", "order_header", "order_line_month", "order_header_month"),
    "opportunity": ("opportunity", "opportunity_change"),
    "opportunity_change": ("opportunity_change",),
    "payment": ("payment", "payment_month_end"),
}
HISTORY_FIELDS = ("stage", "status", "amount", "probability", "expected_close_on", "owner")
_MAX_REPORTED = 1000


#: What ``opportunity_change.source`` says: a history file, an import's diff, an API write.
HISTORY_SOURCES = ("history", "import", "api")


@dataclass
class LoadResult:
    """What the loader did (or, in a dry run, would have done)."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    history: int = 0  # opportunity_change rows written
    refs: RefStats = field(default_factory=RefStats)
    data_version: int | None = None

    @property
    def changed(self) -> bool:
        """Whether anything at all was written."""
        return bool(self.inserted or self.updated or self.history or self.refs.created)


def temp_tables(spec: EntitySpec) -> list[str]:
    """Every temporary table a load of ``spec`` may create."""
    refs = [ref_table(f) for f in spec.fields if f.kind in ("ref", "region")]
    return [STAGING, PREP, CHANGED, SELF, ORDERS, OPPS, MONTHS, CUSTOMERS, OWNERS, *refs]


class Loader:
    """One load of one staged file into one entity's table."""

    def __init__(
        self,
        conn: Connection,
        mapping: Mapping,
        errors: ErrorList,
        *,
        changed_at: dt.datetime,
        as_of_given: bool,
        history_source: str = "import",
    ) -> None:
        self.conn = conn
        self.mapping = mapping
        self.spec = mapping.spec
        self.table = self.spec.table.name
        self.errors = errors
        self.changed_at = changed_at
        self.as_of_given = as_of_given
        if history_source not in HISTORY_SOURCES:
            raise ValueError(f"history source must be one of {', '.join(HISTORY_SOURCES)}")
        self.history_source = history_source  # opportunity_change.source of this load
        self.result = LoadResult()
        self.staged: set[str] = set()  # staging columns (f_<field>) of this file
        self.schema: pa.Schema | None = None  # of the staging table, once created
        self.rows_staged = 0
        self.columns: list[str] = []  # database columns the load writes

    # ------------------------------------------------------------------ helpers

    def _sql(self, sql: str, **params: object) -> int:
        return int(self.conn.execute(text(sql), params).rowcount or 0)

    def _scalar(self, sql: str) -> int:
        return int(self.conn.execute(text(sql)).scalar_one() or 0)

    def _has(self, name: str) -> bool:
        return staging_name(name) in self.staged

    def _label(self, name: str) -> str:
        cspec = self.mapping.columns.get(name)
        return cspec.column if cspec and cspec.column else name

    # ------------------------------------------------------------------ steps

    def stage(self, table: pa.Table) -> None:
        """Step 1: bulk-load the converted rows (of the whole file)."""
        self.stage_batch(table)
        self.staged_done()

    def stage_batch(self, table: pa.Table) -> None:
        """Step 1, a batch at a time: bulk-load the converted rows of one batch of the file
        (the first batch creates the staging table; every batch has its columns)."""
        if self.schema is None:
            drop_temp(self.conn, *temp_tables(self.spec))
            create_staging(self.conn, table.schema)
            self.schema = table.schema
            self.staged = set(table.schema.names)
        elif table.schema != self.schema:
            table = table.cast(self.schema)
        append_staging(self.conn, table)
        self.rows_staged += table.num_rows

    def restage(self) -> None:
        """Forget the rows staged so far (the file is read again from its start)."""
        if self.schema is not None:
            self._sql(f"DELETE FROM {STAGING}")  # noqa: S608
        self.rows_staged = 0

    def staged_done(self) -> None:
        """Every batch is staged."""
        analyze_staging(self.conn)

    def resolve_references(self) -> None:
        """Step 2: every reference except self references (those come after the upsert)."""
        for f in self.spec.fields:
            if f.kind in ("ref", "region") and self._has(f.name) and f.ref != self.spec.name:
                resolve(
                    self.conn,
                    f,
                    self.mapping.on_unknown_reference,
                    self.errors,
                    self.result.refs,
                    self._label(f.name),
                )

    def _value(self, f: Field) -> str:
        """SQL for the new value of field ``f`` in the prep query."""
        column = f.db_column
        if not self._has(f.name):
            return f"t.{column}" if not self.spec.append_only else "NULL"
        if f.kind in ("ref", "region"):
            return f"r_{f.name}.id"
        if f.kind in ("decimal", "rate"):
            assert column is not None
            col_type = self.spec.table.c[column].type
            assert isinstance(col_type, Numeric)
            return (
                f"CAST(s.{staging_name(f.name)} AS NUMERIC({col_type.precision}, {col_type.scale}))"
            )
        return f"s.{staging_name(f.name)}"

    def prepare(self) -> None:
        """Step 3: the ``_imp_prep`` table, one row per file row, as the record will be."""
        spec = self.spec
        exprs: dict[str, str] = {}
        joins: list[str] = []
        for f in spec.fields:
            if f.kind in ("ref", "region") and self._has(f.name) and f.ref != spec.name:
                joins.append(
                    f"LEFT JOIN {ref_table(f)} AS r_{f.name} "
                    f"ON r_{f.name}.val = s.{staging_name(f.name)}"
                )
            if f.db_column is None or f.ref == spec.name:
                continue
            exprs[f.db_column] = self._value(f)
        self._specials(exprs, joins)
        defaults = insert_defaults(self.table, set())
        for f in spec.fields:
            if f.default is not None and f.db_column:
                defaults[f.db_column] = sql_literal(f.default)
        for column, literal in defaults.items():
            if column in exprs:
                exprs[column] = f"COALESCE({exprs[column]}, {literal})"
        select = ", ".join(f"{e} AS {c}" for c, e in exprs.items())
        extra = ""
        if self._has("snapshot_at"):
            extra = f", s.{staging_name('snapshot_at')} AS _snapshot_at"
        key_join = self._key_join()
        drop_temp(self.conn, PREP)
        self._sql(
            f"""
            CREATE TEMPORARY TABLE {PREP} AS
            SELECT s._row AS _row, s._idx AS _idx, {key_join[0]} AS _id{extra}, {select}
            FROM {STAGING} AS s
            {key_join[1]}
            {" ".join(joins)}
            """  # noqa: S608 - identifiers and our own literals only
        )
        self.columns = list(exprs)

    def _key_join(self) -> tuple[str, str]:
        spec = self.spec
        if spec.append_only:
            return "CAST(NULL AS INTEGER)", ""
        on = " AND ".join(f"t.{spec.field(k).db_column} = s.{staging_name(k)}" for k in spec.key)
        return "t.id", f"LEFT JOIN {self.table} AS t ON {on}"

    def _specials(self, exprs: dict[str, str], joins: list[str]) -> None:
        """Entity rules: sales region, cost from profit, status from stage, stage position."""
        spec = self.spec
        if spec.name == "order_line" and self._has("profit"):
            money = self.spec.table.c["amount"].type
            assert isinstance(money, Numeric)
            profit = (
                f"CAST(s.{staging_name('profit')} AS NUMERIC({money.precision}, {money.scale}))"
            )
            from_profit = f"({exprs['amount']} - {profit})"
            exprs["cost"] = (
                f"COALESCE({exprs['cost']}, {from_profit})" if self._has("cost") else from_profit
            )
        if spec.name == "opportunity" and (self._has("status") or self._has("stage")):
            joins.append(
                "LEFT JOIN (SELECT pipeline, lower(name) AS k, min(kind) AS kind "  # noqa: S608
                "FROM pipeline_stage GROUP BY pipeline, lower(name)) AS ps "
                f"ON ps.pipeline = COALESCE({exprs['pipeline']}, 'default') "
                f"AND ps.k = lower({exprs['stage']})"
            )
            given = f"s.{staging_name('status')}" if self._has("status") else "NULL"
            exprs["status"] = f"COALESCE({given}, ps.kind, t.status)"
        if spec.name == "opportunity" and self._has("closed_on"):
            # CRMs export one "Close Date" (expected for open deals, actual for closed ones):
            # an open opportunity has no closed_on.
            status = f"COALESCE({exprs['status']}, 'open')"
            exprs["closed_on"] = (
                f"CASE WHEN {status} IN ('won', 'lost') THEN {exprs['closed_on']} END"
            )
        if spec.name == "pipeline_stage":
            exprs["position"] = f"COALESCE({exprs['position']}, t.position, s._idx)"
        if spec.sales_region:
            rep_field, customer_field = spec.sales_region
            rep_col = spec.field(rep_field).db_column
            cust_col = spec.field(customer_field).db_column
            assert rep_col and cust_col
            joins.append(f"LEFT JOIN customer AS sc ON sc.id = {exprs[cust_col]}")
            if spec.name == "feedback":
                # the rep of a feedback is the customer's owner when the file names none
                exprs[rep_col] = f"COALESCE({exprs[rep_col]}, sc.owner_id)"
            joins.append(f"LEFT JOIN rep AS sr ON sr.id = {exprs[rep_col]}")
            if any(self._has(n) for n in ("region", rep_field, customer_field)):
                own = "r_region.id" if self._has("region") else "NULL"
                exprs["region_id"] = f"COALESCE({own}, sr.region_id, sc.region_id)"

    def check_required(self) -> None:
        """Step 4: NOT NULL columns must have a value in every record."""
        for f in self.spec.fields:
            column = f.db_column
            if column is None or column not in self.columns:
                continue
            if self.spec.table.c[column].nullable:
                continue
            base = f"FROM {PREP} WHERE {column} IS NULL"
            total = self._scalar(f"SELECT count(*) {base}")
            if not total:
                continue
            rows = self.conn.execute(
                text(f"SELECT _row {base} ORDER BY _row LIMIT {_MAX_REPORTED}")
            ).scalars()
            reason = f"{f.name} is required" + (
                "" if self._has(f.name) else " (map a column to it)"
            )
            label = self._label(f.name)
            for row_no in rows:
                if not self.errors.seen(int(row_no), label):  # a bad value became null
                    self.errors.add(int(row_no), label, None, reason)
            self.errors.count_more(total - min(total, _MAX_REPORTED))

    def upsert(self) -> None:
        """Steps 5-6: update changed records, insert new ones, record opportunity history."""
        if self.spec.append_only:
            self._append()
            return
        keys = {self.spec.field(k).db_column for k in self.spec.key}
        settable = [c for c in self.columns if c not in keys]
        differs = " OR ".join(f"t.{c} IS DISTINCT FROM p.{c}" for c in settable) or "FALSE"
        drop_temp(self.conn, CHANGED)
        self._sql(
            f"CREATE TEMPORARY TABLE {CHANGED} AS SELECT p._id AS id FROM {PREP} AS p "  # noqa: S608
            f"JOIN {self.table} AS t ON t.id = p._id WHERE {differs}"
        )
        if self.spec.name == "opportunity":
            self.result.history += self._history_of_changes()
        if self.spec.name == "order_line":
            self._remember_months()
        if self.spec.name in VISIT_FACTS:
            self._remember_customers()
        if self.spec.name == "customer" and "owner_id" in settable:
            self._owner_history()  # not counted in ``history`` (opportunity changes)
        if settable:
            assignments = ", ".join(f"{c} = p.{c}" for c in settable)
            self.result.updated = self._sql(
                f"UPDATE {self.table} SET {assignments} FROM {PREP} AS p "  # noqa: S608
                f"WHERE {self.table}.id = p._id AND p._id IN (SELECT id FROM {CHANGED})"
            )
        cols = ", ".join(self.columns)
        if self.spec.name == "order_line" and self.conn.dialect.name == "postgresql":
            self.result.inserted = self._insert_order_lines(cols)
        else:
            self.result.inserted = self._sql(
                f"INSERT INTO {self.table} ({cols}) SELECT {cols} FROM {PREP} "  # noqa: S608
                "WHERE _id IS NULL ORDER BY _idx"
            )
        if self.spec.name == "opportunity":
            self.result.history += self._initial_history()

    def _remember_months(self) -> None:
        """The months whose ``order_line_month`` rows this load changes, taken before the
        write: where the changed lines are now and where they and the new lines will be
        (a line whose date moves from March to April changes both months)."""
        drop_temp(self.conn, MONTHS)
        self._sql(
            f"""
            CREATE TEMPORARY TABLE {MONTHS} AS
            SELECT {month_of("t.order_date")} AS month FROM {self.table} AS t
            WHERE t.id IN (SELECT id FROM {CHANGED})
            UNION
            SELECT {month_of("p.order_date")} AS month FROM {PREP} AS p
            WHERE p._id IS NULL OR p._id IN (SELECT id FROM {CHANGED})
            """  # noqa: S608 - our own table names only
        )

    def _remember_customers(self) -> None:
        """The customers whose visits' conversion this load can change, taken before the
        write: of the changed records as they are now and as they will be, and of new ones
        (a won deal moved to another customer changes both)."""
        drop_temp(self.conn, CUSTOMERS)
        self._sql(
            f"""
            CREATE TEMPORARY TABLE {CUSTOMERS} AS
            SELECT t.customer_id FROM {self.table} AS t
            WHERE t.id IN (SELECT id FROM {CHANGED}) AND t.customer_id IS NOT NULL
            UNION
            SELECT p.customer_id FROM {PREP} AS p
            WHERE (p._id IS NULL OR p._id IN (SELECT id FROM {CHANGED}))
              AND p.customer_id IS NOT NULL
            """  # noqa: S608 - our own table names only
        )

    def _insert_order_lines(self, cols: str) -> int:
        """New order lines, inserted with their ``order_id`` already set.

        PostgreSQL only. Their order headers are created first (empty; ``refresh_after_write``
        fills them in the same transaction), because setting ``order_id`` afterwards means an
        UPDATE of every new line — a second version of each row: 6 s of a 13 s import of
        200,000 lines. On DuckDB it is the other way round: updating 333,000 fresh headers
        takes 7.6 s, setting ``order_id`` on a million lines well under one.
        """
        self._sql(
            "INSERT INTO order_header (order_no, normal_lines, lines) "  # noqa: S608
            f"SELECT DISTINCT p.order_no, 0, 0 FROM {PREP} AS p WHERE p._id IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM order_header AS h WHERE h.order_no = p.order_no)"
        )
        selected = ", ".join(f"p.{c}" for c in self.columns)
        return self._sql(
            f"INSERT INTO order_line ({cols}, order_id) SELECT {selected}, h.id "  # noqa: S608
            f"FROM {PREP} AS p JOIN order_header AS h ON h.order_no = p.order_no "
            "WHERE p._id IS NULL ORDER BY p._idx"
        )

    def _append(self) -> None:
        """opportunity_change: add rows not already recorded (the same change at the same time)."""
        cols = ", ".join(self.columns)
        same = " AND ".join(
            f"c.{c} IS NOT DISTINCT FROM p.{c}"
            for c in ("opportunity_id", "field", "old_value", "new_value", "changed_at")
        )
        self.result.inserted = self._sql(
            f"INSERT INTO {self.table} ({cols}) SELECT {cols} FROM {PREP} AS p "  # noqa: S608
            f"WHERE NOT EXISTS (SELECT 1 FROM {self.table} AS c WHERE {same}) "
            f"GROUP BY {cols} ORDER BY min(p._idx)"  # one row per distinct change, file order
        )

    def _changed_at(self, alias: str = "p") -> str:
        if not self.as_of_given and self._has("snapshot_at"):
            return f"COALESCE({alias}._snapshot_at, :changed_at)"
        return ":changed_at"

    def _history_of_changes(self) -> int:
        selects = []
        for rank, name in enumerate(HISTORY_FIELDS):
            if name == "owner":
                old, new = "ro.external_id", "rn.external_id"
                cond = "t.owner_id IS DISTINCT FROM p.owner_id"
            else:
                old, new = f"CAST(t.{name} AS VARCHAR)", f"CAST(p.{name} AS VARCHAR)"
                cond = f"t.{name} IS DISTINCT FROM p.{name}"
            selects.append(
                f"SELECT t.id, '{name}', {old}, {new}, {self._changed_at()}, "  # noqa: S608
                f"'{self.history_source}', "
                f"{rank} AS _rank, p._idx AS _idx "
                f"FROM {PREP} AS p JOIN opportunity AS t ON t.id = p._id "
                "LEFT JOIN rep AS ro ON ro.id = t.owner_id "
                "LEFT JOIN rep AS rn ON rn.id = p.owner_id "
                f"WHERE {cond}"
            )
        return self._insert_history(selects)

    def _insert_history(self, selects: list[str]) -> int:
        """Insert the union of ``selects`` in field-then-file order, so ids are deterministic."""
        union = " UNION ALL ".join(selects)
        return self._sql(
            "INSERT INTO opportunity_change "  # noqa: S608 - our own column and table names
            "(opportunity_id, field, old_value, new_value, changed_at, source) "
            f"SELECT u.c0, u.c1, u.c2, u.c3, u.c4, u.c5 FROM ({union}) "
            "AS u (c0, c1, c2, c3, c4, c5, _rank, _idx) ORDER BY u._rank, u._idx",
            changed_at=self.changed_at,
        )

    def _owner_history(self) -> int:
        """A customer whose owner the file changes gets an ownership period in
        ``customer_owner_history``, as a reassignment writes it (reason ``import``), from the
        day of the snapshot (``--as-of``, else the import time) in the board's time zone: the
        open period is closed that day (or, begun that same day, replaced), and when the
        customer had no history its earlier owner gets the period before. A re-import of the
        same file changes no owner, so it writes nothing. Returns the periods written."""
        from zoneinfo import ZoneInfo

        from salesops.config import get_settings

        zone = ZoneInfo(get_settings().timezone)
        day = self.changed_at.replace(tzinfo=dt.UTC).astimezone(zone).date()
        drop_temp(self.conn, OWNERS)
        open_row = "h.customer_id = t.id AND h.valid_to IS NULL"
        self._sql(
            f"""
            CREATE TEMPORARY TABLE {OWNERS} AS
            SELECT t.id AS customer_id, t.owner_id AS old_id, p.owner_id AS new_id,
                   EXISTS (SELECT 1 FROM customer_owner_history AS h WHERE {open_row})
                       AS has_open,
                   EXISTS (SELECT 1 FROM customer_owner_history AS h
                           WHERE {open_row} AND h.valid_from >= :day) AS same_day
            FROM {PREP} AS p JOIN customer AS t ON t.id = p._id
            WHERE t.owner_id IS DISTINCT FROM p.owner_id
            """,  # noqa: S608 - our own table names only
            day=day,
        )
        who = {"day": day, "now": self.changed_at}
        done = "reason = 'import', changed_by = 'import', changed_by_id = NULL, changed_at = :now"
        # Begun on (or, from a later reassignment, after) the snapshot's day: replaced.
        written = self._sql(
            f"UPDATE customer_owner_history SET rep_id = o.new_id, {done} "  # noqa: S608
            f"FROM {OWNERS} AS o WHERE customer_owner_history.customer_id = o.customer_id "
            "AND customer_owner_history.valid_to IS NULL AND o.same_day",
            **who,
        )
        self._sql(
            "UPDATE customer_owner_history SET valid_to = :day "  # noqa: S608
            f"FROM {OWNERS} AS o WHERE customer_owner_history.customer_id = o.customer_id "
            "AND customer_owner_history.valid_to IS NULL AND NOT o.same_day",
            **who,
        )
        cols = "customer_id, rep_id, valid_from, valid_to, reason, changed_by, changed_at"
        written += self._sql(
            f"INSERT INTO customer_owner_history ({cols}) "  # noqa: S608
            f"SELECT customer_id, old_id, NULL, :day, 'import', 'import', :now FROM {OWNERS} "
            "WHERE NOT has_open ORDER BY customer_id",
            **who,
        )
        written += self._sql(
            f"INSERT INTO customer_owner_history ({cols}) "  # noqa: S608
            f"SELECT customer_id, new_id, :day, NULL, 'import', 'import', :now FROM {OWNERS} "
            "WHERE NOT same_day ORDER BY customer_id",
            **who,
        )
        return written

    def _initial_history(self) -> int:
        """A new opportunity enters its first stage and status at its creation date."""
        at = f"COALESCE(CAST(o.created_on AS TIMESTAMP), {self._changed_at()})"
        selects = [
            f"SELECT o.id, '{name}', CAST(NULL AS VARCHAR), o.{name}, {at}, "  # noqa: S608
            f"'{self.history_source}', "
            f"{rank} AS _rank, p._idx AS _idx "
            f"FROM {PREP} AS p JOIN opportunity AS o ON o.external_id = p.external_id "
            f"WHERE p._id IS NULL AND o.{name} IS NOT NULL"
            for rank, name in enumerate(("stage", "status"))
        ]
        return self._insert_history(selects)

    def self_references(self) -> None:
        """Step 7: parent / manager links, now that every record of the file exists."""
        self_changed: list[str] = []
        for f in self.spec.self_refs():
            if not self._has(f.name):
                continue
            resolve(
                self.conn,
                f,
                self.mapping.on_unknown_reference,
                self.errors,
                self.result.refs,
                self._label(f.name),
            )
            column = f.db_column
            key = staging_name("external_id")
            drop_temp(self.conn, SELF)
            self._sql(
                f"""
                CREATE TEMPORARY TABLE {SELF} AS
                SELECT t.id AS id, r.id AS new_id, s._row AS _row, s.{staging_name(f.name)} AS val
                FROM {STAGING} AS s JOIN {self.table} AS t ON t.external_id = s.{key}
                LEFT JOIN {ref_table(f)} AS r ON r.val = s.{staging_name(f.name)}
                WHERE t.{column} IS DISTINCT FROM r.id
                """  # noqa: S608
            )
            for row_no, value in self.conn.execute(
                text(f"SELECT _row, val FROM {SELF} WHERE new_id = id ORDER BY _row")  # noqa: S608
            ):
                self.errors.add(int(row_no), self._label(f.name), value, "refers to itself")
            self._sql(
                f"UPDATE {self.table} SET {column} = x.new_id FROM {SELF} AS x "  # noqa: S608
                f"WHERE {self.table}.id = x.id"
            )
            self_changed.append(
                f"SELECT x.id FROM {SELF} AS x JOIN {PREP} AS p ON p._id = x.id"  # noqa: S608
            )
            # keep the ids for the count (SELF is rebuilt per field)
            self._sql(f"INSERT INTO {CHANGED} SELECT id FROM ({self_changed[-1]}) AS q")  # noqa: S608
        if self_changed:
            self.result.updated = self._scalar(f"SELECT count(DISTINCT id) FROM {CHANGED}")  # noqa: S608

    def finish(self, rows: int) -> None:
        """Step 8: counts, and derived structures when anything changed."""
        r = self.result
        r.unchanged = max(rows - r.inserted - r.updated, 0)
        if not r.changed:
            return
        self._refresh_derived()
        if self.conn.dialect.name == "postgresql" and r.inserted + r.updated >= ANALYZE_ROWS:
            # A large load changes what the planner should expect (a million new lines
            # planned with the statistics of an empty table join the wrong way round);
            # autovacuum would get there only later.
            for table in ANALYZED.get(self.spec.name, (self.table,)):
                self._sql(f"ANALYZE {table}")

    def _refresh_derived(self) -> None:
        r = self.result
        if self.spec.name == "order_line":
            drop_temp(self.conn, ORDERS)
            self._sql(
                f"CREATE TEMPORARY TABLE {ORDERS} AS SELECT DISTINCT order_no FROM {PREP}"  # noqa: S608
            )
            r.data_version = refresh_after_write(
                self.conn,
                orders_touched=ORDERS,
                months_touched=MONTHS,
                history_changed=False,
                customers_touched=CUSTOMERS,
                payments_changed=False,
            )
            return
        # History is written for the file's opportunities (their changes, or the rows of a
        # stage-history file): only those are re-ranked.
        touched = {
            "opportunity": (
                "SELECT o.id AS opportunity_id FROM opportunity AS o "  # noqa: S608
                f"WHERE o.external_id IN (SELECT external_id FROM {PREP})"
            ),
            "opportunity_change": f"SELECT DISTINCT opportunity_id FROM {PREP}",  # noqa: S608
        }.get(self.spec.name)
        if touched is not None:
            drop_temp(self.conn, OPPS)
            self._sql(f"CREATE TEMPORARY TABLE {OPPS} AS {touched}")
        visits = self.spec.name in VISIT_FACTS
        r.data_version = refresh_after_write(
            self.conn,
            orders_changed=False,
            history_changed=touched is not None,
            history_touched=OPPS if touched is not None else None,
            visits_changed=visits,
            customers_touched=CUSTOMERS if visits else None,
            payments_changed=self.spec.name == "payment",
        )

    def cleanup(self) -> None:
        """Drop the temporary tables (a committed import leaves none behind)."""
        drop_temp(self.conn, *temp_tables(self.spec))
