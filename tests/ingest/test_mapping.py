"""Mapping files: the SPEC §5 format, its errors, --map overrides and automatic mapping."""

from __future__ import annotations

import pytest

from salesops.ingest.mapping import (
    ColumnSpec,
    MappingError,
    auto_mapping,
    parse_mapping,
    parse_overrides,
    with_overrides,
)

SPEC_EXAMPLE = {
    "entity": "opportunity",
    "encoding": "auto",
    "date_format": "%Y-%m-%d",
    "on_unknown_reference": "reject",
    "columns": {
        "external_id": "Opportunity ID",
        "product": {"column": "Product", "map": {"ERP Std": "ERP Standard"}},
        "status": {"column": "Stage", "map": {"Closed Won": "won", "*": "open"}},
        "created_on": {"column": "Created Date", "format": "%d.%m.%Y"},
        "probability": {"column": "Prob", "default": 0.5},
    },
}


def test_the_spec_example_parses() -> None:
    mapping = parse_mapping(SPEC_EXAMPLE)
    assert mapping.entity == "opportunity"
    assert mapping.date_format == "%Y-%m-%d"
    assert mapping.columns["external_id"] == ColumnSpec(column="Opportunity ID")
    assert mapping.columns["status"].map == {"Closed Won": "won", "*": "open"}
    assert mapping.columns["created_on"].format == "%d.%m.%Y"
    assert mapping.columns["probability"].default == "0.5"
    assert mapping.source_columns() == [
        "Opportunity ID", "Product", "Stage", "Created Date", "Prob",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"columns": {}}, "the mapping does not say which entity it is for ('entity:')"),
        ({"entity": "widget", "columns": {}}, "unknown entity 'widget'; one of: org_unit, rep"),
        ({"entity": "product", "colour": 1}, "unknown key(s) colour; a mapping has columns"),
        (
            {"entity": "product", "columns": {"price": "Price"}},
            "columns.price: product has no field 'price'; its fields are external_id, name",
        ),
        (
            {"entity": "product", "columns": {"name": {"colum": "Name"}}},
            "columns.name: unknown key(s) colum; a column spec has column, default, format, map",
        ),
        (
            {"entity": "product", "columns": {"name": {"map": {"a": "b"}}}},
            "columns.name: a column spec needs a column or a default",
        ),
        (
            {"entity": "product", "on_unknown_reference": "ignore", "columns": {}},
            "on_unknown_reference must be one of reject, create, null",
        ),
        ({"entity": "product", "decimal": ";", "columns": {}}, "decimal must be '.' or ','"),
    ],
)
def test_mapping_errors_say_what_to_fix(document: dict[str, object], message: str) -> None:
    with pytest.raises(MappingError) as info:
        parse_mapping(document)
    assert str(info.value).startswith(message)


def test_entity_mismatch() -> None:
    with pytest.raises(MappingError, match="the mapping is for entity 'product', not 'customer'"):
        parse_mapping({"entity": "product", "columns": {}}, entity="customer")


def test_overrides_replace_the_column_and_keep_the_spec() -> None:
    mapping = parse_mapping(SPEC_EXAMPLE)
    overrides = parse_overrides(["status=Deal Stage", "name = Deal Name"], "opportunity")
    assert overrides == {"status": "Deal Stage", "name": "Deal Name"}
    changed = with_overrides(mapping, overrides)
    assert changed.columns["status"] == ColumnSpec(
        column="Deal Stage", map={"Closed Won": "won", "*": "open"}
    )
    assert changed.columns["name"] == ColumnSpec(column="Deal Name")
    with pytest.raises(MappingError, match="write field=Source Column"):
        parse_overrides(["status"], "opportunity")
    with pytest.raises(MappingError, match="opportunity has no field 'stag'"):
        parse_overrides(["stag=Stage"], "opportunity")


def test_auto_mapping_matches_field_names() -> None:
    mapping = auto_mapping("order_line", ["Order No", "order_date", "AMOUNT", "Notes", "amount"])
    assert {f: c.column for f, c in mapping.columns.items()} == {
        "order_no": "Order No",
        "order_date": "order_date",
        "amount": "AMOUNT",
    }
