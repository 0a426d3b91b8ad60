"""``salesops report daily|weekly|monthly|quarterly|yearly``: a review as html, pdf, xlsx or md
(issue #26), built by the same service as the API and the reports page."""

from __future__ import annotations

import sys
from enum import StrEnum

import typer
from rich.console import Console

from salesops.cli.common import NUMBERS, open_database

console = Console(stderr=True)


class Lang(StrEnum):
    zh = "zh"
    en = "en"


class Fmt(StrEnum):
    html = "html"
    pdf = "pdf"
    xlsx = "xlsx"
    md = "md"


report_app = typer.Typer(
    help="Reviews (日报/周报/月报/季度复盘/年度总结) as html, pdf, xlsx or md.\n\n"
    "KPIs against target, previous period and last year, what drove the change, pipeline, "
    "targets, customers, feedback, alerts and action items."
)

_STEPS = ("headline", "bridges", "pipeline", "targets", "customers", "render")


def _run(
    kind: str,
    period: str | None,
    scope: str | None,
    lang: Lang,
    fmt: Fmt,
    out: str,
    archive: bool = False,
) -> None:
    from rich.progress import Progress

    from salesops.reports.assemble import ReportError, build_report
    from salesops.reports.render import RenderError, render

    engine = open_database()
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"{kind} report", total=len(_STEPS))

        def step(name: str) -> None:
            bar.update(task, description=f"{kind} report: {name}", completed=_STEPS.index(name))

        try:
            report = build_report(engine, kind, period, scope, lang.value, progress=step)
            step("render")
            data = render(report, fmt.value)
        except ReportError as exc:
            console.print(f"[red]Error:[/red] {exc}")
            raise typer.Exit(2) from None
        except RenderError as exc:
            console.print(f"[red]Error:[/red] {exc}")
            raise typer.Exit(1) from None
        bar.update(task, completed=len(_STEPS))
    if archive:
        from salesops.auth.audit import Actor
        from salesops.reports.archive import keep

        kept = keep(engine, report, {fmt.value: data}, source="cli", actor=Actor.cli())
        console.print(f"Kept in the archive as report {kept}.", highlight=False)
    if out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    with open(out, "wb") as fh:
        fh.write(data)
    console.print(f"{report.title}: {len(data):,} bytes written to {out}")


def _command(kind: str) -> None:
    def command(
        period: str | None = typer.Option(
            None,
            "--period",
            help="2026-12-01 | 2026-W48 | 2026-11 | 2026-Q4 | 2026 | FY2026-Q2 | FY2026 "
            "(default: the last complete period).",
        ),
        scope: str | None = typer.Option(
            None, "--scope", help="company (default), an org unit or a rep (external id or name)."
        ),
        lang: Lang = typer.Option(Lang.zh, "--lang", help="Language of the report."),
        fmt: Fmt = typer.Option(Fmt.html, "--format", help="html, pdf, xlsx or md."),
        out: str = typer.Option(..., "-o", "--output", help="File to write (- = standard output)."),
        archive: bool = typer.Option(
            False, "--archive", help="Also keep it in the archive (the reports page lists it)."
        ),
    ) -> None:
        _run(kind, period, scope, lang, fmt, out, archive)

    command.__doc__ = f"The {kind} review."
    report_app.command(kind)(command)


for _kind in ("daily", "weekly", "monthly", "quarterly", "yearly"):
    _command(_kind)


# ---------------------------------------------------------------------------- schedules

schedule_app = typer.Typer(
    help="Reviews delivered on a schedule to alert channels (salesops serve runs them).",
    no_args_is_help=True,
)
archive_app = typer.Typer(help="Reviews kept in the archive.", no_args_is_help=True)
report_app.add_typer(schedule_app, name="schedule")
report_app.add_typer(archive_app, name="archive")

FORMATS = ("table", "json", "csv")


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]{message}[/red]", soft_wrap=True, highlight=False)
    return typer.Exit(code=1)


@schedule_app.command("add")
def schedule_add(
    name: str = typer.Argument(..., help="The schedule's name."),
    kind: str = typer.Option(..., "--kind", help="daily, weekly, monthly, quarterly or yearly."),
    cron: str = typer.Option(
        ..., "--cron", help="Cron line in the board's time zone: '30 8 * * 1' = Mondays 08:30."
    ),
    to: list[str] = typer.Option(
        ...,
        "--to",
        help="An alert channel (repeat for more); an e-mail channel may name its addresses: "
        "mail=a@x.cn,b@x.cn.",
    ),
    scope: str | None = typer.Option(
        None, "--scope", help="company (default), an org unit or a rep (external id or name)."
    ),
    lang: Lang = typer.Option(Lang.zh, "--lang", help="Language of the report."),
    formats: str = typer.Option(
        "pdf", "--format", help="What e-mail carries and the archive keeps: pdf,xlsx,md,html."
    ),
    fiscal: bool = typer.Option(
        False, "--fiscal", help="Quarterly/yearly: the last complete fiscal quarter or year."
    ),
) -> None:
    """Deliver a review on a schedule (kept in the archive on each run)."""
    from salesops.auth.audit import Actor
    from salesops.reports.schedules import ScheduleError, add_schedule

    engine = open_database(migrate=True)
    try:
        s = add_schedule(
            engine, name, kind=kind, scope=scope, lang=lang.value, formats=formats.split(","),
            cron=cron, recipients=to, fiscal=fiscal, actor=Actor.cli(),
        )  # fmt: skip
    except ScheduleError as exc:
        raise _fail(str(exc)) from None
    finally:
        engine.dispose()
    console.print(
        f"[green]Saved schedule {s.name!r}: {s.kind} review of {s.scope}, next "
        f"{s.next_due_at:%Y-%m-%d %H:%M} UTC.[/green]",
        soft_wrap=True,
        highlight=False,
    )


