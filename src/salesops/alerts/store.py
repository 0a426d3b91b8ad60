"""Rules, alerts and the outbox in the database: the only writer of the alert tables.

* Rules are saved by name (YAML import updates a rule of the same name), every change audited.
* :func:`store_findings` keeps what a rule found, in the caller's transaction: one alert per
  (rule, scope, period, subject) — the unique ``dedup_key`` — and, for item rules, only items
  not alerted on before (``alert_item_seen``); with each new alert, one outbox row per
  subscriber channel whose scope covers the alert (a rep's channel never gets another rep's
  items, a manager's gets their subtree's).
* Visibility: an alert carries the scope its numbers were computed in (item alerts: the rep
  whose deals or customers they are); :func:`visible` is the one condition every list uses.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    true,
    update,
)

from salesops.alerts.evaluate import Finding
from salesops.alerts.rules import ITEM_KINDS, SEVERITIES, RuleError, RuleSpec, ScopeSpec
from salesops.alerts.words import describe, scope_words
from salesops.auth.audit import Actor, record
from salesops.auth.roles import ScopeSource, scope_for
from salesops.auth.secrets import utcnow
from salesops.db.schema import (
    Alert,
    AlertChannel,
    AlertDelivery,
    AlertItemSeen,
    AlertRule,
    AlertSubscription,
    AppUser,
    OrgUnit,
    Rep,
)
from salesops.metrics.scope import Scope, subtree_units, visible_reps


class NotFound(LookupError):
    """No such rule, alert or channel (or not visible to the caller)."""


# ---------------------------------------------------------------------------- scopes


def resolve_scope(conn: Connection, spec: ScopeSpec) -> tuple[str, int | None, int | None]:
    """(scope_kind, org_unit_id, rep_id) of a rule's scope given by external id or name."""
    if spec.org_unit:
        row = conn.execute(
            select(OrgUnit.id).where(
                or_(OrgUnit.external_id == spec.org_unit, OrgUnit.name == spec.org_unit)
            )
        ).first()
        if row is None:
            raise RuleError(f"scope: no org unit {spec.org_unit!r}")
        return "org_unit", int(row[0]), None
    if spec.rep:
        row = conn.execute(
            select(Rep.id).where(or_(Rep.external_id == spec.rep, Rep.name == spec.rep))
        ).first()
        if row is None:
            raise RuleError(f"scope: no rep {spec.rep!r}")
        return "rep", None, int(row[0])
    return "all", None, None


def scope_spec(conn: Connection, row: Any) -> ScopeSpec:
    if row.scope_kind == "org_unit":
        ext = conn.execute(select(OrgUnit.external_id).where(OrgUnit.id == row.org_unit_id))
        return ScopeSpec(org_unit=ext.scalar())
    if row.scope_kind == "rep":
        ext = conn.execute(select(Rep.external_id).where(Rep.id == row.rep_id))
        return ScopeSpec(rep=ext.scalar())
    return ScopeSpec()


def as_scope(kind: str, org_unit_id: int | None, rep_id: int | None) -> Scope:
    if kind == "org_unit" and org_unit_id:
        return Scope.subtree(org_unit_id)
    if kind == "rep" and rep_id:
        return Scope.single_rep(rep_id)
    return Scope.everything()


def scope_name(conn: Connection, kind: str, org_unit_id: int | None, rep_id: int | None) -> str:
    if kind == "org_unit":
        return str(conn.execute(select(OrgUnit.name).where(OrgUnit.id == org_unit_id)).scalar())
    if kind == "rep":
        return str(conn.execute(select(Rep.name).where(Rep.id == rep_id)).scalar())
    return ""


def visible(scope: Scope) -> ColumnElement[bool]:
    """Alerts whose numbers lie inside ``scope`` (the caller's or a subscriber's)."""
    if scope.is_full:
        return true()
    if scope.kind == "rep":
        return and_(Alert.scope_kind == "rep", Alert.rep_id == scope.rep_id)
    reps = visible_reps(scope)
    assert reps is not None and scope.org_unit_id is not None
    return or_(
        and_(Alert.scope_kind == "rep", Alert.rep_id.in_(reps)),
        and_(
            Alert.scope_kind == "org_unit", Alert.org_unit_id.in_(subtree_units(scope.org_unit_id))
        ),
    )


def covers(conn: Connection, scope: Scope, alert_id: int) -> bool:
    found = conn.execute(select(Alert.id).where(Alert.id == alert_id, visible(scope))).first()
    return found is not None


# ---------------------------------------------------------------------------- rules


