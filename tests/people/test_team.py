"""Coaching log, target proposals and recognition on the hand-made world, both databases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from salesops.auth.audit import list_events
from salesops.config import get_settings
from salesops.metrics.scope import Scope
from salesops.people import coaching, proposals, recognition
from salesops.people.statements import NotVisible, PeopleError
from salesops.targets.calendar import Period
from salesops.targets.service import list_targets
from tests.conftest import Db
from tests.people.world import build

Q1 = Period(dt.date(2024, 1, 1), "quarter")
Q2 = Period(dt.date(2024, 4, 1), "quarter")
TODAY = dt.date(2024, 3, 10)


@pytest.fixture
def world(db: Db) -> dict[str, int]:
    return build(db.engine)


def test_coaching_log_in_scope(db: Db, world: dict[str, int]) -> None:
    ann, cat = world["rep:Ann"], world["rep:Cat"]
    east = Scope.subtree(world["team:East"])
    coaching.add_entry(db.engine, ann, "one_to_one", dt.date(2024, 2, 1), "Pipeline review",
                       "mgr", scope=east)  # fmt: skip
    coaching.add_entry(db.engine, ann, "action", dt.date(2024, 2, 1), "Call 10 dormant accounts",
                       "mgr", due_on=dt.date(2024, 2, 29), scope=east)  # fmt: skip
    coaching.add_entry(db.engine, cat, "training", dt.date(2024, 1, 20), "Negotiation", "hr")
    with pytest.raises(NotVisible):
        coaching.add_entry(db.engine, cat, "skill", TODAY, "Demo skills", "mgr", scope=east)
    with pytest.raises(PeopleError, match="unknown coaching kind"):
        coaching.add_entry(db.engine, ann, "gossip", TODAY, "x", "mgr")
    with pytest.raises(PeopleError, match="due before"):
        coaching.add_entry(db.engine, ann, "action", TODAY, "x", "mgr", due_on=Q1.start)
    mine = coaching.entries(db.engine, east)
    assert [(e.rep, e.kind, e.done) for e in mine] == [
        ("Ann", "action", False),  # newest first, then by id
        ("Ann", "one_to_one", None),
    ]
    coaching.set_done(db.engine, mine[0].id, True, "mgr", east)
    assert coaching.entries(db.engine, east, rep_ids=[ann])[0].done is True
    assert [e.rep for e in coaching.entries(db.engine)] == ["Ann", "Ann", "Cat"]
    actions = [e.action for e in list_events(db.engine)]
    assert actions.count("coaching.add") == 3 and actions.count("coaching.done") == 1


def test_proposal_adjusted_by_the_manager_sets_the_target(db: Db, world: dict[str, int]) -> None:
    ann = world["rep:Ann"]
    own = Scope.single_rep(ann)
    pid = proposals.propose(db.engine, "revenue", Q2, "12000", "ann", rep_id=ann,
                            comment="two renewals due", scope=own, today=TODAY)  # fmt: skip
    with pytest.raises(NotVisible):  # a rep proposes for themselves only
        proposals.propose(db.engine, "revenue", Q2, 1, "ann", rep_id=world["rep:Bob"],
                          scope=own, today=TODAY)  # fmt: skip
    with pytest.raises(PeopleError, match="is over"):
        proposals.propose(db.engine, "revenue", Q1, 1, "ann", rep_id=ann, today=dt.date(2024, 5, 1))
    with pytest.raises(PeopleError, match="someone other"):
        proposals.decide(db.engine, pid, "accept", "ann")
    with pytest.raises(PeopleError, match="say why"):
        proposals.decide(db.engine, pid, "adjust", "mgr", value=13000)
    east = Scope.subtree(world["team:East"])
    done = proposals.decide(db.engine, pid, "adjust", "mgr", value="13000",
                            comment="the pipeline supports more", scope=east)  # fmt: skip
    assert (done.status, done.value, done.decided_value, done.proposed_by, done.decided_by) == (
        "adjusted",
        Decimal(12000),
        Decimal(13000),
        "ann",
        "mgr",
    )
    targets = [t for t in list_targets(db.engine, metric="revenue") if t.period == Q2]
    assert [(t.id, t.scope.rep_id, t.value) for t in targets] == [
        (done.target_id, ann, Decimal(13000))
    ]
    # the target tree's record of who proposed what
    assert [
        p.proposed_by for p in proposals.list_proposals(db.engine, target_ids=[targets[0].id])
    ] == ["ann"]
    with pytest.raises(PeopleError, match="already decided"):
        proposals.decide(db.engine, pid, "accept", "boss")
    # a team lead's proposal for the team, outside a West manager's scope
    tid = proposals.propose(db.engine, "revenue", Q2, 30000, "lead", org_unit_id=world["team:East"],
                            scope=east, today=TODAY)  # fmt: skip
    with pytest.raises(NotVisible):
        proposals.decide(
            db.engine, tid, "accept", "west-mgr", scope=Scope.subtree(world["team:West"])
        )
    assert [
        p.id for p in proposals.list_proposals(db.engine, Scope.subtree(world["team:West"]))
    ] == []
    accepted = proposals.decide(db.engine, tid, "accept", "boss")
    assert (accepted.status, accepted.decided_value) == ("accepted", Decimal(30000))
    actions = [e.action for e in list_events(db.engine)]
    assert actions.count("target.propose") == 2 and actions.count("target.proposal.decide") == 2


@pytest.fixture
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESOPS_RECOGNITION_DEAL_THRESHOLD", "5000")
    monkeypatch.setenv("SALESOPS_RECOGNITION_DAYS", "30")
    get_settings.cache_clear()


def test_good_news_names_only_in_scope(
    db: Db, world: dict[str, int], small_threshold: None
) -> None:
    news = recognition.good_news(db.engine, Scope.everything(), TODAY)
    # D1 8000 won 02-15 (>= 5000, within 30 days); Ann's Q1 revenue to date 4000 + 3000 + 5000
    # = 12 000 of 10 000; no record: fewer than four complete months of data
    assert [(n.kind, n.amount, n.rep, n.customer) for n in news] == [
        ("target", Decimal(12000), "Ann", None),
        ("deal", Decimal(8000), "Ann", "Acme"),
    ]
    west = recognition.good_news(db.engine, Scope.subtree(world["team:West"]), TODAY)
    assert [(n.kind, n.amount, n.rep, n.customer) for n in west] == [
        ("target", Decimal(12000), None, None),
        ("deal", Decimal(8000), None, None),
    ]


def test_the_needs_help_flag_shows_coaching_history(db: Db, world: dict[str, int]) -> None:
    from salesops.targets.org import TargetScope
    from salesops.targets.service import set_target
    from tests.auth_helpers import admin_client

    # Bob: 1000 + 2000 = 3000 against a 10 000 target (30 %); Ann 12 000 (120 %) to 03-10:
    # team average 75 %, Bob under half of it
    set_target(db.engine, "revenue", Q1, TargetScope("rep", rep_id=world["rep:Bob"]), "10000")
    coaching.add_entry(db.engine, world["rep:Bob"], "training", dt.date(2024, 2, 3),
                       "Negotiation basics", "mgr")  # fmt: skip
    panel = (
        admin_client(db.engine)
        .get(
            "/api/v1/panels/team/rep_flags",
            params={"period": "quarter", "asof": "2024-03-10", "lang": "en"},
        )
        .json()
    )
    rows = {r["cells"][0]: r["cells"] for r in panel["table"]["rows"]}
    assert rows["Bob"][2] == "Target attainment"
    assert rows["Bob"][-1] == "02-03 Training: Negotiation basics"
