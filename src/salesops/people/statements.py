"""Commission statements per rep, plan and period: credits read from the metrics engine's
records, the arithmetic of :mod:`salesops.people.commission`, closing (paying) a statement,
what-if and deal splits.

Credits are the engine's own records of the plan's basis, so a statement pays on exactly what
the board counts: ``revenue`` — the order lines behind the rep's revenue (normal lines dated in
the period); ``bookings`` — the won deals behind their bookings; ``collected`` — payments
received in the period (the payment fact, with the engine's data-scope conditions).
A deal or order split between reps (``deal_split``) credits each rep with their share, whoever
owns it; a split that does not name the owner gives the owner nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, insert, select, update

from salesops.auth.audit import Actor, record
from salesops.auth.secrets import utcnow
from salesops.db.schema import (
    CommissionLine,
    CommissionStatement,
    DealSplit,
    IncentivePlan,
    Opportunity,
    OrderLine,
    OrgUnit,
    Payment,
    Product,
    Rep,
)
from salesops.metrics import catalog, dimensions
from salesops.metrics.engine import shared_engine
from salesops.metrics.query import MetricQuery
from salesops.metrics.records import fact_records
from salesops.metrics.scope import FULL_SCOPE, Scope, visible_reps
from salesops.people import commission
from salesops.people.commission import Credit, Line, PaidLine, Statement
from salesops.people.plans import PlanError, PlanRules, parse_rules
from salesops.people.quota import rep_target, rep_targets
from salesops.targets.calendar import Period
from salesops.targets.kpis import to_decimal

#: More records than a rep makes in a year; the engine's records call needs a bound.
RECORD_LIMIT = 1_000_000


class PeopleError(ValueError):
    """A request that cannot be done; the message says why (answered 400)."""


class NotVisible(PeopleError):
    """No such rep, plan or statement in the caller's scope (answered 404)."""


# ----------------------------------------------------------------------------------- plans


@dataclass(frozen=True)
class StoredPlan:
    id: int
    rules: PlanRules
    active: bool


def save_plan(engine: Engine, rules: PlanRules, actor: Actor | str) -> StoredPlan:
    """Create or replace the plan with ``rules.code`` (audited)."""
    with engine.begin() as conn:
        found = conn.execute(
            select(IncentivePlan.id).where(IncentivePlan.code == rules.code)
        ).scalar()
        values = {
            "name": rules.name,
            "period_grain": rules.period,
            "basis": rules.basis,
            "rules": rules.to_json(),
            "active": True,
            "updated_at": utcnow(),
            "updated_by": actor.name if isinstance(actor, Actor) else actor,
        }
        if found is None:
            plan_id = int(
                conn.execute(
                    insert(IncentivePlan)
                    .values(code=rules.code, **values)
                    .returning(IncentivePlan.id)
                ).scalar_one()
            )
        else:
            plan_id = int(found)
            conn.execute(update(IncentivePlan).where(IncentivePlan.id == plan_id).values(**values))
        record(
            conn,
            actor,
            "incentive.plan.save",
            f"incentive_plan:{rules.code}",
            {"id": plan_id, "created": found is None, "basis": rules.basis},
        )
    return StoredPlan(plan_id, rules, True)


def _plan_from_row(row: Any) -> StoredPlan:
    try:
        rules = parse_rules(json.loads(row.rules), where=f"plan {row.code}")
    except (ValueError, PlanError) as exc:
        raise PeopleError(str(exc)) from exc
    return StoredPlan(int(row.id), rules, bool(row.active))


def list_plans(engine: Engine) -> list[StoredPlan]:
    with engine.connect() as conn:
        rows = conn.execute(select(IncentivePlan).order_by(IncentivePlan.code)).all()
    return [_plan_from_row(r) for r in rows]


