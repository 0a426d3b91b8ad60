"""Grouping and filtering by every dimension, and dimensions that do not apply."""

from __future__ import annotations

from typing import Any

import pytest

from salesops.metrics.compiler import MetricQueryError
from salesops.metrics.query import MetricQuery
from tests.metrics.conftest import World
from tests.metrics.world import Q1

START, END = Q1

# Revenue 2024-Q1 by each dimension of an order line (see tests/metrics/world.py).
REVENUE_BY: list[tuple[str, list[tuple[Any, float]]]] = [
    ("region", [("East", 650.0), ("West", 80.0)]),
    ("customer_region", [("East", 350.0), ("West", 380.0)]),  # Acme East; Beta, Gamma West
    ("team", [("T-East", 650.0), ("T-West", 80.0)]),
    ("rep", [("Ann", 350.0), ("Bob", 300.0), ("Cat", 80.0)]),
    ("product", [("Service", 350.0), ("Widget", 380.0)]),  # O3's widget line was cancelled
    ("product_line", [("Hardware", 380.0), ("Services", 350.0)]),
    ("channel", [("offline", 380.0), ("online", 350.0)]),
    ("source_channel", [("referral", 300.0), ("web", 430.0)]),
    ("customer", [("Acme", 350.0), ("Beta", 300.0), ("Gamma", 80.0)]),
    ("industry", [("Manufacturing", 350.0), ("Retail", 380.0)]),
    ("segment", [("Enterprise", 350.0), ("SMB", 380.0)]),
]


@pytest.mark.parametrize(("dim", "expected"), REVENUE_BY, ids=[d for d, _ in REVENUE_BY])
def test_revenue_by(world: World, dim: str, expected: list[tuple[Any, float]]) -> None:
    result = world.engine.query(MetricQuery("revenue", by=(dim,), start=START, end=END))
    assert result.rows == [{dim: k, "value": v} for k, v in expected]


def test_two_dimensions(world: World) -> None:
    q = MetricQuery("orders", by=("team", "channel"), start=START, end=END)
    assert world.engine.query(q).rows == [
        {"team": "T-East", "channel": "offline", "value": 1},  # O3
        {"team": "T-East", "channel": "online", "value": 2},  # O1, O2
        {"team": "T-West", "channel": "offline", "value": 1},  # O4
    ]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ((("region", ("East",)),), 650.0),
        ((("product_line", ("Hardware",)),), 380.0),
        ((("team", ("T-West",)),), 80.0),
        ((("rep", ("Ann", "Cat")),), 430.0),  # OR within a dimension
        ((("channel", ("offline",)), ("industry", ("Retail",))), 380.0),  # AND across
        ((("customer_region", ("West",)), ("rep", ("Bob",))), 300.0),
        ((("segment", ("Enterprise",)),), 350.0),
        ((("region", ("Nowhere",)),), 0),
    ],
)
def test_filters(world: World, where: Any, expected: float) -> None:
    q = MetricQuery("revenue", start=START, end=END, where=where)
    assert world.engine.query(q).rows == [{"value": expected}]


def test_filters_on_a_ratio_apply_to_numerator_and_denominator(world: World) -> None:
    q = MetricQuery("win_rate", start=START, end=END, where=(("rep", ("Bob",)),))
    assert world.engine.query(q).rows == [{"value": 0.0}]  # Bob lost D2, won nothing
    by_rep = world.engine.query(MetricQuery("win_rate", by=("rep",), start=START, end=END))
    assert by_rep.rows == [
        {"rep": "Ann", "value": 1.0},
        {"rep": "Bob", "value": 0.0},
        {"rep": "Cat", "value": 1.0},
    ]


def test_dimension_that_does_not_apply(world: World) -> None:
    with pytest.raises(MetricQueryError, match="does not apply to per_rep_output"):
        world.engine.query(MetricQuery("per_rep_output", by=("product",)))
    with pytest.raises(MetricQueryError, match="does not apply to revenue"):
        world.engine.query(MetricQuery("revenue", where=(("stage", ("Won",)),)))


def test_unknown_dimension_and_metric(world: World) -> None:
    with pytest.raises(MetricQueryError, match="unknown dimension 'colour'"):
        world.engine.query(MetricQuery("revenue", by=("colour",)))
    with pytest.raises(MetricQueryError, match="unknown metric 'profit'"):
        world.engine.query(MetricQuery("profit"))


def test_empty_denominators_are_null(world: World) -> None:
    year = {"start": START.replace(year=2025), "end": END.replace(year=2025)}
    for metric in ("gross_margin", "aov", "win_rate", "avg_deal_size", "collection_rate", "nps"):
        assert world.engine.query(MetricQuery(metric, **year)).rows == [{"value": None}], metric
    # a sum over nothing is 0, not null
    assert world.engine.query(MetricQuery("revenue", **year)).rows == [{"value": 0.0}]


def test_sort_and_limit(world: World) -> None:
    q = MetricQuery("revenue", by=("rep",), start=START, end=END, sort="-value", limit=2)
    assert world.engine.query(q).rows == [
        {"rep": "Ann", "value": 350.0},
        {"rep": "Bob", "value": 300.0},
    ]
    q = MetricQuery("revenue", by=("rep",), start=START, end=END, sort="value")
    assert [r["rep"] for r in world.engine.query(q).rows] == ["Cat", "Bob", "Ann"]
