"""``salesops users``, ``salesops tokens``, ``salesops walls`` and ``salesops audit``.

The CLI is the operator's own machine: it needs no sign-in, and what it changes is audited as
``cli:OSUSER``. Services are imported inside the commands (the CLI starts fast)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

users_app = typer.Typer(
    help="Users who sign in to the board: roles and data scope.", no_args_is_help=True
)
tokens_app = typer.Typer(help="API tokens for scripts and integrations.", no_args_is_help=True)
walls_app = typer.Typer(
    help="Wall links for meeting-room screens (kiosk mode).", no_args_is_help=True
)

FORMATS = ("table", "json", "csv")
DEFAULT_URL = "http://127.0.0.1:8000"


def _err() -> Console:
    return Console(stderr=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    _err().print(f"[red]error:[/red] {message}", soft_wrap=True, markup=True, highlight=False)
    return typer.Exit(code)


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise _fail(f"--format is one of {', '.join(FORMATS)}, not {fmt!r}", 2)
    return fmt


def _emit(rows: list[dict[str, Any]], columns: Sequence[str], fmt: str, title: str) -> None:
    """Print rows as a table, JSON (``{"rows": [...]}``) or CSV on standard output."""
    if fmt == "json":
        print(json.dumps({"rows": rows}, ensure_ascii=False, default=str, indent=1))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        from salesops.formula_safety import csv_cell

        for row in rows:
            writer.writerow({k: csv_cell(row.get(k)) for k in columns})
    else:
        table = Table(title=title, title_justify="left")
        for col in columns:
            table.add_column(col)
        for row in rows:
            table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
        Console().print(table)


@contextmanager
def _database() -> Iterator[Any]:
    """The configured database for one command: a refused change (unknown user, bad role,
    weak password …) ends the command with its reason and exit 1; the engine is closed."""
    engine = _engine()
    try:
        yield engine
    except _user_errors() as exc:
        raise _fail(str(exc)) from None
    finally:
        engine.dispose()


def _engine() -> Any:
    from salesops.cli.common import open_database

    return open_database(migrate=True)


def _actor() -> Any:
    from salesops.auth.audit import Actor

    return Actor.cli()


def _read_password(from_stdin: bool, *, confirm: bool = True) -> str:
    """A password from standard input (one line) or a hidden prompt; never an argument."""
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=confirm))


def _link(url: str, token: str) -> str:
    from urllib.parse import quote

    return f"{url.rstrip('/')}/login/link?token={quote(token)}"


def _user_errors() -> tuple[type[Exception], ...]:
    from salesops.auth.passwords import PasswordPolicyError
    from salesops.auth.roles import RoleError
    from salesops.auth.sessions import SignInError
    from salesops.auth.users import UserError

    return (UserError, RoleError, PasswordPolicyError, SignInError)


# --------------------------------------------------------------------------- users


@users_app.command("add")
def users_add(
    login: Annotated[str, typer.Argument(help="Login name (no spaces).")],
    role: Annotated[
        str, typer.Option("--role", help="admin | ops | manager | rep | viewer | finance")
    ],
    rep: Annotated[
        str | None, typer.Option("--rep", help="The rep they are (external id).")
    ] = None,
    org_unit: Annotated[
        str | None, typer.Option("--org-unit", help="Root of their scope (external id).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    email: Annotated[str | None, typer.Option("--email")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    url: Annotated[
        str, typer.Option("--url", help="Board address for the sign-in link.")
    ] = DEFAULT_URL,
) -> None:
    """Add a user; without --password-stdin, print a one-time sign-in link instead."""
    from salesops.auth import sessions, users

    password = _read_password(True) if password_stdin else None
    with _database() as engine:
        user = users.add_user(
            engine,
            login,
            role=role,
            password=password,
            rep=rep,
            org_unit=org_unit,
            display_name=name,
            email=email,
            actor=_actor(),
        )
        link = None
        if password is None:
            link = sessions.create_sign_in_link(engine, user.username, actor=_actor())
    _err().print(
        f"Added [bold]{user.username}[/bold] ({user.role}, scope: {user.describe_scope()})."
    )
    if link:
        _err().print("One-time sign-in link (24 hours):")
        print(_link(url, link))


@users_app.command("list")
def users_list(
    fmt: Annotated[str, typer.Option("--format", help="table | json | csv")] = "table",
) -> None:
    """Users with their role, rep, org unit and state."""
    from salesops.auth import users

    _check_format(fmt)
    with _database() as engine:
        found = users.list_users(engine)
    rows = [
        {
            "login": u.username,
            "name": u.display_name,
            "role": u.role,
            "rep": u.rep,
            "org_unit": u.org_unit,
            "scope": u.describe_scope(),
            "active": u.active,
            "created_at": u.created_at,
        }
        for u in found
    ]
    _emit(rows, ["login", "name", "role", "rep", "org_unit", "scope", "active"], fmt, "Users")


@users_app.command("set-role")
def users_set_role(
    login: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Argument(help="admin | ops | manager | rep | viewer | finance")],
    rep: Annotated[
        str | None, typer.Option("--rep", help="The rep they are (external id).")
    ] = None,
    org_unit: Annotated[str | None, typer.Option("--org-unit", help="Root of their scope.")] = None,
) -> None:
    """Change a user's role (and rep / org unit); their sessions end."""
    from salesops.auth import users

    with _database() as engine:
        user = users.set_role(engine, login, role, rep=rep, org_unit=org_unit, actor=_actor())
    _err().print(f"{user.username} is now {user.role} (scope: {user.describe_scope()}).")


