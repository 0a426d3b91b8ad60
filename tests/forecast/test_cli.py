"""``salesops forecast``: the backtest prints its accuracy table and stores the replay; calls
and scoring from the command line are audited (hand-made history, DuckDB and PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from salesops.cli.main import app
from salesops.cli.names import FORECAST_METHODS, SERIES_METHODS
from salesops.db.schema import AuditEvent, ForecastSnapshot
from salesops.forecast import compute, series
from tests.conftest import Db
from tests.forecast.data import seed

runner = CliRunner(env={"COLUMNS": "200"})


def test_the_light_name_lists_match_the_methods() -> None:
    assert FORECAST_METHODS == compute.METHODS
    assert ("auto", *series.METHODS) == SERIES_METHODS


def test_backtest_prints_and_stores_the_replay(db: Db) -> None:
    seed(db.engine)
    args = [
        "forecast",
        "backtest",
        "--today",
        "2026-12-01",
        "--history-months",
        "0",
        "--months-in",
        "1",
        "--series",
        "",
    ]
    result = runner.invoke(app, [*args, "--store", "--json"], prog_name="salesops")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    q2 = next(r for r in payload["rows"] if r["period"] == "2026-Q2")
    assert q2["origin"] == "2026-04-30"
    assert q2["forecasts"]["landing"][0] == pytest.approx(1000 + 2500 + 400 + 4000 * 0.5 / 3 + 800)
    assert [m["method"] for m in payload["landing"]] == list(FORECAST_METHODS)
    text = runner.invoke(app, args, prog_name="salesops")
    assert text.exit_code == 0 and "WAPE" in text.stdout and "2026-Q2" in text.stdout
    with db.engine.connect() as conn:
        stored = conn.execute(
            select(ForecastSnapshot.method, ForecastSnapshot.actual).where(
                ForecastSnapshot.made_by == "backtest", ForecastSnapshot.kind == "landing"
            )
        ).all()
        actions = set(conn.execute(select(AuditEvent.action)).scalars())
    assert len(stored) == 3 * len(payload["rows"]) and all(a is not None for _, a in stored)
    assert "forecast.freeze" in actions
    # a second stored backtest replaces the first instead of piling up
    again = runner.invoke(app, [*args, "--store"], prog_name="salesops")
    assert again.exit_code == 0
    with db.engine.connect() as conn:
        count = len(
            conn.execute(
                select(ForecastSnapshot.id).where(
                    ForecastSnapshot.made_by == "backtest", ForecastSnapshot.kind == "landing"
                )
            ).all()
        )
    assert count == len(stored)


def test_call_from_the_command_line(db: Db) -> None:
    seed(db.engine)
    ok = runner.invoke(
        app,
        [
            "forecast",
            "call",
            "--rep",
            "R1",
            "--period",
            "2026-Q3",
            "--commit",
            "100",
            "--best-case",
            "150",
        ],
        prog_name="salesops",
    )
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(
        app,
        ["forecast", "call", "--rep", "R1", "--commit", "200", "--best-case", "100"],
        prog_name="salesops",
    )
    assert bad.exit_code == 2 and "best case" in bad.output
    nobody = runner.invoke(
        app,
        ["forecast", "call", "--rep", "nobody", "--commit", "1", "--best-case", "1"],
        prog_name="salesops",
    )
    assert nobody.exit_code == 2 and "no sales rep" in nobody.output
    scored = runner.invoke(
        app, ["forecast", "score", "--today", "2026-10-01"], prog_name="salesops"
    )
    assert scored.exit_code == 0 and "scored 1" in scored.stdout