def get_plan(engine: Engine, code: str) -> StoredPlan:
    with engine.connect() as conn:
        row = conn.execute(select(IncentivePlan).where(IncentivePlan.code == code)).first()
    if row is None:
        raise NotVisible(f"no incentive plan {code!r}")
    return _plan_from_row(row)


def _team_names(conn: Connection, org_unit_id: int | None) -> set[str]:
    """Names and external ids of the rep's unit and every unit above it."""
    names: set[str] = set()
    seen: set[int] = set()
    while org_unit_id is not None and org_unit_id not in seen:
        seen.add(org_unit_id)
        row = conn.execute(
            select(OrgUnit.name, OrgUnit.external_id, OrgUnit.parent_id).where(
                OrgUnit.id == org_unit_id
            )
        ).first()
        if row is None:
            break
        names |= {row.name.casefold(), row.external_id.casefold()}
        org_unit_id = row.parent_id
    return names


def _plans_applying(
    plans: Sequence[StoredPlan], name: str, external_id: str, teams: set[str]
) -> list[StoredPlan]:
    out = []
    for plan in plans:
        scope = plan.rules.applies_to
        if not plan.active:
            continue
        if not scope.teams and not scope.reps:
            out.append(plan)
            continue
        if {t.casefold() for t in scope.teams} & teams or {r.casefold() for r in scope.reps} & {
            name.casefold(),
            external_id.casefold(),
        }:
            out.append(plan)
    return out


def plans_for_reps(
    engine: Engine, rep_ids: Sequence[int], plans: Sequence[StoredPlan]
) -> dict[int, list[StoredPlan]]:
    """The active plans that apply to each rep (as :func:`plans_for_rep`), reading the reps
    and the org tree once."""
    wanted = set(rep_ids)
    with engine.connect() as conn:
        units = {
            int(u.id): u
            for u in conn.execute(
                select(OrgUnit.id, OrgUnit.name, OrgUnit.external_id, OrgUnit.parent_id)
            )
        }
        reps = [
            r
            for r in conn.execute(select(Rep.id, Rep.name, Rep.external_id, Rep.org_unit_id))
            if int(r.id) in wanted
        ]
    teams: dict[int | None, set[str]] = {}
    out: dict[int, list[StoredPlan]] = {}
    for rep in reps:
        if rep.org_unit_id not in teams:
            names: set[str] = set()
            seen: set[int] = set()
            current = rep.org_unit_id
            while current is not None and current not in seen and current in units:
                seen.add(current)
                unit = units[current]
                names |= {unit.name.casefold(), unit.external_id.casefold()}
                current = unit.parent_id
            teams[rep.org_unit_id] = names
        out[int(rep.id)] = _plans_applying(plans, rep.name, rep.external_id, teams[rep.org_unit_id])
    return out


def plans_for_rep(
    engine: Engine,
    rep_id: int,
    plans: Sequence[StoredPlan] | None = None,
    *,
    team_names: dict[int | None, set[str]] | None = None,
) -> list[StoredPlan]:
    """The active plans that apply to the rep (``applies_to``; empty: everyone)."""
    with engine.connect() as conn:
        rep = conn.execute(select(Rep).where(Rep.id == rep_id)).first()
        if rep is None:
            return []
        if team_names is not None and rep.org_unit_id in team_names:
            teams = team_names[rep.org_unit_id]
        else:
            teams = _team_names(conn, rep.org_unit_id)
            if team_names is not None:
                team_names[rep.org_unit_id] = teams
    return _plans_applying(
        list_plans(engine) if plans is None else plans, rep.name, rep.external_id, teams
    )


# ---------------------------------------------------------------------------------- credits


def _shares(conn: Connection, column: Any, keys: Sequence[Any]) -> dict[Any, dict[int, Decimal]]:
    """Split shares of the given deals or orders: key -> {rep id: share}. The split table is
    small: it is read whole rather than probed with every key of a big period."""
    out: dict[Any, dict[int, Decimal]] = {}
    if not keys:
        return out
    wanted = set(keys)
    for key, rep_id, share in conn.execute(
        select(column, DealSplit.rep_id, DealSplit.share).where(column.is_not(None))
    ):
        if key in wanted:
            out.setdefault(key, {})[int(rep_id)] = Decimal(share)
    return out


