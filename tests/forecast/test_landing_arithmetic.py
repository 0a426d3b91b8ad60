"""The landing arithmetic, categories and roll-up on hand-made numbers."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from salesops.forecast.landing import Bands, category, landing, origin_in, roll_up, same_point
from salesops.targets.calendar import parse_period

END = dt.date(2026, 6, 30)


def test_landing_sums_closed_pipeline_and_new_business() -> None:
    # pipeline: 1000 x 0.5 x 1 + 2000 x 0.25 x 0.5 = 500 + 250 = 750
    expected, low, high, pipeline = landing(
        300.0, [(1000, 0.5, 1.0), (2000, 0.25, 0.5)], 100.0, 0.0
    )
    assert pipeline == pytest.approx(750.0)
    assert expected == pytest.approx(300 + 750 + 100)
    # variance: 1000^2 x 0.5 x 0.5 + 2000^2 x 0.125 x 0.875 = 250000 + 437500 = 687500
    sd = math.sqrt(687_500)
    assert high == pytest.approx(1150 + 1.2815515655446004 * sd)
    assert low == pytest.approx(max(300.0, 1150 - 1.2815515655446004 * sd))


def test_range_never_below_what_is_closed() -> None:
    _, low, _, _ = landing(500.0, [(10_000, 0.5, 1.0)], 0.0, 0.0)
    assert low == 500.0


def test_new_business_spread_widens_the_range() -> None:
    _, low, high, _ = landing(0.0, [], 1000.0, 100.0)
    assert (low, high) == pytest.approx((1000 - 128.15515655446004, 1000 + 128.15515655446004))


def test_categories_by_band_and_crm_field() -> None:
    bands = Bands(commit=0.7, best_case=0.4, pipeline=0.1)
    assert category(0.7, END, END, bands) == "commit"
    assert category(0.69, END, END, bands) == "best_case"
    assert category(0.4, END, END, bands) == "best_case"
    assert category(0.1, END, END, bands) == "pipeline"
    assert category(0.05, END, END, bands) == "omitted"
    assert category(0.9, dt.date(2026, 7, 1), END, bands) == "omitted"  # closes after
    assert category(0.9, None, END, bands) == "omitted"
    assert category(0.05, END, END, bands, crm="Commit") == "commit"  # the CRM's word wins
    assert category(0.9, END, END, bands, crm="Upside") == "best_case"
    assert category(0.9, END, END, bands, crm="something else") == "commit"


def test_bands_are_configurable_and_checked() -> None:
    assert Bands.parse("commit=0.9, best_case=0.5") == Bands(0.9, 0.5, 0.1)
    with pytest.raises(ValueError, match="unknown forecast band"):
        Bands.parse("sure=0.9")
    with pytest.raises(ValueError, match="needs a number"):
        Bands.parse("commit=high")
    with pytest.raises(ValueError, match="must satisfy"):
        Bands(commit=0.3, best_case=0.5)


def test_roll_up() -> None:
    deals = [
        (100.0, "commit"),
        (50.0, "commit"),
        (70.0, "best_case"),
        (30.0, "pipeline"),
        (999.0, "omitted"),
    ]
    sums = roll_up(200.0, deals)  # type: ignore[arg-type]
    assert sums["closed"] == 200.0
    assert (sums["commit"], sums["best_case"], sums["pipeline"], sums["omitted"]) == (
        150,
        70,
        30,
        999,
    )
    assert sums["commit_total"] == 350.0
    assert sums["best_case_total"] == 420.0
    assert sums["pipeline_total"] == 450.0


def test_same_point_of_earlier_periods() -> None:
    q2 = parse_period("2026-Q2")
    assert origin_in(q2, dt.date(2026, 3, 31)) == 0
    assert origin_in(q2, dt.date(2026, 4, 29)) == 0
    assert origin_in(q2, dt.date(2026, 4, 30)) == 1
    assert origin_in(q2, dt.date(2026, 6, 1)) == 2
    assert same_point(parse_period("2026-Q1"), 1) == dt.date(2026, 1, 31)
    assert same_point(parse_period("2026-Q1"), 0) == dt.date(2025, 12, 31)


def test_errors_shared_by_all_deals_widen_the_range() -> None:
    # variance 1000^2 x 0.25 = 250000 from the deal, + 400^2 = 160000 shared: sd = sqrt(410000)
    expected, low, high, _ = landing(0.0, [(1000, 0.5, 1.0)], 0.0, 0.0, systematic_sd=400.0)
    assert low == 0.0  # never below what is closed (nothing here)
    assert expected == 500.0
    assert high - expected == pytest.approx(1.2815515655446004 * math.sqrt(410_000))
