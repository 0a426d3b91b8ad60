"""The column mapping of SPEC §5: which source column fills which canonical field, and how.

```yaml
entity: opportunity
encoding: auto              # auto (default) | utf-8 | gbk | gb18030 | ...
date_format: "%Y-%m-%d"     # strftime syntax; may also be set per column
decimal: "."                # "." (default) or "," for 1 234,50
on_unknown_reference: reject   # reject (default) | create | null
columns:
  external_id: Opportunity ID
  status: {column: Stage, map: {Closed Won: won, Closed Lost: lost, "*": open}}
  created_on: {column: Created Date, format: "%d.%m.%Y"}
  pipeline: {default: default}
```

Optional keys beyond the SPEC: ``delimiter`` (CSV; sniffed by default), ``sheet`` and
``on_duplicate`` (``error`` | ``first`` | ``last``: which row of a dimension — org unit, rep,
product, customer — wins when one file repeats a key with different values; identical repeated
rows are merged always).

A *sheet mapping* reads several entities from one file (``salesops import sheet``); its
file-level keys apply to every section, a section's own keys win::

    date_format: "%d/%m/%Y"
    entities:
      customer:   {on_duplicate: last, columns: {external_id: 客户编号, name: 客户名称}}
      order_line: {columns: {order_no: 订单号, order_date: 下单日期, customer: 客户编号,
                             amount: 金额}}
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from salesops.ingest.fields import ENTITIES, EntitySpec, entity_spec

POLICIES = ("reject", "create", "null")
DUPLICATE_POLICIES = ("error", "first", "last")
#: Entities whose repeated keys within one file are merged (identical rows) or resolved by
#: ``on_duplicate``: the dimensions a flat sheet repeats on every line. Facts with a repeated
#: key are always an error (two order lines with one number are two lines, not one).
DIMENSIONS = ("org_unit", "rep", "product", "customer")
#: The pseudo-entity of ``salesops import sheet`` (several entities from one file).
SHEET = "sheet"
_SECTION_KEYS = {"columns", "date_format", "decimal", "on_unknown_reference", "on_duplicate"}
_SHEET_KEYS = {
    "entities",
    "encoding",
    "date_format",
    "decimal",
    "on_unknown_reference",
    "on_duplicate",
    "delimiter",
    "sheet",
}
_TOP_KEYS = {
    "entity",
    "encoding",
    "date_format",
    "decimal",
    "on_unknown_reference",
    "columns",
    "delimiter",
    "sheet",
    "on_duplicate",
}
_SPEC_KEYS = {"column", "map", "format", "default"}


class MappingError(ValueError):
    """A mapping that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class ColumnSpec:
    """How one canonical field is filled."""

    column: str | None = None  # source column; None: every row takes ``default``
    map: dict[str, str] = field(default_factory=dict)  # value rewrites; "*" = any other
    format: str | None = None  # date format of this column
    default: str | None = None  # value for empty cells


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping for one entity."""

    entity: str
    columns: dict[str, ColumnSpec]
    encoding: str = "auto"
    date_format: str | None = None
    decimal: str = "."
    on_unknown_reference: str = "reject"
    delimiter: str | None = None
    sheet: str | None = None
    on_duplicate: str = "error"

    @property
    def spec(self) -> EntitySpec:
        """The entity's import specification."""
        return entity_spec(self.entity)

    def source_columns(self) -> list[str]:
        """Every source column the mapping reads."""
        return [c.column for c in self.columns.values() if c.column is not None]


