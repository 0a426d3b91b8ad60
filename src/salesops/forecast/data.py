"""What was known as of a day, read through the engine's pipeline history.

Every reader takes the day ``as_of`` and returns only what a person could have seen at the end
of that day: open deals as they stood then (:func:`salesops.analysis.pipeline_history.states_as_of`,
which answers a past month end from the month-end copies and any other day from
``opportunity_change``), deals closed on or before it, history rows dated before its end, and
activities before its end. Nothing later is read, which is what makes a backtest honest.

The data scope is applied here (the owner must be visible), never in the caller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, func, or_, select

from salesops.analysis.pipeline_history import KeptDates, kept_dates, states_as_of
from salesops.db.schema import Activity, Opportunity, OpportunityChange, PipelineStage, Product
from salesops.metrics.history import cutoff_of
from salesops.metrics.scope import Scope, restrict

if TYPE_CHECKING:
    import pandas as pd

OPEN_COLUMNS = (
    "id",
    "owner_id",
    "product_id",
    "region_id",
    "source_channel",
    "stage",
    "amount",
    "probability",
    "created_on",
    "expected_close_on",
)


def _frame(rows: Sequence[Any], columns: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame([tuple(r) for r in rows], columns=list(columns))


def open_deals(
    conn: Connection,
    days: Sequence[dt.date],
    scope: Scope,
    kept: KeptDates | None = None,
) -> pd.DataFrame:
    """Deals open at the end of each of ``days`` as they stood then: ``as_of`` plus
    :data:`OPEN_COLUMNS` (amount and probability as floats)."""
    kept = kept or kept_dates(conn)
    parts: list[Any] = []
    for day in days:
        states = states_as_of(day, open_only=True, kept=kept).subquery("fc_open")
        stmt = select(*(states.c[c] for c in OPEN_COLUMNS)).where(
            states.c.is_open, restrict(scope, states.c.owner_id)
        )
        parts.extend((day, *row) for row in conn.execute(stmt))
    frame = _frame(parts, ("as_of", *OPEN_COLUMNS))
    for col in ("amount", "probability"):
        frame[col] = frame[col].astype(float)
    return frame


def crm_categories(
    conn: Connection, as_of: dt.date, scope: Scope, kept: KeptDates | None = None
) -> dict[int, str]:
    """Deal id -> the CRM's forecast category, for a forecast as of today or later only: the
    category is kept as its current value, without history, so a forecast as of a past day
    (every backtest) has none and uses the probability bands."""
    kept = kept or kept_dates(conn)
    if as_of < kept.today:
        return {}
    o = Opportunity
    stmt = select(o.id, o.forecast_category).where(
        o.status == "open",
        o.forecast_category.is_not(None),
        restrict(scope, Opportunity.__table__.c.owner_id),
    )
    return {int(i): str(c) for i, c in conn.execute(stmt)}


def closed_deals(conn: Connection, as_of: dt.date, scope: Scope) -> pd.DataFrame:
    """Deals won or lost with a close date on or before ``as_of``: ``id, owner_id,
    product_id, source_channel, status, amount, created_on, closed_on``."""
    o = Opportunity
    cols = ("id", "owner_id", "product_id", "source_channel", "status", "amount")
    stmt = select(*(getattr(o, c) for c in cols), o.created_on, o.closed_on).where(
        o.status.in_(("won", "lost")),
        o.closed_on.is_not(None),
        o.closed_on <= as_of,
        restrict(scope, Opportunity.__table__.c.owner_id),
    )
    frame = _frame(conn.execute(stmt).all(), (*cols, "created_on", "closed_on"))
    frame["amount"] = frame["amount"].astype(float)
    return frame


def stage_changes(
    conn: Connection, as_of: dt.date, scope: Scope, open_since: dt.date | None = None
) -> pd.DataFrame:
    """Stage and expected-close-date changes before the end of ``as_of``: ``opportunity_id,
    field, old_value, new_value, changed_at`` (what days in stage and close-date pushes are
    counted from). ``open_since``: only of deals not closed before that day (the others are
    never open at a later snapshot, so their history is not needed)."""
    ch = OpportunityChange
    o = Opportunity
    stmt = (
        select(ch.opportunity_id, ch.field, ch.old_value, ch.new_value, ch.changed_at)
        .join(o, o.id == ch.opportunity_id)
        .where(
            ch.field.in_(("stage", "expected_close_on")),
            ch.changed_at < cutoff_of(as_of),
            restrict(scope, Opportunity.__table__.c.owner_id),
        )
    )
    if open_since is not None:
        stmt = stmt.where(or_(o.closed_on.is_(None), o.closed_on >= open_since))
    return _frame(
        conn.execute(stmt).all(),
        ("opportunity_id", "field", "old_value", "new_value", "changed_at"),
    )


def deal_activities(
    conn: Connection, as_of: dt.date, scope: Scope, since: dt.datetime | None = None
) -> pd.DataFrame:
    """Activities logged on deals before the end of ``as_of`` (and at or after ``since``):
    ``opportunity_id, occurred_at``."""
    a = Activity
    o = Opportunity
    stmt = (
        select(a.opportunity_id, a.occurred_at)
        .join(o, o.id == a.opportunity_id)
        .where(a.occurred_at < cutoff_of(as_of), restrict(scope, Opportunity.__table__.c.owner_id))
    )
    if since is not None:
        stmt = stmt.where(a.occurred_at >= since)
    return _frame(conn.execute(stmt).all(), ("opportunity_id", "occurred_at"))


def stage_table(conn: Connection) -> dict[str, tuple[int, float | None, str]]:
    """Stage name -> (position, default probability, kind) over every pipeline (a name used
    by two pipelines keeps the first by pipeline name)."""
    st = PipelineStage
    out: dict[str, tuple[int, float | None, str]] = {}
    for name, pos, prob, kind in conn.execute(
        select(st.name, st.position, st.probability, st.kind).order_by(st.pipeline, st.position)
    ):
        out.setdefault(name, (int(pos), float(prob) if prob is not None else None, kind))
    return out


def product_lines(conn: Connection) -> dict[int, str]:
    """Product id -> product line (or the product's name when it has no line)."""
    p = Product
    return {
        int(i): (line or name)
        for i, line, name in conn.execute(select(p.id, p.product_line, p.name))
    }


def won_between(
    conn: Connection,
    start: dt.date,
    end: dt.date,
    scope: Scope,
    created_after: dt.date | None = None,
) -> float:
    """Won amount with a close date in [start, end] (only deals created after
    ``created_after`` when given). Callers pass an ``end`` on or before the day they stand on."""
    o = Opportunity
    where = [
        o.status == "won",
        o.closed_on >= start,
        o.closed_on <= end,
        restrict(scope, Opportunity.__table__.c.owner_id),
    ]
    if created_after is not None:
        where.append(and_(o.created_on.is_not(None), o.created_on > created_after))
    value = conn.execute(select(func.coalesce(func.sum(o.amount), 0)).where(*where)).scalar_one()
    return float(value or 0)
