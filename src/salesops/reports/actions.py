"""Action items of a review (the closed loop): tasks of the one task model with
``kind='action'`` and ``source='review'``, no customer, an owner rep and a due date;
``source_ref`` names the review they came from (``monthly:2026-10:<scope>``) plus a unique
suffix, since (source, source_ref) is unique. The next review lists them (due, done,
overdue; see ``assemble._actions``)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Engine, or_, select

from salesops.auth.audit import Actor, record
from salesops.config import local_today
from salesops.customers.access import rep_visible
from salesops.customers.tasks import REVIEW, TaskError, insert_task
from salesops.db.derived import bump_data_version
from salesops.db.schema import Rep
from salesops.metrics.scope import Scope


def create_action_item(
    engine: Engine,
    actor: Actor,
    scope: Scope,
    *,
    title: str,
    owner: str,
    due_on: dt.date,
    review: str,
    notes: str | None = None,
) -> int:
    """An action item for ``owner`` (a rep's external id or name, within ``scope``), due on
    ``due_on``, from ``review``. Audited as ``task.create``. Raises :class:`TaskError`."""
    if not title or not title.strip():
        raise TaskError("an action item needs a text")
    review = review.strip()[:120]
    if not review:
        raise TaskError("an action item needs the review it came from")
    today = local_today()
    if due_on < today - dt.timedelta(days=366):
        raise TaskError(f"due date {due_on} is too far in the past")
    with engine.begin() as conn:
        found = conn.execute(
            select(Rep.id).where(or_(Rep.external_id == owner, Rep.name == owner))
        ).first()
        if found is None or not rep_visible(conn, scope, int(found[0])):
            raise TaskError(f"owner {owner!r}: no such rep in your data scope")
        task_id = insert_task(
            conn,
            kind="action",
            source=REVIEW,
            source_ref=f"{review}#{uuid.uuid4().hex[:12]}",
            created_by=actor.name,
            owner_rep_id=int(found[0]),
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
            {"kind": "action", "review": review, "owner_rep_id": int(found[0])},
        )
        bump_data_version(conn)
    return task_id