#: The columns of the engine's records a credit is made of (:func:`_credit`), per basis.
_CREDIT_COLUMNS = {
    "revenue": ("id", "order_no", "line_no", "order_date", "amount", "rep_id", "product_id"),
    "bookings": ("id", "name", "external_id", "closed_on", "amount", "owner_id", "product_id"),
}


def _records(engine: Engine, metric: str, period: Period, scope: Scope, extra: Any = None) -> Any:
    """The engine's records of ``metric`` for the period in ``scope`` (optionally narrowed):
    the rows the engine counts, with only the columns a credit needs (a period's records of
    a whole company are 100,000s of rows: the label joins and unused columns cost seconds)."""
    metrics = shared_engine(engine)
    q = MetricQuery(metric=metric, start=period.start, end=period.end)
    stmt = fact_records(catalog.get(metric), q, scope, limit=RECORD_LIMIT, today=metrics.today())
    if extra is not None:
        stmt = stmt.where(extra)
    wanted = _CREDIT_COLUMNS[metric]
    stmt = stmt.with_only_columns(
        *(c for c in stmt.selected_columns if c.key in wanted), maintain_column_froms=False
    )
    with engine.connect() as conn:
        result = conn.execute(stmt)
        keys = list(result.keys())
        return [dict(zip(keys, row, strict=True)) for row in result.all()]


def _product_lines(conn: Connection) -> dict[int, str | None]:
    return {int(i): pl for i, pl in conn.execute(select(Product.id, Product.product_line))}


def read_credits(engine: Engine, rules: PlanRules, rep_id: int, period: Period) -> list[Credit]:
    """What the rep is credited with in the period under the plan's basis (module docstring)."""
    return read_credits_many(engine, rules, [rep_id], period, Scope.single_rep(rep_id))[rep_id]


def _my_splits_many(conn: Connection, column: Any, rep_ids: Sequence[int]) -> list[Any]:
    return list(
        conn.execute(
            select(column)
            .where(DealSplit.rep_id.in_(list(rep_ids)), column.is_not(None))
            .distinct()
        ).scalars()
    )


def read_credits_many(
    engine: Engine, rules: PlanRules, rep_ids: Sequence[int], period: Period, scope: Scope
) -> dict[int, list[Credit]]:
    """Credits of several reps at once: one read of the engine's records in ``scope`` (which
    must include the reps), plus the split deals or orders they share in from outside it."""
    wanted = set(rep_ids)
    out: dict[int, list[Credit]] = {r: [] for r in rep_ids}
    split_column = DealSplit.opportunity_id if rules.basis == "bookings" else DealSplit.order_no
    with engine.connect() as conn:
        lines_of = _product_lines(conn)
        mine = _my_splits_many(conn, split_column, rep_ids)
    if rules.basis == "collected":
        rows = _paid(engine, period, scope, mine)
        key, owner = "order_no", "rep_id"
    elif rules.basis == "revenue":
        rows = _records(engine, "revenue", period, scope)
        if mine:
            seen = {r["id"] for r in rows}
            rows += [
                r
                for r in _records(
                    engine, "revenue", period, FULL_SCOPE, OrderLine.order_no.in_(mine)
                )
                if r["id"] not in seen
            ]
        key, owner = "order_no", "rep_id"
    else:
        rows = _records(engine, "bookings", period, scope)
        if mine:
            seen = {r["id"] for r in rows}
            rows += [
                r
                for r in _records(engine, "bookings", period, FULL_SCOPE, Opportunity.id.in_(mine))
                if r["id"] not in seen
            ]
        key, owner = "id", "owner_id"
    with engine.connect() as conn:
        shares = _shares(conn, split_column, sorted({r[key] for r in rows if r[key] is not None}))
    for r in rows:
        split = shares.get(r[key])
        takers = (
            {rep: share for rep, share in split.items() if rep in wanted}
            if split
            else ({r[owner]: Decimal(1)} if r[owner] in wanted else {})
        )
        for rep, share in takers.items():
            if share > 0:
                out[rep].append(_credit(rules, r, share, lines_of))
    return out


