"""Issue #28: the engagement score as a dimension band (``engagement_band``) and in the
lifecycle, on hand-made data, DuckDB and PostgreSQL.

The data (as of 2026-06-30; weights visit 3, event 4, call 2, feedback 2, order 5; half-life 90
days; score = 100 × (1 − e^(−raw/20)), rounded to 0.1; high ≥ 60, medium ≥ 30, low > 0):

============  =====  ===================================================  =====  =====  ======
customer      owner  interactions in the 365 days to 2026-06-30           raw    score  band
============  =====  ===================================================  =====  =====  ======
Alpha         Ann    4 visits + event + order 1000 (Ann) on 06-30 = 12+4+5  23     68.3   high
                     call by Bob on 06-30 = 2; Bob's order 90 on 2025-03-01
                     is 486 days old (outside)
Beta          Ann    order 400 + visit on 06-30 = 5 + 3                     8      33.0   medium
Gamma         Bob    order 250 on 04-01 (90 days) = 5 × 0.5 = 2.5;          3.2937 15.2   low
                     feedback 03-02 (120 days) = 2 × 0.5^(4/3) = 0.7937
Delta         Bob    order 70 on 2025-06-01 (394 days): none                0      0.0    none
Echo          Ann    order 30 on 01-15 (166 days) = 5 × 0.27824 = 1.3912;   4.3693 19.6   low
                     visit 06-29 (1 day) = 3 × 0.99233 = 2.9770
Foxtrot       Ann    an opportunity only                                    0      0.0    none
============  =====  ===================================================  =====  =====  ======

Seen by Bob (his interactions only, as on the customer page): Alpha = the call, raw 2, score
100 × (1 − e^(−0.1)) = 9.5, low.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from salesops.analysis.lifecycle import lifecycle
from salesops.app import create_app
from salesops.customers.engagement import band_counts, customer_bands, engagement
from salesops.db.schema import Feedback
from salesops.metrics import engagement as definition
from salesops.metrics.dimensions import DimensionError, engagement_as_of
from salesops.metrics.engine import MetricsEngine
from salesops.metrics.query import MetricQuery
from salesops.metrics.scope import FULL_SCOPE, Scope
from tests.analysis.data import Builder, build
from tests.auth_helpers import bearer
from tests.conftest import Db

D = dt.date
AS_OF = D(2026, 6, 30)
#: 2025-01-01 .. 2026-06-30: longer than the 365-day window, so Delta's order of 2025-06-01 is
#: revenue of a customer without interactions on the period's end.
PERIOD = {"start": D(2025, 1, 1), "end": AS_OF}


def seed(
    db: Db,
    shift: dt.timedelta = dt.timedelta(0),
    extra: Callable[[Builder], None] | None = None,
) -> dict[str, int]:
    """The customers of the table above; ``shift`` moves every date (the browser test puts
    2026-06-30 on today: ages, scores and bands stay the same); ``extra`` adds more rows."""

    def on(day: str) -> str:
        return (D.fromisoformat(day) + shift).isoformat()

    with build(db.engine) as b:
        b.team("T")
        b.rep("Ann", team="T")
        b.rep("Bob", team="T")
        for name, owner in (
            ("Alpha", "Ann"),
            ("Beta", "Ann"),
            ("Gamma", "Bob"),
            ("Delta", "Bob"),
            ("Echo", "Ann"),
            ("Foxtrot", "Ann"),
        ):
            b.customer(name, owner=owner)
        for _ in range(4):
            b.activity("Alpha", on("2026-06-30"), kind="visit", rep="Ann")
        b.activity("Alpha", on("2026-06-30"), kind="event", rep="Ann")
        b.activity("Alpha", on("2026-06-30"), kind="call", rep="Bob")
        b.order("A1", on("2026-06-30"), "Alpha", 1000, rep="Ann")
        b.order("A0", on("2025-03-01"), "Alpha", 90, rep="Bob")
        b.order("B1", on("2026-06-30"), "Beta", 400, rep="Ann")
        b.activity("Beta", on("2026-06-30"), kind="visit", rep="Ann")
        b.order("G1", on("2026-04-01"), "Gamma", 250, rep="Bob")
        b.s.add(
            Feedback(
                external_id="FG",
                customer_id=b.ids["customer:Gamma"],
                rep_id=b.ids["rep:Bob"],
                received_on=D(2026, 3, 2) + shift,
                nps=6,
            )
        )
        b.order("D1", on("2025-06-01"), "Delta", 70, rep="Bob")
        b.order("E1", on("2026-01-15"), "Echo", 30, rep="Ann")
        b.activity("Echo", on("2026-06-29"), kind="visit", rep="Ann")
        b.opportunity("F-deal", customer="Foxtrot", owner="Ann", created=on("2026-05-01"))
        if extra is not None:
            extra(b)
    return b.ids


@pytest.fixture
def ids(db: Db) -> dict[str, int]:
    return seed(db)


def _by_band(
    engine: MetricsEngine, metric: str, scope: Scope = FULL_SCOPE, **kw: dt.date
) -> dict[str | None, float | int | None]:
    q = MetricQuery(metric, by=("engagement_band",), **{**PERIOD, **kw})
    return {r["engagement_band"]: r["value"] for r in engine.query(q, scope).rows}


def test_scores_and_bands_of_the_customers(db: Db, ids: dict[str, int]) -> None:
    names = ("Alpha", "Beta", "Gamma", "Delta", "Echo", "Foxtrot")
    with db.engine.connect() as conn:
        got = engagement(conn, [ids[f"customer:{n}"] for n in names], AS_OF)
        bob = engagement(conn, [ids["customer:Alpha"]], AS_OF, Scope.single_rep(ids["rep:Bob"]))
    assert [(got[ids[f"customer:{n}"]].score, got[ids[f"customer:{n}"]].band) for n in names] == [
        (68.3, "high"),
        (33.0, "medium"),
        (15.2, "low"),
        (0.0, "none"),
        (19.6, "low"),
        (0.0, "none"),
    ]
    assert (bob[ids["customer:Alpha"]].score, bob[ids["customer:Alpha"]].band) == (9.5, "low")


def test_revenue_and_customers_by_engagement_band(db: Db, ids: dict[str, int]) -> None:
    for summary in (True, False):  # the monthly summary and the lines agree
        engine = MetricsEngine(db.engine, today=D(2026, 12, 1), summary=summary)
        # high: Alpha 1000 + 90; medium: Beta 400; low: Gamma 250 + Echo 30; none: Delta 70
        assert _by_band(engine, "revenue") == {
            "high": 1090.0,
            "medium": 400.0,
            "low": 280.0,
            "none": 70.0,
        }
        assert _by_band(engine, "active_customers") == {"high": 1, "medium": 1, "low": 2, "none": 1}
    engine = MetricsEngine(db.engine, today=D(2026, 12, 1))
    # A filter by id, by English or by Chinese name; "none" keeps the customers without any.
    for value in ("high", "High", "高"):
        where = (("engagement_band", (value,)),)
        q = MetricQuery("revenue", where=where, **PERIOD)  # type: ignore[arg-type]
        assert engine.query(q).rows == [{"value": 1090.0}]
    where = (("engagement_band", ("无互动",)),)
    q = MetricQuery("revenue", by=("customer",), where=where, **PERIOD)  # type: ignore[arg-type]
    assert engine.query(q).rows == [{"customer": "Delta", "value": 70.0}]
    where = (("engagement_band", ("medium", "low")),)
    q = MetricQuery("active_customers", where=where, **PERIOD)  # type: ignore[arg-type]
    assert engine.query(q).rows == [{"value": 3}]  # Beta, Gamma, Echo
    # A value naming no band keeps nothing (rather than everything).
    where = (("engagement_band", ("hot",)),)
    q = MetricQuery("revenue", where=where, **PERIOD)  # type: ignore[arg-type]
    assert engine.query(q).rows == [{"value": 0}]


def test_the_band_is_as_of_the_query_end(db: Db, ids: dict[str, int]) -> None:
    """As of 2026-03-31: Alpha's and Beta's interactions are all later (none); Delta's order
    of 2025-06-01 is 303 days old: 5 × 0.5^(303/90) = 0.4847, score 2.4, low; Echo's order of
    01-15 is 75 days old, low. Revenue to 03-31: Alpha 90 (none), Delta 70 + Echo 30 (low)."""
    engine = MetricsEngine(db.engine, today=D(2026, 12, 1))
    end = {"end": D(2026, 3, 31)}
    assert _by_band(engine, "revenue", **end) == {"none": 90.0, "low": 100.0}
    # as_of, when given, is the day instead of the end
    got = _by_band(engine, "revenue", as_of=AS_OF, **end)
    assert got == {"high": 90.0, "low": 30.0, "none": 70.0}


def test_bands_follow_the_callers_scope(db: Db, ids: dict[str, int]) -> None:
    """Bob sees his orders (Alpha 90, Gamma 250, Delta 70) and his interactions: Alpha is low
    for him (the call only), as his customer page says."""
    engine = MetricsEngine(db.engine, today=D(2026, 12, 1))
    bob = Scope.single_rep(ids["rep:Bob"])
    assert _by_band(engine, "revenue", bob) == {"low": 340.0, "none": 70.0}
    where = (("engagement_band", ("low",)),)
    q = MetricQuery("revenue", by=("customer",), where=where, **PERIOD)  # type: ignore[arg-type]
    got = {r["customer"]: r["value"] for r in engine.query(q, bob).rows}
    assert got == {"Alpha": 90.0, "Gamma": 250.0}
    with db.engine.connect() as conn:
        page = engagement(conn, [ids["customer:Alpha"]], AS_OF, bob)[ids["customer:Alpha"]]
    assert page.band == "low"


def test_customer_base_by_band(db: Db, ids: dict[str, int]) -> None:
    with db.engine.connect() as conn:
        assert band_counts(conn, AS_OF) == {"high": 1, "medium": 1, "low": 2, "none": 2}
        # Bob's customers (current owner): Gamma (low) and Delta (none)
        bob = Scope.single_rep(ids["rep:Bob"])
        assert band_counts(conn, AS_OF, bob) == {"high": 0, "medium": 0, "low": 1, "none": 1}
        flt = (("engagement_band", ("low",)),)
        assert band_counts(conn, AS_OF, FULL_SCOPE, flt) == {
            "high": 0,
            "medium": 0,
            "low": 2,
            "none": 0,
        }
        low = customer_bands(conn, AS_OF, band="low")
    assert [(c.customer, c.score, c.interactions) for c in low] == [
        ("Echo", 19.6, 2),
        ("Gamma", 15.2, 2),
    ]


def test_lifecycle_with_engagement(db: Db, ids: dict[str, int]) -> None:
    """Stages as of 06-30 (new ≤ 90 days since the first order, active ≤ 180 since the last,
    churned > 365): Foxtrot potential; Beta (first order today) and Gamma (first 90 days ago)
    new; Alpha and Echo (last order 166 days ago) active; Delta churned.

    Cooling = new/active, low/none, and lower than 90 days before (as of 04-01):
    Gamma before = order 04-01 (5) + feedback 03-02 (30 days: 2 × 0.7937) = 6.5874, score 28.1,
    now 15.2: cooling. Echo before = order 01-15 (76 days: 5 × 0.55711) = 2.7856, score 13.0,
    now 19.6 (the visit): rising, not cooling."""
    result = lifecycle(db.engine, as_of=AS_OF)
    bands = {s.stage: {k: v for k, v in s.bands.items() if v} for s in result.stages}
    assert bands == {
        "potential": {"none": 1},
        "new": {"medium": 1, "low": 1},
        "active": {"high": 1, "low": 1},
        "dormant": {},
        "churned": {"none": 1},
    }
    assert result.cooling == 1
    assert {s.stage: s.cooling for s in result.stages}["new"] == 1
    assert result.engagement_before == D(2026, 4, 1)
    rows = {r.customer: r for r in result.rows}
    gamma, echo = rows["Gamma"], rows["Echo"]
    assert (gamma.engagement_score, gamma.engagement_score_before, gamma.cooling) == (
        15.2,
        28.1,
        True,
    )
    assert (echo.engagement_score, echo.engagement_score_before, echo.cooling) == (
        19.6,
        13.0,
        False,
    )
    assert rows["Alpha"].engagement_band == "high"
    only = lifecycle(db.engine, as_of=AS_OF, cooling=True)
    assert [r.customer for r in only.rows] == ["Gamma"]
    active_low = lifecycle(db.engine, as_of=AS_OF, stage="active", band="low")
    assert [r.customer for r in active_low.rows] == ["Echo"]
    # Filtered by a band, as of the day the board sets (the period's end)
    with engagement_as_of(AS_OF):
        high = lifecycle(db.engine, FULL_SCOPE, {"engagement_band": ["high"]}, as_of=AS_OF)
    assert [(r.customer, r.stage) for r in high.rows] == [("Alpha", "active")]


def test_engagement_band_through_the_api(db: Db, ids: dict[str, int]) -> None:
    client = TestClient(create_app(db.engine))
    client.headers.update(bearer(db.engine, "eng-admin", "admin"))
    period = "from=2025-01-01&to=2026-06-30"
    rows = client.get(f"/api/v1/metrics/revenue?{period}&by=engagement_band").json()["rows"]
    assert {r["engagement_band"]: r["value"] for r in rows} == {
        "high": 1090.0,
        "medium": 400.0,
        "low": 280.0,
        "none": 70.0,
    }
    got = client.get(f"/api/v1/metrics/revenue?{period}&where=engagement_band=中").json()
    assert got["rows"] == [{"value": 400.0}]
    life = client.get("/api/v1/analysis/lifecycle?as_of=2026-06-30&cooling=true").json()
    assert [r["customer"] for r in life["rows"]] == ["Gamma"]
    assert life["cooling"] == 1


def test_band_thresholds_match_the_score() -> None:
    """The SQL bands read the raw sum against the least raw of each band's rounded score."""
    for low, ident in ((60.0, "high"), (30.0, "medium"), (0.1, "low")):
        floor = definition.raw_floor(low)
        assert definition.band(definition.score(floor + 1e-9)) == ident
        assert definition.band(definition.score(floor - 1e-6)) != ident
    assert definition.band_id("高") == "high"
    assert definition.band_id("No interaction") == "none"
    assert definition.band_id("x") is None


