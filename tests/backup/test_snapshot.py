"""A backup taken while an import is under way holds all of that import or none of it: every
table is read in one snapshot, whatever commits in between."""

from __future__ import annotations

import threading
from pathlib import Path

from salesops.backup import backup_database
from tests.backup.helpers import checksums
from tests.conftest import Db
from tests.ingest.helpers import run, seed_customers, write_csv

ORDERS = [
    ["order_no", "line_no", "order_date", "customer", "rep", "amount"],
    ["SO-1", 1, "2024-03-01", "C1", "R1", "100.00"],
    ["SO-1", 2, "2024-03-01", "C1", "R1", "50.00"],
    ["SO-2", 1, "2024-03-05", "C2", "R3", "70.00"],
]


class HoldBeforeCommit:
    """A progress sink that stops the importer inside its transaction, after the rows are
    written and before they are committed, until released."""

    def __init__(self) -> None:
        self.steps = 0
        self.written = threading.Event()
        self.release = threading.Event()

    def phase(self, name: str, total: float) -> None:
        self.loading = name == "loading"

    def advance(self, steps: float = 1) -> None:
        if self.loading:
            self.steps += 1
            if self.steps == 5:  # upsert and references done, still in the transaction
                self.written.set()
                assert self.release.wait(60), "the backup never released the import"


def test_backup_during_an_import_holds_none_of_it_then_all(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    orders = write_csv(tmp_path / "orders.csv", ORDERS)
    hold = HoldBeforeCommit()
    reports = []
    importer = threading.Thread(
        target=lambda: reports.append(run(db, "order_line", orders, progress=hold))
    )
    importer.start()
    assert hold.written.wait(60), "the import never reached its write"

    def commit_the_import_midway(table: str) -> None:
        # after the first table is read, let the import commit before all the others are read
        if not hold.release.is_set():
            hold.release.set()
            importer.join(60)
            assert reports and reports[0].status == "ok"

    during = backup_database(
        db.engine, tmp_path / "during.zip", after_table=commit_the_import_midway
    )
    assert hold.release.is_set() and not importer.is_alive()
    rows = {t.name: t.rows for t in during.tables}
    assert rows["order_line"] == 0 and rows["order_header"] == 0
    assert rows["order_line_month"] == 0 and rows["import_run"] == 3  # the seeds' runs only

    after = backup_database(db.engine, tmp_path / "after.zip")
    rows = {t.name: t.rows for t in after.tables}
    assert rows["order_line"] == 3 and rows["order_header"] == 2 and rows["import_run"] == 4
    changed = {k for k, v in checksums(after).items() if checksums(during)[k] != v}
    assert {"order_line", "order_header", "data_version", "import_run"} <= changed