def _credit(
    rules: PlanRules, r: dict[str, Any], share: Decimal, lines_of: dict[int, Any]
) -> Credit:
    product = lines_of.get(r["product_id"]) if r.get("product_id") else None
    if rules.basis == "revenue":
        return Credit(
            source="order_line",
            source_id=int(r["id"]),
            reference=f"{r['order_no']}/{r['line_no']}",
            group=str(r["order_no"]),
            day=r["order_date"],
            amount=Decimal(r["amount"]),
            share=share,
            product_line=product,
        )
    if rules.basis == "bookings":
        return Credit(
            source="opportunity",
            source_id=int(r["id"]),
            reference=str(r.get("name") or r["external_id"]),
            day=r["closed_on"],
            amount=Decimal(r["amount"] or 0),
            share=share,
            product_line=product,
        )
    return Credit(
        source="payment",
        source_id=int(r["id"]),
        reference=str(r["order_no"] or r["external_id"]),
        group=str(r["order_no"] or r["external_id"]),
        day=r["paid_date"],
        amount=Decimal(r["paid_amount"]),
        share=share,
    )


def _share(shares: dict[int, Decimal] | None, rep_id: int) -> Decimal:
    if not shares:
        return Decimal(1)
    return shares.get(rep_id, Decimal(0))


def _paid(engine: Engine, period: Period, scope: Scope, mine: list[Any]) -> list[dict[str, Any]]:
    """Payments received in the period in ``scope``, and those of the shared orders."""
    p = Payment.__table__
    paid_in = and_(
        p.c.paid_date >= period.start,
        p.c.paid_date <= period.end,
        p.c.paid_amount > 0,
    )
    own = dimensions.conditions("payment", {}, scope, p)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(p).where(paid_in, *own)).mappings()]
        if mine:
            seen = {r["id"] for r in rows}
            rows += [
                dict(r)
                for r in conn.execute(select(p).where(paid_in, p.c.order_no.in_(mine))).mappings()
                if r["id"] not in seen
            ]
    for r in rows:
        r.setdefault("product_id", None)
    return rows


def kpi_values(engine: Engine, rules: PlanRules, rep_id: int, period: Period) -> dict[str, Any]:
    """The rep's value of every KPI a bonus of the plan looks at, from the engine."""
    return kpi_values_many(engine, rules, [rep_id], period, Scope.single_rep(rep_id))[rep_id]


def kpi_values_many(
    engine: Engine, rules: PlanRules, rep_ids: Sequence[int], period: Period, scope: Scope
) -> dict[int, dict[str, Decimal | None]]:
    """Each rep's value of every KPI a bonus looks at: one engine query by rep per KPI; a sum
    or count without rows is 0."""
    from salesops.targets.kpis import query_rows

    out: dict[int, dict[str, Decimal | None]] = {r: {} for r in rep_ids}
    kpis = sorted({b.kpi for b in rules.bonuses})
    if not kpis:
        return out
    with engine.connect() as conn:
        names = dict(conn.execute(select(Rep.id, Rep.name).where(Rep.id.in_(list(rep_ids)))).all())
    for kpi in kpis:
        rows = query_rows(
            engine, MetricQuery(metric=kpi, by=("rep",), start=period.start, end=period.end), scope
        )
        by_name = {str(r["rep"]): to_decimal(r.get("value")) for r in rows if r.get("rep")}
        empty = Decimal(0) if catalog.get(kpi).additive else None
        for rep_id in rep_ids:
            value = by_name.get(str(names.get(rep_id)))
            out[rep_id][kpi] = empty if value is None else value
    return out


