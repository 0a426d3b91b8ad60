"""Choices of the filter bar's selects and the announcements banner (reference data, not KPIs).

Option lists are cached per database and data version: every write bumps the version, so a
new region or channel appears as soon as it is imported.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from typing import Any

from sqlalchemy import Engine, and_, or_, select

from salesops.db.derived import data_version
from salesops.db.schema import Announcement, OrderHeader, OrgUnit, Product, Region, Rep
from salesops.metrics.scope import FULL_SCOPE, Scope, visible_reps

_CACHE: weakref.WeakKeyDictionary[Engine, dict[str, tuple[int, dict[str, list[str]]]]] = (
    weakref.WeakKeyDictionary()
)
_LOCK = threading.Lock()


def filter_options(engine: Engine, scope: Scope = FULL_SCOPE) -> dict[str, list[str]]:
    """Values offered for region, team, rep, product line and channel, sorted.

    Reps and teams are those the caller's scope can see; regions, product lines and channels
    are reference names.
    """
    with engine.connect() as conn:
        version = data_version(conn)
        with _LOCK:
            cached = _CACHE.get(engine, {}).get(scope.cache_key())
        if cached and cached[0] == version:
            return cached[1]
        reps: Any = select(Rep.name).distinct()
        teams: Any = select(OrgUnit.name).where(OrgUnit.kind == "team").distinct()
        visible = visible_reps(scope)
        if visible is not None:
            reps = reps.where(Rep.id.in_(visible))
            teams = teams.where(OrgUnit.id.in_(select(Rep.org_unit_id).where(Rep.id.in_(visible))))
        queries: dict[str, Any] = {
            "region": select(Region.name).distinct(),
            "team": teams,
            "rep": reps,
            "product_line": select(Product.product_line)
            .where(Product.product_line.is_not(None))
            .distinct(),
            "channel": select(OrderHeader.channel)
            .where(OrderHeader.channel.is_not(None))
            .distinct(),
        }
        options = {
            dim: sorted(str(v) for v in conn.execute(q).scalars() if v is not None)
            for dim, q in queries.items()
        }
    with _LOCK:
        _CACHE.setdefault(engine, {})[scope.cache_key()] = (version, options)
    return options


KIND_LABELS = {"goal": "Goal", "value": "Value", "news": "News"}


def announcements(engine: Engine, today: dt.date, locale: str) -> list[dict[str, str]]:
    """Announcements valid on ``today``, goals first, in the reader's language."""
    stmt = (
        select(Announcement.kind, Announcement.text_zh, Announcement.text_en)
        .where(
            or_(Announcement.valid_from.is_(None), Announcement.valid_from <= today),
            or_(Announcement.valid_to.is_(None), Announcement.valid_to >= today),
            and_(or_(Announcement.text_zh.is_not(None), Announcement.text_en.is_not(None))),
        )
        .order_by(Announcement.kind, Announcement.valid_from.desc(), Announcement.id)
        .limit(8)
    )
    order = {"goal": 0, "value": 1, "news": 2}
    out = []
    with engine.connect() as conn:
        for kind, zh, en in conn.execute(stmt):
            text = (zh or en) if locale.startswith("zh") else (en or zh)
            out.append({"kind": kind, "text": text or ""})
    out.sort(key=lambda a: order.get(a["kind"], 3))
    return out
