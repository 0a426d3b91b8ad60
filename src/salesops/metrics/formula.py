"""KPI formulas as small expression trees over named measures.

A KPI's value is an expression over aggregates (``M("won_deals") / (M("won_deals") +
M("lost_deals"))``). The tree renders to SQL over the columns of the combined measures (every
division is NULL on an empty denominator, never an error) and to readable text for the
glossary and ``explain``. Ratios are thus always ratios of sums over the group.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Double, case, cast, func, literal, null, or_
from sqlalchemy.sql.elements import ColumnElement

from salesops.metrics.dialects import fdiv

#: Period facts a formula may use besides measures: rendered by the compiler per row.
PERIOD_VARS = ("period_days", "elapsed_share")


class Expr:
    """A formula node; combine with + - * / and the helpers below."""

    def measures(self) -> set[str]:
        """Names of the measures this expression reads."""
        return set().union(*(c.measures() for c in self.children()))

    def children(self) -> tuple[Expr, ...]:
        """The expressions this one is made of."""
        return ()

    def sql(self, cols: Mapping[str, ColumnElement[Any]]) -> ColumnElement[Any]:
        """SQL over ``cols`` (measure name or period variable -> column)."""
        raise NotImplementedError

    def text(self) -> str:
        """Readable formula."""
        raise NotImplementedError

    def __add__(self, other: Expr | float) -> Expr:
        return Bin("+", self, _e(other))

    def __sub__(self, other: Expr | float) -> Expr:
        return Bin("-", self, _e(other))

    def __rsub__(self, other: float) -> Expr:
        return Bin("-", _e(other), self)

    def __mul__(self, other: Expr | float) -> Expr:
        return Bin("*", self, _e(other))

    def __rmul__(self, other: float) -> Expr:
        return Bin("*", _e(other), self)

    def __truediv__(self, other: Expr | float) -> Expr:
        return Bin("/", self, _e(other))

    def __rtruediv__(self, other: float) -> Expr:
        return Bin("/", _e(other), self)


def _e(value: Expr | float) -> Expr:
    return value if isinstance(value, Expr) else Const(float(value))


@dataclass(frozen=True, eq=False)
class M(Expr):
    """A measure (an aggregate over the group), by name; 0 when the group has none of it."""

    name: str

    def measures(self) -> set[str]:
        return {self.name}

    def sql(self, cols: Mapping[str, ColumnElement[Any]]) -> ColumnElement[Any]:
        return cols[self.name]

    def text(self) -> str:
        return self.name


@dataclass(frozen=True, eq=False)
class Var(Expr):
    """A fact about the row's period: ``period_days`` or ``elapsed_share``."""

    name: str

    def sql(self, cols: Mapping[str, ColumnElement[Any]]) -> ColumnElement[Any]:
        return cols[self.name]

    def text(self) -> str:
        return self.name


@dataclass(frozen=True, eq=False)
class Const(Expr):
    value: float

    def sql(self, cols: Mapping[str, ColumnElement[Any]]) -> ColumnElement[Any]:
        return literal(self.value, Double)

    def text(self) -> str:
        return f"{self.value:g}"


_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
}


@dataclass(frozen=True, eq=False)
class Bin(Expr):
    op: str
    left: Expr
    right: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    def sql(self, cols: Mapping[str, ColumnElement[Any]]) -> ColumnElement[Any]:
        a, b = self.left.sql(cols), self.right.sql(cols)
        if self.op == "/":
            return fdiv(a, b)
        return _OPS[self.op](cast(a, Double), cast(b, Double))

    def text(self) -> str:
        return f"({self.left.text()} {self.op} {self.right.text()})"


@dataclass(frozen=True, eq=False)
class Least(Expr):
    """The smaller of two values (NULL-safe: NULL when either is NULL)."""

    left: Expr
    right: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    def sql(self, cols: Mapping[str, ColumnElement[Any]]) -> ColumnElement[Any]:
        a, b = cast(self.left.sql(cols), Double), cast(self.right.sql(cols), Double)
        return case((a.is_(None), null()), (b.is_(None), null()), (a <= b, a), else_=b)

    def text(self) -> str:
        return f"min({self.left.text()}, {self.right.text()})"


