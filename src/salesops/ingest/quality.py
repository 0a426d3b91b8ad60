"""The data-quality report: what an import let through that the numbers will show oddly.

A file can be valid cell by cell and still tell an odd story: an order whose lines name two
customers, a won deal without an amount, a deal closed before it was created, an amount a
thousand times the usual one. :func:`quality_report` runs one SQL check per problem in the
database (after every import, in its transaction, and on demand: ``salesops check``) and
returns each with its count, up to three examples and how to fix it. The checks read the
whole database, not only the last file: a problem may come from how two files meet.

Outliers use a robust rule that a few huge values cannot hide: an amount is out of range when
it lies further than ``OUTLIER_MADS`` (10) median absolute deviations from the median of its
kind (normal order lines; opportunities), i.e. outside median ± 10 × MAD. For a bell-shaped
column 10 MAD is about 6.7 standard deviations, so only values that are almost certainly typos
(a missing decimal point, a price in cents) are listed. A column whose MAD is 0 (most values
equal) is not checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, text

#: How many median absolute deviations from the median make an amount out of range.
OUTLIER_MADS = 10
#: Examples kept per finding.
EXAMPLES = 3


@dataclass
class Finding:
    """One kind of problem: how many records have it, a few of them, and the fix."""

    check: str  # id, e.g. order_customers
    title: str
    count: int
    examples: list[str] = field(default_factory=list)
    fix: str = ""


@dataclass
class QualityReport:
    """Every check's finding (also those with a count of 0)."""

    findings: list[Finding] = field(default_factory=list)

    @property
    def problems(self) -> list[Finding]:
        """The findings with a count above 0."""
        return [f for f in self.findings if f.count]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {"findings": [asdict(f) for f in self.findings]}


