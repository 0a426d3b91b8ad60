"""Fiscal periods in the filter bar when the fiscal year does not start in January."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from salesops.config import get_settings
from salesops.db.schema import Target
from salesops.web.filters import parse_filters
from tests.auth_helpers import admin_client
from tests.conftest import Db
from tests.web.data import seed

TODAY = dt.date(2026, 12, 7)


@pytest.fixture
def april(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SALESOPS_FISCAL_YEAR_START_MONTH", "4")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_fiscal_year_and_quarter_with_an_april_start(april: None) -> None:
    fy = parse_filters({"period": ["fiscal_year"]}, today=TODAY)
    assert (fy.start, fy.end, fy.period_end) == (dt.date(2026, 4, 1), TODAY, dt.date(2027, 3, 31))
    assert (fy.label, fy.target_grain, fy.compare) == ("FY2026", "year", "yoy")
    fq = parse_filters({"period": ["fiscal_quarter"]}, today=TODAY)
    # October-December is the third quarter of FY2026
    assert (fq.start, fq.period_end, fq.label) == (
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
        "FY2026-Q3",
    )
    assert parse_filters({"period": ["fiscal_year"]}, today=dt.date(2027, 2, 1)).label == "FY2026"


def test_the_overview_finds_the_fiscal_year_target(db: Db, april: None) -> None:
    seed(db.engine)
    with Session(db.engine) as s:
        s.add(Target(external_id="FY2026", metric="revenue", period_grain="year",
                     period_start=dt.date(2026, 4, 1), scope_kind="company",
                     value=Decimal(2_000_000)))  # fmt: skip
        s.commit()
    client = admin_client(db.engine)
    page = client.get("/?period=fiscal_year&asof=2026-12-07&lang=en").text
    # the bar offers the fiscal periods, the fiscal year is picked
    assert re.search(r'value="fiscal_year" checked', page)
    assert "FY2026" in page and "FY2026-Q3" in page
    card = page[page.index('data-metric="revenue"') :]
    card = card[: card.index('class="kpi"', 10) if 'class="kpi"' in card[10:] else len(card)]
    assert 'data-target="2000000' in card
    # with a January start the bar is as before
    get_settings.cache_clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SALESOPS_FISCAL_YEAR_START_MONTH", "1")
        get_settings.cache_clear()
        plain = admin_client(db.engine).get("/?asof=2026-12-07&lang=en").text
    assert 'value="fiscal_year"' not in plain
