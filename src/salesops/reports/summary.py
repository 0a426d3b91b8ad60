"""The written summary: the three most important changes and their drivers, by rules.

1. revenue against the previous period, with the largest part of its bridge;
2. bookings likewise;
3. of the other headline KPIs, the one that moved most (relative change; ratios by their
   change in points × 10, so a win rate from 20 % to 30 % counts like a 100 % rise — rare
   swings in ratios are news).
Templates in Chinese and English; numbers formatted by :func:`fmt`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from salesops.reports.words import word

if TYPE_CHECKING:
    from salesops.reports.decompose import Decomposition
    from salesops.reports.model import Report


def fmt(value: Any, unit: str, lang: str = "en") -> str:
    """A value for text: money with separators and 2 decimals, ratios as percent."""
    if value is None:
        return "—"
    if unit == "ratio":
        return f"{float(value) * 100:.1f}%"
    if unit == "count":
        number = float(value)
        return f"{int(number):,}" if number.is_integer() else f"{number:,.2f}"
    if unit in ("money", "money_per_day"):
        return f"{Decimal(str(value)):,.2f}"
    if unit in ("score", "days", "multiple"):
        return f"{float(value):,.1f}"
    return str(value)


def _move(lang: str, name: str, now: Any, before: Any, unit: str) -> str:
    if now is None:
        return f"{name}：无数据" if lang == "zh" else f"{name}: no data"
    if before in (None, 0):
        return (
            f"{name}为 {fmt(now, unit)}（上期无可比数据）"
            if lang == "zh"
            else f"{name} was {fmt(now, unit)} (nothing to compare with last period)"
        )
    now_d, before_d = Decimal(str(now)), Decimal(str(before))
    if unit == "ratio":
        pts = (now_d - before_d) * 100
        if lang == "zh":
            verb = "上升" if pts >= 0 else "下降"
            return f"{name}{verb} {abs(pts):.1f} 个百分点至 {fmt(now, unit)}"
        verb = "rose" if pts >= 0 else "fell"
        return f"{name} {verb} {abs(pts):.1f} points to {fmt(now, unit)}"
    pct = (now_d - before_d) / abs(before_d) * 100
    if lang == "zh":
        verb = "增长" if pct >= 0 else "下降"
        return f"{name}环比{verb} {abs(pct):.1f}%，至 {fmt(now, unit)}（上期 {fmt(before, unit)}）"
    verb = "rose" if pct >= 0 else "fell"
    return (
        f"{name} {verb} {abs(pct):.1f}% to {fmt(now, unit)} (previous period {fmt(before, unit)})"
    )


def _driver(lang: str, d: Decomposition | None) -> str:
    if d is None or d.change == 0 or not d.parts:
        return ""
    # the largest part pushing the same way as the change (else the largest part)
    same = [k for k in d.parts if (d.parts[k] > 0) == (d.change > 0) and d.parts[k] != 0]
    key = max(same or list(d.parts), key=lambda k: abs(d.parts[k]))
    part = d.parts[key]
    if lang == "zh":
        return f"；主要因素：{word(key, lang)}（{part:+,.2f}）"
    return f"; main driver: {word(key, lang).lower()} ({part:+,.2f})"


def write_summary(
    report: Report,
    now: dict[str, Any],
    before: dict[str, Any],
    rb: Decomposition | None,
    bb: Decomposition | None,
) -> list[str]:
    """Three sentences in the report's language."""
    lang = report.lang
    end = "。" if lang == "zh" else "."
    out = [
        _move(lang, word("revenue", lang), now.get("revenue"), before.get("revenue"), "money")
        + _driver(lang, rb)
        + end,
        _move(lang, word("bookings", lang), now.get("bookings"), before.get("bookings"), "money")
        + _driver(lang, bb)
        + end,
    ]
    headline = report.section("headline")
    best: tuple[float, dict[str, Any]] | None = None
    for row in headline.rows if headline else []:
        if row["metric_id"] in ("revenue", "bookings"):
            continue
        a, b = row["value"], row["previous"]
        if a is None or b in (None, 0):
            continue
        size = abs(a - b) * 10 if row["unit"] == "ratio" else abs((a - b) / b)
        if best is None or size > best[0]:
            best = (size, row)
    if best is not None:
        row = best[1]
        out.append(_move(lang, row["metric"], row["value"], row["previous"], row["unit"]) + end)
    return out
