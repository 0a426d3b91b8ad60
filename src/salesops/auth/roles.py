"""Roles, permissions and the data scope a user gets.

A route declares one permission (``salesops.api.deps.require``); a role is a set of
permissions. The data scope is separate from the permission: a manager and an ops user may
both view the board, but the manager's engine only sees their org subtree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from salesops.metrics.scope import FULL_SCOPE, Scope


class Permission(StrEnum):
    """What a route needs. ``PUBLIC`` routes need no sign-in (the sign-in page, health)."""

    PUBLIC = "public"
    SIGNED_IN = "signed_in"  # any signed-in user: own profile, sign-out, own tokens
    VIEW_BOARD = "view_board"  # pages, panels, KPIs, analyses, records (within scope)
    VIEW_WALL = "view_wall"  # the wall and the panels it refreshes
    EXPORT_RECORDS = "export_records"  # CSV/XLSX of records (audited)
    EDIT_TARGETS = "edit_targets"  # set, edit, decompose, delete targets (within scope)
    IMPORT_DATA = "import_data"
    MANAGE_WALLS = "manage_walls"
    MANAGE_USERS = "manage_users"  # users, roles, other users' tokens
    VIEW_AUDIT = "view_audit"
    BACKUP = "backup"  # take a backup through the running board (admin)
    # issue #25: assign, resolve, inform, reopen and annotate feedback items (audited)
    MANAGE_FEEDBACK = "manage_feedback"


P = Permission

ROLES: dict[str, frozenset[Permission]] = {
    "admin": frozenset(Permission),
    "ops": frozenset(
        {
            P.SIGNED_IN,
            P.VIEW_BOARD,
            P.VIEW_WALL,
            P.EXPORT_RECORDS,
            P.EDIT_TARGETS,
            P.IMPORT_DATA,
            P.MANAGE_WALLS,
            P.VIEW_AUDIT,
        }
    ),
    "manager": frozenset(
        {P.SIGNED_IN, P.VIEW_BOARD, P.VIEW_WALL, P.EXPORT_RECORDS, P.EDIT_TARGETS}
    ),
    "rep": frozenset({P.SIGNED_IN, P.VIEW_BOARD, P.VIEW_WALL, P.EXPORT_RECORDS}),
    "viewer": frozenset({P.SIGNED_IN, P.VIEW_BOARD, P.VIEW_WALL, P.EXPORT_RECORDS}),
}

# issue #25: sales operations and managers run the feedback loop (a manager within their
# scope); admin has every permission already. Reps and viewers see the loop, not change it.
ROLES["ops"] = ROLES["ops"] | {P.MANAGE_FEEDBACK}
ROLES["manager"] = ROLES["manager"] | {P.MANAGE_FEEDBACK}

#: What each role is for, shown by ``salesops users`` and the admin page.
ROLE_HELP = {
    "admin": "users, settings and everything else",
    "ops": "sales operations: all data, imports, targets, wall links",
    "manager": "their org subtree: its numbers, records and targets",
    "rep": "their own customers, deals, orders and numbers",
    "viewer": "read-only, in a fixed scope (finance, executives, a meeting-room screen)",
}

#: Permissions a read-only API token keeps (a token never has more than its user).
READ_ONLY = frozenset({P.SIGNED_IN, P.VIEW_BOARD, P.VIEW_WALL, P.EXPORT_RECORDS, P.VIEW_AUDIT})

#: What a wall link may do: look at the wall, nothing else.
WALL_ONLY = frozenset({P.VIEW_WALL})


class RoleError(ValueError):
    """A role name that does not exist, or a role without what its scope needs."""


def check_role(role: str) -> str:
    """``role`` if it is one of :data:`ROLES`, else RoleError naming them."""
    if role not in ROLES:
        raise RoleError(f"unknown role {role!r}; one of: {', '.join(ROLES)}")
    return role


@dataclass(frozen=True)
class ScopeSource:
    """What a user's data scope is made of."""

    role: str
    rep_id: int | None
    org_unit_id: int | None


def scope_for(user: ScopeSource) -> Scope:
    """The data scope of a user: all data for admin and ops; the org subtree for a manager;
    their own data for a rep; a viewer's org unit (or rep) if one is set, else all data.

    A manager without an org unit, or a rep without a rep record, sees nothing rather than
    everything (a scope that matches no rep): a missing link must never widen access."""
    if user.role in ("admin", "ops"):
        return FULL_SCOPE
    if user.role == "manager":
        return Scope.subtree(user.org_unit_id) if user.org_unit_id else NOTHING
    if user.role == "rep":
        return Scope.single_rep(user.rep_id) if user.rep_id else NOTHING
    if user.org_unit_id:
        return Scope.subtree(user.org_unit_id)
    if user.rep_id:
        return Scope.single_rep(user.rep_id)
    return FULL_SCOPE


#: A scope that matches no rep (ids start at 1).
NOTHING = Scope.single_rep(0)
