"""The opportunity history (opportunity_change) from the deals' paths, as the importer writes it.

Per opportunity, in time order: its first stage and status (old value empty) at the start of
its creation day; one stage change per stage entered; at closing the stage change to 赢单 or
输单 and the status change; the amount change when it was re-priced; each push of the expected
close date; the hand-over to a successor (owner: rep external ids). The last value of every
field is the opportunity's current value, so the pipeline can be rebuilt for any past date.
Values are text the way the importer writes them (``12345.60``, ``2026-03-01``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from salesops.demo.catalog import OPEN_STAGES, STAGES
from salesops.demo.deals import STATUSES, Deals
from salesops.demo.frame import NULL, Cat, Frame, Ref, scaled_decimal
from salesops.demo.org import NEVER, Org
from salesops.demo.timeline import SECONDS_PER_DAY, Timeline

FIELDS = ("stage", "status", "amount", "expected_close_on", "owner")


class _Rows:
    """Change rows collected per kind, then sorted into one frame."""

    def __init__(self) -> None:
        self.opp: list[np.ndarray] = []
        self.field: list[np.ndarray] = []
        self.old: list[pa.Array] = []
        self.new: list[pa.Array] = []
        self.at: list[np.ndarray] = []
        self.rank: list[np.ndarray] = []

    def add(
        self, opp: np.ndarray, field: str, old: pa.Array, new: pa.Array, at: np.ndarray, rank: int
    ) -> None:
        self.opp.append(opp)
        self.field.append(np.full(len(opp), FIELDS.index(field)))
        self.old.append(old.cast(pa.string()))
        self.new.append(new.cast(pa.string()))
        self.at.append(np.asarray(at, dtype=np.int64))
        self.rank.append(np.full(len(opp), rank))

    def frame(self, epoch_seconds: int) -> Frame:
        """All rows in time order per opportunity; ``epoch_seconds`` is history day 0."""
        opp, at, rank = np.concatenate(self.opp), np.concatenate(self.at), np.concatenate(self.rank)
        order = np.lexsort((rank, at, opp))
        take = pa.array(order)
        field = np.concatenate(self.field)[order]
        seq, next_at = _sequence(opp[order], field, at[order])
        return Frame(
            "opportunity_change",
            len(order),
            {
                "opportunity_id": Ref("opportunity", opp[order]),
                "field": Cat(field, FIELDS),
                "old_value": pa.concat_arrays(self.old).take(take),
                "new_value": pa.concat_arrays(self.new).take(take),
                "changed_at": at[order] + epoch_seconds,
                "source": Cat(np.zeros(len(order), dtype=np.int64), ("history",)),
                "seq": seq,
                "next_at": np.where(next_at == NULL, NULL, next_at + epoch_seconds),
            },
        )


def _sequence(opp: np.ndarray, field: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``opportunity_change.seq`` and ``next_at`` of rows already in id order (time order per
    opportunity), as ``salesops.db.derived.refresh_change_sequence`` computes them: the rank
    among the opportunity's changes of the same field, and the next such change's time."""
    n = len(opp)
    key = opp.astype(np.int64) * len(FIELDS) + field
    by_key = np.lexsort((np.arange(n), key))  # per (opportunity, field), in id order
    k = key[by_key]
    first = np.ones(n, dtype=bool)
    first[1:] = k[1:] != k[:-1]
    last = np.ones(n, dtype=bool)
    last[:-1] = first[1:]
    position = np.arange(n)
    group_start = np.maximum.accumulate(np.where(first, position, 0))
    seq = np.empty(n, dtype=np.int64)
    seq[by_key] = position - group_start + 1
    following = np.empty(n, dtype=np.int64)
    following[:-1] = at[by_key][1:]
    following[-1] = NULL
    next_at = np.empty(n, dtype=np.int64)
    next_at[by_key] = np.where(last, NULL, following)
    return seq, next_at


def build_history(deals: Deals, org: Org, timeline: Timeline) -> Frame:
    """Every change of stage, status, amount, expected close date and owner."""
    rows = _Rows()
    stages = pa.array([s[0] for s in STAGES])
    statuses = pa.array(STATUSES)
    n = deals.count
    every = np.arange(n)
    created_at = deals.created * SECONDS_PER_DAY
    nulls = pa.nulls(n, pa.string())
    rows.add(
        every, "stage", nulls, stages.take(pa.array(np.zeros(n, dtype=np.int64))), created_at, 0
    )
    rows.add(
        every, "status", nulls, statuses.take(pa.array(np.zeros(n, dtype=np.int64))), created_at, 1
    )

    for s in range(1, OPEN_STAGES):
        opp = np.flatnonzero(deals.entries[:, s] < NEVER)
        rows.add(
            opp,
            "stage",
            _labels(stages, s - 1, len(opp)),
            _labels(stages, s, len(opp)),
            deals.entry_seconds[opp, s],
            2,
        )

    closed = np.flatnonzero(deals.status > 0)
    at_close = deals.close_seconds[closed]
    rows.add(
        closed,
        "stage",
        stages.take(pa.array(deals.reached[closed])),
        stages.take(pa.array(deals.stage[closed])),
        at_close,
        3,
    )
    rows.add(
        closed,
        "status",
        _labels(statuses, 0, len(closed)),
        statuses.take(pa.array(deals.status[closed])),
        at_close,
        4,
    )

    priced = np.flatnonzero(deals.amount_stage >= 0)
    rows.add(
        priced,
        "amount",
        scaled_decimal(deals.planned[priced], 18, 2),
        scaled_decimal(deals.amount[priced], 18, 2),
        deals.entry_seconds[priced, deals.amount_stage[priced]] + 300,
        5,
    )

    previous = deals.expected_first
    for k in range(2):
        opp = np.flatnonzero(deals.pushes[:, k] < NEVER)
        rows.add(
            opp,
            "expected_close_on",
            _dates(timeline, previous[opp]),
            _dates(timeline, deals.pushed_to[opp, k]),
            deals.pushes[opp, k] * SECONDS_PER_DAY + 7_200,
            6,
        )
        previous = np.where(deals.pushes[:, k] < NEVER, deals.pushed_to[:, k], previous)

    handed = np.flatnonzero(deals.handover < NEVER)
    external = pa.array(org.rep_external_id)
    rows.add(
        handed,
        "owner",
        external.take(pa.array(deals.owner_first[handed])),
        external.take(pa.array(deals.owner[handed])),
        deals.handover[handed] * SECONDS_PER_DAY + 3_600,
        7,
    )
    return rows.frame(timeline.day0 * SECONDS_PER_DAY)


def _labels(labels: pa.Array, code: int, n: int) -> pa.Array:
    return labels.take(pa.array(np.full(n, code, dtype=np.int64)))


def _dates(timeline: Timeline, day: np.ndarray) -> pa.Array:
    return pa.array(timeline.epoch_day(day).astype(np.int32)).cast(pa.date32())
