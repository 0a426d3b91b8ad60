"""People panels on the team and rep pages: the scorecard (score, parts, rank per rep and
team), the honour roll (光荣榜), a rep's own scorecard and coaching log.

The numbers come from :mod:`salesops.people`; this module only lays them out. A rep sees
their own row, ranked within their team (as the leaderboard does)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from salesops.db.schema import Rep
from salesops.metrics.scope import Scope
from salesops.people import coaching, recognition, scorecards
from salesops.people.statements import PeopleError
from salesops.targets.calendar import Period, period_containing
from salesops.web.board import Board
from salesops.web.panels.base import Panel, table, titled
from salesops.web.records import Column


def board_period(board: Board, grain: str) -> Period:
    """The board's period when it is exactly one of ``grain``, else the one its end lies in."""
    f = board.filters
    if f.target_grain == grain:
        return Period(f.start, f.target_grain)
    return period_containing(f.end, grain)  # type: ignore[arg-type]


def _card(board: Board) -> scorecards.Card | None:
    try:
        return board.cached(("people_card",), lambda: scorecards.load_scorecard(board.engine))
    except PeopleError:
        return None


def _own_team(board: Board) -> int | None:
    with board.engine.connect() as conn:
        return conn.execute(select(Rep.org_unit_id).where(Rep.id == board.scope.rep_id)).scalar()


def scores(board: Board) -> scorecards.Scores | None:
    """This board's scores (a rep: their team's, for their rank), or None without a card."""
    card = _card(board)
    if card is None:
        return None
    period = board_period(board, card.period)
    scope = board.scope
    if scope.kind == "rep" and scope.rep_id:
        team = _own_team(board)
        scope = Scope.subtree(team) if team else scope
    return board.cached(
        ("people_scores", period, scope.cache_key()),
        lambda: scorecards.compute(
            board.engine, period, scope, code=card.code, locale=board.locale
        ),
    )


def _mine(board: Board, found: scorecards.Scores) -> list[scorecards.RepScore]:
    if board.scope.kind == "rep":
        return [r for r in found.reps if r.rep_id == board.scope.rep_id]
    return list(found.reps)


def scorecard_panel(board: Board) -> Panel:
    """Reps by score, with each item's score and the rank overall and in the team."""
    found = scores(board)
    columns = [
        Column("rank", "#"),
        Column("rep", board.t("Sales rep")),
        Column("team", board.t("Team")),
        Column("score", board.t("Score"), "score"),
    ]
    rows: list[dict[str, Any]] = []
    subtitle = board.t("No scorecard is defined yet (see docs/people.md).")
    if found is not None:
        for item in found.card.items:
            columns.append(Column(f"part:{item.code}", item.label(board.locale), "score"))
        columns.append(Column("team_rank", board.t("Rank in team")))
        size = len(found.reps)
        for r in sorted(_mine(board, found), key=lambda r: (r.rank or 10**6, r.rep)):
            row: dict[str, Any] = {
                "rank": r.rank if board.scope.kind != "rep" else f"{r.rank or '-'} / {size}",
                "rep": r.rep,
                "team": r.team,
                "score": None if r.score is None else float(r.score),
                "team_rank": r.team_rank,
            }
            for p in r.parts:
                row[f"part:{p.code}"] = None if p.score is None else float(p.score)
            rows.append(row)
        subtitle = board.t(
            "{name} · {period} · weighted score out of 100 (KPIs against target are capped at 120)",
            name=found.card.name,
            period=found.period.label(),
        )
    return table(
        board,
        "scorecard",
        board.t(titled("scorecard", "Scorecard")),
        columns,
        rows,
        subtitle=subtitle,
        records=False,
        href=lambda r: "/team/rep?" + board.filters.query_string(rep=str(r["rep"])),
    )


