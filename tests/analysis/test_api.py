"""The /api/v1/analysis endpoints: status codes, shapes, filters and the OpenAPI schema."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.analysis import test_credit, test_funnel, test_movement, test_tiers
from tests.auth_helpers import admin_client
from tests.conftest import Db

ENDPOINTS = {
    "tiers": {"as_of", "window_start", "tiers", "rows"},
    "rfm": {"as_of", "segments", "rows", "mean_monetary"},
    "lifecycle": {"as_of", "stages", "rows", "new_days"},
    "churn": {"as_of", "warnings", "reasons", "revenue_at_risk"},
    "credit": {"as_of", "grades", "ageing", "rows"},
    "cohorts": {"as_of", "cohorts", "average"},
    "source-channels": {"total", "rows"},
    "win-loss": {"competitors", "lost_reasons", "win_rate"},
    "funnel": {"pipeline", "stages", "opportunities"},
    "stuck-deals": {"rows", "stages", "deals"},
    "movement": {"buckets", "reconciliation"},
}


@pytest.fixture
def client(db: Db) -> TestClient:
    return admin_client(db.engine)


def test_every_endpoint_answers_on_an_empty_database(client: TestClient) -> None:
    for name, keys in ENDPOINTS.items():
        params = {"as_of": "2025-06-30"}
        if name == "movement":
            params = {"from": "2025-03-31", "to": "2025-06-30"}
        response = client.get(f"/api/v1/analysis/{name}", params=params)
        assert response.status_code == 200, (name, response.text)
        assert keys <= set(response.json()), name


def test_tiers_over_http_with_filters_and_limit(db: Db, client: TestClient) -> None:
    test_tiers._data(db)
    body = client.get(
        "/api/v1/analysis/tiers", params={"as_of": "2025-06-30", "region": "East"}
    ).json()
    assert [(r["customer"], r["tier"], r["revenue"]) for r in body["rows"]] == [
        ("C1", "A", 5000.0),
        ("C2", "A", 3000.0),
        ("C3", "B", 1000.0),
    ]
    assert body["revenue"] == 9000.0  # money is a plain JSON number
    both = client.get(
        "/api/v1/analysis/tiers?as_of=2025-06-30&region=East&region=West&limit=1"
    ).json()
    assert both["customers"] == 6 and len(both["rows"]) == 1


def test_credit_over_http(db: Db, client: TestClient) -> None:
    test_credit._data(db)
    body = client.get(
        "/api/v1/analysis/credit", params={"as_of": "2025-06-30", "grade": "D"}
    ).json()
    assert [(r["customer"], r["overdue_amount"]) for r in body["rows"]] == [
        ("G5", 20300.0),
        ("G7", 6000.0),
    ]
    assert [a["amount"] for a in body["ageing"]] == [9001.0, 300.0, 6000.0, 20000.0]


def test_funnel_stuck_deals_and_movement_over_http(db: Db, client: TestClient) -> None:
    test_funnel._data(db)
    body = client.get("/api/v1/analysis/funnel", params={"as_of": "2025-06-30"}).json()
    assert [(s["stage"], s["reached"]) for s in body["stages"]] == [
        ("Lead", 7),
        ("Qualify", 5),
        ("Proposal", 4),
        ("Negotiate", 3),
        ("Won", 2),
    ]
    stuck = client.get(
        "/api/v1/analysis/stuck-deals", params={"as_of": "2025-06-30", "days": 100}
    ).json()
    assert [(r["opportunity"], r["days_in_stage"], r["amount"]) for r in stuck["rows"]] == [
        ("f3", 111, 5000.0)
    ]


def test_movement_over_http(db: Db, client: TestClient) -> None:
    test_movement._data(db)
    body = client.get(
        "/api/v1/analysis/movement", params={"from": "2025-03-31", "to": "2025-06-30"}
    ).json()
    assert body["reconciliation"]["open_d1"] == 13900.0
    assert body["reconciliation"]["open_d2"] == 9300.0
    assert body["reconciliation"]["difference"] == 0.0
    new = next(b for b in body["buckets"] if b["bucket"] == "new")
    assert [o["opportunity"] for o in new["opportunities"]] == ["m6"]


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/analysis/tiers?as_of=2025-13-01", 422),
        ("/api/v1/analysis/tiers?limit=-1", 422),
        ("/api/v1/analysis/tiers?competitor=Acme", 400),
        ("/api/v1/analysis/rfm?rfm_segment=loyal", 400),
        ("/api/v1/analysis/lifecycle?lifecycle_stage=asleep", 400),
        ("/api/v1/analysis/credit?grade=E", 400),
        ("/api/v1/analysis/churn?drop_threshold=0", 422),
        ("/api/v1/analysis/cohorts?from=2025-05-01&to=2025-01-01", 400),
        ("/api/v1/analysis/cohorts?months=500", 422),
        ("/api/v1/analysis/win-loss?kind=visit", 400),
        ("/api/v1/analysis/source-channels?from=yesterday", 422),
        ("/api/v1/analysis/movement?from=2025-06-30", 422),
        ("/api/v1/analysis/movement?from=2025-06-30&to=2025-03-31", 400),
        ("/api/v1/analysis/stuck-deals?factor=0", 422),
        ("/api/v1/analysis/funnel?from=2025-06-30&to=2025-03-31", 400),
    ],
)
def test_bad_parameters_are_4xx(client: TestClient, url: str, status: int) -> None:
    response = client.get(url)
    assert response.status_code == status, response.text
    assert response.json()["detail"]


def test_analyses_are_in_the_openapi_schema(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    for name in ENDPOINTS:
        operation = schema["paths"][f"/api/v1/analysis/{name}"]["get"]
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.startswith("#/components/schemas/")
        params = {p["name"] for p in operation["parameters"]}
        assert {"region", "customer_region", "product_line"} <= params
    assert schema["components"]["schemas"]["TiersResult"]["properties"]["revenue"]["type"] == (
        "number"
    )