def _text(value: Any) -> str:
    """YAML scalars as text (``1`` → "1", ``true`` → "true")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_column(field_name: str, raw: Any) -> ColumnSpec:
    """A column entry: a source column name, or a dict with column/map/format/default."""
    if raw is None:
        raise MappingError(f"columns.{field_name}: give a source column or a column spec")
    if not isinstance(raw, dict):
        return ColumnSpec(column=_text(raw))
    unknown = set(raw) - _SPEC_KEYS
    if unknown:
        raise MappingError(
            f"columns.{field_name}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
            f"a column spec has {', '.join(sorted(_SPEC_KEYS))}"
        )
    value_map = raw.get("map") or {}
    if not isinstance(value_map, dict):
        raise MappingError(f"columns.{field_name}.map must be a mapping of value: replacement")
    column = raw.get("column")
    default = raw.get("default")
    if column is None and default is None:
        raise MappingError(f"columns.{field_name}: a column spec needs a column or a default")
    return ColumnSpec(
        column=None if column is None else _text(column),
        map={_text(k): "" if v is None else _text(v) for k, v in value_map.items()},
        format=None if raw.get("format") is None else _text(raw["format"]),
        default=None if default is None else _text(default),
    )


def parse_mapping(data: Any, *, entity: str | None = None) -> Mapping:
    """Validate a mapping document (already parsed from YAML) for ``entity``."""
    if not isinstance(data, dict):
        raise MappingError("a mapping file must be a YAML mapping with a 'columns' key")
    if "entities" in data:
        raise MappingError(
            "this mapping has several entities ('entities:'); import it with "
            "`salesops import sheet FILE --mapping MAPPING.yaml`"
        )
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise MappingError(
            f"unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
            f"a mapping has {', '.join(sorted(_TOP_KEYS))}"
        )
    declared = data.get("entity")
    if entity and declared and declared != entity:
        raise MappingError(f"the mapping is for entity {declared!r}, not {entity!r}")
    name = entity or declared
    if not name:
        raise MappingError("the mapping does not say which entity it is for ('entity:')")
    try:
        spec = entity_spec(str(name))
    except ValueError as exc:
        raise MappingError(str(exc)) from None
    raw_columns = data.get("columns") or {}
    if not isinstance(raw_columns, dict):
        raise MappingError("'columns' must map canonical fields to source columns")
    columns = {}
    for key, raw in raw_columns.items():
        field_name = _text(key)
        if field_name not in spec.field_names:
            raise MappingError(
                f"columns.{field_name}: {spec.name} has no field {field_name!r}; "
                f"its fields are {', '.join(spec.field_names)}"
            )
        columns[field_name] = parse_column(field_name, raw)
    policy = _text(data.get("on_unknown_reference") or "reject")
    if policy not in POLICIES:
        raise MappingError(f"on_unknown_reference must be one of {', '.join(POLICIES)}")
    decimal = _text(data.get("decimal") or ".")
    if decimal not in (".", ","):
        raise MappingError("decimal must be '.' or ','")
    delimiter = data.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise MappingError("delimiter must be one character")
    on_duplicate = _text(data.get("on_duplicate") or "error")
    if on_duplicate not in DUPLICATE_POLICIES:
        raise MappingError(f"on_duplicate must be one of {', '.join(DUPLICATE_POLICIES)}")
    if on_duplicate != "error" and spec.name not in DIMENSIONS:
        raise MappingError(
            f"on_duplicate applies to {', '.join(DIMENSIONS)}; a repeated {spec.name} key "
            "is always an error"
        )
    return Mapping(
        entity=spec.name,
        columns=columns,
        encoding=_text(data.get("encoding") or "auto"),
        date_format=None if data.get("date_format") is None else _text(data["date_format"]),
        decimal=decimal,
        on_unknown_reference=policy,
        delimiter=delimiter,
        sheet=None if data.get("sheet") is None else _text(data["sheet"]),
        on_duplicate=on_duplicate,
    )


@dataclass(frozen=True)
class SheetMapping:
    """A parsed sheet mapping: one :class:`Mapping` per entity, in import order."""

    sections: tuple[Mapping, ...]
    encoding: str = "auto"
    delimiter: str | None = None
    sheet: str | None = None

    @property
    def entities(self) -> list[str]:
        """The entities of the sections, in import order."""
        return [m.entity for m in self.sections]


def parse_sheet_mapping(data: Any) -> SheetMapping:
    """Validate a sheet mapping (several entities read from one file)."""
    if not isinstance(data, dict) or not isinstance(data.get("entities"), dict):
        raise MappingError(
            "a sheet mapping needs an 'entities:' section mapping each entity to its columns"
        )
    unknown = set(data) - _SHEET_KEYS
    if unknown:
        raise MappingError(
            f"unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
            f"a sheet mapping has {', '.join(sorted(_SHEET_KEYS))}"
        )
    shared = {k: v for k, v in data.items() if k in _SECTION_KEYS and v is not None}
    sections = []
    for raw_name, section in data["entities"].items():
        name = _text(raw_name)
        where = f"entities.{name}"
        if name not in ENTITIES:
            raise MappingError(f"{where}: unknown entity; one of: {', '.join(ENTITIES)}")
        if not isinstance(section, dict) or not section.get("columns"):
            raise MappingError(f"{where}: give the section's columns ('columns:')")
        extra = set(section) - _SECTION_KEYS
        if extra:
            raise MappingError(
                f"{where}: unknown key(s) {', '.join(sorted(map(str, extra)))}; "
                f"a section has {', '.join(sorted(_SECTION_KEYS))}"
            )
        merged = dict(shared)
        if name not in DIMENSIONS:
            merged.pop("on_duplicate", None)  # the file-level option is for the dimensions
        merged.update(section)
        merged["entity"] = name
        try:
            sections.append(parse_mapping(merged))
        except MappingError as exc:
            raise MappingError(f"{where}: {exc}") from None
    if not sections:
        raise MappingError("the sheet mapping's 'entities:' section is empty")
    order = list(ENTITIES)
    sections.sort(key=lambda m: order.index(m.entity))
    delimiter = data.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise MappingError("delimiter must be one character")
    return SheetMapping(
        sections=tuple(sections),
        encoding=_text(data.get("encoding") or "auto"),
        delimiter=delimiter,
        sheet=None if data.get("sheet") is None else _text(data["sheet"]),
    )


def load_sheet_mapping(path: Path) -> SheetMapping:
    """Read and validate a sheet mapping YAML file."""
    return parse_sheet_mapping(read_yaml(path))


def read_yaml(path: Path) -> Any:
    """The parsed YAML of a mapping file; raises :class:`MappingError` when unreadable."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise MappingError(f"cannot read mapping {path}: {exc}") from None


