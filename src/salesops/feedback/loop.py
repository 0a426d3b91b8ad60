"""The closed feedback loop (反馈闭环): new → assigned → resolved → informed.

One service for the API, the board and the CLI. Every step is checked against the state
machine (:data:`STEPS`), written with one history row (``feedback_event``) and one audit event
in the same transaction, and bumps the data version so the board's numbers follow.

Rules: an item is told to its customer (informed) only after a resolution; a resolved or
informed item is closed, and changing it (assigning, a note, a new due date) needs a reopen
first, with a reason. The due date is the SLA of the item's priority (settings
``feedback_sla_days``) counted from the day it was received, unless the assigner sets one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, Engine, insert, select, update

from salesops.auth.audit import Actor, record
from salesops.auth.secrets import utcnow
from salesops.config import get_settings, local_today
from salesops.db.derived import bump_data_version
from salesops.db.schema import AppUser, Customer, Feedback, FeedbackEvent, Rep
from salesops.metrics.dimensions import scope_condition
from salesops.metrics.scope import FULL_SCOPE, Scope

Status = Literal["new", "assigned", "resolved", "informed"]
Action = Literal["assign", "resolve", "inform", "reopen", "note"]

STATUSES: tuple[str, ...] = ("new", "assigned", "resolved", "informed")
#: Items no longer being worked on: changing them needs a reopen.
CLOSED = frozenset({"resolved", "informed"})
#: action -> (statuses it may start from, the status it leads to; None: unchanged)
STEPS: dict[str, tuple[frozenset[str], str | None]] = {
    "assign": (frozenset({"new", "assigned"}), "assigned"),
    "resolve": (frozenset({"assigned"}), "resolved"),
    "inform": (frozenset({"resolved"}), "informed"),
    "reopen": (frozenset(CLOSED), "assigned"),
    "note": (frozenset({"new", "assigned"}), None),
}
ASSIGNEE_KINDS = ("rep", "user", "department")
NOTE_MAX = 2000


class LoopError(ValueError):
    """A step the state machine does not allow, or bad input for it (a 409 or 422)."""

    def __init__(self, message: str, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.conflict = conflict


class FeedbackNotFound(LookupError):
    """No such feedback item in the caller's scope."""


@dataclass(frozen=True)
class Assignee:
    """Who owns an item: a rep (by name or external id), a user (login) or a department."""

    kind: str
    name: str


def sla_days(priority: str | None) -> int:
    """Days an item of ``priority`` may take from receipt to resolution."""
    settings = get_settings()
    table = {k.lower(): v for k, v in settings.feedback_sla_days.items()}
    return int(table.get((priority or "").strip().lower(), settings.feedback_sla_default_days))


def due_date(received_on: dt.date | None, priority: str | None, today: dt.date) -> dt.date:
    """The SLA due date of an item received on ``received_on`` (today when unknown)."""
    return (received_on or today) + dt.timedelta(days=sla_days(priority))


def _load(conn: Connection, feedback_id: int, scope: Scope) -> dict[str, Any]:
    stmt = select(Feedback.__table__).where(Feedback.__table__.c.id == feedback_id)
    cond = scope_condition("feedback", scope)
    if cond is not None:
        stmt = stmt.where(cond)
    row = conn.execute(stmt).mappings().first()
    if row is None:
        raise FeedbackNotFound(f"no feedback item {feedback_id}")
    return dict(row)


def _check(item: dict[str, Any], action: str) -> str | None:
    allowed, to = STEPS[action]
    status = item["status"] or "new"
    if status not in allowed:
        if action == "inform":
            why = "an item is told to the customer only after it is resolved"
        elif status in CLOSED:
            why = f"the item is {status}: reopen it first"
        else:
            why = f"cannot {action} an item that is {status}"
        raise LoopError(why, conflict=True)
    return to


