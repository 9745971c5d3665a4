"""How many seeds a study needs to separate the best configuration from the runner-up.

From a pilot study: d = |mean(best) − mean(runner-up)| / s, with s the pooled standard deviation of the
two configurations (ddof=1), and ``statsmodels.stats.power.TTestIndPower().solve_power`` for the
number of seeds per configuration that a two-sided two-sample t-test needs to reach ``power`` at ``alpha``.

Assumptions, stated in the report: the pilot's difference and standard deviation are the true ones (a
pilot's estimates are noisy, and the best and runner-up were picked because they look best, so the gap
may be overstated); the values are normal with equal variances in both configurations; the seeds are
independent (no pairing credited); one comparison. Against every other configuration with Holm's
correction, the conservative Bonferroni level α/(k − 1) is also given.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace

import numpy as np
from statsmodels.stats.power import TTestIndPower

from sweepstat.analysis._compare import best_config_id
from sweepstat.analysis._summary import ConfigStats

MAX_SEEDS = 100_000
ASSUMPTIONS = (
    "two-sided two-sample t-test; the pilot's difference of means and pooled standard deviation taken as the "
    "true ones (the runner-up gap of a pilot is a noisy, possibly optimistic estimate); normal values with "
    "equal variances; independent seeds"
)


@dataclass(frozen=True)
class SeedsNeeded:
    """Seeds per configuration needed; ``n_seeds`` is None when it cannot be computed (``reason``)."""

    metric: str
    statistic: str
    alpha: float
    power: float
    best: str | None = None
    runner_up: str | None = None
    difference: float | None = None
    pooled_sd: float | None = None
    effect_size: float | None = None
    n_pilot: tuple[int, int] = (0, 0)
    n_seeds: int | None = None
    n_comparisons: int = 1
    n_seeds_all: int | None = None  # at α / n_comparisons (Bonferroni), for the whole best set
    assumptions: str = ASSUMPTIONS
    reason: str = ""


def _solve(d: float, alpha: float, power: float) -> int | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            n = TTestIndPower().solve_power(effect_size=d, alpha=alpha, power=power, ratio=1.0)
        except (ValueError, RuntimeError):
            return None
    n = float(np.asarray(n).reshape(-1)[0])
    if not math.isfinite(n) or n > MAX_SEEDS:
        return None
    return max(2, math.ceil(n - 1e-9))


def seeds_needed(
    stats_: ConfigStats, statistic: str = "mean", *, alpha: float = 0.05, power: float = 0.8
) -> SeedsNeeded:
    """Seeds per configuration to separate the best (by ``statistic``) from the runner-up."""
    base = SeedsNeeded(stats_.metric, statistic, alpha, power)
    best, _ = best_config_id(stats_, statistic)
    table = stats_.table[np.isfinite(stats_.table[statistic].to_numpy(dtype=float))]
    if best is None or len(table) < 2:
        why = "no configuration has a value" if best is None else "a single configuration: no runner-up"
        return replace(base, best=best, reason=f"cannot estimate: {why}")
    order = table.sort_values(statistic, ascending=stats_.direction == "minimize", kind="stable")
    runner = str(order[order["config_id"].astype(str) != best]["config_id"].iloc[0])
    values = stats_.values.by_config()
    x, y = values[best], values[runner]
    diff = float(abs(x.mean() - y.mean()))
    base = replace(
        base,
        best=best,
        runner_up=runner,
        n_pilot=(x.size, y.size),
        n_comparisons=len(table) - 1,
        difference=diff,
    )
    if x.size < 2 or y.size < 2:
        return replace(base, reason="cannot estimate: one seed per configuration (no standard deviation)")
    sd = float(np.sqrt(((x.size - 1) * x.var(ddof=1) + (y.size - 1) * y.var(ddof=1)) / (x.size + y.size - 2)))
    base = replace(base, pooled_sd=sd)
    if sd <= 1e-12 * max(1.0, abs(float(x.mean()))):
        return replace(base, reason="cannot estimate: no spread between seeds")
    if diff == 0:
        return replace(
            base,
            effect_size=0.0,
            reason="cannot estimate: the best and the runner-up have the same mean; no number of seeds separates them",
        )
    d = diff / sd
    n = _solve(d, alpha, power)
    reason = "" if n is not None else f"more than {MAX_SEEDS:,} seeds per configuration"
    return replace(
        base,
        effect_size=d,
        n_seeds=n,
        n_seeds_all=_solve(d, alpha / max(1, len(table) - 1), power),
        reason=reason,
    )
