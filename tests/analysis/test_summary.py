"""Run values under each diverged treatment, and every aggregate per configuration with its interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sweepstat.analysis import AnalysisError, config_stats, metric_direction, run_values

from .tables import NAN, make_runs


@pytest.fixture
def runs() -> pd.DataFrame:
    return make_runs(
        [
            ("a", 16, 0, "COMPLETE", 0.5, 0.8),
            ("a", 16, 1, "COMPLETE", 0.6, 0.7),
            ("a", 16, 2, "DIVERGED", 7.0, 0.1),
            ("a", 16, 3, "COMPLETE", 0.7, 0.6),
            ("a", 16, 4, "FAILED", NAN, NAN),
            ("b", 32, 0, "COMPLETE", 0.4, 0.9),
            ("b", 32, 1, "COMPLETE", NAN, NAN),  # finished, but the metric was not recorded
            ("b", 32, 2, "COMPLETE", 0.9, 0.5),
            ("c", 64, 0, "DIVERGED", NAN, NAN),
        ],
        ["units"],
    )


def test_directions_follow_the_metric_name() -> None:
    assert metric_direction("test_loss") == "minimize" and metric_direction("eval_accuracy") == "maximize"


def test_exclude_counts_every_kind_of_lost_run(runs: pd.DataFrame) -> None:
    v = run_values(runs, "test_loss", ["units"])
    assert v.fill is None and v.frame["run_id"].tolist() == [0, 1, 3, 5, 7]
    counts = v.counts.set_index("config_id")
    assert counts.loc["a"].tolist() == [16, 5, 3, 1, 1, 0, 3, 0]
    assert counts.loc["b", ["n_complete", "n_missing", "n_values"]].tolist() == [3, 1, 2]
    assert counts.loc["c", ["n_runs", "n_diverged", "n_values"]].tolist() == [1, 1, 0]
    assert v.notes == ("1 complete run(s) have no test_loss; they are left out of its statistics.",)
    assert {k: x.tolist() for k, x in v.by_config().items()} == {
        "a": [0.5, 0.6, 0.7],
        "b": [0.4, 0.9],
        "c": [],
    }
    assert v.describe_treatment() == "diverged runs excluded"


def test_worst_is_the_worst_complete_value_of_the_study(runs: pd.DataFrame) -> None:
    loss = run_values(runs, "test_loss", ["units"], diverged="worst")
    assert loss.fill == 0.9  # not the diverged run's own 7.0
    assert loss.by_config()["a"].tolist() == [0.5, 0.6, 0.9, 0.7]  # in run order
    assert loss.by_config()["c"].tolist() == [0.9]
    assert loss.frame["imputed"].sum() == 2
    acc = run_values(runs, "test_accuracy", ["units"], diverged="worst")
    assert acc.fill == 0.5  # lowest accuracy
    assert "0.5 (the worst finite value of the study)" in acc.describe_treatment()
    # direction can be overridden: the 'worst' of a minimised accuracy is its highest value
    assert run_values(runs, "test_accuracy", diverged="worst", direction="minimize").fill == 0.9


def test_penalty_and_its_errors(runs: pd.DataFrame) -> None:
    v = run_values(runs, "test_loss", diverged="penalty", penalty=10.0)
    assert v.by_config()["c"].tolist() == [10.0]
    assert run_values(runs, "test_loss", diverged="penalty", penalty={"test_loss": 3}).fill == 3.0
    with pytest.raises(AnalysisError, match=r"run_values.penalty must give a finite value for test_loss"):
        run_values(runs, "test_loss", diverged="penalty")
    with pytest.raises(AnalysisError, match=r"run_values.penalty must give a finite value .*got inf"):
        run_values(runs, "test_loss", diverged="penalty", penalty=float("inf"))
    with pytest.raises(AnalysisError, match=r"run_values.diverged must be one of .*did you mean 'exclude'"):
        run_values(runs, "test_loss", diverged="excl")


def test_worst_without_any_finite_value_falls_back_to_exclude() -> None:
    runs = make_runs([("a", 0, "DIVERGED", NAN, NAN), ("a", 1, "DIVERGED", 1.0, 0.5)], [])
    v = run_values(runs, "test_loss", diverged="worst")
    assert v.fill is None and len(v.frame) == 0
    assert v.notes[0].startswith("No complete run has a test_loss")


def test_config_stats_by_hand(runs: pd.DataFrame) -> None:
    cs = config_stats(runs, ["units"], "test_loss", n_resamples=500)
    t = cs.table.set_index("config_id")
    a = t.loc["a"]
    assert (a["n"], a["n_diverged"], a["n_failed"], a["divergence_rate"]) == (3, 1, 1, 0.25)
    # Wilson interval of 1 diverged in 4 settled runs, from its formula
    z = stats.norm.ppf(0.975)
    centre = (0.25 + z**2 / 8) / (1 + z**2 / 4)
    half = z / (1 + z**2 / 4) * np.sqrt(0.25 * 0.75 / 4 + z**2 / 64)
    assert (a["divergence_lo"], a["divergence_hi"]) == (
        pytest.approx(centre - half),
        pytest.approx(centre + half),
    )
    assert a["mean"] == pytest.approx(0.6) and a["sd"] == pytest.approx(0.1)
    assert a["median"] == pytest.approx(0.6) and a["iqm"] == pytest.approx(0.6)
    for s in ("mean", "median", "iqm", "paper_trimmed", "trimmed"):
        assert 0.5 <= a[f"{s}_lo"] <= a[s] <= a[f"{s}_hi"] <= 0.7
    assert a["note"] == ""
    c = t.loc["c"]
    assert c["n"] == 0 and np.isnan(c["mean"]) and c["note"] == "no value: nothing to aggregate (1 diverged)"
    assert c["divergence_rate"] == 1.0
    # same seed → same table
    pd.testing.assert_frame_equal(cs.table, config_stats(runs, ["units"], "test_loss", n_resamples=500).table)


def test_config_stats_one_value_and_worst(runs: pd.DataFrame) -> None:
    one = make_runs([("a", 1, 0, "COMPLETE", 0.3, 0.9), ("b", 2, 0, "COMPLETE", 0.2, 0.8)], ["lr"])
    t = config_stats(one, ["lr"], "test_loss", n_resamples=200).table
    assert t["note"].tolist() == ["one value: no standard deviation and no interval"] * 2
    assert t["mean"].tolist() == [0.3, 0.2] and t["mean_lo"].isna().all() and t["sd"].isna().all()
    w = config_stats(runs, ["units"], "test_loss", diverged="worst", n_resamples=200).table.set_index(
        "config_id"
    )
    assert w.loc["a", ["n", "n_imputed"]].tolist() == [4, 1]
    assert w.loc["a", "mean"] == pytest.approx(np.mean([0.5, 0.6, 0.9, 0.7]))
    assert (
        w.loc["c", "mean"] == 0.9 and w.loc["c", "note"] == "one value: no standard deviation and no interval"
    )
