"""XLSX of a commission statement and of a scorecard. Text from the data (rep, customer and
deal names, comments) is never a formula (``salesops.formula_safety``); money is written as
exact numbers with four places, the total as the number it is (the sum of the lines)."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from salesops.formula_safety import xlsx_row
from salesops.people.scorecards import Scores
from salesops.people.statements import StatementView

Translate = Callable[[str], str]
KIND_LABELS = {
    "commission": "Commission",
    "spiff": "SPIFF",
    "bonus": "Bonus",
    "clawback": "Clawback",
}
MONEY = "#,##0.0000"


def plain(value: Any) -> Any:
    """Decimals as floats and dates as ISO text, recursively: money is a plain JSON number
    (as everywhere in the API; the four places money is kept survive a float)."""
    import datetime as dt

    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _book() -> Any:
    from openpyxl import Workbook

    return Workbook()


def _bold(ws: Any, row: int) -> None:
    from openpyxl.styles import Font

    for cell in ws[row]:
        cell.font = Font(bold=True)


def _save(wb: Any) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _num(value: Decimal | None) -> Any:
    return None if value is None else value


def statement_xlsx(view: StatementView, t: Translate) -> bytes:
    """One sheet: what the statement is about, then one row per line, then the total."""
    wb = _book()
    ws = wb.active
    ws.title = t("Commission statement")[:31]
    s = view.statement
    head = [
        (t("Sales rep"), view.rep),
        (t("Plan"), f"{view.plan.rules.code} · {view.plan.rules.name}"),
        (t("Period"), view.period.label()),
        (t("Target"), _num(s.target)),
        (t("Credit"), s.credit),
        (t("Attainment"), None if s.attainment is None else float(s.attainment)),
        (t("Status"), t("Closed (paid)") if view.closed else t("Open (not yet paid)")),
    ]
    for label, value in head:
        ws.append(xlsx_row(ws, [label, value]))
    ws.append([])
    columns = ["#", t("Kind"), t("Source"), t("Reference"), t("Date"), t("Credit"), t("Share"),
               t("Tier"), t("Rate"), t("Amount")]  # fmt: skip
    ws.append(columns)
    header_row = ws.max_row
    _bold(ws, header_row)
    for i, ln in enumerate(s.lines, start=1):
        ws.append(
            xlsx_row(
                ws,
                [
                    i,
                    t(KIND_LABELS[ln.kind]),
                    ln.source,
                    ln.reference,
                    ln.day,
                    _num(ln.credit),
                    _num(ln.share),
                    ln.tier,
                    _num(ln.rate),
                    ln.amount,
                ],
            )
        )
    ws.append([None] * 9 + [s.total])
    ws.cell(row=ws.max_row, column=9, value=t("Total"))
    _bold(ws, ws.max_row)
    for row in ws.iter_rows(min_row=header_row + 1, min_col=6, max_col=10):
        for cell in row:
            if cell.column in (6, 10):
                cell.number_format = MONEY
            elif cell.column in (7, 9):
                cell.number_format = "0.00%"
    for letter, width in zip("ABCDEFGHIJ", (6, 12, 12, 24, 12, 16, 8, 18, 8, 16), strict=True):
        ws.column_dimensions[letter].width = width
    return _save(wb)


def summary_xlsx(views: list[StatementView], t: Translate) -> bytes:
    """One row per rep: plan, period, credit, target, attainment, total, closed."""
    wb = _book()
    ws = wb.active
    ws.title = t("Commission statement")[:31]
    ws.append([t("Sales rep"), t("Plan"), t("Period"), t("Credit"), t("Target"),
               t("Attainment"), t("Total"), t("Status")])  # fmt: skip
    _bold(ws, 1)
    for v in views:
        s = v.statement
        row = [v.rep, v.plan.rules.code, v.period.label(), s.credit, _num(s.target),
               None if s.attainment is None else float(s.attainment), s.total,
               t("Closed (paid)") if v.closed else t("Open (not yet paid)")]  # fmt: skip
        ws.append(xlsx_row(ws, row))
    return _save(wb)


def scorecard_xlsx(scores: Scores, t: Translate) -> bytes:
    """One row per rep: rank, team, score, then each item's value and score; comments too."""
    wb = _book()
    ws = wb.active
    ws.title = t("Scorecard")[:31]
    items = scores.card.items
    head = [t("Rank"), t("Sales rep"), t("Team"), t("Score"), t("Rank in team")]
    for item in items:
        head += [f"{item.code} {t('value')}", f"{item.code} {t('score')}"]
    head.append(t("Comments"))
    ws.append(xlsx_row(ws, head))
    _bold(ws, 1)
    for r in sorted(scores.reps, key=lambda r: (r.rank or 10**6, r.rep)):
        row: list[Any] = [r.rank, r.rep, r.team, _num(r.score), r.team_rank]
        for p in r.parts:
            row += [_num(p.value), _num(p.score)]
        row.append("; ".join(f"{p.code}: {p.comment}" for p in r.parts if p.comment) or None)
        ws.append(xlsx_row(ws, row))
    ws.freeze_panes = "A2"
    return _save(wb)