def _clawbacks(conn: Connection, plan_id: int, rep_id: int, period: Period) -> list[Line]:
    return _clawbacks_many(conn, plan_id, [rep_id], period)[rep_id]


def _clawbacks_many(
    conn: Connection, plan_id: int, rep_ids: Sequence[int], period: Period
) -> dict[int, list[Line]]:
    """Each rep's clawback lines: what their closed statements of the plan before ``period``
    paid on order lines that are no longer normal (two queries for all the reps)."""
    out: dict[int, list[Line]] = {int(r): [] for r in rep_ids}
    if not out:
        return out
    closed = select(CommissionStatement.id, CommissionStatement.rep_id).where(
        CommissionStatement.plan_id == plan_id,
        CommissionStatement.rep_id.in_(list(out)),
        CommissionStatement.period_start < period.start,
    )
    rep_of = {int(i): int(r) for i, r in conn.execute(closed)}
    if not rep_of:
        return out
    rows = conn.execute(
        select(
            CommissionLine.statement_id,
            CommissionLine.kind,
            CommissionLine.source_id,
            CommissionLine.reference,
            CommissionLine.amount,
        ).where(
            CommissionLine.statement_id.in_(list(rep_of)),
            CommissionLine.source == "order_line",
            CommissionLine.source_id.is_not(None),
        )
    ).all()
    ids = sorted({int(r.source_id) for r in rows if r.kind in ("commission", "spiff")})
    not_normal = (
        set(
            conn.execute(
                select(OrderLine.id).where(OrderLine.id.in_(ids), OrderLine.status != "normal")
            ).scalars()
        )
        if ids
        else set()
    )
    paid: dict[int, list[PaidLine]] = {r: [] for r in out}
    already: dict[int, set[int]] = {r: set() for r in out}
    for r in rows:
        rep_id = rep_of[int(r.statement_id)]
        if r.kind in ("commission", "spiff"):
            paid[rep_id].append(PaidLine(int(r.source_id), str(r.reference), Decimal(r.amount)))
        elif r.kind == "clawback":
            already[rep_id].add(int(r.source_id))
    for rep_id in out:
        out[rep_id] = commission.clawback_lines(paid[rep_id], not_normal, already[rep_id])
    return out


# -------------------------------------------------------------------------------- statements


@dataclass
class StatementView:
    """A statement with what it is about; ``closed`` when it was paid as shown."""

    plan: StoredPlan
    rep_id: int
    rep: str
    period: Period
    statement: Statement
    closed: bool = False
    closed_at: dt.datetime | None = None
    what_if: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        s = self.statement
        return {
            "plan": self.plan.rules.code,
            "plan_name": self.plan.rules.name,
            "basis": self.plan.rules.basis,
            "rep_id": self.rep_id,
            "rep": self.rep,
            "period": self.period.label(),
            "period_start": self.period.start.isoformat(),
            "period_end": self.period.end.isoformat(),
            "credit": s.credit,
            "target": s.target,
            "attainment": s.attainment,
            "total": s.total,
            "by_kind": s.by_kind(),
            "closed": self.closed,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "notes": s.notes,
            "what_if": self.what_if,
            "lines": [line.to_dict() for line in s.lines],
        }


def check_rep_visible(conn: Connection, scope: Scope, rep_id: int) -> str:
    """The rep's name when the scope may see the rep, else NotVisible."""
    stmt = select(Rep.name).where(Rep.id == rep_id)
    reps = visible_reps(scope)
    if reps is not None:
        stmt = stmt.where(Rep.id.in_(reps))
    name = conn.execute(stmt).scalar()
    if name is None:
        raise NotVisible(f"no sales rep with id {rep_id}")
    return str(name)


