"""LMDI-I decomposition on hand-made numbers: exact to the cent, known cases, the zero rule."""

from __future__ import annotations

from decimal import Decimal

from salesops.reports.decompose import bookings_bridge, decompose, mix_rate, revenue_bridge

D = Decimal


def test_twice_the_customers_at_the_same_order_value_is_all_customers() -> None:
    before = {"revenue": 10000, "active_customers": 10, "orders": 20}
    after = {"revenue": 20000, "active_customers": 20, "orders": 40}
    d = revenue_bridge(before, after)
    assert d.change == D("10000.00")
    assert d.parts == {
        "customers": D("10000.00"),
        "orders_per_customer": D("0.00"),
        "avg_order_value": D("0.00"),
    }
    assert d.rule == "lmdi"


def test_parts_sum_to_the_change_to_the_cent() -> None:
    # 100 customers × 1.5 orders × 200.00 = 30 000 → 120 × 1.25 × 230.00 = 34 500
    d = revenue_bridge(
        {"revenue": 30000, "active_customers": 100, "orders": 150},
        {"revenue": 34500, "active_customers": 120, "orders": 150},
    )
    assert d.change == D("4500.00")
    # L = 4500 / ln 1.15; customers L·ln 1.2 = 4500 × ln 1.2 / ln 1.15 = 5870.318…,
    # orders per customer L·ln(1.25 / 1.5) = −L·ln 1.2, order value L·ln 1.15 = 4500
    assert d.parts == {
        "customers": D("5870.32"),
        "orders_per_customer": D("-5870.32"),
        "avg_order_value": D("4500.00"),
    }
    assert sum(d.parts.values()) == d.change


def test_rounding_residual_goes_to_the_largest_part() -> None:
    d = decompose([("a", 3, 7), ("b", 1, D("1.000001")), ("c", 1, D("0.999999"))], 3, D("7.01"))
    assert sum(d.parts.values()) == D("4.01") == d.change
    # a takes L·ln(7/3) = 4.00…; b and c are ±0.00 after rounding; the residual is on a
    assert d.parts["b"] == D("0.00") and d.parts["c"] == D("0.00")
    assert d.parts["a"] == D("4.01")


def test_ugly_numbers_stay_exact() -> None:
    d = revenue_bridge(
        {"revenue": 123456.7891, "active_customers": 37, "orders": 91},
        {"revenue": 98765.4321, "active_customers": 41, "orders": 77},
    )
    assert d.change == D("98765.43") - D("123456.79")
    assert sum(d.parts.values()) == d.change


def test_zero_rule_volume_from_nothing() -> None:
    d = revenue_bridge(
        {"revenue": 0, "active_customers": 0, "orders": 0},
        {"revenue": 500, "active_customers": 2, "orders": 5},
    )
    assert d.rule == "zero"
    assert d.parts == {
        "customers": D("500.00"),
        "orders_per_customer": D("0.00"),
        "avg_order_value": D("0.00"),
    }


def test_bookings_bridge_and_its_zero_rule() -> None:
    # 10 closed × 50 % × 1 000 = 5 000 → 10 closed × 50 % × 2 000 = 10 000: all deal size
    d = bookings_bridge(
        {"bookings": 5000, "won_deals": 5, "lost_deals": 5},
        {"bookings": 10000, "won_deals": 5, "lost_deals": 5},
    )
    assert d.parts == {
        "deals_closed": D("0.00"),
        "win_rate": D("0.00"),
        "avg_deal_size": D("5000.00"),
    }
    # all deals lost before: the win rate was 0, so the change is the win rate's
    d = bookings_bridge(
        {"bookings": 0, "won_deals": 0, "lost_deals": 4},
        {"bookings": 3000, "won_deals": 1, "lost_deals": 3},
    )
    assert d.rule == "zero"
    assert d.parts["win_rate"] == D("3000.00")
    assert sum(d.parts.values()) == D("3000.00")


def test_unchanged_value_has_no_parts() -> None:
    d = revenue_bridge(
        {"revenue": 100, "active_customers": 1, "orders": 1},
        {"revenue": 100, "active_customers": 2, "orders": 2},
    )
    assert d.change == 0 and all(v == 0 for v in d.parts.values())


def test_mix_against_rate() -> None:
    # East: 10 customers × 100 → 10 × 100 (unchanged); West: 10 × 100 → 30 × 100.
    # N goes 20 → 40: West's growth is volume and mix, no rate; East loses share (mix)
    # exactly as much as volume gives it.
    m = mix_rate([("East", 1000, 1000, 10, 10), ("West", 1000, 3000, 10, 30)])
    east, west = m.segments
    assert east.change == 0 and east.volume == -east.mix and east.rate == 0
    assert west.change == D("2000.00") and west.rate == 0
    assert west.volume + west.mix == D("2000.00")
    assert m.change == D("2000.00") == sum(m.totals.values())
    assert m.totals["rate"] == 0


def test_mix_new_segment_and_rate_only() -> None:
    m = mix_rate([("North", 0, 400, 0, 4), ("South", 1000, 1200, 10, 10)])
    north, south = m.segments
    assert (north.volume, north.mix, north.rate) == (D("0.00"), D("400.00"), D("0.00"))
    # South keeps 10 customers but N grows 10 → 14: its volume gain is its mix loss
    assert south.volume + south.mix + south.rate == D("200.00")
    assert m.change == D("600.00") == sum(m.totals.values())
