"""Opportunity history: initial entries, changes on re-import, snapshot times, history files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from tests.conftest import Db
from tests.ingest.helpers import count, ok, rows, run, seed_customers, write_csv

HEADER = [
    "external_id",
    "name",
    "customer",
    "owner",
    "stage",
    "status",
    "amount",
    "probability",
    "created_on",
    "expected_close_on",
    "closed_on",
]
HISTORY_SQL = (
    "SELECT o.external_id, h.field, h.old_value, h.new_value, h.changed_at, h.source "
    "FROM opportunity_change h JOIN opportunity o ON o.id = h.opportunity_id "
    "ORDER BY h.id"
)


def _v1(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "opps.csv",
        [
            HEADER,
            [
                "O1",
                "ERP rollout",
                "C1",
                "R1",
                "Qualify",
                "open",
                "1000",
                "20%",
                "2024-01-10",
                "2024-06-30",
                "",
            ],
            [
                "O2",
                "CRM seats",
                "C2",
                "R3",
                "Proposal",
                "open",
                "500",
                "",
                "2024-02-01",
                "2024-03-31",
                "",
            ],
        ],
    )


def test_first_import_records_initial_stage_and_status(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    report = ok(db, "opportunity", _v1(tmp_path))
    assert report.history == 4
    assert rows(db, HISTORY_SQL) == [
        ("O1", "stage", None, "Qualify", dt.datetime(2024, 1, 10), "import"),
        ("O2", "stage", None, "Proposal", dt.datetime(2024, 2, 1), "import"),
        ("O1", "status", None, "open", dt.datetime(2024, 1, 10), "import"),
        ("O2", "status", None, "open", dt.datetime(2024, 2, 1), "import"),
    ]
    again = ok(db, "opportunity", _v1(tmp_path))
    assert (again.history, again.inserted, again.updated, again.unchanged) == (0, 0, 0, 2)
    assert count(db, "opportunity_change") == 4


def test_changed_reimport_writes_history_at_the_snapshot_time(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    ok(db, "opportunity", _v1(tmp_path))
    v2 = write_csv(
        tmp_path / "opps2.csv",
        [
            HEADER,
            [
                "O1",
                "ERP rollout",
                "C1",
                "R2",
                "Proposal",
                "open",
                "1500",
                "20%",
                "2024-01-10",
                "2024-06-30",
                "",
            ],
            [
                "O2",
                "CRM seats",
                "C2",
                "R3",
                "Closed Won",
                "won",
                "500",
                "",
                "2024-02-01",
                "2024-04-15",
                "2024-04-15",
            ],
        ],
    )
    # --as-of is a local time (Asia/Shanghai, UTC+8); history is stored in UTC
    report = ok(db, "opportunity", v2, as_of=dt.datetime(2024, 5, 1, 10, 0))
    assert (report.updated, report.unchanged, report.history) == (2, 0, 6)
    at = dt.datetime(2024, 5, 1, 2, 0)
    assert rows(db, HISTORY_SQL)[4:] == [
        ("O1", "stage", "Qualify", "Proposal", at, "import"),
        ("O2", "stage", "Proposal", "Closed Won", at, "import"),
        ("O2", "status", "open", "won", at, "import"),
        ("O1", "amount", "1000.0000", "1500.0000", at, "import"),
        ("O2", "expected_close_on", "2024-03-31", "2024-04-15", at, "import"),
        ("O1", "owner", "R1", "R2", at, "import"),
    ]
    assert rows(db, "SELECT external_id, status, closed_on FROM opportunity ORDER BY id") == [
        ("O1", "open", None),
        ("O2", "won", dt.date(2024, 4, 15)),
    ]
    ok(db, "opportunity", v2, as_of=dt.datetime(2024, 5, 2))
    assert count(db, "opportunity_change") == 10  # no duplicate history
    # Each change's rank within its field and the time of the next change (kept by the
    # importer for the as-of readers): O1's stage went Qualify (10 Jan) -> Proposal (1 May).
    sequence = (
        "SELECT o.external_id, h.field, h.seq, h.next_at FROM opportunity_change h "
        "JOIN opportunity o ON o.id = h.opportunity_id WHERE h.field IN ('stage', 'amount') "
        "ORDER BY o.external_id, h.field, h.seq"
    )
    assert rows(db, sequence) == [
        ("O1", "amount", 1, None),
        ("O1", "stage", 1, at),
        ("O1", "stage", 2, None),
        ("O2", "stage", 1, at),
        ("O2", "stage", 2, None),
    ]


def test_snapshot_column_gives_the_change_time(db: Db, tmp_path: Path) -> None:
    ok(db, "opportunity", write_csv(tmp_path / "a.csv", [["external_id", "stage"], ["O1", "A"]]))
    path = write_csv(
        tmp_path / "b.csv",
        [["external_id", "stage", "snapshot_at"], ["O1", "B", "2024-07-01 08:00"]],
    )
    ok(db, "opportunity", path)
    assert rows(db, HISTORY_SQL)[-1] == (
        "O1",
        "stage",
        "A",
        "B",
        dt.datetime(2024, 7, 1, 0, 0),
        "import",
    )


def test_status_follows_the_stage_kind(db: Db, tmp_path: Path) -> None:
    stages = write_csv(
        tmp_path / "stages.csv",
        [
            ["name", "probability", "kind"],
            ["Qualify", "10%", "open"],
            ["Won", "100%", "won"],
            ["Lost", "0", "lost"],
        ],
    )
    ok(db, "pipeline_stage", stages)
    assert rows(db, "SELECT pipeline, name, position, probability, kind FROM pipeline_stage") == [
        ("default", "Qualify", 1, Decimal("0.1000"), "open"),
        ("default", "Won", 2, Decimal("1.0000"), "won"),
        ("default", "Lost", 3, Decimal("0.0000"), "lost"),
    ]
    opps = write_csv(
        tmp_path / "o.csv",
        [
            ["external_id", "stage", "closed_on"],
            ["O1", "won", "2024-01-01"],
            ["O2", "Qualify", "2024-01-01"],
        ],
    )
    ok(db, "opportunity", opps)
    assert rows(db, "SELECT external_id, status, closed_on FROM opportunity ORDER BY id") == [
        ("O1", "won", dt.date(2024, 1, 1)),
        ("O2", "open", None),  # an open deal has no close date
    ]


def test_stage_history_file_imports_directly(db: Db, tmp_path: Path) -> None:
    ok(db, "opportunity", write_csv(tmp_path / "o.csv", [["external_id"], ["O1"], ["O2"]]))
    history = write_csv(
        tmp_path / "history.csv",
        [
            ["Opportunity ID", "From Stage", "To Stage", "Last Modified"],
            ["O1", "", "Prospecting", "2024-01-02 09:00"],
            ["O1", "Prospecting", "Proposal", "2024-02-03 10:30"],
            ["O2", "Prospecting", "Closed Lost", "2024-03-04 11:00"],
        ],
    )
    mapping = tmp_path / "h.yaml"
    mapping.write_text(
        "entity: opportunity_change\ncolumns:\n  opportunity: Opportunity ID\n"
        "  field: {default: stage}\n  old_value: From Stage\n  new_value: To Stage\n"
        "  changed_at: Last Modified\n",
        encoding="utf-8",
    )
    report = ok(db, "opportunity_change", history, mapping)
    assert report.inserted == 3
    history_rows = [r for r in rows(db, HISTORY_SQL) if r[5] == "history"]
    assert history_rows == [
        ("O1", "stage", None, "Prospecting", dt.datetime(2024, 1, 2, 1, 0), "history"),
        ("O1", "stage", "Prospecting", "Proposal", dt.datetime(2024, 2, 3, 2, 30), "history"),
        ("O2", "stage", "Prospecting", "Closed Lost", dt.datetime(2024, 3, 4, 3, 0), "history"),
    ]
    # ranked as they arrive, so "as of" readers need no window over the history
    assert rows(
        db,
        "SELECT o.external_id, h.seq, h.next_at FROM opportunity_change h "
        "JOIN opportunity o ON o.id = h.opportunity_id WHERE h.field = 'stage' ORDER BY h.id",
    ) == [
        ("O1", 1, dt.datetime(2024, 2, 3, 2, 30)),
        ("O1", 2, None),
        ("O2", 1, None),
    ]
    again = ok(db, "opportunity_change", history, mapping)
    assert (again.inserted, again.unchanged) == (0, 3)
    bad = write_csv(
        tmp_path / "bad.csv",
        [
            ["Opportunity ID", "From Stage", "To Stage", "Last Modified"],
            ["O9", "", "X", "2024-01-01"],
        ],
    )
    report = run(db, "opportunity_change", bad, mapping)
    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (2, "Opportunity ID", "O9", "no opportunity with this external id or name")
    ]
