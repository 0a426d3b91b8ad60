"""Scorecard arithmetic (weights, bands, missing values) by hand, and whole scorecards on the
hand-made world (tests/people/world.py), both databases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from salesops.auth.audit import list_events
from salesops.metrics.scope import Scope
from salesops.people import scorecards as sc
from salesops.people.scoring import Part, band_score, target_score, weighted
from salesops.people.statements import NotVisible, PeopleError
from salesops.targets.calendar import Period
from tests.conftest import Db
from tests.people.world import build

Q1 = Period(dt.date(2024, 1, 1), "quarter")
BANDS = ((Decimal(0), Decimal(0)), (Decimal("0.2"), Decimal(60)), (Decimal("0.4"), Decimal(100)))


def part(weight: str, score: str | None) -> Part:
    return Part(
        "x", "x", "kpi", Decimal(weight), None, None, None if score is None else Decimal(score)
    )


def test_target_score_is_capped_and_inverted_for_less_is_better() -> None:
    assert target_score(Decimal(8000), Decimal(10000)) == Decimal(80)
    assert target_score(Decimal(15000), Decimal(10000)) == Decimal(120)  # capped
    # sales cycle 60 days against 45: 45 / 60 = 75
    assert target_score(Decimal(60), Decimal(45), less_is_better=True) == Decimal(75)


def test_bands() -> None:
    assert band_score(Decimal("0.1"), BANDS) == Decimal(0)
    assert band_score(Decimal("0.2"), BANDS) == Decimal(60)  # the bound itself reaches the band
    assert band_score(Decimal("0.39"), BANDS) == Decimal(60)
    assert band_score(Decimal("0.5"), BANDS) == Decimal(100)
    assert band_score(Decimal("-1"), BANDS) == Decimal(0)


def test_weights_and_missing_values() -> None:
    parts = [part("0.5", "80"), part("0.3", "60"), part("0.2", None)]
    # skip: (0.5 x 80 + 0.3 x 60) / 0.8 = 58 / 0.8 = 72.5
    assert weighted(parts, "skip") == Decimal("72.50")
    # zero: 58 / 1.0
    assert weighted(parts, "zero") == Decimal("58.00")
    assert weighted([part("1", None)], "skip") is None
    # weights need not add up to 1: 2 x 90 + 1 x 60 over 3 = 80
    assert weighted([part("2", "90"), part("1", "60")]) == Decimal("80.00")


CARD = {
    "code": "rep-q",
    "name": "Rep scorecard",
    "period": "quarter",
    "items": [
        {"code": "revenue", "kind": "kpi", "metric": "revenue", "weight": 0.5, "scoring": "target"},
        {"code": "won", "kind": "kpi", "metric": "won_deals", "weight": 0.2, "scoring": "bands",
         "bands": [[0, 0], [1, 80], [3, 100]]},
        {"code": "attitude", "kind": "rated", "weight": 0.3, "label_en": "Attitude",
         "label_zh": "工作态度"},
    ],
}  # fmt: skip


@pytest.fixture
def world(db: Db) -> dict[str, int]:
    ids = build(db.engine)
    sc.save_scorecard(db.engine, sc.parse_scorecard(CARD), "test")
    sc.rate(db.engine, "rep-q", "attitude", ids["rep:Ann"], Q1, Decimal(90), "steady", "mgr")
    sc.rate(db.engine, "rep-q", "attitude", ids["rep:Bob"], Q1, Decimal(70), "late CRM", "mgr")
    return ids


def test_scores_parts_and_ranks(db: Db, world: dict[str, int]) -> None:
    scores = sc.compute(db.engine, Q1)
    got = {r.rep: (r.score, r.rank, r.team_rank) for r in scores.reps}
    # Ann: revenue 14 000 / 10 000 -> 140 capped 120; 1 won deal -> band 80; rated 90:
    #      0.5 x 120 + 0.2 x 80 + 0.3 x 90 = 60 + 16 + 27 = 103
    # Bob: no revenue target (missing, left out); 0 won deals -> band 0; rated 70:
    #      (0.2 x 0 + 0.3 x 70) / 0.5 = 21 / 0.5 = 42
    # Cat: revenue 3000 / 10 000 -> 30; 0 won deals -> 0; not rated (missing):
    #      (0.5 x 30 + 0.2 x 0) / 0.7 = 15 / 0.7 = 21.428... -> 21.43
    assert got == {
        "Ann": (Decimal("103.00"), 1, 1),
        "Bob": (Decimal("42.00"), 2, 2),
        "Cat": (Decimal("21.43"), 3, 1),
    }
    ann = next(r for r in scores.reps if r.rep == "Ann")
    assert [(p.code, p.value, p.against, p.score) for p in ann.parts] == [
        ("revenue", Decimal(14000), Decimal(10000), Decimal(120)),
        ("won", Decimal(1), None, Decimal(80)),
        ("attitude", Decimal(90), None, Decimal(90)),
    ]
    assert ann.parts[2].comment == "steady"
    # teams: East (103 + 42) / 2 = 72.5, West 21.43
    assert [(t.team, t.score, t.rank) for t in scores.teams] == [
        ("East", Decimal("72.50"), 1),
        ("West", Decimal("21.43"), 2),
    ]


def test_missing_counts_as_zero_when_the_card_says_so(db: Db, world: dict[str, int]) -> None:
    sc.save_scorecard(db.engine, sc.parse_scorecard({**CARD, "missing": "zero"}), "test")
    got = {r.rep: r.score for r in sc.compute(db.engine, Q1).reps}
    # Bob: 0.2 x 0 + 0.3 x 70 = 21; Cat: 0.5 x 30 + 0.2 x 0 = 15 (weights 1.0 in all)
    assert got == {"Ann": Decimal("103.00"), "Bob": Decimal("21.00"), "Cat": Decimal("15.00")}


def test_a_rep_sees_their_own_and_ratings_stay_in_scope(db: Db, world: dict[str, int]) -> None:
    own = sc.compute(db.engine, Q1, Scope.single_rep(world["rep:Cat"]))
    assert [r.rep for r in own.reps] == ["Cat"]
    with pytest.raises(NotVisible):
        sc.rate(db.engine, "rep-q", "attitude", world["rep:Cat"], Q1, Decimal(50), None, "mgr",
                Scope.subtree(world["team:East"]))  # fmt: skip
    with pytest.raises(PeopleError, match="between 0 and 100"):
        sc.rate(db.engine, "rep-q", "attitude", world["rep:Ann"], Q1, Decimal(101), None, "m")
    with pytest.raises(PeopleError, match="no rated item"):
        sc.rate(db.engine, "rep-q", "revenue", world["rep:Ann"], Q1, Decimal(50), None, "m")
    assert [e.action for e in list_events(db.engine)].count("scorecard.rate") == 2


def test_definition_errors() -> None:
    with pytest.raises(PeopleError, match="unknown KPI"):
        sc.parse_scorecard({**CARD, "items": [{"code": "a", "kind": "kpi", "metric": "nope",
                                               "weight": 1, "scoring": "target"}]})  # fmt: skip
    with pytest.raises(PeopleError, match="needs bands"):
        sc.parse_scorecard({**CARD, "items": [{"code": "a", "kind": "kpi", "metric": "revenue",
                                               "weight": 1, "scoring": "bands"}]})  # fmt: skip
    with pytest.raises(PeopleError, match="unique"):
        sc.parse_scorecard({**CARD, "items": [CARD["items"][2], CARD["items"][2]]})  # type: ignore[index]
