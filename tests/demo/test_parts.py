"""The generator's building blocks, without a database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from salesops.demo import DemoConfig, build_frames
from salesops.demo.frame import NULL, Cat, Code, Frame, Ref, scaled_decimal, to_arrow
from salesops.demo.org import chinese_number
from salesops.demo.targets import split
from salesops.demo.timeline import Timeline
from tests.demo.helpers import TINY


def test_scaled_decimals_are_exact() -> None:
    values = np.array([12345, -5, NULL, 10**15 + 1, 0])
    array = scaled_decimal(values, 18, 2)
    assert array.to_pylist() == [
        Decimal("123.45"),
        Decimal("-0.05"),
        None,
        Decimal("10000000000000.01"),
        Decimal("0.00"),
    ]


def test_frames_turn_row_indices_into_ids() -> None:
    frame = Frame(
        "lead",
        3,
        {
            "external_id": Code("L", 4),
            "customer_id": Ref("customer", np.array([0, -1, 2])),
            "status": Cat(np.array([1, 0, -1]), ("open", "converted")),
            "created_on": np.array([0, 20_000, NULL]),
        },
    )
    table = to_arrow(frame, {"lead": 100, "customer": 7}, 1, 3)
    assert table.to_pydict() == {
        "id": [101, 102],
        "external_id": ["L0002", "L0003"],
        "customer_id": [None, 9],
        "status": ["open", None],
        "created_on": [dt.date(2024, 10, 4), None],
    }
    with pytest.raises(ValueError, match="2 values for 3 rows"):
        Frame("lead", 3, {"customer_id": Ref("customer", np.array([0, 1]))})
    with pytest.raises(ValueError, match="no column 'nope'"):
        Frame("lead", 1, {"nope": np.array([1])})


def test_split_adds_up_exactly_and_rounds_half_up() -> None:
    # 1,000,000.00 over three equal children: 333,333.33 twice, the last takes the rest
    values = np.array([100_000_000 * 100])
    children = split(values, np.zeros(3, dtype=np.int64), np.ones(3), 100)
    assert children.tolist() == [33_333_333_00, 33_333_333_00, 33_333_334_00]
    # two parents; a child without weight gets nothing and the remainder skips it
    values = np.array([1_000, 101])
    parent = np.array([0, 0, 0, 1, 1])
    children = split(values, parent, np.array([1.0, 1.0, 0.0, 1.0, 1.0]), 1)
    assert children.tolist() == [500, 500, 0, 51, 50]  # 50.5 rounds half up to 51


def test_chinese_team_numbers() -> None:
    assert [chinese_number(n) for n in (1, 2, 9, 10, 12, 20, 40, 99)] == [
        "一",
        "二",
        "九",
        "十",
        "十二",
        "二十",
        "四十",
        "九十九",
    ]


def test_days_follow_the_calendar() -> None:
    config = DemoConfig(today=dt.date(2026, 11, 22))
    timeline = Timeline(config, np.array([1.0, 0.5]))
    assert timeline.days == 1_057  # 2024-01-01 .. 2026-11-22
    rng = np.random.default_rng(1)
    n = 50_000
    days = timeline.draw(rng, np.zeros(n, dtype=np.int64), np.full(n, 366), np.full(n, 730))
    assert days.min() >= 366 and days.max() <= 730  # 2025
    dates = timeline.epoch_day(days).astype("datetime64[D]")
    weekday = (timeline.epoch_day(days) + 3) % 7
    assert (weekday >= 5).mean() < 0.06
    months = dates.astype("datetime64[M]").astype(int) % 12 + 1
    per_month = np.bincount(months, minlength=13)
    assert per_month[12] > 1.5 * per_month[2]  # year-end peak, Spring Festival dip
    # over the whole history, a region halving every year has far fewer draws in its last year
    whole = (np.zeros(n, dtype=np.int64), np.full(n, 1_056))
    steady = timeline.draw(rng, np.zeros(n, dtype=np.int64), *whole)
    halving = timeline.draw(rng, np.ones(n, dtype=np.int64), *whole)
    assert (steady >= 731).mean() > 0.25  # 2026 until 22 November: 326 of 1,057 days
    assert (halving >= 731).mean() < 0.2


def test_named_scales() -> None:
    small = DemoConfig.for_scale("small", today=dt.date(2026, 11, 22))
    assert (small.reps, small.customers, small.opportunities, small.order_lines) == (
        40,
        1_500,
        20_000,
        200_000,
    )
    assert small.start == dt.date(2024, 1, 1)
    large = DemoConfig.for_scale("large", seed=3)
    assert (large.reps, large.opportunities, large.order_lines, large.seed) == (
        2_000,
        1_000_000,
        10_000_000,
        3,
    )
    assert DemoConfig.for_scale("medium").order_lines == 2_000_000
    with pytest.raises(ValueError, match="unknown scale 'huge'"):
        DemoConfig.for_scale("huge")
    with pytest.raises(ValueError, match="at least one rep per region"):
        DemoConfig(regions=3, reps=2)


def test_building_is_pure_and_repeatable() -> None:
    first = build_frames(TINY)
    second = build_frames(TINY)
    assert [f.table for f in first] == [f.table for f in second]
    for a, b in zip(first, second, strict=True):
        assert a.rows == b.rows
        ids = {t: 1 for t in ("region", "org_unit", "rep", "product", "pipeline_stage")}
        ids.update({f.table: 1 for f in first})
        assert to_arrow(a, ids, 0, a.rows).equals(to_arrow(b, ids, 0, b.rows)), a.table
