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


def test_stuck_deal_times_are_documented_as_stored(db: Db) -> None:
    seed(db.engine)
    client = admin_client(db.engine)
    rows = client.get("/api/v1/analysis/stuck-deals?as_of=2026-06-15").json()["rows"]
    assert rows and all("+" not in r["entered_at"] and "Z" not in r["entered_at"] for r in rows)
    field = _schema(db)["components"]["schemas"]["StuckDeal"]["properties"]["entered_at"]
    assert "date-time" not in str(field)
