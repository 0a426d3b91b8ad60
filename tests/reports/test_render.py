"""Rendered reports: the XLSX walked cell by cell against the engine, Markdown and HTML escape
imported text, the PDF's text read back (both languages)."""

from __future__ import annotations

import io
import unicodedata

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from salesops.demo import generate_demo
from salesops.metrics.engine import MetricsEngine
from salesops.metrics.query import MetricQuery
from salesops.reports.assemble import HEADLINE, build_report
from salesops.reports.render import render_html, render_markdown, render_pdf, render_xlsx
from salesops.reports.words import word
from tests.conftest import Db
from tests.demo.helpers import TINY, TODAY


@pytest.fixture
def demo(db: Db) -> Db:
    generate_demo(db.engine, TINY)
    return db


def test_xlsx_numbers_are_the_engines(demo: Db) -> None:
    report = build_report(demo.engine, "monthly", "2026-10", "company", "en", today=TODAY)
    book = load_workbook(io.BytesIO(render_xlsx(report)))
    engine = MetricsEngine(demo.engine, today=TODAY)

    def value(metric: str, start: object, end: object, by: tuple[str, ...] = ()) -> object:
        rows = engine.query(MetricQuery(metric, by=by, start=start, end=end)).rows  # type: ignore[arg-type]
        return rows if by else rows[0]["value"]

    p, prev, ago = report.period, report.previous, report.year_ago
    head = book[word("headline", "en")]
    header = [c.value for c in head[1]]
    assert header[:2] == ["KPI", "This period"]
    walked = 0
    for row, metric in zip(head.iter_rows(min_row=2), HEADLINE, strict=True):
        assert row[0].value == word(metric, "en")
        for col, period in ((1, p), (4, prev), (6, ago)):
            expected = value(metric, period.start, period.end)
            cell = row[col]
            if expected is None:
                assert cell.value is None
            else:
                assert isinstance(cell.value, int | float), (metric, cell.value)
                assert cell.value == pytest.approx(expected, abs=1e-9)
                walked += 1
    assert walked > 30
    bridge = book[word("revenue_bridge", "en")]
    amounts = [r[1].value for r in bridge.iter_rows(min_row=2)]
    assert amounts[0] == pytest.approx(value("revenue", prev.start, prev.end), abs=0.005)
    assert amounts[-1] == pytest.approx(value("revenue", p.start, p.end), abs=0.005)
    assert round(amounts[0] + sum(amounts[1:-1]), 2) == round(amounts[-1], 2)
    keys = [s.key for s in report.sections]
    mix = book.worksheets[1 + keys.index("revenue_mix")]  # sheet 0 is the summary
    by_region = {r["region"]: r["value"] for r in value("revenue", p.start, p.end, ("region",))}  # type: ignore[attr-defined]
    for r in mix.iter_rows(min_row=2):
        assert r[2].value == pytest.approx(by_region.get(r[0].value, 0), abs=0.005)


def test_imported_text_is_escaped_and_never_a_formula(demo: Db) -> None:
    evil = '=HYPERLINK("http://x") <script>alert(1)</script> | *'
    with demo.engine.begin() as conn:
        conn.execute(
            text("UPDATE rep SET name = :n WHERE id = (SELECT min(id) FROM rep)"), {"n": evil}
        )
    report = build_report(demo.engine, "quarterly", "2026-Q3", "company", "en", today=TODAY)
    html_text = render_html(report, inline_charts=False)
    assert "<script>alert(1)" not in html_text
    md = render_markdown(report)
    assert "\\|" in md or evil not in md
    book = load_workbook(io.BytesIO(render_xlsx(report)))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)


@pytest.mark.parametrize("db", ["duckdb"], indirect=True)
def test_pdf_text_in_both_languages(demo: Db) -> None:
    cases = (
        ("zh", ("销售月报", "核心指标", "销售额", "全公司")),
        ("en", ("Monthly sales report", "Headline KPIs", "Revenue bridge")),
    )
    for lang, words in cases:
        report = build_report(demo.engine, "monthly", "2026-10", None, lang, today=TODAY)
        from pypdf import PdfReader

        pdf = PdfReader(io.BytesIO(render_pdf(report)))
        # Noto CJK maps some glyphs to Kangxi radicals (⽉ for 月): NFKC folds them back
        content = unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in pdf.pages))
        for w in words:
            assert w in content, (lang, w)
        assert "2026-10" in content and f"2 / {len(pdf.pages)}" in content
        assert "\ufffd" not in content  # no missing glyphs
        revenue = next(r for r in report.sections[0].rows if r["metric_id"] == "revenue")
        assert f"{revenue['value']:,.2f}" in content
