"""``salesops targets``: set, edit, decompose, show, flags and delete targets."""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from salesops.cli import complete
from salesops.cli.common import TARGETS, open_database
from salesops.cli.names import BASES, ORG_METHODS, TIME_METHODS

if TYPE_CHECKING:
    from salesops.targets.decompose import Decomposition
    from salesops.targets.tree import TreeNode

targets_app = typer.Typer(
    help="Targets (目标): set, decompose over time or the organisation, attainment and pacing.",
    no_args_is_help=True,
)


def _out() -> Console:
    """Created per command, so the terminal width (``COLUMNS``) is read when it runs; output
    to a file or pipe is as wide as the tree needs (160 columns unless COLUMNS says)."""
    console = Console()
    if console.is_terminal or os.environ.get("COLUMNS"):
        return console
    return Console(width=160)


STATUS_STYLE = {
    "ahead": "bold green",
    "on_track": "green",
    "behind": "yellow",
    "at_risk": "bold red",
    "not_started": "dim",
    "no_data": "dim",
}


def register(app: typer.Typer) -> None:
    """Add ``salesops targets ...`` to the ``salesops`` app."""
    app.add_typer(targets_app, name="targets", rich_help_panel=TARGETS)


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"[red]error:[/red] {message}")
    return typer.Exit(2)


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise _fail(f"--as-of must be a date like 2026-03-31, not {text!r}") from exc


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def format_number(value: object, unit: str) -> str:
    """A value for the terminal: money with separators and cents, ratios as percentages."""
    if value is None:
        return "–"
    number = float(str(value))
    if unit == "ratio":
        return f"{number:.1%}"
    if unit == "money":
        return f"{number:,.2f}"
    if unit == "count" and number == int(number):
        return f"{int(number):,}"
    return f"{number:,.2f}"


@targets_app.command("set")
def set_cmd(
    metric: Annotated[
        str,
        typer.Argument(
            help="KPI id, e.g. revenue, bookings, win_rate", autocompletion=complete.kpi_ids
        ),
    ],
    value: Annotated[str, typer.Argument(help="Target value (ratios as fractions: 0.35)")],
    period: Annotated[str, typer.Option(help="2026 (fiscal year), 2026-Q1 or 2026-03")],
    scope: Annotated[
        str,
        typer.Option(
            help="company, region:NAME, team:NAME, rep:NAME, product_line:NAME; "
            "add ;channel:NAME for one sales channel's part"
        ),
    ] = "company",
    parent: Annotated[int | None, typer.Option(help="Id of the parent target")] = None,
    channel: Annotated[
        str | None,
        typer.Option(help="One sales channel's part of the scope's target, e.g. 直销"),
    ] = None,
) -> None:
    """Create a target, or change its value when it exists."""
    from salesops.targets.calendar import PeriodError, parse_period
    from salesops.targets.kpis import MetricError, metric_info
    from salesops.targets.org import Directory, ScopeError
    from salesops.targets.service import TargetError, set_target

    engine = open_database()
    try:
        info = metric_info(metric)
        with engine.connect() as conn:
            target_scope = Directory(conn).parse(scope, channel)
        result = set_target(
            engine, metric, parse_period(period), target_scope, value, parent_id=parent
        )
    except (MetricError, PeriodError, ScopeError, TargetError) as exc:
        raise _fail(str(exc)) from exc
    finally:
        engine.dispose()
    t = result.target
    verb = "created" if result.created else "updated"
    _out().print(
        f"{verb} target {t.id}: {metric} {t.period.label()} {t.scope_text} = "
        f"{format_number(t.value, info.unit)}"
    )


@targets_app.command("edit")
def edit_cmd(
    target_id: Annotated[int, typer.Argument(help="Target id")],
    value: Annotated[str, typer.Argument(help="New value")],
) -> None:
    """Change one target's value by hand (e.g. a child after decomposition)."""
    from salesops.targets.kpis import MetricError, metric_info
    from salesops.targets.service import TargetError, update_target

    engine = open_database()
    try:
        t = update_target(engine, target_id, value=value)
        unit = metric_info(t.metric).unit
    except (MetricError, TargetError) as exc:
        raise _fail(str(exc)) from exc
    finally:
        engine.dispose()
    _out().print(
        f"target {t.id}: {t.metric} {t.period.label()} {t.scope_text} = "
        f"{format_number(t.value, unit)}"
    )


