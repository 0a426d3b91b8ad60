"""``salesops alerts``: list alerts, run or test rules, import rules, set up channels."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from salesops.cli.common import OPERATIONS, open_database

alerts_app = typer.Typer(
    help="Alerts (预警): rules, their runs, and messages to DingTalk, WeCom, Feishu, Slack, "
    "e-mail or a webhook.",
    no_args_is_help=True,
)

FormatOpt = Annotated[str, typer.Option("--format", help="table or json.")]


def register(app: typer.Typer) -> None:
    """Add ``salesops alerts ...`` to the ``salesops`` app."""
    app.add_typer(alerts_app, name="alerts", rich_help_panel=OPERATIONS)


def _fail(message: str, code: int = 2) -> typer.Exit:
    Console(stderr=True).print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _check_format(fmt: str) -> None:
    if fmt not in ("table", "json"):
        raise _fail(f"unknown format {fmt!r}; use table or json")


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@alerts_app.command("list")
def list_alerts(
    state: Annotated[str, typer.Option(help="active, snoozed, acknowledged or all.")] = "active",
    severity: Annotated[str | None, typer.Option(help="info, warning or critical.")] = None,
    rule: Annotated[str | None, typer.Option(help="Only this rule's alerts.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    fmt: FormatOpt = "table",
) -> None:
    """Alerts that fired, newest first, with their numbers."""
    from salesops.alerts.store import alert_rows
    from salesops.metrics.scope import FULL_SCOPE

    _check_format(fmt)
    if state not in ("active", "snoozed", "acknowledged", "all"):
        raise _fail("state is active, snoozed, acknowledged or all")
    rows = alert_rows(
        open_database(), FULL_SCOPE, state=state, severity=severity, rule=rule, limit=limit
    )
    if fmt == "json":
        _print_json({"alerts": rows})
        return
    table = Table("id", "fired (UTC)", "severity", "rule", "period", "what", "sent")
    for r in rows:
        sent = ", ".join(f"{d['channel']}:{d['status']}" for d in r["deliveries"])
        table.add_row(
            str(r["id"]),
            r["fired_at"][:16],
            r["severity"],
            r["rule"],
            r["period"],
            r["explanation"]["what"]["en"],
            sent,
        )
    Console().print(table)


@alerts_app.command("rules")
def list_rules_cmd(fmt: FormatOpt = "table") -> None:
    """The rules, each in words."""
    from salesops.alerts.store import list_rules

    _check_format(fmt)
    rules = list_rules(open_database())
    if fmt == "json":
        _print_json(
            {
                "rules": [
                    {**r.spec.model_dump(exclude_defaults=True), "words": r.words} for r in rules
                ]
            }
        )
        return
    table = Table("name", "kind", "severity", "schedule", "enabled", "rule")
    for r in rules:
        s = r.spec
        table.add_row(s.name, s.kind, s.severity, s.schedule, str(s.enabled), r.words["en"])
    Console().print(table)


@alerts_app.command("import")
def import_rules(
    file: Annotated[typer.FileText, typer.Argument(help="A YAML file of rules ('-': stdin).")],
) -> None:
    """Create or update rules from a YAML file (rules of the same name are replaced)."""
    from salesops.alerts.rules import RuleError, load_yaml
    from salesops.alerts.store import save_rules
    from salesops.auth.audit import Actor

    try:
        specs = load_yaml(file.read())
        counts = save_rules(open_database(), specs, Actor.cli())
    except RuleError as exc:
        raise _fail(str(exc), 1) from None
    typer.echo(f"{counts['created']} rule(s) created, {counts['updated']} updated")


@alerts_app.command("export")
def export_rules() -> None:
    """Every rule as YAML on standard output (``salesops alerts import`` reads it back)."""
    from salesops.alerts.rules import dump_yaml
    from salesops.alerts.store import list_rules

    typer.echo(dump_yaml([r.spec for r in list_rules(open_database())]), nl=False)


@alerts_app.command("defaults")
def install_defaults() -> None:
    """Add the default rule set (rules that exist by name are left as they are)."""
    from salesops.alerts.defaults import install

    made = install(open_database())
    typer.echo(f"{made} default rule(s) added")


@alerts_app.command("test")
def test_rule(
    rule: Annotated[str, typer.Argument(help="The rule's name.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Evaluate as of YYYY-MM-DD.")] = None,
    fmt: FormatOpt = "table",
) -> None:
    """Evaluate one rule now and show what it would fire (nothing is stored or sent)."""
    import datetime as dt

    from salesops.alerts.service import evaluate_rule
    from salesops.alerts.store import NotFound, get_rule
    from salesops.config import local_today

    _check_format(fmt)
    engine = open_database()
    try:
        stored = get_rule(engine, rule)
        day = dt.date.fromisoformat(as_of) if as_of else local_today()
    except NotFound as exc:
        raise _fail(str(exc), 1) from None
    except ValueError:
        raise _fail(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None
    findings = evaluate_rule(engine, stored, day)
    found = [f.explanation(stored.spec) | {"subject": f.subject, "link": f.link} for f in findings]
    if fmt == "json":
        _print_json({"rule": rule, "as_of": day, "words": stored.words, "fired": found})
        return
    typer.echo(f"{rule}: {stored.words['en']}  (as of {day})")
    table = Table("subject", "period", "what", "contributors / items")
    for f in found:
        extra = f["contributors"] or f["items"]
        names = ", ".join(str(x.get("name")) for x in extra[:5])
        table.add_row(f["subject"] or "-", f["period"]["label"], f["what"]["en"], names)
    Console().print(table)
    typer.echo(f"{len(found)} alert(s) would fire")


@alerts_app.command("run")
def run_cmd(
    force: Annotated[bool, typer.Option(help="Evaluate every enabled rule now.")] = False,
    rule: Annotated[str | None, typer.Option(help="Only this rule.")] = None,
    fmt: FormatOpt = "table",
) -> None:
    """Evaluate the rules that are due (for cron), store what fires and send the outbox."""
    from salesops.alerts.service import run

    _check_format(fmt)
    report = run(open_database(), force=force, only=rule)
    if fmt == "json":
        _print_json(report.to_json())
    else:
        typer.echo(
            f"{report.status}: {len(report.evaluated)} rule(s) evaluated, "
            f"{sum(report.fired.values())} alert(s) fired, delivery {report.delivery}"
        )
        for name, err in report.errors.items():
            typer.echo(f"  {name}: {err}", err=True)
    if report.errors:
        raise typer.Exit(1)


@alerts_app.command("channel")
def add_channel(
    name: Annotated[str, typer.Argument()],
    kind: Annotated[str, typer.Argument(help="dingtalk, wecom, feishu, slack, webhook or email.")],
    url: Annotated[
        str | None, typer.Option(envvar="SALESOPS_CHANNEL_URL", help="Webhook URL (or env).")
    ] = None,
    secret: Annotated[
        str | None, typer.Option(envvar="SALESOPS_CHANNEL_SECRET", help="Signing secret.")
    ] = None,
    setting: Annotated[
        list[str] | None, typer.Option(help="KEY=VALUE (e-mail: host, port, from, to, username).")
    ] = None,
) -> None:
    """Create or replace a channel; the URL and secret are stored sealed, never shown."""
    from salesops.auth.audit import Actor
    from salesops.notify.channels import ChannelError
    from salesops.notify.outbox import save_channel

    settings: dict[str, Any] = {}
    for item in setting or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise _fail(f"--setting {item!r}: use KEY=VALUE")
        settings[key] = value.split(",") if key == "to" else value
    password = settings.pop("password", None)
    try:
        save_channel(
            open_database(),
            name,
            kind,
            target=password if kind == "email" else url,
            secret=secret,
            settings=settings,
            actor=Actor.cli(),
        )
    except ChannelError as exc:
        raise _fail(str(exc), 1) from None
    typer.echo(f"channel {name} saved")


@alerts_app.command("channels")
def list_channels_cmd(fmt: FormatOpt = "table") -> None:
    """Channels (URLs and secrets are never shown, only a hint)."""
    from salesops.notify.outbox import list_channels

    _check_format(fmt)
    rows = list_channels(open_database())
    if fmt == "json":
        _print_json({"channels": rows})
        return
    table = Table("name", "kind", "target", "signed", "subscriptions")
    for r in rows:
        table.add_row(r["name"], r["kind"], r["hint"], str(r["signed"]), str(r["subscriptions"]))
    Console().print(table)


@alerts_app.command("subscribe")
def subscribe_cmd(
    channel: Annotated[str, typer.Argument()],
    kind: Annotated[str, typer.Option(help="all, org_unit, user or role.")] = "all",
    who: Annotated[str | None, typer.Option(help="The org unit, login or role.")] = None,
    min_severity: Annotated[str, typer.Option(help="info, warning or critical.")] = "info",
) -> None:
    """Send a channel the alerts that a subscriber's scope covers."""
    from salesops.auth.audit import Actor
    from salesops.notify.channels import ChannelError
    from salesops.notify.outbox import subscribe

    try:
        subscribe(
            open_database(),
            channel,
            kind=kind,
            who=who,
            min_severity=min_severity,
            actor=Actor.cli(),
        )
    except ChannelError as exc:
        raise _fail(str(exc), 1) from None
    typer.echo("subscribed")


