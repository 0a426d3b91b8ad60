"""Alert rules as users write them (YAML, the API, the rule editor) and as they are stored.

A rule is one flat object; which fields matter depends on its ``kind``:

* ``threshold`` — ``metric`` (a catalog KPI), optional ``by``/``where``, ``period``, ``op`` and
  ``value``: fires for every group whose value breaks the threshold;
* ``change`` — ``metric``, ``grain`` (the last complete week/month/quarter), ``baseline``
  ``prev`` | ``yoy`` (fires when the change is beyond ``min_change``) or ``rolling`` (the mean
  of the ``periods`` before, fires beyond ``k`` standard deviations), ``direction``;
* ``pacing`` — ``target_metric`` (default revenue), ``period`` (this month/quarter/year),
  fires when attainment is behind the pace of the period by more than ``behind``; ``pace``
  ``linear`` (the share of calendar days gone) or ``seasonal`` (the share of last year's same
  period reached by the same day, :func:`salesops.targets.seasonal.seasonal_share`);
* ``stuck_deals`` — open deals longer than ``days`` in their stage, or (no ``days``) longer
  than their stage's p90 (``quantile``) of completed stays;
* ``churn_warning`` — customers newly flagged by the churn warning (its ``drop_threshold`` and
  ``silence_factor``), optionally only those with at least ``min_revenue`` in the trailing 12
  months;
* ``overdue_receivables`` — customers with more than ``amount`` overdue past ``days`` days;
* ``big_deal`` — deals ``won``/``lost``/``both`` (``outcome``) of at least ``amount`` closed
  in the last ``days`` days;
* ``credit_grade_drop`` — customers whose credit grade fell since ``days`` days ago;
* ``failed_imports`` — runs of saved import sources (SQL pulls, watched folders) that failed
  in the last ``days`` days (default 1), each alerted on once (issue #21).

Item rules make one alert per ``group``: ``team`` (default: the owners' org unit, for its
manager and above), ``rep`` (each rep's own items, for reps' own subscriptions) or ``none``.

Every rule also has a severity, a scope (company, an org unit's subtree, a rep), a cron
schedule (local time) and optional quiet hours (``22:00-07:00``) when nothing is sent.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Kind = Literal[
    "threshold",
    "change",
    "pacing",
    "stuck_deals",
    "churn_warning",
    "overdue_receivables",
    "big_deal",
    "credit_grade_drop",
    "failed_imports",
]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]
#: Kinds whose findings are items (a deal, a customer), each alerted on once.
ITEM_KINDS = frozenset(
    {
        "stuck_deals",
        "churn_warning",
        "overdue_receivables",
        "big_deal",
        "credit_grade_drop",
        "failed_imports",
    }
)
Severity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")
PeriodName = Literal[
    "today",
    "yesterday",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "this_year",
    "last_7_days",
    "last_30_days",
    "last_90_days",
]
Op = Literal["<", "<=", ">", ">="]

_CRON = re.compile(r"^\S+( \S+){4}$")
_QUIET = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")

#: Fields of the rule row itself; everything else is the kind's ``config``.
ROW_FIELDS = ("name", "kind", "severity", "scope", "schedule", "quiet_hours", "enabled")


class RuleError(ValueError):
    """A rule that cannot be used; the message says which field and why."""


class FieldProblem(ValueError):
    """A rule check that failed on one field (``field``), for forms that show it there."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ScopeSpec(BaseModel):
    """``{}`` / ``{"all": true}`` = the company; ``{"org_unit": "East"}``; ``{"rep": "Li Lei"}``
    (external id or name)."""

    model_config = ConfigDict(extra="forbid")
    org_unit: str | None = None
    rep: str | None = None

    @model_validator(mode="after")
    def _one(self) -> ScopeSpec:
        if self.org_unit and self.rep:
            raise ValueError("a scope is an org unit or a rep, not both")
        return self


