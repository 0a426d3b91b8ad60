"""Channel-scoped targets (issue #27): a target narrowed to one sales channel, on both databases.

Hand-made facts on top of the org of :mod:`tests.targets.data` (no facts of its own), 2026 Q1:

====  ==========  =======  =======
rep   date        channel  amount
====  ==========  =======  =======
张伟  2026-01-10  直销     100,000
张伟  2026-02-10  渠道      60,000
张伟  2026-03-10  直销      40,000
李娜  2026-01-20  渠道      50,000
李娜  2026-02-20  直销      30,000
====  ==========  =======  =======

So 张伟's Q1 revenue is 200,000 (直销 140,000, 渠道 60,000). Targets for Q1: 张伟 whole
250,000, his 直销 part 200,000, his 渠道 part 50,000. Expected on 2026-03-31 (the quarter
over): whole 200,000 / 250,000 = 0.80; 直销 140,000 / 200,000 = 0.70; 渠道 60,000 / 50,000
= 1.20. His quota (commission, scorecards) stays 250,000.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from salesops.cli.targets_cmds import targets_app
from salesops.db.derived import refresh_after_write
from salesops.db.engine import session_scope
from salesops.db.schema import OrderLine, Target
from salesops.ingest.importer import import_file
from salesops.metrics.query import MetricQuery
from salesops.metrics.scope import FULL_SCOPE
from salesops.people import proposals
from salesops.people.quota import rep_target, rep_targets
from salesops.targets.attainment import evaluate
from salesops.targets.calendar import parse_period
from salesops.targets.decompose import decompose
from salesops.targets.flags import rep_flags
from salesops.targets.kpis import query_rows
from salesops.targets.org import Directory, ScopeError, TargetScope
from salesops.targets.service import list_targets, set_target
from tests.auth_helpers import admin_client, link_path
from tests.browser import chromium, live_server
from tests.conftest import Db
from tests.targets import data

#: Screenshots of the browser test (default: a temporary folder).
SHOTS = Path(os.environ.get("SALESOPS_SHOTS", "/tmp/salesops-shots-targets"))
Q1 = parse_period("2026-Q1")
END_Q1 = dt.date(2026, 3, 31)
ORDERS = [
    ("张伟", "2026-01-10", "直销", "100000"),
    ("张伟", "2026-02-10", "渠道", "60000"),
    ("张伟", "2026-03-10", "直销", "40000"),
    ("李娜", "2026-01-20", "渠道", "50000"),
    ("李娜", "2026-02-20", "直销", "30000"),
]


def _load(db: Db) -> dict[str, int]:
    ids = data.load(db.engine, with_facts=False)
    with session_scope(db.engine) as s:
        for n, (rep, day, channel, amount) in enumerate(ORDERS, start=1):
            s.add(
                OrderLine(
                    order_no=f"CH{n:03d}",
                    line_no=1,
                    order_date=dt.date.fromisoformat(day),
                    customer_id=ids["customer:K1"],
                    rep_id=ids[f"rep:{rep}"],
                    product_id=ids["product:P1"],
                    region_id=ids["region:华东"],
                    channel=channel,
                    quantity=Decimal(1),
                    amount=Decimal(amount),
                    status="normal",
                )
            )
    with db.engine.begin() as conn:
        refresh_after_write(conn)
    return ids


def _scope(db: Db, text: str, channel: str | None = None) -> TargetScope:
    with db.engine.connect() as conn:
        return Directory(conn).parse(text, channel)


def _zhang_targets(db: Db) -> dict[str, int]:
    out = {}
    for text, value in (
        ("rep:张伟", 250000),
        ("rep:张伟;channel:直销", 200000),
        ("rep:张伟;channel:渠道", 50000),
    ):
        out[text] = set_target(db.engine, "revenue", Q1, _scope(db, text), value).target.id
    return out


def test_scope_syntax_and_keys(db: Db) -> None:
    ids = _load(db)
    zhang = ids["rep:张伟"]
    assert _scope(db, "rep:张伟;channel:直销") == TargetScope("rep", rep_id=zhang, channel="直销")
    assert _scope(db, "rep:张伟", "直销") == _scope(db, "channel:直销 ; rep:张伟")
    assert _scope(db, "channel:渠道") == TargetScope("company", channel="渠道")
    with pytest.raises(ScopeError, match="two channels"):
        _scope(db, "rep:张伟;channel:直销", "渠道")
    with pytest.raises(ScopeError, match="one scope"):
        _scope(db, "rep:张伟;team:华东一组")
    made = _zhang_targets(db)
    with db.engine.connect() as conn:
        keys = dict(conn.execute(select(Target.id, Target.external_id)).all())
        channels = dict(conn.execute(select(Target.id, Target.channel)).all())
    # The whole target keeps the key it always had; a channel's part appends the channel.
    assert keys[made["rep:张伟"]] == "revenue|quarter|2026-01-01|rep||R1||"
    assert keys[made["rep:张伟;channel:直销"]] == "revenue|quarter|2026-01-01|rep||R1|||直销"
    assert channels[made["rep:张伟"]] is None
    assert channels[made["rep:张伟;channel:渠道"]] == "渠道"
    texts = {t.id: t.scope_text for t in list_targets(db.engine)}
    assert texts[made["rep:张伟;channel:直销"]] == "rep:张伟;channel:直销"
    # Setting the same channel's part again updates it.
    again = set_target(db.engine, "revenue", Q1, _scope(db, "rep:张伟", "直销"), 210000)
    assert not again.created and again.target.id == made["rep:张伟;channel:直销"]


def test_channel_attainment_and_the_quota(db: Db) -> None:
    ids = _load(db)
    made = _zhang_targets(db)
    targets = list_targets(db.engine)
    result = evaluate(db.engine, targets, as_of=END_Q1)
    whole = result[made["rep:张伟"]]
    direct = result[made["rep:张伟;channel:直销"]]
    partner = result[made["rep:张伟;channel:渠道"]]
    assert (whole.actual, whole.attainment) == (Decimal(200000), pytest.approx(0.80))
    assert (direct.actual, direct.attainment) == (Decimal(140000), pytest.approx(0.70))
    assert (partner.actual, partner.attainment) == (Decimal(60000), pytest.approx(1.20))
    # Commission and scorecards read the rep's whole quota, never a channel's part.
    with db.engine.connect() as conn:
        assert rep_target(conn, "revenue", ids["rep:张伟"], Q1) == Decimal(250000)
        assert rep_targets(conn, "revenue", [ids["rep:张伟"], ids["rep:李娜"]], Q1) == {
            ids["rep:张伟"]: Decimal(250000),
            ids["rep:李娜"]: None,
        }
    # The engine's target_attainment: the whole quota without a channel filter; with one,
    # the channel's revenue against the channel's part.
    plain = MetricQuery("target_attainment", start=Q1.start, end=Q1.end, where=_rep("张伟"))
    assert _value(db, plain) == pytest.approx(0.80)
    by_channel = MetricQuery(
        "target_attainment",
        start=Q1.start,
        end=Q1.end,
        where=(*_rep("张伟"), ("channel", ("直销",))),
    )
    assert _value(db, by_channel) == pytest.approx(0.70)
    # "Who needs help" compares whole quotas only: 张伟 alone has one, nobody is flagged.
    assert [f for f in rep_flags(db.engine, Q1, as_of=END_Q1) if f.reason == "attainment"] == []


def _rep(name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return (("rep", (name,)),)


def _value(db: Db, query: MetricQuery) -> float | None:
    rows = query_rows(db.engine, query, FULL_SCOPE)
    return None if not rows or rows[0].get("value") is None else float(rows[0]["value"])


def test_decomposition_keeps_the_channel_and_splits_into_channels(db: Db) -> None:
    ids = _load(db)
    company = set_target(db.engine, "revenue", Q1, _scope(db, "channel:直销"), 300000).target
    reps = decompose(db.engine, company.id, "org", "weights", into="rep", weights="张伟=3,李娜=1")
    values = {c.scope_text: c.value for c in reps.children}
    assert values["rep:张伟;channel:直销"] == Decimal(225000)
    assert values["rep:李娜;channel:直销"] == Decimal(75000)
    assert all(c.scope.channel == "直销" for c in reps.children)
    # A whole rep target into its channels (the channels orders were taken through).
    whole = set_target(db.engine, "revenue", Q1, TargetScope("rep", rep_id=ids["rep:李娜"]), 90000)
    split = decompose(db.engine, whole.target.id, "org", "even", into="channel")
    assert [(c.scope_text, c.value) for c in split.children] == [
        ("rep:李娜;channel:渠道", Decimal(45000)),
        ("rep:李娜;channel:直销", Decimal(45000)),
    ]
    # 李娜's 直销 part existed (from the company split): it was updated and re-parented.
    assert (split.created, split.updated) == (1, 1)
    from salesops.targets.service import target_tree

    roots = target_tree(db.engine, with_attainment=False)
    node = next(n for r in roots for _, n in r.walk() if n.target.id == whole.target.id)
    assert [(c.level, c.adds_up) for c in node.checks] == [("channel", True)]
    with pytest.raises(Exception, match="already one channel"):
        decompose(db.engine, split.children[0].id, "org", "even", into="channel")


def test_proposal_with_a_channel(db: Db) -> None:
    ids = _load(db)
    q2 = parse_period("2026-Q2")
    pid = proposals.propose(
        db.engine,
        "revenue",
        q2,
        "100000",
        "张伟",
        rep_id=ids["rep:张伟"],
        channel="直销",
        today=dt.date(2026, 3, 20),
    )
    done = proposals.decide(db.engine, pid, "adjust", "manager", value=Decimal(120000), comment="+")
    assert done.channel == "直销" and done.to_dict()["scope"] == "张伟 · 直销"
    with db.engine.connect() as conn:
        row = conn.execute(
            select(Target.scope_kind, Target.rep_id, Target.channel, Target.value).where(
                Target.id == done.target_id
            )
        ).one()
    assert (row.scope_kind, row.rep_id, row.channel) == ("rep", ids["rep:张伟"], "直销")
    assert Decimal(row.value) == Decimal(120000)


def test_cli_api_and_import(db: Db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    _load(db)
    runner = CliRunner()
    out = runner.invoke(
        targets_app,
        [
            "set",
            "revenue",
            "200000",
            "--period",
            "2026-Q1",
            "--scope",
            "rep:张伟",
            "--channel",
            "直销",
        ],
    )
    assert out.exit_code == 0, out.output
    assert "rep:张伟;channel:直销" in out.output
    out = runner.invoke(
        targets_app, ["set", "revenue", "1", "--period", "2026-Q1", "--scope", "rep:张伟;x:y"]
    )
    assert out.exit_code != 0 and "one scope" in out.output
    client = admin_client(db.engine)
    made = client.post(
        "/api/v1/targets",
        json={
            "metric": "revenue",
            "period": "2026-Q1",
            "scope": "rep:张伟",
            "channel": "渠道",
            "value": 50000,
        },
    )
    assert made.status_code == 201, made.text
    assert made.json()["channel"] == "渠道"
    listed = client.get("/api/v1/targets", params={"metric": "revenue"}).json()
    rows = listed if isinstance(listed, list) else listed["targets"]
    assert sorted((t["scope"], t["channel"]) for t in rows) == [
        ("rep:张伟;channel:渠道", "渠道"),
        ("rep:张伟;channel:直销", "直销"),
    ]
    # Import: the whole target and a channel's part from one file, twice (no duplicates).
    sheet = tmp_path / "channel-targets.csv"
    sheet.write_text(
        "metric,period_grain,period_start,scope_kind,rep,channel,value\n"
        "revenue,quarter,2026-04-01,rep,R2,,90000\n"
        "revenue,quarter,2026-04-01,rep,R2,直销,40000\n",
        encoding="utf-8",
    )
    for _ in range(2):
        report = import_file(db.engine, "target", sheet)
        assert report.ok, report.errors
    with db.engine.connect() as conn:
        found = conn.execute(
            select(Target.external_id, Target.channel, Target.value).where(
                Target.period_start == dt.date(2026, 4, 1)
            )
        ).all()
    assert sorted((k, c, Decimal(v)) for k, c, v in found) == [
        ("revenue|quarter|2026-04-01|rep||R2||", None, Decimal(90000)),
        ("revenue|quarter|2026-04-01|rep||R2|||直销", "直销", Decimal(40000)),
    ]


def test_targets_page_sets_a_channel_target_zh_and_en(db: Db) -> None:
    """The targets page in Chromium: 张伟's 直销 part for 2026-Q1 set through the form (zh),
    then read in the tree in both languages: 140,000 of 200,000 = 70.0 %."""
    _load(db)
    errors: list[str] = []
    with live_server(db.engine) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(base + link_path(db.engine, then="/api/v1/health"))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        view = "metric=revenue&target_period=2026-Q1&asof=2026-03-31"
        page.goto(f"{base}/targets?{view}&lang=zh")
        assert page.locator("#set-channel option").all_inner_texts() == ["全部渠道", "渠道", "直销"]
        page.select_option("#set-target select[name=metric]", "revenue")
        page.fill("#set-target input[name=target_period]", "2026-Q1")
        page.select_option("#set-target select[name=target_scope]", "rep:张伟")
        page.select_option("#set-target select[name=target_channel]", "直销")
        page.fill("#set-target input[name=value]", "200000")
        page.click("#set-submit")
        page.wait_for_selector("#target-message")
        for lang, scope in (("zh", "销售 · 张伟 · 直销"), ("en", "Sales rep · 张伟 · 直销")):
            page.goto(f"{base}/targets?{view}&lang={lang}")
            row = page.locator("#target-tree tr[data-depth='0']")
            text = row.inner_text()
            assert scope in text and "70.0%" in text, text
            link = row.locator("a", has_text="张伟").get_attribute("href")
            assert link == "/team/rep?rep=%E5%BC%A0%E4%BC%9F"
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"targets-channel-{lang}-{db.kind}.png"))
    assert errors == []
