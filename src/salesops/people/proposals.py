"""Targets the team takes part in: a rep (for themselves) or a team lead (for their team)
proposes next period's target; a manager accepts it or adjusts it with a comment, which sets
the target through the targets service. The proposal keeps who proposed what and who decided,
and points at the target it became, so the target tree can show it.

A proposal is for a period that is not over yet; the one who proposed cannot decide it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Engine, insert, or_, select, update

from salesops.auth.audit import Actor, record
from salesops.auth.secrets import utcnow
from salesops.db.schema import OrgUnit, Rep, TargetProposal
from salesops.metrics.scope import FULL_SCOPE, Scope, subtree_units, visible_reps
from salesops.people.statements import NotVisible, PeopleError
from salesops.targets.calendar import Period
from salesops.targets.kpis import metric_info
from salesops.targets.org import TargetScope
from salesops.targets.service import TargetError, parse_value, set_target

Decision = Literal["accept", "adjust", "reject"]


@dataclass(frozen=True)
class Proposal:
    id: int
    metric: str
    period: Period
    scope_kind: str
    rep_id: int | None
    org_unit_id: int | None
    scope_name: str
    value: Decimal
    comment: str | None
    proposed_by: str
    proposed_at: dt.datetime
    status: str
    decided_value: Decimal | None
    decision_comment: str | None
    decided_by: str | None
    target_id: int | None
    channel: str | None = None  # a channel's part of the rep's or team's target

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "metric": self.metric,
            "period": self.period.label(),
            "scope_kind": self.scope_kind,
            "rep_id": self.rep_id,
            "org_unit_id": self.org_unit_id,
            "scope": f"{self.scope_name} · {self.channel}" if self.channel else self.scope_name,
            "channel": self.channel,
            "value": self.value,
            "comment": self.comment,
            "proposed_by": self.proposed_by,
            "proposed_at": self.proposed_at.isoformat(),
            "status": self.status,
            "decided_value": self.decided_value,
            "decision_comment": self.decision_comment,
            "decided_by": self.decided_by,
            "target_id": self.target_id,
        }


def _visible(scope: Scope) -> Any:
    """The condition that keeps proposals the scope may see."""
    if scope.is_full:
        return None
    reps = visible_reps(scope)
    cond = TargetProposal.rep_id.in_(reps if reps is not None else [])
    if scope.kind == "org_unit" and scope.org_unit_id is not None:
        return or_(cond, TargetProposal.org_unit_id.in_(subtree_units(scope.org_unit_id)))
    return cond


def _who(actor: Actor | str) -> str:
    return actor.name if isinstance(actor, Actor) else actor


def propose(
    engine: Engine,
    metric: str,
    period: Period,
    value: object,
    actor: Actor | str,
    *,
    rep_id: int | None = None,
    org_unit_id: int | None = None,
    comment: str | None = None,
    scope: Scope = FULL_SCOPE,
    today: dt.date | None = None,
    channel: str | None = None,
) -> int:
    """Record a proposal for a rep or a team in ``scope`` (with ``channel``: for that sales
    channel's part of their target); audited."""
    channel = (channel or "").strip() or None
    if channel is not None and len(channel) > 100:
        raise PeopleError("a channel name is at most 100 characters")
    try:
        info = metric_info(metric)
        number = parse_value(value)
    except (TargetError, ValueError) as exc:
        raise PeopleError(str(exc)) from exc
    if info.additive and number < 0:
        raise PeopleError("a proposed target cannot be negative")
    if (rep_id is None) == (org_unit_id is None):
        raise PeopleError("a proposal is for one rep or one team")
    if period.end < (today or dt.date.today()):
        raise PeopleError(f"{period.label()} is over: propose for a period to come")
    with engine.begin() as conn:
        if rep_id is not None:
            stmt = select(Rep.name).where(Rep.id == rep_id)
            reps = visible_reps(scope)
            if reps is not None:
                stmt = stmt.where(Rep.id.in_(reps))
        else:
            stmt = select(OrgUnit.name).where(OrgUnit.id == org_unit_id)
            if scope.kind == "rep":
                stmt = stmt.where(OrgUnit.id == -1)
            elif scope.kind == "org_unit" and scope.org_unit_id is not None:
                stmt = stmt.where(OrgUnit.id.in_(subtree_units(scope.org_unit_id)))
        name = conn.execute(stmt).scalar()
        if name is None:
            raise NotVisible("no such rep or team in your scope")
        proposal_id = int(
            conn.execute(
                insert(TargetProposal)
                .values(
                    metric=metric,
                    period_grain=period.grain,
                    period_start=period.start,
                    scope_kind="rep" if rep_id is not None else "org_unit",
                    rep_id=rep_id,
                    org_unit_id=org_unit_id,
                    channel=channel,
                    value=number,
                    comment=comment or None,
                    proposed_by=_who(actor),
                    proposed_at=utcnow(),
                    status="open",
                )
                .returning(TargetProposal.id)
            ).scalar_one()
        )
        record(
            conn,
            actor,
            "target.propose",
            f"proposal:{proposal_id}",
            {
                "metric": metric,
                "period": period.label(),
                "for": name,
                "channel": channel,
                "value": number,
            },
        )
    return proposal_id


def decide(
    engine: Engine,
    proposal_id: int,
    decision: Decision,
    actor: Actor | str,
    *,
    value: object = None,
    comment: str | None = None,
    scope: Scope = FULL_SCOPE,
) -> Proposal:
    """Accept (the proposed value), adjust (another value, with a comment) or reject (with a
    comment). Accepting or adjusting sets the target (audited there as a target change)."""
    found = [p for p in list_proposals(engine, scope, ids=[proposal_id])]
    if not found:
        raise NotVisible(f"no proposal {proposal_id}")
    p = found[0]
    if p.status != "open":
        raise PeopleError(f"proposal {proposal_id} was already decided ({p.status})")
    if p.proposed_by == _who(actor):
        raise PeopleError("a proposal is decided by someone other than who proposed it")
    comment = (comment or "").strip() or None
    if decision in ("adjust", "reject") and not comment:
        raise PeopleError(f"say why when you {decision} a proposal (comment)")
    final: Decimal | None
    if decision == "accept":
        final = p.value
    elif decision == "adjust":
        try:
            final = parse_value(value)
        except TargetError as exc:
            raise PeopleError(str(exc)) from exc
    elif decision == "reject":
        final = None
    else:
        raise PeopleError(f"unknown decision {decision!r}")
    target_id = None
    if final is not None:
        target_scope = (
            TargetScope("rep", rep_id=p.rep_id)
            if p.scope_kind == "rep"
            else TargetScope("org_unit", org_unit_id=p.org_unit_id)
        ).with_channel(p.channel)
        try:
            result = set_target(
                engine, p.metric, p.period, target_scope, final, actor=actor, data_scope=scope
            )
        except TargetError as exc:
            raise PeopleError(str(exc)) from exc
        target_id = result.target.id
    status = {"accept": "accepted", "adjust": "adjusted", "reject": "rejected"}[decision]
    with engine.begin() as conn:
        conn.execute(
            update(TargetProposal)
            .where(TargetProposal.id == proposal_id, TargetProposal.status == "open")
            .values(
                status=status,
                decided_value=final,
                decision_comment=comment,
                decided_by=_who(actor),
                decided_at=utcnow(),
                target_id=target_id,
            )
        )
        record(
            conn,
            actor,
            "target.proposal.decide",
            f"proposal:{proposal_id}",
            {"decision": status, "proposed": p.value, "value": final, "target": target_id},
        )
    return list_proposals(engine, FULL_SCOPE, ids=[proposal_id])[0]


def list_proposals(
    engine: Engine,
    scope: Scope = FULL_SCOPE,
    *,
    ids: list[int] | None = None,
    status: str | None = None,
    target_ids: list[int] | None = None,
    limit: int = 200,
) -> list[Proposal]:
    """Proposals visible in ``scope``, newest first."""
    stmt = (
        select(
            *TargetProposal.__table__.c,
            Rep.name.label("rep_name"),
            OrgUnit.name.label("unit_name"),
        )
        .outerjoin(Rep, Rep.id == TargetProposal.rep_id)
        .outerjoin(OrgUnit, OrgUnit.id == TargetProposal.org_unit_id)
        .order_by(TargetProposal.id.desc())
        .limit(limit)
    )
    cond = _visible(scope)
    if cond is not None:
        stmt = stmt.where(cond)
    if ids is not None:
        stmt = stmt.where(TargetProposal.id.in_(ids))
    if status:
        stmt = stmt.where(TargetProposal.status == status)
    if target_ids is not None:
        stmt = stmt.where(TargetProposal.target_id.in_(target_ids))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    out = []
    for r in rows:
        t = r
        out.append(
            Proposal(
                id=int(t.id),
                metric=t.metric,
                period=Period(t.period_start, t.period_grain),
                scope_kind=t.scope_kind,
                rep_id=t.rep_id,
                org_unit_id=t.org_unit_id,
                scope_name=r.rep_name if t.scope_kind == "rep" else r.unit_name,
                value=Decimal(t.value),
                comment=t.comment,
                proposed_by=t.proposed_by,
                proposed_at=t.proposed_at,
                status=t.status,
                decided_value=None if t.decided_value is None else Decimal(t.decided_value),
                decision_comment=t.decision_comment,
                decided_by=t.decided_by,
                target_id=t.target_id,
                channel=t.channel,
            )
        )
    return out
