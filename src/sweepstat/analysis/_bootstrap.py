"""Seeded percentile bootstrap: the statistics computed along an axis, and their confidence intervals.

Why the percentile method and not BCa: the intervals here are for the median, the interquartile mean and
two trimmed means as well as the mean, over as few as 2–5 seeds. BCa's acceleration comes from a
jackknife, which is unreliable for such non-smooth statistics (it is inconsistent for the median), and
with a handful of seeds or tied values the bootstrap distribution is often degenerate, where scipy's BCa
returns NaN with a warning. The percentile interval always exists, stays inside the range of the data
and is the same rule for every statistic. Its known cost: with few values it is too narrow (at n = 10 a
nominal 95 % interval for a normal mean covers about 91–93 %); the report says so and
tests/analysis/test_bootstrap.py measures it.

Every interval is reproducible: its random generator is seeded from (seed, configuration id, metric), so
one configuration's interval does not change when other configurations are added or removed.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from sweepstat.analysis._aggregate import IQM_TRIM, check_statistic
from sweepstat.analysis._checks import AnalysisError
from sweepstat.errors import Problem

# The statistics a configuration's values get an interval for, in table order.
CI_STATISTICS: tuple[str, ...] = ("mean", "sd", "median", "iqm", "paper_trimmed", "trimmed")
CI_METHOD = "percentile"


def statistic_along(x: np.ndarray, statistic: str, trim: float = 0.1) -> np.ndarray:
    """A statistic of each row of ``x`` (shape (..., n)), the same rule as `aggregate` row by row.

    ``sd`` (ddof=1) is accepted too. Returns shape (...). NaN where the statistic does not exist
    (``sd`` of one value, anything of zero values).
    """
    x = np.asarray(x, dtype=float)
    n = x.shape[-1]
    if n == 0:
        return np.full(x.shape[:-1], np.nan)
    if statistic == "sd":
        return np.std(x, axis=-1, ddof=1) if n > 1 else np.full(x.shape[:-1], np.nan)
    check_statistic(statistic, trim)
    if statistic == "mean":
        return x.mean(axis=-1)
    if statistic == "median":
        return np.median(x, axis=-1)
    if statistic == "iqm":
        return np.asarray(stats.trim_mean(x, IQM_TRIM, axis=-1))
    if statistic == "trimmed":
        return np.asarray(stats.trim_mean(x, trim, axis=-1))
    return _paper_trimmed_along(x, trim)


def _paper_trimmed_along(x: np.ndarray, trim: float) -> np.ndarray:
    """Seed 000's one-pass rule (see `_aggregate`), vectorised: same drops, same tie order, per row."""
    n = x.shape[-1]
    k = math.floor(trim * n + 0.5 + 1e-9)
    if n < 2 or k == 0:
        return x.mean(axis=-1)
    m = x.mean(axis=-1, keepdims=True)
    s = np.std(x, axis=-1, ddof=1, keepdims=True)
    flat = s == 0.0  # no spread: nothing is dropped
    z = np.round(np.abs(x - m) / np.where(flat, 1.0, s), 12)
    order = np.argsort(-z, axis=-1, kind="stable")  # largest distance first, earlier value first on ties
    keep = np.ones(x.shape, dtype=bool)
    np.put_along_axis(keep, order[..., :k], False, axis=-1)
    keep |= flat
    return (x * keep).sum(axis=-1) / keep.sum(axis=-1)


def generator(seed: int, *keys: str) -> np.random.Generator:
    """A generator that depends only on ``seed`` and the given names (stable across runs and platforms)."""
    return np.random.default_rng([int(seed), *(zlib.crc32(k.encode("utf-8")) for k in keys)])


@dataclass(frozen=True)
class Interval:
    """A point estimate and its bootstrap interval; ``low``/``high`` are None when there is none (``reason``)."""

    value: float | None
    low: float | None = None
    high: float | None = None
    reason: str = ""


def check_bootstrap(confidence: float, n_resamples: int, where: str) -> None:
    problems = []
    if not (isinstance(confidence, int | float) and 0.5 <= float(confidence) < 1.0):
        problems.append(Problem(f"{where}.confidence", "must be ≥ 0.5 and < 1", confidence, "e.g. 0.95"))
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 100:
        problems.append(Problem(f"{where}.n_resamples", "must be an integer ≥ 100", n_resamples, "e.g. 2000"))
    if problems:
        raise AnalysisError(problems)


def bootstrap_intervals(
    values: np.ndarray,
    statistics: Sequence[str],
    *,
    trim: float = 0.1,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    rng: np.random.Generator,
) -> dict[str, Interval]:
    """Percentile bootstrap intervals of several statistics of one sample, from the same resamples.

    ``values``: 1-D, finite. Uses ``scipy.stats.bootstrap(method="percentile")``. With fewer than two values
    (or fewer than two for ``sd``'s own value) the interval is absent and ``reason`` says why.
    """
    x = np.asarray(values, dtype=float)
    points = {s: statistic_along(x, s, trim) for s in statistics}
    out: dict[str, Interval] = {}
    if x.size < 2:
        why = "no values" if x.size == 0 else "one value: no interval"
        for s in statistics:
            v = float(points[s])
            out[s] = Interval(None if math.isnan(v) else v, reason=why)
        return out
    names = list(statistics)

    def many(sample: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.stack([statistic_along(np.moveaxis(sample, axis, -1), s, trim) for s in names], axis=0)

    result = stats.bootstrap(
        (x,),
        many,
        vectorized=True,
        n_resamples=n_resamples,
        confidence_level=confidence,
        method=CI_METHOD,
        rng=rng,
    )
    low = np.atleast_1d(result.confidence_interval.low)
    high = np.atleast_1d(result.confidence_interval.high)
    for i, s in enumerate(names):
        out[s] = Interval(float(points[s]), float(low[i]), float(high[i]))
    return out


def percentile_interval(draws: np.ndarray, confidence: float) -> tuple[float, float] | None:
    """The percentile interval of bootstrap draws (NaN draws ignored); None when no draw is finite."""
    d = np.asarray(draws, dtype=float)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return None
    tail = 100 * (1 - confidence) / 2
    lo, hi = np.percentile(d, [tail, 100 - tail])
    return float(lo), float(hi)
