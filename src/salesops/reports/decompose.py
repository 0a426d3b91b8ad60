"""Exactly additive variance decomposition: log-mean Divisia index, method I (LMDI-I).

A value that is a product of factors, V = x₁ × x₂ × … × xₙ, changes from V⁰ to V¹. LMDI-I
gives factor *i* the part

    Δᵢ = L(V¹, V⁰) × ln(xᵢ¹ / xᵢ⁰),    L(a, b) = (a − b) / (ln a − ln b),  L(a, a) = a,

and Σ Δᵢ = V¹ − V⁰ exactly (the logs add up to ln(V¹/V⁰)). A sum of such products over
segments (regions, teams, reps) decomposes segment by segment, which gives the mix-against-rate
split: Vₛ = N × (Nₛ / N) × (Vₛ / Nₛ) — volume (N, e.g. all customers), mix (the segment's share)
and rate (value per unit in the segment).

Arithmetic is in :class:`~decimal.Decimal` (34 digits). Each part is then rounded to the cent
(half-even) and the rounding residual — the rounded change minus the sum of the rounded parts,
a few cents at most — is added to the part with the largest absolute value (the first of equals),
so the parts sum to the change to the cent.

**Zero rule.** LMDI needs every factor positive in both periods. When a value is 0 (or a ratio
undefined, e.g. order value with no orders) in either period, the whole change goes to the first
factor that is zero or undefined in either period — the limit LMDI tends to when that factor
tends to 0 — and an undefined factor counts as unchanged. So revenue from no customers to some
is all "customers"; bookings with lost deals only in one period is all "win rate".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext

CENT = Decimal("0.01")
_CTX = Context(prec=34)

Number = Decimal | int | float | str


def dec(value: Number | None) -> Decimal | None:
    """An exact Decimal of ``value`` (floats through their shortest repr), or None."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return Decimal(repr(value))
    return Decimal(value)


def log_mean(a: Decimal, b: Decimal) -> Decimal:
    """L(a, b) = (a − b) / (ln a − ln b) for a, b > 0; L(a, a) = a."""
    with localcontext(_CTX):
        if a == b:
            return +a
        return (a - b) / (a.ln() - b.ln())


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Factor:
    """One driver: its id and its value in the two periods (None: undefined)."""

    name: str
    before: Decimal | None
    after: Decimal | None


@dataclass(frozen=True)
class Decomposition:
    """V⁰, V¹, the change (to the cent) and each factor's part (to the cent, exact sum)."""

    before: Decimal
    after: Decimal
    change: Decimal
    factors: tuple[Factor, ...]
    parts: dict[str, Decimal] = field(default_factory=dict)
    rule: str = "lmdi"  # lmdi | zero | unchanged

    def check(self) -> None:
        """Raise if the parts do not sum to the change (they always do)."""
        if sum(self.parts.values(), Decimal(0)) != self.change:
            raise AssertionError("decomposition is not additive")


def _raw_parts(
    factors: Sequence[Factor], v0: Decimal, v1: Decimal
) -> tuple[dict[str, Decimal], str]:
    names = [f.name for f in factors]
    if v0 == v1:
        return dict.fromkeys(names, Decimal(0)), "unchanged"
    positive = all(
        f.before is not None and f.after is not None and f.before > 0 and f.after > 0
        for f in factors
    )
    if positive and v0 > 0 and v1 > 0:
        weight = log_mean(v1, v0)
        with localcontext(_CTX):
            return {
                f.name: weight * (f.after / f.before).ln()  # type: ignore[operator]
                for f in factors
            }, "lmdi"
    out = dict.fromkeys(names, Decimal(0))
    for f in factors:
        if not f.before or not f.after:  # zero or undefined in one of the periods
            out[f.name] = v1 - v0
            return out, "zero"
    out[names[0]] = v1 - v0  # values of mixed sign: no log exists; volume takes it
    return out, "zero"


def allocate(raw: Mapping[str, Decimal], total: Decimal) -> dict[str, Decimal]:
    """``raw`` rounded to cents, the residual against ``total`` (cents) added to the largest
    absolute part (first of equals): the result sums to ``total`` exactly."""
    rounded = {k: cents(v) for k, v in raw.items()}
    residual = total - sum(rounded.values(), Decimal(0))
    if residual and rounded:
        top = max(raw, key=lambda k: (abs(raw[k]), -list(raw).index(k)))
        rounded[top] += residual
    return rounded


def decompose(
    factors: Sequence[tuple[str, Number | None, Number | None]],
    before: Number | None = None,
    after: Number | None = None,
) -> Decomposition:
    """Decompose the change of a product of ``factors`` (``(name, before, after)``).

    ``before`` / ``after`` are the values themselves (default: the products of the factors);
    pass the engine's totals so that the change is the reported one to the cent.
    """
    fs = tuple(Factor(n, dec(b), dec(a)) for n, b, a in factors)
    if not fs:
        raise ValueError("decompose needs at least one factor")

    def product(values: Sequence[Decimal | None]) -> Decimal:
        out = Decimal(1)
        with localcontext(_CTX):
            for v in values:
                if v is None:
                    return Decimal(0)
                out *= v
        return out

    v0 = dec(before) if before is not None else product([f.before for f in fs])
    v1 = dec(after) if after is not None else product([f.after for f in fs])
    assert v0 is not None and v1 is not None
    change = cents(v1) - cents(v0)
    raw, rule = _raw_parts(fs, v0, v1)
    result = Decomposition(cents(v0), cents(v1), change, fs, allocate(raw, change), rule)
    result.check()
    return result