def save_rules(engine: Engine, specs: list[RuleSpec], actor: Actor) -> dict[str, int]:
    """Create or update rules by name, in one transaction; counts of created/updated."""
    counts = {"created": 0, "updated": 0}
    now = utcnow()
    with engine.begin() as conn:
        known = set(conn.execute(select(AlertChannel.name)).scalars())
        for spec in specs:
            kind, org, rep = resolve_scope(conn, spec.scope)
            missing = [c for c in spec.channels if c not in known]
            if missing:
                raise RuleError(f"rule {spec.name!r}: channels: no channel {missing[0]!r}")
            values = {
                "kind": spec.kind,
                "config": json.dumps(spec.config(), ensure_ascii=False, sort_keys=True),
                "severity": spec.severity,
                "scope_kind": kind,
                "org_unit_id": org,
                "rep_id": rep,
                "schedule": spec.schedule.strip(),
                "quiet_hours": spec.quiet_hours,
                "enabled": spec.enabled,
                "updated_at": now,
            }
            existing = conn.execute(select(AlertRule.id).where(AlertRule.name == spec.name)).first()
            if existing is None:
                conn.execute(
                    insert(AlertRule).values(
                        name=spec.name, created_at=now, created_by=actor.name, **values
                    )
                )
                counts["created"] += 1
                action = "alert_rule.create"
            else:
                conn.execute(update(AlertRule).where(AlertRule.id == existing[0]).values(**values))
                counts["updated"] += 1
                action = "alert_rule.update"
            record(conn, actor, action, spec.name, {"kind": spec.kind, "scope": kind})
    return counts


def delete_rule(engine: Engine, name: str, actor: Actor) -> None:
    """Disable-and-keep would leave clutter; a rule with alerts is disabled, else deleted."""
    with engine.begin() as conn:
        row = conn.execute(select(AlertRule.id).where(AlertRule.name == name)).first()
        if row is None:
            raise NotFound(f"no alert rule {name!r}")
        used = conn.execute(select(func.count()).where(Alert.rule_id == row[0])).scalar_one()
        if used:
            conn.execute(update(AlertRule).where(AlertRule.id == row[0]).values(enabled=False))
        else:
            conn.execute(delete(AlertItemSeen).where(AlertItemSeen.rule_id == row[0]))
            conn.execute(delete(AlertRule).where(AlertRule.id == row[0]))
        record(conn, actor, "alert_rule.delete", name, {"had_alerts": int(used)})


@dataclass(frozen=True)
class StoredRule:
    id: int
    spec: RuleSpec
    scope: Scope
    scope_kind: str
    org_unit_id: int | None
    rep_id: int | None
    last_due_at: dt.datetime | None
    words: dict[str, str]


def list_rules(engine: Engine, *, enabled_only: bool = False) -> list[StoredRule]:
    q = select(AlertRule).order_by(AlertRule.name)
    if enabled_only:
        q = q.where(AlertRule.enabled.is_(True))
    out = []
    with engine.connect() as conn:
        for row in conn.execute(q).all():
            spec = _spec(conn, row)
            out.append(
                StoredRule(
                    id=row.id,
                    spec=spec,
                    scope=as_scope(row.scope_kind, row.org_unit_id, row.rep_id),
                    scope_kind=row.scope_kind,
                    org_unit_id=row.org_unit_id,
                    rep_id=row.rep_id,
                    last_due_at=row.last_due_at,
                    words=describe(spec),
                )
            )
    return out


def _spec(conn: Connection, row: Any) -> RuleSpec:
    from salesops.alerts.rules import spec_from_row

    return spec_from_row(row, scope_spec(conn, row))


def get_rule(engine: Engine, name: str) -> StoredRule:
    for rule in list_rules(engine):
        if rule.spec.name == name:
            return rule
    raise NotFound(f"no alert rule {name!r}")


# ---------------------------------------------------------------------------- findings


def dedup_key(rule: StoredRule, f: Finding) -> str:
    scope = f"{rule.scope_kind}:{rule.org_unit_id or ''}:{rule.rep_id or ''}"
    return f"{rule.id}|{scope}|{f.period.label}|{f.subject}"[:400]


