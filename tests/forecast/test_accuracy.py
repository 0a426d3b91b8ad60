"""Accuracy measures on hand-made numbers (expected values worked out by hand)."""

from __future__ import annotations

import pytest

from salesops.forecast import accuracy


def test_wape_weighs_by_actuals() -> None:
    # |110-100| + |40-50| + |0-10| = 30 over 160
    assert accuracy.wape([110, 40, 0], [100, 50, 10]) == pytest.approx(30 / 160)
    assert accuracy.wape([1, 2], [0, 0]) is None


def test_bias_has_a_sign() -> None:
    # (110-100) + (40-50) + (0-10) = -10 over 160: forecasts ran low
    assert accuracy.bias([110, 40, 0], [100, 50, 10]) == pytest.approx(-10 / 160)
    assert accuracy.bias([120, 60], [100, 50]) == pytest.approx(30 / 150)


def test_coverage_counts_inclusive_bounds() -> None:
    # 100 in [90, 100] yes; 50 in [51, 60] no; 10 in [10, 20] yes; 7 in [0, 5] no
    assert accuracy.coverage([90, 51, 10, 0], [100, 60, 20, 5], [100, 50, 10, 7]) == 0.5
    assert accuracy.coverage([], [], []) is None


def test_brier_score() -> None:
    # (0.9-1)^2 + (0.2-0)^2 + (0.6-0)^2 + (0.5-1)^2 = 0.01 + 0.04 + 0.36 + 0.25 = 0.66; / 4
    assert accuracy.brier([0.9, 0.2, 0.6, 0.5], [1, 0, 0, 1]) == pytest.approx(0.165)
    assert accuracy.brier([], []) is None


def test_reliability_bins() -> None:
    p = [0.05, 0.15, 0.12, 0.95, 1.0]
    won = [0, 1, 0, 1, 1]
    bins = accuracy.reliability(p, won, bins=10)
    assert [(b["low"], b["count"]) for b in bins] == [(0.0, 1.0), (0.1, 2.0), (0.9, 2.0)]
    middle = bins[1]
    assert middle["mean_p"] == pytest.approx(0.135)
    assert middle["won_share"] == pytest.approx(0.5)
    assert bins[2]["mean_p"] == pytest.approx(0.975)  # 1.0 falls into the last bin


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError):
        accuracy.wape([1], [1, 2])
    with pytest.raises(ValueError):
        accuracy.brier([0.5], [])
