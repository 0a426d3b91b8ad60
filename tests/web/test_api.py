"""The JSON behind the panels, their records and exports, and bad input (never a 500)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pytest import MonkeyPatch
from sqlalchemy import event

from tests.auth_helpers import admin_client
from tests.conftest import Db
from tests.web.data import ASOF, seed

Q = f"asof={ASOF}"


def _client(db: Db) -> TestClient:
    seed(db.engine)
    return admin_client(db.engine, raise_server_exceptions=True)


def test_panels_are_listed_and_documented(db: Db) -> None:
    client = admin_client(db.engine)
    pages = client.get("/api/v1/panels").json()["pages"]
    assert set(pages) >= {"overview", "orders", "pipeline", "team", "rep", "customers"}
    assert "revenue_trend" in pages["overview"]
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/panels/{page}/{panel}/records" in paths
    params = {p["name"] for p in paths["/api/v1/panels/{page}"]["get"]["parameters"]}
    assert {"period", "from", "to", "compare", "region", "rep", "product_line"} <= params


def test_value_tiers_panel_and_its_records(db: Db) -> None:
    client = _client(db)
    # Trailing 12 months to 2026-06-15: 上海甲科技 210,000, 深圳丙电子 200,000, 杭州乙贸易 110,000
    # (A: together 520,000 reach 80 % of 570,000 only with the third), 广州丁物流 50,000 (B).
    panel = client.get(f"/api/v1/panels/customers/tiers?{Q}").json()
    assert [d["value"] for d in panel["option"]["series"][0]["data"]] == [3, 1, 0]
    assert panel["drill"] == {"kind": "records"}
    rows = client.get(f"/api/v1/panels/customers/tiers/records?{Q}&sel=A").json()
    assert [r["customer"] for r in rows["rows"]] == ["上海甲科技", "深圳丙电子", "杭州乙贸易"]
    assert [r["revenue"] for r in rows["rows"]] == [210000.0, 200000.0, 110000.0]


def test_records_export_as_csv_and_xlsx(db: Db) -> None:
    from openpyxl import load_workbook

    client = _client(db)
    url = f"/api/v1/panels/customers/tiers/records?{Q}&sel=B&lang=zh"
    csv = client.get(url + "&format=csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    lines = csv.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0].split(",")[:3] == ["#", "客户", "层级"]
    assert lines[1].split(",")[:4] == ["4", "广州丁物流", "B", "50000"]
    xlsx = client.get(url + "&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert [c.value for c in sheet[2]][:4] == [4, "广州丁物流", "B", 50000]


def test_bad_input_gets_4xx_never_500(db: Db) -> None:
    client = admin_client(db.engine, raise_server_exceptions=False)
    assert client.get("/api/v1/panels/overview?period=fortnight").status_code == 400
    bad = client.get("/api/v1/panels/overview?from=2026-13-01&to=2026-12-31&lang=en")
    assert bad.status_code == 400
    assert "from must be a date" in bad.json()["detail"]
    assert client.get("/api/v1/panels/nope").status_code == 404
    assert client.get("/api/v1/panels/overview/nope").status_code == 404
    assert client.get("/api/v1/panels/customers/tiers/records?format=pdf").status_code == 422
    page = client.get("/orders?from=2026-05-01&to=2026-04-01&lang=zh")
    assert page.status_code == 400
    assert "期间的开始日期晚于结束日期" in page.text
    assert client.get("/?compare=mom&region=" + "x" * 300).status_code == 400
    assert client.get("/wall?rotate=abc").status_code == 200


def test_a_page_warms_the_other_pages_for_its_filters(db: Db, monkeypatch: MonkeyPatch) -> None:
    from salesops.metrics.scope import FULL_SCOPE
    from salesops.web.board import Board
    from salesops.web.filters import parse_filters
    from salesops.web.panels import pages
    from salesops.web.panels.base import panel_key

    monkeypatch.setenv("SALESOPS_BOARD_WARMUP", "1")
    client = _client(db)
    filters = parse_filters({"asof": [ASOF], "region": ["华东"]})
    board = Board(db.engine, FULL_SCOPE, filters, "zh_CN", page="pipeline")
    funnel = pages()["pipeline"].panel("funnel")
    assert funnel is not None
    assert not board.is_cached(panel_key(board, funnel))
    # The test client runs the response's background task before it returns.
    assert client.get(f"/?{Q}&region=华东&lang=zh").status_code == 200
    assert Board(db.engine, FULL_SCOPE, filters, "zh_CN", page="pipeline").is_cached(
        panel_key(board, funnel)
    )
    # The pipeline page now sends the funnel with the page instead of a placeholder.
    html = client.get(f"/pipeline?{Q}&region=华东&lang=zh").text
    assert (
        'data-panel="funnel"' in html and 'data-lazy="/api/v1/panels/pipeline/funnel"' not in html
    )


def test_records_show_status_codes_by_name(db: Db) -> None:
    client = _client(db)
    zh = client.get(f"/api/v1/records/revenue?{Q}&lang=zh").json()
    assert {"key": "status", "label": "状态", "unit": None, "numeric": False} in zh["columns"]
    assert {r["status"] for r in zh["rows"]} == {"正常"}  # revenue counts normal lines only
    en = client.get(f"/api/v1/records/revenue?{Q}&lang=en").json()
    assert {r["status"] for r in en["rows"]} == {"Normal"}
    won = client.get(f"/api/v1/records/bookings?{Q}&lang=zh").json()
    assert {r["status"] for r in won["rows"]} == {"赢单"}


def test_a_page_starts_its_lazy_panels_at_once(db: Db, monkeypatch: MonkeyPatch) -> None:
    from salesops.metrics.scope import FULL_SCOPE
    from salesops.web import warmup
    from salesops.web.board import Board
    from salesops.web.filters import parse_filters
    from salesops.web.panels import pages
    from salesops.web.panels.base import panel_key

    monkeypatch.setenv("SALESOPS_BOARD_WARMUP", "0")
    client = _client(db)
    html = client.get(f"/pipeline?{Q}&region=华南&lang=zh").text
    # The page itself is sent with a placeholder ...
    assert 'data-lazy="/api/v1/panels/pipeline/funnel"' in html
    # ... while the panel was already being built: once the background worker is idle, it is
    # cached, and the browser's request is answered from the cache.
    warmup._LAZY.submit(lambda: None).result(timeout=60)
    filters = parse_filters({"asof": [ASOF], "region": ["华南"]})
    board = Board(db.engine, FULL_SCOPE, filters, "zh_CN", page="pipeline")
    funnel = pages()["pipeline"].panel("funnel")
    assert funnel is not None and board.is_cached(panel_key(board, funnel))
    assert client.get(f"/api/v1/panels/pipeline/funnel?{Q}&region=华南&lang=zh").status_code == 200


def test_the_wall_starts_its_lazy_panels_at_once(db: Db, monkeypatch: MonkeyPatch) -> None:
    from salesops.metrics.scope import FULL_SCOPE
    from salesops.web import warmup
    from salesops.web.board import Board
    from salesops.web.filters import parse_filters
    from salesops.web.panels import pages
    from salesops.web.panels.base import panel_key

    monkeypatch.setenv("SALESOPS_BOARD_WARMUP", "0")
    client = _client(db)
    # Sent with placeholders for the slow panels, unless the worker already finished them.
    assert client.get(f"/wall?{Q}&region=华北&lang=zh&rotate=0&refresh=0").status_code == 200
    warmup._LAZY.submit(lambda: None).result(timeout=60)
    filters = parse_filters({"asof": [ASOF], "region": ["华北"]})
    board = Board(db.engine, FULL_SCOPE, filters, "zh_CN", page="pipeline")
    spec = pages()["pipeline"]
    for panel_id in ("funnel", "stuck_deals"):  # the wall's; not the movement, it has none
        panel = spec.panel(panel_id)
        assert panel is not None and board.is_cached(panel_key(board, panel)), panel_id
    movement = spec.panel("pipeline_movement")
    assert movement is not None and not board.is_cached(panel_key(board, movement))


def test_server_start_builds_the_default_view_of_every_page(
    db: Db, monkeypatch: MonkeyPatch
) -> None:
    from salesops.metrics.scope import FULL_SCOPE
    from salesops.web import warmup
    from salesops.web.board import Board
    from salesops.web.filters import parse_filters
    from salesops.web.panels import pages
    from salesops.web.panels.base import panel_key

    seed(db.engine)
    filters = parse_filters({})
    overview = pages()["overview"]
    trend = overview.panel("revenue_trend")
    assert trend is not None
    # Switched off: the pages are built once (the process is primed), the results dropped.
    monkeypatch.setenv("SALESOPS_BOARD_WARMUP", "0")
    warmup.warm_at_start(db.engine).join(timeout=300)
    board = Board(db.engine, FULL_SCOPE, filters, "zh_CN", page="overview")
    assert not board.is_cached(panel_key(board, trend))
    monkeypatch.setenv("SALESOPS_BOARD_WARMUP", "1")
    warmup.warm_at_start(db.engine).join(timeout=300)
    for page_id in ("overview", "pipeline", "customers", "market", "voice"):
        spec = pages()[page_id]
        for locale in ("zh_CN", "en"):
            board = Board(db.engine, FULL_SCOPE, filters, locale, page=page_id)
            assert all(board.is_cached(panel_key(board, p)) for p in spec.panels), page_id
    # The wall too, its own set of cards included: it is then served without a statement.
    client = admin_client(db.engine)
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    assert client.get("/wall?lang=zh").status_code == 200
    # (beside the caller's token and user, the data version and the announcements, read on
    # every page)
    every_page = r"data_version|FROM announcement|FROM api_token|FROM app_user|UPDATE api_token"
    assert [s for s in statements if not re.search(every_page, s)] == []


def test_the_board_cache_computes_a_key_once_however_many_ask() -> None:
    import threading

    from sqlalchemy import create_engine

    from salesops.web.board import _AnalysisCache

    cache = _AnalysisCache()
    engine = create_engine("sqlite://")
    calls: list[int] = []
    release = threading.Event()

    def slow() -> str:
        calls.append(1)
        release.wait(timeout=30)
        return "answer"

    answers: list[str] = []
    threads = [
        threading.Thread(target=lambda: answers.append(cache.get(engine, "k", slow, 1)))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    release.set()
    for t in threads:
        t.join(timeout=30)
    assert answers == ["answer"] * 4
    assert calls == [1]

    # a failure is not cached: the next caller computes again
    def boom() -> str:
        raise ValueError("no")

    with pytest.raises(ValueError):
        cache.get(engine, "bad", boom, 1)
    assert cache.get(engine, "bad", lambda: "fine", 1) == "fine"


def test_a_period_cut_short_is_shown_as_to_date(db: Db) -> None:
    client = _client(db)
    # As of 15 June: June is a month to date, drawn lighter and labelled as such.
    panel = client.get(f"/api/v1/panels/overview/revenue_trend?{Q}&lang=zh").json()
    labels = panel["option"]["xAxis"]["data"]
    bars = panel["option"]["series"][0]["data"]
    june = bars[labels.index("2026-06")]
    assert isinstance(june, dict) and june["label"]["formatter"] == "至今"
    assert all(not isinstance(b, dict) for i, b in enumerate(bars) if labels[i] != "2026-06")
    assert panel["subtitle"].endswith("2026-06 截至 06-15")
    # A whole month is not marked.
    whole = client.get("/api/v1/panels/overview/revenue_trend?asof=2026-06-30&lang=en").json()
    assert not any(isinstance(b, dict) for b in whole["option"]["series"][0]["data"])


#: The ECharts part a series type or option component needs in the board's bundle
#: (``src/salesops/web/assets/echarts-board.js``); keys ``_…`` and ``grain`` are the board's own.
_CHART_PARTS = {
    "bar": "BarChart",
    "line": "LineChart",
    "pie": "PieChart",
    "funnel": "FunnelChart",
    "heatmap": "HeatmapChart",
    "map": "MapChart",
    "grid": "GridComponent",
    "xAxis": "GridComponent",
    "yAxis": "GridComponent",
    "legend": "LegendComponent",
    "tooltip": "TooltipComponent",
    "visualMap": "VisualMapComponent",
    "title": "TitleComponent",
    "markLine": "MarkLineComponent",
}


def test_the_chart_bundle_has_every_part_the_panels_draw_with(db: Db) -> None:
    # The minified ECharts draws nothing, and says nothing, for a series type or component it
    # was built without: every one the panels send must be imported by the bundle's entry.
    client = _client(db)
    entry = Path(__file__).parents[2] / "src/salesops/web/assets/echarts-board.js"
    installed = re.search(r"echarts\.use\(\[(.*?)\]\)", entry.read_text(), re.S)
    assert installed is not None
    imported = set(re.findall(r"\w+", installed.group(1)))
    used: set[str] = set()
    for page in client.get("/api/v1/panels").json()["pages"]:
        for panel in client.get(f"/api/v1/panels/{page}?{Q}").json()["panels"]:
            option = panel.get("option") or {}
            used |= {k for k in option if k != "series" and k != "grain" and not k.startswith("_")}
            for series in option.get("series", []):
                used.add(series["type"])
                used |= {k for k in series if k.startswith("mark")}
    assert {"bar", "line", "pie", "funnel", "heatmap", "visualMap", "markLine"} <= used
    unknown = used - set(_CHART_PARTS)
    assert not unknown, f"add {unknown} to _CHART_PARTS and to the bundle's entry"
    assert {_CHART_PARTS[u] for u in used} <= imported
