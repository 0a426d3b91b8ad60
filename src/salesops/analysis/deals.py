"""Deal quality: source-channel quality (渠道质量) and win/loss by competitor and lost reason.

Definitions (docs/analyses.md), over the opportunities in scope and filters:

* **Source-channel quality** — per ``source_channel`` (empty = None), the opportunities
  *created* in the period (``created_on`` in [start, end]; all when no period) and their
  outcome as recorded now: opportunities, open, won, lost, win rate = won / (won + lost),
  bookings = sum of won amounts, average deal size = bookings / won, open pipeline amount.
* **Win/loss by competitor** — opportunities *closed* (won or lost) with ``closed_on`` in the
  period, per ``competitor``: won, lost, win rate, won and lost amounts.
* **Lost reasons** — the lost ones among them per ``lost_reason``: count, amount and share of
  all lost deals.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Engine, case, func, literal, select

from salesops.analysis.common import (
    Filters,
    Money,
    NormalFilters,
    Result,
    check_period,
    money,
    normalise_filters,
    ratio,
)
from salesops.analysis.facts import check_applicable, conditions
from salesops.db.schema import Opportunity
from salesops.metrics.history import CLOSED_STATUSES
from salesops.metrics.scope import FULL_SCOPE, Scope


class SourceChannelRow(Result):
    source_channel: str | None
    opportunities: int
    open: int
    won: int
    lost: int
    win_rate: float | None
    bookings: Money
    avg_deal_size: Money | None
    open_pipeline: Money


class SourceChannelsResult(Result):
    start: dt.date | None
    end: dt.date | None
    total: SourceChannelRow
    rows: list[SourceChannelRow]


class CompetitorRow(Result):
    competitor: str | None
    won: int
    lost: int
    win_rate: float | None
    won_amount: Money
    lost_amount: Money


class LostReasonRow(Result):
    lost_reason: str | None
    lost: int
    lost_amount: Money
    share: float | None


class WinLossResult(Result):
    start: dt.date | None
    end: dt.date | None
    won: int
    lost: int
    win_rate: float | None
    competitors: list[CompetitorRow]
    lost_reasons: list[LostReasonRow]


def _amount_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(
        func.sum(case((condition, func.coalesce(Opportunity.amount, 0)))), literal(Decimal("0"))
    )


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.count(case((condition, literal(1))))


def _period(column: Any, start: dt.date | None, end: dt.date | None) -> list[Any]:
    out = []
    if start is not None:
        out.append(column >= start)
    if end is not None:
        out.append(column <= end)
    return out


def _where(scope: Scope, filters: NormalFilters, analysis: str) -> list[ColumnElement[bool]]:
    check_applicable(filters, ("opportunity",), analysis)
    return conditions(Opportunity, scope, filters)


def source_channels(
    engine: Engine,
    scope: Scope = FULL_SCOPE,
    filters: Filters | None = None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> SourceChannelsResult:
    """Quality of each source channel over the opportunities created in [start, end].

    Rows are ordered by bookings, largest first; ``total`` covers every channel.
    """
    check_period(start, end)
    where = _where(scope, normalise_filters(filters), "source-channel")
    opp = Opportunity
    is_won, is_lost, is_open = opp.status == "won", opp.status == "lost", opp.status == "open"
    measures = (
        func.count().label("opportunities"),
        _count_if(is_open).label("open"),
        _count_if(is_won).label("won"),
        _count_if(is_lost).label("lost"),
        _amount_if(is_won).label("bookings"),
        _amount_if(is_open).label("open_pipeline"),
    )
    period = _period(opp.created_on, start, end)
    rows_q = (
        select(opp.source_channel, *measures)
        .where(*where, *period)
        .group_by(opp.source_channel)
        .order_by(_amount_if(is_won).desc(), func.count().desc(), opp.source_channel.nulls_last())
    )
    total_q = select(literal(None).label("source_channel"), *measures).where(*where, *period)
    with engine.connect() as conn:
        rows = conn.execute(rows_q).all()
        total = conn.execute(total_q).one()
    return SourceChannelsResult(
        start=start, end=end, total=_channel(total), rows=[_channel(r) for r in rows]
    )


def _channel(r: Any) -> SourceChannelRow:
    won = int(r.won)
    return SourceChannelRow(
        source_channel=r.source_channel,
        opportunities=int(r.opportunities),
        open=int(r.open),
        won=won,
        lost=int(r.lost),
        win_rate=ratio(won, won + int(r.lost)),
        bookings=money(r.bookings),
        avg_deal_size=money(Decimal(r.bookings) / won) if won else None,
        open_pipeline=money(r.open_pipeline),
    )


def win_loss(
    engine: Engine,
    scope: Scope = FULL_SCOPE,
    filters: Filters | None = None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> WinLossResult:
    """Win/loss by competitor and the lost reasons of the deals closed in [start, end]."""
    check_period(start, end)
    where = _where(scope, normalise_filters(filters), "win-loss")
    opp = Opportunity
    is_won, is_lost = opp.status == "won", opp.status == "lost"
    closed = [opp.status.in_(CLOSED_STATUSES), *_period(opp.closed_on, start, end)]
    competitors_q = (
        select(
            opp.competitor,
            _count_if(is_won).label("won"),
            _count_if(is_lost).label("lost"),
            _amount_if(is_won).label("won_amount"),
            _amount_if(is_lost).label("lost_amount"),
        )
        .where(*where, *closed)
        .group_by(opp.competitor)
        .order_by(func.count().desc(), opp.competitor.nulls_last())
    )
    reasons_q = (
        select(
            opp.lost_reason,
            func.count().label("lost"),
            _amount_if(is_lost).label("lost_amount"),
            func.sum(func.count()).over().label("all_lost"),
        )
        .where(*where, *closed, is_lost)
        .group_by(opp.lost_reason)
        .order_by(func.count().desc(), opp.lost_reason.nulls_last())
    )
    with engine.connect() as conn:
        competitors = conn.execute(competitors_q).all()
        reasons = conn.execute(reasons_q).all()
    won = sum(int(r.won) for r in competitors)
    lost = sum(int(r.lost) for r in competitors)
    return WinLossResult(
        start=start,
        end=end,
        won=won,
        lost=lost,
        win_rate=ratio(won, won + lost),
        competitors=[
            CompetitorRow(
                competitor=r.competitor,
                won=int(r.won),
                lost=int(r.lost),
                win_rate=ratio(r.won, int(r.won) + int(r.lost)),
                won_amount=money(r.won_amount),
                lost_amount=money(r.lost_amount),
            )
            for r in competitors
        ],
        lost_reasons=[
            LostReasonRow(
                lost_reason=r.lost_reason,
                lost=int(r.lost),
                lost_amount=money(r.lost_amount),
                share=ratio(r.lost, r.all_lost),
            )
            for r in reasons
        ],
    )
