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
    # issue #28: follow-up tasks and reassigning customers
    MANAGE_TASKS = "manage_tasks"  # create and complete follow-up tasks (within scope)
    REASSIGN_CUSTOMERS = "reassign_customers"  # move customers between reps (within scope)
    # alerts (issue #19)
    ACK_ALERTS = "ack_alerts"  # acknowledge / snooze alerts within scope
    MANAGE_ALERTS = "manage_alerts"  # rules, channels, subscriptions, runs
    # issue #20: forecast calls
    SUBMIT_FORECAST = "submit_forecast"  # submit one's own commit / best case for a period
    ADJUST_FORECAST = "adjust_forecast"  # adjust the calls and roll-up within one's scope
    # issue #27: people and performance
    VIEW_COMMISSION = "view_commission"  # commission statements of reps in scope (a rep: own)
    MANAGE_INCENTIVES = "manage_incentives"  # incentive plans, deal splits, closing statements
    RATE_REPS = "rate_reps"  # scorecard ratings and coaching entries for reps in scope
    PROPOSE_TARGETS = "propose_targets"  # propose next period's target (accepting: EDIT_TARGETS)
    MANAGE_SCORECARDS = "manage_scorecards"  # define scorecards and their items
    # issue #25: assign, resolve, inform, reopen and annotate feedback items (audited)
    MANAGE_FEEDBACK = "manage_feedback"
    # issue #26: keep reviews in the archive and deliver them on a schedule (within scope)
    MANAGE_REPORTS = "manage_reports"


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
            # issue #28
            P.MANAGE_TASKS,
            P.REASSIGN_CUSTOMERS,
        }
    ),
    "manager": frozenset(
        {
            P.SIGNED_IN,
            P.VIEW_BOARD,
            P.VIEW_WALL,
            P.EXPORT_RECORDS,
            P.EDIT_TARGETS,
            # issue #28
            P.MANAGE_TASKS,
            P.REASSIGN_CUSTOMERS,
        }
    ),
    "rep": frozenset(
        {P.SIGNED_IN, P.VIEW_BOARD, P.VIEW_WALL, P.EXPORT_RECORDS, P.MANAGE_TASKS}  # #28: tasks
    ),
    "viewer": frozenset({P.SIGNED_IN, P.VIEW_BOARD, P.VIEW_WALL, P.EXPORT_RECORDS}),
}

# alerts (issue #19): everyone who acts on numbers acknowledges the alerts in their scope;
# sales operations keep the rules and channels.
ROLES["ops"] = ROLES["ops"] | {P.ACK_ALERTS, P.MANAGE_ALERTS}
ROLES["manager"] = ROLES["manager"] | {P.ACK_ALERTS}
ROLES["rep"] = ROLES["rep"] | {P.ACK_ALERTS}
# issue #20: reps submit forecast calls; managers and ops also adjust them (admin has all).
ROLES["ops"] = ROLES["ops"] | {P.SUBMIT_FORECAST, P.ADJUST_FORECAST}
ROLES["manager"] = ROLES["manager"] | {P.SUBMIT_FORECAST, P.ADJUST_FORECAST}
ROLES["rep"] = ROLES["rep"] | {P.SUBMIT_FORECAST}
# issue #27: people and performance. Commission statements are seen by the rep, their
# managers and finance only (VIEW_COMMISSION within the data scope); a viewer or ops user
# never sees them.
ROLES["admin"] = frozenset(Permission)
ROLES["ops"] = ROLES["ops"] | {P.MANAGE_SCORECARDS}
ROLES["manager"] = ROLES["manager"] | {P.VIEW_COMMISSION, P.RATE_REPS, P.PROPOSE_TARGETS}
ROLES["rep"] = ROLES["rep"] | {P.VIEW_COMMISSION, P.PROPOSE_TARGETS}
ROLES["finance"] = frozenset(
    {
        P.SIGNED_IN,
        P.VIEW_BOARD,
        P.VIEW_WALL,
        P.EXPORT_RECORDS,
        P.VIEW_COMMISSION,
        P.MANAGE_INCENTIVES,
    }
)
# issue #25: sales operations and managers run the feedback loop (a manager within their
# scope); admin has every permission already. Reps and viewers see the loop, not change it.
ROLES["ops"] = ROLES["ops"] | {P.MANAGE_FEEDBACK}
ROLES["manager"] = ROLES["manager"] | {P.MANAGE_FEEDBACK}
# issue #26: sales operations and managers keep reviews and schedule their delivery (a manager
# for their own subtree); reps and viewers read the archive of their scope.
ROLES["ops"] = ROLES["ops"] | {P.MANAGE_REPORTS}
ROLES["manager"] = ROLES["manager"] | {P.MANAGE_REPORTS}

#: What each role is for, shown by ``salesops users`` and the admin page.
ROLE_HELP = {
    "admin": "users, settings and everything else",
    "ops": "sales operations: all data, imports, targets, wall links",
    "manager": "their org subtree: its numbers, records and targets",
    "rep": "their own customers, deals, orders and numbers",
    "viewer": "read-only, in a fixed scope (finance, executives, a meeting-room screen)",
    "finance": "commission: incentive plans, every statement in scope, closing them as paid",
}

#: Permissions a read-only API token keeps (a token never has more than its user).
READ_ONLY = frozenset(
    {P.SIGNED_IN, P.VIEW_BOARD, P.VIEW_WALL, P.EXPORT_RECORDS, P.VIEW_AUDIT, P.VIEW_COMMISSION}
)

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
