"""Scorecards (绩效考核): definitions, managers' ratings, and every rep's score for a period.

A scorecard is written in YAML (``docs/people.md``)::

    code: rep-quarterly
    name: Sales rep scorecard
    role: rep                # rep | team_lead (reps who manage others)
    period: quarter
    missing: skip            # skip: a missing part leaves the others' weights; zero: scores 0
    items:
      - {code: revenue, kind: kpi, metric: revenue, weight: 0.4, scoring: target}
      - {code: win_rate, kind: kpi, metric: win_rate, weight: 0.2, scoring: bands,
         bands: [[0, 0], [0.2, 60], [0.3, 80], [0.4, 100]]}
      - {code: attitude, kind: rated, weight: 0.2, label_en: Attitude, label_zh: 工作态度}

KPI values come from the metrics engine (one query per KPI, by rep, in the caller's scope);
targets from the target table (the rep's target of the KPI for the period, else the item's own
``target``). Ratings are entered by a manager, with a comment, and audited.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import Engine, delete, insert, select, update

from salesops.auth.audit import Actor, record
from salesops.auth.secrets import utcnow
from salesops.db.schema import OrgUnit, Rep, RepRating, Scorecard, ScorecardItem
from salesops.metrics import catalog
from salesops.metrics.query import MetricQuery
from salesops.metrics.scope import FULL_SCOPE, Scope, visible_reps
from salesops.people.quota import rep_targets
from salesops.people.scoring import Part, band_score, target_score, weighted
from salesops.people.statements import NotVisible, PeopleError, check_rep_visible
from salesops.targets.calendar import Period
from salesops.targets.kpis import query_rows, to_decimal


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemDef(_Strict):
    code: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.\-]+$")
    kind: Literal["kpi", "rated"]
    metric: str | None = None
    weight: Decimal = Field(gt=0, le=100)
    scoring: Literal["target", "bands", "rating"] | None = None
    bands: tuple[tuple[Decimal, Decimal], ...] = ()
    target: Decimal | None = Field(default=None, gt=0)
    label_en: str | None = Field(default=None, max_length=200)
    label_zh: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _consistent(self) -> ItemDef:
        if self.kind == "kpi":
            if self.metric not in catalog.ids():
                raise ValueError(f"item {self.code}: unknown KPI {self.metric!r}")
            if self.scoring not in ("target", "bands"):
                raise ValueError(f"item {self.code}: a KPI is scored by 'target' or 'bands'")
            if self.scoring == "bands" and not self.bands:
                raise ValueError(f"item {self.code}: 'bands' scoring needs bands")
        elif self.scoring not in (None, "rating") or self.metric:
            raise ValueError(f"item {self.code}: a rated item has no KPI and no scoring")
        return self

    @property
    def how(self) -> str:
        return self.scoring or "rating"


class ScorecardDef(_Strict):
    code: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str = Field(min_length=1, max_length=200)
    role: Literal["rep", "team_lead"] = "rep"
    period: Literal["month", "quarter", "year"] = "quarter"
    missing: Literal["skip", "zero"] = "skip"
    items: tuple[ItemDef, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ScorecardDef:
        codes = [i.code for i in self.items]
        if len(set(codes)) != len(codes):
            raise ValueError("item codes must be unique")
        return self


def parse_scorecard(data: Any, *, where: str = "scorecard") -> ScorecardDef:
    """A definition from a mapping; PeopleError naming the field."""
    if not isinstance(data, dict):
        raise PeopleError(f"{where}: a scorecard is a mapping of fields")
    try:
        return ScorecardDef.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'scorecard'}: {e['msg']}" for e in exc.errors()
        )
        raise PeopleError(f"{where}: {problems}") from None


def save_scorecard(engine: Engine, sc: ScorecardDef, actor: Actor | str) -> int:
    """Create or update a scorecard; items are matched by code (an item that has ratings
    cannot be removed). Audited."""
    with engine.begin() as conn:
        found = conn.execute(select(Scorecard.id).where(Scorecard.code == sc.code)).scalar()
        values = {
            "name": sc.name,
            "role": sc.role,
            "period_grain": sc.period,
            "missing": sc.missing,
            "active": True,
        }
        if found is None:
            sc_id = int(
                conn.execute(
                    insert(Scorecard).values(code=sc.code, **values).returning(Scorecard.id)
                ).scalar_one()
            )
        else:
            sc_id = int(found)
            conn.execute(update(Scorecard).where(Scorecard.id == sc_id).values(**values))
        existing = dict(
            conn.execute(
                select(ScorecardItem.code, ScorecardItem.id).where(
                    ScorecardItem.scorecard_id == sc_id
                )
            ).all()
        )
        for position, item in enumerate(sc.items, start=1):
            row = {
                "position": position,
                "label_en": item.label_en or item.code,
                "label_zh": item.label_zh,
                "kind": item.kind,
                "metric": item.metric,
                "weight": item.weight,
                "scoring": item.how,
                "bands": json.dumps([[str(a), str(b)] for a, b in item.bands])
                if item.bands
                else None,
                "target_value": item.target,
            }
            if item.code in existing:
                conn.execute(
                    update(ScorecardItem)
                    .where(ScorecardItem.id == existing.pop(item.code))
                    .values(**row)
                )
            else:
                conn.execute(
                    insert(ScorecardItem).values(scorecard_id=sc_id, code=item.code, **row)
                )
        for code, item_id in existing.items():
            rated = conn.execute(select(RepRating.id).where(RepRating.item_id == item_id)).first()
            if rated is not None:
                raise PeopleError(f"item {code} has ratings and cannot be removed")
            conn.execute(delete(ScorecardItem).where(ScorecardItem.id == item_id))
        record(
            conn,
            actor,
            "scorecard.save",
            f"scorecard:{sc.code}",
            {"id": sc_id, "items": len(sc.items), "created": found is None},
        )
    return sc_id


@dataclass(frozen=True)
class Item:
    id: int
    code: str
    label_en: str
    label_zh: str | None
    kind: str
    metric: str | None
    weight: Decimal
    scoring: str
    bands: tuple[tuple[Decimal, Decimal], ...]
    target: Decimal | None

    def label(self, locale: str) -> str:
        own = self.label_zh if locale.startswith("zh") else self.label_en
        if self.metric and (not own or own == self.code):  # no label of its own: the KPI's
            kpi = catalog.get(self.metric)
            return kpi.name_zh if locale.startswith("zh") else kpi.name_en
        if locale.startswith("zh") and self.label_zh:
            return self.label_zh
        return self.label_en


@dataclass(frozen=True)
class Card:
    id: int
    code: str
    name: str
    role: str
    period: str
    missing: str
    items: tuple[Item, ...]


def load_scorecard(engine: Engine, code: str | None = None) -> Card:
    """The scorecard ``code`` (None: the first active one)."""
    with engine.connect() as conn:
        stmt = select(Scorecard).where(Scorecard.active.is_(True)).order_by(Scorecard.id)
        if code:
            stmt = select(Scorecard).where(Scorecard.code == code)
        row = conn.execute(stmt).first()
        if row is None:
            raise NotVisible(f"no scorecard {code!r}" if code else "no scorecard is defined")
        items = conn.execute(
            select(ScorecardItem)
            .where(ScorecardItem.scorecard_id == row.id)
            .order_by(ScorecardItem.position)
        ).all()
    return Card(
        id=int(row.id),
        code=row.code,
        name=row.name,
        role=row.role,
        period=row.period_grain,
        missing=row.missing,
        items=tuple(
            Item(
                id=int(i.id),
                code=i.code,
                label_en=i.label_en,
                label_zh=i.label_zh,
                kind=i.kind,
                metric=i.metric,
                weight=Decimal(i.weight),
                scoring=i.scoring,
                bands=tuple((Decimal(a), Decimal(b)) for a, b in json.loads(i.bands or "[]")),
                target=None if i.target_value is None else Decimal(i.target_value),
            )
            for i in items
        ),
    )


def list_scorecards(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(Scorecard).order_by(Scorecard.code)).all()
    return [
        {"code": r.code, "name": r.name, "role": r.role, "period": r.period_grain} for r in rows
    ]


def rate(
    engine: Engine,
    card_code: str,
    item_code: str,
    rep_id: int,
    period: Period,
    score: Decimal,
    comment: str | None,
    actor: Actor | str,
    scope: Scope = FULL_SCOPE,
) -> None:
    """Enter (or change) a manager's rating of a rep on a rated item; audited."""
    if not Decimal(0) <= score <= Decimal(100):
        raise PeopleError(f"a rating is between 0 and 100, not {score}")
    card = load_scorecard(engine, card_code)
    if period.grain != card.period:
        raise PeopleError(f"scorecard {card.code} is per {card.period}, not per {period.grain}")
    item = next((i for i in card.items if i.code == item_code), None)
    if item is None or item.kind != "rated":
        raise PeopleError(f"scorecard {card.code} has no rated item {item_code!r}")
    with engine.begin() as conn:
        rep = check_rep_visible(conn, scope, rep_id)
        key = (
            RepRating.item_id == item.id,
            RepRating.rep_id == rep_id,
            RepRating.period_start == period.start,
        )
        who = actor.name if isinstance(actor, Actor) else actor
        values = {"score": score, "comment": comment, "rated_by": who, "rated_at": utcnow()}
        if conn.execute(select(RepRating.id).where(*key)).first() is None:
            conn.execute(
                insert(RepRating).values(
                    item_id=item.id, rep_id=rep_id, period_start=period.start, **values
                )
            )
        else:
            conn.execute(update(RepRating).where(*key).values(**values))
        record(
            conn,
            actor,
            "scorecard.rate",
            f"rep:{rep}",
            {"scorecard": card.code, "item": item_code, "period": period.label(), "score": score},
        )


