"""Follow-up tasks (任务 / 回访): create, complete, list — the one task service.

Every write checks the caller's scope, is audited in its own transaction
(:func:`salesops.auth.audit.record`) and bumps the data version (pages that show tasks next
to warnings read it fresh). Rule runs (:mod:`.rules`), reviews and alerts create tasks
through :func:`insert_task` with their own ``source`` and ``source_ref``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, case, func, insert, select, update
from sqlalchemy.orm import aliased

from salesops.auth.audit import Actor, record
from salesops.auth.secrets import utcnow
from salesops.config import local_today
from salesops.customers.access import NotFound, get_customer, rep_visible, task_visible
from salesops.db.derived import bump_data_version
from salesops.db.schema import Customer, Opportunity, Rep, Task
from salesops.metrics.scope import Scope

#: Task kinds: 拜访 visit, 电话 call, 关怀 care, 催收 collection, 其他 other, 行动项 action
#: (a review's action item).
KINDS = ("visit", "call", "care", "collection", "other", "action")
STATUSES = ("open", "done", "cancelled")
#: Sources that are not rule names.
MANUAL, REVIEW, ALERT = "manual", "review", "alert"

TITLE_MAX = 300
TEXT_MAX = 4000


class TaskError(ValueError):
    """Bad input for a task (unknown kind, empty result, due date out of range): a 400."""


@dataclass(frozen=True)
class TaskView:
    """A task as lists and pages show it."""

    id: int
    customer_id: int | None
    customer: str | None
    opportunity_id: int | None
    opportunity: str | None
    owner_rep_id: int | None
    owner: str | None
    owner_user_id: int | None
    kind: str
    status: str
    title: str | None
    due_on: dt.date | None
    notes: str | None
    result: str | None
    source: str
    source_ref: str | None
    created_on: dt.date
    created_by: str | None
    done_on: dt.date | None
    done_by: str | None
    overdue: bool

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _text(value: str | None, limit: int, what: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if "\x00" in value:
        raise TaskError(f"{what} contains a NUL character")
    if len(value) > limit:
        raise TaskError(f"{what} is longer than {limit} characters")
    return value or None


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise TaskError(f"unknown task kind {kind!r}; one of: {', '.join(KINDS)}")
    return kind


def insert_task(
    conn: Connection,
    *,
    kind: str,
    source: str,
    created_by: str,
    customer_id: int | None = None,
    opportunity_id: int | None = None,
    owner_rep_id: int | None = None,
    owner_user_id: int | None = None,
    title: str | None = None,
    due_on: dt.date | None = None,
    notes: str | None = None,
    source_ref: str | None = None,
    today: dt.date | None = None,
) -> int:
    """Insert one task in the caller's transaction (no scope check, no audit: the caller does
    both) and return its id."""
    now = utcnow()
    task_id = conn.execute(
        insert(Task)
        .values(
            customer_id=customer_id,
            opportunity_id=opportunity_id,
            owner_rep_id=owner_rep_id,
            owner_user_id=owner_user_id,
            kind=check_kind(kind),
            status="open",
            title=_text(title, TITLE_MAX, "title"),
            due_on=due_on,
            notes=_text(notes, TEXT_MAX, "notes"),
            source=source,
            source_ref=source_ref,
            created_on=today or local_today(),
            created_at=now,
            created_by=created_by[:100],
        )
        .returning(Task.id)
    ).scalar_one()
    return int(task_id)


def create_task(
    engine: Engine,
    actor: Actor,
    scope: Scope,
    *,
    customer_id: int,
    kind: str,
    due_on: dt.date | None,
    title: str | None = None,
    notes: str | None = None,
    owner_rep_id: int | None = None,
    opportunity_id: int | None = None,
    follows: tuple[str, str] | None = None,
) -> int:
    """A task made by hand for a customer the caller sees; the owner defaults to the
    customer's owner and must be a rep the caller sees. Audited as ``task.create``.

    ``follows`` = (rule name, warning key): the task follows up that warning, as if the rule
    had made it (the rule then makes none for it); a warning already followed up is an error.
    """
    today = local_today()
    with engine.begin() as conn:
        customer = get_customer(conn, scope, customer_id)  # scope first, then the input
        check_kind(kind)
        if due_on is not None and not (today - dt.timedelta(days=3660) <= due_on):
            raise TaskError(f"due date {due_on} is too far in the past")
        owner = owner_rep_id if owner_rep_id is not None else customer.owner_id
        if owner is not None and not rep_visible(conn, scope, owner):
            raise NotFound(f"rep {owner} not found")
        if opportunity_id is not None:
            found = conn.execute(
                select(Opportunity.id).where(
                    Opportunity.id == opportunity_id, Opportunity.customer_id == customer_id
                )
            ).first()
            if found is None:
                raise NotFound(f"deal {opportunity_id} of customer {customer_id} not found")
        if follows is not None:
            taken = conn.execute(
                select(Task.id).where(Task.source == follows[0], Task.source_ref == follows[1])
            ).first()
            if taken is not None:
                raise TaskError("this warning already has a follow-up task")
        task_id = insert_task(
            conn,
            kind=kind,
            source=follows[0] if follows else MANUAL,
            source_ref=follows[1] if follows else None,
            created_by=actor.name,
            customer_id=customer_id,
            opportunity_id=opportunity_id,
            owner_rep_id=owner,
            title=title,
            due_on=due_on,
            notes=notes,
            today=today,
        )
        record(
            conn,
            actor,
            "task.create",
            f"task:{task_id}",
            {
                "customer_id": customer_id,
                "kind": kind,
                "owner_rep_id": owner,
                "follows": list(follows) if follows else None,
            },
        )
        bump_data_version(conn)
    return task_id


def complete_task(
    engine: Engine,
    actor: Actor,
    scope: Scope,
    task_id: int,
    *,
    result: str | None,
    status: str = "done",
    user_id: int | None = None,
) -> None:
    """Close an open task the caller sees: ``done`` needs a result (what happened), ``cancelled``
    may give one. Audited as ``task.complete`` / ``task.cancel``."""
    with engine.begin() as conn:
        # Scope first: a task outside it does not exist, whatever the input.
        row = conn.execute(
            select(Task.id, Task.status).where(Task.id == task_id, task_visible(scope, user_id))
        ).first()
        if row is None:
            raise NotFound(f"task {task_id} not found")
        if status not in ("done", "cancelled"):
            raise TaskError("a task is closed as done or cancelled")
        text = _text(result, TEXT_MAX, "result")
        if status == "done" and not text:
            raise TaskError("say what came of it: a done task needs a result")
        if row.status != "open":
            raise TaskError(f"task {task_id} is already {row.status}")
        now = utcnow()
        conn.execute(
            update(Task)
            .where(Task.id == task_id)
            .values(
                status=status,
                result=text,
                done_on=local_today(),
                done_at=now,
                done_by=actor.name[:100],
            )
        )
        action = "task.complete" if status == "done" else "task.cancel"
        record(conn, actor, action, f"task:{task_id}", {"status": status})
        bump_data_version(conn)


def list_tasks(
    engine: Engine | Connection,
    scope: Scope,
    *,
    customer_id: int | None = None,
    customer_ids: list[int] | None = None,
    owner_rep_id: int | None = None,
    status: str | None = None,
    source: str | None = None,
    overdue_only: bool = False,
    user_id: int | None = None,
    today: dt.date | None = None,
    limit: int = 500,
) -> list[TaskView]:
    """Tasks the scope sees, open ones first by due date, then closed ones latest first."""
    if status is not None and status not in STATUSES:
        raise TaskError(f"unknown status {status!r}; one of: {', '.join(STATUSES)}")
    day = today or local_today()
    owner = aliased(Rep, name="task_owner")
    where = [task_visible(scope, user_id)]
    if customer_id is not None:
        where.append(Task.customer_id == customer_id)
    if customer_ids is not None:
        where.append(Task.customer_id.in_(customer_ids))
    if owner_rep_id is not None:
        where.append(Task.owner_rep_id == owner_rep_id)
    if status is not None:
        where.append(Task.status == status)
    if source is not None:
        where.append(Task.source == source)
    overdue = and_(Task.status == "open", Task.due_on < day)
    if overdue_only:
        where.append(overdue)
    query = (
        select(
            Task,
            Customer.name.label("customer_name"),
            Opportunity.name.label("opportunity_name"),
            owner.name.label("owner_name"),
        )
        .outerjoin(Customer, Customer.id == Task.customer_id)
        .outerjoin(Opportunity, Opportunity.id == Task.opportunity_id)
        .outerjoin(owner, owner.id == Task.owner_rep_id)
        .where(*where)
        .order_by(
            case((Task.status == "open", 0), else_=1),
            case((Task.status == "open", Task.due_on)),
            Task.done_at.desc(),
            Task.id.desc(),
        )
        .limit(limit)
    )

    def run(conn: Connection) -> list[TaskView]:
        out = []
        for row in conn.execute(query):
            t = row
            out.append(
                TaskView(
                    id=t.id,
                    customer_id=t.customer_id,
                    customer=row.customer_name,
                    opportunity_id=t.opportunity_id,
                    opportunity=row.opportunity_name,
                    owner_rep_id=t.owner_rep_id,
                    owner=row.owner_name,
                    owner_user_id=t.owner_user_id,
                    kind=t.kind,
                    status=t.status,
                    title=t.title,
                    due_on=t.due_on,
                    notes=t.notes,
                    result=t.result,
                    source=t.source,
                    source_ref=t.source_ref,
                    created_on=t.created_on,
                    created_by=t.created_by,
                    done_on=t.done_on,
                    done_by=t.done_by,
                    overdue=t.status == "open" and t.due_on is not None and t.due_on < day,
                )
            )
        return out

    if isinstance(engine, Connection):
        return run(engine)
    with engine.connect() as conn:
        return run(conn)


@dataclass(frozen=True)
class RepTasks:
    """One rep's task counts: open, of those overdue, done in the last 30 days."""

    rep_id: int | None
    rep: str | None
    open: int
    overdue: int
    done_30d: int


