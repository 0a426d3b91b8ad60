"""The filter bar's query string: periods, comparison, dimensions, and bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from salesops.web.filters import FilterError, parse_filters

TODAY = dt.date(2026, 6, 15)


def test_default_is_this_year_to_date_against_last_year() -> None:
    f = parse_filters({}, today=TODAY)
    assert (f.period, f.start, f.end, f.compare) == ("year", dt.date(2026, 1, 1), TODAY, "yoy")
    assert f.trend_grain == "month"


@pytest.mark.parametrize(
    ("period", "start", "compare"),
    [
        ("month", dt.date(2026, 6, 1), "prev"),
        ("quarter", dt.date(2026, 4, 1), "prev"),
        ("last12", dt.date(2025, 7, 1), "yoy"),
    ],
)
def test_periods(period: str, start: dt.date, compare: str) -> None:
    f = parse_filters({"period": [period]}, today=TODAY)
    assert (f.start, f.end, f.compare) == (start, TODAY, compare)


def test_custom_period_dimensions_and_round_trip() -> None:
    params = {
        "from": ["2026-03-01"],
        "to": ["2026-03-31"],
        "compare": ["yoy"],
        "region": ["华东", "华南", "华东"],
        "segment": ["大客户"],
        "unknown": ["ignored"],
    }
    f = parse_filters(params, today=TODAY)
    assert f.period == "custom"
    assert (f.start, f.end, f.trend_grain) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31), "day")
    assert f.where == (("region", ("华东", "华南")), ("segment", ("大客户",)))
    assert f.extra_dims == [("segment", "大客户")]
    assert f.value("region") == ""  # two values: no single selection
    again = parse_filters(
        {k: v if isinstance(v, list) else [v] for k, v in f.params().items()}, today=TODAY
    )
    assert again == f
    assert "region" not in f.query_string(region=None)


def test_asof_moves_today() -> None:
    f = parse_filters({"asof": ["2025-02-10"], "period": ["quarter"]})
    assert (f.start, f.end, f.asof_given) == (dt.date(2025, 1, 1), dt.date(2025, 2, 10), True)


@pytest.mark.parametrize(
    "params",
    [
        {"period": ["fortnight"]},
        {"compare": ["mom"]},
        {"grain": ["hour"]},
        {"period": ["custom"], "from": ["2026-01-01"]},
        {"from": ["2026-13-01"], "to": ["2026-12-31"]},
        {"from": ["2026-05-01"], "to": ["2026-04-01"]},
        {"asof": ["0001-01-01"]},
        {"region": ["x" * 300]},
    ],
)
def test_bad_input_is_a_filter_error(params: dict[str, list[str]]) -> None:
    with pytest.raises(FilterError):
        parse_filters(params, today=TODAY)