def _print(found: list[dict[str, object]], columns: list[str], fmt: str, title: str) -> None:
    from salesops.cli.sources_cmds import _print as print_rows

    if fmt not in FORMATS:
        raise typer.BadParameter(f"unknown format {fmt!r}; one of: {', '.join(FORMATS)}")
    print_rows(found, columns, fmt, title)


@schedule_app.command("list")
def schedule_list(
    fmt: str = typer.Option("table", "--format", "-f", help="table, json or csv."),
) -> None:
    """The schedules, with their next due time (UTC) and last error."""
    from salesops.reports.schedules import list_schedules

    engine = open_database(migrate=True)
    try:
        found = [s.to_json() for s in list_schedules(engine)]
    finally:
        engine.dispose()
    columns = ["name", "kind", "scope", "lang", "formats", "fiscal", "cron", "recipients",
               "next_due_at", "last_run_at", "last_error"]  # fmt: skip
    _print(found, columns, fmt, f"{len(found)} schedule(s)")


@schedule_app.command("remove")
def schedule_remove(name: str = typer.Argument(..., help="The schedule to forget.")) -> None:
    """Forget a schedule (its archived reviews stay)."""
    from salesops.auth.audit import Actor
    from salesops.reports.schedules import ScheduleError, remove_schedule

    engine = open_database(migrate=True)
    try:
        remove_schedule(engine, name, actor=Actor.cli())
    except ScheduleError as exc:
        raise _fail(str(exc)) from None
    finally:
        engine.dispose()
    console.print(f"Removed schedule {name!r}.", highlight=False)


@schedule_app.command("run")
def schedule_run(
    name: str | None = typer.Argument(
        None, help="Run this schedule now (default: run what is due, as the server would)."
    ),
) -> None:
    """Run a schedule now, or whatever is due; then deliver. Exit 1 when a run failed."""
    from salesops.auth.audit import Actor
    from salesops.reports.schedules import ScheduleError, run_due, run_now

    engine = open_database(migrate=True)
    try:
        summary = run_now(engine, name, actor=Actor.cli()) if name else run_due(engine)
    except ScheduleError as exc:
        raise _fail(str(exc)) from None
    finally:
        engine.dispose()
    for r in summary.runs:
        if "error" in r:
            console.print(f"[red]schedule {r['schedule_id']}: {r['error']}[/red]", highlight=False)
        else:
            console.print(
                f"{r['schedule']}: kept as report {r['archive_id']}, {r['queued']} message(s) "
                "queued.",
                highlight=False,
            )
    sent = ", ".join(f"{n} {k}" for k, n in sorted(summary.deliveries.items())) or "nothing"
    console.print(f"Delivered: {sent}.", highlight=False)
    if any("error" in r for r in summary.runs):
        raise typer.Exit(code=1)


@archive_app.command("list")
def archive_list(
    kind: str | None = typer.Option(None, "--kind", help="Only this kind of review."),
    limit: int = typer.Option(50, "--limit", min=1, max=10_000),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json or csv."),
) -> None:
    """Archived reviews, newest first."""
    from salesops.metrics.scope import FULL_SCOPE
    from salesops.reports.archive import list_archive

    engine = open_database(migrate=True)
    try:
        found = [a.to_json() for a in list_archive(engine, FULL_SCOPE, kind=kind, limit=limit)]
    finally:
        engine.dispose()
    for a in found:
        a["formats"] = ",".join(a["formats"])
    columns = ["id", "kind", "period", "scope", "lang", "formats", "source", "generated_by",
               "created_at"]  # fmt: skip
    _print(found, columns, fmt, f"{len(found)} archived report(s)")


@archive_app.command("get")
def archive_get(
    report_id: int = typer.Argument(..., help="The archived report's id."),
    fmt: Fmt = typer.Option(Fmt.pdf, "--format", help="Which of its files."),
    out: str = typer.Option(..., "-o", "--output", help="File to write (- = standard output)."),
) -> None:
    """Write one file of an archived review."""
    from salesops.metrics.scope import FULL_SCOPE
    from salesops.reports.archive import NotFound, get_file

    engine = open_database(migrate=True)
    try:
        _, data = get_file(engine, report_id, fmt.value, FULL_SCOPE)
    except NotFound as exc:
        raise _fail(str(exc)) from None
    finally:
        engine.dispose()
    if out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    with open(out, "wb") as fh:
        fh.write(data)
    console.print(f"{len(data):,} bytes written to {out}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report", rich_help_panel=NUMBERS)
