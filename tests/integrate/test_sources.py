"""Saved sources (issue 21): an SQL source run by the scheduler job once per due time, a
watched folder (good file to done/, bad one to failed/ with its error report, a file still
being written left alone), the runs on the data page, and the ``salesops sources`` verbs."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from salesops.cli.main import app
from salesops.db.schema import ImportSource
from salesops.integrate import folders, sources
from salesops.integrate.sql import import_from_sql
from tests.auth_helpers import TEST_ACTOR, admin_client
from tests.conftest import Db
from tests.ingest.helpers import rows, write_csv
from tests.integrate.crm_db import CrmDb

runner = CliRunner(env={"COLUMNS": "240"})


def lines_query(crm: CrmDb) -> str:
    return (
        "SELECT o.name AS order_no, l.sequence AS line_no, "  # noqa: S608
        "CAST(o.date_order AS DATE) AS order_date, p.ref AS customer, l.name AS product_name, "
        "l.product_uom_qty AS quantity, l.price_subtotal AS amount, "
        "CASE WHEN o.state = 'cancel' THEN 'cancelled' ELSE 'normal' END AS status "
        f"FROM {crm.t('sale_order_line')} AS l JOIN {crm.t('sale_order')} AS o "
        f"ON o.id = l.order_id JOIN {crm.t('res_partner')} AS p ON p.id = o.partner_id"
    )


def test_scheduled_sql_source_runs_once_per_due_time(db: Db, crm: CrmDb) -> None:
    partners = f"SELECT ref AS external_id, name FROM {crm.t('res_partner')}"  # noqa: S608
    report, _ = import_from_sql(db.engine, "customer", crm.url, partners)
    assert report.status == "ok", report.errors
    query = lines_query(crm).replace("l.name AS product_name, ", "")
    sources.add_source(
        db.engine,
        "erp-lines",
        kind="sql",
        entity="order_line",
        url=crm.url,
        query=query,
        schedule="1h",
        actor=TEST_ACTOR,
    )
    assert sources.tick(db.engine) == 1
    assert sources.tick(db.engine) == 0  # claimed: not due again for an hour
    assert rows(db, "SELECT order_no, line_no, status FROM order_line ORDER BY 1, 2") == [
        ("SO100", 10, "normal"),
        ("SO100", 20, "normal"),
        ("SO101", 10, "cancelled"),
    ]
    with db.engine.begin() as conn:  # an hour later
        conn.execute(update(ImportSource).values(next_run_at=dt.datetime(2000, 1, 1)))
    assert sources.tick(db.engine) == 1
    assert rows(db, "SELECT count(*) FROM order_line") == [(3,)]  # no duplicates
    with db.engine.begin() as conn:
        conn.execute(
            update(ImportSource).values(
                next_run_at=dt.datetime(2000, 1, 1), query="SELECT * FROM no_such_table"
            )
        )
    assert sources.tick(db.engine) == 1
    runs = rows(db, "SELECT trigger, status, unchanged, errors FROM import_source_run ORDER BY id")
    assert runs[:2] == [("schedule", "ok", 0, 0), ("schedule", "ok", 3, 0)]
    assert runs[2][1] == "failed"
    page = admin_client(db.engine).get("/data?lang=en")
    assert page.status_code == 200
    assert "The last run of erp-lines failed" in page.text and "no_such_table" in page.text
    zh = admin_client(db.engine).get("/data?lang=zh")
    assert "数据源 erp-lines 最近一次运行失败" in zh.text


def _old(path: Path) -> None:
    then = time.time() - 60
    os.utime(path, (then, then))


def test_watched_folder(db: Db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    sources.add_source(
        db.engine, "drop", kind="folder", entity="product", folder=inbox, actor=TEST_ACTOR
    )
    good = write_csv(inbox / "good.csv", [["external_id", "name"], ["P1", "Pump"]])
    bad = write_csv(inbox / "bad.csv", [["external_id", "name", "list_price"], ["P2", "X", "abc"]])
    partial = write_csv(inbox / "big.csv.part", [["external_id", "name"], ["P3", "Y"]])
    fresh = write_csv(inbox / "fresh.csv", [["external_id", "name"], ["P4", "Z"]])
    for path in (good, bad, partial):
        _old(path)
    outcomes = sources.run_source(db.engine, "drop", actor=TEST_ACTOR)
    assert [(o.file, o.status) for o in outcomes] == [("good.csv", "ok"), ("bad.csv", "failed")]
    assert (inbox / "done" / "good.csv").is_file()
    assert (inbox / "failed" / "bad.csv").is_file()
    report = (inbox / "failed" / "bad.csv.errors.csv").read_text("utf-8-sig").splitlines()
    assert report[0] == "file,row,column,value,reason"
    assert report[1].startswith("bad.csv,2,list_price,abc,")
    assert partial.is_file() and fresh.is_file()  # not yet: incomplete, or still changing
    assert list((inbox / "processing").iterdir()) == []
    assert rows(db, "SELECT external_id FROM product") == [("P1",)]
    _old(fresh)
    abandoned = write_csv(inbox / "processing" / "left.csv", [["external_id", "name"], ["P5", "W"]])
    _old(abandoned)
    again = sources.run_source(db.engine, "drop", actor=TEST_ACTOR)
    assert [(o.file, o.status) for o in again] == [("fresh.csv", "ok")]
    monkeypatch.setattr(folders, "STALE_SECONDS", 0.0)  # a process stopped mid-import
    recovered = sources.run_source(db.engine, "drop", actor=TEST_ACTOR)
    assert [(o.file, o.status) for o in recovered] == [("left.csv", "ok")]
    assert (inbox / "done" / "left.csv").is_file()
    page = admin_client(db.engine).get("/data?lang=zh")
    assert (page.status_code == 200 and "导入数据源" in page.text) or "Import sources" in page.text


def test_sources_cli(db: Db, tmp_path: Path, monkeypatch: object) -> None:
    added = runner.invoke(
        app,
        [
            "sources",
            "add",
            "nightly",
            "--entity",
            "customer",
            "--sql",
            "mysql+pymysql://odoo@127.0.0.1:3306/odoo",
            "--query",
            "SELECT ref AS external_id, name FROM res_partner",
            "--secret",
            "plain-password",
            "--schedule",
            "0 2 * * *",
        ],
    )
    assert added.exit_code == 0, added.output
    with_pw = runner.invoke(
        app,
        [
            "sources",
            "add",
            "x",
            "--entity",
            "customer",
            "--sql",
            "mysql+pymysql://odoo:pw@127.0.0.1/odoo",
            "--query",
            "SELECT 1",
        ],
    )
    assert with_pw.exit_code == 1 and "holds a password" in with_pw.output
    assert "pw@" not in with_pw.output
    not_select = runner.invoke(
        app,
        [
            "sources",
            "add",
            "y",
            "--entity",
            "customer",
            "--sql",
            "sqlite://",
            "--query",
            "DELETE FROM t",
        ],
    )
    assert not_select.exit_code == 1 and "only SELECT" in not_select.output
    listed = runner.invoke(app, ["sources", "list", "--format", "json"])
    found = json.loads(listed.output)
    assert [(s["name"], s["kind"], s["has_secret"]) for s in found] == [("nightly", "sql", True)]
    assert "plain-password" not in listed.output
    stored = rows(db, "SELECT secret FROM import_source")[0][0]
    assert stored.startswith("sealed:v1:") and "plain-password" not in stored
    assert runner.invoke(app, ["sources", "remove", "nightly"]).exit_code == 0
    assert runner.invoke(app, ["sources", "run", "nightly"]).exit_code == 1


def test_a_failed_scheduled_import_raises_an_alert(db: Db, tmp_path: Path) -> None:
    from salesops.alerts.evaluate import Evaluator
    from salesops.alerts.rules import parse_rule
    from salesops.metrics.engine import MetricsEngine
    from salesops.metrics.scope import FULL_SCOPE

    gone = tmp_path / "gone"
    sources.add_source(
        db.engine, "share", kind="folder", entity="product", folder=gone, actor=TEST_ACTOR
    )
    assert sources.tick(db.engine) == 1
    today = dt.datetime.now(dt.UTC).date()
    spec = parse_rule({"name": "imports", "kind": "failed_imports", "group": "none"})
    found = Evaluator(db.engine, MetricsEngine(db.engine, today=today), FULL_SCOPE, today).run(spec)
    assert len(found) == 1
    assert [i["name"] for i in found[0].items] == ["share"]
    assert "no folder" in found[0].items[0]["message"]
    assert found[0].link.startswith("/data")
