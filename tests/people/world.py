"""A small hand-made company for the people tests (incentives, scorecards, proposals).

2024-Q1 is the main period. Team East (Ann, Bob), team West (Cat); products Widget (Hardware)
and Cloud Suite (Cloud). Every expected amount in the tests is worked out from these rows.

Ann (target 10 000 revenue for 2024-Q1), normal order lines in date order:
  S1 01-10 Widget 4000 · S2 02-05 Cloud 3000 · S6 02-10 (Bob's order, split 50/50) 2000
  · S3 03-01 Widget 5000 · S5 03-25 Widget 2000; S4 03-20 Widget 1000 is returned.
  Won deal D1 (Cloud, 8000, closed 02-15); open deals D2 (Cloud 6000), D3 (Widget 2000).
  Payment P1 on S1: 3000 paid 02-01; P2 on S2: 3000 paid 04-02 (Q2).
Bob (no target): B1 01-15 Widget 1000; S6 02-10 Widget 2000 split with Ann.
Cat (target 10 000 for Q1): C1 01-05 Widget 2000; C2 02-01 Widget 1000; C3 04-10 Widget 1000.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from salesops.db.derived import refresh_after_write
from salesops.db.schema import (
    Base,
    Customer,
    Opportunity,
    OrderLine,
    OrgUnit,
    Payment,
    Product,
    Region,
    Rep,
    Target,
)

D = dt.date.fromisoformat


def _add(s: Session, *rows: Base) -> None:
    s.add_all(rows)
    s.flush()


def build(engine: Engine) -> dict[str, int]:
    """Insert the world; ids by name (``rep:Ann``, ``deal:D2``, ``team:East`` ...)."""
    ids: dict[str, int] = {}
    with Session(engine) as s:
        region = Region(name="East")
        _add(s, region)
        hq = OrgUnit(external_id="hq", name="HQ", kind="company")
        _add(s, hq)
        east = OrgUnit(external_id="east", name="East", kind="team", parent_id=hq.id)
        west = OrgUnit(external_id="west", name="West", kind="team", parent_id=hq.id)
        _add(s, east, west)
        reps = {
            n: Rep(external_id=n.lower(), name=n, org_unit_id=u.id, region_id=region.id,
                   hired_on=D("2023-01-01"))
            for n, u in (("Ann", east), ("Bob", east), ("Cat", west))
        }  # fmt: skip
        _add(s, *reps.values())
        widget = Product(external_id="w", name="Widget", product_line="Hardware")
        cloud = Product(external_id="c", name="Cloud Suite", product_line="Cloud")
        _add(s, widget, cloud)
        acme = Customer(external_id="acme", name="Acme", region_id=region.id)
        _add(s, acme)
        product = {"Widget": widget, "Cloud": cloud}

        def line(
            no: str, day: str, rep: str, prod: str, amount: int, status: str = "normal"
        ) -> OrderLine:
            return OrderLine(
                order_no=no, line_no=1, order_date=D(day), customer_id=acme.id,
                rep_id=reps[rep].id, product_id=product[prod].id, region_id=region.id,
                channel="direct", quantity=Decimal(1), amount=Decimal(amount), status=status,
            )  # fmt: skip

        lines = [
            line("S1", "2024-01-10", "Ann", "Widget", 4000),
            line("S2", "2024-02-05", "Ann", "Cloud", 3000),
            line("S3", "2024-03-01", "Ann", "Widget", 5000),
            line("S4", "2024-03-20", "Ann", "Widget", 1000, "returned"),
            line("S5", "2024-03-25", "Ann", "Widget", 2000),
            line("B1", "2024-01-15", "Bob", "Widget", 1000),
            line("S6", "2024-02-10", "Bob", "Widget", 2000),
            line("C1", "2024-01-05", "Cat", "Widget", 2000),
            line("C2", "2024-02-01", "Cat", "Widget", 1000),
            line("C3", "2024-04-10", "Cat", "Widget", 1000),
        ]
        _add(s, *lines)
        for ln in lines:
            ids[f"line:{ln.order_no}"] = ln.id

        def deal(ext: str, status: str, amount: int, prod: str, closed: str | None) -> Opportunity:
            return Opportunity(
                external_id=ext, name=ext, customer_id=acme.id, owner_id=reps["Ann"].id,
                product_id=product[prod].id, region_id=region.id, status=status,
                stage={"won": "Won", "open": "Proposal"}[status], amount=Decimal(amount),
                created_on=D("2024-01-02"), closed_on=D(closed) if closed else None,
                expected_close_on=D("2024-03-31"),
            )  # fmt: skip

        deals = [
            deal("D1", "won", 8000, "Cloud", "2024-02-15"),
            deal("D2", "open", 6000, "Cloud", None),
            deal("D3", "open", 2000, "Widget", None),
        ]
        _add(s, *deals)
        for d in deals:
            ids[f"deal:{d.external_id}"] = d.id
        _add(
            s,
            Payment(external_id="P1", customer_id=acme.id, rep_id=reps["Ann"].id,
                    region_id=region.id, order_no="S1", due_date=D("2024-02-01"),
                    due_amount=Decimal(4000), paid_date=D("2024-02-01"),
                    paid_amount=Decimal(3000)),
            Payment(external_id="P2", customer_id=acme.id, rep_id=reps["Ann"].id,
                    region_id=region.id, order_no="S2", due_date=D("2024-03-01"),
                    due_amount=Decimal(3000), paid_date=D("2024-04-02"),
                    paid_amount=Decimal(3000)),
        )  # fmt: skip
        for name in ("Ann", "Cat"):
            _add(
                s,
                Target(external_id=f"t-{name}", metric="revenue", period_grain="quarter",
                       period_start=D("2024-01-01"), scope_kind="rep", rep_id=reps[name].id,
                       value=Decimal(10000)),
            )  # fmt: skip
        for n, r in reps.items():
            ids[f"rep:{n}"] = r.id
        ids["team:East"], ids["team:West"], ids["company"] = east.id, west.id, hq.id
        s.commit()
    with engine.begin() as conn:
        refresh_after_write(conn)
    return ids