def _note(note: str | None, *, required: bool = False) -> str | None:
    text = (note or "").strip()
    if required and not text:
        raise LoopError("a note is required for this step")
    if len(text) > NOTE_MAX:
        raise LoopError(f"a note has at most {NOTE_MAX} characters")
    if "\x00" in text:
        raise LoopError("a note may not contain a NUL character")
    return text or None


def _resolve_assignee(conn: Connection, who: Assignee) -> tuple[dict[str, Any], str]:
    """The feedback columns of an assignee and how the history shows it."""
    name = who.name.strip()
    if who.kind not in ASSIGNEE_KINDS:
        raise LoopError(f"assignee kind must be one of {', '.join(ASSIGNEE_KINDS)}")
    if not name or len(name) > 100 or "\x00" in name:
        raise LoopError("an assignee needs a name of 1 to 100 characters")
    cols: dict[str, Any] = {
        "assignee_id": None,
        "assignee_user_id": None,
        "assignee_department": None,
    }
    if who.kind == "rep":
        rep = conn.execute(
            select(Rep.id, Rep.name).where((Rep.name == name) | (Rep.external_id == name))
        ).first()
        if rep is None:
            raise LoopError(f"no sales rep {name!r}")
        cols["assignee_id"] = rep.id
        return cols, f"rep:{rep.name}"
    if who.kind == "user":
        user = conn.execute(
            select(AppUser.id, AppUser.username).where(AppUser.username == name)
        ).first()
        if user is None:
            raise LoopError(f"no user {name!r}")
        cols["assignee_user_id"] = user.id
        return cols, f"user:{user.username}"
    cols["assignee_department"] = name
    return cols, f"department:{name}"


def _write(
    conn: Connection,
    item: dict[str, Any],
    action: str,
    to: str | None,
    changes: dict[str, Any],
    actor: Actor,
    *,
    assignee: str | None = None,
    note: str | None = None,
) -> None:
    if changes or to:
        values = dict(changes)
        if to:
            values["status"] = to
        conn.execute(update(Feedback).where(Feedback.id == item["id"]).values(**values))
    conn.execute(
        insert(FeedbackEvent).values(
            feedback_id=item["id"],
            changed_at=utcnow(),
            actor=actor.name[:100],
            action=action,
            from_status=item["status"],
            to_status=to or item["status"],
            assignee=assignee,
            due_on=changes.get("due_on"),
            note=note,
        )
    )
    detail: dict[str, Any] = {"from": item["status"], "to": to or item["status"]}
    if assignee:
        detail["assignee"] = assignee
    if changes.get("due_on"):
        detail["due_on"] = changes["due_on"].isoformat()
    record(conn, actor, f"feedback.{action}", f"feedback:{item['external_id']}", detail)
    bump_data_version(conn)


