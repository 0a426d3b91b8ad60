"""A forecast computed in one server process is what the others show: another process (a
real one, started here) computes the landing and the series forecast after an import; this
process then answers both from the stored results without computing anything, and a result
kept in memory gives way to a newer stored one (DuckDB and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import func, select

from salesops.db.derived import bump_data_version
from salesops.db.schema import ForecastResult, ForecastSnapshot
from salesops.forecast import service
from salesops.metrics.scope import FULL_SCOPE
from salesops.targets.calendar import parse_period
from tests.conftest import Db
from tests.forecast.data import seed

AS_OF = dt.date(2026, 4, 30)
Q2 = parse_period("2026-Q2")

OTHER_PROCESS = """
import datetime as dt, json
from salesops.db.engine import make_engine
from salesops.config import get_settings
from salesops.forecast import service
from salesops.metrics.scope import FULL_SCOPE
from salesops.targets.calendar import parse_period

engine = make_engine(get_settings().database_url)
day = dt.date(2026, 4, 30)
land = service.landing_view(engine, FULL_SCOPE, parse_period("2026-Q2"), day)
series = service.series_view(engine, FULL_SCOPE, "bookings", day, method="seasonal_naive")
print(json.dumps({"landing": land.to_dict(), "series": series.to_dict()}, default=str))
engine.dispose()
"""


@pytest.fixture(autouse=True)
def _fresh() -> None:
    service.forget()


def _snapshots(db: Db) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ForecastSnapshot)).scalar_one())


def _refuse(*_: Any, **__: Any) -> Any:
    raise AssertionError("computed again although another process stored the result")


def test_a_forecast_computed_in_another_process_is_shown_here(
    db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db.engine)
    before = service.series_view(db.engine, FULL_SCOPE, "bookings", AS_OF, method="seasonal_naive")
    assert before is not None
    with db.engine.begin() as conn:  # an import: every kept result is stale now
        bump_data_version(conn)
    db.engine.dispose()  # DuckDB: one process at a time has the file
    other = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS], capture_output=True, text=True, timeout=300
    )
    assert other.returncode == 0, other.stderr
    theirs = json.loads(other.stdout)
    frozen = _snapshots(db)
    monkeypatch.setattr(service, "compute_landing", _refuse)
    monkeypatch.setattr(service, "compute_series", _refuse)
    land = service.landing_view(db.engine, FULL_SCOPE, Q2, AS_OF, wait=0.0)
    series = service.series_view(
        db.engine, FULL_SCOPE, "bookings", AS_OF, method="seasonal_naive", wait=0.0
    )
    assert land is not None and series is not None  # at once, not "being computed"
    assert json.loads(json.dumps(land.to_dict(), default=str)) == theirs["landing"]
    assert json.loads(json.dumps(series.to_dict(), default=str)) == theirs["series"]
    assert land.landing.expected == pytest.approx(1000 + 2500 + 400 + 4000 * 0.5 / 3 + 800)
    assert _snapshots(db) == frozen  # nothing frozen twice

    # a result kept here gives way to a newer one stored by another process for the same key
    key = (
        "series", str(db.engine.url), _version(db), FULL_SCOPE.cache_key(), "bookings", (),
        AS_OF, 3, "seasonal_naive", "month",
    )  # fmt: skip
    newer = service.SeriesView.from_dict({**series.to_dict(), "mean": [1.0, 2.0, 3.0]})
    service._store_result(db.engine, service._digest(key), "series", newer)
    again = service.series_view(
        db.engine, FULL_SCOPE, "bookings", AS_OF, method="seasonal_naive", wait=0.0
    )
    assert again is not None and again.mean == [1.0, 2.0, 3.0]
    with db.engine.connect() as conn:  # older results under the same key were pruned
        keys = conn.execute(select(ForecastResult.result_key)).scalars().all()
    assert len(keys) == len(set(keys))


def _version(db: Db) -> int:
    from salesops.db.derived import data_version

    with db.engine.connect() as conn:
        return data_version(conn)
