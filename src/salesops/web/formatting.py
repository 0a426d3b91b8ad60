"""Numbers and money as a reader of each language expects them.

Chinese readers count large amounts in 万 (10⁴) and 亿 (10⁸): ¥1.23亿, ¥4,560万. English readers
use K / M / B. Ratios are percentages, days carry their unit, counts are grouped. The same rules
are mirrored in ``static/board.js`` (``fmtCompact``) for chart axes and tooltips.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Literal

from babel.numbers import format_decimal, format_percent

Unit = Literal["money", "money_per_day", "count", "ratio", "days", "score", "number", "multiple"]
#: What a missing value shows: a plain hyphen (an em dash reads as 一 in CJK fonts).
NO_VALUE = "-"
CURRENCY = "¥"

_ZH_STEPS = ((Decimal(10) ** 8, "亿"), (Decimal(10) ** 4, "万"))
_EN_STEPS = ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(10) ** 3, "K"))


def _babel_locale(locale: str) -> str:
    return "zh_Hans_CN" if locale.startswith("zh") else "en_US"


def _decimal(value: object) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return Decimal(str(value))
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _significant(value: Decimal, locale: str) -> str:
    """Three significant digits for a scaled amount: 1.23, 45.6, 456, 4,560."""
    magnitude = abs(value)
    if magnitude >= 100:
        pattern = "#,##0"
    elif magnitude >= 10:
        pattern = "#,##0.#"
    else:
        pattern = "#,##0.##"
    return format_decimal(value, format=pattern, locale=_babel_locale(locale))


def compact(value: object, locale: str) -> str:
    """A large number in the reader's units: ``4,560万`` / ``45.6M``; small ones grouped."""
    number = _decimal(value)
    if number is None:
        return NO_VALUE
    steps = _ZH_STEPS if locale.startswith("zh") else _EN_STEPS
    for size, suffix in steps:
        if abs(number) >= size:
            return _significant(number / size, locale) + suffix
    pattern = "#,##0" if abs(number) >= 100 else "#,##0.##"
    return format_decimal(number, format=pattern, locale=_babel_locale(locale))


def format_value(value: object, unit: str, locale: str, *, full: bool = False) -> str:
    """``value`` of a KPI with ``unit`` for display; ``full`` keeps every digit (tooltips)."""
    number = _decimal(value)
    if number is None:
        return NO_VALUE
    loc = _babel_locale(locale)
    if unit == "ratio":
        return format_percent(number, format="#,##0.0%", locale=loc)
    if unit == "money":
        sign = "-" if number < 0 else ""
        body = (
            format_decimal(abs(number), format="#,##0.00", locale=loc)
            if full
            else compact(abs(number), locale)
        )
        return f"{sign}{CURRENCY}{body}"
    if unit == "money_per_day":
        per_day = format_value(number, "money", locale, full=full)
        return f"{per_day}/天" if locale.startswith("zh") else f"{per_day}/day"
    if unit == "days":
        days = format_decimal(number, format="#,##0.#", locale=loc)
        return f"{days} 天" if locale.startswith("zh") else f"{days} days"
    if unit == "score":
        return format_decimal(number, format="#,##0.#", locale=loc)
    if unit == "multiple":  # CLV / CAC: 4.2×
        return format_decimal(number, format="#,##0.0", locale=loc) + "×"
    if unit == "count" and not full and abs(number) >= 100_000:
        return compact(number, locale)
    if unit == "count":
        return format_decimal(number, format="#,##0", locale=loc)
    return format_decimal(number, format="#,##0.##", locale=loc)


def format_change(change: object, locale: str) -> str:
    """A relative change (0.123) as ``+12.3%``; None (no base) as a hyphen."""
    number = _decimal(change)
    if number is None:
        return NO_VALUE
    text = format_percent(abs(number), format="#,##0.0%", locale=_babel_locale(locale))
    if number > 0:
        return f"+{text}"
    if number < 0:
        return f"−{text}"
    return text


def plain(value: object) -> float | None:
    """A JSON-friendly float (Decimal and None in, float or None out)."""
    number = _decimal(value)
    return None if number is None else float(number)
