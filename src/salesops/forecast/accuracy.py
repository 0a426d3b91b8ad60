"""How good forecasts were: plain functions on plain numbers, tested by hand.

* WAPE (weighted absolute percentage error) = sum |forecast - actual| / sum |actual|:
  one number over many periods that big periods weigh more in, and that is defined when
  one period's actual is 0.
* Bias = sum (forecast - actual) / sum |actual|: positive means forecasts ran high.
* Interval coverage = share of actuals inside [low, high] (an 80 % range should hold ~0.8).
* Brier score = mean (p - outcome)^2 over deals, outcome 1 won, 0 lost; lower is better.
* Reliability: deals binned by forecast probability; per bin the mean probability, the share
  actually won and the count (the points of a reliability curve).
"""

from __future__ import annotations

from collections.abc import Sequence


def _pairs(forecast: Sequence[float], actual: Sequence[float]) -> list[tuple[float, float]]:
    if len(forecast) != len(actual):
        raise ValueError("forecast and actual need the same length")
    return [(float(f), float(a)) for f, a in zip(forecast, actual, strict=False)]


def wape(forecast: Sequence[float], actual: Sequence[float]) -> float | None:
    """Sum of absolute errors over sum of absolute actuals; None when the actuals sum to 0."""
    pairs = _pairs(forecast, actual)
    total = sum(abs(a) for _, a in pairs)
    if total == 0:
        return None
    return sum(abs(f - a) for f, a in pairs) / total


def bias(forecast: Sequence[float], actual: Sequence[float]) -> float | None:
    """Sum of signed errors (forecast - actual) over sum of absolute actuals."""
    pairs = _pairs(forecast, actual)
    total = sum(abs(a) for _, a in pairs)
    if total == 0:
        return None
    return sum(f - a for f, a in pairs) / total


def coverage(low: Sequence[float], high: Sequence[float], actual: Sequence[float]) -> float | None:
    """Share of actuals within [low, high] (inclusive); None without any."""
    if not (len(low) == len(high) == len(actual)):
        raise ValueError("low, high and actual need the same length")
    if not actual:
        return None
    inside = sum(1 for lo, hi, a in zip(low, high, actual, strict=False) if lo <= a <= hi)
    return inside / len(actual)


def brier(probabilities: Sequence[float], outcomes: Sequence[int]) -> float | None:
    """Mean squared difference between probability and outcome (1 won, 0 lost)."""
    if len(probabilities) != len(outcomes):
        raise ValueError("probabilities and outcomes need the same length")
    if not outcomes:
        return None
    return sum(
        (float(p) - int(o)) ** 2 for p, o in zip(probabilities, outcomes, strict=False)
    ) / len(outcomes)


def reliability(
    probabilities: Sequence[float], outcomes: Sequence[int], bins: int = 10
) -> list[dict[str, float]]:
    """Per probability bin [i/bins, (i+1)/bins) (the last bin includes 1): ``low``, ``high``,
    ``mean_p``, ``won_share`` and ``count``; empty bins are left out."""
    if len(probabilities) != len(outcomes):
        raise ValueError("probabilities and outcomes need the same length")
    sums = [[0.0, 0.0, 0] for _ in range(bins)]
    for p, o in zip(probabilities, outcomes, strict=False):
        i = min(int(float(p) * bins), bins - 1)
        i = max(i, 0)
        sums[i][0] += float(p)
        sums[i][1] += int(o)
        sums[i][2] += 1
    out = []
    for i, (sp, so, n) in enumerate(sums):
        if n:
            out.append(
                {
                    "low": i / bins,
                    "high": (i + 1) / bins,
                    "mean_p": sp / n,
                    "won_share": so / n,
                    "count": float(n),
                }
            )
    return out
