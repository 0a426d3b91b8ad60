"""Task rules: warnings and care plans that create follow-up tasks, idempotently.

Each rule finds what it warns about as of a day and names each warning with a key
(``source_ref``). :func:`run_rules` creates one task per key (the unique ``(source,
source_ref)`` pair), and none for a customer (or deal) that already has an open task of the
same rule — so a warning creates one task, not one per run, whichever scheduler calls it
(``salesops tasks run-rules``, the hourly ``task_rules`` job of :mod:`salesops.schedule`,
:func:`tick`). Rules run in full scope: they work for the whole company; the tasks then belong
to the customer's (or deal's) owner. One rule's run holds a lock (a PostgreSQL advisory lock
for the transaction, a process lock on DuckDB's one process), so two server processes whose
schedulers fire at once make one task per warning without either failing on the unique
``(source, source_ref)``.

Rules, their keys and defaults (settings in the ``task_rule`` table override them):

* ``churn_warning`` (visit) — a churn warning (:mod:`salesops.analysis.churn`); key
  ``customer:last order day``; no new task while one completed less than ``cooldown_days``
  ago;
* ``overdue_receivable`` (collection) — receivables overdue for more than ``grace_days``;
  key ``customer:oldest overdue due date``;
* ``detractor_feedback`` (call) — feedback with NPS <= 6 received in the last
  ``lookback_days``; key: the feedback id;
* ``stuck_deal`` (visit) — a deal stuck in its stage (:mod:`salesops.analysis.stuck`); key
  ``deal:stage:day entered``;
* ``care_after_first_order`` (care) — an after-sales visit ``delay_days`` after a customer's
  first order; key ``customer:first order day``;
* ``festival_greeting`` (care, off by default) — a greeting to tier-A customers in the
  ``lead_days`` before Spring Festival; key ``customer:year``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, or_, select, text, update

from salesops.auth.audit import Actor, record
from salesops.auth.secrets import utcnow
from salesops.config import local_today
from salesops.customers.tasks import insert_task
from salesops.db.derived import bump_data_version
from salesops.db.schema import Customer, Feedback, Opportunity, Payment, Task, TaskRule
from salesops.metrics.scope import FULL_SCOPE

#: 春节 (first day of the lunar year), for the greeting care plan.
SPRING_FESTIVAL = {
    2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3),
}


log = logging.getLogger(__name__)

#: The hourly scheduler job's name and cron line (board time zone).
JOB_NAME = "task_rules"
JOB_CRON = "0 * * * *"
#: pg_advisory_xact_lock key of a rule run ("TASKRULE" in ASCII, truncated to a bigint).
_LOCK_KEY = 0x5441534B52554C
_process_lock = threading.Lock()


class RuleError(ValueError):
    """An unknown rule or a bad setting: a 400 / exit 2."""


@dataclass(frozen=True)
class Raised:
    """One warning a rule found: who it is about and its key."""

    ref: str
    customer_id: int | None
    owner_rep_id: int | None
    title: str
    notes: str = ""
    opportunity_id: int | None = None


Finder = Callable[[Connection, Engine, dt.date, dict[str, Any]], list[Raised]]


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    due_days: int
    label_en: str
    label_zh: str
    find: Finder
    settings: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    #: one open task per customer (False: per deal)
    per_customer: bool = True


@dataclass(frozen=True)
class RuleRun:
    name: str
    enabled: bool
    found: int = 0
    created: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class RuleConfig:
    name: str
    enabled: bool
    due_days: int
    settings: dict[str, Any]
    label_en: str
    label_zh: str
    kind: str


# ------------------------------------------------------------------ finders


def _owners(conn: Connection, ids: Sequence[int]) -> dict[int, int | None]:
    if not ids:
        return {}
    out: dict[int, int | None] = {}
    for start in range(0, len(ids), 5000):
        chunk = list(ids[start : start + 5000])
        q = select(Customer.id, Customer.owner_id).where(Customer.id.in_(chunk))
        out.update({int(r.id): r.owner_id for r in conn.execute(q)})
    return out


def _churn(conn: Connection, engine: Engine, day: dt.date, s: dict[str, Any]) -> list[Raised]:
    from salesops.analysis.churn import churn_warnings

    result = churn_warnings(engine, FULL_SCOPE, as_of=day)
    owners = _owners(conn, [w.customer_id for w in result.warnings])
    out = []
    for w in result.warnings:
        why = "; ".join(
            f"{r.reason} " + ", ".join(f"{k}={v}" for k, v in r.params.items()) for r in w.reasons
        )
        out.append(
            Raised(
                ref=f"{w.customer_id}:{w.last_order_on.isoformat()}",
                customer_id=w.customer_id,
                owner_rep_id=owners.get(w.customer_id),
                title=f"Churn warning: {w.customer}",
                notes=why,
            )
        )
    return out


def churn_warning_ref(engine: Engine, customer_id: int, day: dt.date) -> str | None:
    """The key of the customer's churn warning as of ``day`` (what ``churn_warning`` tasks
    carry as ``source_ref``), or None when the customer is not warned."""
    from salesops.analysis.churn import churn_warnings

    with engine.connect() as conn:
        name = conn.execute(select(Customer.name).where(Customer.id == customer_id)).scalar()
    if name is None:
        return None
    result = churn_warnings(engine, FULL_SCOPE, {"customer": [name]}, as_of=day)
    for w in result.warnings:
        if w.customer_id == customer_id:
            return f"{w.customer_id}:{w.last_order_on.isoformat()}"
    return None


def _overdue(conn: Connection, engine: Engine, day: dt.date, s: dict[str, Any]) -> list[Raised]:
    grace = int(s.get("grace_days", 30))
    p = Payment
    paid = func.coalesce(p.paid_amount, 0)
    unpaid = or_(p.paid_date.is_(None), p.paid_date > day, paid < p.due_amount)
    q = (
        select(
            p.customer_id,
            func.min(p.due_date).label("oldest"),
            func.sum(p.due_amount - func.coalesce(p.paid_amount, 0)).label("amount"),
            func.count().label("n"),
        )
        .where(
            p.customer_id.is_not(None),
            p.due_amount > 0,
            p.due_date < day - dt.timedelta(days=grace),
            unpaid,
        )
        .group_by(p.customer_id)
    )
    rows = conn.execute(q).all()
    owners = _owners(conn, [int(r.customer_id) for r in rows])
    return [
        Raised(
            ref=f"{r.customer_id}:{r.oldest.isoformat()}",
            customer_id=int(r.customer_id),
            owner_rep_id=owners.get(int(r.customer_id)),
            title="Overdue receivable",
            notes=f"{int(r.n)} payments overdue since {r.oldest.isoformat()}, "
            f"outstanding about {float(r.amount or 0):,.2f}",
        )
        for r in rows
    ]


def _detractor(conn: Connection, engine: Engine, day: dt.date, s: dict[str, Any]) -> list[Raised]:
    lookback = int(s.get("lookback_days", 30))
    threshold = int(s.get("max_nps", 6))
    q = select(Feedback.id, Feedback.customer_id, Feedback.nps, Feedback.received_on).where(
        Feedback.customer_id.is_not(None),
        Feedback.nps <= threshold,
        Feedback.received_on.between(day - dt.timedelta(days=lookback - 1), day),
    )
    rows = conn.execute(q).all()
    owners = _owners(conn, [int(r.customer_id) for r in rows])
    return [
        Raised(
            ref=str(r.id),
            customer_id=int(r.customer_id),
            owner_rep_id=owners.get(int(r.customer_id)),
            title="Detractor feedback",
            notes=f"NPS {r.nps} on {r.received_on.isoformat()}",
        )
        for r in rows
    ]


def _stuck(conn: Connection, engine: Engine, day: dt.date, s: dict[str, Any]) -> list[Raised]:
    from salesops.analysis.stuck import stuck_deals

    result = stuck_deals(
        engine,
        FULL_SCOPE,
        as_of=day,
        pipeline=str(s.get("pipeline", "default")),
        factor=float(s.get("factor", 2.0)),
        fallback_days=int(s.get("fallback_days", 30)),
    )
    ids = [d.opportunity_id for d in result.rows]
    deals: dict[int, Any] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        q = select(Opportunity.id, Opportunity.customer_id, Opportunity.owner_id).where(
            Opportunity.id.in_(chunk)
        )
        deals.update({int(r.id): r for r in conn.execute(q)})
    out = []
    for d in result.rows:
        deal = deals.get(d.opportunity_id)
        entered = d.entered_at.date().isoformat() if d.entered_at else "?"
        out.append(
            Raised(
                ref=f"{d.opportunity_id}:{d.stage}:{entered}",
                customer_id=deal.customer_id if deal is not None else None,
                owner_rep_id=deal.owner_id if deal is not None else None,
                opportunity_id=d.opportunity_id,
                title=f"Deal stuck in {d.stage}: {d.opportunity or d.opportunity_id}",
                notes=f"{d.days_in_stage} days in stage (threshold {d.threshold_days:g})",
            )
        )
    return out


def _care(conn: Connection, engine: Engine, day: dt.date, s: dict[str, Any]) -> list[Raised]:
    delay = int(s.get("delay_days", 30))
    catch_up = int(s.get("catch_up_days", 7))
    target = day - dt.timedelta(days=delay)
    q = select(Customer.id, Customer.owner_id, Customer.first_order_on).where(
        Customer.first_order_on.between(target - dt.timedelta(days=catch_up), target)
    )
    return [
        Raised(
            ref=f"{r.id}:{r.first_order_on.isoformat()}",
            customer_id=int(r.id),
            owner_rep_id=r.owner_id,
            title="After-sales care visit",
            notes=f"first order on {r.first_order_on.isoformat()}",
        )
        for r in conn.execute(q)
    ]


def _festival(conn: Connection, engine: Engine, day: dt.date, s: dict[str, Any]) -> list[Raised]:
    from salesops.analysis.tiers import value_tiers

    lead = int(s.get("lead_days", 14))
    festival = SPRING_FESTIVAL.get(day.year)
    if festival is None or not festival - dt.timedelta(days=lead) <= day <= festival:
        return []
    tiers = {t.strip() for t in str(s.get("tiers", "A")).split(",") if t.strip()}
    result = value_tiers(engine, FULL_SCOPE, as_of=day)
    rows = [r for r in result.rows if r.tier in tiers]
    owners = _owners(conn, [r.customer_id for r in rows])
    return [
        Raised(
            ref=f"{r.customer_id}:{festival.year}",
            customer_id=r.customer_id,
            owner_rep_id=owners.get(r.customer_id),
            title="Spring Festival greeting",
            notes=f"tier {r.tier}; Spring Festival {festival.isoformat()}",
        )
        for r in rows
    ]


RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule(
            "churn_warning", "visit", 7, "Churn warning", "流失预警", _churn, {"cooldown_days": 90}
        ),
        Rule(
            "overdue_receivable",
            "collection",
            7,
            "Overdue receivable",
            "逾期应收",
            _overdue,
            {"grace_days": 30},
        ),
        Rule(
            "detractor_feedback",
            "call",
            3,
            "Detractor feedback",
            "贬损者反馈",
            _detractor,
            {"lookback_days": 30, "max_nps": 6},
        ),
        Rule(
            "stuck_deal",
            "visit",
            7,
            "Deal stuck in stage",
            "商机停滞",
            _stuck,
            {"factor": 2.0, "fallback_days": 30, "pipeline": "default"},
            per_customer=False,
        ),
        Rule(
            "care_after_first_order",
            "care",
            3,
            "After-sales care visit",
            "售后回访",
            _care,
            {"delay_days": 30, "catch_up_days": 7},
        ),
        Rule(
            "festival_greeting",
            "care",
            0,
            "Spring Festival greeting",
            "春节问候",
            _festival,
            {"lead_days": 14, "tiers": "A"},
            enabled=False,
        ),
    )
}


def _rule(name: str) -> Rule:
    try:
        return RULES[name]
    except KeyError:
        raise RuleError(f"unknown rule {name!r}; one of: {', '.join(RULES)}") from None


def rule_configs(conn: Connection) -> list[RuleConfig]:
    """Every rule with its settings as in force (defaults overridden by ``task_rule``)."""
    stored = {r.name: r for r in conn.execute(select(TaskRule))}
    out = []
    for rule in RULES.values():
        row = stored.get(rule.name)
        settings = dict(rule.settings)
        if row is not None and row.settings:
            settings.update(json.loads(row.settings))
        out.append(
            RuleConfig(
                name=rule.name,
                enabled=row.enabled if row is not None else rule.enabled,
                due_days=row.due_days
                if row is not None and row.due_days is not None
                else rule.due_days,
                settings=settings,
                label_en=rule.label_en,
                label_zh=rule.label_zh,
                kind=rule.kind,
            )
        )
    return out


def configure_rule(
    engine: Engine,
    actor: Actor,
    name: str,
    *,
    enabled: bool | None = None,
    due_days: int | None = None,
    settings: dict[str, Any] | None = None,
) -> RuleConfig:
    """Change a rule's settings (audited as ``task_rule.change``)."""
    rule = _rule(name)
    typed: dict[str, Any] = {}
    for key, value in (settings or {}).items():
        if key not in rule.settings:
            known = ", ".join(rule.settings)
            raise RuleError(f"rule {name} has no setting {key!r}; it has: {known}")
        default = rule.settings[key]
        try:
            typed[key] = type(default)(value)
        except (TypeError, ValueError):
            kind = type(default).__name__
            raise RuleError(f"setting {key} of {name} must be a {kind}") from None
    if due_days is not None and not 0 <= due_days <= 365:
        raise RuleError("due days must be between 0 and 365")
    with engine.begin() as conn:
        current = conn.execute(select(TaskRule).where(TaskRule.name == name)).first()
        merged: dict[str, Any] = {}
        if current is not None and current.settings:
            merged.update(json.loads(current.settings))
        merged.update(typed)
        values = {
            "enabled": enabled
            if enabled is not None
            else (current.enabled if current else rule.enabled),
            "due_days": due_days
            if due_days is not None
            else (current.due_days if current else None),
            "settings": json.dumps(merged) if merged else None,
            "changed_at": utcnow(),
            "changed_by": actor.name[:100],
        }
        if current is None:
            conn.execute(insert(TaskRule).values(name=name, **values))
        else:
            conn.execute(update(TaskRule).where(TaskRule.name == name).values(**values))
        record(conn, actor, "task_rule.change", f"task_rule:{name}", values)
        return next(c for c in rule_configs(conn) if c.name == name)


