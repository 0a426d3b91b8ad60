"""Splitting a number: cents with the remainder on the last child; whole counts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from salesops.targets.decompose import parse_weights, split
from salesops.targets.service import TargetError

M = Decimal


def test_money_even_thirds_put_the_remainder_on_the_last_child() -> None:
    assert split(M("100"), [M(1)] * 3, 2) == [M("33.33"), M("33.33"), M("33.34")]


def test_money_twelve_months() -> None:
    parts = split(M("1000000"), [M(1)] * 12, 2)
    assert parts[:11] == [M("83333.33")] * 11
    assert parts[11] == M("83333.37")
    assert sum(parts) == M("1000000")


def test_money_rounds_half_up_before_the_remainder() -> None:
    # 2/3 of 1,000,000 = 666,666.666… → 666,666.67; the last child takes 333,333.33.
    assert split(M("1000000"), [M(400000), M(200000)], 2) == [M("666666.67"), M("333333.33")]


def test_money_remainder_skips_a_last_child_with_zero_weight() -> None:
    assert split(M("0.10"), [M(1), M(1), M(1), M(0)], 2) == [
        M("0.03"),
        M("0.03"),
        M("0.04"),
        M("0.00"),
    ]


def test_counts_by_largest_remainder() -> None:
    # 100 / 12 = 8.33…: four months get 9 (ties go to the earlier month), eight get 8.
    assert split(M(100), [M(1)] * 12, 0) == [M(9)] * 4 + [M(8)] * 8
    # 10 by 1:2:3 = 1.67, 3.33, 5 → floors 1, 3, 5; the one left goes to the largest rest (0.67).
    assert split(M(10), [M(1), M(2), M(3)], 0) == [M(2), M(3), M(5)]


def test_bad_weights() -> None:
    with pytest.raises(TargetError, match="zero"):
        split(M(100), [M(0), M(0)], 2)
    with pytest.raises(TargetError, match="negative"):
        split(M(100), [M(1), M(-1)], 2)
    assert split(M(100), [], 2) == []


def test_parse_weights() -> None:
    assert parse_weights("华东=3, 华南=2") == {"华东": M(3), "华南": M(2)}
    assert parse_weights({"A": 1.5}) == {"A": M("1.5")}
    with pytest.raises(TargetError):
        parse_weights("华东:3")
    with pytest.raises(TargetError):
        parse_weights("华东=many")