def team_scores_panel(board: Board) -> Panel:
    """Teams by their reps' average score."""
    found = scores(board) if board.scope.kind != "rep" else None
    rows = [
        {
            "rank": t.rank,
            "team": t.team,
            "score": None if t.score is None else float(t.score),
            "reps": t.reps,
        }
        for t in (found.teams if found else [])
    ]
    columns = [
        Column("rank", "#"),
        Column("team", board.t("Team")),
        Column("score", board.t("Average score"), "score"),
        Column("reps", board.t("Sales reps"), "count"),
    ]
    return table(
        board,
        "team_scores",
        board.t(titled("team_scores", "Team scores")),
        columns,
        rows,
        subtitle=board.t("The average score of each team's reps"),
        records=False,
    )


def honour_roll_panel(board: Board) -> Panel:
    """光荣榜: the best three scores of the board's month or quarter, company-wide."""
    card = _card(board)
    rows: list[dict[str, Any]] = []
    subtitle = board.t("No scorecard is defined yet (see docs/people.md).")
    if card is not None:
        period = board_period(board, card.period)
        honours = board.cached(
            ("people_honours", period, board.scope.cache_key()),
            lambda: recognition.honour_roll(board.engine, period, board.scope, code=card.code),
        )
        rows = [
            {
                "rank": h.rank,
                "rep": h.rep or board.t("A colleague"),
                "team": h.team or "",
                "score": float(h.score),
            }
            for h in honours
        ]
        subtitle = board.t("Best scores of {period}, whole company", period=period.label())
    columns = [
        Column("rank", "#"),
        Column("rep", board.t("Sales rep")),
        Column("team", board.t("Team")),
        Column("score", board.t("Score"), "score"),
    ]
    return table(
        board,
        "honour_roll",
        board.t(titled("honour_roll", "Honour roll")),
        columns,
        rows,
        subtitle=subtitle,
        records=False,
    )


def _rep_id(board: Board) -> int | None:
    name = board.filters.value("rep")
    if not name:
        return board.scope.rep_id if board.scope.kind == "rep" else None
    with board.engine.connect() as conn:
        found = conn.execute(select(Rep.id).where(Rep.name == name).order_by(Rep.id)).scalar()
    return None if found is None else int(found)


def rep_scorecard_panel(board: Board) -> Panel:
    """The rep's score: each item's value, what it was scored against, score, weight, comment."""
    found = scores(board)
    rep_id = _rep_id(board)
    mine = next((r for r in found.reps if r.rep_id == rep_id), None) if found else None
    rows: list[dict[str, Any]] = []
    subtitle = board.t("No scorecard is defined yet (see docs/people.md).")
    if found is not None:
        subtitle = board.t("{name} · {period}", name=found.card.name, period=found.period.label())
    if found is not None and mine is not None:
        for p in mine.parts:
            unit = "score" if p.kind == "rated" else _unit(p.code, found)
            rows.append(
                {
                    "item": p.label,
                    "value": board.fmt(None if p.value is None else float(p.value), unit),
                    "against": board.fmt(None if p.against is None else float(p.against), unit),
                    "score": None if p.score is None else float(p.score),
                    "weight": float(p.weight),
                    "comment": p.comment or "",
                }
            )
        rows.append(
            {
                "item": board.t("Score"),
                "value": "",
                "against": "",
                "score": None if mine.score is None else float(mine.score),
                "weight": None,
                "comment": board.t("rank {rank} · rank in team {team_rank}", rank=mine.rank or "-",
                                   team_rank=mine.team_rank or "-")
                if board.scope.kind != "rep"
                else board.t("rank in team {team_rank}", team_rank=mine.team_rank or "-"),
            }
        )  # fmt: skip
    columns = [
        Column("item", board.t("Item")),
        Column("value", board.t("Actual")),  # "Value" is the culture kind (价值观)
        Column("against", board.t("Target")),
        Column("score", board.t("Score"), "score"),
        Column("weight", board.t("Weight"), "number"),
        Column("comment", board.t("Comment")),
    ]
    panel = table(
        board,
        "rep_scorecard",
        board.t(titled("rep_scorecard", "Scorecard")),
        columns,
        rows,
        subtitle=subtitle,
        records=False,
    )
    for col in panel["table"]["columns"][1:3]:
        col["cls"] = "num"
    return panel