# --------------------------------------------------------------------------- mix against rate


@dataclass(frozen=True)
class SegmentParts:
    """One segment's value in both periods and its volume, mix and rate parts."""

    segment: str
    before: Decimal
    after: Decimal
    change: Decimal
    volume: Decimal
    mix: Decimal
    rate: Decimal


@dataclass(frozen=True)
class MixDecomposition:
    """Per-segment parts; ``totals`` sums each part over the segments."""

    segments: tuple[SegmentParts, ...]
    change: Decimal
    totals: dict[str, Decimal]


def mix_rate(
    rows: Sequence[tuple[str, Number | None, Number | None, Number | None, Number | None]],
) -> MixDecomposition:
    """Mix against rate over segments ``(segment, value0, value1, units0, units1)``.

    Units are what the value is counted on (customers for revenue, closed deals for bookings);
    N is the segments' sum of units. Each segment's change splits into volume (N), mix (its
    share of N) and rate (value per unit), with the zero rule of :func:`decompose`; a segment
    with value but no units puts its change on rate. Sums are exact to the cent per segment and
    over all segments.
    """
    n0 = sum((dec(r[3]) or Decimal(0) for r in rows), Decimal(0))
    n1 = sum((dec(r[4]) or Decimal(0) for r in rows), Decimal(0))
    segments = []
    for name, v0, v1, u0, u1 in rows:
        val0, val1 = dec(v0) or Decimal(0), dec(v1) or Decimal(0)
        k0, k1 = dec(u0) or Decimal(0), dec(u1) or Decimal(0)
        with localcontext(_CTX):
            factors = [
                ("volume", n0, n1),
                ("mix", k0 / n0 if n0 else None, k1 / n1 if n1 else None),
                ("rate", val0 / k0 if k0 else None, val1 / k1 if k1 else None),
            ]
        if (val0 and not k0) or (val1 and not k1):
            change = cents(val1) - cents(val0)
            parts = {"volume": Decimal(0), "mix": Decimal(0), "rate": change}
        else:
            d = decompose(factors, val0, val1)
            change, parts = d.change, d.parts
        segments.append(
            SegmentParts(
                str(name), cents(val0), cents(val1), change,
                parts["volume"], parts["mix"], parts["rate"],
            )
        )  # fmt: skip
    totals = {
        key: sum((getattr(s, key) for s in segments), Decimal(0))
        for key in ("volume", "mix", "rate")
    }
    change = sum((s.change for s in segments), Decimal(0))
    return MixDecomposition(tuple(segments), change, totals)


def revenue_bridge(
    before: Mapping[str, Number | None], after: Mapping[str, Number | None]
) -> Decomposition:
    """revenue = customers × orders per customer × average order value.

    ``before``/``after`` hold the engine's ``revenue``, ``active_customers`` and ``orders``."""

    def factors(v: Mapping[str, Number | None]) -> tuple[Decimal | None, ...]:
        rev, cust, orders = (
            dec(v.get("revenue")),
            dec(v.get("active_customers")),
            dec(v.get("orders")),
        )
        with localcontext(_CTX):
            opc = orders / cust if cust and orders is not None else None
            aov = rev / orders if orders and rev is not None else None
        return cust, opc, aov

    b, a = factors(before), factors(after)
    names = ("customers", "orders_per_customer", "avg_order_value")
    return decompose(
        [(n, b[i], a[i]) for i, n in enumerate(names)],
        dec(before.get("revenue")) or Decimal(0),
        dec(after.get("revenue")) or Decimal(0),
    )


def bookings_bridge(
    before: Mapping[str, Number | None], after: Mapping[str, Number | None]
) -> Decomposition:
    """bookings = deals closed × win rate × average deal size.

    ``before``/``after`` hold the engine's ``bookings``, ``won_deals`` and ``lost_deals``."""

    def factors(v: Mapping[str, Number | None]) -> tuple[Decimal | None, ...]:
        book = dec(v.get("bookings"))
        won, lost = dec(v.get("won_deals")) or Decimal(0), dec(v.get("lost_deals")) or Decimal(0)
        closed = won + lost
        with localcontext(_CTX):
            rate = won / closed if closed else None
            size = book / won if won and book is not None else None
        return closed, rate, size

    b, a = factors(before), factors(after)
    names = ("deals_closed", "win_rate", "avg_deal_size")
    return decompose(
        [(n, b[i], a[i]) for i, n in enumerate(names)],
        dec(before.get("bookings")) or Decimal(0),
        dec(after.get("bookings")) or Decimal(0),
    )
