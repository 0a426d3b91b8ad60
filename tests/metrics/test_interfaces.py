"""``salesops metric`` (json / csv / table, errors) and ``/api/v1/metrics`` (shape, 4xx), and
the generated KPI glossary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from salesops.cli.main import app
from salesops.metrics import catalog
from salesops.metrics.glossary import render_glossary
from tests.auth_helpers import admin_client
from tests.metrics.conftest import World

Q1 = ["--from", "2024-01-01", "--to", "2024-03-31"]
runner = CliRunner()

# East: D1 won, D2 lost; West: D3 won
WIN_RATE = {
    "metric": "win_rate",
    "rows": [{"region": "East", "value": 0.5}, {"region": "West", "value": 1.0}],
}


def test_cli_json(world: World) -> None:
    result = runner.invoke(app, ["metric", "win_rate", "--by", "region", *Q1, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == WIN_RATE


def test_cli_json_with_grain_and_compare(world: World) -> None:
    args = ["metric", "revenue", "--grain", "month", *Q1, "--compare", "prev", "--format", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["rows"]
    # January 150 vs December 70 (O6)
    assert rows[0] == {"period": "2024-01", "value": 150.0, "previous": 70.0, "change": 1.142857}
    assert [r["period"] for r in rows] == ["2024-01", "2024-02", "2024-03"]


def test_cli_where(world: World) -> None:
    args = ["metric", "revenue", *Q1, "--where", "region=East", "--where", "channel=online"]
    result = runner.invoke(app, [*args, "--format", "json"])
    assert json.loads(result.output) == {"metric": "revenue", "rows": [{"value": 350.0}]}


def test_cli_csv(world: World) -> None:
    result = runner.invoke(app, ["metric", "revenue", "--by", "rep", *Q1, "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output == "rep,value\nAnn,350.0\nBob,300.0\nCat,80.0\n"


def test_cli_table(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    result = runner.invoke(app, ["metric", "gross_margin", "--by", "channel", *Q1])
    assert result.exit_code == 0, result.output
    assert "Gross margin" in result.output and "毛利率" in result.output
    # offline: (200 + 30) / (300 + 80); online: (40 + 80) / (100 + 200)
    assert "60.5%" in result.output and "40.0%" in result.output


def test_cli_explain_and_records(world: World) -> None:
    result = runner.invoke(app, ["metric", "bookings", *Q1, "--explain", "--format", "json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["metric"] == "bookings" and "opportunity" in info["sql"]
    result = runner.invoke(app, ["metric", "bookings", *Q1, "--records", "10", "--format", "json"])
    ids = sorted(r["external_id"] for r in json.loads(result.output)["records"])
    assert ids == ["D1", "D3"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["metric", "profit"], "unknown metric 'profit'"),
        (["metric", "revenue", "--by", "colour"], "unknown dimension 'colour'"),
        (["metric", "revenue", "--grain", "hour"], "unknown grain 'hour'"),
        (["metric", "revenue", "--from", "2024-02-30"], "is not a date"),
        (["metric", "revenue", "--from", "2024-03-01", "--to", "2024-01-01"], "is after its end"),
        (["metric", "revenue", "--by", "stage"], "does not apply to revenue"),
        (["metric", "revenue", "--where", "region"], "use DIM=VALUE"),
        (["metric", "revenue", "--compare", "mom"], "unknown comparison"),
        (["metric", "revenue", "--format", "xml"], "unknown format"),
    ],
)
def test_cli_errors(world: World, args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


@pytest.fixture
def client(world: World) -> TestClient:
    return admin_client(world.db.engine)


def test_api_catalog(client: TestClient) -> None:
    body = client.get("/api/v1/metrics").json()
    assert [m["id"] for m in body["metrics"]] == catalog.ids()
    win = next(m for m in body["metrics"] if m["id"] == "win_rate")
    assert (win["name_zh"], win["name_en"], win["unit"], win["good"]) == (
        "成交率", "Win rate", "ratio", "up",
    )  # fmt: skip
    assert "region" in body["dimensions"]


def test_api_metric_same_shape_as_cli(client: TestClient) -> None:
    params = {"by": "region", "from": "2024-01-01", "to": "2024-03-31"}
    response = client.get("/api/v1/metrics/win_rate", params=params)
    assert response.status_code == 200
    assert response.json() == WIN_RATE


def test_api_repeatable_parameters(client: TestClient) -> None:
    params = [
        ("by", "team"), ("by", "channel"), ("from", "2024-01-01"), ("to", "2024-03-31"),
        ("where", "rep=Ann"), ("where", "rep=Bob"), ("sort", "-value"), ("limit", "1"),
    ]  # fmt: skip
    body = client.get("/api/v1/metrics/revenue", params=params).json()
    # Ann online 350 beats Bob offline 300
    assert body == {
        "metric": "revenue",
        "rows": [{"team": "T-East", "channel": "online", "value": 350.0}],
    }


def test_api_compare_and_grain(client: TestClient) -> None:
    params = {"grain": "quarter", "from": "2024-01-01", "to": "2024-03-31", "compare": "prev"}
    body = client.get("/api/v1/metrics/revenue", params=params).json()
    assert body["rows"] == [
        {"period": "2024-Q1", "value": 730.0, "previous": 310.0, "change": 1.354839}
    ]


def test_api_explain(client: TestClient) -> None:
    body = client.get("/api/v1/metrics/aov/explain", params={"by": "rep"}).json()
    assert body["formula"] == "revenue / orders" and "SELECT" in body["sql"]


@pytest.mark.parametrize(
    ("path", "params", "status", "message"),
    [
        ("/api/v1/metrics/profit", {}, 404, "unknown metric"),
        ("/api/v1/metrics/revenue", {"by": "colour"}, 400, "unknown dimension"),
        ("/api/v1/metrics/revenue", {"grain": "hour"}, 400, "unknown grain"),
        ("/api/v1/metrics/revenue", {"from": "yesterday"}, 400, "is not a date"),
        ("/api/v1/metrics/revenue", {"by": "stage"}, 400, "does not apply"),
        ("/api/v1/metrics/revenue", {"where": "nothing"}, 400, "DIM=VALUE"),
        ("/api/v1/metrics/revenue", {"sort": "colour"}, 400, "cannot sort"),
        ("/api/v1/metrics/revenue/explain", {"compare": "x"}, 400, "unknown comparison"),
        ("/api/v1/metrics/revenue", {"limit": "0"}, 422, ""),
    ],
)
def test_api_bad_parameters(
    client: TestClient, path: str, params: dict[str, str], status: int, message: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == status
    assert message in json.dumps(response.json())


def test_api_is_documented(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/metrics",
        "/api/v1/metrics/{metric}",
        "/api/v1/metrics/{metric}/explain",
    } <= set(paths)


def test_glossary_is_up_to_date() -> None:
    path = Path(__file__).resolve().parents[2] / "docs" / "kpi-glossary.md"
    assert path.read_text(encoding="utf-8") == render_glossary() + "\n", (
        "docs/kpi-glossary.md is stale: python -m salesops.metrics.glossary > docs/kpi-glossary.md"
    )
