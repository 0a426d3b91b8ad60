"""A small hand-made company for the metrics tests, written through the ORM.

Every expected value in the tests is worked out by hand from the rows below (the comments in
the tests show the arithmetic). The main period is 2024-Q1 (2024-01-01 .. 2024-03-31); its
previous period is 2023-Q4.

Org: HQ (company) > T-East (Ann, Bob), T-West (Cat). Regions East, West.
Customers: Acme (C1, Ann, East, Manufacturing/Enterprise, web), Beta (C2, Bob, West,
Retail/SMB, referral), Gamma (C3, Cat, West, Retail/SMB, web), Delta (C4, Ann, East,
Services/SMB, web).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from salesops.db.derived import refresh_after_write
from salesops.db.schema import (
    Activity,
    Base,
    Customer,
    Feedback,
    Lead,
    MarketingSpend,
    MarketSize,
    Opportunity,
    OpportunityChange,
    OrderLine,
    OrgUnit,
    Payment,
    PipelineStage,
    Product,
    Region,
    Rep,
    Target,
)

D = dt.date.fromisoformat
Q1 = (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
TODAY = dt.date(2024, 6, 1)


def ts(day: str, hour: int = 12) -> dt.datetime:
    """A naive UTC timestamp."""
    return dt.datetime.combine(D(day), dt.time(hour))


def _add(s: Session, *rows: Base) -> None:
    s.add_all(rows)
    s.flush()


def build_world(engine: Engine) -> dict[str, int]:
    """Insert the world; returns ids by name (``rep:Ann``, ``team:T-East`` ...)."""
    ids: dict[str, int] = {}
    with Session(engine) as s:
        east, west = Region(name="East"), Region(name="West")
        _add(s, east, west)
        hq = OrgUnit(external_id="hq", name="HQ", kind="company")
        _add(s, hq)
        t_east = OrgUnit(external_id="t-east", name="T-East", kind="team", parent_id=hq.id)
        t_west = OrgUnit(external_id="t-west", name="T-West", kind="team", parent_id=hq.id)
        _add(s, t_east, t_west)
        ann = Rep(external_id="ann", name="Ann", org_unit_id=t_east.id, region_id=east.id,
                  hired_on=D("2023-01-01"))  # fmt: skip
        bob = Rep(external_id="bob", name="Bob", org_unit_id=t_east.id, region_id=east.id,
                  hired_on=D("2024-02-01"))  # fmt: skip
        cat = Rep(external_id="cat", name="Cat", org_unit_id=t_west.id, region_id=west.id,
                  hired_on=D("2023-01-01"), left_on=D("2024-01-31"))  # fmt: skip
        _add(s, ann, bob, cat)
        widget = Product(external_id="p1", name="Widget", product_line="Hardware")
        service = Product(external_id="p2", name="Service", product_line="Services")
        _add(s, widget, service)
        cust = {
            "Acme": Customer(external_id="c1", name="Acme", industry="Manufacturing",
                             segment="Enterprise", region_id=east.id, source_channel="web",
                             owner_id=ann.id),
            "Beta": Customer(external_id="c2", name="Beta", industry="Retail", segment="SMB",
                             region_id=west.id, source_channel="referral", owner_id=bob.id),
            "Gamma": Customer(external_id="c3", name="Gamma", industry="Retail", segment="SMB",
                              region_id=west.id, source_channel="web", owner_id=cat.id),
            "Delta": Customer(external_id="c4", name="Delta", industry="Services", segment="SMB",
                              region_id=east.id, source_channel="web", owner_id=ann.id),
        }  # fmt: skip
        _add(s, *cust.values())
        reps = {"Ann": ann, "Bob": bob, "Cat": cat}
        region_of = {"Ann": east.id, "Bob": east.id, "Cat": west.id}
        products = {"Widget": widget, "Service": service}

        def line(no: str, n: int, day: str, c: str, r: str, p: str, channel: str,
                 amount: int, cost: int | None, status: str = "normal") -> OrderLine:  # fmt: skip
            return OrderLine(
                order_no=no, line_no=n, order_date=D(day), customer_id=cust[c].id,
                rep_id=reps[r].id, product_id=products[p].id, region_id=region_of[r],
                channel=channel, quantity=Decimal(1), amount=Decimal(amount),
                cost=None if cost is None else Decimal(cost), status=status,
            )  # fmt: skip

        _add(
            s,
            line("O1", 1, "2024-01-10", "Acme", "Ann", "Widget", "online", 100, 60),
            line("O1", 2, "2024-01-10", "Acme", "Ann", "Service", "online", 50, None),
            line("O2", 1, "2024-02-05", "Acme", "Ann", "Widget", "online", 200, 120),
            line("O3", 1, "2024-02-20", "Beta", "Bob", "Service", "offline", 300, 100),
            line("O3", 2, "2024-02-20", "Beta", "Bob", "Widget", "offline", 40, 20, "cancelled"),
            line("O4", 1, "2024-03-15", "Gamma", "Cat", "Widget", "offline", 80, 50),
            line("O5", 1, "2023-11-10", "Acme", "Ann", "Widget", "online", 150, 90),
            line("O6", 1, "2023-12-01", "Gamma", "Cat", "Service", "offline", 70, 30),
            line("O7", 1, "2024-04-02", "Beta", "Bob", "Widget", "online", 500, 300),
            line("O8", 1, "2024-01-20", "Beta", "Bob", "Widget", "online", 60, 30, "returned"),
            line("O9", 1, "2023-10-05", "Delta", "Ann", "Service", "online", 90, 40),
        )
        _add(
            s,
            PipelineStage(name="Qualify", position=1, probability=Decimal("0.1"), kind="open"),
            PipelineStage(name="Proposal", position=2, probability=Decimal("0.5"), kind="open"),
            PipelineStage(name="Won", position=3, probability=Decimal("1"), kind="won"),
            PipelineStage(name="Lost", position=4, probability=Decimal("0"), kind="lost"),
        )

        def deal(key: str, c: str, r: str, p: str, status: str, stage: str, amount: int,
                 created: str, closed: str | None = None, **kw: Any) -> Opportunity:  # fmt: skip
            return Opportunity(
                external_id=key, name=key, customer_id=cust[c].id, owner_id=reps[r].id,
                product_id=products[p].id, region_id=region_of[r], status=status, stage=stage,
                amount=Decimal(amount), created_on=D(created),
                closed_on=D(closed) if closed else None, **kw,
            )  # fmt: skip

        deals = {
            "D1": deal("D1", "Acme", "Ann", "Widget", "won", "Won", 1000, "2023-12-01",
                       "2024-01-20", source_channel="web"),
            "D2": deal("D2", "Beta", "Bob", "Service", "lost", "Lost", 500, "2024-01-05",
                       "2024-02-10", competitor="Rival", lost_reason="price",
                       source_channel="referral"),
            "D3": deal("D3", "Gamma", "Cat", "Widget", "won", "Won", 2000, "2024-01-15",
                       "2024-03-01", source_channel="web"),
            "D4": deal("D4", "Acme", "Ann", "Service", "open", "Proposal", 800, "2024-02-01",
                       expected_close_on=D("2024-04-15"), source_channel="web"),
            "D5": deal("D5", "Beta", "Bob", "Widget", "open", "Qualify", 300, "2024-03-10",
                       probability=Decimal("0.2"), expected_close_on=D("2024-05-20"),
                       source_channel="referral"),
            "D6": deal("D6", "Delta", "Ann", "Widget", "lost", "Lost", 700, "2023-06-01",
                       "2023-12-15", lost_reason="timing"),
        }  # fmt: skip
        _add(s, *deals.values())

        def change(d: str, field: str, old: str | None, new: str, at: dt.datetime) -> Any:
            return OpportunityChange(opportunity_id=deals[d].id, field=field, old_value=old,
                                     new_value=new, changed_at=at, source="history")  # fmt: skip

        _add(
            s,
            change("D4", "stage", None, "Qualify", ts("2024-02-01", 0)),
            change("D4", "stage", "Qualify", "Proposal", ts("2024-03-05", 0)),
            change("D4", "amount", "600.00", "800.00", ts("2024-04-10", 0)),
            change("D2", "stage", None, "Qualify", ts("2024-01-05", 0)),
            change("D2", "stage", "Qualify", "Lost", ts("2024-02-10", 0)),
            change("D2", "status", "open", "lost", ts("2024-02-10", 0)),
        )
        _add(
            s,
            Lead(external_id="L1", created_on=D("2024-01-08"), owner_id=bob.id,
                 customer_id=cust["Beta"].id, opportunity_id=deals["D2"].id, region_id=east.id,
                 source_channel="referral"),
            Lead(external_id="L2", created_on=D("2024-02-08"), owner_id=ann.id, region_id=east.id,
                 source_channel="web"),
            Lead(external_id="L3", created_on=D("2024-03-01"), owner_id=bob.id,
                 opportunity_id=deals["D5"].id, region_id=east.id, source_channel="referral"),
            Lead(external_id="L4", created_on=D("2023-12-01"), owner_id=ann.id,
                 opportunity_id=deals["D4"].id, region_id=east.id, source_channel="web"),
        )  # fmt: skip

        def pay(key: str, c: str, r: str, due: str, amount: int, paid: str | None,
                paid_amount: int | None) -> Payment:  # fmt: skip
            return Payment(
                external_id=key, customer_id=cust[c].id, rep_id=reps[r].id,
                region_id=region_of[r], due_date=D(due), due_amount=Decimal(amount),
                paid_date=D(paid) if paid else None,
                paid_amount=None if paid_amount is None else Decimal(paid_amount),
            )  # fmt: skip

        _add(
            s,
            pay("PM1", "Acme", "Ann", "2024-01-31", 150, "2024-02-05", 150),
            pay("PM2", "Beta", "Bob", "2024-03-20", 300, "2024-04-10", 100),
            pay("PM3", "Gamma", "Cat", "2024-02-28", 80, "2024-03-01", 80),
            pay("PM4", "Delta", "Ann", "2023-12-31", 90, None, None),
        )
        _add(
            s,
            MarketingSpend(external_id="MS1", channel="web", period_start=D("2024-01-01"),
                           amount=Decimal(600), region_id=east.id),
            MarketingSpend(external_id="MS2", channel="referral", period_start=D("2024-02-01"),
                           amount=Decimal(300), region_id=west.id),
            MarketingSpend(external_id="MS3", channel="web", period_start=D("2023-12-01"),
                           amount=Decimal(200), region_id=east.id),
        )  # fmt: skip

        def act(key: str, kind: str, c: str, r: str, at: dt.datetime) -> Activity:
            return Activity(external_id=key, kind=kind, customer_id=cust[c].id, rep_id=reps[r].id,
                            region_id=region_of[r], occurred_at=at)  # fmt: skip

        _add(
            s,
            act("A1", "visit", "Acme", "Ann", ts("2024-01-05", 10)),
            act("A2", "call", "Beta", "Bob", ts("2024-02-01", 3)),
            act("A3", "visit", "Beta", "Bob", ts("2024-02-15", 3)),
            act("A4", "visit", "Gamma", "Cat", ts("2024-01-25", 3)),
            act("A5", "visit", "Delta", "Ann", ts("2024-03-30", 3)),
            act("A6", "email", "Acme", "Ann", ts("2023-12-28", 3)),
            # 17:00 UTC on 31 March is 01:00 on 1 April in Shanghai: not in Q1.
            act("A7", "visit", "Acme", "Ann", ts("2024-03-31", 17)),
        )

        def fb(key: str, c: str, r: str, received: str, nps: int, csat: int | None,
               resolved: str | None) -> Feedback:  # fmt: skip
            return Feedback(external_id=key, customer_id=cust[c].id, rep_id=reps[r].id,
                            region_id=region_of[r], received_on=D(received), nps=nps, csat=csat,
                            category="service",
                            resolved_on=D(resolved) if resolved else None)  # fmt: skip

        _add(
            s,
            fb("F1", "Acme", "Ann", "2024-01-10", 10, 5, "2024-01-15"),
            fb("F2", "Beta", "Bob", "2024-02-01", 6, 3, "2024-02-11"),
            fb("F3", "Gamma", "Cat", "2024-03-05", 8, 4, None),
            fb("F4", "Acme", "Ann", "2024-03-20", 9, None, "2024-04-02"),
        )

        def target(key: str, metric: str, grain: str, start: str, value: int, **kw: Any) -> Target:
            return Target(external_id=key, metric=metric, period_grain=grain,
                          period_start=D(start), value=Decimal(value), **kw)  # fmt: skip

        _add(
            s,
            target("T1", "revenue", "quarter", "2024-01-01", 1000),
            target("T2", "revenue", "month", "2024-01-01", 300),
            target("T3", "revenue", "month", "2024-02-01", 300),
            target("T4", "revenue", "month", "2024-03-01", 300),
            target("T5", "revenue", "quarter", "2024-01-01", 400, scope_kind="rep", rep_id=ann.id),
            target("T6", "bookings", "quarter", "2024-04-01", 1500),
        )
        _add(
            s,
            MarketSize(external_id="M1", region_id=east.id, product_line="Hardware",
                       period_start=D("2024-01-01"), amount=Decimal(10000)),
            MarketSize(external_id="M2", region_id=west.id, product_line="Hardware",
                       period_start=D("2024-01-01"), amount=Decimal(5000)),
        )  # fmt: skip
        named: dict[str, Any] = {f"rep:{k}": v for k, v in reps.items()}
        named.update({"team:T-East": t_east, "team:T-West": t_west, "team:HQ": hq})
        for key, obj in named.items():
            ids[key] = int(obj.id)
        s.commit()
    with engine.begin() as conn:
        refresh_after_write(conn)
    return ids
