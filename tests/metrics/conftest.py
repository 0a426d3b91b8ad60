"""Fixtures of the metrics tests: the hand-made world and an engine with a fixed today."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from salesops.metrics.engine import MetricsEngine
from tests.conftest import Db
from tests.metrics.world import TODAY, build_world


@dataclass
class World:
    db: Db
    engine: MetricsEngine
    ids: dict[str, int]


@pytest.fixture
def world(db: Db) -> World:
    ids = build_world(db.engine)
    return World(db=db, engine=MetricsEngine(db.engine, today=TODAY), ids=ids)
