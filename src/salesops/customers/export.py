"""The customer page as an XLSX workbook: one sheet per section, text formula-safe
(:func:`salesops.formula_safety.xlsx_row`), money with two decimals."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from salesops.customers.profile import Profile
from salesops.formula_safety import xlsx_row

Translate = Callable[..., str]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def profile_xlsx(p: Profile, t: Translate) -> bytes:
    """The workbook's bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)

    def sheet(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        ws = wb.create_sheet(title[:31])
        ws.append(xlsx_row(ws, list(header)))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(xlsx_row(ws, [_plain(v) for v in row]))
        ws.freeze_panes = "A2"

    c = p.customer
    s = p.standing
    sheet(
        t("Profile"),
        [t("Field"), t("Value")],
        [
            [t("Customer"), c["name"]],
            ["ID", c["external_id"]],
            [t("Industry"), c["industry"]],
            [t("Size"), c["size"]],
            [t("Region"), c["region"]],
            [t("Owner"), c["owner"]],
            [t("Tier"), s.tier],
            [t("RFM segment"), s.rfm_segment],
            [t("Lifecycle"), p.lifecycle],
            [t("Credit grade"), p.credit.grade if p.credit else None],
            [t("Engagement score"), p.engagement.score],
            [t("Revenue (12 months)"), s.revenue_12m],
            [t("Overdue"), p.overdue_amount],
        ],
    )
    sheet(
        t("Orders"),
        [t("Order"), t("Date"), t("Amount"), t("Sales rep"), t("Channel")],
        [[o["order_no"], o["order_date"], o["amount"], o["rep"], o["channel"]] for o in p.orders],
    )
    sheet(
        t("Deals"),
        [t("Deal"), t("Stage"), t("Status"), t("Amount"), t("Created"), t("Closed"), t("Owner")],
        [
            [
                d["name"],
                d["stage"],
                d["status"],
                d["amount"],
                d["created_on"],
                d["closed_on"],
                d["owner"],
            ]
            for d in p.deals
        ],
    )
    sheet(
        t("Payments"),
        [
            t("Order"),
            t("Due date"),
            t("Amount due"),
            t("Paid on"),
            t("Amount paid"),
            t("Outstanding"),
        ],
        [
            [
                x["order_no"],
                x["due_date"],
                x["due_amount"],
                x["paid_date"],
                x["paid_amount"],
                x["outstanding"],
            ]
            for x in p.payments
        ],
    )
    sheet(
        t("Activities"),
        [t("Time"), t("Activity kind"), t("Sales rep")],
        [[a["at"], a["kind"], a["rep"]] for a in p.activities],
    )
    sheet(
        t("Feedback"),
        [t("Received"), "NPS", "CSAT", t("Category"), t("Text")],
        [[f["received_on"], f["nps"], f["csat"], f["category"], f["text"]] for f in p.feedback],
    )
    sheet(
        t("Tasks"),
        [t("Due"), t("Kind"), t("Status"), t("Title"), t("Result"), t("Owner")],
        [[x.due_on, x.kind, x.status, x.title, x.result, x.owner] for x in p.tasks],
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
