"""The run-level values of one metric that every statistic starts from, with diverged runs treated as asked.

Treatments of a DIVERGED run (its loss became NaN or infinite, so its last metric values say little):

``exclude``
    left out of every statistic; counted, and shown as the configuration's divergence rate.
``worst``
    counted as the worst finite value of the metric over the study's COMPLETE runs (the highest loss,
    the lowest accuracy): a configuration that diverges is as bad as the worst run seen, not missing.
``penalty``
    counted as a value the user states for that metric (e.g. loss 10, accuracy 0.5).

FAILED runs (an exception, out of memory) say nothing about the hyperparameters and are always left out
and counted. A COMPLETE run without a finite value of the metric is left out and counted as missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from sweepstat.analysis._checks import (
    COMPLETE,
    DIVERGED,
    FAILED,
    AnalysisError,
    Direction,
    check_choice,
    check_columns,
    check_direction,
)
from sweepstat.errors import Problem

DivergedTreatment = Literal["exclude", "worst", "penalty"]
DIVERGED_TREATMENTS: tuple[str, ...] = ("exclude", "worst", "penalty")

Penalty = float | Mapping[str, float] | None


def metric_direction(metric: str) -> Direction:
    """Lower is better for a loss, higher for anything else (accuracy)."""
    return "minimize" if metric.endswith("loss") else "maximize"


def penalty_for(penalty: Penalty, metric: str, where: str) -> float:
    """The stated penalty value of one metric: a number for all metrics, or a mapping by metric name."""
    value = penalty.get(metric) if isinstance(penalty, Mapping) else penalty
    if value is None or isinstance(value, bool) or not np.isfinite(float(value)):
        raise AnalysisError(
            [
                Problem(
                    f"{where}.penalty",
                    f"must give a finite value for {metric} when diverged is 'penalty'",
                    penalty,
                    f"e.g. penalty={{'{metric}': {'10.0' if metric.endswith('loss') else '0.5'}}}",
                )
            ]
        )
    return float(value)


def check_treatment(diverged: str, penalty: Penalty, metrics: Sequence[str], where: str) -> None:
    check_choice(f"{where}.diverged", diverged, DIVERGED_TREATMENTS)
    if diverged == "penalty":
        for m in metrics:
            penalty_for(penalty, m, where)


@dataclass(frozen=True)
class RunValues:
    """One metric's value per run that enters the statistics, and the count of what was left out.

    ``frame``: columns ``run_id``, ``config_id``, the factors, ``seed``, ``value`` (finite), ``imputed``
    (True for a diverged run given ``fill``), in ``run_id`` order. ``counts``: one row per configuration
    (in order of first run) with ``config_id``, the factors, ``n_runs``, ``n_complete``, ``n_diverged``,
    ``n_failed``, ``n_missing`` (COMPLETE without a finite value), ``n_values`` (rows in ``frame``),
    ``n_imputed``. ``fill`` is the value diverged runs were given (None for ``exclude``, or when
    ``worst`` found no finite value: they are then excluded and ``notes`` says so).
    """

    metric: str
    direction: Direction
    factors: tuple[str, ...]
    diverged: str
    fill: float | None
    frame: pd.DataFrame
    counts: pd.DataFrame
    notes: tuple[str, ...] = ()

    def by_config(self) -> dict[str, np.ndarray]:
        """config_id → its values in run order (every configuration of ``counts``, possibly empty)."""
        groups = {
            str(k): g["value"].to_numpy(dtype=float) for k, g in self.frame.groupby("config_id", sort=False)
        }
        return {str(c): groups.get(str(c), np.zeros(0)) for c in self.counts["config_id"]}

    def describe_treatment(self) -> str:
        if self.diverged == "exclude" or self.fill is None:
            return "diverged runs excluded"
        how = "the worst finite value of the study" if self.diverged == "worst" else "the stated penalty"
        return f"diverged runs counted as {self.fill:.4g} ({how})"


def run_values(
    runs: pd.DataFrame,
    metric: str,
    factors: Sequence[str] = (),
    *,
    direction: str | None = None,
    diverged: str = "exclude",
    penalty: Penalty = None,
) -> RunValues:
    """The values of ``metric`` that enter the statistics, one per run (see the module docstring).

    ``direction`` (default: from the metric's name) decides which value is "worst".
    """
    factors = tuple(factors)
    d = check_direction("run_values.direction", direction or metric_direction(metric))
    check_treatment(diverged, penalty, [metric], "run_values")
    check_columns("runs", runs, ["run_id", "config_id", "seed", "state", *factors, metric])
    ordered = runs.sort_values("run_id", kind="stable")
    state = ordered["state"].astype(str).to_numpy()
    raw = pd.to_numeric(ordered[metric], errors="coerce").to_numpy(dtype=float)
    finite = np.isfinite(raw)
    complete = (state == COMPLETE) & finite
    is_div = state == DIVERGED
    notes: list[str] = []

    fill: float | None = None
    if diverged == "penalty":
        fill = penalty_for(penalty, metric, "run_values")
    elif diverged == "worst" and is_div.any():
        if complete.any():
            fill = float(raw[complete].max() if d == "minimize" else raw[complete].min())
        else:
            notes.append(
                f"No complete run has a {metric}: diverged runs cannot be given the worst value and are excluded."
            )
    value = np.where(is_div & (fill is not None), fill if fill is not None else np.nan, raw)
    keep = complete | (is_div & (fill is not None))
    frame = pd.DataFrame(
        {
            "run_id": ordered["run_id"].to_numpy(),
            "config_id": ordered["config_id"].astype(str).to_numpy(),
            **{f: ordered[f].to_numpy() for f in factors},
            "seed": ordered["seed"].to_numpy(),
            "value": value,
            "imputed": is_div,
        }
    )[keep].reset_index(drop=True)

    flags = pd.DataFrame(
        {
            "config_id": ordered["config_id"].astype(str).to_numpy(),
            "n_runs": 1,
            "n_complete": state == COMPLETE,
            "n_diverged": is_div,
            "n_failed": state == FAILED,
            "n_missing": (state == COMPLETE) & ~finite,
            "n_values": keep,
            "n_imputed": keep & is_div,
        }
    )
    counts = flags.groupby("config_id", sort=False).sum().astype(int).reset_index()
    first = ordered.assign(config_id=ordered["config_id"].astype(str)).drop_duplicates("config_id")
    for f in reversed(factors):
        counts.insert(1, f, first[f].to_numpy())
    missing = int(counts["n_missing"].sum()) if len(counts) else 0
    if missing:
        notes.append(f"{missing} complete run(s) have no {metric}; they are left out of its statistics.")
    return RunValues(metric, d, factors, diverged, fill, frame, counts, tuple(notes))
