"""Render an assembled :class:`~salesops.reports.model.Report`: Markdown (for chat), XLSX (one
sheet per section, real numbers), HTML (the board's look, ECharts charts) and PDF (that HTML
printed by headless Chromium). Rendering never computes a number: it shows the report's."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

from salesops.formula_safety import xlsx_cell
from salesops.reports.model import Column, Report, Section
from salesops.reports.summary import fmt
from salesops.reports.words import word

FORMATS = ("html", "pdf", "xlsx", "md")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "md": "text/markdown; charset=utf-8",
}
CHROMIUM = os.environ.get("SALESOPS_CHROMIUM", "/usr/bin/chromium")


class RenderError(RuntimeError):
    """A format that cannot be produced here (no browser for the PDF)."""


def _unit(col: Column, row: dict[str, Any]) -> str:
    return str(row.get("unit", "text")) if col.unit == "by_row" else col.unit


def cell_text(col: Column, row: dict[str, Any], lang: str) -> str:
    value = row.get(col.key)
    unit = _unit(col, row)
    if value is None:
        return "—"
    if unit == "date" and isinstance(value, dt.date):
        return value.isoformat()
    if unit == "text":
        return str(value)
    return fmt(value, unit, lang)


# --------------------------------------------------------------------------- markdown


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    """The report as Markdown: title, summary, then a table per section."""
    lang = report.lang
    out = [f"# {_md_escape(report.title)}", ""]
    out.append(
        f"{word('period', lang)}: {report.period.start} – {report.period.end} · "
        f"{word('scope', lang)}: {_md_escape(report.scope_name)}"
    )
    out += ["", f"## {word('summary', lang)}", ""]
    out += [f"- {_md_escape(s)}" for s in report.summary]
    for s in report.sections:
        out += ["", f"## {_md_escape(s.title)}", ""]
        if s.note:
            out += [f"_{_md_escape(s.note)}_", ""]
        if not s.rows:
            out.append(f"({word('none', lang)})")
            continue
        out.append("| " + " | ".join(_md_escape(c.label) for c in s.columns) + " |")
        out.append(
            "|"
            + "|".join("---:" if c.unit not in ("text", "date") else "---" for c in s.columns)
            + "|"
        )
        for row in s.rows:
            out.append(
                "| " + " | ".join(_md_escape(cell_text(c, row, lang)) for c in s.columns) + " |"
            )
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- xlsx

_XLSX_FORMATS = {
    "money": "#,##0.00",
    "money_per_day": "#,##0.00",
    "count": "#,##0",
    "ratio": "0.0%",
    "score": "0.0",
    "days": "0.0",
    "multiple": "0.00",
}


def xlsx_value(value: Any) -> Any:
    """A cell value: numbers as numbers (Decimal as float), dates as dates, text as text."""
    if isinstance(value, Decimal):
        return float(value)
    return value


def render_xlsx(report: Report) -> bytes:
    """One sheet for the summary, then one per section; numbers are numbers with a format."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    lang = report.lang
    info = wb.create_sheet(word("summary", lang)[:31])
    bold = Font(bold=True)
    title = xlsx_cell(info, report.title)
    if isinstance(title, str):
        title = WriteOnlyCell(info, value=title)
        title.font = Font(bold=True, size=14)
    info.append([title])
    info.append([word("period", lang), report.period.start, report.period.end])
    info.append([word("scope", lang), xlsx_cell(info, report.scope_name)])
    info.append([])
    for line in report.summary:
        info.append([xlsx_cell(info, line)])
    used: set[str] = set()
    for s in report.sections:
        name = _sheet_name(s, used)
        sheet = wb.create_sheet(name)
        header = []
        for c in s.columns:
            cell = WriteOnlyCell(sheet, value=xlsx_value(c.label))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in s.rows:
            cells = []
            for c in s.columns:
                value = xlsx_value(row.get(c.key))
                unit = _unit(c, row)
                if isinstance(value, str):
                    cells.append(xlsx_cell(sheet, value))
                    continue
                cell = WriteOnlyCell(sheet, value=value)
                if unit in _XLSX_FORMATS and isinstance(value, int | float):
                    cell.number_format = _XLSX_FORMATS[unit]
                elif isinstance(value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            sheet.append(cells)
        if s.note:
            sheet.append([])
            sheet.append([xlsx_cell(sheet, s.note)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sheet_name(s: Section, used: set[str]) -> str:
    """A sheet name: the section's title without the characters Excel refuses, ≤ 31 chars."""
    base = "".join(ch for ch in s.title if ch not in "[]:*?/\\")[:31].strip() or s.key
    name, i = base, 2
    while name in used:
        suffix = f" {i}"
        name, i = base[: 31 - len(suffix)] + suffix, i + 1
    used.add(name)
    return name


# --------------------------------------------------------------------------- html


def _vendor_dir() -> Path:
    """Where npm installed the front-end libraries (as the app serves them under /vendor)."""
    configured = os.environ.get("SALESOPS_ASSETS_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "node_modules"


def echarts_script() -> str | None:
    """The ECharts build the board uses, inlined so the file stands alone (None: not
    installed; the tables still show)."""
    for rel in ("salesops-assets/echarts.board.min.js", "echarts/dist/echarts.min.js"):
        path = _vendor_dir() / rel
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return None


_CSS = """
:root { --fg:#172033; --muted:#5f6b80; --line:#e4e8ef; --nav:#0c1a3b; --accent:#2f6bff;
  --good:#0b9a5b; --bad:#d6342c; --surface:#fff; --bg:#f3f5f9;
  --font:"Inter","Segoe UI",-apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei",
    "Noto Sans CJK SC","Noto Sans SC",system-ui,sans-serif; }
* { box-sizing: border-box; }
body { margin:0; font-family:var(--font); font-size:13px; line-height:1.45; color:var(--fg);
  background:var(--bg); font-feature-settings:"tnum" 1; }
.cover { background:var(--nav); color:#fff; padding:40px 48px; }
.cover h1 { font-size:30px; margin:0 0 16px; }
.cover p { color:#b9c5df; font-size:16px; margin:4px 0; }
main { max-width:1100px; margin:0 auto; padding:24px; }
section { background:var(--surface); border-radius:12px; padding:16px 20px; margin:0 0 16px;
  box-shadow:0 1px 2px rgba(16,24,40,.05),0 1px 4px rgba(16,24,40,.07); break-inside:avoid; }
h2 { font-size:16px; margin:0 0 10px; }
table { border-collapse:collapse; width:100%; }
th, td { padding:5px 8px; border-bottom:1px solid var(--line); text-align:left; }
th { color:var(--muted); font-weight:600; font-size:12px; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
td.up { color:var(--good); } td.down { color:var(--bad); }
.summary li { margin:4px 0; font-size:14px; }
.note { color:var(--muted); font-style:italic; }
.chart { height:260px; }
@media print { body { background:#fff; } .cover { break-after:page; min-height:90vh; }
  section { box-shadow:none; border:1px solid var(--line); } }
"""

_CHART_JS = """
(function () {
  var charts = JSON.parse(document.getElementById('report-charts').textContent);
  if (!window.echarts) { window.reportReady = true; return; }
  Object.keys(charts).forEach(function (id) {
    var el = document.getElementById(id); if (!el) return;
    var c = charts[id];
    var chart = echarts.init(el, null, {renderer: 'canvas', devicePixelRatio: 2});
    var opt;
    if (c.kind === 'waterfall') {
      var base = [], up = [], down = [], run = 0;
      c.values.forEach(function (v, i) {
        var last = i === c.values.length - 1;
        if (i === 0 || last) { base.push(0); up.push(v); down.push('-'); run = v; return; }
        if (v >= 0) { base.push(run); up.push(v); down.push('-'); run += v; }
        else { run += v; base.push(run); up.push('-'); down.push(-v); }
      });
      opt = {animation: false, grid: {left: 90, right: 20, top: 20, bottom: 40},
        xAxis: {type: 'category', data: c.labels}, yAxis: {type: 'value'},
        series: [{type: 'bar', stack: 'w', data: base, itemStyle: {color: 'transparent'}},
                 {type: 'bar', stack: 'w', data: up, itemStyle: {color: '#2f6bff'}},
                 {type: 'bar', stack: 'w', data: down, itemStyle: {color: '#d6342c'}}]};
    } else {
      opt = {animation: false, grid: {left: 90, right: 20, top: 20, bottom: 40},
        xAxis: {type: 'category', data: c.labels}, yAxis: {type: 'value'},
        series: [{type: 'bar', data: c.values, itemStyle: {color: '#2f6bff'}}]};
    }
    chart.setOption(opt);
  });
  window.reportReady = true;
})();
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _charts(report: Report) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in report.sections:
        if s.chart == "waterfall" and s.rows:
            out[f"chart-{s.key}"] = {
                "kind": "waterfall",
                "labels": [r["driver"] for r in s.rows],
                "values": [float(r["amount"]) for r in s.rows],
            }
        elif s.chart == "bar" and s.rows:
            out[f"chart-{s.key}"] = {
                "kind": "bar",
                "labels": [r["bucket"] for r in s.rows],
                "values": [float(r["amount"] or 0) for r in s.rows],
            }
    return out


def render_html(report: Report, *, inline_charts: bool = True) -> str:
    """A standalone HTML page (the board's colours, ECharts inlined): cover, summary, sections.
    Every imported text is escaped; the chart data is JSON in a non-executed script tag."""
    lang = report.lang
    charts = _charts(report)
    parts = [
        "<!doctype html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        f"<title>{_e(report.title)}</title><style>{_CSS}</style></head><body>",
        '<div class="cover">',
        f"<h1>{_e(word(report.kind, lang))}</h1>",
        f"<p>{_e(word('period', lang))}: {_e(report.period.label)} "
        f"({report.period.start} – {report.period.end})</p>",
        f"<p>{_e(word('scope', lang))}: {_e(report.scope_name)}</p>",
        f"<p>{_e(word('generated', lang))}: {report.generated_at:%Y-%m-%d %H:%M} UTC</p>",
        "</div><main>",
        f'<section class="summary"><h2>{_e(word("summary", lang))}</h2><ul>',
        *(f"<li>{_e(s)}</li>" for s in report.summary),
        "</ul></section>",
    ]
    for s in report.sections:
        parts.append(f'<section id="s-{_e(s.key)}"><h2>{_e(s.title)}</h2>')
        if f"chart-{s.key}" in charts:
            parts.append(f'<div class="chart" id="chart-{_e(s.key)}"></div>')
        if s.note:
            parts.append(f'<p class="note">{_e(s.note)}</p>')
        if not s.rows:
            parts.append(f'<p class="note">{_e(word("none", lang))}</p></section>')
            continue
        parts.append("<table><thead><tr>")
        for c in s.columns:
            cls = ' class="num"' if c.unit not in ("text", "date") else ""
            parts.append(f"<th{cls}>{_e(c.label)}</th>")
        parts.append("</tr></thead><tbody>")
        for row in s.rows:
            parts.append("<tr>")
            for c in s.columns:
                cls = ""
                if c.unit not in ("text", "date"):
                    cls = "num"
                    value = row.get(c.key)
                    if c.key.startswith("change") and isinstance(value, int | float | Decimal):
                        cls += " up" if value > 0 else " down" if value < 0 else ""
                parts.append(f'<td class="{cls}">{_e(cell_text(c, row, lang))}</td>')
            parts.append("</tr>")
        parts.append("</tbody></table></section>")
    parts.append("</main>")
    data = json.dumps(charts, ensure_ascii=False).replace("</", "<\\/")
    parts.append(f'<script type="application/json" id="report-charts">{data}</script>')
    script = echarts_script() if inline_charts and charts else None
    if script:
        parts.append(f"<script>{script}</script>")
    parts.append(f"<script>{_CHART_JS}</script></body></html>")
    return "".join(parts)


# --------------------------------------------------------------------------- pdf


def render_pdf(report: Report) -> bytes:
    """The HTML printed by headless Chromium (A4, cover first, page numbers in the footer).
    Chinese glyphs come from the system's CJK fonts (fonts-noto-cjk, scripts/system-deps.sh)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright ships with the dev extras
        raise RenderError("PDF needs the playwright package (pip install playwright)") from None
    if not Path(CHROMIUM).exists():
        raise RenderError(f"PDF needs Chromium at {CHROMIUM} (set SALESOPS_CHROMIUM)")
    numbers = '<span class="pageNumber"></span> / <span class="totalPages"></span>'
    pages = f"第 {numbers} 页" if report.lang == "zh" else f"Page {numbers}"
    footer = (
        '<div style="font-size:8px;width:100%;text-align:center;color:#5f6b80;'
        f'font-family:sans-serif">{_e(report.title)} · {pages}</div>'
    )
    content = render_html(report)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.set_content(content, wait_until="load")
            page.wait_for_function("window.reportReady === true", timeout=30_000)
            pdf = page.pdf(
                format="A4",
                print_background=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=footer,
                margin={"top": "12mm", "bottom": "16mm", "left": "10mm", "right": "10mm"},
            )
        finally:
            browser.close()
    return pdf


def render(report: Report, fmt_: str) -> bytes:
    """The report in ``fmt_`` (html, pdf, xlsx, md) as bytes."""
    if fmt_ == "md":
        return render_markdown(report).encode("utf-8")
    if fmt_ == "html":
        return render_html(report).encode("utf-8")
    if fmt_ == "xlsx":
        return render_xlsx(report)
    if fmt_ == "pdf":
        return render_pdf(report)
    raise ValueError(f"unknown format {fmt_!r}; known: {', '.join(FORMATS)}")