def _rows(conn: Connection, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Rows of one of our own statements (values are bound parameters)."""
    return [tuple(r) for r in conn.execute(text(sql), params)]


def _count(conn: Connection, sql: str, **params: Any) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM ({sql}) AS q"), params).scalar_one())  # noqa: S608


def _money(value: Any) -> str:
    return "empty" if value is None else f"{value:f}".rstrip("0").rstrip(".")


# ------------------------------------------------------------------------ orders

_ORDER_SPLIT = """
    SELECT l.order_no, {low} AS low, {high} AS high
    FROM order_line AS l {joins}
    GROUP BY l.order_no
    HAVING min(l.{column}) <> max(l.{column})
"""
_ORDER_SPLITS = {
    "customer": (
        "customer_id",
        "min(c.external_id)",
        "max(c.external_id)",
        "JOIN customer AS c ON c.id = l.customer_id",
    ),
    "rep": (
        "rep_id",
        "min(r.external_id)",
        "max(r.external_id)",
        "JOIN rep AS r ON r.id = l.rep_id",
    ),
    "date": ("order_date", "min(l.order_date)", "max(l.order_date)", ""),
}


#: Orders split by customer, rep and date, counted in one pass over the lines.
_SPLIT_COUNTS = """
    SELECT count(CASE WHEN c0 < c1 THEN 1 END), count(CASE WHEN r0 < r1 THEN 1 END),
           count(CASE WHEN d0 < d1 THEN 1 END)
    FROM (SELECT min(customer_id) AS c0, max(customer_id) AS c1, min(rep_id) AS r0,
                 max(rep_id) AS r1, min(order_date) AS d0, max(order_date) AS d1
          FROM order_line GROUP BY order_no) AS o
"""


def _order_splits(conn: Connection) -> list[Finding]:
    counts = conn.execute(text(_SPLIT_COUNTS)).one()
    return [_order_split(conn, what, int(n)) for what, n in zip(_ORDER_SPLITS, counts, strict=True)]


def _order_split(conn: Connection, what: str, total: int) -> Finding:
    column, low, high, joins = _ORDER_SPLITS[what]
    sql = _ORDER_SPLIT.format(column=column, low=low, high=high, joins=joins)
    examples = []
    if total:
        for order_no, a, b in _rows(conn, f"{sql} ORDER BY l.order_no LIMIT :n", n=EXAMPLES):
            examples.append(f"order {order_no}: {a} … {b}")
    plural = "dates" if what == "date" else f"{what}s"
    counted = {
        "customer": (
            "Customer counts (new, active, retention, lifecycle) count every customer of such "
            "an order; the order count and order value count it once. "
        ),
        "rep": "The order is credited to one of the reps in order-level views. ",
        "date": "The order is dated by its earliest line. ",
    }[what]
    return Finding(
        check=f"order_{plural}",
        title=f"Orders whose lines name different {plural}",
        count=total,
        examples=examples,
        fix=counted
        + f"If they are separate orders, give them separate order numbers; otherwise give "
        f"every line of the order the same {what} and import the file again.",
    )


# ------------------------------------------------------------------------ deals


def _won_without(conn: Connection, column: str, noun: str, label: str) -> Finding:
    sql = (
        "SELECT external_id, name FROM opportunity "  # noqa: S608 - our own column names
        f"WHERE status = 'won' AND {column} IS NULL"
    )
    total = _count(conn, sql)
    examples = [
        f"{ext} ({name})" if name else str(ext)
        for ext, name in _rows(conn, f"{sql} ORDER BY external_id LIMIT :n", n=EXAMPLES)
    ]
    return Finding(
        check=f"won_without_{column}",
        title=f"Won deals without {noun}",
        count=total,
        examples=examples,
        fix=f"Map the export's {label} column to {column} (for a CRM's single Close Date, to "
        "both expected_close_on and closed_on), or complete the deals in the CRM; such deals are "
        "left out of bookings"
        + (" and average deal size" if column == "amount" else ", won deals and sales cycle")
        + ".",
    )


def _closed_before_created(conn: Connection) -> Finding:
    sql = "SELECT external_id, created_on, closed_on FROM opportunity WHERE closed_on < created_on"
    total = _count(conn, sql)
    examples = [
        f"{ext}: created {created}, closed {closed}"
        for ext, created, closed in _rows(conn, f"{sql} ORDER BY external_id LIMIT :n", n=EXAMPLES)
    ]
    return Finding(
        check="closed_before_created",
        title="Deals closed before they were created",
        count=total,
        examples=examples,
        fix="Check the date columns of the mapping (created_on / closed_on swapped, or a "
        "day-first file read month-first) and the dates in the CRM; a negative sales cycle "
        "lowers the average.",
    )


# ------------------------------------------------------------------------ amounts

_NEGATIVE = """
    SELECT 'order line' AS kind, order_no || '/' || CAST(line_no AS VARCHAR) AS ref,
           amount AS value
    FROM order_line WHERE status = 'normal' AND amount < 0
    UNION ALL
    SELECT 'opportunity', external_id, amount FROM opportunity WHERE amount < 0
    UNION ALL
    SELECT 'payment', external_id, due_amount FROM payment WHERE due_amount < 0
    UNION ALL
    SELECT 'payment', external_id, paid_amount FROM payment WHERE paid_amount < 0
"""


def _negative(conn: Connection) -> Finding:
    total = _count(conn, _NEGATIVE)
    examples = [
        f"{kind} {ref}: {_money(value)}"
        for kind, ref, value in _rows(conn, _NEGATIVE + " ORDER BY kind, ref LIMIT :n", n=EXAMPLES)
    ]
    return Finding(
        check="negative_amounts",
        title="Negative amounts (normal order lines, deals, payments)",
        count=total,
        examples=examples,
        fix="A return or credit note is an order line with status returned (or cancelled) "
        "and a positive amount; map the status column, or fix the sign in the source.",
    )


_OUTLIERS = {
    # kind: (table, value, reference, rows counted)
    "order line": (
        "order_line",
        "amount",
        "order_no || '/' || CAST(line_no AS VARCHAR)",
        "status = 'normal' AND amount IS NOT NULL",
    ),
    "opportunity": ("opportunity", "amount", "external_id", "amount IS NOT NULL"),
}


def _outliers(conn: Connection) -> Finding:
    total = 0
    examples: list[str] = []
    for kind, (table, value, ref, where) in _OUTLIERS.items():
        # the median and the MAD in one statement, then plain scans with them as parameters
        m, mad = conn.execute(
            text(
                f"""
                WITH mid AS (
                    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY {value}) AS m
                    FROM {table} WHERE {where}
                )
                SELECT max(mid.m), percentile_cont(0.5) WITHIN GROUP
                       (ORDER BY abs({value} - mid.m))
                FROM {table}, mid WHERE {where}
                """  # noqa: S608 - our own table and column names
            )
        ).one()
        if m is None or not mad:
            continue
        out = (
            f"SELECT {ref} AS ref, {value} AS value FROM {table} "  # noqa: S608 - ours
            f"WHERE {where} AND abs({value} - :m) > :limit"
        )
        params = {"m": float(m), "limit": OUTLIER_MADS * float(mad)}
        total += _count(conn, out, **params)
        for ref_value, amount in _rows(
            conn,
            f"SELECT * FROM ({out}) AS q ORDER BY abs(q.value - :m) DESC, q.ref LIMIT :n",  # noqa: S608
            n=EXAMPLES,
            **params,
        ):
            if len(examples) < EXAMPLES:
                examples.append(
                    f"{kind} {ref_value}: {_money(amount)} (median {float(m):,.2f}, "
                    f"MAD {float(mad):,.2f})"
                )
    return Finding(
        check="amount_outliers",
        title=f"Amounts far out of range (beyond median ± {OUTLIER_MADS} × MAD)",
        count=total,
        examples=examples,
        fix="Check the value in the source: a missing decimal point, an amount in cents or "
        "in another currency, a quantity in the amount column. Correct values may stay.",
    )


# ------------------------------------------------------------------------ customers, references


def _customers_without_region(conn: Connection) -> Finding:
    sql = "SELECT external_id, name FROM customer WHERE region_id IS NULL"
    total = _count(conn, sql)
    examples = [
        f"{ext} ({name})"
        for ext, name in _rows(conn, f"{sql} ORDER BY external_id LIMIT :n", n=EXAMPLES)
    ]
    return Finding(
        check="customers_without_region",
        title="Customers without a region",
        count=total,
        examples=examples,
        fix="Map a region (province, area) column in the customer import; such customers are "
        "missing from every view by customer region, and their facts have a sales region only "
        "when their rep has one.",
    )


_BARE = " UNION ALL ".join(
    f"SELECT '{entity}' AS entity, external_id FROM {entity} WHERE name = external_id"  # noqa: S608
    for entity in ("org_unit", "rep", "product", "customer")
)


def _created_on_the_fly(conn: Connection, created: dict[str, int] | None) -> Finding:
    total = _count(conn, _BARE)
    examples = [
        f"{entity} {ext}"
        for entity, ext in _rows(conn, _BARE + " ORDER BY entity, external_id LIMIT :n", n=EXAMPLES)
    ]
    made = {k: v for k, v in (created or {}).items() if v and k != "region"}
    title = "Records created on the fly from references (name = external id, nothing else)"
    if made:
        title += " — this import created " + ", ".join(f"{n} {e}" for e, n in sorted(made.items()))
    return Finding(
        check="created_on_the_fly",
        title=title,
        count=total,
        examples=examples,
        fix="on_unknown_reference: create made bare records for values it did not find: "
        "import the dimension's own file (names, regions, owners) to complete them, or fix "
        "the typo in the source and delete the stray record.",
    )


_CHECKS: list[Callable[[Connection], Finding]] = [
    lambda c: _won_without(c, "amount", "an amount", "amount"),
    lambda c: _won_without(c, "closed_on", "a close date", "close date"),
    _closed_before_created,
    _negative,
    _outliers,
    _customers_without_region,
]


def quality_report(conn: Connection, *, created: dict[str, int] | None = None) -> QualityReport:
    """Run every check on the database behind ``conn``; ``created`` are the records an import
    just created from references (named in that finding's title)."""
    findings = _order_splits(conn)
    findings += [check(conn) for check in _CHECKS]
    findings.append(_created_on_the_fly(conn, created))
    return QualityReport(findings=findings)