def _unit(code: str, found: scorecards.Scores) -> str:
    from salesops.metrics import catalog

    item = next((i for i in found.card.items if i.code == code), None)
    if item is None or not item.metric:
        return "number"
    return str(catalog.get(item.metric).unit)


def coaching_rows(board: Board, rep_ids: list[int] | None) -> list[dict[str, Any]]:
    found = coaching.entries(board.engine, board.scope, rep_ids=rep_ids, limit=50)
    return [
        {
            "date": e.occurred_on.isoformat(),
            "rep": e.rep,
            "kind": board.t(coaching.KIND_LABELS.get(e.kind, e.kind)),
            "title": e.title,
            "owner": e.owner or "",
            "due": e.due_on.isoformat() if e.due_on else "",
            "done": "" if e.done is None else (board.t("Done") if e.done else board.t("Open")),
        }
        for e in found
    ]


def rep_coaching_panel(board: Board) -> Panel:
    """The rep's coaching log: one-to-ones, training, skills and agreed actions."""
    rep_id = _rep_id(board)
    rows = coaching_rows(board, [rep_id]) if rep_id else []
    columns = [
        Column("date", board.t("Date")),
        Column("kind", board.t("Kind")),
        Column("title", board.t("Coaching")),
        Column("owner", board.t("Owner")),
        Column("due", board.t("Due")),
        Column("done", board.t("Status")),
    ]
    return table(
        board,
        "rep_coaching",
        board.t(titled("rep_coaching", "Coaching log")),
        columns,
        rows,
        subtitle=board.t("One-to-ones, training, skills and agreed actions"),
        records=False,
    )


def coaching_history(board: Board, rep_ids: list[int]) -> dict[int, str]:
    """The last three coaching entries of each rep, as one line (next to a flag)."""
    out: dict[int, list[str]] = {}
    for e in coaching.entries(board.engine, board.scope, rep_ids=rep_ids, limit=500):
        kept = out.setdefault(e.rep_id, [])
        if len(kept) < 3:
            kept.append(f"{e.occurred_on:%m-%d} {board.t(coaching.KIND_LABELS[e.kind])}: {e.title}")
    return {k: "; ".join(v) for k, v in out.items()}


def good_news_items(board: Board) -> list[dict[str, str]]:
    """喜报 for the overview's banner and the wall's ticker, in the board's language; names
    only where the board's scope allows (see :mod:`salesops.people.recognition`). Cached per
    data version, scope and filters, as panels are (the wall warms it)."""
    from salesops.web.formatting import format_value

    t = board.t

    def money(value: Any) -> str:
        return format_value(None if value is None else float(value), "money", board.locale)

    def compute() -> list[recognition.News]:
        try:
            return recognition.good_news(board.engine, board.scope, board.filters.today)
        except (PeopleError, ValueError, LookupError):
            return []

    news = board.cached(("good_news",), compute)
    items = []
    for n in news:
        if n.kind == "deal":
            text = (
                t("{rep} won a deal with {customer}: {amount}", rep=n.rep,
                  customer=n.customer or "", amount=money(n.amount))
                if n.rep
                else t("A colleague won a deal of {amount}", amount=money(n.amount))
            )  # fmt: skip
        elif n.kind == "target":
            text = (
                t("{rep} reached their {period} revenue target: {amount}", rep=n.rep,
                  period=n.period or "", amount=money(n.amount))
                if n.rep
                else t("A colleague reached their {period} revenue target", period=n.period or "")
            )  # fmt: skip
        elif n.company:
            text = t("Record month {period}: revenue {amount} (best before: {previous})",
                     period=n.period or "", amount=money(n.amount),
                     previous=money(n.previous))  # fmt: skip
        elif n.rep:
            text = t("{rep}: best month ever in {period}, {amount}", rep=n.rep,
                     period=n.period or "", amount=money(n.amount))  # fmt: skip
        else:
            text = t("A colleague had their best month ever ({period})", period=n.period or "")
        items.append({"kind": "good_news", "kind_label": t("Good news"), "text": text})
    return items