@dataclass(frozen=True, eq=False)
class Pow(Expr):
    """``base ** exponent`` for a non-negative base (NULL otherwise).

    The same on both databases at the edges of a double: a result too small for one is 0
    (PostgreSQL raises "underflow", e.g. a daily retention of 0.3 raised to 365), one too large
    is NULL, and 0 to a negative power (infinite) is NULL.
    """

    base: Expr
    exponent: Expr

    #: ``|exponent x ln(base)|`` beyond which the result leaves a double's normal range.
    LIMIT = 700.0

    def children(self) -> tuple[Expr, ...]:
        return (self.base, self.exponent)

    @property
    def column(self) -> str:
        """The name a compiler may give this power's value computed ahead (see :func:`powers`);
        :meth:`sql` then reads that column. Named from the formula, so the SQL (and what
        ``explain`` shows) is the same in every process; equal powers share a value."""
        return "pow_" + hashlib.sha1(self.text().encode(), usedforsecurity=False).hexdigest()[:10]

    def sql(self, cols: Mapping[str, ColumnElement[Any]]) -> ColumnElement[Any]:
        ahead = cols.get(self.column)
        if ahead is not None:
            return ahead
        b = cast(self.base.sql(cols), Double)
        e = cast(self.exponent.sql(cols), Double)
        one, zero = literal(1.0, Double), literal(0.0, Double)
        log = e * func.ln(case((b > 0, b), else_=one))
        return case(
            (or_(b.is_(None), e.is_(None), b < 0), null()),
            (b == 0, case((e > 0, zero), (e == 0, one), else_=null())),
            (log < -self.LIMIT, zero),
            (log > self.LIMIT, null()),
            else_=func.power(b, e),
        )

    def text(self) -> str:
        return f"{self.base.text()}^{self.exponent.text()}"


@dataclass(frozen=True, eq=False)
class PositiveOrNull(Expr):
    """The value where it is > 0, else NULL (a gap that is already closed covers nothing)."""

    inner: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.inner,)

    def sql(self, cols: Mapping[str, ColumnElement[Any]]) -> ColumnElement[Any]:
        v = cast(self.inner.sql(cols), Double)
        return case((v > 0, v), else_=null())

    def text(self) -> str:
        return f"positive({self.inner.text()})"


@dataclass(frozen=True, eq=False)
class Inverse(Expr):
    """``1 / x`` capped at ``cap``; ``cap`` when ``x`` is 0 (no churn = the cap's lifetime)."""

    inner: Expr
    cap: float

    def children(self) -> tuple[Expr, ...]:
        return (self.inner,)

    def sql(self, cols: Mapping[str, ColumnElement[Any]]) -> ColumnElement[Any]:
        v = cast(self.inner.sql(cols), Double)
        c = literal(self.cap, Double)
        return case(
            (v.is_(None), null()),
            (v <= literal(1.0, Double) / c, c),
            else_=literal(1.0, Double) / v,
        )

    def text(self) -> str:
        return f"min(1 / {self.inner.text()}, {self.cap:g})"


def nodes(expr: Expr) -> list[Expr]:
    """Every node of ``expr``, innermost first (``expr`` itself last)."""
    found: list[Expr] = []
    for child in expr.children():
        found += nodes(child)
    return [*found, expr]


def powers(expr: Expr) -> list[Pow]:
    """The powers in ``expr``, innermost first. A power's SQL reads its base and exponent
    about a dozen times (its guards), so a compiler computes each once, in a layer of its
    own, under :attr:`Pow.column`, rather than inline wherever the formula uses it."""
    return [n for n in nodes(expr) if isinstance(n, Pow)]


def variables(expr: Expr) -> set[str]:
    """The period facts (:data:`PERIOD_VARS`) ``expr`` reads."""
    return {n.name for n in nodes(expr) if isinstance(n, Var)}
