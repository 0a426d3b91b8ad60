"""The CRM's forecast category: imported in English or Chinese spellings (an unknown value is
an import error naming file, row, column and value), used by the landing roll-up for a
forecast as of today, and not by one as of a past day (no history of it is kept)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import update

from salesops.analysis.pipeline_history import kept_dates
from salesops.db.schema import Opportunity
from salesops.forecast.compute import landing_as_of, load_known, score_open
from salesops.forecast.landing import Bands, category
from salesops.forecast.winmodel import WinModel
from salesops.metrics.scope import FULL_SCOPE
from salesops.targets.calendar import Period
from tests.conftest import Db
from tests.forecast.data import seed
from tests.ingest.helpers import ok, rows, run, write_csv

END = dt.date(2026, 6, 30)


def test_category_of_a_deal_from_the_crm() -> None:
    bands = Bands()
    assert category(0.05, END, END, bands, crm="commit") == "commit"
    assert category(0.9, END, END, bands, crm="best_case") == "best_case"
    assert category(0.9, END, END, bands, crm="omitted") == "omitted"
    assert category(0.05, END, END, bands, crm="closed") == "commit"  # open, CRM says closed
    # a CRM category is that of the deal's own close period: closing later, omitted here
    assert category(0.9, dt.date(2026, 7, 1), END, bands, crm="commit") == "omitted"
    assert category(0.5, END, END, bands, crm=None) == "best_case"  # no category: the band


def test_import_reads_english_and_chinese_spellings(db: Db, tmp_path: Path) -> None:
    head = ["external_id", "name", "status", "amount", "forecast_category"]
    values = ["Commit", "Best Case", "best-case", "Upside", "Pipeline", "Omitted",
              "承诺", "最佳情况", "管道", "排除", "已省略", ""]  # fmt: skip
    path = write_csv(
        tmp_path / "deals.csv",
        [head] + [[f"D{i}", f"d{i}", "open", 100, v] for i, v in enumerate(values)],
    )
    ok(db, "opportunity", path)
    got = rows(db, "SELECT external_id, forecast_category FROM opportunity ORDER BY id")
    assert [c for _, c in got] == [
        "commit", "best_case", "best_case", "best_case", "pipeline", "omitted",
        "commit", "best_case", "pipeline", "omitted", "omitted", None,
    ]  # fmt: skip


def test_an_unknown_category_is_an_import_error(db: Db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "deals.csv",
        [
            ["external_id", "name", "预测类别"],
            ["D1", "a", "承诺"],
            ["D2", "b", "大概吧"],
        ],
    )
    report = run(db, "opportunity", path, overrides={"forecast_category": "预测类别"})
    assert report.status != "ok"
    assert [(e.file, e.row, e.column, e.value) for e in report.errors] == [
        (str(path), 3, "预测类别", "大概吧")
    ]
    assert "must be one of commit, best_case" in report.errors[0].reason
    assert rows(db, "SELECT count(*) FROM opportunity") == [(0,)]


def test_roll_up_uses_the_crm_category_today_and_bands_in_the_past(db: Db) -> None:
    seed(db.engine)
    with db.engine.begin() as conn:
        # o1: S1, 2000, band "pipeline" (p 0.2); the CRM says commit
        conn.execute(
            update(Opportunity)
            .where(Opportunity.external_id == "o1")
            .values(forecast_category="commit")
        )
    with db.engine.connect() as conn:
        today = kept_dates(conn).today
        quarter = Period(dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), "quarter")
        known = load_known(conn, today, FULL_SCOPE)
        scored = score_open(known, WinModel(as_of=today))
        land, deals = landing_as_of(conn, quarter, known, scored=scored)
        cats = dict(zip(deals["external_id"] if "external_id" in deals else deals["id"],
                        deals["category"], strict=False))  # fmt: skip
        # o1 (2000, overdue: counts as inside) commit by the CRM; o2 (4000, 0.5) best case by band
        assert (land.categories["commit"], land.categories["best_case"]) == (2000, 4000)
        assert any("CRM" in n for n in land.notes)
        assert len(cats) == 2
        # as of 2026-04-30 (a past day: every backtest) o1 is in the band "pipeline" again
        past = dt.date(2026, 4, 30)
        known = load_known(conn, past, FULL_SCOPE)
        q2 = Period(dt.date(2026, 4, 1), "quarter")
        land, _ = landing_as_of(conn, q2, known, scored=score_open(known, WinModel(as_of=past)))
        assert (land.categories["commit"], land.categories["pipeline"]) == (5000, 2000)
        assert not any("CRM" in n for n in land.notes)
