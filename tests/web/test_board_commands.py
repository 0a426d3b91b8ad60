"""The board's own commands in real headless Chromium: page timings and screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from salesops.cli.main import app
from salesops.db.schema import Customer
from tests.conftest import DATABASES, Db
from tests.web.data import seed

runner = CliRunner()
PAGE_IDS = ("overview", "orders", "pipeline", "team", "rep", "customers", "wall")


# The commands start their own server on SALESOPS_DATABASE_URL (set by the db fixture); the
# pages themselves are tested on both databases elsewhere: these run once, on the embedded one.
pytestmark = pytest.mark.parametrize("db", [k for k in DATABASES if k == "duckdb"], indirect=True)


@pytest.fixture(autouse=True)
def _seeded(db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESOPS_BOARD_WARMUP", "0")
    seed(db.engine)


def test_page_timings_times_cold_and_warm_loads(db: Db) -> None:
    with db.engine.connect() as conn:
        customer = conn.execute(select(func.min(Customer.id))).scalar_one()
    args = ["page-timings", "--cold", "2", "--runs", "1", "--page", "pipeline", "--page", "wall"]
    args += ["--customer", str(customer)]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})  # the table on one line per page
    assert result.exit_code == 0, result.output
    assert "2 cold, 1 warm loads each" in result.output
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in result.output.splitlines()]
    named = (*PAGE_IDS, f"customer {customer}")
    rows = {c[0]: [float(x) for x in c[1:]] for c in cells if c and c[0] in named}
    # only the pages asked for; six timings each (cold, slowest, HTML, server CPU, warm, HTML)
    assert set(rows) == {"pipeline", "wall", f"customer {customer}"}
    for timings in rows.values():
        assert len(timings) == 6 and all(t > 0 for t in timings[:3] + timings[4:])
        assert timings[3] >= 0
        assert timings[1] >= timings[0]  # the slowest cold load is at least the median


def test_page_timings_cold_loads_need_its_own_server() -> None:
    result = runner.invoke(app, ["page-timings", "--url", "http://127.0.0.1:9", "--cold", "2"])
    assert result.exit_code != 0
    assert "--cold above 1 needs the board this command starts" in result.output


def test_screenshots_of_every_page_mode_and_language(tmp_path: Path) -> None:
    result = runner.invoke(app, ["screenshots", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    shots = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.png"))
    for lang in ("zh", "en"):
        for mode in ("desktop", "phone"):
            for page in ("overview", "orders", "pipeline", "team", "rep", "customers"):
                assert f"{lang}/{mode}-{page}.png" in shots
        assert f"{lang}/wall-wall.png" in shots
    assert all((tmp_path / s).stat().st_size > 10_000 for s in shots)  # drawn, not blank
