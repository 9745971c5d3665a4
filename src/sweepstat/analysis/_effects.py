"""One-at-a-time effects: the metric at each level of one factor, the other factors marginalised.

The marginal mean at a level is the average of the means of the configurations at that level (each
configuration weighs the same, whatever its number of runs: an estimated marginal mean of the cell-means
model). Its interval resamples each configuration's runs (percentile bootstrap, seeded).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sweepstat.analysis._bootstrap import check_bootstrap, generator, percentile_interval
from sweepstat.analysis._labels import sorted_levels
from sweepstat.analysis._values import RunValues


@dataclass(frozen=True)
class FactorEffect:
    """``table``: one row per level (ascending) with ``level``, ``n_configs`` (with a value), ``n_runs``,
    ``mean``, ``low``, ``high`` (NaN where absent; ``note`` per row says why)."""

    factor: str
    metric: str
    confidence: float
    table: pd.DataFrame
    reason: str = ""


def factor_effects(
    values: RunValues, *, confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0
) -> dict[str, FactorEffect]:
    """The marginal effect of every factor on ``values`` (see the module docstring)."""
    check_bootstrap(confidence, n_resamples, "factor_effects")
    out = {}
    by_config = values.by_config()
    configs = list(by_config.items())
    levels_of = values.counts.set_index("config_id")
    rng = generator(seed, "effects", values.metric)
    # Resampled mean of every configuration with a value: (C, B), drawn once and shared by all factors.
    draws = {
        cid: x[rng.integers(0, x.size, size=(n_resamples, x.size))].mean(axis=1)
        for cid, x in configs
        if x.size
    }
    for factor in values.factors:
        rows = []
        for level in sorted_levels(levels_of[factor]) if len(levels_of) else []:
            ids = [cid for cid, x in configs if x.size and levels_of.loc[cid, factor] == level]
            n_runs = int(sum(by_config[c].size for c in ids))
            row: dict[str, object] = {"level": level, "n_configs": len(ids), "n_runs": n_runs}
            if not ids:
                row.update(mean=np.nan, low=np.nan, high=np.nan, note="no value")
            else:
                mean = float(np.mean([by_config[c].mean() for c in ids]))
                ci = percentile_interval(np.mean([draws[c] for c in ids], axis=0), confidence)
                single = all(by_config[c].size < 2 for c in ids)
                if single or ci is None:
                    row.update(
                        mean=mean, low=np.nan, high=np.nan, note="one run per configuration: no interval"
                    )
                else:
                    row.update(mean=mean, low=ci[0], high=ci[1], note="")
            rows.append(row)
        table = pd.DataFrame(rows, columns=["level", "n_configs", "n_runs", "mean", "low", "high", "note"])
        reason = "" if table["mean"].notna().any() else f"no run has a {values.metric}"
        out[factor] = FactorEffect(factor, values.metric, confidence, table, reason)
    return out
