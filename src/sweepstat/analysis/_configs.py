"""Table 1 (one row per configuration), the best configuration, and the spread of a metric over them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from sweepstat.analysis._aggregate import aggregate, check_statistic
from sweepstat.analysis._checks import (
    COMPLETE,
    DIVERGED,
    FAILED,
    AnalysisError,
    check_columns,
    check_direction,
)
from sweepstat.analysis._labels import sorted_levels
from sweepstat.analysis._values import Penalty, check_treatment, run_values
from sweepstat.errors import Problem

NO_COMPLETE_RUN = "no complete run"


def config_table(
    runs: pd.DataFrame,
    factors: Sequence[str],
    statistic: str,
    trim: float = 0.1,
    *,
    metrics: Sequence[str] = ("test_loss", "test_accuracy"),
    diverged: str = "exclude",
    penalty: Penalty = None,
) -> pd.DataFrame:
    """Table 1: one row per configuration, its run counts and the aggregate of each metric.

    Each metric is aggregated on its own over the configuration's COMPLETE runs (in ``run_id`` order) with
    ``aggregate(values, statistic, trim)``: a trimmed statistic may drop different runs for loss and for
    accuracy. DIVERGED runs are treated as ``diverged`` says (`run_values`: ``"exclude"``; ``"worst"``,
    the worst finite value of the metric over the study's complete runs; ``"penalty"``, the value
    ``penalty`` gives, a number or a mapping by metric) and counted either way. FAILED runs are left out
    of every aggregate and counted; other states (a RUNNING run of a live study) count in ``n_runs`` only.
    A COMPLETE run without a finite value of a metric is left out of that metric.

    Columns: ``config_id``, the factors, ``n_runs``, ``n_complete``, ``n_diverged``, ``n_failed``,
    ``divergence_rate`` (n_diverged / (n_complete + n_diverged); NaN when both are 0), then per
    metric ``<m>`` (the aggregate), ``<m>_std`` (standard deviation, ddof=1, of all the values that
    enter the aggregate, the complete runs' and any diverged runs counted as worst or penalty, before
    any trimming), ``<m>_n_used``, ``<m>_n_dropped``; last ``note``, a statement for the
    report ("no complete run (3 diverged)", "1 complete run: no standard deviation") or "".
    ``<m>`` is NaN exactly when ``<m>_n_used`` is 0, ``<m>_std`` when fewer than 2 values exist; the note
    then says why. Rows are sorted by the factors. ``table.attrs`` records factors, statistic, trim,
    metrics and the diverged treatment for the functions that take this table.
    """
    factors = list(factors)
    metrics = list(metrics)
    check_statistic(statistic, trim, "config_table")
    check_treatment(diverged, penalty, metrics, "config_table")
    check_columns("runs", runs, ["run_id", "config_id", "seed", "state", *factors, *metrics])
    fills = {m: run_values(runs, m, diverged=diverged, penalty=penalty).fill for m in metrics}

    rows = []
    for config_id, group in runs.sort_values("run_id", kind="stable").groupby("config_id", sort=False):
        rows.append(_config_row(str(config_id), group, factors, metrics, statistic, trim, fills))
    columns = ["config_id", *factors, "n_runs", "n_complete", "n_diverged", "n_failed", "divergence_rate"]
    for m in metrics:
        columns += [m, f"{m}_std", f"{m}_n_used", f"{m}_n_dropped"]
    table = pd.DataFrame(rows, columns=[*columns, "note"])
    if factors and len(table):
        # Sort by each factor's ascending levels (numbers as numbers, text as given when mixed).
        keys = {f: {v: i for i, v in enumerate(sorted_levels(table[f]))} for f in factors}
        order = sorted(range(len(table)), key=lambda i: tuple(keys[f][table[f].iloc[i]] for f in factors))
        table = table.iloc[order].reset_index(drop=True)
    table.attrs.update(
        factors=tuple(factors),
        statistic=statistic,
        trim=float(trim),
        metrics=tuple(metrics),
        diverged=diverged,
        fills={m: f for m, f in fills.items() if f is not None},
    )
    return table


def _config_row(
    config_id: str,
    group: pd.DataFrame,
    factors: list[str],
    metrics: list[str],
    statistic: str,
    trim: float,
    fills: dict[str, float | None],
) -> dict[str, object]:
    levels = group[factors].drop_duplicates()
    if factors and len(levels) > 1:
        raise AnalysisError(
            [
                Problem(
                    f"runs (config_id {config_id!r})",
                    "must have one value of each factor per configuration",
                    levels.to_dict("records"),
                    "give each distinct combination of factor values its own config_id",
                )
            ]
        )
    state = group["state"].astype(str)
    complete = group[state == COMPLETE]
    row: dict[str, object] = {"config_id": config_id}
    row.update({f: group[f].iloc[0] for f in factors})
    n_diverged = int((state == DIVERGED).sum())
    row.update(
        n_runs=len(group),
        n_complete=len(complete),
        n_diverged=n_diverged,
        n_failed=int((state == FAILED).sum()),
        divergence_rate=n_diverged / (len(complete) + n_diverged) if len(complete) + n_diverged else np.nan,
    )
    notes = []
    imputed = {m: f for m, f in fills.items() if f is not None and n_diverged}
    if len(complete) == 0:
        lost = [
            f"{row[k]} {word}" for k, word in (("n_diverged", "diverged"), ("n_failed", "failed")) if row[k]
        ]
        notes.append(NO_COMPLETE_RUN + (f" ({', '.join(lost)})" if lost else ""))
    elif len(complete) == 1 and not imputed:
        notes.append("1 complete run: no standard deviation")
    for m, fill in imputed.items():
        notes.append(f"{n_diverged} diverged run(s) counted as {m} = {fill:.4g}")
    is_div = (state == DIVERGED).to_numpy()
    for m in metrics:
        values = complete[m].to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        if 0 < finite.size < values.size:
            notes.append(f"{values.size - finite.size} complete run(s) have no {m}")
        if m in imputed:  # diverged runs take their place in run order
            raw = group[m].to_numpy(dtype=float)
            ok = ((state == COMPLETE).to_numpy() & np.isfinite(raw)) | is_div
            finite = np.where(is_div, imputed[m], raw)[ok]
        result = aggregate(finite, statistic, trim)
        row[m] = np.nan if result.value is None else result.value
        row[f"{m}_std"] = float(np.std(finite, ddof=1)) if finite.size >= 2 else np.nan
        row[f"{m}_n_used"] = result.n_used
        row[f"{m}_n_dropped"] = result.n_dropped
    row["note"] = "; ".join(notes)
    return row


@dataclass(frozen=True)
class BestConfig:
    """The configuration with the best aggregate of ``objective``.

    ``config_id`` and ``value`` are None when no configuration has a value; ``reason`` then says why.
    ``row`` is the configuration's whole Table 1 row. ``ties`` lists every configuration with exactly the
    best value; the first of them in table order is the one chosen.
    """

    objective: str
    direction: str
    config_id: str | None
    value: float | None
    row: Mapping[str, object] = field(default_factory=dict)
    ties: tuple[str, ...] = ()
    reason: str = ""


def best_config(table: pd.DataFrame, objective: str, direction: str) -> BestConfig:
    """The best configuration of a Table 1 by its aggregated ``objective`` (minimize or maximize)."""
    direction = check_direction("best_config.direction", direction)
    check_columns("best_config: table", table, ["config_id", objective])
    values = table[objective].to_numpy(dtype=float)
    finite = np.isfinite(values)
    if not finite.any():
        why = "the table has no configuration" if len(table) == 0 else f"no configuration has a {objective}"
        return BestConfig(objective, direction, None, None, reason=f"{why} ({NO_COMPLETE_RUN})")
    best = np.nanmin(values) if direction == "minimize" else np.nanmax(values)
    hits = np.flatnonzero(finite & (values == best))
    row = table.iloc[int(hits[0])].to_dict()
    return BestConfig(
        objective=objective,
        direction=direction,
        config_id=str(row["config_id"]),
        value=float(best),
        row=row,
        ties=tuple(str(table["config_id"].iloc[int(i)]) for i in hits),
    )


@dataclass(frozen=True)
class SpreadResult:
    """How far apart the best and worst configurations are on one metric.

    Seed 000 quotes both conventions: the loss range as a share of the maximum ("41.9 %") and the
    accuracy range as a share of the minimum ("11.4 %"). Both are given here for any metric, in percent.
    A field is None when it cannot be computed (no values; a zero denominator); ``reason`` says why.
    """

    PCT_OF_MAX_LABEL: ClassVar[str] = "(max − min) / max"
    PCT_OF_MIN_LABEL: ClassVar[str] = "(max − min) / min"

    metric: str
    n_configs: int
    minimum: float | None = None
    maximum: float | None = None
    min_config: str | None = None
    max_config: str | None = None
    pct_of_max: float | None = None
    pct_of_min: float | None = None
    reason: str = ""

    @property
    def range(self) -> float | None:
        return None if self.minimum is None or self.maximum is None else self.maximum - self.minimum


def spread(table: pd.DataFrame, metric: str) -> SpreadResult:
    """Min, max and the range as a percentage of each, over the configurations that have a value."""
    check_columns("spread: table", table, ["config_id", metric])
    values = table[metric].to_numpy(dtype=float)
    ok = np.flatnonzero(np.isfinite(values))
    if ok.size == 0:
        return SpreadResult(metric, 0, reason=f"no configuration has a {metric} ({NO_COMPLETE_RUN})")
    lo = int(ok[np.argmin(values[ok])])
    hi = int(ok[np.argmax(values[ok])])
    vmin, vmax = float(values[lo]), float(values[hi])
    gap = vmax - vmin
    reasons = [f"{name} is 0: no percentage of it" for name, v in (("max", vmax), ("min", vmin)) if v == 0]
    return SpreadResult(
        metric=metric,
        n_configs=int(ok.size),
        minimum=vmin,
        maximum=vmax,
        min_config=str(table["config_id"].iloc[lo]),
        max_config=str(table["config_id"].iloc[hi]),
        pct_of_max=None if vmax == 0 else 100.0 * gap / vmax,
        pct_of_min=None if vmin == 0 else 100.0 * gap / vmin,
        reason="; ".join(reasons),
    )
