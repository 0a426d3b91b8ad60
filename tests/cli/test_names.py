"""The light name lists of the command line match what they repeat (catalog, importer, targets)."""

from __future__ import annotations

from typing import get_args

from salesops.cli import data_cmds, names
from salesops.ingest.export import FORMATS
from salesops.ingest.fields import ENTITIES
from salesops.metrics import catalog
from salesops.metrics.query import Grain
from salesops.targets.attainment import BASES
from salesops.targets.decompose import ORG_METHODS, TIME_METHODS


def test_kpis_match_the_catalog() -> None:
    assert {k.id: k.name_en for k in catalog.all_kpis()} == names.KPIS


def test_entities_match_the_importer() -> None:
    assert tuple(ENTITIES) == names.ENTITIES


def test_grains_and_export_formats() -> None:
    assert get_args(Grain) == names.GRAINS
    assert tuple(FORMATS) == data_cmds.EXPORT_FORMATS


def test_target_methods_and_bases() -> None:
    assert (
        tuple(TIME_METHODS),
        tuple(ORG_METHODS),
        tuple(BASES),
    ) == (names.TIME_METHODS, names.ORG_METHODS, names.BASES)


def test_people_names() -> None:
    from salesops.cli.people_cmds import people_app
    from salesops.people.plans import Basis

    assert get_args(Basis) == names.PLAN_BASES
    assert tuple(c.name for c in people_app.registered_commands) == names.PEOPLE_COMMANDS