# ----------------------------------------------------------------------------------- scores


@dataclass
class RepScore:
    rep_id: int
    rep: str
    team_id: int | None
    team: str
    score: Decimal | None
    parts: list[Part]
    rank: int | None = None
    team_rank: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rep_id": self.rep_id,
            "rep": self.rep,
            "team": self.team,
            "score": self.score,
            "rank": self.rank,
            "team_rank": self.team_rank,
            "parts": [p.__dict__ for p in self.parts],
        }


@dataclass
class TeamScore:
    team_id: int
    team: str
    score: Decimal | None
    reps: int
    rank: int | None = None


@dataclass
class Scores:
    card: Card
    period: Period
    reps: list[RepScore]
    teams: list[TeamScore] = field(default_factory=list)


def _reps_in(engine: Engine, card: Card, scope: Scope, period: Period) -> list[Any]:
    stmt = (
        select(Rep.id, Rep.name, Rep.org_unit_id, OrgUnit.name.label("team"))
        .join(OrgUnit, OrgUnit.id == Rep.org_unit_id)
        .order_by(Rep.id)
    )
    reps = visible_reps(scope)
    if reps is not None:
        stmt = stmt.where(Rep.id.in_(reps))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
        leads = set(
            conn.execute(select(Rep.manager_id).where(Rep.manager_id.is_not(None))).scalars()
        )
        hired = {
            r.id: (r.hired_on, r.left_on)
            for r in conn.execute(select(Rep.id, Rep.hired_on, Rep.left_on))
        }
    out = []
    for r in rows:
        if (card.role == "team_lead") != (r.id in leads):
            continue
        hired_on, left_on = hired[r.id]
        if (hired_on and hired_on > period.end) or (left_on and left_on < period.start):
            continue
        out.append(r)
    return out


