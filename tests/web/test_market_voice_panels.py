"""The market and voice panels that share or narrow their work for a cold page (issue #25)
answer as the straightforward queries do: the channel funnel from the page's one set of
by-channel answers as from its own filtered query, the detractors' churn flags from the
analysis run for them alone as from the analysis over every customer."""

from __future__ import annotations

from salesops.analysis.churn import churn_warnings
from salesops.metrics.scope import FULL_SCOPE
from salesops.web.board import Board
from salesops.web.filters import parse_filters
from salesops.web.panels import market, voice
from tests.conftest import Db
from tests.web.test_market_voice_browser import _company

PERIOD = {"period": ["custom"], "from": ["2026-01-01"], "to": ["2026-11-30"]}


def _board(db: Db, page: str) -> Board:
    return Board(db.engine, FULL_SCOPE, parse_filters(PERIOD), "en", page=page)


def test_channel_panels_read_one_set_of_answers(db: Db) -> None:
    _company(db)
    board = _board(db, "market")
    funnel = market.channel_funnel(board)
    chans = market._channels(board)
    assert chans  # the spend sheet's channels
    where = [("source_channel", chans)]
    by = {"by": ("source_channel",), "where": where}
    names = ("leads", "lead_conversion", "new_opportunities", "won_deals", "win_rate", "revenue")
    alone = dict(zip(names, board.query_many(*((m, by) for m in names)), strict=True))
    shared = market._by_channel(board)
    for metric in names:
        own = {r["source_channel"]: r["value"] for r in alone[metric]}
        from_page = {
            r["source_channel"]: r["value"] for r in shared[metric] if r["source_channel"] in chans
        }
        assert from_page == own, metric
    assert [row["cells"][0] for row in funnel["table"]["rows"]] == sorted(
        chans, key=lambda c: -float(dict(
            (r["source_channel"], r["value"] or 0) for r in alone["revenue"]).get(c, 0))
    )  # fmt: skip
    # the economics and the spend mix are built from the same answers, without a statement
    statements: list[str] = []
    from sqlalchemy import event

    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    market.channel_economics(board)
    market.spend_vs_result(board)
    assert [s for s in statements if "data_version" not in s] == []


def test_detractors_are_flagged_as_by_the_whole_churn_analysis(db: Db) -> None:
    _company(db)
    for end in ("2026-06-15", "2026-11-30"):
        board = Board(
            db.engine, FULL_SCOPE, parse_filters(PERIOD | {"to": [end]}), "en", page="voice"
        )
        panel = voice.detractor_revenue(board)
        rows = panel["table"]["rows"]
        everyone = {
            w.customer
            for w in churn_warnings(
                db.engine, FULL_SCOPE, board.filters.where, as_of=board.filters.end
            ).warnings
        }
        shown = {row["cells"][0]: row["cells"][3] for row in rows}
        assert shown == {c: ("Churn warning" if c in everyone else "") for c in shown}
        keys = list(shown)
        assert voice._warned(board, keys) == everyone & set(keys)


def test_open_items_show_priorities_by_name(db: Db) -> None:
    _company(db)
    for lang, names in (
        ("zh_CN", {"高", "中", "低", "紧急"}),
        ("en", {"High", "Medium", "Low", "Urgent"}),
    ):
        board = Board(db.engine, FULL_SCOPE, parse_filters(PERIOD), lang, page="voice")
        panel = voice.open_items(board)
        header = panel["table"]["columns"]
        at = [c["label"] for c in header].index(board.t("Priority"))
        shown = {row["cells"][at] for row in panel["table"]["rows"]}
        assert shown and shown <= names | {""}, (lang, shown)