@targets_app.command("decompose")
def decompose_cmd(
    target_id: Annotated[int, typer.Argument(help="Id of the target to split")],
    over: Annotated[str, typer.Option(help="time or org")],
    method: Annotated[
        str,
        typer.Option(
            help=f"time: {', '.join(TIME_METHODS)}; org: {', '.join(ORG_METHODS)}",
        ),
    ] = "even",
    into: Annotated[
        str | None,
        typer.Option(
            help="time: quarter|month; org: region|team|rep|product_line|channel "
            "(default: next level)"
        ),
    ] = None,
    weights: Annotated[
        str | None, typer.Option(help="For --method weights: NAME=WEIGHT,... e.g. 华东=3,华南=2")
    ] = None,
    each_child: Annotated[
        bool,
        typer.Option(
            "--each-child",
            help="Split every child of ID instead (after company → teams: each team → reps)",
        ),
    ] = False,
    level: Annotated[
        str | None,
        typer.Option(help="With --each-child: only children of this level (team, month ...)"),
    ] = None,
) -> None:
    """Split a target into children over time or over the organisation."""
    from salesops.targets.decompose import Over, decompose, decompose_children
    from salesops.targets.kpis import MetricError, metric_info
    from salesops.targets.service import TargetError

    if over not in ("time", "org"):
        raise _fail("--over is time or org")
    axis: Over = "time" if over == "time" else "org"
    engine = open_database()
    try:
        if each_child:
            results = decompose_children(
                engine, target_id, axis, method, level=level, into=into, weights=weights
            )
        else:
            results = [decompose(engine, target_id, axis, method, into=into, weights=weights)]
        unit = metric_info(results[0].plan.parent.metric).unit
    except (MetricError, TargetError) as exc:
        raise _fail(str(exc)) from exc
    finally:
        engine.dispose()
    for result in results:
        _print_decomposition(result, unit)


def _print_decomposition(result: Decomposition, unit: str) -> None:
    plan = result.plan
    how = "copied (a ratio KPI is not split)" if plan.copied else f"by {plan.method}"
    title = f"target {plan.parent.id} ({plan.parent.period.label()} {plan.parent.scope_text})"
    table = Table(title=f"{title} into {len(result.children)} {plan.into}s, {how}")
    table.add_column("id", justify="right")
    table.add_column(plan.into)
    table.add_column("value", justify="right")
    for child, planned in zip(result.children, plan.children, strict=True):
        table.add_row(str(child.id), planned.name, format_number(child.value, unit))
    _out().print(table)
    _out().print(f"created {result.created}, updated {result.updated}, removed {result.removed}")


def _label(node: TreeNode) -> str:
    t = node.target
    return f"{t.period.label()} {t.scope_text}"