def _set_active(login: str, active: bool) -> None:
    from salesops.auth import users

    with _database() as engine:
        user = users.set_active(engine, login, active, actor=_actor())
    _err().print(f"{user.username} is {'enabled' if active else 'disabled'}.")


@users_app.command("disable")
def users_disable(login: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Disable a user: their sessions end and their tokens stop working."""
    _set_active(login, False)


@users_app.command("enable")
def users_enable(login: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Enable a disabled user again."""
    _set_active(login, True)


@users_app.command("reset-password")
def users_reset_password(
    login: Annotated[str, typer.Argument(help="Login name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set a new password (prompted, hidden); every session of the user ends."""
    from salesops.auth import users

    password = _read_password(password_stdin)
    with _database() as engine:
        users.set_password(engine, login, password, actor=_actor())
    _err().print(f"Password of {login} changed; their sessions ended.")


@users_app.command("link")
def users_link(
    login: Annotated[str, typer.Argument(help="Login name.")],
    hours: Annotated[int, typer.Option("--hours", min=1, max=720)] = 24,
    url: Annotated[str, typer.Option("--url", help="Board address.")] = DEFAULT_URL,
) -> None:
    """Print a one-time sign-in link for a user."""
    from salesops.auth import sessions

    with _database() as engine:
        token = sessions.create_sign_in_link(engine, login, hours=hours, actor=_actor())
    print(_link(url, token))


@users_app.command("unlock")
def users_unlock(login: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Lift a lockout after failed sign-ins."""
    from salesops.auth import sessions

    with _database() as engine:
        sessions.unlock(engine, login, actor=_actor())
    _err().print(f"{login} may sign in again.")


# --------------------------------------------------------------------------- tokens


@tokens_app.command("create")
def tokens_create(
    user: Annotated[str, typer.Option("--user", help="Login name of the token's user.")],
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "api",
    read_only: Annotated[bool, typer.Option("--read-only", help="Reading only.")] = False,
    expires_in: Annotated[
        str, typer.Option("--expires-in", help="30d, 12h, 2w … or never.")
    ] = "90d",
) -> None:
    """Create an API token and print it once (only its hash is kept)."""
    from salesops.auth import tokens

    with _database() as engine:
        expiry = None if expires_in == "never" else tokens.parse_duration(expires_in)
        secret, info = tokens.create_token(
            engine, user, name=name, read_only=read_only, expires_in=expiry, actor=_actor()
        )
    expires = info.expires_at.strftime("%Y-%m-%d %H:%M UTC") if info.expires_at else "never"
    _err().print(
        f"Token {info.id} for {info.user} ({'read-only' if read_only else 'read-write'}, "
        f"expires {expires}). It is shown once:"
    )
    print(secret)


@tokens_app.command("list")
def tokens_list(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's tokens.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table | json | csv")] = "table",
) -> None:
    """Tokens (never their secrets) with expiry, last use and state."""
    from salesops.auth import tokens

    _check_format(fmt)
    with _database() as engine:
        found = tokens.list_tokens(engine, username=user)
    rows = [
        {
            "id": t.id,
            "user": t.user,
            "name": t.name,
            "prefix": t.prefix,
            "access": "read-only" if t.read_only else "read-write",
            "expires_at": t.expires_at,
            "last_used_at": t.last_used_at,
            "state": t.state,
        }
        for t in found
    ]
    _emit(
        rows,
        ["id", "user", "name", "prefix", "access", "expires_at", "last_used_at", "state"],
        fmt,
        "API tokens",
    )


@tokens_app.command("revoke")
def tokens_revoke(token_id: Annotated[int, typer.Argument(help="Token id (tokens list).")]) -> None:
    """Revoke a token: it opens nothing from now on."""
    from salesops.auth import tokens

    with _database() as engine:
        tokens.revoke_token(engine, token_id, actor=_actor())
    _err().print(f"Token {token_id} revoked.")


# --------------------------------------------------------------------------- walls


@walls_app.command("create")
def walls_create(
    name: Annotated[str, typer.Argument(help="Where the screen is, e.g. 'Shanghai meeting room'.")],
    org_unit: Annotated[str | None, typer.Option("--org-unit", help="Scope: this subtree.")] = None,
    rep: Annotated[str | None, typer.Option("--rep", help="Scope: this rep.")] = None,
    expires_in: Annotated[str, typer.Option("--expires-in", help="e.g. 365d.")] = "365d",
    rotate: Annotated[int | None, typer.Option("--rotate", help="Seconds per slide.")] = None,
    url: Annotated[str, typer.Option("--url", help="Board address.")] = DEFAULT_URL,
) -> None:
    """Create a wall link and print it once."""
    from salesops.auth import tokens, walls

    with _database() as engine:
        key, wall = walls.create_wall_link(
            engine,
            name,
            org_unit=org_unit,
            rep=rep,
            expires_in=tokens.parse_duration(expires_in),
            query=f"rotate={rotate}" if rotate else None,
            actor=_actor(),
        )
    _err().print(f"Wall link {wall.id} ({wall.scope_kind}), expires {wall.expires_at:%Y-%m-%d}:")
    print(f"{url.rstrip('/')}/wall/k/{key}")


@walls_app.command("list")
def walls_list(
    fmt: Annotated[str, typer.Option("--format", help="table | json | csv")] = "table",
) -> None:
    """Wall links with scope, expiry and state."""
    from salesops.auth import walls

    _check_format(fmt)
    with _database() as engine:
        found = walls.list_wall_links(engine)
    rows = [
        {
            "id": w.id,
            "name": w.name,
            "prefix": w.prefix,
            "scope": w.scope_kind,
            "expires_at": w.expires_at,
            "state": w.state,
        }
        for w in found
    ]
    _emit(rows, ["id", "name", "prefix", "scope", "expires_at", "state"], fmt, "Wall links")


@walls_app.command("revoke")
def walls_revoke(wall_id: Annotated[int, typer.Argument(help="Wall link id.")]) -> None:
    """Revoke a wall link."""
    from salesops.auth import walls

    with _database() as engine:
        walls.revoke_wall_link(engine, wall_id, actor=_actor())
    _err().print(f"Wall link {wall_id} revoked.")


# --------------------------------------------------------------------------- audit


def _when(text: str | None, option: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise _fail(
            f"{option} must be a date or time like 2026-12-01 or 2026-12-01T08:00", 2
        ) from None


def audit(
    since: Annotated[str | None, typer.Option("--since", help="From this date/time (UTC).")] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Before this date/time (UTC).")
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Only this login (or cli, token…).")
    ] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="e.g. sign_in, import, target.update.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100000)] = 200,
    fmt: Annotated[str, typer.Option("--format", help="table | json | csv")] = "table",
) -> None:
    """The audit log, newest first."""
    from salesops.auth.audit import list_events

    _check_format(fmt)
    start, end = _when(since, "--since"), _when(until, "--until")
    with _database() as engine:
        events = list_events(engine, since=start, until=end, actor=user, action=action, limit=limit)
    rows = [
        {
            "id": e.id,
            "at": e.occurred_at,
            "user": e.actor,
            "action": e.action,
            "object": e.target,
            "outcome": e.outcome,
            "client": e.client,
            "detail": json.dumps(e.detail, ensure_ascii=False, default=str),
        }
        for e in events
    ]
    _emit(
        rows,
        ["id", "at", "user", "action", "object", "outcome", "client", "detail"],
        fmt,
        "Audit log",
    )


def register(app: typer.Typer) -> None:
    """Add ``users``, ``tokens``, ``walls`` and ``audit`` to the ``salesops`` app."""
    from salesops.cli.common import OPERATIONS

    app.add_typer(users_app, name="users", rich_help_panel=OPERATIONS)
    app.add_typer(tokens_app, name="tokens", rich_help_panel=OPERATIONS)
    app.add_typer(walls_app, name="walls", rich_help_panel=OPERATIONS)
    app.command("audit", rich_help_panel=OPERATIONS)(audit)
