"""The coaching log (辅导): one-to-ones, training attended, skills worked on and agreed actions,
per rep, with dates and an owner. Entries are written by a manager (RATE_REPS) for a rep in
their scope, audited; read within the caller's scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from sqlalchemy import Engine, insert, select, update

from salesops.auth.audit import Actor, record
from salesops.auth.secrets import utcnow
from salesops.db.schema import CoachingEntry, Rep
from salesops.metrics.scope import FULL_SCOPE, Scope, visible_reps
from salesops.people.statements import NotVisible, PeopleError, check_rep_visible

Kind = Literal["one_to_one", "training", "skill", "action"]
KINDS: tuple[Kind, ...] = ("one_to_one", "training", "skill", "action")
KIND_LABELS = {
    "one_to_one": "One-to-one",
    "training": "Training",
    "skill": "Skill",
    "action": "Agreed action",
}


@dataclass(frozen=True)
class Entry:
    id: int
    rep_id: int
    rep: str
    kind: str
    occurred_on: dt.date
    owner: str | None
    title: str
    notes: str | None
    due_on: dt.date | None
    done: bool | None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["occurred_on"] = self.occurred_on.isoformat()
        out["due_on"] = self.due_on.isoformat() if self.due_on else None
        return out


def add_entry(
    engine: Engine,
    rep_id: int,
    kind: str,
    occurred_on: dt.date,
    title: str,
    actor: Actor | str,
    *,
    owner: str | None = None,
    notes: str | None = None,
    due_on: dt.date | None = None,
    scope: Scope = FULL_SCOPE,
) -> int:
    """Add one entry for a rep in ``scope`` (an agreed action may carry a due date); audited."""
    if kind not in KINDS:
        raise PeopleError(f"unknown coaching kind {kind!r}; one of: {', '.join(KINDS)}")
    title = title.strip()
    if not title:
        raise PeopleError("a coaching entry needs a title")
    if len(title) > 300:
        raise PeopleError("the title is longer than 300 characters")
    if due_on is not None and due_on < occurred_on:
        raise PeopleError("an action cannot be due before it was agreed")
    who = actor.name if isinstance(actor, Actor) else actor
    with engine.begin() as conn:
        rep = check_rep_visible(conn, scope, rep_id)
        entry_id = int(
            conn.execute(
                insert(CoachingEntry)
                .values(
                    rep_id=rep_id,
                    kind=kind,
                    occurred_on=occurred_on,
                    owner=(owner or who)[:200],
                    title=title,
                    notes=notes or None,
                    due_on=due_on,
                    done=False if kind == "action" else None,
                    created_by=who,
                    created_at=utcnow(),
                )
                .returning(CoachingEntry.id)
            ).scalar_one()
        )
        record(conn, actor, "coaching.add", f"rep:{rep}", {"id": entry_id, "kind": kind})
    return entry_id


def set_done(
    engine: Engine, entry_id: int, done: bool, actor: Actor | str, scope: Scope = FULL_SCOPE
) -> None:
    """Mark an agreed action done (or open again); audited."""
    with engine.begin() as conn:
        row = conn.execute(
            select(CoachingEntry.rep_id, CoachingEntry.kind).where(CoachingEntry.id == entry_id)
        ).first()
        if row is None:
            raise NotVisible(f"no coaching entry {entry_id}")
        rep = check_rep_visible(conn, scope, int(row.rep_id))
        if row.kind != "action":
            raise PeopleError("only an agreed action is done or not")
        conn.execute(update(CoachingEntry).where(CoachingEntry.id == entry_id).values(done=done))
        record(conn, actor, "coaching.done", f"rep:{rep}", {"id": entry_id, "done": done})


def entries(
    engine: Engine,
    scope: Scope = FULL_SCOPE,
    *,
    rep_ids: Iterable[int] | None = None,
    limit: int = 200,
) -> list[Entry]:
    """Entries newest first, of reps visible in ``scope`` (optionally only ``rep_ids``)."""
    stmt = (
        select(*CoachingEntry.__table__.c, Rep.name.label("rep_name"))
        .join(Rep, Rep.id == CoachingEntry.rep_id)
        .order_by(CoachingEntry.occurred_on.desc(), CoachingEntry.id.desc())
        .limit(limit)
    )
    reps = visible_reps(scope)
    if reps is not None:
        stmt = stmt.where(CoachingEntry.rep_id.in_(reps))
    if rep_ids is not None:
        stmt = stmt.where(CoachingEntry.rep_id.in_(list(rep_ids)))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [
        Entry(
            id=int(r.id),
            rep_id=int(r.rep_id),
            rep=r.rep_name,
            kind=r.kind,
            occurred_on=r.occurred_on,
            owner=r.owner,
            title=r.title,
            notes=r.notes,
            due_on=r.due_on,
            done=r.done,
        )
        for r in rows
    ]
