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


def _run(kind: str, period: str | None, scope: str | None, lang: Lang, fmt: Fmt, out: str) -> None:
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
            help="2026-12-01 | 2026-W48 | 2026-11 | 2026-Q4 | 2026 "
            "(default: the last complete period).",
        ),
        scope: str | None = typer.Option(
            None, "--scope", help="company (default), an org unit or a rep (external id or name)."
        ),
        lang: Lang = typer.Option(Lang.zh, "--lang", help="Language of the report."),
        fmt: Fmt = typer.Option(Fmt.html, "--format", help="html, pdf, xlsx or md."),
        out: str = typer.Option(..., "-o", "--output", help="File to write (- = standard output)."),
    ) -> None:
        _run(kind, period, scope, lang, fmt, out)

    command.__doc__ = f"The {kind} review."
    report_app.command(kind)(command)


for _kind in ("daily", "weekly", "monthly", "quarterly", "yearly"):
    _command(_kind)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report", rich_help_panel=NUMBERS)
