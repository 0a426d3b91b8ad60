"""``salesops people``: incentive plans and scorecards from YAML, commission statements and
scores on the command line (issue #27)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from salesops.cli.common import TARGETS, open_database
from salesops.cli.names import OUTPUT_FORMATS

people_app = typer.Typer(
    help="People (人员绩效): incentive plans, commission statements, scorecards.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add ``salesops people ...`` to the ``salesops`` app."""
    app.add_typer(people_app, name="people", rich_help_panel=TARGETS)


def _fail(message: str, code: int = 1) -> None:
    Console(stderr=True).print(f"[red]{message}[/red]")
    raise typer.Exit(code)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        _fail(f"{path}: {exc.strerror or exc}")
    raise AssertionError  # unreachable


@people_app.command("load-plans")
def load_plans(
    file: Annotated[Path, typer.Argument(help="YAML: one plan, a list, or {plans: [...]}")],
) -> None:
    """Create or replace incentive plans from YAML (matched by code; audited)."""
    from salesops.auth.audit import Actor
    from salesops.people.plans import PlanError, load_yaml
    from salesops.people.statements import save_plan

    try:
        plans = load_yaml(_read(file), where=str(file))
    except PlanError as exc:
        _fail(str(exc))
    engine = open_database()
    for rules in plans:
        save_plan(engine, rules, Actor.cli())
        Console().print(f"saved plan {rules.code} ({rules.name})")


@people_app.command("load-scorecard")
def load_scorecard(file: Annotated[Path, typer.Argument(help="YAML: one scorecard")]) -> None:
    """Create or update a scorecard from YAML (items matched by code; audited)."""
    import yaml

    from salesops.auth.audit import Actor
    from salesops.people.scorecards import parse_scorecard, save_scorecard
    from salesops.people.statements import PeopleError

    try:
        card = parse_scorecard(yaml.safe_load(_read(file)), where=str(file))
        save_scorecard(open_database(), card, Actor.cli())
    except yaml.YAMLError as exc:
        _fail(f"{file}: not valid YAML ({exc})")
    except PeopleError as exc:
        _fail(str(exc))
    Console().print(f"saved scorecard {card.code} ({len(card.items)} items)")


def _rep_id(engine: Any, rep: str) -> int:
    from sqlalchemy import or_, select

    from salesops.db.schema import Rep

    with engine.connect() as conn:
        ids = list(
            conn.execute(
                select(Rep.id).where(
                    or_(Rep.name == rep, Rep.external_id == rep)
                    | (Rep.id == (int(rep) if rep.isdigit() else -1))
                )
            ).scalars()
        )
    if len(ids) != 1:
        _fail(f"no single sales rep {rep!r} (name, external id or id)")
    return int(ids[0])


@people_app.command("statement")
def statement(
    rep: Annotated[str, typer.Option("--rep", help="name, external id or id")],
    period: Annotated[str, typer.Option("--period", help="2026-Q1 / 2026-03 / 2026")],
    plan: Annotated[
        str | None, typer.Option("--plan", help="plan code (default: the rep's)")
    ] = None,
    what_if: Annotated[
        list[int], typer.Option("--what-if", help="open deal id counted as won")
    ] = [],  # noqa: B006
    fmt: Annotated[str, typer.Option("--format", help="table | json | csv | xlsx")] = "table",
    output: Annotated[str, typer.Option("-o", help="file (- = standard output)")] = "-",
) -> None:
    """A rep's commission statement: every line, its order or deal, tier, rate and amount."""
    from salesops.people import statements as st
    from salesops.people.plans import PlanError
    from salesops.targets.calendar import PeriodError, parse_period

    if fmt not in (*OUTPUT_FORMATS, "xlsx"):
        _fail(f"--format is one of table, json, csv, xlsx, not {fmt!r}", 2)
    engine = open_database()
    rep_id = _rep_id(engine, rep)
    try:
        code = plan or next(iter(p.rules.code for p in st.plans_for_rep(engine, rep_id)), None)
        if code is None:
            _fail("no incentive plan applies to this rep")
        view = st.statement(engine, str(code), rep_id, parse_period(period), what_if=what_if)
    except (st.PeopleError, PlanError, PeriodError) as exc:
        _fail(str(exc))
    _emit(view, fmt, output)


def _emit(view: Any, fmt: str, output: str) -> None:
    from salesops.formula_safety import csv_row

    if fmt == "xlsx":
        from salesops.people.export import statement_xlsx

        if output == "-":
            _fail("an XLSX goes to a file: -o FILE.xlsx", 2)
        Path(output).write_bytes(statement_xlsx(view, lambda text: text))
        return
    from salesops.people.export import plain

    data = plain(view.to_dict())
    if fmt == "json":
        text = json.dumps(data, ensure_ascii=False, default=str, indent=2) + "\n"
    elif fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        writer = csv.writer(buf)
        keys = ["kind", "source", "source_id", "reference", "day", "credit", "share", "tier",
                "rate", "amount"]  # fmt: skip
        writer.writerow(keys)
        for line in data["lines"]:
            writer.writerow(csv_row([line[k] for k in keys]))
        writer.writerow(csv_row(["total", "", "", "", "", "", "", "", "", data["total"]]))
        text = buf.getvalue()
    else:
        import io

        cols = ("kind", "reference", "day", "credit", "share", "tier", "rate", "amount")
        table = Table(title=f"{data['rep']} · {data['plan_name']} · {data['period']}")
        for col in cols:
            table.add_column(col, justify="right" if col in ("credit", "amount") else "left")
        for ln in data["lines"]:
            table.add_row(*("" if ln[k] is None else str(ln[k]) for k in cols))
        table.add_row("total", "", "", str(data["credit"]), "", "", "", str(data["total"]))
        if output == "-":
            Console().print(table)
            return
        buf = io.StringIO()
        Console(file=buf, width=160).print(table)
        text = buf.getvalue()
    if output == "-":
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")


@people_app.command("scores")
def scores(
    period: Annotated[str, typer.Option("--period", help="2026-Q1 / 2026-03 / 2026")],
    code: Annotated[str | None, typer.Option("--scorecard", help="scorecard code")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table | json | csv")] = "table",
) -> None:
    """Every rep's scorecard score for a period, with rank overall and in the team."""
    from salesops.formula_safety import csv_row
    from salesops.people.scorecards import compute
    from salesops.people.statements import PeopleError
    from salesops.targets.calendar import PeriodError, parse_period

    if fmt not in OUTPUT_FORMATS:
        _fail(f"--format is one of {', '.join(OUTPUT_FORMATS)}, not {fmt!r}", 2)
    try:
        found = compute(open_database(), parse_period(period), code=code)
    except (PeopleError, PeriodError) as exc:
        _fail(str(exc))
    rows = [
        [r.rank, r.rep, r.team, None if r.score is None else float(r.score), r.team_rank]
        for r in sorted(found.reps, key=lambda r: (r.rank or 10**6, r.rep))
    ]
    head = ["rank", "rep", "team", "score", "team_rank"]
    if fmt == "json":
        sys.stdout.write(json.dumps([dict(zip(head, r, strict=True)) for r in rows],
                                    ensure_ascii=False) + "\n")  # fmt: skip
    elif fmt == "csv":
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(head)
        for r in rows:
            writer.writerow(csv_row(list(r)))
    else:
        table = Table(title=f"{found.card.name} · {found.period.label()}")
        for h in head:
            table.add_column(h)
        for r in rows:
            table.add_row(*("" if v is None else str(v) for v in r))
        Console().print(table)
