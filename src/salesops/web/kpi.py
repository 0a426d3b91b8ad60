"""What the board needs to know about a KPI: its name, unit and good direction (from the
catalog), the shared metrics engine, and the target a card is measured against."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from salesops.db.schema import OrgUnit, Region, Rep, Target
from salesops.metrics.engine import MetricsEngine, shared_engine
from salesops.metrics.scope import FULL_SCOPE, Scope
from salesops.targets.attainment import Attainment, evaluate
from salesops.targets.org import Directory
from salesops.targets.tree import load_targets, visible_to
from salesops.web.filters import BoardFilters


def metrics_engine(engine: Engine) -> MetricsEngine:
    """The process-wide metrics engine of ``engine``: one per database, one shared cache."""
    return shared_engine(engine)


@dataclass(frozen=True)
class KpiInfo:
    """Display facts of one KPI in one language."""

    id: str
    label: str
    unit: str
    good: str | None  # "up", "down" or None (neither)
    definition: str
    additive: bool = False  # sums and counts: no rows means zero
    targeted: bool = False  # reads the targets: no target, no value
    #: reads the period after the one asked for (pipeline coverage): asked over a whole
    #: period, as it stands on the board's date, not over the period so far
    looks_ahead: bool = False


def info(metric: str, locale: str) -> KpiInfo:
    """Name, unit, good direction and definition of ``metric`` from the KPI catalog."""
    from salesops.metrics import catalog
    from salesops.metrics.compiler.plan import kpi_formula
    from salesops.metrics.measures import MEASURES

    kpi = catalog.get(metric)
    measures = kpi_formula(kpi, {}).measures()
    zh = locale.startswith("zh")
    label = kpi.name_zh if zh else kpi.name_en
    definition = getattr(kpi, "description_zh" if zh else "description_en", "") or getattr(
        kpi, "description", ""
    )
    good = getattr(kpi, "good", None)
    return KpiInfo(
        id=metric,
        label=str(label),
        unit=str(kpi.unit),
        good=str(good) if good else None,
        definition=str(definition or ""),
        additive=bool(getattr(kpi, "additive", False)),
        targeted=any(MEASURES[n].fact == "target" for n in measures),
        looks_ahead=any(
            dict(MEASURES[n].params).get("window", "").startswith("next") for n in measures
        ),
    )


# Scope kinds of the target table, for the board's single-value filters.
_TARGET_SCOPES = {
    "region": "region",
    "team": "org_unit",
    "rep": "rep",
    "product_line": "product_line",
}


def _own_target(scope: Scope) -> Any:
    """The condition for the target of the caller's own scope (a rep's, a manager's unit's)."""
    if scope.kind == "rep":
        return (Target.scope_kind == "rep") & (Target.rep_id == scope.rep_id)
    return (Target.scope_kind == "org_unit") & (Target.org_unit_id == scope.org_unit_id)


def target_id_for(
    engine: Engine, metric: str, filters: BoardFilters, scope: Scope = FULL_SCOPE
) -> int | None:
    """The target row for ``metric`` over the board's period and filter, if one exists.

    Only whole periods (month, quarter, year, and the fiscal quarter and year) have targets, and
    only the company or a single region, team, rep or product line; other filter combinations
    show no target. Without a filter, a caller with a narrower data scope gets their own target
    (a rep's, a manager's unit's), never the company's. A channel filter picks that channel's
    part of the target; without one, only whole targets count.
    """
    if filters.target_grain is None:
        return None
    where = [(d, v) for d, v in filters.where if d != "channel"]
    channels = [v for d, v in filters.where if d == "channel"]
    if len(where) > 1 or any(len(v) != 1 for v in [*(v for _, v in where), *channels]):
        return None
    stmt = select(Target.id).where(
        Target.metric == metric,
        Target.period_grain == filters.target_grain,
        Target.period_start == filters.start,
        Target.channel == channels[0][0] if channels else Target.channel.is_(None),
    )
    if not where and not scope.is_full:
        stmt = stmt.where(_own_target(scope))
    elif not where:
        stmt = stmt.where(Target.scope_kind == "company")
    else:
        dim, (value,) = where[0]
        kind = _TARGET_SCOPES.get(dim)
        if kind is None:
            return None
        stmt = stmt.where(Target.scope_kind == kind)
        if dim == "region":
            stmt = stmt.where(Target.region_id.in_(select(Region.id).where(Region.name == value)))
        elif dim == "team":
            stmt = stmt.where(
                Target.org_unit_id.in_(select(OrgUnit.id).where(OrgUnit.name == value))
            )
        elif dim == "rep":
            stmt = stmt.where(Target.rep_id.in_(select(Rep.id).where(Rep.name == value)))
        else:
            stmt = stmt.where(Target.product_line == value)
    with engine.connect() as conn:
        found = conn.execute(stmt.limit(1)).scalar()
    return None if found is None else int(found)


def _evaluate(
    engine: Engine, scope: Scope, ids: list[int], as_of: dt.date
) -> dict[int, Attainment]:
    """Attainment and pacing of the targets ``ids`` from the targets service (one place)."""
    if not ids:
        return {}
    with engine.connect() as conn:
        directory = Directory(conn)
        records = load_targets(conn, directory, ids=ids)
    # A target the caller may not see (another team's, the company's for a rep) is no target.
    records = [r for r in records if visible_to(directory, scope, r)]
    return evaluate(engine, records, as_of=as_of, scope=scope, directory=directory)


def card_attainments(
    engine: Engine, scope: Scope, metrics: Sequence[str], filters: BoardFilters
) -> dict[str, Attainment | None]:
    """How each card's KPI stands against its target for the board's period (None: no
    target), evaluated together (the targets service fuses their actuals into as few
    statements as it can)."""
    ids = {m: target_id_for(engine, m, filters, scope) for m in metrics}
    found = [i for i in ids.values() if i is not None]
    evaluated = _evaluate(engine, scope, found, filters.end)
    return {m: (None if i is None else evaluated.get(i)) for m, i in ids.items()}


def month_targets(
    engine: Engine, metric: str, start: dt.date, end: dt.date, scope: Scope = FULL_SCOPE
) -> dict[str, Decimal]:
    """Monthly targets of ``metric`` between ``start`` and ``end``, by ``YYYY-MM``: the
    company's, or for a narrower data scope the caller's own (a rep's, a manager's unit's)."""
    stmt = select(Target.period_start, Target.value).where(
        Target.metric == metric,
        Target.period_grain == "month",
        Target.scope_kind == "company" if scope.is_full else _own_target(scope),
        Target.channel.is_(None),
        Target.period_start >= start.replace(day=1),
        Target.period_start <= end,
    )
    with engine.connect() as conn:
        return {f"{d:%Y-%m}": Decimal(v) for d, v in conn.execute(stmt)}


def rep_attainments(
    engine: Engine, scope: Scope, metric: str, filters: BoardFilters
) -> dict[str, Attainment]:
    """Each rep's attainment of ``metric`` for the board's whole period, by rep name."""
    if filters.target_grain is None:
        return {}
    stmt = (
        select(Rep.name, Target.id)
        .join(Rep, Rep.id == Target.rep_id)
        .where(
            Target.metric == metric,
            Target.scope_kind == "rep",
            Target.channel.is_(None),
            Target.period_grain == filters.target_grain,
            Target.period_start == filters.start,
        )
    )
    with engine.connect() as conn:
        ids = {int(target_id): str(name) for name, target_id in conn.execute(stmt)}
    found = _evaluate(engine, scope, list(ids), filters.end)
    return {ids[i]: a for i, a in found.items()}
