"""Dimensions: how each dimension id of SPEC §5 resolves on each fact table.

A *fact* is a table (or a selectable with the same column names, such as the opportunity state
as of a date from :mod:`salesops.metrics.history`) that a KPI is counted on. For each fact this
module knows

* which column attributes a row to a rep (data scope, :mod:`salesops.metrics.scope`);
* how every dimension that applies to it resolves: a *key* (an integer id or a text value on the
  fact or on a joined dimension table) and the *display value* of that key (the region's, rep's,
  team's, product's or customer's name; text dimensions are their own display value).

Meanings (SPEC §3, §5): ``region`` is the fact's own sales region (``region_id``);
``customer_region`` the customer's geography (``customer.region_id``); ``team`` the org unit of
the fact's rep; ``source_channel`` the opportunity's / lead's own source, else the customer's
acquisition channel (on marketing spend: its channel); ``channel`` the sales channel of orders
(and the channel a feedback came in through).

``engagement_band`` is the customer's engagement band (:mod:`salesops.metrics.engagement`:
high / medium / low / none) as of one day for the whole statement — the query's ``as_of``, else
its end date, else today (:func:`band_day`), the day the customer page's score is computed for
the same filters — from the interactions the caller's scope sees, as on the customer page.

Filters (``where``) compare display values and are applied as semi-joins on integer keys
(``region_id IN (SELECT id FROM region WHERE name IN (...))``), so they need no joins and keep
the fact scan lean. Grouping joins the few dimension tables it needs, through module-level
aliases (``dim_rep``, ``dim_customer`` ...), so joins requested twice are added once.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    Table,
    case,
    exists,
    false,
    func,
    literal,
    null,
    or_,
    select,
)

from salesops.db.tables import (
    Activity,
    Customer,
    Feedback,
    Lead,
    MarketingSpend,
    MarketSize,
    Opportunity,
    OrderHeader,
    OrderLine,
    OrgUnit,
    Payment,
    Product,
    Region,
    Rep,
    Task,
)
from salesops.metrics import engagement as engagement_def
from salesops.metrics.dialects import safe_numeric
from salesops.metrics.query import DIMENSIONS
from salesops.metrics.scope import FULL_SCOPE, Scope, visible_reps

#: What the ``engagement_band`` dimension is computed for: (as-of day, scope whose interactions
#: count). None: today and, where the caller's scope is known, that scope.
Basis = tuple[dt.date, Scope]

_BAND_AS_OF: ContextVar[dt.date | None] = ContextVar("engagement_band_as_of", default=None)


@contextmanager
def engagement_as_of(day: dt.date | None) -> Iterator[None]:
    """Within the block, an ``engagement_band`` filter without an explicit day is computed as
    of ``day`` (the board sets the filter's end date around its analyses)."""
    token = _BAND_AS_OF.set(day)
    try:
        yield
    finally:
        _BAND_AS_OF.reset(token)


def band_day(as_of: dt.date | None, end: dt.date | None, today: dt.date) -> dt.date:
    """The day a query's engagement bands are computed as of: its ``as_of``, else its end
    date, else ``today``."""
    return as_of or end or today


def resolve_basis(basis: Basis | None, scope: Scope | None = None) -> Basis:
    """``basis``, or the day set by :func:`engagement_as_of` (else today) and ``scope``."""
    if basis is not None:
        return basis
    from salesops.config import local_today

    return (_BAND_AS_OF.get() or local_today(), FULL_SCOPE if scope is None else scope)


class DimensionError(ValueError):
    """An unknown dimension, or one that does not apply to a fact."""


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


@dataclass(frozen=True)
class Join:
    """One LEFT JOIN a dimension needs: ``target`` (an aliased table) ON ``on``.

    ``name`` is the alias name; joins with the same name are the same join and added once.
    """

    name: str
    target: FromClause
    on: ColumnElement[bool]


@dataclass(frozen=True)
class Fact:
    """A fact table: where its rows are attributed to a rep, region and customer."""

    name: str
    table: Table | FromClause
    rep_column: str | None  # data scope; None: a scoped caller sees none of its rows
    region_column: str | None
    customer_column: str | None  # "id" on the customer fact itself
    product_column: str | None
    own: Mapping[str, str]  # dimension id -> text column on the fact itself


def _customer_as_acquired() -> FromClause:
    """The customer fact: the ``customer`` table with ``owner_id`` the rep who owned the
    customer on its first order day (``customer_owner_history``, issue #28), else the current
    owner — so a customer won by one rep and later reassigned stays that rep's new customer,
    in numbers and in data scope."""
    from salesops.db.tables import CustomerOwnerHistory as H

    c = _table(Customer)
    day = c.c.first_order_on
    then = (
        select(H.rep_id)
        .where(
            H.customer_id == c.c.id,
            day.is_not(None),
            or_(H.valid_from.is_(None), H.valid_from <= day),
            H.valid_to.is_not(None),
            H.valid_to > day,
        )
        .order_by(H.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    held = exists().where(
        H.customer_id == c.c.id,
        day.is_not(None),
        or_(H.valid_from.is_(None), H.valid_from <= day),
        H.valid_to.is_not(None),
        H.valid_to > day,
    )
    columns = [col for col in c.c if col.name != "owner_id"]
    owner = case((held, then), else_=c.c.owner_id).label("owner_id")
    return select(*columns, owner).subquery("customer")


FACTS: dict[str, Fact] = {
    f.name: f
    for f in (
        Fact(
            "order_line",
            _table(OrderLine),
            "rep_id",
            "region_id",
            "customer_id",
            "product_id",
            {"channel": "channel"},
        ),
        Fact(
            "order_header",
            _table(OrderHeader),
            "rep_id",
            "region_id",
            "customer_id",
            None,
            {"channel": "channel"},
        ),
        Fact(
            "opportunity",
            _table(Opportunity),
            "owner_id",
            "region_id",
            "customer_id",
            "product_id",
            {
                "source_channel": "source_channel",
                "stage": "stage",
                "competitor": "competitor",
                "lost_reason": "lost_reason",
            },
        ),
        Fact("payment", _table(Payment), "rep_id", "region_id", "customer_id", None, {}),
        Fact(
            "activity",
            _table(Activity),
            "rep_id",
            "region_id",
            "customer_id",
            None,
            {"kind": "kind"},
        ),
        Fact(
            "feedback",
            _table(Feedback),
            "rep_id",
            "region_id",
            "customer_id",
            None,
            {"channel": "channel", "category": "category"},
        ),
        Fact(
            "lead",
            _table(Lead),
            "owner_id",
            "region_id",
            "customer_id",
            None,
            {"source_channel": "source_channel"},
        ),
        Fact(
            "marketing_spend",
            _table(MarketingSpend),
            None,
            "region_id",
            None,
            None,
            # Spend is bought per acquisition channel: the customers' source channel.
            {"source_channel": "channel", "channel": "channel"},
        ),
        Fact(
            "market_size",
            _table(MarketSize),
            None,
            "region_id",
            None,
            None,
            # issue #25: target-account counts are imported by region and industry
            {"product_line": "product_line", "industry": "industry"},
        ),
        Fact(
            "customer",
            _customer_as_acquired(),
            "owner_id",
            # A customer has no sales region of its own: its geography stands for both.
            "region_id",
            "id",
            None,
            {
                "source_channel": "source_channel",
                "industry": "industry",
                "segment": "segment",
            },
        ),
        Fact("rep", _table(Rep), "id", "region_id", None, None, {}),
        # issue #28: follow-up tasks, attributed to their owner rep
        Fact("task", _table(Task), "owner_rep_id", None, "customer_id", None, {"kind": "kind"}),
    )
}

# Aliases shared by every statement, so the same join is recognised and added once.
_DIM_REGION = _table(Region).alias("dim_region")
_DIM_CUSTOMER = _table(Customer).alias("dim_customer")
_DIM_CUSTOMER_REGION = _table(Region).alias("dim_customer_region")
_DIM_REP = _table(Rep).alias("dim_rep")
_DIM_TEAM = _table(OrgUnit).alias("dim_team")
_DIM_PRODUCT = _table(Product).alias("dim_product")

#: Dimensions whose key is an integer id, and the table whose ``name`` displays it.
LOOKUPS: dict[str, Table] = {
    "region": _table(Region),
    "customer_region": _table(Region),
    "team": _table(OrgUnit),
    "rep": _table(Rep),
    "product": _table(Product),
    "customer": _table(Customer),
}

_CUSTOMER_ATTRS = {"industry": "industry", "segment": "segment", "source_channel": "source_channel"}

#: Customer size bands (employees): (upper bound exclusive, band label); the last is open.
SIZE_BANDS: tuple[tuple[int | None, str], ...] = (
    (50, "1-49"),
    (200, "50-199"),
    (1000, "200-999"),
    (5000, "1000-4999"),
    (None, "5000+"),
)


def size_band(size: ColumnElement[Any]) -> ColumnElement[Any]:
    """The band of a customer's ``size`` text: a number ("350"), or a band ("200-999",
    "5000+") read by its lower bound; NULL when the text holds no number ("大型")."""
    head = func.split_part(func.replace(func.trim(size), literal("+"), literal("")), "-", 1)
    n = safe_numeric(head)
    whens = [(n < bound, literal(label)) for bound, label in SIZE_BANDS if bound is not None]
    whens.append((n >= SIZE_BANDS[-2][0], literal(SIZE_BANDS[-1][1])))
    return case(*whens, else_=None)


def fact(name: str) -> Fact:
    """The fact called ``name``; raises :class:`DimensionError` for an unknown one."""
    try:
        return FACTS[name]
    except KeyError:
        raise DimensionError(f"unknown fact {name!r}") from None


def check_dimension(dim: str) -> None:
    """Raise :class:`DimensionError` unless ``dim`` is a dimension id of SPEC §5."""
    if dim not in DIMENSIONS:
        raise DimensionError(unknown_dimension_message(dim))


def _src(f: Fact, source: FromClause | None) -> FromClause:
    return f.table if source is None else source


def _customer_join(f: Fact, src: FromClause) -> Join:
    assert f.customer_column is not None
    return Join("dim_customer", _DIM_CUSTOMER, _DIM_CUSTOMER.c.id == src.c[f.customer_column])


def _rep_join(f: Fact, src: FromClause) -> Join:
    assert f.rep_column is not None
    return Join("dim_rep", _DIM_REP, _DIM_REP.c.id == src.c[f.rep_column])


def dimension_key(
    fact_name: str, dim: str, source: FromClause | None = None, *, basis: Basis | None = None
) -> tuple[ColumnElement[Any], tuple[Join, ...]]:
    """The grouping key of ``dim`` on ``fact_name`` and the joins it needs.

    The key is an integer id for the dimensions in :data:`LOOKUPS` (display it with
    :func:`dimension_label`) and the display text itself for the others. ``source`` is a
    selectable with the fact's column names standing in for its table (e.g. a history view).
    ``basis`` is the day and scope of ``engagement_band`` (:func:`resolve_basis`).
    Raises :class:`DimensionError` when the dimension does not apply to the fact.
    """
    check_dimension(dim)
    f = fact(fact_name)
    src = _src(f, source)
    key = _key(f, src, dim, basis)
    if key is None:
        raise DimensionError(f"dimension {dim!r} does not apply to {fact_name} facts")
    return key


def _band_key(
    f: Fact, src: FromClause, basis: Basis | None
) -> tuple[ColumnElement[Any], tuple[Join, ...]] | None:
    """The engagement band of the row's customer: a derived table of the customers' bands as
    of the basis day, joined on the customer (no interactions: ``none``; no customer: NULL)."""
    if f.customer_column is None:
        return None
    day, scope = resolve_basis(basis)
    eng = engagement_def.bands(day, scope, name="dim_engagement")
    ref = src.c[f.customer_column]
    key = case((ref.is_(None), null()), else_=func.coalesce(eng.c.band, literal("none")))
    return key, (Join("dim_engagement", eng, eng.c.customer_id == ref),)


def _key(
    f: Fact, src: FromClause, dim: str, basis: Basis | None = None
) -> tuple[ColumnElement[Any], tuple[Join, ...]] | None:
    if dim == "engagement_band":
        return _band_key(f, src, basis)
    if f.name == "customer" and dim == "customer":
        return src.c.id, ()
    if f.name == "customer" and dim == "customer_region":
        return src.c.region_id, ()
    if f.name == "customer" and dim == "customer_size":
        return size_band(src.c.size), ()
    if f.name == "rep" and dim == "rep":
        return src.c.id, ()
    if f.name == "rep" and dim == "team":
        return src.c.org_unit_id, ()
    if dim in f.own:
        return src.c[f.own[dim]], ()
    if dim == "region" and f.region_column:
        return src.c[f.region_column], ()
    if dim == "rep" and f.rep_column:
        return src.c[f.rep_column], ()
    if dim == "team" and f.rep_column:
        return _DIM_REP.c.org_unit_id, (_rep_join(f, src),)
    if dim == "product" and f.product_column:
        return src.c[f.product_column], ()
    if dim == "product_line" and f.product_column:
        on = _DIM_PRODUCT.c.id == src.c[f.product_column]
        return _DIM_PRODUCT.c.product_line, (Join("dim_product", _DIM_PRODUCT, on),)
    if f.customer_column and f.name != "customer":
        if dim == "customer":
            return src.c[f.customer_column], ()
        if dim == "customer_region":
            return _DIM_CUSTOMER.c.region_id, (_customer_join(f, src),)
        if dim in _CUSTOMER_ATTRS:
            return _DIM_CUSTOMER.c[_CUSTOMER_ATTRS[dim]], (_customer_join(f, src),)
        if dim == "customer_size":
            return size_band(_DIM_CUSTOMER.c.size), (_customer_join(f, src),)
    return None


def applies(fact_name: str, dim: str) -> bool:
    """True when ``dim`` can group or filter ``fact_name``."""
    f = fact(fact_name)
    if dim == "engagement_band":  # without building the derived table
        return f.customer_column is not None
    return dim in DIMENSIONS and _key(f, f.table, dim) is not None


def applicable_dimensions(fact_name: str) -> tuple[str, ...]:
    """Every dimension id that applies to ``fact_name``, in SPEC order."""
    return tuple(d for d in DIMENSIONS if applies(fact_name, d))


#: Words people type for a dimension, and the dimension they mean (checked before spelling).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "category": ("product_line",),
    "product_category": ("product_line",),
    "line": ("product_line",),
    "owner": ("rep",),
    "seller": ("rep",),
    "salesperson": ("rep",),
    "sales_rep": ("rep",),
    "user": ("rep",),
    "area": ("region",),
    "territory": ("region",),
    "country": ("customer_region",),
    "city": ("customer_region",),
    "account": ("customer",),
    "client": ("customer",),
    "source": ("source_channel", "channel"),
    "lead_source": ("source_channel",),
    "reason": ("lost_reason",),
    "loss_reason": ("lost_reason",),
    "type": ("kind", "category"),
    "department": ("team",),
    "group": ("team",),
    "vertical": ("industry",),
    "sku": ("product",),
    "engagement": ("engagement_band",),
    "activity_band": ("engagement_band",),
    "engagement_score": ("engagement_band",),
}


def suggest_dimension(dim: str, allowed: Sequence[str]) -> str | None:
    """The dimension of ``allowed`` the user probably meant by ``dim`` (a synonym, else the
    closest spelling), or None."""
    word = dim.strip().lower().replace("-", "_").replace(" ", "_")
    for meant in SYNONYMS.get(word, ()):
        if meant in allowed and meant != dim:
            return meant
    close = difflib.get_close_matches(word, [a for a in allowed if a != dim], n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_dimension_message(dim: str) -> str:
    """The error for a dimension id that is not one of SPEC §5's, with the likely one."""
    hint = suggest_dimension(dim, DIMENSIONS)
    meant = f"did you mean {hint!r}? " if hint else ""
    return f"unknown dimension {dim!r}; {meant}known: {', '.join(DIMENSIONS)}"


def dimension_label(dim: str, key: ColumnElement[Any]) -> tuple[ColumnElement[Any], Join | None]:
    """The display value of a grouping ``key`` of ``dim`` (e.g. after aggregation).

    For id dimensions: the ``name`` of a fresh alias of the lookup table joined on the key;
    for text dimensions the key itself and no join.
    """
    check_dimension(dim)
    lookup = LOOKUPS.get(dim)
    if lookup is None:
        return key, None
    alias = lookup.alias(f"lbl_{dim}")
    return alias.c.name, Join(f"lbl_{dim}", alias, alias.c.id == key)


def dimension_column(
    fact_name: str, dim: str, source: FromClause | None = None, *, basis: Basis | None = None
) -> tuple[ColumnElement[Any], tuple[Join, ...]]:
    """The display value of ``dim`` on each row of ``fact_name``, and the joins it needs.

    Use :func:`join_all` to add the joins to the fact: ``select_from(join_all(src, joins))``.
    """
    key, joins = dimension_key(fact_name, dim, source, basis=basis)
    label, join = dimension_label(dim, key)
    if join is None:
        return label, joins
    # Row-level display joins use the shared aliases, so they combine with filter/key joins.
    shared = {
        "region": _DIM_REGION,
        "customer_region": _DIM_CUSTOMER_REGION,
        "team": _DIM_TEAM,
        "rep": _DIM_REP,
        "product": _DIM_PRODUCT,
        "customer": _DIM_CUSTOMER,
    }[dim]
    return shared.c.name, (*joins, Join(shared.name, shared, shared.c.id == key))


def join_all(source: FromClause, joins: Iterable[Join]) -> FromClause:
    """``source`` LEFT JOIN every join of ``joins`` once, in order (duplicates by name dropped)."""
    seen: set[str] = set()
    out = source
    for j in joins:
        if j.name in seen:
            continue
        seen.add(j.name)
        out = out.outerjoin(j.target, j.on)
    return out


def filter_condition(
    fact_name: str,
    dim: str,
    values: Sequence[str],
    source: FromClause | None = None,
    *,
    basis: Basis | None = None,
) -> ColumnElement[bool]:
    """The condition keeping rows of ``fact_name`` whose ``dim`` displays one of ``values``.

    Semi-joins on integer keys, never joins, so the fact scan stays narrow.
    ``basis``: the day and scope of ``engagement_band`` (:func:`resolve_basis`).
    Raises :class:`DimensionError` when the dimension does not apply to the fact.
    """
    check_dimension(dim)
    f = fact(fact_name)
    src = _src(f, source)
    vals = [str(v) for v in values]
    if dim == "engagement_band":
        return _band_filter(f, src, vals, basis)
    key = _key(f, src, dim)
    if key is None:
        raise DimensionError(f"dimension {dim!r} does not apply to {fact_name} facts")
    column, joins = key
    if not joins:
        lookup = LOOKUPS.get(dim)
        if lookup is None:
            return column.in_(vals)
        return column.in_(select(lookup.c.id).where(lookup.c.name.in_(vals)))
    # The key lives on a joined table (the rep's team, the customer's attributes, the product's
    # line): filter the fact's own reference column by the ids that qualify.
    if dim == "team":
        assert f.rep_column is not None
        teams = select(OrgUnit.id).where(OrgUnit.name.in_(vals))
        return src.c[f.rep_column].in_(select(Rep.id).where(Rep.org_unit_id.in_(teams)))
    if dim == "product_line":
        assert f.product_column is not None
        return src.c[f.product_column].in_(select(Product.id).where(Product.product_line.in_(vals)))
    assert f.customer_column is not None
    if dim == "customer_region":
        regions = select(Region.id).where(Region.name.in_(vals))
        cond: ColumnElement[bool] = Customer.region_id.in_(regions)
    elif dim == "customer_size":
        cond = size_band(Customer.__table__.c.size).in_(vals)
    else:
        cond = getattr(Customer, _CUSTOMER_ATTRS[dim]).in_(vals)
    return src.c[f.customer_column].in_(select(Customer.id).where(cond))


def _band_filter(
    f: Fact, src: FromClause, values: Sequence[str], basis: Basis | None
) -> ColumnElement[bool]:
    """Rows whose customer is in one of the bands ``values`` names (``high``, ``High``,
    ``高`` ...; a value naming no band keeps nothing): the customer ids of those bands."""
    if f.customer_column is None:
        raise DimensionError(f"dimension 'engagement_band' does not apply to {f.name} facts")
    wanted = sorted({b for b in (engagement_def.band_id(v) for v in values) if b is not None})
    if not wanted:
        return false()
    day, scope = resolve_basis(basis)
    eng = engagement_def.bands(day, scope, name="flt_engagement")
    ref = src.c[f.customer_column]
    if "none" not in wanted:
        return ref.in_(select(eng.c.customer_id).where(eng.c.band.in_(wanted)))
    c = _table(Customer)
    band = func.coalesce(eng.c.band, literal("none"))
    ids = select(c.c.id).select_from(c.outerjoin(eng, eng.c.customer_id == c.c.id))
    return ref.in_(ids.where(band.in_(wanted)))


def scope_condition(
    fact_name: str, scope: Scope, source: FromClause | None = None
) -> ColumnElement[bool] | None:
    """The data-scope condition on ``fact_name`` (None for full scope).

    A scoped caller sees the rows whose rep is visible to them; facts without a rep
    (marketing spend, market size) are not visible at all to a scoped caller.
    """
    if scope.is_full:
        return None
    f = fact(fact_name)
    if f.rep_column is None:
        return false()
    reps = _visible_reps(scope)
    if reps is None:  # pragma: no cover - only the full scope has no restriction
        return None
    return _src(f, source).c[f.rep_column].in_(reps)


@lru_cache(maxsize=256)
def _visible_reps(scope: Scope) -> Select[Any] | None:
    """:func:`salesops.metrics.scope.visible_reps`, one object per scope: a statement that
    restricts several facts then shares one ``scope_tree`` CTE instead of repeating it."""
    return visible_reps(scope)


def conditions(
    fact_name: str,
    filters: Mapping[str, Sequence[str]],
    scope: Scope,
    source: FromClause | None = None,
    *,
    as_of: dt.date | None = None,
) -> list[ColumnElement[bool]]:
    """Scope plus one condition per filtered dimension (empty value lists filter nothing).

    An ``engagement_band`` filter counts the interactions ``scope`` sees, as of ``as_of`` (else
    the day :func:`engagement_as_of` set, else today)."""
    out: list[ColumnElement[bool]] = []
    cond = scope_condition(fact_name, scope, source)
    if cond is not None:
        out.append(cond)
    basis = None
    if filters.get("engagement_band"):
        basis = resolve_basis((as_of, scope) if as_of else None, scope)
    for dim, values in filters.items():
        if values:
            out.append(filter_condition(fact_name, dim, values, source, basis=basis))
    return out


def apply_filters(
    stmt: Select[Any],
    fact_name: str,
    filters: Mapping[str, Sequence[str]],
    scope: Scope,
    source: FromClause | None = None,
    *,
    as_of: dt.date | None = None,
) -> Select[Any]:
    """``stmt`` (a select over ``fact_name`` or ``source``) restricted to ``filters`` and ``scope``.

    ``filters`` maps dimension ids to display values (OR within a dimension, AND across).
    Raises :class:`DimensionError` for an unknown dimension or one that does not apply.
    """
    conds = conditions(fact_name, filters, scope, source, as_of=as_of)
    return stmt.where(*conds) if conds else stmt
