"""Recognition on the board (喜报 / 光荣榜): good news for the wall's ticker and the overview's
banner, and the honour roll of a month or quarter from the scorecards.

Good news is about the whole company — a colleague's big win motivates everyone — but a name
(the rep's, the customer's) is shown only when the viewer's data scope includes that rep;
otherwise the news says "a colleague" and leaves the customer out. Kinds:

* ``deal``: a deal won in the last ``recognition_days`` days of at least
  ``recognition_deal_threshold`` (the engine's records of bookings);
* ``target``: a rep reached 100 % of their revenue target for the month or quarter running
  (targets' attainment, as the targets page measures it);
* ``record``: the last complete month was the company's best month of revenue ever, or a
  rep's best month (with at least six months before it), from the engine's monthly revenue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Engine, select

from salesops.config import get_settings
from salesops.db.schema import Rep
from salesops.metrics import catalog
from salesops.metrics.engine import shared_engine
from salesops.metrics.query import MetricQuery
from salesops.metrics.records import fact_records
from salesops.metrics.scope import FULL_SCOPE, Scope, visible_reps
from salesops.people.scorecards import compute
from salesops.people.statements import PeopleError
from salesops.targets.attainment import evaluate
from salesops.targets.calendar import Period, add_months, period_containing
from salesops.targets.kpis import query_rows, to_decimal
from salesops.targets.org import Directory
from salesops.targets.tree import load_targets

NewsKind = Literal["deal", "target", "record"]
GRAINS: tuple[Literal["month", "quarter"], ...] = ("month", "quarter")
#: Most items of each kind on the ticker.
PER_KIND = 3


@dataclass(frozen=True)
class News:
    """One piece of good news; ``rep``/``customer`` are None when the viewer may not see them."""

    kind: NewsKind
    day: dt.date
    amount: Decimal | None
    rep: str | None
    customer: str | None = None
    period: str | None = None
    previous: Decimal | None = None  # a record: the best before
    company: bool = False  # a record of the whole company (else of one rep)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["day"] = self.day.isoformat()
        return out


def _visible_ids(engine: Engine, scope: Scope) -> set[int] | None:
    reps = visible_reps(scope)
    if reps is None:
        return None
    with engine.connect() as conn:
        return set(conn.execute(reps).scalars())


def good_news(engine: Engine, scope: Scope, today: dt.date) -> list[News]:
    """Good news as of ``today``, newest first (see the module docstring)."""
    settings = get_settings()
    visible = _visible_ids(engine, scope)

    def shown(rep_id: Any) -> bool:
        return visible is None or (rep_id is not None and int(rep_id) in visible)

    with engine.connect() as conn:
        names = {int(i): str(n) for i, n in conn.execute(select(Rep.id, Rep.name))}
    news: list[News] = []
    start = today - dt.timedelta(days=settings.recognition_days)
    metrics = shared_engine(engine)
    q = MetricQuery(metric="bookings", start=start, end=today)
    stmt = fact_records(catalog.get("bookings"), q, FULL_SCOPE, limit=10_000, today=today)
    with engine.connect() as conn:
        deals = [dict(r) for r in conn.execute(stmt).mappings()]
    big = sorted(
        (
            d
            for d in deals
            if d["amount"] is not None and d["amount"] >= settings.recognition_deal_threshold
        ),
        key=lambda d: (-d["amount"], d["id"]),
    )[:PER_KIND]
    for d in big:
        ok = shown(d.get("owner_id"))
        news.append(
            News(
                "deal",
                d["closed_on"],
                Decimal(d["amount"]),
                names.get(d["owner_id"]) if ok else None,
                d.get("customer_name") if ok else None,
            )
        )
    news += _targets_reached(engine, today, shown, names)
    news += _records(engine, today, shown, names, metrics.today())
    return sorted(news, key=lambda n: (n.day, n.kind), reverse=True)


def _targets_reached(
    engine: Engine, today: dt.date, shown: Any, names: dict[int, str]
) -> list[News]:
    out: list[News] = []
    with engine.connect() as conn:
        directory = Directory(conn)
        targets = [
            t
            for grain in GRAINS
            for t in load_targets(
                conn,
                directory,
                metric="revenue",
                period=period_containing(today, grain),
                scope_kind="rep",
                whole=True,  # the rep's quota, not a channel's part of it
            )
        ]
    if not targets:
        return out
    results = evaluate(engine, targets, as_of=today, directory=directory)
    reached = [
        (t, results[t.id])
        for t in targets
        if results[t.id].attainment is not None and (results[t.id].attainment or 0) >= 1.0
    ]
    reached.sort(key=lambda pair: -(pair[1].attainment or 0))
    for t, a in reached[:PER_KIND]:
        rep_id = t.scope.rep_id
        out.append(
            News(
                "target",
                today,
                a.actual,
                names.get(rep_id or -1) if shown(rep_id) else None,
                period=t.period.label(),
            )
        )
    return out


def _records(
    engine: Engine, today: dt.date, shown: Any, names: dict[int, str], _engine_today: dt.date
) -> list[News]:
    this_month = today.replace(day=1)
    last = add_months(this_month, -1)
    end = this_month - dt.timedelta(days=1)
    out: list[News] = []
    rows = query_rows(engine, MetricQuery(metric="revenue", grain="month", end=end), FULL_SCOPE)
    series = [(str(r["period"]), to_decimal(r.get("value")) or Decimal(0)) for r in rows]
    label = f"{last:%Y-%m}"
    if len(series) >= 4 and series[-1][0] == label:
        best_before = max(v for _, v in series[:-1])
        if series[-1][1] > best_before:
            out.append(
                News(
                    "record",
                    end,
                    series[-1][1],
                    None,
                    period=label,
                    previous=best_before,
                    company=True,
                )
            )
    by_rep = query_rows(
        engine, MetricQuery(metric="revenue", by=("rep",), grain="month", end=end), FULL_SCOPE
    )
    per_rep: dict[str, list[tuple[str, Decimal]]] = {}
    for r in by_rep:
        if r.get("rep"):
            per_rep.setdefault(str(r["rep"]), []).append(
                (str(r["period"]), to_decimal(r.get("value")) or Decimal(0))
            )
    ids = {v: k for k, v in names.items()}
    found = []
    for rep, months in per_rep.items():
        months.sort()
        if len(months) >= 7 and months[-1][0] == label:
            before = max(v for _, v in months[:-1])
            if months[-1][1] > before:
                found.append((months[-1][1], rep, before))
    for amount, rep, before in sorted(found, reverse=True)[:PER_KIND]:
        rep_id = ids.get(rep)
        out.append(
            News(
                "record",
                end,
                amount,
                rep if shown(rep_id) else None,
                period=label,
                previous=before,
            )
        )
    return out


@dataclass(frozen=True)
class Honour:
    rank: int
    rep: str | None  # None: outside the viewer's scope
    team: str | None
    score: Decimal


def honour_roll(
    engine: Engine, period: Period, scope: Scope, *, top: int = 3, code: str | None = None
) -> list[Honour]:
    """The best ``top`` scores of the period (光荣榜), company-wide; names only in scope."""
    try:
        scores = compute(engine, period, FULL_SCOPE, code=code)
    except PeopleError:
        return []
    visible = _visible_ids(engine, scope)
    ranked = sorted((r for r in scores.reps if r.rank is not None), key=lambda r: r.rank or 0)
    return [
        Honour(
            r.rank or 0,
            r.rep if visible is None or r.rep_id in visible else None,
            r.team if visible is None or r.rep_id in visible else None,
            r.score or Decimal(0),
        )
        for r in ranked[:top]
    ]
