"""Weekly series: complete ISO weeks read from the engine (hand-made bookings), the forecast
with its interval through the service, API and CLI, and the rolling-origin backtest on weekly
data (DuckDB and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from salesops.app import create_app
from salesops.cli.main import app
from salesops.db.schema import ForecastSnapshot
from salesops.forecast import service
from salesops.forecast.backtest import series_backtest
from salesops.forecast.series import forecast
from salesops.metrics.scope import FULL_SCOPE
from tests.auth_helpers import bearer
from tests.conftest import Db
from tests.forecast.data import seed

D = dt.date
runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture(autouse=True)
def _fresh() -> None:
    service.forget()


def test_complete_periods_end_by_hand() -> None:
    # a Wednesday: its ISO week is not complete, the last complete one ended on Sunday
    assert service.complete_end(D(2026, 12, 9), "week") == D(2026, 12, 7)
    assert service.complete_end(D(2026, 12, 6), "week") == D(2026, 12, 7)  # a Sunday: done
    assert service.complete_end(D(2026, 12, 7), "week") == D(2026, 12, 7)  # a Monday
    assert service.complete_end(D(2026, 12, 9), "month") == D(2026, 12, 1)
    assert service.complete_end(D(2026, 11, 30), "month") == D(2026, 12, 1)


def test_weekly_backtest_origins_and_a_repeating_season() -> None:
    season = [100.0 + (i % 7) * 10 + (30 if i % 52 in (10, 11) else 0) for i in range(52)]
    values = season * 2 + season[:16]  # 120 weeks: the same year twice, then 16 weeks
    fc = forecast(values, 4, "week", "seasonal_naive")
    assert fc.mean == values[68:72]  # 52 weeks before each of weeks 120..123
    # origins 52, 56, ..., 116 (17 of them), 4 weeks ahead each
    bt = series_backtest(
        values, grain="week", horizon=4, history=52, step=4, methods=("seasonal_naive", "ets")
    )
    table = {r["method"]: r for r in bt.table()}
    assert table["seasonal_naive"]["n"] == 17 * 4
    assert table["seasonal_naive"]["wape"] == pytest.approx(0.0)  # the season repeats exactly
    assert table["ets"]["n"] == 17 * 4 and table["ets"]["wape"] is not None


def test_weekly_bookings_by_hand_and_through_api_and_cli(db: Db) -> None:
    seed(db.engine)
    # won: 02-20 (Fri, W08) 500; 03-10 (Tue, W11) 3000; 03-20 (Fri, W12) 800; 04-10 (Fri, W15)
    # 1000. As of Wednesday 04-15 the last complete week is W15 (04-06 .. 04-12).
    first, end, labels, values = service.series_values(
        db.engine, FULL_SCOPE, "bookings", D(2026, 4, 15), grain="week"
    )
    assert (first, end) == (D(2026, 2, 16), D(2026, 4, 13))
    assert labels == [f"2026-W{w:02d}" for w in range(8, 16)]
    assert values == [500, 0, 0, 3000, 800, 0, 0, 1000]

    client = TestClient(create_app(db.engine))
    client.headers.update(bearer(db.engine, "adm", "admin"))
    got = client.get(
        "/api/v1/forecast/series?metric=bookings&grain=week&as_of=2026-04-15"
        "&method=seasonal_naive&horizon=4"
    )
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["grain"] == "week" and body["actual"] == values
    assert body["forecast_periods"] == ["2026-W16", "2026-W17", "2026-W18", "2026-W19"]
    # shorter than a season: the last value, with the spread of week-to-week changes
    assert body["mean"] == [1000.0] * 4
    assert all(
        lo <= m <= hi for lo, m, hi in zip(body["low"], body["mean"], body["high"], strict=True)
    )
    assert body["high"][0] > body["mean"][0]
    assert client.get("/api/v1/forecast/series?grain=day").status_code == 422
    assert (
        client.get("/api/v1/forecast/series?grain=month&horizon=30").status_code == 400
    )  # 24 months at most; weeks go to 104
    with db.engine.connect() as conn:
        stored = conn.execute(
            select(ForecastSnapshot.period_grain, ForecastSnapshot.period_start).where(
                ForecastSnapshot.kind == "series"
            )
        ).all()
    assert sorted(stored) == [("week", D(2026, 4, 13) + dt.timedelta(weeks=i)) for i in range(4)]

    out = runner.invoke(
        app,
        ["forecast", "series", "bookings", "--grain", "week", "--as-of", "2026-04-15",
         "--horizon", "2", "--method", "seasonal_naive", "--json"],
        prog_name="salesops",
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["forecast_periods"] == ["2026-W16", "2026-W17"]
    bt = runner.invoke(
        app,
        ["forecast", "backtest", "--series-only", "--series", "bookings",
         "--series-grain", "week", "--today", "2026-12-01", "--json"],
        prog_name="salesops",
    )  # fmt: skip
    assert bt.exit_code == 0, bt.output
    weekly = json.loads(bt.stdout)["series"]["bookings"]
    assert weekly["grain"] == "week"
    # closes from W08 to W20 (05-15): 41 complete weeks to 11-30; origins every 4 weeks from 52:
    # none, so the table is empty rather than wrong
    assert all(r["n"] == 0 for r in weekly["table"]) or weekly["table"] == []
    # the page: weekly forecast with its ISO weeks
    for _ in range(120):
        page = client.get("/forecast?period=2026-Q2&asof=2026-04-15&grain=week&lang=en")
        # wait for both forecasts: a computing thread left behind would abort the interpreter
        if 'id="series-table"' in page.text and 'id="landing-pending"' not in page.text:
            break
        time.sleep(1)
    assert page.status_code == 200
    assert "Weekly forecast" in page.text and "2026-W16" in page.text
    assert '<option value="week" selected>' in page.text
