"""Saved mappings (issue 18): ``salesops mappings add|list|show``, ``--mapping NAME`` wherever a
mapping file is accepted, and the suggestions the data page makes from saved and sample
mappings."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salesops.cli.main import app
from salesops.ingest import MappingError, SheetMapping
from salesops.ingest.registry import (
    get_saved,
    matching,
    rebind,
    resolve_mapping,
    sample_mappings,
    save_mapping,
)
from tests.conftest import Db
from tests.ingest.helpers import rows, write_csv

DOCS = Path(__file__).resolve().parents[2] / "docs"
SHEET = DOCS / "samples" / "flat-sales-sheet-en.csv"
SHEET_MAPPING = DOCS / "mappings" / "flat-sales-sheet-en.yaml"
runner = CliRunner(env={"COLUMNS": "240"})


def test_cli_add_list_show_and_import_by_name(db: Db, tmp_path: Path) -> None:
    added = runner.invoke(app, ["mappings", "add", "superstore", str(SHEET_MAPPING)])
    assert added.exit_code == 0, added.output
    assert "Saved mapping 'superstore' (sheet, 13 source column(s))." in added.output
    listed = runner.invoke(app, ["mappings", "list", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    [entry] = json.loads(listed.output)
    assert (entry["name"], entry["entity"], entry["source"]) == ("superstore", "sheet", "saved")
    assert entry["headers"][:3] == ["Product ID", "Product Name", "Category"]
    shown = runner.invoke(app, ["mappings", "show", "superstore"])
    assert shown.exit_code == 0
    assert shown.output == SHEET_MAPPING.read_text(encoding="utf-8")  # kept as written
    imported = runner.invoke(app, ["import", "sheet", str(SHEET), "--mapping", "superstore"])
    assert imported.exit_code == 0, imported.output
    [(total,)] = rows(db, "SELECT sum(amount) FROM order_line")
    assert total == Decimal("238932.3059")
    # one entity by name; a sheet mapping where one entity is expected says what to do
    customers = tmp_path / "customers.yaml"
    customers.write_text(
        "entity: customer\non_duplicate: last\n"
        "columns: {external_id: Customer ID, name: Customer Name, segment: Segment}\n",
        encoding="utf-8",
    )
    assert runner.invoke(app, ["mappings", "add", "cust", str(customers)]).exit_code == 0
    single = runner.invoke(app, ["import", "customer", str(SHEET), "--mapping", "cust"])
    assert single.exit_code == 0, single.output
    assert (
        "30 customer row(s)" in single.output and "0 new, 0 updated, 5 unchanged" in single.output
    )
    wrong = runner.invoke(app, ["import", "customer", str(SHEET), "--mapping", "superstore"])
    assert wrong.exit_code == 1
    assert "import it with `salesops import sheet FILE --mapping superstore`" in wrong.output
    wrong = runner.invoke(app, ["import", "sheet", str(SHEET), "--mapping", "cust"])
    assert wrong.exit_code == 1
    assert "is for one entity (customer)" in wrong.output
    audit = rows(db, "SELECT action, target FROM audit_event WHERE action = 'mapping.save'")
    assert audit == [("mapping.save", "superstore"), ("mapping.save", "cust")]
    runs = rows(db, "SELECT DISTINCT actor FROM import_run")
    assert len(runs) == 1 and runs[0][0].startswith("cli:")


def test_cli_refuses_unknown_names_and_bad_mappings(db: Db, tmp_path: Path) -> None:
    unknown = runner.invoke(app, ["import", "customer", str(SHEET), "--mapping", "nope"])
    assert unknown.exit_code == 1
    assert "'nope' is neither a mapping file nor a saved mapping (none is saved yet)" in (
        unknown.output
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("entity: customer\ncolumns: {nickname: Name}\n", encoding="utf-8")
    refused = runner.invoke(app, ["mappings", "add", "bad", str(bad)])
    assert refused.exit_code == 1
    assert "customer has no field 'nickname'" in refused.output
    named = runner.invoke(app, ["mappings", "add", "a/b", str(SHEET_MAPPING)])
    assert named.exit_code == 1 and "a mapping name has" in named.output
    missing = runner.invoke(app, ["mappings", "show", "nope"])
    assert missing.exit_code == 1
    assert rows(db, "SELECT count(*) FROM saved_mapping") == [(0,)]
    # a sample is shown by name too
    sample = runner.invoke(app, ["mappings", "show", "flat-sales-sheet-en"])
    assert sample.exit_code == 0 and "Customer ID" in sample.output


def test_saving_again_replaces_and_resolve_prefers_a_file(db: Db, tmp_path: Path) -> None:
    first = save_mapping(
        db.engine, "m", {"entity": "customer", "columns": {"external_id": "ID"}}, actor="t"
    )
    second = save_mapping(
        db.engine,
        "m",
        {"entity": "product", "columns": {"external_id": "SKU", "name": "Name"}},
        actor="t",
    )
    assert (first.entity, second.entity, second.headers) == ("customer", "product", ("SKU", "Name"))
    assert rows(db, "SELECT count(*) FROM saved_mapping") == [(1,)]
    with db.engine.connect() as conn:
        saved = get_saved(conn, "m")
    assert saved is not None and saved.document["columns"] == {"external_id": "SKU", "name": "Name"}
    resolved = resolve_mapping(db.engine, "m")
    assert not isinstance(resolved, SheetMapping) and resolved.entity == "product"
    assert isinstance(resolve_mapping(db.engine, SHEET_MAPPING), SheetMapping)
    with pytest.raises(MappingError, match=r"saved mappings: m$"):
        resolve_mapping(db.engine, "other")
    with pytest.raises(MappingError, match="has no field"):
        save_mapping(db.engine, "x", {"entity": "product", "columns": {"sku": "SKU"}}, actor="t")


def test_suggestions_from_saved_and_sample_mappings(db: Db) -> None:
    headers = [
        "order id",
        "LINE",
        "Order Date",
        "Customer ID",
        "Customer Name",
        "Segment",
        "Region",
        "Product ID",
        "Product Name",
        "Category",
        "Quantity",
        "Sales",
        "Profit",
    ]
    assert {m.name for m in sample_mappings()} >= {"flat-sales-sheet", "hubspot-deals"}
    with db.engine.connect() as conn:
        found = matching(headers, "sheet", conn)
        assert [m["name"] for m in found] == ["flat-sales-sheet-en"]
        assert matching(headers[:5], "sheet", conn) == []  # a column it reads is missing
    # the suggestion spells the columns as this file does
    order_line = found[0]["document"]["entities"]["order_line"]["columns"]
    assert (order_line["order_no"], order_line["line_no"]) == ("order id", "LINE")
    save_mapping(
        db.engine,
        "customers",
        {"entity": "customer", "columns": {"external_id": "Customer ID", "name": "Customer Name"}},
        actor="t",
    )
    with db.engine.connect() as conn:
        assert [m["name"] for m in matching(headers, "customer", conn)] == ["customers"]
        assert [m["source"] for m in matching(headers, None, conn)] == ["sample", "saved"]
    spec = {"entity": "x", "columns": {"a": {"column": "AMOUNT", "map": {"1": "2"}}, "b": "zz"}}
    assert rebind(spec, ["Amount"])["columns"] == {
        "a": {"column": "Amount", "map": {"1": "2"}},
        "b": "zz",
    }


def test_errors_of_a_run_are_kept_for_the_history(db: Db, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        [
            ["external_id", "name", "list_price"],
            ["P1", "A", "x"],
            ["P2", "B", "1"],
            ["P3", "", "y"],
        ],
    )
    result = runner.invoke(app, ["import", "product", str(path)])
    assert result.exit_code == 1
    [(status, errors, sample)] = rows(db, "SELECT status, errors, error_sample FROM import_run")
    assert (status, errors) == ("failed", 3)
    assert [(e["row"], e["column"], e["value"]) for e in json.loads(sample)] == [
        (2, "list_price", "x"),
        (4, "list_price", "y"),
        (4, "name", None),
    ]
