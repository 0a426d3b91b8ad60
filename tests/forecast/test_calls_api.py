"""Forecast calls through the API: who may submit and adjust, within which scope, audited;
the roll-up; scoring once the period ends; the landing, series and accuracy routes and the page
answer (DuckDB and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from salesops.app import create_app
from salesops.db.schema import AuditEvent, ForecastCall, ForecastSnapshot
from salesops.forecast import service, store
from salesops.metrics.scope import FULL_SCOPE
from salesops.targets.calendar import parse_period
from tests.auth_helpers import bearer
from tests.conftest import Db
from tests.web.data import seed


@pytest.fixture(autouse=True)
def _fresh() -> None:
    service.forget()


def _client(db: Db, login: str, role: str, **kw: str) -> TestClient:
    client = TestClient(create_app(db.engine))
    client.headers.update(bearer(db.engine, login, role, **kw))
    return client


def test_rep_submits_own_call_manager_adjusts_in_scope_only(db: Db) -> None:
    seed(db.engine)
    rep = _client(db, "zw", "rep", rep="张伟")
    manager = _client(db, "east", "manager", org_unit="T-E")
    viewer = _client(db, "v", "viewer")
    body = {"period": "2026-Q3", "commit": 1000, "best_case": 1500, "note": "两单在谈"}
    assert rep.post("/api/v1/forecast/calls", json=body).status_code == 201
    # a viewer may not submit, a rep may not adjust
    assert viewer.post("/api/v1/forecast/calls", json=body).status_code == 403
    assert (
        rep.post("/api/v1/forecast/calls/adjust", json={**body, "rep": "张伟"}).status_code == 403
    )
    # best case below commit, negative amounts: 400 / 422, nothing written
    bad = rep.post("/api/v1/forecast/calls", json={**body, "best_case": 10})
    assert bad.status_code == 400 and "best case" in bad.json()["detail"]
    assert rep.post("/api/v1/forecast/calls", json={**body, "commit": -1}).status_code == 422
    # the manager adjusts 张伟 (their team) but cannot touch 王芳 (another team)
    adjusted = manager.post(
        "/api/v1/forecast/calls/adjust", json={**body, "rep": "张伟", "commit": 800}
    )
    assert adjusted.status_code == 201
    outside = manager.post("/api/v1/forecast/calls/adjust", json={**body, "rep": "王芳"})
    assert outside.status_code == 404
    # a manager without a rep record submits nothing of their own
    own = manager.post("/api/v1/forecast/calls", json=body)
    assert own.status_code == 400 and "not linked" in own.json()["detail"]

    calls = manager.get("/api/v1/forecast/calls?period=2026-Q3").json()
    assert calls["commit"] == 800 and calls["best_case"] == 1500  # the adjustment replaces
    (entry,) = calls["reps"]
    assert entry["name"] == "张伟"
    assert entry["submitted"]["commit_amount"] == 1000
    assert entry["latest"]["kind"] == "adjusted" and entry["latest"]["made_by"].endswith("@east")
    # 王芳's manager sees nothing of team East
    south = _client(db, "south", "manager", org_unit="T-S")
    assert south.get("/api/v1/forecast/calls?period=2026-Q3").json()["reps"] == []
    with db.engine.connect() as conn:
        actions = [a for (a,) in conn.execute(select(AuditEvent.action).order_by(AuditEvent.id))]
        rows = conn.execute(select(ForecastCall.kind, ForecastCall.commit_amount)).all()
    assert actions.count("forecast.call.submit") == 1
    assert actions.count("forecast.call.adjust") == 1
    assert sorted((k, float(v)) for k, v in rows) == [("adjusted", 800.0), ("submitted", 1000.0)]


def test_calls_and_forecasts_are_scored_when_the_period_ends(db: Db) -> None:
    seed(db.engine)
    q1 = parse_period("2026-Q1")
    with db.engine.begin() as conn:
        target = store.resolve_target(conn, FULL_SCOPE, "张伟", None)
        store.submit_call(
            conn,
            period=q1,
            target=target,
            kind="submitted",
            commit="100",
            best_case="200",
            note=None,
            actor=store.Actor("test"),
        )
        store.freeze(
            conn,
            kind="landing",
            method="landing",
            metric="bookings",
            period_grain="quarter",
            period_start=q1.start,
            period_end=q1.end,
            as_of=dt.date(2025, 12, 31),
            scope=FULL_SCOPE,
            expected=1.0,
            low=0.0,
            high=2.0,
        )
        # the same forecast twice is stored once
        again = store.freeze(
            conn,
            kind="landing",
            method="landing",
            metric="bookings",
            period_grain="quarter",
            period_start=q1.start,
            period_end=q1.end,
            as_of=dt.date(2025, 12, 31),
            scope=FULL_SCOPE,
            expected=1.0,
        )
        assert again is None
        assert store.score_ended(conn, dt.date(2026, 3, 31)) == 0  # not ended yet
        assert store.score_ended(conn, dt.date(2026, 4, 1)) == 2
    with db.engine.connect() as conn:
        snap = conn.execute(select(ForecastSnapshot.actual)).scalar_one()
        call = conn.execute(select(ForecastCall.actual)).scalar_one()
    # won in 2026-Q1: OP1 150 000 (张伟), OP2 80 000 (李娜), OP3 200 000 (王芳)
    assert snap == pytest.approx(430_000)
    assert float(call) == pytest.approx(150_000)  # the call was 张伟's


def test_forecast_routes_and_page_answer(db: Db) -> None:
    seed(db.engine)
    q1 = parse_period("2026-Q1")
    with db.engine.begin() as conn:  # a forecast made before 2026-Q1 ended, not scored yet
        store.freeze(
            conn,
            kind="landing",
            method="landing",
            metric="bookings",
            period_grain="quarter",
            period_start=q1.start,
            period_end=q1.end,
            as_of=dt.date(2025, 12, 31),
            scope=FULL_SCOPE,
            expected=400_000.0,
        )
    admin = _client(db, "admin", "admin")
    landing = admin.get("/api/v1/forecast/landing?period=2026-Q2&as_of=2026-06-15")
    assert landing.status_code == 200, landing.text
    # the next forecast made after that quarter ended scored it (won in Q1: 430 000)
    scored = admin.get("/api/v1/forecast/accuracy").json()["table"]
    assert scored == [
        {
            "kind": "landing",
            "method": "landing",
            "n": 1,
            "wape": pytest.approx(30 / 430),
            "bias": pytest.approx(-30 / 430),
            "coverage": None,
        }
    ]
    body = landing.json()
    assert set(body["baselines"]) == {"landing", "stage_weighted", "last_year_growth"}
    assert body["model"]["method"] == "stage_probability" and body["model"]["fallback_reason"]
    assert body["landing"]["closed_to_date"] <= body["landing"]["expected"]
    assert admin.get("/api/v1/forecast/landing?period=2026-Q9").status_code == 400
    series = admin.get(
        "/api/v1/forecast/series?metric=revenue&as_of=2026-06-15&method=seasonal_naive"
    )
    assert series.status_code == 200, series.text
    assert len(series.json()["mean"]) == 3
    assert admin.get("/api/v1/forecast/series?metric=win_rate").status_code == 400
    assert admin.get("/api/v1/forecast/series?metric=nope").status_code == 400
    assert admin.get("/api/v1/forecast/accuracy").status_code == 200
    # every system forecast made is stored (three landing methods, three series months)
    with db.engine.connect() as conn:
        kinds = [k for (k,) in conn.execute(select(ForecastSnapshot.kind))]
    assert kinds.count("landing") == 1 + 3 and kinds.count("series") == 3
    for lang in ("zh", "en"):
        page = admin.get(f"/forecast?period=2026-Q2&asof=2026-06-15&lang={lang}")
        assert page.status_code == 200
    assert "预测" in admin.get("/forecast?asof=2026-06-15&lang=zh").text
    detail = json.loads(admin.get("/api/v1/forecast/accuracy").text)
    assert [h["period_start"] for h in detail["history"]] == ["2026-01-01"]
