"""Canonical import fields of every entity (SPEC §3): their type, database column and rules.

A mapping targets these names. Each field knows how its cells convert (``kind``), which
database column it fills (``column``; None for fields that only feed another one, such as
``profit`` or ``snapshot_at``) and, for references, which entity it points at.

Kinds: ``text``, ``int``, ``decimal``, ``rate`` (a fraction; ``12.5%`` → 0.125), ``date``,
``datetime`` (stored in UTC), ``bool``, ``choice`` (one of ``choices``, case-insensitive),
``ref`` (a record of ``ref``, by external id then by name) and ``region`` (a region name,
created on first mention).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table

from salesops.db.schema import ENTITY_TABLES

KINDS = ("text", "int", "decimal", "rate", "date", "datetime", "bool", "choice", "ref", "region")


#: A deal's forecast category (SPEC §3; docs/forecast.md). ``closed`` is what CRMs call the
#: category of won deals; on an open deal it counts as commit.
FORECAST_CATEGORIES = ("commit", "best_case", "pipeline", "omitted", "closed")
#: Spellings of the forecast categories in CRM exports, English and Chinese.
FORECAST_CATEGORY_SYNONYMS: tuple[tuple[str, str], ...] = (
    ("bestcase", "best_case"),
    ("upside", "best_case"),
    ("omit", "omitted"),
    ("承诺", "commit"),
    ("确定", "commit"),
    ("最佳情况", "best_case"),
    ("最佳", "best_case"),
    ("乐观", "best_case"),
    ("管道", "pipeline"),
    ("管线", "pipeline"),
    ("渠道", "pipeline"),
    ("排除", "omitted"),
    ("省略", "omitted"),
    ("已省略", "omitted"),
    ("已排除", "omitted"),
    ("已关闭", "closed"),
    ("已成交", "closed"),
)


@dataclass(frozen=True)
class Field:
    """One canonical import field."""

    name: str
    kind: str = "text"
    column: str | None = ""  # "" means: the same name as the field
    ref: str | None = None  # referenced entity for kind "ref"
    required: bool = False  # must have a value in every row (new and updated)
    choices: tuple[str, ...] = ()
    low: int | None = None  # inclusive bounds for kind "int"
    high: int | None = None
    default: str | None = None  # value when empty or unmapped (else the schema's default)
    #: other spellings a ``choice`` accepts (compared after the same normalisation: lower
    #: case, spaces and hyphens as ``_``), as (spelling, choice) pairs
    synonyms: tuple[tuple[str, str], ...] = ()

    @property
    def db_column(self) -> str | None:
        """The database column this field fills, or None."""
        return self.name if self.column == "" else self.column


@dataclass(frozen=True)
class EntitySpec:
    """How one entity imports: its fields, its key and its special rules."""

    name: str
    fields: tuple[Field, ...]
    #: canonical fields that identify a record (upsert key)
    key: tuple[str, ...] = ("external_id",)
    #: when ``external_id`` is not given, it is built from these fields (``a|b|c``)
    natural_key: tuple[str, ...] = ()
    #: ... then ``|value`` of each of these fields, only where it has a value (so the keys of
    #: records without it stay what they were before the field existed)
    natural_key_optional: tuple[str, ...] = ()
    #: (rep field, customer field) from which the sales region falls back (SPEC §3)
    sales_region: tuple[str, str] | None = None
    #: column used to resolve references to this entity by name
    name_column: str | None = "name"
    #: rows are appended (deduplicated), never updated: opportunity_change
    append_only: bool = False

    @property
    def table(self) -> Table:
        """The database table of this entity."""
        table = ENTITY_TABLES[self.name].__table__
        assert isinstance(table, Table)
        return table

    def field(self, name: str) -> Field:
        """The field called ``name`` (KeyError if there is none)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_names(self) -> list[str]:
        """Canonical field names, in declaration order."""
        return [f.name for f in self.fields]

    def self_refs(self) -> list[Field]:
        """Reference fields pointing at this same entity (parent, manager)."""
        return [f for f in self.fields if f.kind == "ref" and f.ref == self.name]


def _ext(required: bool = True) -> Field:
    return Field("external_id", required=required)