def assign(
    engine: Engine,
    feedback_id: int,
    who: Assignee,
    actor: Actor,
    *,
    due_on: dt.date | None = None,
    note: str | None = None,
    scope: Scope = FULL_SCOPE,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Give an item to ``who`` (new → assigned, or hand an assigned item on). The first
    assignment is the item's first response; the due date is ``due_on`` or the SLA's."""
    today = today or local_today()
    with engine.begin() as conn:
        item = _load(conn, feedback_id, scope)
        to = _check(item, "assign")
        text = _note(note)
        cols, shown = _resolve_assignee(conn, who)
        if due_on is not None and item["received_on"] and due_on < item["received_on"]:
            raise LoopError("the due date is before the item was received")
        cols["due_on"] = (
            due_on or item["due_on"] or due_date(item["received_on"], item["priority"], today)
        )
        if item["first_response_on"] is None:
            cols["first_response_on"] = today
        _write(conn, item, "assign", to, cols, actor, assignee=shown, note=text)
    return get(engine, feedback_id, scope=scope)


def resolve(
    engine: Engine,
    feedback_id: int,
    actor: Actor,
    *,
    note: str | None = None,
    scope: Scope = FULL_SCOPE,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Record the resolution of an assigned item (assigned → resolved)."""
    today = today or local_today()
    with engine.begin() as conn:
        item = _load(conn, feedback_id, scope)
        to = _check(item, "resolve")
        resolved = max(today, item["received_on"]) if item["received_on"] else today
        _write(conn, item, "resolve", to, {"resolved_on": resolved}, actor, note=_note(note))
    return get(engine, feedback_id, scope=scope)


def inform(
    engine: Engine,
    feedback_id: int,
    actor: Actor,
    *,
    note: str | None = None,
    scope: Scope = FULL_SCOPE,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Record that the customer was told the outcome (resolved → informed)."""
    today = today or local_today()
    with engine.begin() as conn:
        item = _load(conn, feedback_id, scope)
        to = _check(item, "inform")
        _write(conn, item, "inform", to, {"informed_on": today}, actor, note=_note(note))
    return get(engine, feedback_id, scope=scope)


def reopen(
    engine: Engine, feedback_id: int, actor: Actor, *, note: str, scope: Scope = FULL_SCOPE
) -> dict[str, Any]:
    """Take a closed item back into work (resolved/informed → assigned), with a reason."""
    with engine.begin() as conn:
        item = _load(conn, feedback_id, scope)
        to = _check(item, "reopen")
        text = _note(note, required=True)
        changes = {"resolved_on": None, "informed_on": None}
        _write(conn, item, "reopen", to, changes, actor, note=text)
    return get(engine, feedback_id, scope=scope)


def add_note(
    engine: Engine, feedback_id: int, actor: Actor, *, note: str, scope: Scope = FULL_SCOPE
) -> dict[str, Any]:
    """Add a note to an open item (its history only)."""
    with engine.begin() as conn:
        item = _load(conn, feedback_id, scope)
        _check(item, "note")
        _write(conn, item, "note", None, {}, actor, note=_note(note, required=True))
    return get(engine, feedback_id, scope=scope)


def history(conn: Connection, feedback_id: int) -> list[dict[str, Any]]:
    """The item's events, oldest first."""
    e = FeedbackEvent.__table__
    rows = (
        conn.execute(
            select(e).where(e.c.feedback_id == feedback_id).order_by(e.c.changed_at, e.c.id)
        )
        .mappings()
        .all()
    )
    return [
        {
            "at": r["changed_at"].isoformat(timespec="seconds"),
            "actor": r["actor"],
            "action": r["action"],
            "from": r["from_status"],
            "to": r["to_status"],
            "assignee": r["assignee"],
            "due_on": r["due_on"].isoformat() if r["due_on"] else None,
            "note": r["note"],
        }
        for r in rows
    ]


def assignee_label(conn: Connection, item: dict[str, Any]) -> str | None:
    """How an item's owner is shown: the rep's or user's name, or the department."""
    if item.get("assignee_department"):
        return str(item["assignee_department"])
    if item.get("assignee_user_id"):
        row = conn.execute(
            select(AppUser.username, AppUser.display_name).where(
                AppUser.id == item["assignee_user_id"]
            )
        ).first()
        return (row.display_name or row.username) if row else None
    if item.get("assignee_id"):
        name = conn.execute(select(Rep.name).where(Rep.id == item["assignee_id"])).scalar()
        return str(name) if name else None
    return None


def overdue(item: dict[str, Any], today: dt.date) -> bool:
    """An open item past its due date (the SLA's when none was set)."""
    if (item.get("status") or "new") in CLOSED:
        return False
    due = item.get("due_on") or due_date(item.get("received_on"), item.get("priority"), today)
    return due < today


def get(engine: Engine, feedback_id: int, *, scope: Scope = FULL_SCOPE) -> dict[str, Any]:
    """One item as the API shows it, with its owner, due date, overdue flag and history."""
    today = local_today()
    with engine.connect() as conn:
        item = _load(conn, feedback_id, scope)
        customer = None
        if item["customer_id"]:
            customer = conn.execute(
                select(Customer.name).where(Customer.id == item["customer_id"])
            ).scalar()
        due = item["due_on"] or due_date(item["received_on"], item["priority"], today)
        return {
            "id": item["id"],
            "external_id": item["external_id"],
            "customer": customer,
            "received_on": _iso(item["received_on"]),
            "channel": item["channel"],
            "nps": item["nps"],
            "csat": item["csat"],
            "category": item["category"],
            "priority": item["priority"],
            "status": item["status"] or "new",
            "text": item["text"],
            "assignee": assignee_label(conn, item),
            "due_on": _iso(due),
            "overdue": overdue(item, today),
            "first_response_on": _iso(item["first_response_on"]),
            "resolved_on": _iso(item["resolved_on"]),
            "informed_on": _iso(item["informed_on"]),
            "history": history(conn, feedback_id),
        }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _overdue_condition(t: Any, today: dt.date) -> Any:
    """SQL: an open item whose due date (the SLA's when none was set) is before ``today``."""
    from sqlalchemy import and_, func, literal

    from salesops.metrics.dialects import days_between
    from salesops.metrics.measures import sla_days as sla_sql

    allowed = func.coalesce(days_between(t.c.received_on, t.c.due_on), sla_sql(t.c.priority))
    return and_(
        t.c.status.in_(("new", "assigned")),
        t.c.received_on.is_not(None),
        days_between(t.c.received_on, literal(today)) > allowed,
    )


def list_items(
    engine: Engine,
    *,
    scope: Scope = FULL_SCOPE,
    where: Mapping[str, Sequence[str]] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    status: Sequence[str] = (),
    only_overdue: bool = False,
    limit: int = 100,
    offset: int = 0,
    today: dt.date | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """Items in scope matching the board's dimension filters (``where``), received in
    [start, end], of ``status``: how many, and ``limit`` of them, overdue and newest first."""
    from sqlalchemy import func, or_

    from salesops.metrics.dimensions import apply_filters

    today = today or local_today()
    t = Feedback.__table__
    bad = [s for s in status if s not in STATUSES]
    if bad:
        raise LoopError(f"unknown status {bad[0]!r}; one of: {', '.join(STATUSES)}")
    conds: list[Any] = []
    if start is not None:
        conds.append(t.c.received_on >= start)
    if end is not None:
        conds.append(t.c.received_on <= end)
    if status:
        conds.append(
            or_(t.c.status.in_(tuple(status)), t.c.status.is_(None))
            if "new" in status
            else t.c.status.in_(tuple(status))
        )
    late = _overdue_condition(t, today)
    if only_overdue:
        conds.append(late)
    base = apply_filters(select(t.c.id).where(*conds), "feedback", where or {}, scope)
    with engine.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(base.subquery())).scalar_one())
        stmt = apply_filters(
            select(t, Customer.name.label("customer_name"))
            .select_from(t.outerjoin(Customer, Customer.id == t.c.customer_id))
            .where(*conds),
            "feedback",
            where or {},
            scope,
        )
        rows = (
            conn.execute(
                stmt.order_by(late.desc(), t.c.received_on.desc().nulls_last(), t.c.id.desc())
                .limit(limit)
                .offset(offset)
            )
            .mappings()
            .all()
        )  # all first: DuckDB drops a pending result on the next statement
        out = []
        for r in rows:
            item = dict(r)
            due = item["due_on"] or due_date(item["received_on"], item["priority"], today)
            out.append(
                {
                    "id": item["id"],
                    "external_id": item["external_id"],
                    "customer": item["customer_name"],
                    "received_on": _iso(item["received_on"]),
                    "channel": item["channel"],
                    "nps": item["nps"],
                    "category": item["category"],
                    "priority": item["priority"],
                    "status": item["status"] or "new",
                    "assignee": assignee_label(conn, item),
                    "due_on": _iso(due),
                    "overdue": overdue(item, today),
                    "text": item["text"],
                }
            )
    return total, out
