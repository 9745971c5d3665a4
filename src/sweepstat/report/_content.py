"""Everything the report shows, computed once from the runs and curves (the renderers only format it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from sweepstat.analysis import (
    COMPLETE,
    DIVERGED,
    FAILED,
    BestConfig,
    SpreadResult,
    StudyAnalysis,
    analyse_study,
    best_config,
    best_per_level,
    config_table,
    curve_bands,
    describe_statistic,
    factor_lines,
    spread,
)
from sweepstat.report._meta import ReportMeta

# Columns of the appendix that lists the runs left out of the aggregates.
LOST_COLUMNS = ("run_id", "config_id", "seed", "state", "diverged_at", "error")


@dataclass(frozen=True)
class ReportContent:
    """The analysis results of one study, ready to render.

    ``table``: Table 1 (`config_table`); ``levels``: Tables 2–4 (`best_per_level`, loss and accuracy);
    ``spreads``: (loss, accuracy); ``bands``: `curve_bands` of the best configuration over its complete
    runs (empty without one), per iteration when runs were evaluated within epochs, else per epoch;
    ``lines``: `factor_lines` per (factor, metric); ``lost_runs``: the runs that did not complete;
    ``notes``: plain statements about what could not be computed, and why.
    """

    meta: ReportMeta
    table: pd.DataFrame
    levels: dict[str, pd.DataFrame]
    spreads: tuple[SpreadResult, SpreadResult]
    best: BestConfig
    bands: pd.DataFrame
    eval_is_test: bool
    lines: dict[tuple[str, str], pd.DataFrame]
    lost_runs: pd.DataFrame
    totals: dict[str, int]
    statistic_rule: str
    notes: tuple[str, ...]
    analysis: StudyAnalysis


def build_content(runs: pd.DataFrame, curves: pd.DataFrame, meta: ReportMeta) -> ReportContent:
    """Run every analysis the report shows. Raises `AnalysisError` for tables that lack columns."""
    loss, accuracy = meta.metrics
    metrics = list(dict.fromkeys([loss, accuracy, meta.objective]))
    factors = list(meta.factors)
    penalty = dict(meta.penalty) or None
    table = config_table(
        runs, factors, meta.statistic, meta.trim, metrics=metrics, diverged=meta.diverged, penalty=penalty
    )
    analysis = analyse_study(runs, factors, meta.objective, meta.direction, meta.settings())
    best = best_config(table, meta.objective, meta.direction)

    bands = pd.DataFrame()
    if best.config_id is not None:
        complete = runs[(runs["config_id"].astype(str) == best.config_id) & (runs["state"] == COMPLETE)]
        bands = curve_bands(curves, best.config_id, run_ids=complete["run_id"].tolist(), x=_curve_axis(curves))

    state = runs["state"].astype(str)
    totals = {
        "configurations": len(table),
        "runs": len(runs),
        "complete": int((state == COMPLETE).sum()),
        "diverged": int((state == DIVERGED).sum()),
        "failed": int((state == FAILED).sum()),
    }
    lost = runs[state != COMPLETE].sort_values("run_id")
    lost = lost[[c for c in LOST_COLUMNS if c in lost.columns]].reset_index(drop=True)

    return ReportContent(
        meta=meta,
        table=table,
        levels=best_per_level(table, factors, (loss, accuracy), ("minimize", "maximize")),
        spreads=(spread(table, loss), spread(table, accuracy)),
        best=best,
        bands=bands,
        eval_is_test=_eval_is_test(curves, runs),
        lines={(f, m): factor_lines(table, f, m) for f in factors for m in (loss, accuracy)},
        lost_runs=lost,
        totals=totals,
        statistic_rule=describe_statistic(meta.statistic, meta.trim),
        notes=_notes(table, totals, best, bands, factors, meta.diverged),
        analysis=analysis,
    )


def _curve_axis(curves: pd.DataFrame) -> Literal["epoch", "iteration"]:
    """``iteration`` when some run was evaluated more than once within an epoch (``train.eval_every``, as
    seed 002 evaluates every 100 iterations), so that a per-epoch curve would drop evaluations; else
    ``epoch``."""
    if "iteration" not in curves.columns or not {"run_id", "epoch"} <= set(curves.columns):
        return "epoch"
    return "iteration" if bool(curves.duplicated(["run_id", "epoch"]).any()) else "epoch"


def _eval_is_test(curves: pd.DataFrame, runs: pd.DataFrame) -> bool:
    """True when the evaluation split is the test set (every eval value equals its test value)."""
    for frame in (curves, runs):
        for kind in ("loss", "accuracy"):
            a, b = f"eval_{kind}", f"test_{kind}"
            if a not in frame.columns or b not in frame.columns:
                continue
            x, y = frame[a].to_numpy(dtype=float), frame[b].to_numpy(dtype=float)
            if not np.array_equal(x, y, equal_nan=True):
                return False
    return True


def _notes(
    table: pd.DataFrame,
    totals: dict[str, int],
    best: BestConfig,
    bands: pd.DataFrame,
    factors: list[str],
    diverged: str,
) -> tuple[str, ...]:
    notes = []
    n_lost = totals["diverged"] + totals["failed"]
    if totals["runs"] == 0:
        notes.append("The study has no runs yet: there is nothing to aggregate.")
    elif totals["complete"] == 0:
        notes.append(
            f"No run completed ({totals['diverged']} diverged, {totals['failed']} failed): no aggregate, best "
            "configuration, spread or training curve can be computed. The runs are listed in Appendix B."
        )
    else:
        if n_lost and (diverged == "exclude" or not totals["diverged"]):
            notes.append(
                f"{totals['diverged']} run(s) diverged and {totals['failed']} failed; they are left out of every "
                "aggregate and listed in Appendix B."
            )
        elif n_lost:
            fills = table.attrs.get("fills", {})
            how = "the worst finite value of the study" if diverged == "worst" else "the stated penalty"
            values = ", ".join(f"{m.replace('_', ' ')} {v:.4g}" for m, v in fills.items())
            notes.append(
                f"{totals['diverged']} run(s) diverged: each counts as {how} ({values}) in every aggregate and "
                f"test. {totals['failed']} failed and are left out. All are listed in Appendix B."
            )
        empty = int((table["n_complete"] == 0).sum())
        if empty:
            notes.append(
                f"{empty} of {len(table)} configuration(s) have no complete run: they are shown as "
                "“no complete run” and take no part in the best values and spreads."
            )
        if int(table["n_complete"].max()) <= 1:
            notes.append(
                "At most one complete run per configuration: no standard deviation and no band over seeds; "
                "differences between configurations cannot be told apart from seed noise."
            )
        if len(best.ties) > 1:
            notes.append(f"{len(best.ties)} configurations tie for the best value: {', '.join(best.ties)}.")
        if best.config_id is not None and bands.empty:
            notes.append(f"No training curve was recorded for the best configuration {best.config_id}.")
    if not factors:
        notes.append("A single configuration (no factors): no per-level tables and no factor plots.")
    return tuple(notes)
