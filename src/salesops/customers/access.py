"""Which customers and tasks a data scope sees, in the data-access layer (never in pages).

A customer is visible when its current owner (``customer.owner_id``) is a rep the scope sees
(:func:`salesops.metrics.dimensions.scope_condition` on the customer fact). A task follows its
owner rep (as every fact follows its rep): it is visible when its owner rep is; a task without
an owner rep follows its customer's owner; one with neither (a review's action item owned by
a user) is visible to the full scope and to its owner user. So another rep's task on a
customer one owns stays theirs, as their orders and deals of it do.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, false, or_, select, true

from salesops.db.schema import Customer, Rep, Task
from salesops.metrics.dimensions import scope_condition
from salesops.metrics.scope import Scope, restrict, visible_reps


class NotFound(LookupError):
    """A customer, task or rep that does not exist *or* is outside the caller's scope (the
    two are not told apart, so a scope cannot probe for ids): a 404."""


def customer_visible(scope: Scope) -> ColumnElement[bool]:
    """The condition on :class:`Customer` rows the scope may see: its *current* owner is a
    visible rep (the metrics engine's customer fact reads the owner on the first order day
    instead; a page is about who owns the customer now)."""
    cond = scope_condition("customer", scope, Customer.__table__)
    return true() if cond is None else cond


def in_scope(scope: Scope, rep_column: Any) -> ColumnElement[bool]:
    """The condition that keeps the rows of one customer's facts (orders, deals, payments,
    activities, feedback) whose rep ``scope`` sees: the metrics engine's rule for every fact
    (:func:`salesops.metrics.scope.restrict`), so a row without a rep is not seen by a scoped
    caller either."""
    return restrict(scope, rep_column)


def visible_customer_ids(scope: Scope) -> Any:
    """A subquery of the ids of the customers ``scope`` sees."""
    return select(Customer.id).where(customer_visible(scope))


def task_visible(scope: Scope, user_id: int | None = None) -> ColumnElement[bool]:
    """The condition on :class:`Task` rows the scope (and the user ``user_id``) may see."""
    reps = visible_reps(scope)
    if reps is None:
        return true()
    mine = Task.owner_user_id == user_id if user_id is not None else false()
    return or_(
        Task.owner_rep_id.in_(reps),
        and_(Task.owner_rep_id.is_(None), Task.customer_id.in_(visible_customer_ids(scope))),
        mine,
    )


def rep_visible(conn: Connection, scope: Scope, rep_id: int) -> bool:
    """True when ``rep_id`` exists and ``scope`` sees it."""
    reps = visible_reps(scope)
    query = select(Rep.id).where(Rep.id == rep_id)
    if reps is not None:
        query = query.where(Rep.id.in_(reps))
    return conn.execute(query).first() is not None


def get_customer(conn: Connection, scope: Scope, customer_id: int) -> Any:
    """The customer row, or :class:`NotFound` when missing or out of scope."""
    row = conn.execute(
        select(Customer).where(Customer.id == customer_id, customer_visible(scope))
    ).first()
    if row is None:
        raise NotFound(f"customer {customer_id} not found")
    return row
