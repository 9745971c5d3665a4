"""One number per configuration from the values of its runs: mean, median, interquartile mean, two trimmed means.

The statistics (``trim`` is the fraction, 0 ≤ trim < 0.5; n is the number of values):

``mean``
    The arithmetic mean of all n values.
``median``
    The median of all n values (the mean of the two middle ones when n is even).
``paper_trimmed``
    Seed 000's rule, "drop the runs that lie furthest outside the spread, judged by standard deviation":

    1. m = mean of all n values, s = standard deviation of all n values with ddof=1;
    2. each value's distance z_i = |x_i − m| / s, rounded to 12 decimals so that distances equal up to
       floating-point noise count as ties;
    3. k = ⌊trim·n + ½⌋ (round half up: 50 runs at 0.1 drop 5; 25 runs drop 3, not Python's round() 2);
    4. the k values with the largest z are dropped; among equal z the earlier value (in the order given,
       which `config_table` makes run order, i.e. ascending ``run_id``) is dropped first;
    5. the result is the mean of the n − k values left. One pass: m and s are not recomputed.

    When n = 1 or s = 0 nothing is dropped (no value lies outside the spread). The dropping is
    one-sided by nature: it removes whichever tail is further out, unlike a symmetric trimmed mean.
``iqm``
    The interquartile mean, ``scipy.stats.trim_mean(values, 0.25)``: sort, cut ⌊n/4⌋ values from each end,
    average the middle half (Agarwal et al. 2021 recommend it for few, noisy runs). ``trim`` is not used.
``trimmed``
    The plain symmetric trimmed mean, ``scipy.stats.trim_mean(values, trim)``: sort, cut ⌊trim·n⌋ values
    from each end, average the rest. Among equal values, the earlier ones count as the lower.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from sweepstat.analysis._checks import AnalysisError, check_choice
from sweepstat.errors import Problem

STATISTICS: tuple[str, ...] = ("mean", "median", "iqm", "paper_trimmed", "trimmed")
IQM_TRIM = 0.25  # the interquartile mean cuts a quarter from each end

NO_VALUES = "no values"


@dataclass(frozen=True)
class AggregateResult:
    """One aggregate and how it was reached.

    ``value`` is None exactly when there were no values to aggregate; ``reason`` then says so.
    ``dropped`` holds the positions (in the input order) of the values the statistic left out.
    """

    statistic: str
    trim: float
    value: float | None
    n_used: int
    n_dropped: int
    dropped: tuple[int, ...] = ()
    reason: str = ""

    @property
    def n(self) -> int:
        return self.n_used + self.n_dropped


def _drop_none(x: np.ndarray, trim: float) -> np.ndarray:
    return np.zeros(0, dtype=np.intp)


def _drop_paper(x: np.ndarray, trim: float) -> np.ndarray:
    n = x.size
    k = math.floor(trim * n + 0.5 + 1e-9)  # half up; the epsilon keeps 0.1·25 = 2.5000… from flipping
    if n < 2 or k == 0:
        return np.zeros(0, dtype=np.intp)
    s = float(np.std(x, ddof=1))
    if s == 0.0:
        return np.zeros(0, dtype=np.intp)
    z = np.round(np.abs(x - x.mean()) / s, 12)
    order = np.argsort(-z, kind="stable")  # largest distance first; stable keeps earlier values first
    return np.sort(order[:k])


def _drop_symmetric(x: np.ndarray, trim: float) -> np.ndarray:
    g = int(trim * x.size)  # scipy's trim_mean cuts int(proportiontocut * nobs) from each end
    if g == 0:
        return np.zeros(0, dtype=np.intp)
    order = np.argsort(x, kind="stable")
    return np.sort(np.concatenate([order[:g], order[-g:]]))


def _drop_quartiles(x: np.ndarray, trim: float) -> np.ndarray:
    return _drop_symmetric(x, IQM_TRIM)


def _mean(x: np.ndarray, keep: np.ndarray, trim: float) -> float:
    return float(x.mean())


def _median(x: np.ndarray, keep: np.ndarray, trim: float) -> float:
    return float(np.median(x))


def _mean_kept(x: np.ndarray, keep: np.ndarray, trim: float) -> float:
    return float(x[keep].mean())


def _trim_mean(x: np.ndarray, keep: np.ndarray, trim: float) -> float:
    return float(stats.trim_mean(x, trim))  # scipy's own value; _drop_symmetric only reports which runs


def _iqm(x: np.ndarray, keep: np.ndarray, trim: float) -> float:
    return float(stats.trim_mean(x, IQM_TRIM))


_Drop = Callable[[np.ndarray, float], np.ndarray]
_Value = Callable[[np.ndarray, np.ndarray, float], float]

# statistic → (positions it drops, its value from all values and the mask of kept ones)
_RULES: dict[str, tuple[_Drop, _Value]] = {
    "mean": (_drop_none, _mean),
    "median": (_drop_none, _median),
    "iqm": (_drop_quartiles, _iqm),
    "paper_trimmed": (_drop_paper, _mean_kept),
    "trimmed": (_drop_symmetric, _trim_mean),
}


def check_statistic(statistic: str, trim: float, where: str = "aggregate") -> None:
    """Raise if the statistic is unknown or the trim fraction is outside [0, 0.5)."""
    check_choice(f"{where}.statistic", statistic, STATISTICS)
    if not (isinstance(trim, int | float) and 0.0 <= float(trim) < 0.5):
        raise AnalysisError(
            [Problem(f"{where}.trim", "must be ≥ 0 and < 0.5", trim, "use a fraction such as 0.1 (10 %)")]
        )


def aggregate(values: np.ndarray, statistic: str, trim: float = 0.1) -> AggregateResult:
    """Aggregate the finite values of one configuration's runs (see the module docstring for each rule).

    ``values``: 1-D, finite (leave diverged and failed runs out before calling). ``trim`` is used by
    ``paper_trimmed`` and ``trimmed`` only. No values gives ``value=None`` and ``reason="no values"``.
    """
    check_statistic(statistic, trim)
    x = np.asarray(values, dtype=float)
    if x.ndim != 1:
        raise AnalysisError([Problem("aggregate.values", "must be 1-D", x.shape, "pass one value per run")])
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        raise AnalysisError(
            [
                Problem(
                    "aggregate.values",
                    "must be finite",
                    f"NaN or inf at positions {bad.tolist()}",
                    "leave diverged and failed runs out (config_table does)",
                )
            ]
        )
    if x.size == 0:
        return AggregateResult(statistic, float(trim), None, 0, 0, (), NO_VALUES)
    drop_rule, value_rule = _RULES[statistic]
    dropped = drop_rule(x, float(trim))
    keep = np.ones(x.size, dtype=bool)
    keep[dropped] = False
    value = value_rule(x, keep, float(trim))
    return AggregateResult(
        statistic=statistic,
        trim=float(trim),
        value=value,
        n_used=int(keep.sum()),
        n_dropped=int(dropped.size),
        dropped=tuple(int(i) for i in dropped),
    )


def describe_statistic(statistic: str, trim: float) -> str:
    """One sentence stating the rule exactly, for reports."""
    check_statistic(statistic, trim)
    if statistic == "mean":
        return "mean of the complete runs"
    if statistic == "median":
        return "median of the complete runs"
    if statistic == "iqm":
        return (
            "interquartile mean (scipy.stats.trim_mean at 0.25): ⌊n/4⌋ runs cut from each end of the sorted "
            "values, the middle half averaged"
        )
    if statistic == "paper_trimmed":
        return (
            f"seed 000's trimmed mean: with m and s the mean and standard deviation (ddof=1) of all n complete "
            f"runs, the ⌊{trim:g}·n + ½⌋ runs with the largest |x − m| / s are dropped (ties: the earlier "
            f"run first; nothing when n = 1 or s = 0) and the rest are averaged"
        )
    return (
        f"symmetric trimmed mean (scipy.stats.trim_mean): ⌊{trim:g}·n⌋ runs cut from each end of the "
        f"sorted values, the rest averaged"
    )
