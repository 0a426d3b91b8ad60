"""A small in-process LRU cache of query results, keyed by query, scope and data version.

Every write bumps ``data_version`` (:func:`salesops.db.derived.refresh_after_write`), and the
version is part of every key, so a result never outlives the data it was computed from; stale
entries simply age out. Hit and miss times are recorded so the benchmark can report them.
"""

from __future__ import annotations

import statistics
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CacheStats:
    """Counts and recent timings (seconds) of hits and misses."""

    hits: int = 0
    misses: int = 0
    hit_seconds: list[float] = field(default_factory=list)
    miss_seconds: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Counts and median times in milliseconds (None when not measured yet)."""

        def med(xs: list[float]) -> float | None:
            return round(statistics.median(xs) * 1000, 3) if xs else None

        return {
            "hits": self.hits,
            "misses": self.misses,
            "hit_ms_median": med(self.hit_seconds),
            "miss_ms_median": med(self.miss_seconds),
        }


class ResultCache:
    """Thread-safe LRU of at most ``size`` entries."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.stats = CacheStats()

    def get(self, key: Hashable) -> Any | None:
        """The cached value of ``key`` (marking it recently used), or None."""
        with self._lock:
            if key not in self._data:
                return None
            self._data.move_to_end(key)
            return self._data[key]

    def put(self, key: Hashable, value: Any) -> None:
        """Store ``value``; the least recently used entry goes when the cache is full."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def record(self, hit: bool, seconds: float) -> None:
        """Count a hit or miss and keep its time (the last 1,000 of each)."""
        with self._lock:
            if hit:
                self.stats.hits += 1
                self.stats.hit_seconds = [*self.stats.hit_seconds[-999:], seconds]
            else:
                self.stats.misses += 1
                self.stats.miss_seconds = [*self.stats.miss_seconds[-999:], seconds]

    def clear(self) -> None:
        """Drop every entry (statistics are kept)."""
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)
