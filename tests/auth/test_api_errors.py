"""The OpenAPI schema documents every status the API answers (found by schemathesis): 401/403
on every route that needs sign-in, 400/404/409/422 where a route raises them, the 422 body of
a value that cannot be read (a message, not FastAPI's list), and stuck deals' entry times as
they are stored (no UTC offset, so not ``format: date-time``)."""

from __future__ import annotations

from salesops.app import OPENAPI_URL
from tests.auth_helpers import admin_client
from tests.conftest import Db
from tests.web.data import seed


def _schema(db: Db) -> dict:
    return admin_client(db.engine).get(OPENAPI_URL).json()


def test_every_signed_in_operation_documents_401_and_403(db: Db) -> None:
    paths = _schema(db)["paths"]
    missing = [
        f"{method.upper()} {path}"
        for path, ops in paths.items()
        for method, op in ops.items()
        if path != "/api/v1/health" and not {"401", "403"} <= set(op["responses"])
    ]
    assert missing == []
    assert "401" not in paths["/api/v1/health"]["get"]["responses"]  # public


def test_error_statuses_are_documented_with_their_bodies(db: Db) -> None:
    seed(db.engine)
    client = admin_client(db.engine)
    paths = _schema(db)["paths"]
    cases = [
        ("/api/v1/panels/{page}", "/api/v1/panels/nope", 404),
        ("/api/v1/panels/{page}/{panel}/records", "/api/v1/panels/overview/nope/records", 404),
        ("/api/v1/metrics/{metric}", "/api/v1/metrics/nope", 404),
        ("/api/v1/records/{metric}", "/api/v1/records/nope", 404),
        (
            "/api/v1/analysis/movement",
            "/api/v1/analysis/movement?from=2026-01-01&to=2026-01-01",
            400,
        ),
        ("/api/v1/targets/{target_id}", "/api/v1/targets/999999", 404),
        ("/api/v1/targets", "/api/v1/targets?period=order", 422),
    ]
    for template, url, status in cases:
        response = client.get(url)
        assert response.status_code == status, url
        assert isinstance(response.json()["detail"], str), url
        assert str(status) in paths[template]["get"]["responses"], template
    assert "409" in paths["/api/v1/targets/{target_id}"]["delete"]["responses"]
    # The 422 a route raises itself is one sentence; FastAPI's own 422 is a list: both valid.
    schemas = _schema(db)["components"]["schemas"]
    ref = paths["/api/v1/targets"]["get"]["responses"]["422"]["content"]["application/json"]
    detail = schemas[ref["schema"]["$ref"].rsplit("/", 1)[1]]["properties"]["detail"]
    assert {s["type"] for s in detail["anyOf"]} == {"string", "array"}
    assert isinstance(client.get("/api/v1/targets?attainment=maybe").json()["detail"], list)


def test_stuck_deal_times_are_documented_as_stored(db: Db) -> None:
    seed(db.engine)
    client = admin_client(db.engine)
    rows = client.get("/api/v1/analysis/stuck-deals?as_of=2026-06-15").json()["rows"]
    assert rows and all("+" not in r["entered_at"] and "Z" not in r["entered_at"] for r in rows)
    field = _schema(db)["components"]["schemas"]["StuckDeal"]["properties"]["entered_at"]
    assert "date-time" not in str(field)


def test_nul_characters_and_huge_ids_are_client_errors(db: Db) -> None:
    """On PostgreSQL both were server errors (found by schemathesis): text cannot hold NUL,
    and ids are 32-bit."""
    seed(db.engine)
    client = admin_client(db.engine)
    for url in (
        "/api/v1/analysis/source-channels?competitor=%00",
        "/api/v1/analysis/lifecycle?channel=a%00b",
        "/api/v1/analysis/credit?customer=%00",
    ):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "NUL" in response.json()["detail"]
    huge = 2**31
    assert client.get(f"/api/v1/targets/{huge}").status_code == 422
    assert client.patch(f"/api/v1/targets/{huge}", json={"value": 1}).status_code == 422
    assert client.delete(f"/api/v1/targets/{huge}").status_code == 422
    assert client.get(f"/api/v1/targets/{huge - 1}").status_code == 404