def store_findings(
    conn: Connection, rule: StoredRule, findings: list[Finding], now: dt.datetime
) -> list[int]:
    """Keep new findings as alerts with their outbox rows; the ids of the new alerts."""
    spec = rule.spec
    name = scope_name(conn, rule.scope_kind, rule.org_unit_id, rule.rep_id)
    new_ids: list[int] = []
    for f in findings:
        key = dedup_key(rule, f)
        if conn.execute(select(Alert.id).where(Alert.dedup_key == key)).first() is not None:
            continue
        if spec.kind in ITEM_KINDS:
            seen = set(
                conn.execute(
                    select(AlertItemSeen.item_key).where(
                        AlertItemSeen.rule_id == rule.id,
                        AlertItemSeen.item_key.in_([it["key"] for it in f.items]),
                    )
                ).scalars()
            )
            f.items = [it for it in f.items if it["key"] not in seen]
            if not f.items:
                continue
            f.value = float(len(f.items))
            f.info["items_count"] = len(f.items)
            f.info["amount"] = sum(float(it.get("amount") or 0) for it in f.items)
        kind, org, rep = rule.scope_kind, rule.org_unit_id, rule.rep_id
        if spec.kind in ITEM_KINDS and f.rep_id is not None:
            kind, org, rep = "rep", None, f.rep_id
        elif spec.kind in ITEM_KINDS and f.org_unit_id is not None:
            kind, org, rep = "org_unit", f.org_unit_id, None
        explanation = f.explanation(spec)
        keys = [it["key"] for it in f.items]
        explanation["items"] = f.items[: spec.limit]
        explanation["items_more"] = max(len(f.items) - spec.limit, 0)
        explanation["rule"] = {"name": spec.name, "kind": spec.kind, **describe(spec)}
        explanation["scope"] = scope_words(rule.scope_kind, name)
        if kind != rule.scope_kind and f.info.get("group"):  # one team's or one rep's items
            explanation["scope"] = scope_words(kind, str(f.info["group"]))
        explanation["severity"] = spec.severity
        alert_id = conn.execute(
            insert(Alert)
            .values(
                rule_id=rule.id,
                dedup_key=key,
                period=f.period.label,
                subject=f.subject[:300] or None,
                severity=spec.severity,
                scope_kind=kind,
                org_unit_id=org,
                rep_id=rep,
                value=f.value,
                baseline=f.baseline,
                explanation=json.dumps(explanation, ensure_ascii=False, default=str),
                link=f.link[:1000],
                fired_at=now,
                status="active",
            )
            .returning(Alert.id)
        ).scalar_one()
        if keys:  # one statement for all of them (thousands on a first run)
            conn.execute(
                insert(AlertItemSeen),
                [{"rule_id": rule.id, "item_key": k, "alert_id": alert_id} for k in keys],
            )
        enqueue(conn, int(alert_id), spec.severity, now, channels=spec.channels)
        new_ids.append(int(alert_id))
    return new_ids


# ---------------------------------------------------------------------------- outbox


def _subscriber_scopes(conn: Connection, sub: Any) -> list[tuple[Scope, str | None, str | None]]:
    """(scope, e-mail, locale) of each person or group a subscription stands for."""
    if sub.subscriber_kind == "all":
        return [(Scope.everything(), None, None)]
    if sub.subscriber_kind == "org_unit":
        return [(Scope.subtree(sub.org_unit_id), None, None)]
    q = select(AppUser).where(AppUser.active.is_(True))
    q = (
        q.where(AppUser.id == sub.user_id)
        if sub.subscriber_kind == "user"
        else q.where(AppUser.role == sub.role)
    )
    out = []
    for u in conn.execute(q).all():
        scope = scope_for(ScopeSource(role=u.role, rep_id=u.rep_id, org_unit_id=u.org_unit_id))
        out.append((scope, u.email, u.locale))
    return out


