"""``salesops import ENTITY --from-sql URL --query ...`` against the real MariaDB and PostgreSQL
servers, with Odoo-shaped tables: rows pulled and imported like a file, a second pull changes
nothing, only SELECT is run, passwords never appear in a message, bad rows name the query's
row, column and value with nothing written."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from salesops.cli.main import app
from tests.conftest import Db
from tests.ingest.helpers import rows
from tests.integrate.crm_db import CrmDb

runner = CliRunner(env={"COLUMNS": "240"})


def _pull(crm: CrmDb, entity: str, query: str, *extra: str) -> tuple[int, str]:
    result = runner.invoke(app, ["import", entity, "--from-sql", crm.url, "--query", query, *extra])
    return result.exit_code, result.output


def customers_query(crm: CrmDb) -> str:
    return (
        "SELECT ref AS external_id, name, industry, city "  # noqa: S608
        f"FROM {crm.t('res_partner')} WHERE is_company ORDER BY id"
    )


def deals_query(crm: CrmDb) -> str:
    return (
        "SELECT l.id AS external_id, l.name, p.ref AS customer, s.name AS stage, "  # noqa: S608
        "CASE WHEN s.is_won THEN 'won' ELSE 'open' END AS status, "
        "l.expected_revenue AS amount, CAST(l.create_date AS DATE) AS created_on, "
        "l.date_deadline AS expected_close_on "
        f"FROM {crm.t('crm_lead')} AS l JOIN {crm.t('crm_stage')} AS s ON s.id = l.stage_id "
        f"JOIN {crm.t('res_partner')} AS p ON p.id = l.partner_id "
        "WHERE l.type = 'opportunity' -- leads stay in the CRM\n"
        "ORDER BY l.id;"
    )


def test_pull_partners_and_deals_twice(db: Db, crm: CrmDb) -> None:
    code, out = _pull(crm, "customer", customers_query(crm))
    assert code == 0, out
    assert "Read 3 row(s) from" in out and "3 new" in out
    assert rows(db, "SELECT external_id, name, city FROM customer ORDER BY 1") == [
        ("C001", "华东机械有限公司", "上海"),
        ("C002", "Acme, Inc.", "Berlin"),
        ("C003", 'Quote "Co"\nline two', None),
    ]
    code, out = _pull(crm, "opportunity", deals_query(crm))
    assert code == 0, out
    code, out = _pull(crm, "opportunity", deals_query(crm))
    assert code == 0 and "0 new, 0 updated, 2 unchanged" in out, out
    deals = rows(
        db,
        "SELECT external_id, stage, status, amount, created_on, expected_close_on "
        "FROM opportunity ORDER BY 1",
    )
    assert [(d[0], d[1], d[2], float(d[3]), str(d[4]), str(d[5])) for d in deals] == [
        ("10", "Proposition", "open", 12000.5, "2026-03-01", "2026-06-30"),
        ("11", "Won", "won", 800.0, "2026-03-02", "None"),
    ]
    runs = rows(db, "SELECT count(*) FROM import_run WHERE status = 'ok'")
    assert runs == [(3,)]


def test_only_select_and_no_password_shown(
    db: Db, crm: CrmDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = crm.t("res_partner")
    for query in (
        "DELETE FROM " + table,  # noqa: S608
        "SELECT 1; DROP TABLE " + table,
        "SELECT * FROM " + table + " FOR UPDATE",  # noqa: S608
        "WITH x AS (DELETE FROM " + table + " RETURNING id) SELECT * FROM x",  # noqa: S608
    ):
        code, out = _pull(crm, "customer", query)
        assert code == 2 and "only" in out, out
    monkeypatch.setenv("CRM_PW", "hunter2-secret")
    wrong = crm.url.replace("root@", "nobody@").replace("postgres@", "nobody@")
    result = runner.invoke(
        app,
        [
            "import",
            "customer",
            "--from-sql",
            wrong,
            "--query",
            "SELECT 1 AS external_id",
            "--password",
            "env:CRM_PW",
        ],
    )
    assert result.exit_code == 1, result.output
    assert "hunter2" not in result.output and "***" in result.output
    inline = wrong.replace("nobody@", "nobody:hunter2-inline@")
    result = runner.invoke(
        app, ["import", "customer", "--from-sql", inline, "--query", "SELECT 1 AS external_id"]
    )
    assert result.exit_code == 1 and "hunter2" not in result.output, result.output
    missing = runner.invoke(
        app,
        [
            "import",
            "customer",
            "--from-sql",
            crm.url,
            "--query",
            "SELECT 1 AS x",
            "--password",
            "env:NO_SUCH_VAR_21",
        ],
    )
    assert missing.exit_code == 1 and "NO_SUCH_VAR_21 is not set" in missing.output
    assert rows(db, "SELECT count(*) FROM customer") == [(0,)]


def test_bad_rows_name_the_query_row_and_write_nothing(db: Db, crm: CrmDb) -> None:
    code, out = _pull(crm, "opportunity", deals_query(crm))
    assert code == 1  # no customers yet: every reference is unknown
    assert "│ query.csv │ 2   │ customer │ C001  │ no customer with this external id" in out, out
    assert rows(db, "SELECT count(*) FROM opportunity") == [(0,)]
