"""Table 1, the best configuration and the spread, on tables small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sweepstat.analysis import AnalysisError, best_config, config_table, spread

from .tables import NAN, make_runs


@pytest.fixture
def runs() -> pd.DataFrame:
    return make_runs(
        [
            # a: 5 complete runs, 1 diverged (last finite values kept), 1 failed (NaN)
            ("a", 16, 0, "COMPLETE", 0.5, 0.8),
            ("a", 16, 1, "COMPLETE", 0.6, 0.7),
            ("a", 16, 2, "COMPLETE", 0.7, 0.6),
            ("a", 16, 3, "COMPLETE", 0.8, 0.5),
            ("a", 16, 4, "COMPLETE", 2.0, 0.9),
            ("a", 16, 5, "DIVERGED", 5.0, 0.1),
            ("a", 16, 6, "FAILED", NAN, NAN),
            # b: two complete runs
            ("b", 32, 0, "COMPLETE", 0.4, 0.85),
            ("b", 32, 1, "COMPLETE", 0.6, 0.75),
            # c: nothing completed
            ("c", 64, 0, "DIVERGED", NAN, NAN),
            ("c", 64, 1, "DIVERGED", 9.0, 0.5),
        ],
        ["units"],
    )


def test_table_1_by_hand(runs: pd.DataFrame) -> None:
    t = config_table(runs, ["units"], "paper_trimmed", 0.2).set_index("config_id")
    assert t.loc["a", ["n_runs", "n_complete", "n_diverged", "n_failed"]].tolist() == [7, 5, 1, 1]
    # loss [.5 .6 .7 .8 2.0]: k = ⌊0.2·5 + ½⌋ = 1, 2.0 is furthest → mean(.5 .6 .7 .8) = 0.65
    assert t.loc["a", "test_loss"] == pytest.approx(0.65)
    assert t.loc["a", ["test_loss_n_used", "test_loss_n_dropped"]].tolist() == [4, 1]
    # accuracy [.8 .7 .6 .5 .9], mean .7: .5 and .9 tie at .2 → the earlier run (.5) goes → mean(.8 .7 .6 .9)
    assert t.loc["a", "test_accuracy"] == pytest.approx(0.75)
    # sd over all complete runs, before trimming (the diverged 5.0 is not among them)
    assert t.loc["a", "test_loss_std"] == pytest.approx(np.std([0.5, 0.6, 0.7, 0.8, 2.0], ddof=1))
    assert t.loc["b", "test_loss"] == pytest.approx(0.5)  # k = ⌊0.4 + ½⌋ = 0
    assert t.loc["b", "test_loss_std"] == pytest.approx(0.1 * np.sqrt(2))
    assert t.loc["a", "note"] == "" and t.loc["b", "note"] == ""


def test_each_metric_is_trimmed_on_its_own(runs: pd.DataFrame) -> None:
    # Loss drops run 4 (2.0), accuracy drops run 3 (0.5): recomputed by hand, not shared.
    t = config_table(runs, ["units"], "paper_trimmed", 0.2).set_index("config_id")
    assert t.loc["a", "test_accuracy"] != pytest.approx(np.mean([0.8, 0.7, 0.6, 0.5]))


def test_no_complete_run_is_counted_and_stated(runs: pd.DataFrame) -> None:
    t = config_table(runs, ["units"], "mean").set_index("config_id")
    assert t.loc["c", ["n_runs", "n_complete", "n_diverged", "n_failed"]].tolist() == [2, 0, 2, 0]
    assert np.isnan(t.loc["c", "test_loss"]) and t.loc["c", "test_loss_n_used"] == 0
    assert t.loc["c", "note"] == "no complete run (2 diverged)"


def test_run_order_not_row_order_decides_ties(runs: pd.DataFrame) -> None:
    shuffled = runs.sample(frac=1.0, random_state=1)
    a = config_table(runs, ["units"], "paper_trimmed", 0.2)
    b = config_table(shuffled, ["units"], "paper_trimmed", 0.2)
    pd.testing.assert_frame_equal(a, b)
    assert a["config_id"].tolist() == ["a", "b", "c"]  # sorted by the factor, not by first appearance


def test_rows_sorted_by_factor_levels_numerically() -> None:
    runs = make_runs(
        [
            ("x", 100, 0, "COMPLETE", 1.0, 0.5),
            ("y", 20, 0, "COMPLETE", 1.0, 0.5),
            ("z", 3, 0, "COMPLETE", 1, 0.5),
        ],
        ["units"],
    )
    assert config_table(runs, ["units"], "mean")["units"].tolist() == [3, 20, 100]


def test_columns_notes_and_attrs(runs: pd.DataFrame) -> None:
    t = config_table(runs, ["units"], "median", 0.1, metrics=["test_loss"])
    assert list(t.columns) == [
        "config_id", "units", "n_runs", "n_complete", "n_diverged", "n_failed", "divergence_rate",
        "test_loss", "test_loss_std", "test_loss_n_used", "test_loss_n_dropped", "note",
    ]  # fmt: skip
    assert t.attrs == {
        "factors": ("units",), "statistic": "median", "trim": 0.1, "metrics": ("test_loss",), "diverged": "exclude",
        "fills": {},
    }  # fmt: skip
    assert t["divergence_rate"].tolist()[:2] == [pytest.approx(1 / 6), 0.0]  # a: 1 of 5 complete + 1 diverged
    assert t["divergence_rate"].tolist()[2] == 1.0


def test_one_seed_and_missing_metric_are_stated() -> None:
    runs = make_runs(
        [
            ("a", 1, 0, "COMPLETE", 0.3, 0.9),
            ("b", 2, 0, "COMPLETE", 0.2, NAN),
            ("b", 2, 1, "COMPLETE", 0.4, 0.8),
        ],
        ["lr"],
    )
    t = config_table(runs, ["lr"], "mean").set_index("config_id")
    assert np.isnan(t.loc["a", "test_loss_std"])
    assert t.loc["a", "note"] == "1 complete run: no standard deviation"
    assert t.loc["b", "test_accuracy"] == pytest.approx(0.8) and t.loc["b", "test_accuracy_n_used"] == 1
    assert t.loc["b", "note"] == "1 complete run(s) have no test_accuracy"


def test_no_factors_single_configuration() -> None:
    runs = make_runs([("only", 0, "COMPLETE", 0.5, 0.7), ("only", 1, "COMPLETE", 0.7, 0.9)], [])
    t = config_table(runs, [], "mean")
    assert t["config_id"].tolist() == ["only"]
    assert t["test_loss"].tolist() == [pytest.approx(0.6)]


def test_empty_runs_give_an_empty_table() -> None:
    t = config_table(make_runs([], ["units"]), ["units"], "mean")
    assert len(t) == 0 and "test_loss" in t.columns
    assert (
        best_config(t, "test_loss", "minimize").reason == "the table has no configuration (no complete run)"
    )


def test_input_errors() -> None:
    runs = make_runs([("a", 1, 0, "COMPLETE", 0.5, 0.5)], ["units"])
    with pytest.raises(AnalysisError, match=r"runs must have the columns embedding_dim, eval_loss"):
        config_table(runs, ["units", "embedding_dim"], "mean", metrics=["eval_loss"])
    with pytest.raises(
        AnalysisError, match=r"config_table.diverged must be one of .*got 'wrost'.*did you mean 'worst'"
    ):
        config_table(runs, ["units"], "mean", diverged="wrost")
    with pytest.raises(
        AnalysisError, match=r"config_table.penalty must give a finite value for test_accuracy"
    ):
        config_table(runs, ["units"], "mean", diverged="penalty", penalty={"test_loss": 9.0})
    with pytest.raises(AnalysisError, match=r"config_table.statistic .*did you mean 'median'"):
        config_table(runs, ["units"], "medain")
    two = make_runs([("a", 1, 0, "COMPLETE", 0.5, 0.5), ("a", 2, 1, "COMPLETE", 0.5, 0.5)], ["units"])
    with pytest.raises(AnalysisError, match=r"config_id 'a'.*one value of each factor"):
        config_table(two, ["units"], "mean")


def test_best_config_min_max_ties_and_none(runs: pd.DataFrame) -> None:
    t = config_table(runs, ["units"], "mean")
    best = best_config(t, "test_loss", "minimize")  # a: mean(.5 .6 .7 .8 2.0) = .92, b: .5
    assert (best.config_id, best.value, best.row["units"]) == ("b", pytest.approx(0.5), 32)
    best = best_config(t, "test_accuracy", "maximize")  # a: .7, b: .8
    assert (best.config_id, best.ties) == ("b", ("b",))
    tie = pd.DataFrame({"config_id": ["p", "q", "r"], "m": [0.2, 0.1, 0.1]})
    assert best_config(tie, "m", "minimize").ties == ("q", "r")
    assert best_config(tie, "m", "minimize").config_id == "q"
    none = best_config(t[t["config_id"] == "c"], "test_loss", "minimize")
    assert none.config_id is None and none.value is None
    assert none.reason == "no configuration has a test_loss (no complete run)"
    with pytest.raises(AnalysisError, match=r"best_config.direction .*got 'min'.*did you mean 'minimize'"):
        best_config(t, "test_loss", "min")


def test_spread_both_conventions_by_hand() -> None:
    t = pd.DataFrame({"config_id": ["a", "b", "c", "d"], "m": [0.5, 0.8, NAN, 0.6]})
    s = spread(t, "m")
    assert (s.minimum, s.maximum, s.min_config, s.max_config, s.n_configs) == (0.5, 0.8, "a", "b", 3)
    assert s.range == pytest.approx(0.3)
    assert s.pct_of_max == pytest.approx(37.5)  # 0.3 / 0.8
    assert s.pct_of_min == pytest.approx(60.0)  # 0.3 / 0.5
    assert s.PCT_OF_MAX_LABEL == "(max − min) / max" and s.PCT_OF_MIN_LABEL == "(max − min) / min"


def test_spread_edge_cases() -> None:
    zero = spread(pd.DataFrame({"config_id": ["a", "b"], "m": [0.0, 0.4]}), "m")
    assert zero.pct_of_min is None and zero.pct_of_max == pytest.approx(100.0)
    assert zero.reason == "min is 0: no percentage of it"
    one = spread(pd.DataFrame({"config_id": ["a"], "m": [0.4]}), "m")
    assert (one.pct_of_max, one.pct_of_min, one.reason) == (0.0, 0.0, "")
    none = spread(pd.DataFrame({"config_id": ["a"], "m": [NAN]}), "m")
    assert none.minimum is None and none.range is None and none.n_configs == 0
    assert none.reason == "no configuration has a m (no complete run)"


def test_diverged_counted_as_worst_or_penalty(runs: pd.DataFrame) -> None:
    # Worst finite complete value of the study: loss 2.0 (a's run 4), accuracy 0.5 (a's run 3). The diverged
    # runs' own last values (5.0, 9.0, NaN) are never used.
    t = config_table(runs, ["units"], "mean", diverged="worst").set_index("config_id")
    assert t.loc["a", "test_loss"] == pytest.approx(np.mean([0.5, 0.6, 0.7, 0.8, 2.0, 2.0]))
    assert t.loc["a", "test_accuracy"] == pytest.approx(np.mean([0.8, 0.7, 0.6, 0.5, 0.9, 0.5]))
    assert t.loc["a", "test_loss_n_used"] == 6
    assert t.loc["c", ["test_loss", "test_accuracy", "test_loss_n_used"]].tolist() == [2.0, 0.5, 2]
    assert t.loc["c", "note"] == (
        "no complete run (2 diverged); 2 diverged run(s) counted as test_loss = 2; "
        "2 diverged run(s) counted as test_accuracy = 0.5"
    )
    assert t.attrs["fills"] == {"test_loss": 2.0, "test_accuracy": 0.5}
    p = config_table(
        runs, ["units"], "mean", diverged="penalty", penalty={"test_loss": 10, "test_accuracy": 0}
    )
    p = p.set_index("config_id")
    assert p.loc["a", "test_loss"] == pytest.approx((0.5 + 0.6 + 0.7 + 0.8 + 2.0 + 10) / 6)
    assert p.loc["c", ["test_loss", "test_accuracy"]].tolist() == [10.0, 0.0]
    assert p.loc["b", "test_loss"] == pytest.approx(0.5)  # nothing diverged: unchanged
