"""The arithmetic of a commission statement, on credits already read from the engine.

Pure functions over exact decimals, so every rule can be checked by hand:

* **Credit**: each counted record (an order line, a won deal, a payment) credits the rep with
  its amount × their share (1 unless the deal or order is split between reps).
* **Tiers are marginal**: credits are taken in date order and fill the tiers one after another;
  a credit that crosses a tier's bound (``upto`` × target) is cut into two lines, one per tier.
  Tiers above 100 % with higher rates are the accelerators. Without a target, every credit is
  paid at the first tier's rate (the line says so).
* **Cap**: tier commission stops at ``cap``; the line that reaches it is paid the rest, later
  lines are paid 0 (they stay on the statement, marked ``capped``).
* **SPIFFs** pay a rate on credit of their product line and/or an amount per order or deal.
* **Bonuses** pay a fixed amount when the rep's KPI for the period meets the threshold.
* **Clawback**: commission and SPIFF paid on an order line in an earlier, closed statement whose
  line is no longer normal (returned, cancelled) is taken back once, as a negative line.

Every line is rounded to 4 places; the statement's total is the sum of its lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any, Literal

from salesops.people.plans import PlanRules

LineKind = Literal["commission", "spiff", "bonus", "clawback"]
Source = Literal["order_line", "opportunity", "payment", "kpi"]
CENT4 = Decimal("0.0001")
ONE = Decimal(1)


def money(value: Decimal) -> Decimal:
    """Rounded to the 4 places money is kept with (half up)."""
    return value.quantize(CENT4, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Credit:
    """One record the rep is credited with (its engine row, reduced to what pay needs)."""

    source: Source
    source_id: int
    reference: str  # order no, deal name / id, payment id
    day: dt.date
    amount: Decimal  # the record's whole amount
    share: Decimal = ONE
    product_line: str | None = None
    hypothetical: bool = False  # a what-if deal, not yet won
    group: str | None = None  # the order (or deal) a line belongs to: SPIFF amounts are per order

    @property
    def order(self) -> str:
        return self.group or self.reference

    @cached_property
    def credited(self) -> Decimal:
        # Cached: a statement reads it for the tiers, the SPIFFs and the total.
        return money(self.amount * self.share)


@dataclass(frozen=True)
class Line:
    """One line of a statement; ``source``/``source_id``/``reference`` say what it is paid on."""

    kind: LineKind
    source: Source
    source_id: int | None
    reference: str
    amount: Decimal
    credit: Decimal | None = None
    share: Decimal | None = None
    tier: str | None = None
    rate: Decimal | None = None
    day: dt.date | None = None
    hypothetical: bool = False

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["day"] = self.day.isoformat() if self.day else None
        return out


@dataclass
class Statement:
    """Lines and the numbers that placed them; ``total`` is the sum of the lines."""

    lines: list[Line]
    credit: Decimal
    target: Decimal | None
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def attainment(self) -> Decimal | None:
        if not self.target:
            return None
        return self.credit / self.target

    def by_kind(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for line in self.lines:
            out[line.kind] = out.get(line.kind, Decimal(0)) + line.amount
        return out


def _tier_name(rules: PlanRules, index: int) -> str:
    tier = rules.tiers[index]
    if tier.name:
        return tier.name
    low = rules.tiers[index - 1].upto if index else Decimal(0)
    high = tier.upto
    low_pct = f"{(low or Decimal(0)) * 100:.0f}%"
    return f"{low_pct}-{high * 100:.0f}%" if high is not None else f">{low_pct}"


def tier_lines(credits: Sequence[Credit], rules: PlanRules, target: Decimal | None) -> list[Line]:
    """Commission lines: credits in date order through the marginal tiers, then the cap."""
    ordered = sorted(credits, key=_in_order)
    lines: list[Line] = []
    filled = Decimal(0)
    bounds: list[Decimal | None] = [
        (t.upto * target if t.upto is not None else None) if target else None for t in rules.tiers
    ]
    names = [_tier_name(rules, i) for i in range(len(rules.tiers))]
    if not target:
        rate = rules.tiers[0].rate
        return _capped([_line(c, c.credited, "no target", rate) for c in ordered], rules.cap)
    for credit in ordered:
        remaining = credit.credited
        last = len(bounds) - 1
        index = next((i for i, b in enumerate(bounds) if b is None or filled < b), last)
        while True:
            bound = bounds[index]
            if bound is None or index == last or remaining <= 0:
                portion = remaining  # the last tier takes the rest (even past its bound)
            else:
                portion = min(remaining, bound - filled)
            rate = rules.tiers[index].rate
            lines.append(_line(credit, portion, names[index], rate))
            filled += portion
            remaining -= portion
            if remaining <= 0:
                break
            index += 1
    return _capped(lines, rules.cap)


def _in_order(c: Credit) -> tuple[bool, dt.date, int]:
    """Credits fill the tiers in this order: real before what-if, then by day and id."""
    return (c.hypothetical, c.day, c.source_id)


def _line(credit: Credit, portion: Decimal, tier: str, rate: Decimal) -> Line:
    return Line(
        kind="commission",
        source=credit.source,
        source_id=credit.source_id,
        reference=credit.reference,
        amount=money(portion * rate),
        credit=money(portion),
        share=credit.share,
        tier=tier,
        rate=rate,
        day=credit.day,
        hypothetical=credit.hypothetical,
    )


def _capped(lines: list[Line], cap: Decimal | None) -> list[Line]:
    if cap is None:
        return lines
    out: list[Line] = []
    paid = Decimal(0)
    for line in lines:
        room = money(max(cap - paid, Decimal(0)))
        if line.amount > room:
            line = Line(**{**line.__dict__, "amount": room, "tier": f"{line.tier} (capped)"})
        paid += line.amount
        out.append(line)
    return out


def spiff_lines(credits: Sequence[Credit], rules: PlanRules) -> list[Line]:
    """SPIFF lines: per credit of a SPIFF's product line, its rate; per order/deal, its amount."""
    lines: list[Line] = []
    for spiff in rules.spiffs:
        seen: set[str] = set()
        line_name = spiff.product_line.casefold()
        mine = [c for c in credits if (c.product_line or "").casefold() == line_name]
        for c in sorted(mine, key=_in_order):
            amount = money(c.credited * spiff.rate)
            if spiff.amount_each and c.order not in seen:
                seen.add(c.order)
                amount += money(spiff.amount_each * c.share)
            if amount:
                lines.append(
                    Line(
                        kind="spiff",
                        source=c.source,
                        source_id=c.source_id,
                        reference=c.reference,
                        amount=amount,
                        credit=c.credited,
                        share=c.share,
                        tier=f"SPIFF {spiff.product_line}",
                        rate=spiff.rate or None,
                        day=c.day,
                        hypothetical=c.hypothetical,
                    )
                )
    return lines