def compute(
    engine: Engine,
    period: Period,
    scope: Scope = FULL_SCOPE,
    *,
    code: str | None = None,
    locale: str = "en",
) -> Scores:
    """Every visible rep's score for the period, ranked overall and within their team, and
    each team's average (see the module docstring)."""
    card = load_scorecard(engine, code)
    if period.grain != card.period:
        raise PeopleError(f"scorecard {card.code} is per {card.period}, not per {period.grain}")
    reps = _reps_in(engine, card, scope, period)
    values: dict[str, dict[str, Decimal | None]] = {}
    for item in card.items:
        if item.metric and item.metric not in values:
            rows = query_rows(
                engine,
                MetricQuery(metric=item.metric, by=("rep",), start=period.start, end=period.end),
                scope,
            )
            values[item.metric] = {
                str(r["rep"]): to_decimal(r.get("value")) for r in rows if r.get("rep")
            }
    with engine.connect() as conn:
        ratings = {
            (r.item_id, r.rep_id): r
            for r in conn.execute(
                select(RepRating).where(
                    RepRating.item_id.in_([i.id for i in card.items]),
                    RepRating.period_start == period.start,
                )
            )
        }
        # One query per KPI for every rep (their whole quota, never a channel's part).
        quotas = {
            item.metric: rep_targets(conn, item.metric, [r.id for r in reps], period)
            for item in card.items
            if item.metric and item.scoring == "target"
        }
        targets: dict[tuple[str | None, int], Decimal | None] = {
            (metric, r.id): found[r.id] for metric, found in quotas.items() for r in reps
        }
    out = []
    for r in reps:
        parts = [_part(item, r, values, targets, ratings, locale) for item in card.items]
        out.append(
            RepScore(r.id, r.name, r.org_unit_id, r.team, weighted(parts, card.missing), parts)  # type: ignore[arg-type]
        )
    _rank(out)
    return Scores(card, period, out, _teams(out))


