"""``salesops targets ...`` and ``/api/v1/targets``, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from salesops.cli.targets_cmds import targets_app
from salesops.db.schema import Target
from salesops.ingest.export import export_entity
from salesops.ingest.importer import import_file
from salesops.targets.calendar import parse_period
from salesops.targets.decompose import decompose
from salesops.targets.org import TargetScope
from salesops.targets.service import set_target
from tests.auth_helpers import admin_client
from tests.conftest import Db
from tests.targets import data

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(targets_app, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_set_decompose_show_delete(db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # rich tables as wide as a real terminal
    data.load(db.engine)
    out = _run("set", "revenue", "1800000", "--period", "2026", "--scope", "company")
    assert "created target 1" in out and "1,800,000.00" in out
    out = _run("set", "revenue", "250000", "--period", "2026-Q1", "--scope", "rep:张伟")
    assert "created target 2" in out
    _run("decompose", "1", "--over", "time", "--method", "even")
    out = _run(
        "decompose", "1", "--over", "org", "--method", "weights", "--weights", "华东=2,华南=1"
    )
    assert "1,200,000.00" in out and "600,000.00" in out
    shown = json.loads(
        _run("show", "--as-of", "2026-03-31", "--format", "json", "--metric", "revenue")
    )
    assert shown["as_of"] == "2026-03-31"
    roots = {r["id"]: r for r in shown["targets"]}
    year = roots[1]
    assert year["attainment"]["actual"] == 450000
    assert year["attainment"]["status"] == "on_track"
    assert [(c["axis"], c["level"]) for c in year["checks"]] == [
        ("time", "quarter"),
        ("org", "region"),
    ]
    # Children over the organisation (same period) first, then over time.
    assert [(c["period"], c["scope"]) for c in year["children"]] == [
        ("2026", "region:华东"),
        ("2026", "region:华南"),
        ("2026-Q1", "company"),
        ("2026-Q2", "company"),
        ("2026-Q3", "company"),
        ("2026-Q4", "company"),
    ]
    assert roots[2]["scope"] == "rep:张伟"
    assert roots[2]["attainment"]["actual"] == 200000
    table = _run("show", "--as-of", "2026-03-31")
    assert "on_track" in table and "华东" in table
    _run("edit", "3", "460000")
    table = _run("show", "--as-of", "2026-03-31")
    assert "children +10,000.00" in table
    flags = json.loads(
        _run("flags", "--period", "2026-Q1", "--as-of", "2026-03-31", "--format", "json")
    )
    assert [(f["rep"], f["reason"]) for f in flags["flags"]] == [("李娜", "opportunities")]
    refused = runner.invoke(targets_app, ["delete", "1"])
    assert refused.exit_code == 2 and "cascade" in refused.output
    assert "deleted 7 target(s)" in _run("delete", "1", "--cascade")


def test_cli_errors_are_clear(db: Db) -> None:
    data.load(db.engine, with_facts=False)
    for args, message in (
        (["set", "revenue", "1", "--period", "2026-Q7"], "2026-Q1"),
        (["set", "revenue", "1", "--period", "2026", "--scope", "team:Nowhere"], "Nowhere"),
        (["set", "nope", "1", "--period", "2026"], "nope"),
        (["decompose", "99", "--over", "time"], "99"),
        (["decompose", "1", "--over", "sideways"], "time or org"),
        (["show", "--as-of", "yesterday"], "--as-of"),
    ):
        result = runner.invoke(targets_app, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)


def test_api_crud_decompose_tree(db: Db) -> None:
    data.load(db.engine)
    client = admin_client(db.engine)
    created = client.post(
        "/api/v1/targets",
        json={"metric": "revenue", "period": "2026", "scope": "company", "value": 1800000},
    )
    assert created.status_code == 201, created.text
    target = created.json()
    assert (target["period_start"], target["period_end"]) == ("2026-01-01", "2026-12-31")
    again = client.post(
        "/api/v1/targets",
        json={"metric": "revenue", "period": "2026", "scope": "company", "value": "1900000"},
    )
    assert again.status_code == 200 and again.json()["id"] == target["id"]
    tid = target["id"]
    preview = client.post(
        f"/api/v1/targets/{tid}/decompose",
        json={"over": "org", "method": "share", "into": "region", "dry_run": True},
    ).json()
    assert [(c["name"], c["value"]) for c in preview["children"]] == [
        ("华东", 1140000.0),
        ("华南", 760000.0),
    ]
    assert client.get("/api/v1/targets").json()[0]["id"] == tid  # nothing written
    done = client.post(
        f"/api/v1/targets/{tid}/decompose", json={"over": "time", "method": "even", "into": "month"}
    ).json()
    assert done["created"] == 12 and done["children"][0]["value"] == 158333.33
    march = done["children"][2]["id"]
    edited = client.patch(f"/api/v1/targets/{march}", json={"value": 160000})
    assert edited.json()["value"] == 160000
    one = client.get(f"/api/v1/targets/{march}", params={"as_of": "2026-03-31"}).json()
    assert one["attainment"]["actual"] == 80000  # March: 张伟 50,000 + 王强 30,000
    tree = client.get("/api/v1/targets/tree", params={"as_of": "2026-03-31"}).json()
    (root,) = tree
    assert root["adds_up"] is False
    assert root["checks"][0]["difference"] == 1666.67
    assert len(root["children"]) == 12
    assert client.delete(f"/api/v1/targets/{tid}").status_code == 409
    assert client.delete(f"/api/v1/targets/{tid}", params={"cascade": True}).json() == {
        "deleted": 13
    }
    assert client.get(f"/api/v1/targets/{tid}").status_code == 404


def test_api_rejects_bad_input(db: Db) -> None:
    data.load(db.engine, with_facts=False)
    client = admin_client(db.engine)
    bad = client.post("/api/v1/targets", json={"metric": "revenue", "period": "26", "value": 1})
    assert bad.status_code == 422 and "2026-Q1" in bad.json()["detail"]
    unknown = client.post(
        "/api/v1/targets",
        json={"metric": "revenue", "period": "2026", "scope": "rep:Nobody", "value": 1},
    )
    assert unknown.status_code == 422 and "Nobody" in unknown.json()["detail"]
    assert client.post("/api/v1/targets/42/decompose", json={"over": "time"}).status_code == 404
    assert "/api/v1/targets/tree" in client.get("/api/v1/openapi.json").json()["paths"]


def test_export_import_round_trip_and_file_targets_meet_decomposition(
    db: Db, tmp_path: Path
) -> None:
    data.load(db.engine, with_facts=False)
    year = set_target(
        db.engine, "revenue", parse_period("2026", 1), TargetScope.company(), "1000000"
    ).target
    decompose(db.engine, year.id, "time", "even")
    exported = tmp_path / "targets.csv"
    assert export_entity(db.engine, "target", exported) == 5
    report = import_file(db.engine, "target", exported)
    assert report.ok, report.errors
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 5)
    # A file without ids: a rep's yearly target, referenced by the rep's external id.
    plain = tmp_path / "rep-targets.csv"
    plain.write_text(
        "metric,period_grain,period_start,scope_kind,rep,value\n"
        "revenue,year,2026-01-01,rep,R1,123456\n",
        encoding="utf-8",
    )
    report = import_file(db.engine, "target", plain)
    assert report.ok, report.errors
    assert report.inserted == 1
    # Decomposing the company target into reps updates that row instead of adding another.
    reps = decompose(db.engine, year.id, "org", "even", into="rep")
    assert (reps.created, reps.updated) == (4, 1)
    with db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Target)).scalar_one() == 10


def test_api_and_cli_split_each_child(db: Db) -> None:
    data.load(db.engine)
    client = admin_client(db.engine)
    tid = client.post(
        "/api/v1/targets", json={"metric": "revenue", "period": "2026", "value": 1000000}
    ).json()["id"]
    client.post(f"/api/v1/targets/{tid}/decompose", json={"over": "org", "into": "region"})
    split = client.post(
        f"/api/v1/targets/{tid}/decompose-children",
        json={"over": "org", "method": "share", "into": "team"},
    ).json()
    # 华东 (500,000) by 2025 team share 400k : 200k; 华南 (500,000) all to 华南一组.
    assert [[(c["name"], c["value"]) for c in d["children"]] for d in split] == [
        [("华东一组", 333333.33), ("华东二组", 166666.67)],
        [("华南一组", 500000.0)],
    ]
    out = _run("decompose", str(tid), "--over", "time", "--each-child", "--level", "region")
    assert out.count("into 4 quarters") == 2