def run_rules(
    engine: Engine,
    *,
    as_of: dt.date | None = None,
    names: Sequence[str] | None = None,
    actor: Actor | None = None,
) -> list[RuleRun]:
    """Run the enabled rules (or ``names``, enabled or not) as of ``as_of`` (default today)
    and create the tasks their new warnings call for; safe to run as often as one likes."""
    day = as_of or local_today()
    who = actor or Actor("rules")
    wanted = [_rule(n).name for n in names] if names else list(RULES)
    runs: list[RuleRun] = []
    with engine.connect() as conn:
        configs = {c.name: c for c in rule_configs(conn)}
    for name in wanted:
        cfg = configs[name]
        if not names and not cfg.enabled:
            runs.append(RuleRun(name, False))
            continue
        runs.append(_run_one(engine, RULES[name], cfg, day, who))
    return runs


def tick(engine: Engine, *, as_of: dt.date | None = None) -> list[RuleRun]:
    """The scheduler's hourly job (``task_rules``): every enabled rule as of today, each on
    its own, so one failing rule is logged and the others still run. Idempotent: a warning
    that has its task already makes none (run twice, one task)."""
    day = as_of or local_today()
    who = Actor(f"scheduler:{JOB_NAME}")
    with engine.connect() as conn:
        configs = [c for c in rule_configs(conn) if c.enabled]
    runs: list[RuleRun] = []
    for cfg in configs:
        try:
            runs.append(_run_one(engine, RULES[cfg.name], cfg, day, who))
        except Exception:  # one broken rule must not stop the others
            log.exception("task rule %s failed", cfg.name)
    created = {r.name: r.created for r in runs if r.created}
    if created:
        log.info("task rules as of %s created %s", day, created)
    return runs


