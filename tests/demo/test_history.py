"""The opportunity history tells each deal's story up to its current values."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from itertools import pairwise
from typing import Any

from salesops.demo import generate_demo
from tests.conftest import Db
from tests.demo.helpers import TINY, TODAY, rows

OPEN_STAGES = ["线索确认", "需求分析", "方案报价", "商务谈判", "合同审批"]


def _history(db: Db) -> dict[int, list[Any]]:
    changes: dict[int, list[Any]] = defaultdict(list)
    for row in rows(
        db.engine,
        "SELECT opportunity_id, field, old_value, new_value, changed_at, source "
        "FROM opportunity_change ORDER BY opportunity_id, changed_at, id",
    ):
        changes[row.opportunity_id].append(row)
    return changes


def test_each_history_starts_at_creation_and_ends_at_the_current_values(db: Db) -> None:
    generate_demo(db.engine, TINY)
    history = _history(db)
    opportunities = rows(
        db.engine,
        "SELECT o.id, o.stage, o.status, o.amount, o.created_on, o.closed_on, "
        "o.expected_close_on, r.external_id AS owner FROM opportunity o "
        "JOIN rep r ON r.id = o.owner_id",
    )
    assert len(opportunities) == 300
    assert set(history) == {o.id for o in opportunities}
    for opp in opportunities:
        changes = history[opp.id]
        created = dt.datetime.combine(opp.created_on, dt.time())
        first_two = sorted((c.field, c.old_value, c.new_value, c.changed_at) for c in changes[:2])
        assert first_two == [
            ("stage", None, "线索确认", created),
            ("status", None, "open", created),
        ], opp.id
        assert all(c.source == "history" for c in changes)
        assert all(created <= c.changed_at < dt.datetime(2026, 11, 23) for c in changes)
        by_field: dict[str, list[Any]] = defaultdict(list)
        for c in changes:
            by_field[c.field].append(c)
        # Each change starts from the value the previous one left.
        for field, chain in by_field.items():
            for before, after in pairwise(chain):
                assert after.old_value == before.new_value, (opp.id, field)
        stages = [c.new_value for c in by_field["stage"]]
        assert stages[-1] == opp.stage
        assert by_field["status"][-1].new_value == opp.status
        # Open stages are passed in order, one step at a time.
        open_part = [s for s in stages if s in OPEN_STAGES]
        assert open_part == OPEN_STAGES[: len(open_part)]
        if "amount" in by_field:
            assert Decimal(by_field["amount"][-1].new_value) == opp.amount
        if "expected_close_on" in by_field:
            assert by_field["expected_close_on"][-1].new_value == opp.expected_close_on.isoformat()
        if "owner" in by_field:
            assert by_field["owner"][-1].new_value == opp.owner
        if opp.status == "open":
            assert opp.closed_on is None
            assert opp.stage in OPEN_STAGES
        else:
            assert opp.closed_on is not None
            assert opp.created_on <= opp.closed_on <= TODAY
            assert opp.stage == {"won": "赢单", "lost": "输单"}[opp.status]
            closing = by_field["status"][-1]
            assert closing.changed_at.date() == opp.closed_on
            assert by_field["stage"][-1].changed_at == closing.changed_at


def test_history_has_every_kind_of_change(db: Db) -> None:
    generate_demo(db.engine, TINY)
    fields = dict(rows(db.engine, "SELECT field, count(*) FROM opportunity_change GROUP BY field"))
    assert set(fields) == {"stage", "status", "amount", "expected_close_on", "owner"}
    statuses = dict(rows(db.engine, "SELECT status, count(*) FROM opportunity GROUP BY status"))
    assert set(statuses) == {"open", "won", "lost"}
    # Lost deals say why; deals with a competitor name it; won deals have no lost reason.
    assert rows(
        db.engine,
        "SELECT count(*) FROM opportunity WHERE (status = 'lost') <> (lost_reason IS NOT NULL)",
    ) == [(0,)]
    assert (
        rows(db.engine, "SELECT count(*) FROM opportunity WHERE competitor IS NOT NULL")[0][0] > 100
    )