def load_mapping(path: Path, *, entity: str | None = None) -> Mapping:
    """Read and validate a mapping YAML file."""
    return parse_mapping(read_yaml(path), entity=entity)


def _norm(name: str) -> str:
    return name.strip().lower().replace(" ", "_")


def auto_mapping(entity: str, headers: list[str]) -> Mapping:
    """Map source columns whose names are canonical field names (case and spaces aside)."""
    spec = entity_spec(entity)
    by_norm = {_norm(h): h for h in reversed(headers)}  # the first of equal names wins
    columns = {f: ColumnSpec(column=by_norm[f]) for f in spec.field_names if f in by_norm}
    return Mapping(entity=spec.name, columns=columns)


def parse_overrides(items: list[str], entity: str) -> dict[str, str]:
    """``--map field=Source Column`` options as {field: source column}."""
    spec = entity_spec(entity)
    out: dict[str, str] = {}
    for item in items:
        name, sep, column = item.partition("=")
        name = name.strip()
        if not sep or not name or not column.strip():
            raise MappingError(f"--map {item!r}: write field=Source Column")
        if name not in spec.field_names:
            raise MappingError(
                f"--map {item!r}: {spec.name} has no field {name!r}; "
                f"its fields are {', '.join(spec.field_names)}"
            )
        out[name] = column.strip()
    return out


def with_overrides(mapping: Mapping, overrides: dict[str, str]) -> Mapping:
    """The mapping with the source columns of some fields replaced (other settings kept)."""
    columns = dict(mapping.columns)
    for name, column in overrides.items():
        columns[name] = replace(columns.get(name, ColumnSpec()), column=column)
    return replace(mapping, columns=columns)
