"""Numbers and money as each language writes them (万/亿 in Chinese, K/M/B in English)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from salesops.web.formatting import compact, format_change, format_value


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        (123_456_789, "¥1.23亿", "¥123M"),
        (45_600_000, "¥4,560万", "¥45.6M"),
        (123_456, "¥12.3万", "¥123K"),
        (12_345, "¥1.23万", "¥12.3K"),
        (9_876, "¥9,876", "¥9.88K"),
        (Decimal("540000.00"), "¥54万", "¥540K"),
        (-2_500_000, "-¥250万", "-¥2.5M"),
        (10_000_000_000, "¥100亿", "¥10B"),
        (None, "-", "-"),
    ],
)
def test_money(value: object, zh: str, en: str) -> None:
    assert format_value(value, "money", "zh_CN") == zh
    assert format_value(value, "money", "en") == en


def test_full_money_keeps_every_digit() -> None:
    assert format_value(Decimal("540000"), "money", "zh_CN", full=True) == "¥540,000.00"


def test_other_units() -> None:
    assert format_value(0.6321, "ratio", "zh_CN") == "63.2%"
    assert format_value(42.25, "days", "zh_CN") == "42.2 天"
    assert format_value(42.3, "days", "en") == "42.3 days"
    assert format_value(1_234_567, "count", "zh_CN") == "123万"
    assert format_value(1_234_567, "count", "en") == "1.23M"
    assert format_value(12_345, "count", "en") == "12,345"
    assert format_value(25, "score", "en") == "25"
    assert format_value(float("nan"), "money", "en") == "-"


def test_change_and_compact() -> None:
    assert format_change(0.1234, "en") == "+12.3%"
    assert format_change(-0.05, "zh_CN") == "−5.0%"
    assert format_change(0, "en") == "0.0%"
    assert format_change(None, "en") == "-"
    assert compact(45_600_000, "zh_CN") == "4,560万"
    assert compact(999, "en") == "999"