def bonus_lines(kpi_values: dict[str, Decimal | None], rules: PlanRules) -> list[Line]:
    """Bonus lines for the KPI thresholds met (``kpi_values``: the rep's engine values)."""
    lines: list[Line] = []
    for bonus in rules.bonuses:
        value = kpi_values.get(bonus.kpi)
        if value is None:
            continue
        if bonus.at_least is not None and value < bonus.at_least:
            continue
        if bonus.at_most is not None and value > bonus.at_most:
            continue
        bound = f">= {bonus.at_least}" if bonus.at_least is not None else f"<= {bonus.at_most}"
        lines.append(
            Line(
                kind="bonus",
                source="kpi",
                source_id=None,
                reference=bonus.kpi,
                amount=money(bonus.amount),
                credit=value,
                tier=bonus.name or f"{bonus.kpi} {bound}",
            )
        )
    return lines


@dataclass(frozen=True)
class PaidLine:
    """A commission or SPIFF line of a closed statement, paid on an order line."""

    order_line_id: int
    reference: str
    amount: Decimal


def clawback_lines(paid: Iterable[PaidLine], not_normal: set[int], already: set[int]) -> list[Line]:
    """One negative line per order line paid before, no longer normal, not yet clawed back."""
    owed: dict[int, tuple[str, Decimal]] = {}
    for p in paid:
        if p.order_line_id in not_normal and p.order_line_id not in already:
            ref, amount = owed.get(p.order_line_id, (p.reference, Decimal(0)))
            owed[p.order_line_id] = (ref, amount + p.amount)
    return [
        Line(
            kind="clawback",
            source="order_line",
            source_id=line_id,
            reference=ref,
            amount=-amount,
            tier="returned",
        )
        for line_id, (ref, amount) in sorted(owed.items())
        if amount
    ]


def build(
    credits: Sequence[Credit],
    rules: PlanRules,
    target: Decimal | None,
    *,
    kpi_values: dict[str, Decimal | None] | None = None,
    clawbacks: Sequence[Line] = (),
) -> Statement:
    """The whole statement from its parts (see the module docstring)."""
    lines = tier_lines(credits, rules, target)
    lines += spiff_lines(credits, rules)
    lines += bonus_lines(kpi_values or {}, rules)
    lines += list(clawbacks)
    notes = [] if target else ["no target for the period: every credit at the first tier's rate"]
    credit = sum((c.credited for c in credits), Decimal(0))
    return Statement(lines=lines, credit=credit, target=target, notes=notes)