def tasks_by_rep(engine: Engine, scope: Scope, *, today: dt.date | None = None) -> list[RepTasks]:
    """Open, overdue and recently done tasks per owner rep (the team's task list summary)."""
    day = today or local_today()
    since = day - dt.timedelta(days=30)
    query = (
        select(
            Task.owner_rep_id,
            Rep.name,
            func.count().filter(Task.status == "open").label("open"),
            func.count().filter(and_(Task.status == "open", Task.due_on < day)).label("overdue"),
            func.count().filter(and_(Task.status == "done", Task.done_on > since)).label("done"),
        )
        .outerjoin(Rep, Rep.id == Task.owner_rep_id)
        .where(task_visible(scope))
        .group_by(Task.owner_rep_id, Rep.name)
        .order_by(Rep.name)
    )
    with engine.connect() as conn:
        return [
            RepTasks(r.owner_rep_id, r.name, int(r.open), int(r.overdue), int(r.done))
            for r in conn.execute(query)
        ]


def latest_by_customer(
    conn: Connection, source: str, customer_ids: list[int]
) -> dict[int, TaskView]:
    """The latest task of ``source`` (a rule) per customer: what a warning shows as its
    follow-up. Read in full scope: the caller already sees these customers' warnings."""
    if not customer_ids:
        return {}
    from salesops.metrics.scope import FULL_SCOPE

    out: dict[int, TaskView] = {}
    for start in range(0, len(customer_ids), 1000):
        ids = customer_ids[start : start + 1000]
        found = list_tasks(conn, FULL_SCOPE, customer_ids=ids, source=source, limit=100_000)
        for task in sorted(found, key=lambda t: (t.created_on, t.id)):
            assert task.customer_id is not None
            out[task.customer_id] = task
    return out
