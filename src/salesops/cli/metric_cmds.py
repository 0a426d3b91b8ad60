"""``salesops metric``: one KPI by dimensions and periods (SPEC §5); ``salesops bench``."""

from __future__ import annotations

import csv
import io
import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from salesops.cli import complete
from salesops.cli.common import NUMBERS, OPERATIONS
from salesops.formula_safety import csv_cell

FORMATS = ("table", "json", "csv")


def register(app: typer.Typer) -> None:
    """Add ``salesops metric`` and ``salesops bench`` to the ``salesops`` app."""
    app.command("metric", rich_help_panel=NUMBERS)(metric)
    from salesops.bench.cli import bench  # Typer, Rich and the standard library only

    app.command("bench", rich_help_panel=OPERATIONS)(bench)


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(2)


def metric(
    kpi: Annotated[
        str,
        typer.Argument(
            help="KPI id, e.g. revenue, win_rate (see --list).", autocompletion=complete.kpi_ids
        ),
    ] = "",
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by",
            help="Group by a dimension (repeatable).",
            autocompletion=complete.dimension_ids,
        ),
    ] = None,
    grain: Annotated[
        str | None,
        typer.Option(
            help="day | week | month | quarter | year | fiscal_quarter | fiscal_year",
            autocompletion=complete.grains,
        ),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="First day, YYYY-MM-DD (none: all earlier data).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (none: all later data).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Stocks (open pipeline ...) as of this date.")
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where",
            help="Filter DIM=VALUE (repeatable).",
            autocompletion=complete.where_filters,
        ),
    ] = None,
    compare: Annotated[
        str | None, typer.Option(help="prev | yoy", autocompletion=complete.choices("prev", "yoy"))
    ] = None,
    sort: Annotated[
        str | None, typer.Option(help="value, -value, change, period or a --by dimension.")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many rows.")] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", help="table | json | csv", autocompletion=complete.choices(*FORMATS)
        ),
    ] = "table",
    explain: Annotated[
        bool, typer.Option("--explain", help="Show the definition and SQL; do not run it.")
    ] = False,
    records: Annotated[
        int | None, typer.Option("--records", help="List up to N fact rows behind the number.")
    ] = None,
    target_metric: Annotated[
        str | None,
        typer.Option(
            help="For target_attainment / pacing: the KPI targeted.",
            autocompletion=complete.kpi_ids,
        ),
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the KPI catalog.")] = False,
) -> None:
    """One KPI, grouped by dimensions and/or a time grain, over a period, with filters."""
    from salesops.cli.common import open_database
    from salesops.metrics.compiler import MetricQueryError
    from salesops.metrics.engine import MetricsEngine
    from salesops.metrics.request import build_query

    if fmt not in FORMATS:
        raise _fail(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if list_:
        _print_catalog(fmt)
        return
    if not kpi:
        raise _fail("name a KPI, e.g. `salesops metric revenue` (or --list)")
    db = None
    try:
        q = build_query(
            kpi,
            by=by or (),
            grain=grain,
            start=start,
            end=end,
            as_of=as_of,
            where=where or (),
            compare=compare,
            sort=sort,
            limit=limit,
            target_metric=target_metric,
        )
        db = open_database(migrate=False)
        engine = MetricsEngine(db)
        if explain:
            _print_explanation(engine.explain(q).to_json(), fmt)
            return
        if records is not None:
            rows = engine.records(q, limit=max(records, 1))
            _print_rows(q.metric, rows, fmt, title=f"{q.metric}: records")
            return
        result = engine.query(q)
    except MetricQueryError as exc:
        raise _fail(str(exc)) from None
    finally:
        if db is not None:
            db.dispose()
    _print_result(result.to_json(), result.unit, fmt)


def _print_result(payload: dict[str, Any], unit: str, fmt: str) -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return
    rows = payload["rows"]
    if fmt == "csv":
        _write_csv(rows)
        return
    from salesops.metrics import catalog

    kpi = catalog.get(payload["metric"])
    table = Table(title=f"{kpi.name_en} · {kpi.name_zh} ({kpi.id})")
    columns = list(rows[0]) if rows else ["value"]
    numeric = {"value", "previous", "change"}
    for col in columns:
        table.add_column(col, justify="right" if col in numeric else "left")
    for row in rows:
        table.add_row(*(_cell(col, row.get(col), unit) for col in columns))
    Console().print(table)


def _cell(col: str, value: Any, unit: str) -> str:
    if value is None:
        return "—"
    if col == "change" or (col in ("value", "previous") and unit == "ratio"):
        return f"{float(value) * 100:.1f}%"
    if col in ("value", "previous") and isinstance(value, float):
        return f"{value:,.2f}"
    if col in ("value", "previous") and isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _write_csv(rows: list[dict[str, Any]]) -> None:
    buffer = io.StringIO()
    columns = list(rows[0]) if rows else ["value"]
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        # dimension values and records are imported text: never a formula in a spreadsheet
        writer.writerow({k: "" if v is None else csv_cell(v) for k, v in row.items()})
    sys.stdout.write(buffer.getvalue())


def _print_rows(metric: str, rows: list[dict[str, Any]], fmt: str, title: str) -> None:
    plain = [{k: _plain(v) for k, v in r.items()} for r in rows]
    if fmt == "json":
        sys.stdout.write(json.dumps({"metric": metric, "records": plain}, ensure_ascii=False))
        sys.stdout.write("\n")
    elif fmt == "csv":
        _write_csv(plain)
    else:
        table = Table(title=title)
        for col in plain[0] if plain else ["(no rows)"]:
            table.add_column(col)
        for r in plain:
            table.add_row(*("" if v is None else str(v) for v in r.values()))
        Console().print(table)


def _plain(value: Any) -> Any:
    from datetime import date, datetime
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _print_explanation(info: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps(info, ensure_ascii=False) + "\n")
        return
    out = Console()
    out.print(f"[bold]{info['name_en']} · {info['name_zh']}[/bold] ({info['metric']})")
    out.print(
        f"unit: {info['unit']}   good: {info['good']}   fact: {info['fact']} ({info['time']})"
    )
    out.print(f"formula: {info['formula']}", highlight=False)
    out.print(info["description_en"], highlight=False)
    out.print(info["description_zh"], highlight=False)
    from rich.syntax import Syntax  # pygments: only when the SQL is shown

    out.print(Syntax(info["sql"], "sql", word_wrap=True))


def _print_catalog(fmt: str) -> None:
    from salesops.metrics import catalog

    rows = [
        {
            "id": k.id,
            "name_zh": k.name_zh,
            "name_en": k.name_en,
            "unit": k.unit,
            "good": k.good,
            "formula": k.formula_text,
        }
        for k in catalog.all_kpis()
    ]
    if fmt == "json":
        sys.stdout.write(json.dumps({"metrics": rows}, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        _write_csv(rows)
    else:
        table = Table(title="KPI catalog · 指标目录")
        for col in ("id", "name_zh", "name_en", "unit", "good"):
            table.add_column(col)
        for r in rows:
            table.add_row(*(str(r[c]) for c in ("id", "name_zh", "name_en", "unit", "good")))
        Console().print(table)
