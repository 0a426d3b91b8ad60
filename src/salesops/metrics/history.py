"""Opportunity history (``opportunity_change``) as SQL: states as of a date, and stage entries.

Both are SQLAlchemy Core selectables that run in the database, identically on DuckDB and
PostgreSQL. How history is read, and why:

* The importer writes an initial change (``old_value`` NULL, ``changed_at`` = ``created_on``)
  for the stage and status of every new opportunity and, on later imports, one row per changed
  field at the snapshot time; a stage-history export and the demo generator write full
  histories. Values are text (``owner`` is the rep's ``external_id``).
* A field's value at the end of day D (changes are naive UTC timestamps; the cut-off is
  D + 1 day 00:00) is the ``new_value`` of its last change before the cut-off, else the
  ``old_value`` of its first change after it, else (no history for that field) the
  opportunity's current value.
* *Open at D* means created on or before D and not closed by D. For an opportunity that is
  closed now and has a close date, the close date decides (a CRM snapshot often records a won
  deal days after it was won, and the importer's initial status row of a deal first imported
  already won sits at its creation date); otherwise its status history decides.
* Unparseable history values (a hand-made history file) read as NULL, never as an error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    CompoundSelect,
    Date,
    DateTime,
    FromClause,
    Numeric,
    Select,
    Subquery,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)

from salesops.db.tables import Opportunity, OpportunityChange, Rep
from salesops.metrics.dialects import safe_date, safe_numeric

#: Opportunity fields whose history is kept, and how a text value becomes a typed one.
TRACKED_FIELDS = ("stage", "status", "amount", "probability", "expected_close_on", "owner")

#: Columns of :func:`opportunity_states` besides those of the opportunity table.
STATE_EXTRA_COLUMNS = ("is_open",)

#: Statuses of a deal that is over (won or lost); with a close date it is closed from then on.
CLOSED_STATUSES = ("won", "lost")


def cutoff_of(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` (history timestamps are naive UTC)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


def _typed(field: str, text: Any) -> ColumnElement[Any]:
    if field in ("amount",):
        return cast(safe_numeric(text), Opportunity.amount.type)
    if field == "probability":
        return cast(safe_numeric(text), Numeric(9, 4))
    if field == "expected_close_on":
        return safe_date(text)
    return cast(text, Opportunity.stage.type)  # stage, status, owner: text


def _field_changes(field: str, candidates: Select[Any] | None) -> Subquery:
    """One field's changes with the time of the field's next change (``valid_to``) and their
    rank: a change's ``new_value`` holds from its time until ``valid_to``; the first change's
    ``old_value`` holds before it. Rank and next time are kept on the rows by every writer
    (``salesops.db.derived.refresh_change_sequence``), so this is a plain filtered read."""
    ch = OpportunityChange
    rows = select(
        ch.opportunity_id,
        ch.old_value,
        ch.new_value,
        ch.changed_at,
        ch.next_at.label("valid_to"),
        ch.seq.label("rn"),
    ).where(ch.field == field)
    if candidates is not None:
        rows = rows.where(ch.opportunity_id.in_(candidates))
    return rows.subquery(f"hist_{field}")


def _field_at(w: Subquery, opp_id: Any, cutoff: Any) -> tuple[Any, Any]:
    """The join condition picking the one change of ``w`` that tells the value at ``cutoff``
    (the last one before it, else the first one after it), and that value."""
    before = w.c.changed_at < cutoff
    on = and_(
        w.c.opportunity_id == opp_id,
        or_(
            and_(before, or_(w.c.valid_to.is_(None), w.c.valid_to >= cutoff)),
            and_(w.c.rn == 1, w.c.changed_at >= cutoff),
        ),
    )
    return on, case((before, w.c.new_value), else_=w.c.old_value)


def _state_columns(
    told: dict[str, tuple[Any, Any]], day: Any, o: FromClause
) -> tuple[list[Any], Any]:
    """Opportunity columns as they stood at ``day`` (``told``: field -> (has history, text
    value)); the owner is resolved by the caller."""
    values: dict[str, Any] = {}
    for field in TRACKED_FIELDS:
        current = o.c.owner_id if field == "owner" else o.c[field]
        if field == "owner" or field not in told:
            values[field] = current
            continue
        has, text = told[field]
        values[field] = case((has, _typed(field, text)), else_=current)
    closed_now = and_(o.c.status.in_(CLOSED_STATUSES), o.c.closed_on.is_not(None))
    status = case(
        (closed_now, case((o.c.closed_on <= day, o.c.status), else_=literal("open"))),
        else_=func.coalesce(values["status"], o.c.status),
    )
    closed_on = case((status.in_(CLOSED_STATUSES), o.c.closed_on), else_=cast(null(), Date))
    is_open = and_(
        or_(o.c.created_on.is_(None), o.c.created_on <= day),
        or_(status.is_(None), status.not_in(CLOSED_STATUSES)),
    )
    columns = [
        o.c.id.label("id"),
        o.c.external_id.label("external_id"),
        o.c.name.label("name"),
        o.c.customer_id.label("customer_id"),
        o.c.owner_id.label("owner_id"),
        o.c.product_id.label("product_id"),
        o.c.region_id.label("region_id"),
        o.c.pipeline.label("pipeline"),
        o.c.source_channel.label("source_channel"),
        values["stage"].label("stage"),
        status.label("status"),
        values["amount"].label("amount"),
        values["probability"].label("probability"),
        o.c.created_on.label("created_on"),
        values["expected_close_on"].label("expected_close_on"),
        closed_on.label("closed_on"),
        o.c.competitor.label("competitor"),
        o.c.lost_reason.label("lost_reason"),
        cast(is_open, Boolean).label("is_open"),
    ]
    return columns, is_open


def _candidates(day: Any, o: FromClause) -> ColumnElement[bool]:
    """Opportunities that can be open at ``day``: created by then, not closed before it."""
    return and_(
        or_(o.c.created_on.is_(None), o.c.created_on <= day),
        ~and_(o.c.status.in_(CLOSED_STATUSES), o.c.closed_on.is_not(None), o.c.closed_on <= day),
    )


def _states(
    dates: FromClause,
    open_only: bool,
    fields: Sequence[str] | None,
    settled_by: dt.date | None = None,
    among: Select[Any] | None = None,
    owner_ref: bool = False,
) -> Select[Any]:
    wanted = [f for f in TRACKED_FIELDS if fields is None or f in fields or f == "status"]
    dated = select(
        dates.c.as_of.label("as_of"),
        cast(dates.c.as_of + literal(1), DateTime).label("cutoff"),
    ).subquery("hist_dates")
    opp = Opportunity
    first_day = select(func.min(dated.c.as_of)).scalar_subquery()
    last_day = select(func.max(dated.c.as_of)).scalar_subquery()
    # Only the history of opportunities that can matter at some date is read: created by the
    # last date and (for open ones) not closed before the first.
    pool = select(opp.id).where(or_(opp.created_on.is_(None), opp.created_on <= last_day))
    if among is not None:
        pool = pool.where(opp.id.in_(among))
    if open_only:
        pool = pool.where(
            ~and_(
                opp.status.in_(CLOSED_STATUSES),
                opp.closed_on.is_not(None),
                opp.closed_on <= first_day,
            )
        )
    elif settled_by is not None:
        pool = pool.where(
            ~and_(
                opp.status.in_(CLOSED_STATUSES),
                opp.closed_on.is_not(None),
                opp.closed_on <= settled_by,
            )
        )
    # Opportunities are narrowed to the pool before the (range) join with the dates.
    narrowed = opp.__table__.select().where(opp.id.in_(pool)).subquery("hist_opps")
    frm: Any = narrowed.join(
        dated,
        _candidates(dated.c.as_of, narrowed)
        if open_only
        else or_(narrowed.c.created_on.is_(None), narrowed.c.created_on <= dated.c.as_of),
    )
    told: dict[str, tuple[Any, Any]] = {}
    # A deal closed with a close date reads open/closed from that date (see the module
    # docstring), so status history is read only for the others.
    unsettled = pool.where(~and_(opp.status.in_(CLOSED_STATUSES), opp.closed_on.is_not(None)))
    for field in wanted:
        w = _field_changes(field, unsettled if field == "status" else pool)
        on, value = _field_at(w, narrowed.c.id, dated.c.cutoff)
        frm = frm.outerjoin(w, on)
        told[field] = (w.c.opportunity_id.is_not(None), value)
    columns, is_open = _state_columns(told, dated.c.as_of, narrowed)
    if owner_ref:
        has, text = told["owner"]
        columns.append(case((has, text)).label("owner_ref"))
    elif "owner" in told:
        rep = Rep.__table__.alias("hist_owner_rep")
        has, text = told["owner"]
        frm = frm.outerjoin(rep, and_(has, rep.c.external_id == text))
        columns[4] = func.coalesce(rep.c.id, narrowed.c.owner_id).label("owner_id")
    stmt = select(dated.c.as_of, *columns).select_from(frm)
    return stmt.where(is_open) if open_only else stmt


def opportunity_states(
    as_of: dt.date,
    *,
    open_only: bool = False,
    fields: Sequence[str] | None = None,
    settled_by: dt.date | None = None,
    among: Select[Any] | None = None,
) -> Select[Any]:
    """Every opportunity created on or before ``as_of`` as it stood at the end of that day.

    Columns: those of the ``opportunity`` table (``id, external_id, name, customer_id,
    owner_id, product_id, region_id, pipeline, source_channel, stage, status, amount,
    probability, created_on, expected_close_on, closed_on, competitor, lost_reason``) with
    stage, status, amount, probability, expected close date and owner as of the date, and
    ``is_open`` (open at the end of the day). ``closed_on`` is NULL unless closed by then.
    ``open_only`` keeps only the opportunities open then (cheaper: closed ones are skipped
    before history is read). ``fields`` limits which tracked fields are read from history
    (the others keep their current values; status is always read). ``settled_by`` leaves out
    the opportunities closed (won or lost, with a close date) on or before that date — closed
    at ``as_of`` and at every later date, which a comparison between dates can skip before
    history is read. ``among``: only the opportunities whose ids this select returns. Use
    it as a fact source: ``opportunity_states(d).subquery()``.
    """
    day = select(literal(as_of, Date).label("as_of")).subquery("hist_day")
    full = _states(day, open_only, fields, settled_by, among).subquery("hist_state")
    return select(*(c for c in full.c if c.name != "as_of"))


def opportunity_states_at(
    dates: FromClause, *, open_only: bool = False, fields: Sequence[str] | None = None
) -> Select[Any]:
    """:func:`opportunity_states` for many dates at once.

    ``dates`` is a selectable with one DATE column ``as_of`` (e.g. the period ends of a
    grain). The result has the columns of :func:`opportunity_states` plus ``as_of``, one row
    per (date, opportunity created by then).
    """
    return _states(dates, open_only, fields)


def current_states(as_of: dt.date, settled_by: dt.date | None = None) -> Select[Any]:
    """:func:`opportunity_states` at a date on or after today, from the current rows: every
    change has happened by then, so each tracked field is its current value (the reading the
    stock KPIs use for today). Same columns; ``settled_by`` as there."""
    opp = Opportunity.__table__
    columns, _ = _state_columns({}, literal(as_of, Date), opp)
    stmt = select(*columns).where(or_(opp.c.created_on.is_(None), opp.c.created_on <= as_of))
    if settled_by is not None:
        stmt = stmt.where(
            ~and_(
                opp.c.status.in_(CLOSED_STATUSES),
                opp.c.closed_on.is_not(None),
                opp.c.closed_on <= settled_by,
            )
        )
    return stmt


def month_end_held(
    day: dt.date, today: dt.date, month_ends: tuple[dt.date, dt.date] | None
) -> bool:
    """Whether ``opportunity_month_end`` answers for ``day``: a month end before ``today``
    within the month ends it holds (``month_ends``: first and last, None when empty)."""
    is_end = (day + dt.timedelta(days=1)).day == 1
    return bool(month_ends and is_end and day < today and month_ends[0] <= day <= month_ends[1])


def month_end_open_states(
    days: Sequence[dt.date], *, owner: bool = True, names: bool = True
) -> Select[Any]:
    """:func:`opportunity_states_at` of the opportunities open at the end of ``days``, month
    ends ``opportunity_month_end`` holds, read from there: ``as_of`` and the columns of
    :func:`opportunity_states`. ``owner=False`` leaves the owner at its current value (no
    lookup of the history's owner; for readers that do not group or scope by it);
    ``names=False`` leaves ``external_id`` and ``name`` NULL, the only columns the table does
    not copy: no join with ``opportunity`` at all (for readers that only aggregate)."""
    from salesops.db.tables import OpportunityMonthEnd

    snap = OpportunityMonthEnd.__table__
    frm: Any = snap
    opp = None
    if names:
        opp = Opportunity.__table__
        frm = frm.join(opp, opp.c.id == snap.c.opportunity_id)
    owner_id: Any = snap.c.owner_id
    if owner:
        rep = Rep.__table__.alias("month_end_owner")
        frm = frm.outerjoin(rep, rep.c.external_id == snap.c.owner_ref)
        owner_id = func.coalesce(rep.c.id, snap.c.owner_id)
    kept = {"stage", "status", "amount", "probability", "expected_close_on", *MONTH_END_COPIES}
    cols: list[Any] = [snap.c.as_of.label("as_of")]
    for name in (*STATE_NAMES, "is_open"):
        if name == "id":
            cols.append(snap.c.opportunity_id.label(name))
        elif name == "owner_id":
            cols.append(owner_id.label(name))
        elif name in kept:
            cols.append(snap.c[name].label(name))
        elif name == "closed_on":
            cols.append(cast(null(), Date).label(name))
        elif name == "is_open":
            cols.append(cast(literal(True), Boolean).label(name))
        elif opp is not None:
            cols.append(opp.c[name].label(name))
        else:
            cols.append(cast(null(), Opportunity.__table__.c[name].type).label(name))
    return select(*cols).select_from(frm).where(snap.c.as_of.in_(list(days)))


#: Columns of :func:`opportunity_states` before ``is_open``, in order.
STATE_NAMES = (
    "id", "external_id", "name", "customer_id", "owner_id", "product_id", "region_id",
    "pipeline", "source_channel", "stage", "status", "amount", "probability", "created_on",
    "expected_close_on", "closed_on", "competitor", "lost_reason",
)  # fmt: skip

#: The opportunity's columns without history that ``opportunity_month_end`` copies (what
#: dimensions, filters, the data scope and the stock measures read); ``owner_id`` is the
#: current owner, the one a month end without owner history had.
MONTH_END_COPIES = ("owner_id", "customer_id", "product_id", "region_id", "pipeline",
                    "source_channel", "created_on", "competitor", "lost_reason")  # fmt: skip


def month_end_states(dates: FromClause, among: Select[Any] | None = None) -> Select[Any]:
    """The rows of ``opportunity_month_end`` (see :class:`salesops.db.schema.OpportunityMonthEnd`)
    for the dates of ``dates`` (one DATE column ``as_of``): the opportunities open at each
    date with every tracked field as :func:`opportunity_states_at` gives it, except the owner,
    which is left as ``owner_ref`` (the history's text, NULL without owner history) for the
    reader to resolve, and the copied columns (:data:`MONTH_END_COPIES`). ``among``: only
    these opportunity ids."""
    full = _states(dates, True, None, among=among, owner_ref=True).subquery("month_end_state")
    return select(
        full.c.as_of,
        full.c.id.label("opportunity_id"),
        full.c.stage,
        full.c.status,
        full.c.amount,
        full.c.probability,
        full.c.expected_close_on,
        full.c.owner_ref,
        *(full.c[n] for n in MONTH_END_COPIES),
    )


@lru_cache(maxsize=64)
def stage_entries(until: dt.date | None = None, *, among: Select[Any] | None = None) -> Select[Any]:
    """One row per time an opportunity entered a stage, up to the end of ``until`` (or all).

    Columns: ``opportunity_id, stage, entered_at, left_at, closed_at`` (timestamps).
    ``left_at`` is when the next stage change happened (NULL while it was still in the stage at
    the cut-off); ``closed_at`` is when the opportunity was won or lost (its close date; NULL
    when open at the cut-off), so consumers can end the last stay of a closed deal there.
    The first stay comes from the ``old_value`` of its first stage change (entered at
    ``created_on``) when that is known; an opportunity without stage history has one stay in
    its current stage from ``created_on``.

    ``among``: only the opportunities whose ids this select returns (cheaper when a caller
    needs few of them). The same object is returned for the same arguments, so a statement
    that reads stage entries twice shares one ``stage_changes`` CTE.
    """
    ch = OpportunityChange
    opp = Opportunity
    cutoff = cutoff_of(until) if until is not None else None
    # The next stage change, as the history stood at the cut-off (a later one is not known).
    nx: Any = ch.next_at if cutoff is None else case((ch.next_at < cutoff, ch.next_at))
    changes_q = select(
        ch.opportunity_id,
        ch.old_value,
        ch.new_value,
        ch.changed_at,
        ch.seq.label("rn"),
        nx.label("nx"),
    ).where(ch.field == "stage")
    if cutoff is not None:
        changes_q = changes_q.where(ch.changed_at < cutoff)
    if among is not None:
        changes_q = changes_q.where(ch.opportunity_id.in_(among))
    changes = changes_q.cte("stage_changes" if among is None else "stage_changes_among")
    created = cast(opp.created_on, DateTime)
    by_change = select(
        changes.c.opportunity_id,
        changes.c.new_value.label("stage"),
        changes.c.changed_at.label("entered_at"),
        changes.c.nx.label("left_at"),
    ).where(changes.c.new_value.is_not(None))
    initial = (
        select(
            changes.c.opportunity_id,
            changes.c.old_value.label("stage"),
            created.label("entered_at"),
            changes.c.changed_at.label("left_at"),
        )
        .join(opp.__table__, opp.id == changes.c.opportunity_id)
        .where(changes.c.rn == 1, changes.c.old_value.is_not(None))
    )
    unchanged = select(
        opp.id.label("opportunity_id"),
        opp.stage.label("stage"),
        created.label("entered_at"),
        cast(null(), DateTime).label("left_at"),
    ).where(
        opp.stage.is_not(None),
        ~select(changes.c.opportunity_id).where(changes.c.opportunity_id == opp.id).exists(),
    )
    if until is not None:
        unchanged = unchanged.where(or_(opp.created_on.is_(None), opp.created_on <= until))
    if among is not None:
        unchanged = unchanged.where(opp.id.in_(among))
    stays = union_all(by_change, initial, unchanged).subquery("stays")
    closed_on = opp.closed_on if until is None else case((opp.closed_on <= until, opp.closed_on))
    closed_at = case(
        (opp.status.in_(CLOSED_STATUSES), cast(closed_on, DateTime)), else_=cast(null(), DateTime)
    )
    return select(
        stays.c.opportunity_id,
        stays.c.stage,
        stays.c.entered_at,
        stays.c.left_at,
        closed_at.label("closed_at"),
    ).select_from(stays.join(opp.__table__, opp.id == stays.c.opportunity_id))


def stay_length(days: Any) -> ColumnElement[Any]:
    """A stay's length in days, never negative: a stage change or close dated before the
    stay's entry ends it at the entry (0 days). Time in stage, the funnel and stuck deals all
    read a stay's length through this."""
    return case((days < 0, 0.0), else_=days)


def stays_ending_between(first: dt.date, last: dt.date) -> CompoundSelect[Any]:
    """Stays in a stage that can end between the start of ``first`` and the end of ``last``
    — a superset of those that do —, read without going through every opportunity's
    history (time in stage over a period).

    Columns of :func:`stage_entries` (no cut-off), except that ``closed_at`` is given only
    where the stay ends with the close (``left_at`` NULL), so ``coalesce(left_at,
    closed_at)`` is the stay's end either way. A stay ends at the next stage change
    (``next_at`` on the change row, kept by the writers), at the first change for the stay
    before it (the ``old_value`` of a ``seq`` 1 change), or — when nothing follows — at the
    close of a won or lost deal. The caller keeps the stays whose end falls in its periods.
    """
    ch = OpportunityChange
    opp = Opportunity
    lo = cutoff_of(first - dt.timedelta(days=1))
    hi = cutoff_of(last)
    created = cast(opp.created_on, DateTime)
    closed_at = cast(opp.closed_on, DateTime)
    no_time = cast(null(), DateTime)
    closed_in = and_(opp.status.in_(CLOSED_STATUSES), opp.closed_on.between(first, last))
    stage_rows = and_(ch.field == "stage", ch.new_value.is_not(None))
    left_for_next = select(
        ch.opportunity_id,
        ch.new_value.label("stage"),
        ch.changed_at.label("entered_at"),
        ch.next_at.label("left_at"),
        no_time.label("closed_at"),
    ).where(stage_rows, ch.next_at >= lo, ch.next_at < hi)
    closed_in_it = (
        select(
            ch.opportunity_id,
            ch.new_value.label("stage"),
            ch.changed_at.label("entered_at"),
            no_time.label("left_at"),
            closed_at.label("closed_at"),
        )
        .join(opp.__table__, opp.id == ch.opportunity_id)
        .where(stage_rows, ch.next_at.is_(None), closed_in)
    )
    initial = (
        select(
            ch.opportunity_id,
            ch.old_value.label("stage"),
            created.label("entered_at"),
            ch.changed_at.label("left_at"),
            no_time.label("closed_at"),
        )
        .join(opp.__table__, opp.id == ch.opportunity_id)
        .where(
            ch.field == "stage",
            ch.seq == 1,
            ch.old_value.is_not(None),
            ch.changed_at >= lo,
            ch.changed_at < hi,
        )
    )
    unchanged = select(
        opp.id.label("opportunity_id"),
        opp.stage.label("stage"),
        created.label("entered_at"),
        no_time.label("left_at"),
        closed_at.label("closed_at"),
    ).where(
        opp.stage.is_not(None),
        closed_in,
        ~select(ch.id).where(ch.opportunity_id == opp.id, ch.field == "stage").exists(),
    )
    return union_all(left_for_next, closed_in_it, initial, unchanged)