def _closed(conn: Connection, plan_id: int, rep_id: int, period: Period) -> Any:
    return conn.execute(
        select(CommissionStatement).where(
            CommissionStatement.plan_id == plan_id,
            CommissionStatement.rep_id == rep_id,
            CommissionStatement.period_start == period.start,
        )
    ).first()


def _check_period(plan: StoredPlan, period: Period) -> None:
    if period.grain != plan.rules.period:
        raise PeopleError(
            f"plan {plan.rules.code} pays per {plan.rules.period}, not per {period.grain}"
        )


def statement(
    engine: Engine,
    plan_code: str,
    rep_id: int,
    period: Period,
    scope: Scope = FULL_SCOPE,
    *,
    what_if: Sequence[int] = (),
) -> StatementView:
    """The rep's statement for the period: as closed (paid) if it was, else computed now.

    ``what_if``: open deals (ids) counted as if won in the period — "if I close these two
    deals I earn ..." (never on a closed statement)."""
    plan = get_plan(engine, plan_code)
    _check_period(plan, period)
    with engine.connect() as conn:
        rep = check_rep_visible(conn, scope, rep_id)
        closed = _closed(conn, plan.id, rep_id, period)
        if closed is not None and not what_if:
            return _stored_view(conn, plan, rep_id, rep, period, closed)
        target = rep_target(conn, plan.rules.attainment_metric, rep_id, period)
        clawbacks = _clawbacks(conn, plan.id, rep_id, period) if plan.rules.clawback else []
    credits = read_credits(engine, plan.rules, rep_id, period)
    if what_if:
        credits += _hypothetical(engine, rep_id, period, what_if, scope)
    built = commission.build(
        credits,
        plan.rules,
        target,
        kpi_values=kpi_values(engine, plan.rules, rep_id, period),
        clawbacks=clawbacks,
    )
    return StatementView(plan, rep_id, rep, period, built, what_if=list(what_if))


def _hypothetical(
    engine: Engine, rep_id: int, period: Period, deal_ids: Sequence[int], scope: Scope
) -> list[Credit]:
    with engine.connect() as conn:
        stmt = select(Opportunity).where(Opportunity.id.in_(list(deal_ids)))
        stmt = stmt.where(*dimensions.conditions("opportunity", {}, scope))
        rows = conn.execute(stmt).all()
        lines_of = _product_lines(conn)
        shares = _shares(conn, DealSplit.opportunity_id, [r.id for r in rows])
    found = {r.id for r in rows}
    missing = [i for i in deal_ids if i not in found]
    if missing:
        raise NotVisible(f"no open deal with id {missing[0]}")
    out = []
    for r in rows:
        if r.status != "open":
            raise PeopleError(f"deal {r.id} is {r.status}, not open")
        share = (
            _share(shares.get(r.id), rep_id)
            if shares.get(r.id)
            else (Decimal(1) if r.owner_id == rep_id else Decimal(0))
        )
        if share <= 0:
            raise PeopleError(f"deal {r.id} does not credit this rep")
        out.append(
            Credit(
                source="opportunity",
                source_id=int(r.id),
                reference=str(r.name or r.external_id),
                day=period.end,
                amount=Decimal(r.amount or 0),
                share=share,
                product_line=lines_of.get(r.product_id) if r.product_id else None,
                hypothetical=True,
            )
        )
    return out


