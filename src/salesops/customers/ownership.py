"""Reassigning customers (调整客户归属) and who owned a customer when.

``customer.owner_id`` is the current owner; ``customer_owner_history`` keeps every ownership
period a reassignment closed or opened (``valid_to`` exclusive). Revenue is never moved: an
order keeps its own rep (``order_line.rep_id`` / ``order_header.rep_id``), which is what the
metrics engine's ``rep`` dimension reads on orders. "Whose customer was it on day D" is
:func:`owner_as_of` / :func:`owners_as_of`: the history period containing D, else (no
history, or D in the current period) the current owner.

A reassignment moves the customer's *open* tasks owned by the old rep to the new one; open
deals, payments and past activities keep their rep (they are imported facts: a CRM re-import
would write them back).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    and_,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from salesops.auth.audit import Actor, record
from salesops.auth.secrets import utcnow
from salesops.config import local_today
from salesops.customers.access import NotFound, customer_visible, rep_visible
from salesops.db.derived import bump_data_version
from salesops.db.schema import Customer, CustomerOwnerHistory, Rep, Task
from salesops.metrics.dimensions import filter_condition
from salesops.metrics.scope import Scope

H = CustomerOwnerHistory

#: Customer dimensions a set of customers to move can be filtered by.
FILTER_DIMENSIONS = ("industry", "segment", "customer_region", "source_channel", "customer_size")
MAX_REASSIGN = 10_000


class ReassignError(ValueError):
    """A reassignment that cannot be done (no reason, date in the future or before the last
    change, nobody matched): a 400."""


@dataclass(frozen=True)
class ReassignResult:
    moved: list[int]
    unchanged: list[int]
    tasks_moved: int
    to_rep_id: int
    effective_on: dt.date


def owners_as_of(day: dt.date) -> Select[Any]:
    """``(customer_id, rep_id)`` of every customer as owned on ``day``: the history period
    holding ``day`` when there is one, else the current owner."""
    period = (
        select(H.rep_id)
        .where(
            H.customer_id == Customer.id,
            or_(H.valid_from.is_(None), H.valid_from <= day),
            H.valid_to.is_not(None),
            H.valid_to > day,
        )
        .order_by(H.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    closed = (
        select(literal(1))
        .where(
            H.customer_id == Customer.id,
            or_(H.valid_from.is_(None), H.valid_from <= day),
            H.valid_to.is_not(None),
            H.valid_to > day,
        )
        .exists()
    )
    from sqlalchemy import case

    return select(
        Customer.id.label("customer_id"),
        case((closed, period), else_=Customer.owner_id).label("rep_id"),
    )


def owner_as_of(conn: Connection, customer_id: int, day: dt.date) -> int | None:
    """The rep who owned ``customer_id`` on ``day`` (None: nobody)."""
    q = owners_as_of(day).where(Customer.id == customer_id).subquery()
    value = conn.execute(select(q.c.rep_id)).scalar()
    return None if value is None else int(value)


def history(conn: Connection, customer_id: int) -> list[dict[str, Any]]:
    """The customer's ownership periods, latest first, with the rep's name."""
    rows = conn.execute(
        select(H, Rep.name.label("rep_name"))
        .outerjoin(Rep, Rep.id == H.rep_id)
        .where(H.customer_id == customer_id)
        .order_by(H.valid_from.desc().nulls_last(), H.id.desc())
    )
    return [
        {
            "rep_id": r.rep_id,
            "rep": r.rep_name,
            "valid_from": r.valid_from,
            "valid_to": r.valid_to,
            "reason": r.reason,
            "changed_by": r.changed_by,
            "changed_at": r.changed_at,
        }
        for r in rows
    ]


def matching_customers(
    conn: Connection,
    scope: Scope,
    *,
    from_rep_id: int | None,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> list[int]:
    """Ids of the customers the scope sees owned by ``from_rep_id`` (None: without an owner)
    and matching ``filters`` (customer dimensions, display values)."""
    where = [customer_visible(scope)]
    where.append(
        Customer.owner_id.is_(None) if from_rep_id is None else Customer.owner_id == from_rep_id
    )
    for dim, values in (filters or {}).items():
        if dim not in FILTER_DIMENSIONS:
            raise ReassignError(
                f"customers are filtered by {', '.join(FILTER_DIMENSIONS)}, not {dim!r}"
            )
        if values:
            where.append(filter_condition("customer", dim, list(values), Customer.__table__))
    query = select(Customer.id).where(*where).order_by(Customer.id).limit(MAX_REASSIGN + 1)
    return [int(i) for i in conn.execute(query).scalars()]


def reassign(
    engine: Engine,
    actor: Actor,
    scope: Scope,
    customer_ids: Sequence[int],
    *,
    to_rep_id: int,
    effective_on: dt.date | None = None,
    reason: str,
) -> ReassignResult:
    """Move ``customer_ids`` to ``to_rep_id`` from ``effective_on`` (default today; not in the
    future, not before the customer's last change). Every customer and the new rep must be in
    the caller's scope. One transaction, one audit event ``customer.reassign``."""
    reason = (reason or "").strip()
    if not reason:
        raise ReassignError("give a reason for the reassignment")
    if len(reason) > 300 or "\x00" in reason:
        raise ReassignError("the reason is at most 300 characters of text")
    today = local_today()
    day = effective_on or today
    if day > today:
        raise ReassignError(f"the effective date {day} is in the future")
    ids = sorted(set(int(i) for i in customer_ids))
    if not ids:
        raise ReassignError("no customer to reassign")
    if len(ids) > MAX_REASSIGN:
        raise ReassignError(f"at most {MAX_REASSIGN} customers at once")
    now = utcnow()
    moved: list[int] = []
    unchanged: list[int] = []
    tasks_moved = 0
    with engine.begin() as conn:
        if not rep_visible(conn, scope, to_rep_id):
            raise NotFound(f"rep {to_rep_id} not found")
        found = {
            int(r.id): r.owner_id
            for r in conn.execute(
                select(Customer.id, Customer.owner_id).where(
                    Customer.id.in_(ids), customer_visible(scope)
                )
            )
        }
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"customer {missing[0]} not found")
        last = dict(
            conn.execute(
                select(H.customer_id, func.max(H.valid_from))
                .where(H.customer_id.in_(ids))
                .group_by(H.customer_id)
            ).all()
        )
        for cid in ids:
            old = found[cid]
            if old == to_rep_id:
                unchanged.append(cid)
                continue
            since = last.get(cid)
            if since is not None and day < since:
                raise ReassignError(
                    f"customer {cid} changed owner on {since}; the effective date must not be "
                    "earlier"
                )
            who = {"reason": reason, "changed_by": actor.name[:100], "changed_at": now}
            who["changed_by_id"] = actor.user_id
            open_row = and_(H.customer_id == cid, H.valid_to.is_(None))
            if since is not None and since == day:
                # A second change on the same day replaces the period that began that day.
                conn.execute(update(H).where(open_row).values(rep_id=to_rep_id, **who))
            else:
                has_open = conn.execute(select(H.id).where(open_row)).first() is not None
                if has_open:
                    conn.execute(update(H).where(open_row).values(valid_to=day))
                else:
                    conn.execute(
                        insert(H).values(
                            customer_id=cid, rep_id=old, valid_from=None, valid_to=day, **who
                        )
                    )
                conn.execute(
                    insert(H).values(
                        customer_id=cid, rep_id=to_rep_id, valid_from=day, valid_to=None, **who
                    )
                )
            conn.execute(update(Customer).where(Customer.id == cid).values(owner_id=to_rep_id))
            moving = [Task.customer_id == cid, Task.status == "open"]
            moving.append(Task.owner_rep_id.is_(None) if old is None else Task.owner_rep_id == old)
            tasks_moved += conn.execute(
                update(Task).where(*moving).values(owner_rep_id=to_rep_id)
            ).rowcount
            moved.append(cid)
        if moved:
            record(
                conn,
                actor,
                "customer.reassign",
                f"rep:{to_rep_id}",
                {
                    "customers": moved[:200],
                    "count": len(moved),
                    "effective_on": day.isoformat(),
                    "reason": reason,
                    "tasks_moved": tasks_moved,
                },
            )
            bump_data_version(conn)
    return ReassignResult(moved, unchanged, tasks_moved, to_rep_id, day)
