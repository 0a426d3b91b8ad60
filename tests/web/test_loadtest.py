"""``salesops loadtest``'s parts: the report's arithmetic by hand, and a short real run of a
few people against a live server on the hand-made company (both databases). The long runs
(50 people, 5 minutes) are a command, with figures in docs/benchmarks.md, not a test."""

from __future__ import annotations

import random

from salesops.auth import tokens
from salesops.bench.loadtest import Browser, Hit, LoadReport, route_of, run_load
from tests.auth_helpers import TEST_ACTOR, ensure_user
from tests.browser import live_server
from tests.conftest import Db
from tests.web.data import seed


def test_routes_fold_query_strings_and_ids() -> None:
    assert route_of("GET", "/api/v1/records/revenue?region=%E5%8D%8E") == (
        "GET /api/v1/records/{metric}"
    )
    assert route_of("GET", "/api/v1/metrics/orders?by=region") == "GET /api/v1/metrics/{metric}"
    assert route_of("GET", "/api/v1/targets/12/progress") == "GET /api/v1/targets/{id}/progress"
    assert route_of("GET", "/customers?segment=x") == "GET /customers"


def test_percentiles_errors_and_the_warm_part_by_hand() -> None:
    report = LoadReport(users=2, duration_s=10.0, warmup_s=2.0)
    # ten answers of /, 10 ms … 100 ms, the first two during the warm-up; one failed answer
    report.hits = [Hit("GET /", at=float(i), seconds=(i + 1) / 100, status=200, user="a")
                   for i in range(10)]  # fmt: skip
    report.hits.append(Hit("GET /api/v1/panels/overview", 5.0, 0.5, 500, "b"))
    all_rows = {r["route"]: r for r in report.table(warm=False)}
    # nearest rank: p50 of 10 values is the 5th (50 ms), p95 and p99 the 10th (100 ms)
    assert all_rows["GET /"] == {
        "route": "GET /",
        "requests": 10,
        "errors": 0,
        "p50_ms": 50.0,
        "p95_ms": 100.0,
        "p99_ms": 100.0,
        "max_ms": 100.0,
    }
    warm = {r["route"]: r for r in report.table(warm=True)}
    # after 2 s: 30 … 100 ms (8 values): p50 is the 4th, 60 ms
    assert warm["GET /"]["requests"] == 8 and warm["GET /"]["p50_ms"] == 60.0
    summary = report.summary()
    assert summary["errors"] == 1 and summary["requests"] == 11
    assert summary["requests_per_s"] == 1.1
    assert summary["slowest_route"] == "GET /api/v1/panels/overview"
    assert summary["warm_page_html_p95_ms"] == 100.0


def test_a_person_clicks_only_what_the_board_offers() -> None:
    browser = Browser("rep", random.Random(1), {"region": ["华东"], "segment": ["大客户"]})
    for _ in range(300):
        method, path = browser.next_request()
        assert method == "GET"
        # a KPI's records are filtered by region only (payments have no segment), but the
        # revenue export may carry any filter of the orders page
        if path.startswith("/api/v1/records/") and "format=csv" not in path:
            assert "segment=" not in path and "product_line=" not in path


def test_a_short_run_against_a_live_server_has_no_errors(db: Db) -> None:
    seed(db.engine)
    made = {}
    for login, role, kw in (
        ("lt-admin", "admin", {}),
        ("lt-rep", "rep", {"rep": "张伟"}),
    ):
        ensure_user(db.engine, login, role, **kw)
        made[login], _ = tokens.create_token(
            db.engine, login, name="lt", read_only=True, actor=TEST_ACTOR
        )
    with live_server(db.engine) as url:
        report = run_load(url, made, users=4, duration_s=4.0, warmup_s=1.0, think=(0.05, 0.2))
    assert len(report.hits) >= 4  # every person clicked at least once
    assert report.errors() == []
    assert {h.user for h in report.hits} == {"lt-admin", "lt-rep"}
    assert any(r["route"].startswith("GET /api/v1/panels/") for r in report.table(warm=False))
