"""Figs 8–9: training curves of one configuration, mean and band over its seeds."""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

import numpy as np
import pandas as pd

from sweepstat.analysis._checks import CURVE_METRICS, check_choice, check_columns

BAND_STATS: tuple[str, ...] = ("mean", "sd", "lo", "hi", "min", "max")


def curve_bands(
    curves: pd.DataFrame,
    config_id: str,
    *,
    run_ids: Collection[int] | None = None,
    x: Literal["epoch", "iteration"] = "epoch",
) -> pd.DataFrame:
    """Per epoch (or iteration), the mean of each curve metric over the configuration's runs and its band.

    ``run_ids`` restricts the runs (the report passes the configuration's COMPLETE runs); by default every
    run of ``config_id`` in ``curves`` counts. A run evaluated several times within one epoch contributes
    its last evaluation of that epoch (the end-of-epoch value). NaN and ±inf (a run diverging) are left out
    at that point, so the number of runs may fall along the curve.

    Columns: ``<x>``, ``n_runs`` (runs with a row at that x), then for each metric present among
    train/eval/test loss/accuracy: ``<m>_n`` (finite values), ``<m>_mean``, ``<m>_sd`` (ddof=1; NaN with
    fewer than 2 values), ``<m>_lo`` / ``<m>_hi`` (mean ∓ sd), ``<m>_min`` / ``<m>_max``.
    A configuration without curve rows gives an empty frame with these columns.
    """
    check_choice("curve_bands.x", x, ("epoch", "iteration"))
    check_columns("curves", curves, ["run_id", "config_id", x])
    metrics = [m for m in CURVE_METRICS if m in curves.columns]
    columns = [x, "n_runs"] + [f"{m}_{s}" for m in metrics for s in ("n", *BAND_STATS)]

    rows = curves[curves["config_id"].astype(str) == str(config_id)]
    if run_ids is not None:
        rows = rows[rows["run_id"].isin(list(run_ids))]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    order = ["run_id", x] + (["iteration"] if x == "epoch" and "iteration" in rows.columns else [])
    rows = rows.sort_values(order, kind="stable").drop_duplicates(["run_id", x], keep="last")
    values = rows[metrics].astype(float).replace([np.inf, -np.inf], np.nan)
    values[x] = rows[x].to_numpy()
    grouped = values.groupby(x, sort=True)

    out = pd.DataFrame({x: list(grouped.groups), "n_runs": grouped.size().to_numpy()})
    for m in metrics:
        g = grouped[m]
        mean, sd = g.mean().to_numpy(), g.std(ddof=1).to_numpy()
        out[f"{m}_n"] = g.count().to_numpy()
        out[f"{m}_mean"] = mean
        out[f"{m}_sd"] = sd
        out[f"{m}_lo"] = mean - sd
        out[f"{m}_hi"] = mean + sd
        out[f"{m}_min"] = g.min().to_numpy()
        out[f"{m}_max"] = g.max().to_numpy()
    return out[columns]