class RuleSpec(BaseModel):
    """One rule, as YAML and the API have it (see the module docstring for the fields)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    kind: Kind
    severity: Severity = "warning"
    scope: ScopeSpec = Field(default_factory=ScopeSpec)
    schedule: str = "0 8 * * *"
    quiet_hours: str | None = None
    enabled: bool = True
    # KPI rules
    metric: str | None = None
    by: list[str] = Field(default_factory=list, max_length=3)
    where: dict[str, list[str]] = Field(default_factory=dict)
    period: PeriodName = "this_month"
    op: Op = "<"
    value: float | None = None
    grain: Literal["week", "month", "quarter"] = "week"
    baseline: Literal["prev", "yoy", "rolling"] = "prev"
    periods: int = Field(default=8, ge=2, le=52)
    k: float = Field(default=2.0, gt=0, le=10)
    direction: Literal["down", "up", "any"] = "down"
    min_change: float = Field(default=0.2, gt=0, le=100)
    behind: float = Field(default=0.1, gt=0, lt=1)
    pace: Literal["linear", "seasonal"] = "linear"
    target_metric: str | None = None
    contributors_by: str | None = None
    # item rules
    days: int | None = Field(default=None, ge=0, le=3650)
    quantile: float = Field(default=0.9, gt=0, lt=1)
    amount: float | None = Field(default=None, ge=0)
    outcome: Literal["won", "lost", "both"] = "both"
    # churn warnings: the analysis' thresholds, and the customers worth an alert
    drop_threshold: float = Field(default=0.5, gt=0, le=1)
    silence_factor: float = Field(default=2.0, gt=0, le=20)
    min_revenue: float | None = Field(default=None, ge=0)
    limit: int = Field(default=10, ge=1, le=50)  # items listed in one alert
    group: Literal["rep", "team", "none"] = "team"  # one item alert per rep, team, or scope
    # delivery: the channels (by name) this rule's alerts go to; empty = every subscribed one
    channels: list[str] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _check(self) -> RuleSpec:
        if "\x00" in self.name:
            raise FieldProblem("name", "a NUL character cannot be part of a name")
        if any("\x00" in v for vs in self.where.values() for v in vs):
            raise FieldProblem("where", "a NUL character cannot be part of a filter value")
        if not _CRON.match(self.schedule.strip()):
            raise FieldProblem(
                "schedule",
                f"schedule {self.schedule!r} is not a cron line of five fields (e.g. '0 8 * * *')",
            )
        _check_cron(self.schedule)
        if self.quiet_hours and not _QUIET.match(self.quiet_hours):
            raise FieldProblem(
                "quiet_hours",
                f"quiet_hours {self.quiet_hours!r}: use HH:MM-HH:MM, e.g. 22:00-07:00",
            )
        if self.kind in ("threshold", "change") and not self.metric:
            raise FieldProblem("metric", f"a {self.kind} rule needs a metric")
        if self.kind == "threshold" and self.value is None:
            raise FieldProblem("value", "a threshold rule needs a value")
        if self.kind == "overdue_receivables" and self.days not in (None, 0, 30, 60, 90):
            raise FieldProblem("days", "overdue_receivables: days past due is 0, 30, 60 or 90")
        if self.kind == "big_deal" and self.amount is None:
            raise FieldProblem("amount", "a big_deal rule needs an amount")
        if self.metric or self.target_metric:
            from salesops.metrics import catalog

            for fname, m in (("metric", self.metric), ("target_metric", self.target_metric)):
                if m is not None:
                    try:
                        catalog.get(m)
                    except Exception as exc:
                        raise FieldProblem(fname, str(exc)) from None
        from salesops.metrics.query import DIMENSIONS

        for fname, dims in (
            ("by", list(self.by)),
            ("where", list(self.where)),
            ("contributors_by", [self.contributors_by] if self.contributors_by else []),
        ):
            for dim in dims:
                if dim not in DIMENSIONS:
                    raise FieldProblem(
                        fname, f"unknown dimension {dim!r}; known: {', '.join(DIMENSIONS)}"
                    )
        if any(not c.strip() or "\x00" in c for c in self.channels):
            raise FieldProblem("channels", "a channel is named by its name")
        return self

    def config(self) -> dict[str, Any]:
        """The kind's settings, as stored in ``alert_rule.config``."""
        data = self.model_dump(exclude=set(ROW_FIELDS))
        return data


def _check_cron(expr: str) -> None:
    from salesops.schedule.cron import trigger

    try:
        trigger(expr.strip())
    except ValueError as exc:
        raise FieldProblem("schedule", f"schedule {expr!r}: {exc}") from None


def parse_rule(data: Any) -> RuleSpec:
    """A checked rule from a dict; RuleError with every problem named."""
    try:
        return RuleSpec.model_validate(data)
    except ValidationError as exc:
        raise RuleError(_messages(exc, data)) from None


def _messages(exc: ValidationError, data: Any) -> str:
    name = data.get("name") if isinstance(data, dict) else None
    where = f"rule {name!r}: " if name else "rule: "
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return where + "; ".join(parts)


def field_errors(data: Any) -> dict[str, str]:
    """Every problem of a rule by the field it belongs to ('' = the rule as a whole); empty
    when the rule is fine. What forms show next to each input."""
    try:
        RuleSpec.model_validate(data)
    except ValidationError as exc:
        out: dict[str, str] = {}
        for err in exc.errors():
            cause = (err.get("ctx") or {}).get("error")
            field = cause.field if isinstance(cause, FieldProblem) else ""
            if not field and err["loc"]:
                field = str(err["loc"][0])
            msg = str(err["msg"]).removeprefix("Value error, ")
            out.setdefault(field, msg)
        return out
    return {}


def load_yaml(text: str) -> list[RuleSpec]:
    """Rules from a YAML document: a list of rules, or ``{rules: [...]}``."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleError(f"not valid YAML: {exc}") from None
    if isinstance(doc, dict) and "rules" in doc:
        doc = doc["rules"]
    if not isinstance(doc, list):
        raise RuleError("a rules file is a list of rules (or 'rules:' with a list)")
    specs = [parse_rule(item) for item in doc]
    names = [s.name for s in specs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RuleError(f"rule names must be unique; repeated: {', '.join(dupes)}")
    return specs


def dump_yaml(specs: list[RuleSpec]) -> str:
    """Rules as YAML, only the fields that differ from their defaults."""
    out = [s.model_dump(exclude_defaults=True) for s in specs]
    return yaml.safe_dump({"rules": out}, allow_unicode=True, sort_keys=False)


def spec_from_row(row: Any, scope: ScopeSpec | None = None) -> RuleSpec:
    """The spec of a stored ``alert_rule`` row (scope given by the caller, who resolves ids)."""
    data = json.loads(row.config)
    data.update(
        name=row.name,
        kind=row.kind,
        severity=row.severity,
        schedule=row.schedule,
        quiet_hours=row.quiet_hours,
        enabled=bool(row.enabled),
    )
    if scope is not None:
        data["scope"] = scope.model_dump()
    return RuleSpec.model_validate(data)