def enqueue(
    conn: Connection,
    alert_id: int,
    severity: str,
    now: dt.datetime,
    *,
    channels: list[str] | None = None,
) -> int:
    """One outbox row per channel (and e-mail recipient) that may receive the alert; a rule
    that names its ``channels`` sends only to those (still only to subscribers whose scope
    covers the alert)."""
    from salesops.config import get_settings

    rank = SEVERITIES.index(severity)
    subs = conn.execute(
        select(AlertSubscription, AlertChannel.kind, AlertChannel.settings)
        .join(AlertChannel, AlertChannel.id == AlertSubscription.channel_id)
        .where(AlertChannel.enabled.is_(True))
        .where(AlertChannel.name.in_(channels) if channels else true())
    ).all()
    made = 0
    for sub in subs:
        if SEVERITIES.index(sub.min_severity) > rank:
            continue
        settings = json.loads(sub.settings or "{}")
        people = _subscriber_scopes(conn, sub)
        targets: list[tuple[str | None, str | None]]
        if sub.kind == "email" and sub.subscriber_kind in ("user", "role"):
            targets = [
                (email, loc)
                for scope, email, loc in people
                if email and covers(conn, scope, alert_id)
            ]
        elif people and all(covers(conn, scope, alert_id) for scope, _, _ in people):
            targets = [(None, None)]
        else:
            targets = []
        for recipient, locale in targets:
            key = f"{alert_id}:{sub.channel_id}:{recipient or ''}"
            if conn.execute(select(AlertDelivery.id).where(AlertDelivery.dedup_key == key)).first():
                continue
            conn.execute(
                insert(AlertDelivery).values(
                    dedup_key=key,
                    alert_id=alert_id,
                    channel_id=sub.channel_id,
                    recipient=recipient,
                    locale=locale or settings.get("locale") or get_settings().locale,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            made += 1
    return made


# ---------------------------------------------------------------------------- reading, acting


def alert_rows(
    engine: Engine,
    scope: Scope,
    *,
    state: str = "active",
    severity: str | None = None,
    rule: str | None = None,
    limit: int = 200,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Alerts visible in ``scope``: ``active`` (not acknowledged, not snoozed), ``snoozed``,
    ``acknowledged`` or ``all`` (history), newest first."""
    now = now or utcnow()
    q = (
        select(Alert, AlertRule.name.label("rule_name"))
        .join(AlertRule, AlertRule.id == Alert.rule_id)
        .where(visible(scope))
        .order_by(Alert.fired_at.desc(), Alert.id.desc())
        .limit(max(1, min(limit, 1000)))
    )
    q = q.where(_state(state, now))
    if severity:
        q = q.where(Alert.severity == severity)
    if rule:
        q = q.where(AlertRule.name == rule)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
        ids = [r.id for r in rows]
        deliveries: dict[int, list[dict[str, Any]]] = {}
        if ids:
            for d in conn.execute(
                select(AlertDelivery, AlertChannel.name.label("channel"), AlertChannel.kind)
                .join(AlertChannel, AlertChannel.id == AlertDelivery.channel_id)
                .where(AlertDelivery.alert_id.in_(ids))
            ).all():
                deliveries.setdefault(d.alert_id, []).append(
                    {
                        "id": d.id,
                        "channel": d.channel,
                        "kind": d.kind,
                        "status": d.status,
                        "attempts": d.attempts,
                        "response_code": d.response_code,
                        "sent_at": d.sent_at.isoformat() if d.sent_at else None,
                    }
                )
    return [
        {
            "id": r.id,
            "rule": r.rule_name,
            "severity": r.severity,
            "period": r.period,
            "subject": r.subject,
            "value": r.value,
            "baseline": r.baseline,
            "status": r.status,
            "snoozed_until": r.snoozed_until.isoformat() if r.snoozed_until else None,
            "acknowledged_by": r.acknowledged_by,
            "fired_at": r.fired_at.isoformat(),
            "link": r.link,
            "explanation": json.loads(r.explanation),
            "deliveries": deliveries.get(r.id, []),
        }
        for r in rows
    ]


def _state(state: str, now: dt.datetime) -> ColumnElement[bool]:
    awake = or_(Alert.snoozed_until.is_(None), Alert.snoozed_until <= now)
    if state == "active":
        return and_(Alert.status == "active", awake)
    if state == "snoozed":
        return and_(Alert.status == "active", ~awake)
    if state == "acknowledged":
        return Alert.status == "acknowledged"
    if state == "all":
        return true()
    return false()


def count_active(engine: Engine, scope: Scope) -> int:
    now = utcnow()
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(Alert).where(visible(scope), _state("active", now))
            ).scalar_one()
        )


def acknowledge(engine: Engine, alert_id: int, scope: Scope, actor: Actor) -> None:
    with engine.begin() as conn:
        if not covers(conn, scope, alert_id):
            raise NotFound(f"no alert {alert_id}")
        conn.execute(
            update(Alert)
            .where(Alert.id == alert_id)
            .values(status="acknowledged", acknowledged_by=actor.name, acknowledged_at=utcnow())
        )
        record(conn, actor, "alert.acknowledge", str(alert_id))


def snooze(engine: Engine, alert_id: int, hours: int, scope: Scope, actor: Actor) -> dt.datetime:
    if not 1 <= hours <= 24 * 30:
        raise ValueError("snooze for 1 hour to 30 days")
    until = utcnow() + dt.timedelta(hours=hours)
    with engine.begin() as conn:
        if not covers(conn, scope, alert_id):
            raise NotFound(f"no alert {alert_id}")
        conn.execute(update(Alert).where(Alert.id == alert_id).values(snoozed_until=until))
        record(conn, actor, "alert.snooze", str(alert_id), {"hours": hours})
    return until
