"""Per configuration: every aggregate of one metric with its bootstrap interval, and its divergence rate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from sweepstat.analysis._aggregate import aggregate, check_statistic
from sweepstat.analysis._bootstrap import (
    CI_METHOD,
    CI_STATISTICS,
    bootstrap_intervals,
    check_bootstrap,
    generator,
)
from sweepstat.analysis._checks import Direction
from sweepstat.analysis._labels import sorted_levels
from sweepstat.analysis._values import Penalty, RunValues, run_values


@dataclass(frozen=True)
class ConfigStats:
    """Every aggregate of ``metric`` per configuration, with ``confidence`` intervals.

    ``table``: one row per configuration, sorted by the factors, with ``config_id``, the factors,
    ``n_runs``, ``n_complete``, ``n_diverged``, ``n_failed``, ``n_missing``, ``n`` (values used: complete
    runs with a value, plus diverged runs when they are counted as worst or penalty), ``n_imputed``,
    ``divergence_rate`` with ``divergence_lo``/``divergence_hi`` (Wilson interval; the rate is
    n_diverged / (n_complete + n_diverged)); then for each of mean, sd, median, iqm, paper_trimmed,
    trimmed: ``<s>``, ``<s>_lo``, ``<s>_hi`` (percentile bootstrap, resampling the configuration's
    values); ``paper_trimmed_n_dropped``, ``trimmed_n_dropped``, ``iqm_n_dropped``; and ``note`` (why a
    value or interval is missing, or ""). A value is NaN exactly when the note says it cannot exist.
    """

    metric: str
    direction: Direction
    factors: tuple[str, ...]
    trim: float
    confidence: float
    n_resamples: int
    seed: int
    method: str
    values: RunValues
    table: pd.DataFrame


def config_stats(
    runs: pd.DataFrame,
    factors: Sequence[str],
    metric: str,
    *,
    direction: str | None = None,
    diverged: str = "exclude",
    penalty: Penalty = None,
    trim: float = 0.1,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> ConfigStats:
    """Aggregates of ``metric`` per configuration with seeded percentile bootstrap intervals.

    Diverged runs enter as ``diverged`` says (see `run_values`). The same ``seed`` gives the same
    intervals; each configuration's generator is seeded from (seed, config_id, metric).
    """
    check_statistic("mean", trim, "config_stats")
    check_bootstrap(confidence, n_resamples, "config_stats")
    values = run_values(runs, metric, factors, direction=direction, diverged=diverged, penalty=penalty)
    by_config = values.by_config()
    rows = []
    for _, c in values.counts.iterrows():
        cid = str(c["config_id"])
        x = by_config[cid]
        row: dict[str, object] = c.to_dict()
        row["n"] = int(row.pop("n_values"))  # type: ignore[call-overload]
        settled = int(c["n_complete"]) + int(c["n_diverged"])
        if settled:
            lo, hi = proportion_confint(int(c["n_diverged"]), settled, alpha=1 - confidence, method="wilson")
            row.update(divergence_rate=int(c["n_diverged"]) / settled, divergence_lo=lo, divergence_hi=hi)
        else:
            row.update(divergence_rate=np.nan, divergence_lo=np.nan, divergence_hi=np.nan)
        intervals = bootstrap_intervals(
            x,
            CI_STATISTICS,
            trim=trim,
            confidence=confidence,
            n_resamples=n_resamples,
            rng=generator(seed, cid, metric),
        )
        for s, iv in intervals.items():
            row[s] = np.nan if iv.value is None else iv.value
            row[f"{s}_lo"] = np.nan if iv.low is None else iv.low
            row[f"{s}_hi"] = np.nan if iv.high is None else iv.high
        for s in ("iqm", "paper_trimmed", "trimmed"):
            row[f"{s}_n_dropped"] = aggregate(x, s, trim).n_dropped
        row["note"] = _note(c, x.size)
        rows.append(row)
    columns = [
        "config_id", *values.factors, "n_runs", "n_complete", "n_diverged", "n_failed", "n_missing", "n",
        "n_imputed", "divergence_rate", "divergence_lo", "divergence_hi",
        *(f"{s}{part}" for s in CI_STATISTICS for part in ("", "_lo", "_hi")),
        "iqm_n_dropped", "paper_trimmed_n_dropped", "trimmed_n_dropped", "note",
    ]  # fmt: skip
    table = pd.DataFrame(rows, columns=columns)
    if values.factors and len(table):
        keys = {f: {v: i for i, v in enumerate(sorted_levels(table[f]))} for f in values.factors}
        order = sorted(
            range(len(table)), key=lambda i: tuple(keys[f][table[f].iloc[i]] for f in values.factors)
        )
        table = table.iloc[order].reset_index(drop=True)
    return ConfigStats(
        metric=metric,
        direction=values.direction,
        factors=values.factors,
        trim=float(trim),
        confidence=float(confidence),
        n_resamples=n_resamples,
        seed=seed,
        method=CI_METHOD,
        values=values,
        table=table,
    )


def _note(c: pd.Series, n: int) -> str:
    if n == 0:
        lost = [
            f"{c[k]} {w}"
            for k, w in (("n_diverged", "diverged"), ("n_failed", "failed"), ("n_missing", "without a value"))
            if c[k]
        ]
        return "no value: nothing to aggregate" + (f" ({', '.join(lost)})" if lost else "")
    if n == 1:
        return "one value: no standard deviation and no interval"
    return ""
