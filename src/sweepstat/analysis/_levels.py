"""Tables 2–4 (the best configuration at each level of a factor) and Figs 10–11 (a metric against a factor)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sweepstat.analysis._checks import (
    AnalysisError,
    check_columns,
    check_direction,
    did_you_mean,
    table_factors,
)
from sweepstat.analysis._configs import NO_COMPLETE_RUN
from sweepstat.analysis._labels import describe, sorted_levels
from sweepstat.errors import Problem


def best_per_level(
    table: pd.DataFrame,
    factors: Sequence[str],
    metric: str | Sequence[str] = ("test_loss", "test_accuracy"),
    direction: str | Sequence[str] = ("minimize", "maximize"),
) -> dict[str, pd.DataFrame]:
    """For each level of each factor, the best aggregate of each metric over the other factors.

    ``metric`` and ``direction`` are one name each or two equal-length sequences (the default gives seed
    000's Tables 2–4: best loss, minimized, and best accuracy, maximized). Returns ``{factor: frame}``, the
    levels ascending, with columns ``<factor>``, ``n_configs`` (configurations at that level), then per
    metric ``<m>`` (the best aggregate), ``<m>_config`` (its config_id) and ``<m>_at`` (the other factors'
    values, e.g. ``"batch_size=64, embedding_dim=400"``). Ties go to the first configuration in table order.
    A level where no configuration has a value gets NaN, ``""`` and ``"no complete run"``.
    No factors gives an empty dict.
    """
    metrics = (metric,) if isinstance(metric, str) else tuple(metric)
    directions = (direction,) if isinstance(direction, str) else tuple(direction)
    if len(metrics) != len(directions):
        raise AnalysisError(
            [
                Problem(
                    "best_per_level.direction",
                    f"must give one direction per metric ({len(metrics)})",
                    directions,
                    "pass e.g. metric=('test_loss', 'test_accuracy'), direction=('minimize', 'maximize')",
                )
            ]
        )
    directions = tuple(check_direction("best_per_level.direction", d) for d in directions)
    factors = list(factors)
    check_columns("best_per_level: table", table, ["config_id", *factors, *metrics])
    result = {}
    for factor in factors:
        others = [f for f in factors if f != factor]
        rows = []
        for level in sorted_levels(table[factor]):
            at_level = table[table[factor] == level]
            row: dict[str, object] = {factor: level, "n_configs": len(at_level)}
            for m, d in zip(metrics, directions, strict=True):
                values = at_level[m].to_numpy(dtype=float)
                if not np.isfinite(values).any():
                    row.update({m: np.nan, f"{m}_config": "", f"{m}_at": NO_COMPLETE_RUN})
                    continue
                i = int(np.nanargmin(values) if d == "minimize" else np.nanargmax(values))
                best = at_level.iloc[i]
                row.update(
                    {
                        m: float(values[i]),
                        f"{m}_config": str(best["config_id"]),
                        f"{m}_at": describe(best, others),
                    }
                )
            rows.append(row)
        columns = [factor, "n_configs"] + [c for m in metrics for c in (m, f"{m}_config", f"{m}_at")]
        result[factor] = pd.DataFrame(rows, columns=columns)
    return result


def factor_lines(
    table: pd.DataFrame, factor: str, metric: str, *, factors: Sequence[str] | None = None
) -> pd.DataFrame:
    """A metric against one factor, one line per combination of the other factors (seed 000 Figs 10–11).

    ``factors`` defaults to the ones `config_table` recorded in ``table.attrs``. Columns: ``line`` (the
    other factors' values, e.g. ``"units=16, batch_size=32"``, or ``"all configurations"`` when the factor
    is the only one), the other factors, ``<factor>`` (x), ``level_index`` (position of x among the
    factor's ascending levels, for a categorical axis), ``<metric>`` (y; NaN where the configuration has no
    complete run, drawn as a gap) and ``config_id``. Lines come in table order (by the other factors),
    each sorted by x.
    """
    names = table_factors(table, factors, "factor_lines")
    if factor not in names:
        raise AnalysisError(
            [
                Problem(
                    "factor_lines.factor",
                    "must be one of the table's factors",
                    factor,
                    did_you_mean(factor, names),
                )
            ]
        )
    check_columns("factor_lines: table", table, ["config_id", metric])
    others = [f for f in names if f != factor]
    levels = sorted_levels(table[factor])
    out = pd.DataFrame(
        {
            "line": [describe(r, others) or "all configurations" for _, r in table.iterrows()],
            **{f: table[f].to_numpy() for f in others},
            factor: table[factor].to_numpy(),
            "level_index": [levels.index(v) for v in table[factor]],
            metric: table[metric].to_numpy(dtype=float),
            "config_id": table["config_id"].astype(str).to_numpy(),
        }
    )
    line_order = {name: i for i, name in enumerate(dict.fromkeys(out["line"]))}  # table order of lines
    out["_line"] = out["line"].map(line_order)
    out = out.sort_values(["_line", "level_index"], kind="stable").drop(columns="_line")
    return out.reset_index(drop=True)
