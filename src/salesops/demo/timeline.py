"""The calendar of the demo company: how busy each day is, and drawing days from it.

Day numbers are 0 for the first day of the history (1 January, ``years`` before today); days
before it (down to ``-LEAD_DAYS``) exist for deals already in flight on the first day. A
day's weight is its month's weight (the fourth-quarter peak), times a dip around the Spring
Festival, times a small weight on weekends; a region's intensity adds its yearly growth.
Drawing a day between two bounds in proportion to a region's intensity is an inverse-CDF
lookup on the cumulative intensity: one ``searchsorted`` for any number of draws.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from salesops.demo.catalog import MONTH_WEIGHTS, SPRING_FESTIVAL, WEEKEND_WEIGHT
from salesops.demo.config import DemoConfig

SECONDS_PER_DAY = 86_400
#: office hours in UTC: 09:00-18:00 in Asia/Shanghai
OFFICE_START, OFFICE_SECONDS = 3_600, 9 * 3_600
EPOCH = dt.date(1970, 1, 1)
#: days before the history that deals may start on (to be in flight on its first day)
LEAD_DAYS = 240


class Timeline:
    """Days of the history with their weights and per-region cumulative intensities."""

    def __init__(self, config: DemoConfig, growths: np.ndarray) -> None:
        self.start = config.start
        self.today = config.today
        self.days = config.days
        self.day0 = (self.start - EPOCH).days
        # Days -LEAD_DAYS..-1 exist for deals already in flight when the history starts.
        lead, n = LEAD_DAYS, LEAD_DAYS + self.days
        self._lead = lead
        dates = np.arange(-lead, self.days) + self.day0
        months = dates.astype("datetime64[D]").astype("datetime64[M]").astype(int) % 12
        weekday = (dates + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
        weight = np.asarray(MONTH_WEIGHTS)[months]
        weight = weight * np.where(weekday >= 5, WEEKEND_WEIGHT, 1.0)
        for year in range(self.start.year - 2, self.today.year + 2):
            festival = SPRING_FESTIVAL.get(year)
            if festival is None:
                continue
            at = (festival - self.start).days + lead
            # closed from two days before to five after, slow for the week after that
            weight[_window(at - 2, at + 6, n)] *= 0.1
            weight[_window(at + 6, at + 13, n)] *= 0.55
        #: years since the start, per day
        t = np.arange(-lead, self.days) / 365.25
        intensity = weight[None, :] * np.asarray(growths)[:, None] ** t[None, :]
        self.cumulative = np.zeros((len(growths), n + 1))
        np.cumsum(intensity, axis=1, out=self.cumulative[:, 1:])
        # Rows laid end to end, each shifted above the previous one, form one sorted array.
        self._span = self.cumulative[:, -1].max() + 1.0
        self._flat = (self.cumulative + self._span * np.arange(len(growths))[:, None]).ravel()

    def mass(self, region: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Each region's intensity summed over days lo..hi (inclusive; 0 when hi < lo)."""
        lo = np.asarray(lo, dtype=np.int64) + self._lead
        hi = np.maximum(np.asarray(hi, dtype=np.int64) + self._lead, lo - 1)
        return self.cumulative[region, hi + 1] - self.cumulative[region, lo]

    def draw(
        self,
        rng: np.random.Generator,
        region: np.ndarray,
        lo: np.ndarray,
        hi: np.ndarray,
        at: np.ndarray | None = None,
    ) -> np.ndarray:
        """One day per item in lo..hi (history days, from -LEAD_DAYS), in proportion to its
        region's intensity. ``at`` (fractions in [0, 1), one per item) places items at those
        points of the range's intensity instead of at random ones."""
        lo = np.asarray(lo, dtype=np.int64) + self._lead
        hi = np.maximum(np.asarray(hi, dtype=np.int64) + self._lead, lo)
        low = self.cumulative[region, lo]
        high = self.cumulative[region, hi + 1]
        frac = rng.random(len(lo)) if at is None else np.clip(at, 0.0, 1.0 - 1e-9)
        u = low + frac * (high - low) + self._span * region
        row = self.cumulative.shape[1]
        pos = np.searchsorted(self._flat, u, side="right") - 1 - region * row
        return np.clip(pos, lo, hi) - self._lead

    def epoch_day(self, day: np.ndarray) -> np.ndarray:
        """Day numbers of the history as days since 1970-01-01 (what the frames store)."""
        return np.asarray(day, dtype=np.int64) + self.day0

    def year_of(self, day: np.ndarray) -> np.ndarray:
        """The calendar year of each history day."""
        years = self.epoch_day(day).astype("datetime64[D]").astype("datetime64[Y]")
        return years.astype(int) + 1970

    def month_of(self, day: np.ndarray) -> np.ndarray:
        """Months since 1970-01 of each history day."""
        return self.epoch_day(day).astype("datetime64[D]").astype("datetime64[M]").astype(int)

    def day_of(self, date: dt.date) -> int:
        """The history day number of ``date``."""
        return (date - self.start).days


def office_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Times of day during office hours, in seconds after midnight UTC."""
    return OFFICE_START + rng.integers(0, OFFICE_SECONDS, n)


def _window(lo: int, hi: int, days: int) -> slice:
    return slice(min(max(lo, 0), days), min(max(hi, 0), days))