@alerts_app.command("resend")
def resend_cmd(
    ids: Annotated[
        list[int] | None, typer.Argument(help="Delivery ids (see `alerts deliveries`).")
    ] = None,
    unconfirmed: Annotated[
        bool, typer.Option("--unconfirmed", help="Every unconfirmed message.")
    ] = False,
) -> None:
    """Send unconfirmed or failed messages again (check the group first).

    An unconfirmed message may have gone out: its sender stopped before the answer was
    recorded."""
    from salesops.auth.audit import Actor
    from salesops.notify.outbox import ResendError, resend

    if bool(ids) == unconfirmed:
        raise _fail("give delivery ids or --unconfirmed")
    try:
        queued = resend(open_database(), None if unconfirmed else list(ids or []), Actor.cli())
    except ResendError as exc:
        raise _fail(str(exc), 1) from None
    typer.echo(f"{len(queued)} message(s) queued again: {', '.join(map(str, queued)) or '-'}")


@alerts_app.command("deliveries")
def deliveries_cmd(
    status: Annotated[
        str | None, typer.Option(help="Only this status (e.g. unconfirmed, failed).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    fmt: FormatOpt = "table",
) -> None:
    """Outbox messages, newest first: id, alert, channel, status, tries, last error."""
    from salesops.notify.outbox import outbox_rows

    _check_format(fmt)
    rows = outbox_rows(open_database(), status=status, limit=limit)
    if fmt == "json":
        _print_json(rows)
        return
    table = Table("id", "alert", "channel", "recipient", "status", "tries", "error")
    for r in rows:
        table.add_row(
            str(r["id"]),
            str(r["alert_id"]),
            r["channel"],
            r["recipient"] or "",
            r["status"],
            str(r["attempts"]),
            r["last_error"] or "",
        )
    Console().print(table)


@alerts_app.command("send-test")
def send_test_cmd(
    channel: Annotated[str, typer.Argument(help="The channel's name.")],
    fmt: FormatOpt = "table",
) -> None:
    """Send a test message through a channel now and show the answer."""
    from salesops.notify.channels import ChannelError
    from salesops.notify.outbox import send_test

    _check_format(fmt)
    try:
        outcome = send_test(open_database(), channel)
    except ChannelError as exc:
        raise _fail(str(exc), 1) from None
    data = {
        "channel": channel,
        "status": outcome.status,
        "code": outcome.code,
        "detail": outcome.detail,
    }
    if fmt == "json":
        _print_json(data)
    else:
        typer.echo(f"{channel}: {outcome.status} ({outcome.code}) {outcome.detail}")
    if outcome.status != "sent":
        raise typer.Exit(1)