def _ref(name: str, target: str, column: str | None = None, *, required: bool = False) -> Field:
    return Field(name, "ref", column or f"{name}_id", ref=target, required=required)


def _region() -> Field:
    return Field("region", "region", "region_id")


GRAINS = ("day", "week", "month", "quarter", "year")

ENTITIES: dict[str, EntitySpec] = {
    spec.name: spec
    for spec in [
        EntitySpec(
            "org_unit",
            (
                _ext(),
                Field("name", required=True),
                Field("kind", "choice", choices=("company", "region", "team")),
                _ref("parent", "org_unit"),
                _region(),
            ),
        ),
        EntitySpec(
            "rep",
            (
                _ext(),
                Field("name", required=True),
                Field("email"),
                _ref("org_unit", "org_unit"),
                _ref("manager", "rep"),
                _region(),
                Field("hired_on", "date"),
                Field("left_on", "date"),
                Field("active", "bool"),
            ),
        ),
        EntitySpec(
            "product",
            (
                _ext(),
                Field("name", required=True),
                Field("product_line"),
                Field("list_price", "decimal"),
                Field("unit_cost", "decimal"),
            ),
        ),
        EntitySpec(
            "customer",
            (
                _ext(),
                Field("name", required=True),
                Field("industry"),
                Field("segment"),
                Field("size"),
                _region(),
                Field("city"),
                Field("source_channel"),
                _ref("owner", "rep"),
                Field("created_on", "date"),
                Field("credit_limit", "decimal"),
            ),
        ),
        EntitySpec(
            "pipeline_stage",
            (
                Field("pipeline"),
                Field("name", required=True),
                Field("position", "int"),
                Field("probability", "rate"),
                Field("kind", "choice", choices=("open", "won", "lost")),
            ),
            key=("pipeline", "name"),
            name_column=None,
        ),
        EntitySpec(
            "opportunity",
            (
                _ext(),
                Field("name"),
                _ref("customer", "customer"),
                _ref("owner", "rep"),
                _ref("product", "product"),
                _region(),
                Field("pipeline"),
                Field("source_channel"),
                Field("stage"),
                Field("status", "choice", choices=("open", "won", "lost")),
                Field("amount", "decimal"),
                Field("probability", "rate"),
                Field("created_on", "date"),
                Field("expected_close_on", "date"),
                Field("closed_on", "date"),
                Field("competitor"),
                Field("lost_reason"),
                Field(
                    "forecast_category",
                    "choice",
                    choices=FORECAST_CATEGORIES,
                    synonyms=FORECAST_CATEGORY_SYNONYMS,
                ),
                Field("snapshot_at", "datetime", None),
            ),
            sales_region=("owner", "customer"),
        ),
        EntitySpec(
            "opportunity_change",
            (
                _ref("opportunity", "opportunity", required=True),
                Field(
                    "field",
                    "choice",
                    required=True,
                    choices=(
                        "stage",
                        "status",
                        "amount",
                        "probability",
                        "expected_close_on",
                        "owner",
                    ),
                ),
                Field("old_value"),
                Field("new_value"),
                Field("changed_at", "datetime", required=True),
                Field("source", "choice", choices=("history", "import", "api"), default="history"),
            ),
            key=(),
            name_column=None,
            append_only=True,
        ),
        EntitySpec(
            "lead",
            (
                _ext(),
                Field("source_channel"),
                Field("created_on", "date"),
                _ref("customer", "customer"),
                _ref("owner", "rep"),
                _ref("converted_opportunity", "opportunity", "opportunity_id"),
                Field("status"),
                _region(),
            ),
            sales_region=("owner", "customer"),
            name_column=None,
        ),
        EntitySpec(
            "order_line",
            (
                Field("order_no", required=True),
                Field("line_no", "int", low=0),
                Field("order_date", "date", required=True),
                _ref("customer", "customer"),
                _ref("rep", "rep"),
                _ref("product", "product"),
                _region(),
                Field("channel"),
                Field("quantity", "decimal"),
                Field("amount", "decimal", required=True),
                Field("cost", "decimal"),
                Field("profit", "decimal", None),
                Field("status", "choice", choices=("normal", "cancelled", "returned")),
            ),
            key=("order_no", "line_no"),
            sales_region=("rep", "customer"),
            name_column=None,
        ),
        EntitySpec(
            "payment",
            (
                _ext(),
                _ref("customer", "customer"),
                _ref("rep", "rep"),
                _region(),
                Field("order_no"),
                Field("due_date", "date"),
                Field("due_amount", "decimal"),
                Field("paid_date", "date"),
                Field("paid_amount", "decimal"),
            ),
            sales_region=("rep", "customer"),
            name_column=None,
        ),
        EntitySpec(
            "activity",
            (
                _ext(),
                Field(
                    "kind",
                    "choice",
                    required=True,
                    choices=("visit", "call", "email", "meeting", "web_visit", "event"),
                ),
                _ref("customer", "customer"),
                _ref("rep", "rep"),
                _ref("opportunity", "opportunity"),
                _region(),
                Field("at", "datetime", "occurred_at", required=True),
            ),
            sales_region=("rep", "customer"),
            name_column=None,
        ),
        EntitySpec(
            "feedback",
            (
                _ext(),
                _ref("customer", "customer"),
                _ref("rep", "rep"),
                _region(),
                Field("received_on", "date"),
                Field("channel"),
                Field("nps", "int", low=0, high=10),
                Field("csat", "int", low=1, high=5),
                Field(
                    "category", "choice", choices=("functional", "emotional", "service", "other")
                ),
                Field("priority"),
                Field("status", "choice", choices=("new", "assigned", "resolved", "informed")),
                _ref("assignee", "rep"),
                Field("text"),
                Field("resolved_on", "date"),
            ),
            sales_region=("rep", "customer"),
            name_column=None,
        ),
        EntitySpec(
            "marketing_spend",
            (
                _ext(required=False),
                Field("channel", required=True),
                Field("period_start", "date", required=True),
                Field("period_grain", "choice", choices=GRAINS),
                Field("amount", "decimal", required=True),
                _region(),
            ),
            natural_key=("channel", "period_start", "period_grain", "region"),
            name_column=None,
        ),
        EntitySpec(
            "market_size",
            (
                _ext(required=False),
                _region(),
                Field("product_line"),
                Field("period_start", "date", required=True),
                Field("period_grain", "choice", choices=GRAINS),
                Field("amount", "decimal", required=True),
                # issue #25: target-account counts for penetration, by region and industry
                Field("industry"),
                Field("accounts", "int", low=0),
            ),
            natural_key=("region", "product_line", "industry", "period_start", "period_grain"),
            name_column=None,
        ),
        EntitySpec(
            "target",
            (
                _ext(required=False),
                Field("metric", required=True),
                Field(
                    "period_grain", "choice", required=True, choices=("year", "quarter", "month")
                ),
                Field("period_start", "date", required=True),
                Field(
                    "scope_kind",
                    "choice",
                    choices=("company", "org_unit", "rep", "product_line", "region"),
                ),
                _ref("org_unit", "org_unit"),
                _ref("rep", "rep"),
                _region(),
                Field("product_line"),
                # issue #27: one sales channel's part of the scope's target
                Field("channel"),
                Field("value", "decimal", required=True),
                _ref("parent", "target"),
            ),
            natural_key=(
                "metric",
                "period_grain",
                "period_start",
                "scope_kind",
                "org_unit",
                "rep",
                "region",
                "product_line",
            ),
            natural_key_optional=("channel",),
            name_column=None,
        ),
        EntitySpec(
            "announcement",
            (
                _ext(required=False),
                Field("kind", "choice", choices=("goal", "value", "news")),
                Field("text_zh", "text"),
                Field("text_en", "text"),
                Field("valid_from", "date"),
                Field("valid_to", "date"),
            ),
            natural_key=("kind", "valid_from", "text_zh", "text_en"),
            name_column=None,
        ),
    ]
}

assert set(ENTITIES) == set(ENTITY_TABLES), "every importable table needs its fields"


def entity_spec(name: str) -> EntitySpec:
    """The import specification of entity ``name`` (ValueError listing the valid ones)."""
    try:
        return ENTITIES[name]
    except KeyError:
        raise ValueError(f"unknown entity {name!r}; one of: {', '.join(ENTITIES)}") from None
