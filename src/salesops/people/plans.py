"""Incentive plans as data: the rules a plan is made of, checked on the way in.

A plan is written in YAML (see ``docs/people.md``) and stored as JSON in ``incentive_plan``::

    code: ae-quarterly
    name: Account executives
    period: quarter          # month | quarter | year: one statement per rep and period
    basis: revenue           # revenue | bookings | collected: what commission is paid on
    target_metric: revenue   # attainment = credit / the rep's target of this KPI
    tiers:                   # marginal: each tier's rate applies to the credit inside it
      - {upto: 1.0, rate: 0.03}
      - {upto: 1.2, rate: 0.05}
      - {rate: 0.08, name: accelerator}
    cap: 60000               # at most this much tier commission per statement
    spiffs:
      - {product_line: Cloud, rate: 0.02}
    bonuses:
      - {kpi: collection_rate, at_least: 0.9, amount: 2000}
    clawback: true
    applies_to: {teams: [East-1], reps: []}   # empty: every rep

Rates and attainment bounds are fractions (0.03 = 3 %; upto 1.2 = 120 % of target).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from salesops.metrics import catalog

Basis = Literal["revenue", "bookings", "collected"]
PlanGrain = Literal["month", "quarter", "year"]

#: The KPI whose engine records are the credit of each basis (collected: payments paid).
BASIS_METRIC: dict[str, str] = {
    "revenue": "revenue",
    "bookings": "bookings",
    "collected": "revenue",
}


class PlanError(ValueError):
    """A plan that cannot be read or used; the message names the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tier(_Strict):
    """Credit up to ``upto`` × target is paid at ``rate`` (the last tier has no bound)."""

    upto: Decimal | None = Field(default=None, gt=0)
    rate: Decimal = Field(ge=0, le=1)
    name: str | None = Field(default=None, max_length=60)


class Spiff(_Strict):
    """Extra pay on one product line: a rate on its credit and/or an amount per order/deal."""

    product_line: str = Field(min_length=1, max_length=100)
    rate: Decimal = Field(default=Decimal(0), ge=0, le=1)
    amount_each: Decimal = Field(default=Decimal(0), ge=0)


class Bonus(_Strict):
    """A fixed amount when a catalog KPI of the rep for the period reaches a threshold."""

    kpi: str
    at_least: Decimal | None = None
    at_most: Decimal | None = None
    amount: Decimal = Field(gt=0)
    name: str | None = Field(default=None, max_length=60)

    @field_validator("kpi")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in catalog.ids():
            raise ValueError(f"unknown KPI {value!r}")
        return value

    @model_validator(mode="after")
    def _bound(self) -> Bonus:
        if self.at_least is None and self.at_most is None:
            raise ValueError("a bonus needs at_least or at_most")
        return self


class AppliesTo(_Strict):
    teams: tuple[str, ...] = ()
    reps: tuple[str, ...] = ()


class PlanRules(_Strict):
    """One plan's rules (see the module docstring)."""

    code: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str = Field(min_length=1, max_length=200)
    period: PlanGrain = "quarter"
    basis: Basis = "revenue"
    target_metric: str | None = None
    tiers: tuple[Tier, ...] = Field(min_length=1)
    cap: Decimal | None = Field(default=None, gt=0)
    spiffs: tuple[Spiff, ...] = ()
    bonuses: tuple[Bonus, ...] = ()
    clawback: bool = True
    applies_to: AppliesTo = AppliesTo()

    @model_validator(mode="after")
    def _tiers_ascend(self) -> PlanRules:
        bounds = [t.upto for t in self.tiers]
        if any(b is None for b in bounds[:-1]):
            raise ValueError("only the last tier may be without 'upto'")
        known = [b for b in bounds if b is not None]
        if known != sorted(known) or len(set(known)) != len(known):
            raise ValueError("tier bounds ('upto') must increase")
        if self.target_metric is not None and self.target_metric not in catalog.ids():
            raise ValueError(f"unknown KPI {self.target_metric!r}")
        return self

    @property
    def attainment_metric(self) -> str:
        """The KPI of the target that attainment is measured against."""
        return self.target_metric or BASIS_METRIC[self.basis]

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json", exclude_none=True), ensure_ascii=False)


def parse_rules(data: Any, *, where: str = "plan") -> PlanRules:
    """Rules from a mapping (YAML or JSON); PlanError naming the field and the problem."""
    if not isinstance(data, dict):
        raise PlanError(f"{where}: a plan is a mapping of fields")
    try:
        return PlanRules.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'plan'}: {err['msg']}"
            for err in exc.errors()
        )
        raise PlanError(f"{where}: {problems}") from None


def load_yaml(text: str, *, where: str = "plan") -> list[PlanRules]:
    """Plans from YAML text: one mapping, a list, or ``{plans: [...]}``."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PlanError(f"{where}: not valid YAML ({exc})") from None
    if isinstance(data, dict) and "plans" in data:
        data = data["plans"]
    items = data if isinstance(data, list) else [data]
    return [parse_rules(item, where=f"{where}[{i}]") for i, item in enumerate(items)]