def test_band_needs_a_customer() -> None:
    from salesops.metrics.dimensions import applies, filter_condition

    assert applies("order_line", "engagement_band")
    assert not applies("marketing_spend", "engagement_band")
    with pytest.raises(DimensionError):
        filter_condition("marketing_spend", "engagement_band", ["high"])


def test_the_customer_page_agrees_with_the_dimension(db: Db, ids: dict[str, int]) -> None:
    """For every customer and scope, the band the engine counts its revenue in is the band of
    the score its customer page shows (same day: the period's end); the page marks Gamma as
    cooling and Echo not."""
    from salesops.customers.profile import customer_profile

    engine = MetricsEngine(db.engine, today=D(2026, 12, 1))
    for scope in (FULL_SCOPE, Scope.single_rep(ids["rep:Bob"])):
        q = MetricQuery("revenue", by=("customer", "engagement_band"), **PERIOD)  # type: ignore[arg-type]
        counted = {r["customer"]: r["engagement_band"] for r in engine.query(q, scope).rows}
        with db.engine.connect() as conn:
            page = engagement(conn, [ids[f"customer:{n}"] for n in counted], AS_OF, scope)
        assert counted == {n: page[ids[f"customer:{n}"]].band for n in counted}
    gamma = customer_profile(db.engine, FULL_SCOPE, ids["customer:Gamma"], as_of=AS_OF)
    echo = customer_profile(db.engine, FULL_SCOPE, ids["customer:Echo"], as_of=AS_OF)
    assert (gamma.cooling, gamma.engagement_before) == (True, 28.1)
    assert (echo.cooling, echo.engagement_before) == (False, 13.0)
