"""``docs/kpi-glossary.md``, generated from the catalog (a test fails when the file is stale).

Regenerate with ``python -m salesops.metrics.glossary > docs/kpi-glossary.md``.
"""

from __future__ import annotations

from salesops.metrics import catalog
from salesops.metrics.measures import MEASURES

_UNITS = {
    "money": "money · 金额",
    "count": "count · 数量",
    "ratio": "ratio (fraction) · 比率",
    "days": "days · 天",
    "score": "score · 分",
    "money_per_day": "money per day · 每天金额",
    "multiple": "multiple · 倍",
}
_GOOD = {"up": "↑ higher is better", "down": "↓ lower is better"}


def render_glossary() -> str:
    """The glossary as Markdown: a summary table, then each KPI's definition and measures."""
    lines = [
        "# KPI glossary · 指标词典",
        "",
        "Generated from `salesops.metrics.catalog` by `python -m salesops.metrics.glossary`;",
        "do not edit by hand (a test compares this file with the catalog).",
        "",
        "Every KPI is computed in the database by the metrics engine, under the caller's data",
        "scope. Ratios are ratios of sums over the group (never averages of per-row ratios);",
        "an empty denominator gives no value (null). Growth is a modifier of every KPI:",
        "`--compare prev` (环比, the period of the same length just before; whole calendar",
        "months step by months, so a quarter's is the quarter before) or `--compare yoy`",
        "(同比, the same period a year earlier) adds `previous` and",
        "`change = (value - previous) / previous`.",
        "",
        "| id | 中文名 | English name | formula | unit | good |",
        "|---|---|---|---|---|---|",
    ]
    for k in catalog.all_kpis():
        lines.append(
            f"| `{k.id}` | {k.name_zh} | {k.name_en} | `{k.formula_text}` | {k.unit} | {k.good} |"
        )
    lines += ["", "## Definitions · 定义", ""]
    for k in catalog.all_kpis():
        lines += [
            f"### `{k.id}` — {k.name_zh} · {k.name_en}",
            "",
            f"- Definition: {k.description_en}",
            f"- 定义：{k.description_zh}",
            f"- Formula: `{k.formula_text}`",
            f"- Unit: {_UNITS[k.unit]}; good direction: {_GOOD[k.good]}",
            f"- Counted on: `{k.fact}` by `{k.time}`"
            + (" (as of the period end)" if k.stock else ""),
            "- Measures: "
            + "; ".join(_measure_text(n) for n in k.measures if n in MEASURES)
            + (" (`actual`: the targeted KPI's formula)" if "actual" in k.measures else ""),
            "",
        ]
    return "\n".join(lines)


def _measure_text(name: str) -> str:
    m = MEASURES[name]
    where = f" by `{m.time}`" if m.time else ""
    return f"`{name}` = {m.agg} over `{m.fact}` ({m.kind}{where})"


if __name__ == "__main__":  # pragma: no cover
    print(render_glossary())