@targets_app.command("show")
def show_cmd(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date (default: today)")] = None,
    metric: Annotated[
        str | None, typer.Option(help="Only this KPI", autocompletion=complete.kpi_ids)
    ] = None,
    period: Annotated[str | None, typer.Option(help="Only targets overlapping this period")] = None,
    basis: Annotated[str, typer.Option(help="Pacing by calendar or working days")] = "calendar",
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """The target tree with attainment, pacing and add-up checks."""
    from salesops.targets.calendar import PeriodError, parse_period
    from salesops.targets.kpis import MetricError, metric_info
    from salesops.targets.service import TargetError, target_tree

    if fmt not in ("table", "json"):
        raise _fail("--format is table or json")
    if basis not in BASES:
        raise _fail("--basis is calendar or working")
    day = _date(as_of)
    engine = open_database()
    try:
        roots = target_tree(
            engine,
            metric=metric,
            period=parse_period(period) if period else None,
            as_of=day,
            basis=basis,
        )
    except (MetricError, PeriodError, TargetError) as exc:
        raise _fail(str(exc)) from exc
    finally:
        engine.dispose()
    if fmt == "json":
        out = {
            "as_of": (day or _as_of(roots)),
            "basis": basis,
            "targets": [r.to_dict() for r in roots],
        }
        typer.echo(json.dumps(out, ensure_ascii=False, default=_json_default))
        return
    if not roots:
        _out().print(
            "no targets (add one with: salesops targets set revenue 1000000 --period 2026)"
        )
        return
    table = Table(title=f"Targets as of {_as_of(roots)} ({basis} days)")
    for name in ("id", "target", "kpi", "value", "actual", "attained", "expected", "gap"):
        table.add_column(name, justify="left" if name in ("target", "kpi") else "right")
    for name in ("projection", "pacing", "status", "check"):
        table.add_column(name, justify="right" if name in ("projection", "pacing") else "left")
    units: dict[str, str] = {}
    for root in roots:
        for depth, node in root.walk():
            t = node.target
            unit = units.setdefault(t.metric, metric_info(t.metric).unit)
            a = node.attainment
            status = a.status if a else ""
            table.add_row(
                str(t.id),
                "  " * depth + _label(node),
                t.metric,
                format_number(t.value, unit),
                format_number(a.actual if a else None, unit),
                format_number(a.attainment if a else None, "ratio"),
                format_number(a.expected_to_date if a else None, unit),
                format_number(a.gap if a else None, unit),
                format_number(a.projection if a else None, unit),
                f"{a.pacing:.2f}" if a and a.pacing is not None else "–",
                f"[{STATUS_STYLE.get(status, '')}]{status}[/]" if status else "",
                _checks(node, unit),
            )
    _out().print(table)


def _as_of(roots: list[TreeNode]) -> Any:
    for root in roots:
        if root.attainment is not None:
            return root.attainment.as_of
    return None


def _checks(node: TreeNode, unit: str) -> str:
    parts = []
    for check in node.checks:
        if check.adds_up:
            parts.append(f"{check.level}s ✓")
        else:
            sign = "+" if check.difference > 0 else "−"
            gap = format_number(abs(check.difference), unit)
            parts.append(f"[red]{check.level}s: children {sign}{gap}[/]")
    return ", ".join(parts)


@targets_app.command("flags")
def flags_cmd(
    period: Annotated[
        str | None, typer.Option(help="Period (default: the month containing --as-of)")
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date (default: today)")] = None,
    metric: Annotated[
        str, typer.Option(help="KPI of the rep targets", autocompletion=complete.kpi_ids)
    ] = "revenue",
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Reps under half their team's average attainment or opportunity count."""
    from salesops.targets.attainment import today
    from salesops.targets.calendar import PeriodError, parse_period, period_containing
    from salesops.targets.flags import rep_flags
    from salesops.targets.kpis import MetricError
    from salesops.targets.service import TargetError

    day = _date(as_of) or today()
    engine = open_database()
    try:
        the_period = parse_period(period) if period else period_containing(day, "month")
        flags = rep_flags(engine, the_period, as_of=day, metric=metric)
    except (MetricError, PeriodError, TargetError) as exc:
        raise _fail(str(exc)) from exc
    finally:
        engine.dispose()
    if fmt == "json":
        typer.echo(
            json.dumps(
                {"period": the_period.label(), "as_of": day, "flags": [f.to_dict() for f in flags]},
                ensure_ascii=False,
                default=_json_default,
            )
        )
        return
    table = Table(title=f"Reps far below their team, {the_period.label()} as of {day}")
    for name in ("rep", "team", "measure", "rep value", "team average", "ratio"):
        table.add_column(name)
    for f in flags:
        unit = "ratio" if f.reason == "attainment" else "count"
        avg = f"{f.team_average:.1%}" if unit == "ratio" else f"{f.team_average:.1f}"
        table.add_row(f.rep, f.team, f.reason, format_number(f.value, unit), avg, f"{f.ratio:.0%}")
    _out().print(table if flags else "no rep is under half of their team's average")


@targets_app.command("delete")
def delete_cmd(
    target_id: Annotated[int, typer.Argument(help="Target id")],
    cascade: Annotated[bool, typer.Option(help="Also delete every target below it")] = False,
) -> None:
    """Delete a target (with --cascade, its whole subtree)."""
    from salesops.targets.service import TargetError, delete_target

    engine = open_database()
    try:
        count = delete_target(engine, target_id, cascade=cascade)
    except TargetError as exc:
        raise _fail(str(exc)) from exc
    finally:
        engine.dispose()
    _out().print(f"deleted {count} target(s)")
