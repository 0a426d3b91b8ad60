"""Fixtures of the metrics tests: the hand-made world and an engine with a fixed today."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from salesops.metrics.engine import MetricsEngine
from salesops.metrics.scope import FULL_SCOPE, Scope
from tests.conftest import Db
from tests.metrics.world import TODAY, build_world


@dataclass
class World:
    db: Db
    engine: MetricsEngine
    ids: dict[str, int]

    def scope(self, name: str | None) -> Scope:
        """None: everything; ``rep:<name>``: one rep; ``team:<name>``: an org subtree."""
        if name is None:
            return FULL_SCOPE
        if name.startswith("rep:"):
            return Scope.single_rep(self.ids[name])
        return Scope.subtree(self.ids[name])


@pytest.fixture
def world(db: Db) -> World:
    ids = build_world(db.engine)
    return World(db=db, engine=MetricsEngine(db.engine, today=TODAY), ids=ids)
