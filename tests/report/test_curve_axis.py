"""The best configuration's curves follow the evaluations: per epoch, or per iteration when runs were
evaluated several times within an epoch (``train.eval_every``, seed 002's every 100 iterations)."""

from __future__ import annotations

import pandas as pd

from sweepstat.report import build_content

from .conftest import sample_meta
from .synthetic import synthetic_study


def test_one_evaluation_per_epoch_is_plotted_per_epoch() -> None:
    runs, curves = synthetic_study({"units": [16, 32]}, n_seeds=3, n_epochs=3)
    content = build_content(runs, curves, sample_meta(factors=("units",)))
    assert content.bands.columns[0] == "epoch" and content.bands["epoch"].tolist() == [1, 2, 3]


def test_evaluations_within_an_epoch_are_plotted_per_iteration() -> None:
    runs, curves = synthetic_study({"units": [16, 32]}, n_seeds=3, n_epochs=4)
    # Relabel as two evaluations per epoch (iterations 100, 200 in epoch 1; 300, 400 in epoch 2).
    curves = curves.assign(epoch=(curves["epoch"] + 1) // 2)
    content = build_content(runs, curves, sample_meta(factors=("units",)))
    assert content.bands.columns[0] == "iteration"
    assert content.bands["iteration"].tolist() == [100, 200, 300, 400]
    best = curves[curves["config_id"] == content.best.config_id]
    complete = runs[(runs["config_id"] == content.best.config_id) & (runs["state"] == "COMPLETE")]
    at_100 = best[(best["iteration"] == 100) & best["run_id"].isin(complete["run_id"])]["test_loss"]
    assert content.bands["test_loss_mean"].iloc[0] == pd.Series(at_100).mean()
