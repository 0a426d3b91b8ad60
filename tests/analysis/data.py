"""Hand-made data for the analysis tests, written through the ORM models of the schema."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from salesops.db.derived import refresh_after_write
from salesops.db.engine import session_scope
from salesops.db.schema import (
    Activity,
    Base,
    Customer,
    Opportunity,
    OpportunityChange,
    OrderLine,
    OrgUnit,
    Payment,
    PipelineStage,
    Product,
    Region,
    Rep,
)

D = dt.date


def ts(day: str, hour: int = 12) -> dt.datetime:
    """A UTC timestamp on ``day`` (ISO date) at ``hour``."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour))


class Builder:
    """Adds rows and remembers their ids by name."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self.ids: dict[str, int] = {}
        self._n = 0

    def _add(self, key: str, row: Base) -> int:
        self.s.add(row)
        self.s.flush()
        ident = int(row.id)  # type: ignore[attr-defined]
        self.ids[key] = ident
        return ident

    def _next(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n}"

    def region(self, name: str) -> int:
        if f"region:{name}" in self.ids:
            return self.ids[f"region:{name}"]
        return self._add(f"region:{name}", Region(name=name))

    def team(self, name: str, parent: str | None = None) -> int:
        return self._add(
            f"team:{name}",
            OrgUnit(
                external_id=name,
                name=name,
                kind="team",
                parent_id=self.ids[f"team:{parent}"] if parent else None,
            ),
        )

    def rep(self, name: str, team: str | None = None, region: str | None = None) -> int:
        return self._add(
            f"rep:{name}",
            Rep(
                external_id=name,
                name=name,
                org_unit_id=self.ids[f"team:{team}"] if team else None,
                region_id=self.region(region) if region else None,
            ),
        )

    def product(self, name: str, line: str) -> int:
        return self._add(f"product:{name}", Product(external_id=name, name=name, product_line=line))

    def customer(
        self, name: str, *, owner: str | None = None, region: str | None = None, **kw: Any
    ) -> int:
        return self._add(
            f"customer:{name}",
            Customer(
                external_id=name,
                name=name,
                owner_id=self.ids[f"rep:{owner}"] if owner else None,
                region_id=self.region(region) if region else None,
                **kw,
            ),
        )

    def order(
        self,
        order_no: str,
        day: str,
        customer: str,
        amount: str | int,
        *,
        rep: str | None = None,
        region: str | None = None,
        product: str | None = None,
        status: str = "normal",
        line_no: int = 1,
        channel: str | None = None,
        cost: str | int | None = None,
    ) -> int:
        return self._add(
            f"line:{order_no}:{line_no}",
            OrderLine(
                order_no=order_no,
                line_no=line_no,
                order_date=D.fromisoformat(day),
                customer_id=self.ids[f"customer:{customer}"],
                rep_id=self.ids[f"rep:{rep}"] if rep else None,
                region_id=self.region(region) if region else None,
                product_id=self.ids[f"product:{product}"] if product else None,
                amount=Decimal(str(amount)),
                status=status,
                channel=channel,
                cost=Decimal(str(cost)) if cost is not None else None,
            ),
        )

    def stage(self, name: str, position: int, kind: str = "open", pipeline: str = "default") -> int:
        return self._add(
            f"stage:{pipeline}:{name}",
            PipelineStage(pipeline=pipeline, name=name, position=position, kind=kind),
        )

    def opportunity(
        self,
        key: str,
        *,
        customer: str | None = None,
        owner: str | None = None,
        region: str | None = None,
        created: str = "2025-01-01",
        stage: str | None = None,
        status: str = "open",
        amount: str | int | None = None,
        expected_close: str | None = None,
        closed: str | None = None,
        **kw: Any,
    ) -> int:
        return self._add(
            f"opp:{key}",
            Opportunity(
                external_id=key,
                name=key,
                customer_id=self.ids[f"customer:{customer}"] if customer else None,
                owner_id=self.ids[f"rep:{owner}"] if owner else None,
                region_id=self.region(region) if region else None,
                created_on=D.fromisoformat(created),
                stage=stage,
                status=status,
                amount=Decimal(str(amount)) if amount is not None else None,
                expected_close_on=D.fromisoformat(expected_close) if expected_close else None,
                closed_on=D.fromisoformat(closed) if closed else None,
                **kw,
            ),
        )

    def change(
        self, opp: str, field: str, old: str | None, new: str | None, at: dt.datetime
    ) -> int:
        return self._add(
            self._next("change"),
            OpportunityChange(
                opportunity_id=self.ids[f"opp:{opp}"],
                field=field,
                old_value=old,
                new_value=new,
                changed_at=at,
                source="history",
            ),
        )

    def payment(
        self,
        customer: str,
        due: str,
        due_amount: str | int,
        *,
        paid: str | None = None,
        paid_amount: str | int | None = None,
        rep: str | None = None,
        region: str | None = None,
    ) -> int:
        return self._add(
            self._next("payment"),
            Payment(
                external_id=self._next("P"),
                customer_id=self.ids[f"customer:{customer}"],
                rep_id=self.ids[f"rep:{rep}"] if rep else None,
                region_id=self.region(region) if region else None,
                due_date=D.fromisoformat(due),
                due_amount=Decimal(str(due_amount)),
                paid_date=D.fromisoformat(paid) if paid else None,
                paid_amount=Decimal(str(paid_amount)) if paid_amount is not None else None,
            ),
        )

    def activity(
        self,
        customer: str,
        at: str,
        *,
        kind: str = "visit",
        rep: str | None = None,
        region: str | None = None,
    ) -> int:
        return self._add(
            self._next("activity"),
            Activity(
                external_id=self._next("A"),
                kind=kind,
                customer_id=self.ids[f"customer:{customer}"],
                rep_id=self.ids[f"rep:{rep}"] if rep else None,
                region_id=self.region(region) if region else None,
                occurred_at=ts(at),
            ),
        )


@contextmanager
def build(engine: Engine) -> Iterator[Builder]:
    """A builder in one transaction that ends with the loader's derived-data refresh."""
    with session_scope(engine) as session:
        builder = Builder(session)
        yield builder
        session.flush()
        refresh_after_write(session.connection())