def _run_one(engine: Engine, rule: Rule, cfg: RuleConfig, day: dt.date, who: Actor) -> RuleRun:
    if engine.dialect.name == "postgresql":
        return _run_locked(engine, rule, cfg, day, who)
    with _process_lock:  # DuckDB: one writing process; its threads take turns
        return _run_locked(engine, rule, cfg, day, who)


def _run_locked(engine: Engine, rule: Rule, cfg: RuleConfig, day: dt.date, who: Actor) -> RuleRun:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Held to the commit: a second process waits, then reads the tasks this one made.
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        raised = rule.find(conn, engine, day, cfg.settings)
        known = set(conn.execute(select(Task.source_ref).where(Task.source == rule.name)).scalars())
        holder = Task.customer_id if rule.per_customer else Task.opportunity_id
        busy_cond = [Task.source == rule.name, holder.is_not(None)]
        cooldown = int(cfg.settings.get("cooldown_days", 0))
        busy_cond.append(
            or_(
                Task.status == "open",
                and_(
                    Task.status == "done",
                    Task.done_on > day - dt.timedelta(days=cooldown),
                )
                if cooldown
                else Task.status == "open",
            )
        )
        busy = set(conn.execute(select(holder).where(*busy_cond)).scalars())
        created = skipped = 0
        for w in raised:
            key = w.customer_id if rule.per_customer else w.opportunity_id
            if w.ref in known or (key is not None and key in busy):
                skipped += 1
                continue
            insert_task(
                conn,
                kind=rule.kind,
                source=rule.name,
                source_ref=w.ref,
                created_by=who.name,
                customer_id=w.customer_id,
                opportunity_id=w.opportunity_id,
                owner_rep_id=w.owner_rep_id,
                title=w.title,
                notes=w.notes,
                due_on=day + dt.timedelta(days=cfg.due_days),
                today=day,
            )
            known.add(w.ref)
            if key is not None:
                busy.add(key)
            created += 1
        if created:
            record(
                conn,
                who,
                "task.rule_run",
                f"task_rule:{rule.name}",
                {"as_of": day.isoformat(), "found": len(raised), "created": created},
            )
            bump_data_version(conn)
    return RuleRun(rule.name, True, len(raised), created, skipped)
