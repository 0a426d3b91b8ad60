"""Dates and timestamps: explicit formats, or detection that never guesses silently.

A column's cells are parsed with, in order:

1. the column's ``format`` or the mapping's ``date_format`` when one is given;
2. ISO 8601 (``2019-03-01``, ``2019-03-01 14:30``, ``2019-03-01T14:30:00+08:00``), always
   accepted, so typed spreadsheet cells (read as ISO text) mix with formatted text;
3. otherwise the one format among :data:`DATE_FORMATS` × :data:`TIME_SUFFIXES` that fits the
   most cells. When several formats fit equally well and read some cell differently (is
   ``03/01/19`` 1 March or 3 January?) the column is *ambiguous*: the import stops and the
   error lists every fitting format.

Work is done once per distinct value (a million order lines have a few thousand dates).
Timestamps without an offset are local times of the configured time zone, stored in UTC.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

DATE_FORMATS = [
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%Y年%m月%d日",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d/%m/%y",
    "%m/%d/%y",
    "%y/%m/%d",
    "%d.%m.%y",
    "%d-%m-%y",
    "%m-%d-%y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b %Y",
    "%b %d, %Y",
    "%d %B %Y",
    "%B %d, %Y",
]
TIME_SUFFIXES = [
    "",
    " %H:%M",
    " %H:%M:%S",
    " %H:%M:%S.%f",
    " %I:%M %p",
    " %I:%M:%S %p",
    "T%H:%M",
    "T%H:%M:%S",
    " %H:%M:%S%z",
    "T%H:%M:%S%z",
]
FORMATS = [d + t for d in DATE_FORMATS for t in TIME_SUFFIXES]

_ISO = re.compile(
    r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
_SAMPLE = 20  # values whose fitting formats pick the candidates


class AmbiguousDates(ValueError):
    """Several formats fit a column and read some value differently."""

    def __init__(self, value: str, readings: dict[str, dt.datetime]) -> None:
        shown = ", ".join(f"{f} ({d:%Y-%m-%d})" for f, d in readings.items())
        super().__init__(
            f"ambiguous dates: {value!r} fits {shown}; set the column's format in the "
            "mapping (format: ...) or date_format"
        )
        self.value = value
        self.formats = list(readings)


@dataclass
class ParsedDates:
    """Parse results, one per input cell: values (datetime64[us], NaT = empty or bad)."""

    values: np.ndarray
    bad: np.ndarray  # bool: a non-empty cell that is not a date
    reason: str  # why bad cells are bad
    format: str | None = None  # the format the non-ISO cells were read with


def _parse(values: list[str], fmt: str) -> pd.Series:
    """Parse with one strftime format; unparsable values become NaT (offsets → UTC)."""
    series = pd.Series(values, dtype="object")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if "%z" in fmt:
            parsed = pd.to_datetime(series, format=fmt, errors="coerce", utc=True)
            return parsed.dt.tz_localize(None)
        return pd.to_datetime(series, format=fmt, errors="coerce")


def _parse_iso(values: list[str], tz: str) -> pd.Series:
    """ISO 8601 text; values with an offset are converted, others are local times."""
    series = pd.Series(values, dtype="object")
    offset = series.str.contains(_OFFSET)
    out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[us]")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if (~offset).any():
            naive = pd.to_datetime(series[~offset], format="ISO8601", errors="coerce")
            out[~offset] = _local_to_utc(naive, tz)
        if offset.any():
            aware = pd.to_datetime(series[offset], format="ISO8601", errors="coerce", utc=True)
            out[offset] = aware.dt.tz_localize(None)
    return out


def _local_to_utc(series: pd.Series, tz: str | None) -> pd.Series:
    if tz is None or series.empty:
        return series
    local = series.dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
    return local.dt.tz_convert("UTC").dt.tz_localize(None)


def fitting_formats(values: list[str]) -> list[str]:
    """Formats (from :data:`FORMATS`) that parse at least one of the first sample values."""
    found: list[str] = []
    for value in values[:_SAMPLE]:
        for fmt in FORMATS:
            if fmt in found:
                continue
            try:
                dt.datetime.strptime(value, fmt)
            except ValueError:
                continue
            found.append(fmt)
    return found


def detect_format(values: list[str]) -> tuple[str | None, pd.Series | None]:
    """The single best format for ``values`` and its parse; raises :class:`AmbiguousDates`."""
    candidates = fitting_formats(values)
    if not candidates:
        return None, None
    parses = {fmt: _parse(values, fmt) for fmt in candidates}
    counts = {fmt: int(p.notna().sum()) for fmt, p in parses.items()}
    best = max(counts.values())
    if best == 0:
        return None, None
    tied = [fmt for fmt in candidates if counts[fmt] == best]
    first = parses[tied[0]]
    for other in tied[1:]:
        differs = (parses[other] != first) & first.notna() & parses[other].notna()
        if differs.any():
            pos = int(np.argmax(differs.to_numpy()))
            readings = {f: parses[f].iloc[pos].to_pydatetime() for f in tied}
            raise AmbiguousDates(values[pos], readings)
    return tied[0], first


def parse_dates(
    array: pa.Array,
    *,
    fmt: str | None,
    timezone: str | None,
    with_time: bool,
    detected: str | None = None,
) -> ParsedDates:
    """Parse a text column; ``timezone`` (for timestamps) is where naive values are local.

    ``detected`` is the format detected in an earlier batch of the same column: it is used
    as found there (a column has one format, however many batches it is read in)."""
    encoded = pc.dictionary_encode(array)
    uniques: list[str] = encoded.dictionary.to_pylist()
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    tz = timezone if with_time else None
    result = pd.Series(pd.NaT, index=range(len(uniques)), dtype="datetime64[us]")
    reason = "not a date"
    if uniques:
        iso = np.array([bool(_ISO.match(v)) for v in uniques])
        if iso.any():
            iso_values = [v for v, m in zip(uniques, iso, strict=True) if m]
            parsed_iso = _parse_iso(iso_values, tz or "UTC")
            result[iso] = parsed_iso.to_numpy(dtype="datetime64[us]")
        rest = [v for v, m in zip(uniques, iso, strict=True) if not m]
        rest_index = np.nonzero(~iso)[0]
        if rest:
            if fmt:
                parsed: pd.Series | None = _parse(rest, fmt)
                reason = f"not a date in the format {fmt}"
            elif detected:
                fmt, parsed = detected, _parse(rest, detected)
                reason = f"not a date in the format of the rest of the column ({fmt})"
            else:
                fmt, parsed = detect_format(rest)
                reason = (
                    f"not a date in the format of the rest of the column ({fmt})"
                    if fmt
                    else "not a recognised date; give the column a format in the mapping"
                )
            if parsed is not None:
                if "%z" not in (fmt or ""):
                    parsed = _local_to_utc(parsed, tz)
                result.iloc[rest_index] = parsed.to_numpy(dtype="datetime64[us]")
    per_unique = result.to_numpy(dtype="datetime64[us]")
    null = encoded.indices.is_null().to_numpy(zero_copy_only=False)
    safe = np.where(null, 0, indices).astype(np.int64)
    if len(per_unique):
        values = per_unique[safe]
        values[null] = np.datetime64("NaT")
        bad_unique = np.isnat(per_unique)
        bad = ~null & bad_unique[safe]
    else:
        values = np.full(len(array), np.datetime64("NaT"), dtype="datetime64[us]")
        bad = np.zeros(len(array), dtype=bool)
    return ParsedDates(values, bad, reason, fmt)


def to_arrow(parsed: ParsedDates, *, with_time: bool) -> pa.Array:
    """Arrow ``timestamp[us]`` (with_time) or ``date32`` array of the parsed values."""
    stamps = pa.array(parsed.values, type=pa.timestamp("us"), from_pandas=True)
    if with_time:
        return stamps
    return pc.cast(stamps, pa.date32(), safe=False)  # a date field drops the time of day
