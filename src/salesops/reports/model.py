"""What a report is, before it is rendered: sections of typed columns and rows of real values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from salesops.metrics.scope import Scope
from salesops.reports.periods import ReportPeriod

#: How a column's values are shown: money, count, ratio (a fraction), score, days, text, date.
Unit = Literal[
    "money", "count", "ratio", "score", "days", "text", "date", "multiple", "money_per_day",
    "by_row",  # each row says its unit (``row["unit"]``)
]  # fmt: skip


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    unit: Unit = "text"


@dataclass
class Section:
    """One part of a report: a table (and optionally a chart the html renderer draws)."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None
    chart: Literal["waterfall", "bar", None] = None


@dataclass
class Report:
    kind: str
    period: ReportPeriod
    previous: ReportPeriod
    year_ago: ReportPeriod
    scope: Scope
    scope_name: str
    lang: str
    title: str
    generated_at: dt.datetime
    summary: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    @property
    def filename_stem(self) -> str:
        scope = self.scope_name.replace("/", "-").replace(" ", "_")
        return f"{self.kind}-{self.period.label}-{scope}-{self.lang}"
