"""The demo company's users: an admin, a regional manager, a rep of that region and a
read-only viewer, so a newcomer can sign in as each and see the board change with the scope.

Passwords are random and printed once when the users are made; one-time sign-in links are
printed on every ``salesops demo`` run (``salesops users reset-password`` sets a new one)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from salesops.auth import users
from salesops.auth.audit import Actor
from salesops.db.schema import OrderLine, OrgUnit, Rep

ACTOR = Actor("demo")

#: A few words to make passphrases from (the policy wants length and no common words alone).
_WORDS = (
    "amber", "brisk", "cedar", "delta", "ember", "fjord", "gale", "harbor", "ivory", "jade",
    "kite", "lumen", "maple", "nectar", "orbit", "pine", "quartz", "river", "sable", "tundra",
    "umber", "vivid", "willow", "yonder", "zephyr",
)  # fmt: skip


@dataclass(frozen=True)
class DemoUser:
    login: str
    role: str
    scope: str
    password: str | None  # only when just made


def _passphrase() -> str:
    return "-".join(secrets.choice(_WORDS) for _ in range(4)) + f"-{secrets.randbelow(100):02d}"


def _manager_and_rep(engine: Engine) -> tuple[str | None, str | None]:
    """The region with most reps, and that region's rep with the most order lines."""
    with engine.connect() as conn:
        region = conn.execute(
            select(OrgUnit.id, OrgUnit.external_id)
            .where(OrgUnit.kind == "region")
            .order_by(OrgUnit.external_id)
            .limit(1)
        ).first()
        if region is None:
            return None, None
        teams = select(OrgUnit.id).where(OrgUnit.parent_id == region.id)
        rep = conn.execute(
            select(Rep.external_id)
            .join(OrderLine, OrderLine.rep_id == Rep.id)
            .where(Rep.org_unit_id.in_(teams))
            .group_by(Rep.external_id)
            .order_by(func.count().desc(), Rep.external_id)
            .limit(1)
        ).scalar()
    return region.external_id, rep


def ensure_demo_users(engine: Engine) -> list[DemoUser]:
    """Make the four demo users unless the database has users already; returns them (with
    their passwords only when just made)."""
    if users.has_users(engine):
        wanted = {"admin", "manager", "rep", "viewer"}
        return [
            DemoUser(u.username, u.role, u.describe_scope(), None)
            for u in users.list_users(engine)
            if u.username in wanted and u.active
        ]
    region, rep = _manager_and_rep(engine)
    # (login, role, rep, org unit)
    plan: list[tuple[str, str, str | None, str | None]] = [("admin", "admin", None, None)]
    if region:
        plan.append(("manager", "manager", None, region))
    if rep:
        plan.append(("rep", "rep", rep, None))
    plan.append(("viewer", "viewer", None, None))
    made = []
    for login, role, rep_ref, unit in plan:
        password = _passphrase()
        user = users.add_user(
            engine, login, role=role, password=password, rep=rep_ref, org_unit=unit, actor=ACTOR
        )
        made.append(DemoUser(user.username, user.role, user.describe_scope(), password))
    return made
