"""Tables 2–4 and the factor-line data of Figs 10–11 on small tables, with the edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sweepstat.analysis import AnalysisError, best_per_level, config_table, factor_lines

from .tables import NAN, make_runs

FACTORS = ["units", "lr"]


@pytest.fixture
def table() -> pd.DataFrame:
    #            lr 0.01        lr 0.001
    # units 8    .30 / .90      .20 / .80
    # units 16   .40 / .95      no complete run
    runs = make_runs(
        [
            ("p", 8, 0.01, 0, "COMPLETE", 0.30, 0.90),
            ("q", 8, 0.001, 0, "COMPLETE", 0.20, 0.80),
            ("r", 16, 0.01, 0, "COMPLETE", 0.40, 0.95),
            ("s", 16, 0.001, 0, "DIVERGED", NAN, NAN),
        ],
        FACTORS,
    )
    return config_table(runs, FACTORS, "mean")


def test_best_per_level_by_hand(table: pd.DataFrame) -> None:
    levels = best_per_level(table, FACTORS)
    units = levels["units"]
    assert list(units.columns) == [
        "units", "n_configs",
        "test_loss", "test_loss_config", "test_loss_at",
        "test_accuracy", "test_accuracy_config", "test_accuracy_at",
    ]  # fmt: skip
    assert units.to_dict("records") == [
        {"units": 8, "n_configs": 2, "test_loss": 0.20, "test_loss_config": "q", "test_loss_at": "lr=0.001",
         "test_accuracy": 0.90, "test_accuracy_config": "p", "test_accuracy_at": "lr=0.01"},
        {"units": 16, "n_configs": 2, "test_loss": 0.40, "test_loss_config": "r", "test_loss_at": "lr=0.01",
         "test_accuracy": 0.95, "test_accuracy_config": "r", "test_accuracy_at": "lr=0.01"},
    ]  # fmt: skip
    lr = levels["lr"]
    assert lr["lr"].tolist() == [0.001, 0.01]  # ascending levels
    assert lr["test_loss_at"].tolist() == ["units=8", "units=8"]
    assert lr["test_accuracy_config"].tolist() == ["q", "r"]


def test_a_level_without_complete_runs_is_stated() -> None:
    runs = make_runs(
        [("a", 1, 0, "COMPLETE", 0.5, 0.5), ("b", 2, 0, "FAILED", NAN, NAN)],
        ["units"],
    )
    units = best_per_level(config_table(runs, ["units"], "mean"), ["units"])["units"]
    row = units.iloc[1]
    assert (
        np.isnan(row["test_loss"])
        and row["test_loss_config"] == ""
        and row["test_loss_at"] == "no complete run"
    )
    assert units.iloc[0]["test_loss_at"] == ""  # one factor: nothing else to name


def test_single_metric_and_bad_directions(table: pd.DataFrame) -> None:
    only = best_per_level(table, ["lr"], "test_accuracy", "minimize")["lr"]
    assert only["test_accuracy"].tolist() == [0.80, 0.90]
    assert best_per_level(table, []) == {}
    with pytest.raises(AnalysisError, match=r"must give one direction per metric \(2\)"):
        best_per_level(table, FACTORS, ("test_loss", "test_accuracy"), "minimize")
    with pytest.raises(AnalysisError, match=r"direction must be one of .*got 'up'"):
        best_per_level(table, FACTORS, "test_loss", "up")


def test_factor_lines_one_line_per_other_combination(table: pd.DataFrame) -> None:
    lines = factor_lines(table, "lr", "test_loss")
    assert list(lines.columns) == ["line", "units", "lr", "level_index", "test_loss", "config_id"]
    assert lines["line"].tolist() == ["units=8", "units=8", "units=16", "units=16"]
    assert lines["lr"].tolist() == [0.001, 0.01, 0.001, 0.01]
    assert lines["level_index"].tolist() == [0, 1, 0, 1]
    assert lines["test_loss"].tolist()[:3] == [0.20, 0.30, pytest.approx(NAN, nan_ok=True)]
    assert lines["config_id"].tolist() == ["q", "p", "s", "r"]


def test_factor_lines_with_one_factor_and_errors(table: pd.DataFrame) -> None:
    runs = make_runs([("a", 2, 0, "COMPLETE", 0.5, 0.5), ("b", 1, 0, "COMPLETE", 0.4, 0.6)], ["units"])
    lines = factor_lines(config_table(runs, ["units"], "mean"), "units", "test_accuracy")
    assert lines["line"].tolist() == ["all configurations"] * 2
    assert lines["test_accuracy"].tolist() == [0.6, 0.5]
    with pytest.raises(
        AnalysisError, match=r"factor_lines.factor must be one of the table's factors; got 'unit'"
    ):
        factor_lines(table, "unit", "test_loss")
    bare = pd.DataFrame(table)
    bare.attrs = {}
    with pytest.raises(
        AnalysisError, match=r"factors must be given when the table does not come from config_table"
    ):
        factor_lines(bare, "lr", "test_loss")
    assert len(factor_lines(bare, "lr", "test_loss", factors=FACTORS)) == 4