def _stored_view(
    conn: Connection,
    plan: StoredPlan,
    rep_id: int,
    rep: str,
    period: Period,
    closed: Any,
    quota: tuple[Decimal | None] | None = None,
) -> StatementView:
    """A closed statement as it was paid (``quota``: the rep's quota when already read)."""
    rows = conn.execute(
        select(CommissionLine)
        .where(CommissionLine.statement_id == closed.id)
        .order_by(CommissionLine.position)
    ).all()
    lines = [
        Line(
            kind=r.kind,
            source=r.source,
            source_id=r.source_id,
            reference=r.reference or "",
            amount=Decimal(r.amount),
            credit=None if r.credit is None else Decimal(r.credit),
            share=None if r.share is None else Decimal(r.share),
            tier=r.tier,
            rate=None if r.rate is None else Decimal(r.rate),
        )
        for r in rows
    ]
    target = (
        quota[0]
        if quota is not None
        else rep_target(conn, plan.rules.attainment_metric, rep_id, period)
    )
    credit = sum((ln.credit or Decimal(0) for ln in lines if ln.kind == "commission"), Decimal(0))
    built = Statement(lines=lines, credit=credit, target=target)
    return StatementView(plan, rep_id, rep, period, built, closed=True, closed_at=closed.closed_at)


def close_statement(
    engine: Engine,
    plan_code: str,
    rep_id: int,
    period: Period,
    actor: Actor | str,
    scope: Scope = FULL_SCOPE,
) -> StatementView:
    """Keep the statement as paid, line by line (audited); a closed one cannot change."""
    view = statement(engine, plan_code, rep_id, period, scope)
    if view.closed:
        raise PeopleError(f"the statement for {view.rep} {period.label()} is already closed")
    with engine.begin() as conn:
        if _closed(conn, view.plan.id, rep_id, period) is not None:
            raise PeopleError("the statement was closed meanwhile")
        now = utcnow()
        statement_id = int(
            conn.execute(
                insert(CommissionStatement)
                .values(
                    plan_id=view.plan.id,
                    rep_id=rep_id,
                    period_grain=period.grain,
                    period_start=period.start,
                    period_end=period.end,
                    total=view.statement.total,
                    closed_at=now,
                    closed_by=actor.name if isinstance(actor, Actor) else actor,
                )
                .returning(CommissionStatement.id)
            ).scalar_one()
        )
        if view.statement.lines:
            conn.execute(
                insert(CommissionLine),
                [
                    {
                        "statement_id": statement_id,
                        "position": i,
                        "kind": ln.kind,
                        "source": ln.source,
                        "source_id": ln.source_id,
                        "reference": ln.reference[:200],
                        "credit": ln.credit,
                        "share": ln.share,
                        "tier": (ln.tier or "")[:60] or None,
                        "rate": ln.rate,
                        "amount": ln.amount,
                    }
                    for i, ln in enumerate(view.statement.lines, start=1)
                ],
            )
        record(
            conn,
            actor,
            "commission.close",
            f"commission_statement:{view.plan.rules.code}:{rep_id}:{period.label()}",
            {"id": statement_id, "total": view.statement.total, "lines": len(view.statement.lines)},
        )
    view.closed, view.closed_at = True, now
    return view


# ------------------------------------------------------------------------------------ splits


def set_split(
    engine: Engine,
    shares: dict[int, Decimal],
    actor: Actor | str,
    *,
    opportunity_id: int | None = None,
    order_no: str | None = None,
) -> None:
    """Split a deal or an order between reps (shares add up to 1; empty: no split). Audited."""
    if (opportunity_id is None) == (order_no is None):
        raise PeopleError("a split is of one deal or one order")
    if shares and sum(shares.values()) != 1:
        raise PeopleError(f"the shares add up to {sum(shares.values())}, not 1")
    if any(s <= 0 or s > 1 for s in shares.values()):
        raise PeopleError("every share is more than 0 and at most 1")
    key = (
        DealSplit.opportunity_id == opportunity_id
        if opportunity_id
        else DealSplit.order_no == order_no
    )
    with engine.begin() as conn:
        known = set(conn.execute(select(Rep.id).where(Rep.id.in_(list(shares)))).scalars())
        if set(shares) - known:
            raise PeopleError(f"no sales rep with id {sorted(set(shares) - known)[0]}")
        conn.execute(delete(DealSplit).where(key))
        for rep_id, share in shares.items():
            conn.execute(
                insert(DealSplit).values(
                    opportunity_id=opportunity_id, order_no=order_no, rep_id=rep_id, share=share
                )
            )
        record(
            conn,
            actor,
            "deal.split",
            f"opportunity:{opportunity_id}" if opportunity_id else f"order:{order_no}",
            {"shares": {str(k): str(v) for k, v in shares.items()}},
        )


