"""``salesops tasks``: follow-up tasks (issue #28) — run the task rules, list tasks, show and
set the rules' settings. ``run-rules`` is idempotent: a scheduler may call it as often as it
likes (one task per warning)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from enum import StrEnum

import typer
from rich.console import Console
from rich.table import Table

from salesops.cli.common import OPERATIONS, open_database


class Format(StrEnum):
    table = "table"
    json = "json"


tasks_app = typer.Typer(help="Follow-up tasks: run the task rules, list tasks, rule settings.")


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        typer.echo(f"Error: {value!r} is not a date (YYYY-MM-DD).", err=True)
        raise typer.Exit(2) from None


@tasks_app.command("run-rules")
def run_rules_cmd(
    rule: list[str] = typer.Option([], "--rule", help="Only this rule (repeatable)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Run as of this date (YYYY-MM-DD)."),
    fmt: Format = typer.Option(Format.table, "--format"),
) -> None:
    """Create the tasks new warnings call for; warnings with a task are skipped.

    Rules: churn warnings, overdue receivables, detractors' feedback, stuck deals, care
    plans. Safe to run as often as one likes (one task per warning)."""
    from salesops.auth.audit import Actor
    from salesops.customers.rules import RuleError, run_rules

    engine = open_database()
    try:
        runs = run_rules(engine, as_of=_date(as_of), names=rule or None, actor=Actor.cli())
    except RuleError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    if fmt == Format.json:
        typer.echo(json.dumps([dataclasses.asdict(r) for r in runs]))
        return
    table = Table("rule", "enabled", "warnings", "created", "skipped")
    for r in runs:
        table.add_row(
            r.name, "yes" if r.enabled else "no", str(r.found), str(r.created), str(r.skipped)
        )
    Console().print(table)


@tasks_app.command("list")
def list_cmd(
    status: str = typer.Option("open", "--status", help="open, done or cancelled."),
    overdue: bool = typer.Option(False, "--overdue", help="Only open tasks past their due date."),
    fmt: Format = typer.Option(Format.table, "--format"),
) -> None:
    """Tasks (all of them: the command line has the full data scope)."""
    from salesops.customers.tasks import TaskError, list_tasks
    from salesops.metrics.scope import FULL_SCOPE

    engine = open_database()
    try:
        items = list_tasks(engine, FULL_SCOPE, status=status, overdue_only=overdue, limit=10_000)
    except TaskError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    if fmt == Format.json:
        typer.echo(json.dumps([t.as_dict() for t in items], default=str, ensure_ascii=False))
        return
    table = Table("id", "due", "customer", "kind", "owner", "source", "status", "title")
    for t in items:
        table.add_row(
            str(t.id),
            str(t.due_on or ""),
            t.customer or "",
            t.kind,
            t.owner or "",
            t.source,
            t.status + (" (overdue)" if t.overdue else ""),
            t.title or "",
        )
    Console().print(table)


@tasks_app.command("rules")
def rules_cmd(
    name: str | None = typer.Argument(None, help="A rule to change (none: list them)."),
    enable: bool | None = typer.Option(None, "--enable/--disable"),
    due_days: int | None = typer.Option(None, "--due-days", help="Tasks due this many days on."),
    set_: list[str] = typer.Option([], "--set", help="A rule setting, KEY=VALUE (repeatable)."),
) -> None:
    """The task rules and their settings; with a NAME and options, change that rule."""
    from salesops.auth.audit import Actor
    from salesops.customers.rules import RuleError, configure_rule, rule_configs

    engine = open_database()
    if name is not None:
        settings: dict[str, str] = {}
        for item in set_:
            key, sep, value = item.partition("=")
            if not sep:
                typer.echo(f"Error: --set takes KEY=VALUE, not {item!r}.", err=True)
                raise typer.Exit(2)
            settings[key.strip()] = value.strip()
        try:
            configure_rule(
                engine, Actor.cli(), name, enabled=enable, due_days=due_days, settings=settings
            )
        except RuleError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(2) from None
    with engine.connect() as conn:
        configs = rule_configs(conn)
    table = Table("rule", "enabled", "kind", "due days", "settings")
    for c in configs:
        table.add_row(
            c.name, "yes" if c.enabled else "no", c.kind, str(c.due_days), json.dumps(c.settings)
        )
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(tasks_app, name="tasks", rich_help_panel=OPERATIONS)
