"""Shell completion for ``salesops`` (Typer's ``autocompletion=``), from the light name lists."""

from __future__ import annotations

from collections.abc import Callable

from salesops.cli.names import DIMENSIONS, ENTITIES, GRAINS, KPIS


def kpi_ids(incomplete: str) -> list[tuple[str, str]]:
    """KPI ids starting with what was typed, each with its English name."""
    return [(kpi, name) for kpi, name in KPIS.items() if kpi.startswith(incomplete)]


def dimension_ids(incomplete: str) -> list[str]:
    """Dimension ids for ``--by``."""
    return [d for d in DIMENSIONS if d.startswith(incomplete)]


def where_filters(incomplete: str) -> list[str]:
    """``DIM=`` for ``--where`` until a dimension is chosen."""
    return [f"{d}=" for d in DIMENSIONS if f"{d}=".startswith(incomplete)]


def entity_names(incomplete: str) -> list[str]:
    """Entities of ``salesops import`` / ``export``."""
    return [e for e in ENTITIES if e.startswith(incomplete)]


def grains(incomplete: str) -> list[str]:
    """Time grains for ``--grain``."""
    return [g for g in GRAINS if g.startswith(incomplete)]


def choices(*values: str) -> Callable[[str], list[str]]:
    """A completer for a fixed set of values (formats, compare modes ...)."""

    def complete(incomplete: str) -> list[str]:
        return [v for v in values if v.startswith(incomplete)]

    return complete
