"""The cards' 12-month sparklines: stocks have theirs, and a month cut short says so."""

from __future__ import annotations

import re

from tests.auth_helpers import admin_client
from tests.conftest import Db
from tests.web.data import seed

CARDS = "revenue,open_pipeline,weighted_pipeline,overdue_receivables"


def test_stock_sparklines_and_the_month_to_date_point(db: Db) -> None:
    seed(db.engine)
    client = admin_client(db.engine)
    url = f"/api/v1/panels/overview?cards={CARDS}&asof=2026-06-15"
    en = {c["metric"]: c for c in client.get(url + "&lang=en").json()["cards"]}
    zh = {c["metric"]: c for c in client.get(url + "&lang=zh").json()["cards"]}
    for metric in ("open_pipeline", "weighted_pipeline", "overdue_receivables"):
        # a stock's line: its value at each month end, and on the as-of date last
        assert en[metric]["spark_points"], metric
        assert en[metric]["spark"][-1] == en[metric]["value"], metric
        assert en[metric]["spark_mtd"] == "As of 2026-06-15", metric
        assert zh[metric]["spark_mtd"] == "截至 2026-06-15", metric
    assert en["revenue"]["spark_mtd"] == "2026-06 to 06-15"
    assert zh["revenue"]["spark_mtd"] == "2026-06 截至 06-15"
    # the page shows it on the last point of each card's line
    page = client.get("/?asof=2026-06-15&lang=en").text
    card = page[page.index('data-metric="open_pipeline"') :]
    assert re.search(r'class="spark-mtd"[^>]*title="As of 2026-06-15"', card)
    # a whole month is not "to date"
    whole = client.get(f"/api/v1/panels/overview?cards={CARDS}&asof=2026-06-30&lang=en").json()
    assert {c["spark_mtd"] for c in whole["cards"]} == {""}
    assert 'class="spark-mtd"' not in client.get("/?asof=2026-06-30&lang=en").text