def _part(
    item: Item,
    rep: Any,
    values: dict[str, dict[str, Decimal | None]],
    targets: dict[tuple[str | None, int], Decimal | None],
    ratings: dict[tuple[int, int], Any],
    locale: str,
) -> Part:
    label = item.label(locale)
    if item.kind == "rated":
        rating = ratings.get((item.id, rep.id))
        score = None if rating is None else Decimal(rating.score)
        comment = None if rating is None else rating.comment
        return Part(item.code, label, "rated", item.weight, score, None, score, comment)
    assert item.metric is not None
    value = values.get(item.metric, {}).get(rep.name)
    if value is None and catalog.get(item.metric).additive:
        value = Decimal(0)  # a sum or count without rows is 0 (no won deal), not unknown
    if item.scoring == "bands":
        score = None if value is None else band_score(value, item.bands)
        return Part(item.code, label, "kpi", item.weight, value, None, score)
    against = targets.get((item.metric, rep.id)) or item.target
    less = catalog.get(item.metric).good == "down"
    score = (
        None if value is None or not against else target_score(value, against, less_is_better=less)
    )
    return Part(item.code, label, "kpi", item.weight, value, against, score)


def _rank(reps: list[RepScore]) -> None:
    scored = sorted(
        (r for r in reps if r.score is not None), key=lambda r: (-(r.score or 0), r.rep)
    )
    for i, r in enumerate(scored, start=1):
        r.rank = i
    by_team: dict[int | None, list[RepScore]] = defaultdict(list)
    for r in scored:
        by_team[r.team_id].append(r)
    for members in by_team.values():
        for i, r in enumerate(members, start=1):
            r.team_rank = i


def _teams(reps: Sequence[RepScore]) -> list[TeamScore]:
    groups: dict[int, list[RepScore]] = defaultdict(list)
    names: dict[int, str] = {}
    for r in reps:
        if r.team_id is not None:
            groups[r.team_id].append(r)
            names[r.team_id] = r.team
    teams = []
    for team_id, members in groups.items():
        known = [m.score for m in members if m.score is not None]
        score = (sum(known, Decimal(0)) / len(known)).quantize(Decimal("0.01")) if known else None
        teams.append(TeamScore(team_id, names[team_id], score, len(members)))
    ordered = sorted(
        (t for t in teams if t.score is not None), key=lambda t: (-(t.score or 0), t.team)
    )
    for i, t in enumerate(ordered, start=1):
        t.rank = i
    return sorted(teams, key=lambda t: (t.rank or 10**6, t.team))
