"""Mean and bands of training curves over seeds (Figs 8–9) by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sweepstat.analysis import curve_bands

INF = float("inf")


def curves() -> pd.DataFrame:
    rows = [
        # run, config, epoch, iteration, train_loss, test_loss
        (0, "a", 1, 10, 1.0, 2.0),
        (0, "a", 2, 20, 0.5, 1.0),
        (1, "a", 1, 10, 3.0, 4.0),
        (1, "a", 2, 20, 1.5, 3.0),
        (2, "a", 1, 10, 2.0, 3.0),
        (2, "a", 2, 20, INF, float("nan")),  # run 2 diverged in epoch 2
        (3, "b", 1, 10, 9.0, 9.0),  # another configuration
    ]
    return pd.DataFrame(
        rows, columns=["run_id", "config_id", "epoch", "iteration", "train_loss", "test_loss"]
    )


def test_mean_sd_and_ranges_by_hand() -> None:
    bands = curve_bands(curves(), "a")
    assert list(bands.columns[:4]) == ["epoch", "n_runs", "train_loss_n", "train_loss_mean"]
    assert bands["epoch"].tolist() == [1, 2]
    assert bands["n_runs"].tolist() == [3, 3]
    # epoch 1, train: 1, 3, 2 → mean 2, sd 1; epoch 2: 0.5, 1.5 (inf left out) → mean 1, sd √0.5
    assert bands["train_loss_n"].tolist() == [3, 2]
    assert bands["train_loss_mean"].tolist() == pytest.approx([2.0, 1.0])
    assert bands["train_loss_sd"].tolist() == pytest.approx([1.0, np.sqrt(0.5)])
    assert bands["train_loss_lo"].tolist() == pytest.approx([1.0, 1.0 - np.sqrt(0.5)])
    assert bands["train_loss_hi"].tolist() == pytest.approx([3.0, 1.0 + np.sqrt(0.5)])
    assert bands["train_loss_min"].tolist() == [1.0, 0.5]
    assert bands["train_loss_max"].tolist() == [3.0, 1.5]
    assert bands["test_loss_mean"].tolist() == pytest.approx([3.0, 2.0])
    assert "eval_loss_mean" not in bands.columns  # only metrics present in curves


def test_run_ids_restrict_the_runs() -> None:
    bands = curve_bands(curves(), "a", run_ids=[0, 1])
    assert bands["test_loss_mean"].tolist() == pytest.approx([3.0, 2.0])
    assert bands["test_loss_sd"].tolist() == pytest.approx([np.sqrt(2), np.sqrt(2)])
    one = curve_bands(curves(), "a", run_ids=[0])
    assert one["test_loss_mean"].tolist() == [2.0, 1.0]
    assert one["test_loss_sd"].isna().all()  # one seed: no band


def test_several_evaluations_per_epoch_use_the_last() -> None:
    c = curves()
    extra = pd.DataFrame([(0, "a", 1, 5, 100.0, 100.0)], columns=c.columns)  # mid-epoch, earlier iteration
    bands = curve_bands(pd.concat([extra, c]), "a", run_ids=[0])
    assert bands["train_loss_mean"].tolist() == [1.0, 0.5]
    by_iteration = curve_bands(pd.concat([extra, c]), "a", run_ids=[0], x="iteration")
    assert by_iteration["iteration"].tolist() == [5, 10, 20]
    assert by_iteration["train_loss_mean"].tolist() == [100.0, 1.0, 0.5]


def test_unknown_configuration_gives_an_empty_frame_with_columns() -> None:
    bands = curve_bands(curves(), "zzz")
    assert bands.empty and "test_loss_mean" in bands.columns
