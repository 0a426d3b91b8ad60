"""Opportunity history as the funnel, stuck-deal and movement analyses read it.

Built on :mod:`salesops.metrics.history` (the engine's own reading of ``opportunity_change``),
so a stage, status or amount "as of D" means the same here as in every pipeline KPI:

* :func:`states_as_of` is :func:`salesops.metrics.history.opportunity_states` — every
  opportunity created on or before D with stage, status, amount, expected close date and owner
  as of the end of D, and ``is_open``.
* :func:`stage_stays` is :func:`salesops.metrics.history.stage_entries` up to the end of D with
  two additions the analyses need:

  - ``ended_at``: when the stay ended by the cut-off — the next stage change, else the close of
    a deal won or lost by then (never before the entry), else NULL (still in the stage);
  - the stage of a still-open stay is the ``old_value`` of the opportunity's first stage
    change *after* the cut-off when there is one. For consistent history this is the stage it
    already has; it matters for an opportunity whose only stage changes come after the
    cut-off, which ``stage_entries`` places in its *current* stage from creation on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CTE,
    DateTime,
    Double,
    Select,
    and_,
    case,
    cast,
    func,
    null,
    or_,
    select,
    union_all,
)

from salesops.analysis.common import NormalFilters, resolve_as_of
from salesops.analysis.facts import conditions
from salesops.db.schema import (
    Opportunity,
    OpportunityChange,
    OpportunityMonthEnd,
    OpportunityMonthEndCover,
    OpportunityStageStay,
    PipelineStage,
)
from salesops.metrics.dialects import seconds_between
from salesops.metrics.history import (
    CLOSED_STATUSES,
    current_states,
    cutoff_of,
    month_end_held,
    month_end_open_states,
    opportunity_states,
    stage_entries,
    stay_length,
)
from salesops.metrics.scope import Scope

SECONDS_PER_DAY = 86400.0


def states_as_of(
    day: dt.date,
    *,
    fields: tuple[str, ...] | None = None,
    open_only: bool = False,
    settled_by: dt.date | None = None,
    kept: KeptDates | None = None,
) -> Select[Any]:
    """Every opportunity created on or before ``day`` as it stood at the end of that day.

    Columns of :func:`salesops.metrics.history.opportunity_states` (``id``, ``stage``,
    ``status``, ``amount``, ``expected_close_on``, ``owner_id`` ..., ``is_open``). ``fields``
    names the tracked fields read from history (status always is; None: all), so an analysis
    reads only the history it needs; ``settled_by`` skips deals closed by that date (see
    :func:`~salesops.metrics.history.opportunity_states`).

    ``kept`` (see :func:`kept_dates`) lets the cheapest exact source answer: a day on or after
    today is the current rows; at a past month end the open opportunities come from the
    month-end pipeline and only the others (created by then, not open then, not settled: a
    deal reopened later) from history.
    """
    if kept is not None and day >= kept.today:
        now = current_states(day, settled_by)
        if not open_only:
            return now
        rows = now.subquery("current_state")
        return select(*rows.c).where(rows.c.is_open)
    if kept is not None and kept.holds(day):
        kept_rows = month_end_open_states([day]).subquery("month_end_open")
        open_then = select(*(c for c in kept_rows.c if c.name != "as_of"))
        if open_only:
            return open_then
        opp = Opportunity.__table__
        snap = OpportunityMonthEnd.__table__
        others = select(opp.c.id).where(
            or_(opp.c.created_on.is_(None), opp.c.created_on <= day),
            ~select(snap.c.opportunity_id)
            .where(snap.c.as_of == day, snap.c.opportunity_id == opp.c.id)
            .exists(),
        )
        rest = opportunity_states(day, fields=fields, settled_by=settled_by, among=others)
        return union_all(open_then, rest).subquery("kept_states").select()
    return opportunity_states(day, open_only=open_only, fields=fields, settled_by=settled_by)


@dataclass(frozen=True)
class KeptDates:
    """What the writers keep that history readers can use: today, and the month ends the
    month-end pipeline holds (first, last; None: none)."""

    today: dt.date
    month_ends: tuple[dt.date, dt.date] | None

    def holds(self, day: dt.date) -> bool:
        """Whether ``day`` is a past month end the month-end pipeline holds."""
        return month_end_held(day, self.today, self.month_ends)


def kept_dates(conn: Any) -> KeptDates:
    """:class:`KeptDates` of the database behind ``conn`` (today in the configured zone)."""
    cover = OpportunityMonthEndCover.__table__
    first, last = conn.execute(select(func.min(cover.c.as_of), func.max(cover.c.as_of))).one()
    return KeptDates(resolve_as_of(None), (first, last) if first is not None else None)


def _stage_after(cutoff: dt.datetime) -> Any:
    """Per opportunity, the old value of its first stage change at or after ``cutoff``
    (the lowest ``seq`` there: ranks are kept on the rows, no window needed)."""
    ch = OpportunityChange
    first = (
        select(ch.opportunity_id, func.min(ch.seq).label("seq"))
        .where(ch.field == "stage", ch.changed_at >= cutoff)
        .group_by(ch.opportunity_id)
        .subquery("stage_first_after")
    )
    return (
        select(ch.opportunity_id, ch.old_value)
        .join(first, and_(first.c.opportunity_id == ch.opportunity_id, first.c.seq == ch.seq))
        .where(ch.field == "stage", ch.old_value.is_not(None))
        .subquery("stage_after")
    )


def stays_as_of(
    day: dt.date, among: Select[Any] | None = None, kept: KeptDates | None = None
) -> Select[Any]:
    """Stays in a stage up to the end of ``day``: ``opportunity_id, stage, entered_at,
    dwell_days`` — the stay's length in (fractional) days when it ended by then, NULL while
    the opportunity was still in the stage. ``among``: only the opportunities whose ids this
    select returns.

    From :func:`stage_stays` (the history), or — ``kept`` given and ``day`` on or after
    today, when every change and close has happened by then — from the ended stays the
    writers keep plus each opportunity's current stay, without replaying the history.
    """
    if kept is not None and day >= kept.today:
        return _kept_stays(day, among)
    stays = stage_stays(day, among).subquery("history_stays")
    return select(
        stays.c.opportunity_id,
        stays.c.stage,
        stays.c.entered_at,
        stay_length(days_between(stays.c.ended_at, stays.c.entered_at)).label("dwell_days"),
    )


def _kept_stays(day: dt.date, among: Select[Any] | None) -> Select[Any]:
    """:func:`stays_as_of` at a ``day`` on or after today from what the writers keep.

    * Ended stays are ``opportunity_stage_stay``'s rows. One that ends after ``day`` (a close
      dated later) was still running then.
    * The stays that never ended: each opportunity's last stage change (the one without a
      ``next_at``) into a stage, or its current stage from creation when it has no stage
      change, unless the opportunity is won or lost with a close date.
    """
    kept = OpportunityStageStay.__table__
    ch = OpportunityChange.__table__
    opp = Opportunity.__table__
    cutoff = cutoff_of(day)
    dwell = stay_length(kept.c.days)
    ended = select(
        kept.c.opportunity_id,
        kept.c.stage,
        kept.c.entered_at,
        case((kept.c.left_on <= day, dwell)).label("dwell_days"),
    ).where(or_(kept.c.entered_at.is_(None), kept.c.entered_at < cutoff))
    last = select(
        ch.c.opportunity_id,
        ch.c.new_value.label("stage"),
        ch.c.changed_at.label("entered_at"),
    ).where(
        ch.c.field == "stage",
        ch.c.next_at.is_(None),
        ch.c.new_value.is_not(None),
        ch.c.changed_at < cutoff,
    )
    created = select(
        opp.c.id.label("opportunity_id"),
        opp.c.stage,
        cast(opp.c.created_on, DateTime).label("entered_at"),
    ).where(
        opp.c.stage.is_not(None),
        or_(opp.c.created_on.is_(None), opp.c.created_on <= day),
        ~select(ch.c.id).where(ch.c.opportunity_id == opp.c.id, ch.c.field == "stage").exists(),
    )
    if among is not None:
        ended = ended.where(kept.c.opportunity_id.in_(among))
        last = last.where(ch.c.opportunity_id.in_(among))
        created = created.where(opp.c.id.in_(among))
    current = union_all(last, created).subquery("current_stays")
    closed = and_(opp.c.status.in_(CLOSED_STATUSES), opp.c.closed_on.is_not(None))
    running = (
        select(
            current.c.opportunity_id,
            current.c.stage,
            current.c.entered_at,
            cast(null(), Double).label("dwell_days"),
        )
        .join(opp, opp.c.id == current.c.opportunity_id)
        .where(~closed)
    )
    return union_all(ended, running).subquery("kept_stays").select()


def stage_stays(day: dt.date, among: Select[Any] | None = None) -> Select[Any]:
    """Stays in a stage up to the end of ``day``, replayed from the history.

    Columns: ``opportunity_id, stage, entered_at, left_at, closed_at, ended_at``. ``among``:
    only the opportunities whose ids this select returns (a funnel's population: history of
    the others is not read).
    """
    entries = stage_entries(day, among=among).subquery("entries")
    after = _stage_after(cutoff_of(day))
    still = entries.c.left_at.is_(None)
    stage = case(
        (and_(still, after.c.old_value.is_not(None)), after.c.old_value),
        else_=entries.c.stage,
    )
    closed = case(
        (entries.c.closed_at >= entries.c.entered_at, entries.c.closed_at),
        else_=entries.c.entered_at,
    )
    ended = case(
        (entries.c.left_at.is_not(None), entries.c.left_at),
        (entries.c.closed_at.is_not(None), closed),
    )
    return select(
        entries.c.opportunity_id,
        stage.label("stage"),
        entries.c.entered_at,
        entries.c.left_at,
        entries.c.closed_at,
        ended.label("ended_at"),
    ).select_from(entries.outerjoin(after, after.c.opportunity_id == entries.c.opportunity_id))


def stage_config(pipeline: str) -> Select[str, int, str]:
    """The funnel steps of ``pipeline``: open stages by position, then won stages."""
    stage = PipelineStage
    return (
        select(stage.name, stage.position, stage.kind)
        .where(stage.pipeline == pipeline, stage.kind.in_(("open", "won")))
        .order_by(case((stage.kind == "won", 1), else_=0), stage.position, stage.name)
    )


def population(
    scope: Scope,
    filters: NormalFilters,
    pipeline: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> CTE:
    """Ids of the pipeline's opportunities in scope and filters (created in [start, end])."""
    opp = Opportunity
    where = [opp.pipeline == pipeline, *conditions(opp, scope, filters)]
    if start is not None:
        where.append(opp.created_on >= start)
    if end is not None:
        where.append(opp.created_on <= end)
    return select(opp.id.label("opportunity_id")).where(*where).cte("funnel_population")


def days_between(later: Any, earlier: Any) -> Any:
    """Fractional days from timestamp ``earlier`` to ``later`` (as the writers compute a kept
    stay's length)."""
    return seconds_between(earlier, later) / SECONDS_PER_DAY