def summary(
    engine: Engine, scope: Scope, period: Period | None, today: dt.date
) -> list[StatementView]:
    """The statement of every rep in ``scope`` that a plan applies to (its first plan), for
    ``period`` or the plan's period containing it (None: containing ``today``) — what finance
    and a manager look over before closing.

    Set-based per batch (the reps of one plan and period): one read of the engine's records
    for the credits, one query per bonus KPI, one for the quotas, one for the closed
    statements, two for the clawbacks — never a query per rep. Numbers are those of
    :func:`statement` for each rep (tests/people/test_summary.py checks that)."""
    from salesops.targets.calendar import period_containing

    stmt = select(Rep.id, Rep.name).where(Rep.org_unit_id.is_not(None)).order_by(Rep.name, Rep.id)
    reps = visible_reps(scope)
    if reps is not None:
        stmt = stmt.where(Rep.id.in_(reps))
    with engine.connect() as conn:
        rep_rows = [(int(i), str(n)) for i, n in conn.execute(stmt)]
    plans = list_plans(engine)
    applying = plans_for_reps(engine, [r for r, _ in rep_rows], plans)
    groups: dict[tuple[str, Period], list[tuple[int, str]]] = {}
    by_code = {p.rules.code: p for p in plans}
    for rep_id, name in rep_rows:
        found = applying.get(rep_id)
        if not found:
            continue
        grain = found[0].rules.period
        if period is not None and period.grain == grain:
            chosen = period
        else:
            chosen = period_containing(period.end if period else today, grain)
        groups.setdefault((found[0].rules.code, chosen), []).append((rep_id, name))
    views: list[StatementView] = []
    for (code, chosen), members in groups.items():
        views += _batch(engine, by_code[code], chosen, members, scope)
    order = {rep_id: i for i, (rep_id, _) in enumerate(rep_rows)}
    return sorted(views, key=lambda v: order[v.rep_id])


def _batch(
    engine: Engine,
    plan: StoredPlan,
    period: Period,
    members: Sequence[tuple[int, str]],
    scope: Scope,
) -> list[StatementView]:
    """The statements of the reps of one plan for one period (see :func:`summary`)."""
    ids = [r for r, _ in members]
    credits = read_credits_many(engine, plan.rules, ids, period, scope)
    kpis = kpi_values_many(engine, plan.rules, ids, period, scope)
    views: list[StatementView] = []
    with engine.connect() as conn:
        closed_rows = {
            int(r.rep_id): r
            for r in conn.execute(
                select(CommissionStatement).where(
                    CommissionStatement.plan_id == plan.id,
                    CommissionStatement.period_start == period.start,
                    CommissionStatement.rep_id.in_(ids),
                )
            )
        }
        targets = rep_targets(conn, plan.rules.attainment_metric, ids, period)
        open_ids = [r for r in ids if r not in closed_rows]
        claws = (
            _clawbacks_many(conn, plan.id, open_ids, period)
            if plan.rules.clawback
            else {r: [] for r in open_ids}
        )
        for rep_id, name in members:
            if rep_id in closed_rows:
                views.append(
                    _stored_view(
                        conn, plan, rep_id, name, period, closed_rows[rep_id], (targets[rep_id],)
                    )
                )
                continue
            built = commission.build(
                credits[rep_id],
                plan.rules,
                targets[rep_id],
                kpi_values=kpis[rep_id],
                clawbacks=claws[rep_id],
            )
            views.append(StatementView(plan, rep_id, name, period, built))
    return views
