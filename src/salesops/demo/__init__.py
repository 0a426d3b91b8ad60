"""Deterministic demo data: a plausible Chinese B2B company, vectorised for large scales.

``salesops demo-data --scale small|medium|large`` writes it; ``salesops demo`` writes it when
the database has no orders yet and serves the board. :class:`DemoConfig` holds every size, so
tests can make a company of five reps.
"""

from salesops.demo.config import SCALE_FACTORS, DemoConfig
from salesops.demo.generate import DemoResult, build_frames, generate_demo
from salesops.demo.writer import DATA_TABLES, DemoDataError

__all__ = [
    "DATA_TABLES",
    "SCALE_FACTORS",
    "DemoConfig",
    "DemoDataError",
    "DemoResult",
    "build_frames",
    "generate_demo",
]
