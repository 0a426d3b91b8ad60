"""``salesops forecast``: landing forecast, time series, backtests, scoring and calls."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from salesops.cli.common import NUMBERS, open_database
from salesops.cli.names import SERIES_METHODS

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from salesops.metrics.scope import Scope

forecast_app = typer.Typer(
    help="Forecasts (预测): quarter landing, time series with intervals, backtests, calls.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add ``salesops forecast ...`` to the ``salesops`` app."""
    app.add_typer(forecast_app, name="forecast", rich_help_panel=NUMBERS)


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"[red]error:[/red] {message}")
    return typer.Exit(2)


def _date(text: str | None) -> dt.date:
    from salesops.analysis.common import resolve_as_of

    if not text:
        return resolve_as_of(None)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _fail(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def _scope(engine: Engine, team: str | None, rep: str | None) -> Scope:
    from salesops.forecast.store import NotInScope, resolve_target
    from salesops.metrics.scope import FULL_SCOPE, Scope

    if not team and not rep:
        return FULL_SCOPE
    with engine.connect() as conn:
        try:
            target = resolve_target(conn, FULL_SCOPE, rep, team)
        except NotInScope as exc:
            raise _fail(str(exc)) from None
    if target.rep_id:
        return Scope.single_rep(target.rep_id)
    assert target.org_unit_id is not None
    return Scope.subtree(target.org_unit_id)


def _period(text: str | None, as_of: dt.date) -> Any:
    from salesops.targets.calendar import PeriodError, parse_period, period_containing

    if not text:
        return period_containing(as_of, "quarter")
    try:
        return parse_period(text)
    except PeriodError as exc:
        raise _fail(str(exc)) from None


def _money(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


PeriodOpt = Annotated[
    str | None, typer.Option("--period", help="2026-Q4, 2026-11 or 2026 (default: this quarter)")
]
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="forecast as of this day (default today)")
]
TeamOpt = Annotated[
    str | None, typer.Option("--team", help="an org unit's id or name (its subtree)")
]
RepOpt = Annotated[str | None, typer.Option("--rep", help="a sales rep's id or name")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


@forecast_app.command("landing")
def landing_cmd(
    period: PeriodOpt = None,
    as_of: AsOfOpt = None,
    team: TeamOpt = None,
    rep: RepOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Where the period will land: closed + weighted pipeline + new business, vs target."""
    from salesops.auth.audit import Actor
    from salesops.forecast.service import landing_view

    engine = open_database()
    day = _date(as_of)
    scope = _scope(engine, team, rep)
    view = landing_view(engine, scope, _period(period, day), day, actor=Actor.cli())
    assert view is not None
    if as_json:
        typer.echo(json.dumps(view.to_dict(), ensure_ascii=False, default=str, indent=1))
        return
    land = view.landing
    out = Console()
    out.print(
        f"[bold]{land.period}[/bold] as of {land.as_of}: expected"
        f" [bold]{_money(land.expected)}[/bold] "
        f"(80% range {_money(land.low)} – {_money(land.high)})"
    )
    out.print(
        f"  closed to date {_money(land.closed_to_date)} + pipeline"
        f" {_money(land.pipeline_expected)} "
        f"+ new business {_money(land.new_expected)}"
    )
    if land.target is not None:
        out.print(f"  target {_money(land.target)}, gap {_money(land.gap)}")
    c = land.categories
    out.print(
        f"  commit {_money(c['commit_total'])} · best case {_money(c['best_case_total'])} · "
        f"pipeline {_money(c['pipeline_total'])}"
    )
    out.print("  baselines: " + ", ".join(f"{k} {_money(v)}" for k, v in view.baselines.items()))
    m = view.model
    out.print(
        f"  win model: {m['method']} ({m['trained_rows']} training rows, {m['seconds']} s)"
        + (f" — {m['fallback_reason']}" if m["fallback_reason"] else "")
    )
    table = Table(
        "deal",
        "owner",
        "stage",
        "amount",
        "p(win)",
        "stage p",
        "expected",
        "category",
        "top factors",
    )
    for d in view.deals:
        table.add_row(
            str(d["external_id"]),
            str(d["owner"] or ""),
            str(d["stage"] or ""),
            _money(d["amount"]),
            _pct(d["p_win"]),
            _pct(d["p_stage"]),
            _money(d["expected"]),
            str(d["category"]),
            "; ".join(f"{f['feature']}={f['value']}: {f['points']:+.0f} pts" for f in d["factors"]),
        )
    out.print(table)


@forecast_app.command("series")
def series_cmd(
    metric: Annotated[
        str, typer.Argument(help="an additive KPI: bookings, revenue, orders ...")
    ] = "bookings",
    region: Annotated[str | None, typer.Option(help="only this region")] = None,
    product_line: Annotated[
        str | None, typer.Option("--product-line", help="only this product line")
    ] = None,
    team: Annotated[
        str | None, typer.Option("--team-name", help="only this team (dimension value)")
    ] = None,
    horizon: Annotated[int, typer.Option(help="periods (months or weeks) ahead")] = 3,
    method: Annotated[str, typer.Option(help="|".join(SERIES_METHODS))] = "auto",
    grain: Annotated[
        str, typer.Option(help="month | week (ISO weeks)", autocompletion=_grain_choices)
    ] = "month",
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Monthly or weekly forecast of one KPI with an 80 % interval (method chosen by backtest)."""
    from salesops.auth.audit import Actor
    from salesops.forecast.service import series_view
    from salesops.metrics.catalog import UnknownMetric
    from salesops.metrics.scope import FULL_SCOPE

    if method not in SERIES_METHODS:
        raise _fail(f"unknown method {method!r}; one of: {', '.join(SERIES_METHODS)}")
    engine = open_database()
    where = {"region": region or "", "product_line": product_line or "", "team": team or ""}
    try:
        view = series_view(
            engine,
            FULL_SCOPE,
            metric,
            _date(as_of),
            where=where,
            horizon=horizon,
            method=method,
            grain=grain,
            actor=Actor.cli(),
        )
    except (UnknownMetric, ValueError) as exc:
        raise _fail(str(exc)) from None
    assert view is not None  # computed in this thread: never pending
    if as_json:
        typer.echo(json.dumps(view.to_dict(), ensure_ascii=False, default=str, indent=1))
        return
    out = Console()
    out.print(
        f"[bold]{metric}[/bold] {view.where or ''} — method {view.method}; "
        "backtest WAPE " + ", ".join(f"{k} {_pct(v)}" for k, v in view.chosen_by.items())
    )
    table = Table(view.grain, "actual", "forecast", "80% low", "80% high")
    for p, v in list(zip(view.periods, view.actual, strict=False))[-6:]:
        table.add_row(p, _money(v), "", "", "")
    for p, m, lo, hi in zip(view.forecast_periods, view.mean, view.low, view.high, strict=False):
        table.add_row(p, "", _money(m), _money(lo), _money(hi))
    out.print(table)


@forecast_app.command("backtest")
def backtest_cmd(
    grain: Annotated[str, typer.Option(help="quarter | month | year")] = "quarter",
    history_months: Annotated[
        int, typer.Option("--history-months", help="history needed before a period")
    ] = 12,
    months_in: Annotated[
        str, typer.Option("--months-in", help="origins: months into the period, e.g. 0,1,2")
    ] = "0",
    series: Annotated[
        str, typer.Option(help="KPIs for the series backtest (comma-separated; '' none)")
    ] = "bookings,revenue",
    by: Annotated[
        str | None,
        typer.Option(help="also each series of this dimension: region, product_line, team"),
    ] = None,
    series_grain: Annotated[
        str,
        typer.Option(
            "--series-grain",
            help="month | week: the series backtest's periods",
            autocompletion=_grain_choices,
        ),
    ] = "month",
    series_only: Annotated[
        bool, typer.Option("--series-only", help="only the series backtest (no landing)")
    ] = False,
    team: TeamOpt = None,
    rep: RepOpt = None,
    today: Annotated[
        str | None, typer.Option("--today", help="the day the replay stops (default today)")
    ] = None,
    keep: Annotated[
        bool,
        typer.Option(
            "--store", help="store the backtest forecasts (scored) for the accuracy panel"
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Replay history with a rolling origin, from what was known then, and print accuracy."""
    import time

    from salesops.forecast.backtest import landing_backtest
    from salesops.targets.calendar import GRAINS

    if grain not in GRAINS:
        raise _fail(f"unknown grain {grain!r}; one of: {', '.join(GRAINS)}")
    if series_grain not in ("month", "week"):
        raise _fail(f"unknown series grain {series_grain!r}; use month or week")
    try:
        points = tuple(int(p) for p in months_in.split(",") if p.strip())
    except ValueError:
        raise _fail(f"--months-in takes whole numbers, not {months_in!r}") from None
    engine = open_database()
    scope = _scope(engine, team, rep)
    day = _date(today)
    err = Console(stderr=True)
    started = time.perf_counter()
    if series_only:
        tables = _series_backtests(
            engine, scope, [s for s in series.split(",") if s.strip()], by, day, series_grain
        )
        if as_json:
            typer.echo(json.dumps({"series": tables}, ensure_ascii=False, default=str, indent=1))
        else:
            _print_series_tables(Console(), tables)
        return
    with engine.connect() as conn:
        result = landing_backtest(
            conn,
            scope,
            today=day,
            grain=grain,
            history_months=history_months,
            months_in=points or (0,),
            progress=lambda s: err.print(s, style="dim"),
        )
    landing_seconds = time.perf_counter() - started
    series_tables = _series_backtests(
        engine, scope, [s for s in series.split(",") if s.strip()], by, day, series_grain
    )
    brier = result.brier()
    if keep:
        _store_backtest(engine, scope, result, brier, grain)
    payload: dict[str, Any] = {
        "landing": result.table(),
        "rows": [
            {
                "period": r.period,
                "origin": r.origin.isoformat(),
                "months_in": r.months_in,
                "actual": r.actual,
                "forecasts": r.forecasts,
            }
            for r in result.rows
        ],
        "win_probability": {k: v for k, v in brier.items()},
        "series": series_tables,
        "train_seconds": [round(s, 1) for s in result.train_seconds],
        "landing_seconds": round(landing_seconds, 1),
        "fallbacks": result.fallbacks,
    }
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, default=str, indent=1))
        return
    out = Console()
    table = Table(
        "landing method", "forecasts", "WAPE", "bias", "80% coverage", title="Landing forecast"
    )
    for row in payload["landing"]:
        table.add_row(
            row["method"],
            str(row["n"]),
            _pct(row["wape"]),
            _pct(row["bias"]),
            _pct(row["coverage"]),
        )
    out.print(table)
    periods = Table(
        "period", "origin", "actual", *[m for m in result.rows[0].forecasts] if result.rows else []
    )
    for r in result.rows:
        periods.add_row(
            r.period,
            r.origin.isoformat(),
            _money(r.actual),
            *[_money(v[0]) for v in r.forecasts.values()],
        )
    out.print(periods)
    out.print(
        f"Win probability over {brier['deals']} deals open at the origins: Brier "
        f"win model {_num(brier['win_model'])} vs stage probabilities"
        f" {_num(brier['stage_probability'])}"
    )
    _print_series_tables(out, series_tables)
    out.print(
        f"train + score per origin: {', '.join(f'{s:.1f}' for s in result.train_seconds)} s; "
        f"landing backtest {landing_seconds:.0f} s"
    )
    for note in result.fallbacks:
        out.print(f"[yellow]{note}[/yellow]")


def _grain_choices(incomplete: str) -> list[str]:
    return [g for g in ("month", "week") if g.startswith(incomplete)]


def _print_series_tables(out: Console, series_tables: dict[str, Any]) -> None:
    for name, rows in series_tables.items():
        st = Table("method", "forecasts", "WAPE", "bias", "80% coverage", title=f"Series {name}")
        for row in rows["table"]:
            st.add_row(
                row["method"],
                str(row["n"]),
                _pct(row["wape"]),
                _pct(row["bias"]),
                _pct(row["coverage"]),
            )
        out.print(st)


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


#: The series backtest per grain: (horizon, periods of history before the first origin,
#: periods between origins)
SERIES_BACKTEST = {"month": (3, 12, 1), "week": (4, 52, 4)}


def _series_backtests(
    engine: Engine,
    scope: Scope,
    metrics: list[str],
    by: str | None,
    today: dt.date,
    grain: str = "month",
) -> dict[str, Any]:
    """Rolling-origin backtest of each KPI's monthly or weekly series (and of each value of
    ``by``), pooled per method over the series."""
    from salesops.forecast.backtest import SeriesBacktest, series_backtest
    from salesops.forecast.series import monthly_values
    from salesops.forecast.service import _data_start, _labels, complete_end
    from salesops.metrics.dialects import bucket_of
    from salesops.metrics.engine import shared_engine
    from salesops.metrics.query import MetricQuery

    out: dict[str, Any] = {}
    metrics_engine = shared_engine(engine)
    # the periods that ended before ``today`` (as before: the month ``today`` is in is open)
    end = complete_end(today - dt.timedelta(days=1), grain)
    horizon, history, step = SERIES_BACKTEST[grain]
    for metric in metrics:
        start = _data_start(engine, metric)
        if start is None:
            continue
        first = bucket_of(grain, start)
        if grain == "month":
            count = (end.year - first.year) * 12 + end.month - first.month
        else:
            count = (end - first).days // 7
        q = MetricQuery(
            metric,
            by=(by,) if by else (),
            grain=grain,  # type: ignore[arg-type]
            start=first,
            end=end - dt.timedelta(days=1),
        )
        rows = metrics_engine.query(q, scope).rows
        labels = _labels(first, count, grain)
        groups: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            groups.setdefault(str(r.get(by)) if by else "total", []).append(dict(r))
        pooled = SeriesBacktest(horizon)
        chosen: list[str] = []
        for _, part in sorted(groups.items()):
            bt = series_backtest(
                monthly_values(part, labels),
                grain=grain,
                horizon=horizon,
                history=history,
                step=step,
            )
            for method, errs in bt.errors.items():
                pooled.errors.setdefault(method, []).extend(errs)
            chosen += bt.chosen
        name = f"{metric} by {by}" if by else metric
        out[name] = {
            "grain": grain,
            "series": len(groups),
            "table": pooled.table(),
            "chosen": {c: chosen.count(c) for c in sorted(set(chosen))},
        }
    return out


def _store_backtest(
    engine: Engine, scope: Scope, result: Any, brier: dict[str, Any], grain: str
) -> None:
    from salesops.auth.audit import Actor
    from salesops.forecast.store import BACKTEST, drop_backtest, freeze
    from salesops.targets.calendar import parse_period

    with engine.begin() as conn:
        drop_backtest(conn, scope, Actor.cli())
        for row in result.rows:
            period = parse_period(row.period)
            for method, (exp, low, high) in row.forecasts.items():
                freeze(
                    conn,
                    kind="landing",
                    method=method,
                    metric="bookings",
                    period_grain=period.grain,
                    period_start=period.start,
                    period_end=period.end,
                    as_of=row.origin,
                    scope=scope,
                    expected=exp,
                    low=low,
                    high=high,
                    actual=row.actual,
                    detail={"backtest": True, "months_in": row.months_in},
                    actor=BACKTEST,
                )
        if brier["deals"]:
            last = result.rows[-1]
            period = parse_period(last.period)
            freeze(
                conn,
                kind="win_brier",
                method="win_model",
                metric="brier",
                period_grain=period.grain,
                period_start=period.start,
                period_end=period.end,
                as_of=last.origin,
                scope=scope,
                expected=brier["win_model"],
                actual=brier["stage_probability"],
                detail=brier,
                actor=BACKTEST,
            )


@forecast_app.command("score")
def score_cmd(today: Annotated[str | None, typer.Option("--today")] = None) -> None:
    """Score the stored forecasts and calls whose period has ended."""
    from salesops.auth.audit import Actor
    from salesops.forecast.service import actual_of_series
    from salesops.forecast.store import score_ended

    engine = open_database()
    with engine.begin() as conn:
        n = score_ended(conn, _date(today), actual_of_series(engine), actor=Actor.cli())
    typer.echo(f"scored {n} forecasts and calls")


@forecast_app.command("call")
def call_cmd(
    commit: Annotated[str, typer.Option("--commit", help="the commit amount")],
    best_case: Annotated[str, typer.Option("--best-case", help="the best-case amount")],
    period: PeriodOpt = None,
    rep: RepOpt = None,
    team: TeamOpt = None,
    adjust: Annotated[
        bool, typer.Option("--adjust", help="a manager's adjustment, not a rep's call")
    ] = False,
    note: Annotated[str | None, typer.Option(help="a note kept with the call")] = None,
) -> None:
    """Record a forecast call (a rep's commit and best case) or an adjustment."""
    from salesops.auth.audit import Actor
    from salesops.forecast.store import ForecastError, resolve_target, submit_call
    from salesops.metrics.scope import FULL_SCOPE

    engine = open_database()
    the_period = _period(period, _date(None))
    try:
        with engine.begin() as conn:
            target = resolve_target(conn, FULL_SCOPE, rep, team)
            ident = submit_call(
                conn,
                period=the_period,
                target=target,
                kind="adjusted" if adjust else "submitted",
                commit=commit,
                best_case=best_case,
                note=note,
                actor=Actor.cli(),
            )
    except ForecastError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"call {ident} recorded for {the_period.label()}")
