"""The web app: data page with live counts, health, both languages, in a real browser."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from salesops.db.engine import session_scope
from salesops.db.schema import Customer, Region
from tests.auth_helpers import admin_client, link_path
from tests.browser import chromium, live_server
from tests.conftest import Db


def _two_customers(db: Db) -> None:
    with session_scope(db.engine) as s:
        s.add(Region(name="华南"))
        s.add(Customer(external_id="C1", name="深圳甲公司", created_on=dt.date(2025, 1, 1)))
        s.add(Customer(external_id="C2", name="Acme", credit_limit=Decimal("1000.00")))


def test_health_and_counts(db: Db) -> None:
    _two_customers(db)
    client = admin_client(db.engine)
    assert client.get("/api/v1/health").json()["status"] == "ok"
    counts = client.get("/api/v1/counts").json()["counts"]
    assert counts["customer"] == 2
    assert counts["order_line"] == 0


def test_home_in_both_languages(db: Db) -> None:
    client = admin_client(db.engine)
    zh = client.get("/", headers={"accept-language": "zh-CN,zh;q=0.9"}).text
    assert "销售运营看板" in zh
    en = client.get("/?lang=en").text
    assert "SalesOps Board" in en and "销售运营看板" not in en
    # the explicit choice is remembered in a cookie
    assert "Customers" in client.get("/").text


@pytest.mark.browser
def test_home_renders_in_chromium(db: Db) -> None:
    _two_customers(db)
    errors: list[str] = []
    with live_server(db.engine) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(base + link_path(db.engine, then="/api/v1/health"))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{base}/data?lang=zh")
        card = page.locator('[data-entity="customer"] .card-value')
        assert card.inner_text() == "2"
        assert page.locator(".brand").inner_text() == "销售运营看板"
        page.click("text=English")
        assert page.locator(".brand").inner_text() == "SalesOps Board"
    assert errors == []
