"""The best set and rank stability against published values (R's documentation examples, Student's sleep
data) and small cases worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sweepstat.analysis import best_set, config_stats, rank_stability
from sweepstat.analysis._compare import _holm

from .tables import make_runs

# Student's sleep data (R `sleep`): extra hours of sleep under two drugs, the same 10 patients.
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def two_configs(a: list[float], b: list[float], paired: bool) -> pd.DataFrame:
    rows = [("best", 1, s, "COMPLETE", v, 0.5) for s, v in enumerate(a)]
    offset = 0 if paired else 100  # other seeds: nothing to pair
    rows += [("other", 2, s + offset, "COMPLETE", v, 0.5) for s, v in enumerate(b)]
    return make_runs(rows, ["lr"])


def compare(a: list[float], b: list[float], paired: bool):  # type: ignore[no-untyped-def]
    stats_ = config_stats(two_configs(a, b, paired), ["lr"], "test_loss", n_resamples=200)
    result = best_set(stats_, "mean")
    assert result.best == "best"
    return result, result.comparisons[0]


def test_welch_t_matches_r_on_the_sleep_data() -> None:
    # R: t.test(extra ~ group, data = sleep): t = -1.8608, df = 17.776, p-value = 0.07939,
    # 95 percent confidence interval: -3.3654832 0.2054832 (group 1 − group 2).
    _, c = compare(SLEEP_1, SLEEP_2, paired=False)
    assert not c.paired and c.t_test == "Welch t"
    assert c.t_statistic == pytest.approx(1.8608, abs=1e-4)  # configuration − best: the sign flips
    assert c.t_df == pytest.approx(17.776, abs=1e-3)
    assert c.t_p == pytest.approx(0.07939, abs=1e-5)
    assert (c.diff_low, c.diff_high) == (
        pytest.approx(-0.2054832, abs=1e-6),
        pytest.approx(3.3654832, abs=1e-6),
    )
    assert c.difference == pytest.approx(1.58)


def test_paired_t_matches_r_on_the_sleep_data() -> None:
    # R: t.test(extra ~ group, data = sleep, paired = TRUE): t = -4.0621, df = 9, p-value = 0.002833,
    # 95 percent confidence interval: -2.4598858 -0.7001142.
    _, c = compare(SLEEP_1, SLEEP_2, paired=True)
    assert c.paired and c.t_test == "paired t" and c.rank_test == "Wilcoxon signed-rank"
    assert (c.t_statistic, c.t_df, c.t_p) == (
        pytest.approx(4.0621, abs=1e-4),
        9,
        pytest.approx(0.002833, abs=1e-6),
    )
    assert (c.diff_low, c.diff_high) == (
        pytest.approx(0.7001142, abs=1e-6),
        pytest.approx(2.4598858, abs=1e-6),
    )


def test_mann_whitney_matches_r() -> None:
    # R ?wilcox.test: x <- c(0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46);
    # y <- c(1.15, 0.88, 0.90, 0.74, 1.21); wilcox.test(x, y, alternative = "g"): W = 35, p-value = 0.1272.
    # Two-sided (exact): p = 2 · 0.1272 = 0.2544. Here y is the best (lower mean), x the other.
    x = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
    y = [1.15, 0.88, 0.90, 0.74, 1.21]
    _, c = compare(y, x, paired=False)
    assert c.rank_test == "Mann–Whitney U" and c.rank_statistic == 35
    assert c.rank_p == pytest.approx(0.2544, abs=1e-4)
    assert c.cliffs_delta == pytest.approx(2 * 35 / 50 - 1)  # P(x > y) − P(x < y) = (35 − 15) / 50


def test_wilcoxon_signed_rank_matches_r() -> None:
    # R ?wilcox.test (Hollander & Wolfe depression scores): wilcox.test(x, y, paired = TRUE,
    # alternative = "greater"): V = 40, p-value = 0.01953; two-sided p = 0.03906 (exact; W− = 45 − 40 = 5).
    x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
    y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
    _, c = compare(y, x, paired=True)
    assert c.rank_statistic == 5 and c.rank_p == pytest.approx(0.0390625)


def test_cohens_d_by_hand() -> None:
    # means 4 and 2; variances 4 and 1; pooled sd √((2·4 + 2·1)/4) = √2.5 → d = 2/√2.5.
    _, c = compare([1, 2, 3], [2, 4, 6], paired=False)
    assert c.cohens_d == pytest.approx(2 / np.sqrt(2.5))


def test_holm_by_hand() -> None:
    # sorted 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → kept monotone: 0.06.
    assert _holm([0.01, 0.04, 0.03, 0.005, None], 0.05) == [
        pytest.approx(0.03), pytest.approx(0.06), pytest.approx(0.06), pytest.approx(0.02), None,
    ]  # fmt: skip


def test_best_set_membership_needs_both_tests() -> None:
    e = np.random.default_rng(0).normal(0, 0.02, size=12)
    values = {"a": 0.5 + e, "b": 0.503 + e[::-1], "c": 0.8 + np.roll(e, 1), "d": 0.52 + np.roll(e, 3)}
    rows = [
        (cid, i, s, "COMPLETE", v, 0.5) for i, (cid, x) in enumerate(values.items()) for s, v in enumerate(x)
    ]
    stats_ = config_stats(make_runs(rows, ["k"]), ["k"], "test_loss", n_resamples=200)
    result = best_set(stats_, "mean")
    assert result.best == "a" and result.reason == ""
    by_id = {c.config_id: c for c in result.comparisons}
    assert by_id["c"].distinguished and "c" in result.distinguished
    assert by_id["b"].distinguished is False and "b" in result.members
    assert all(c.paired for c in result.comparisons)  # same seeds 0..11
    for c in result.comparisons:
        assert c.t_p_holm >= c.t_p and c.rank_p_holm >= c.rank_p  # type: ignore[operator]
        assert c.distinguished == (c.t_p_holm < 0.05 and c.rank_p_holm < 0.05)  # type: ignore[operator]
    frame = result.frame()
    assert list(frame["config_id"]) == ["b", "c", "d"] and "rank_p_holm" in frame.columns


def test_bad_input_gives_statements() -> None:
    one_seed = make_runs([("a", 1, 0, "COMPLETE", 0.3, 0.9), ("b", 2, 0, "COMPLETE", 0.2, 0.8)], ["lr"])
    r = best_set(config_stats(one_seed, ["lr"], "test_loss", n_resamples=200))
    assert r.best == "b" and r.reason == "cannot test: one seed per configuration"
    assert r.untested == ("a",) and r.members == ("b",)
    single = make_runs([("a", 1, s, "COMPLETE", 0.3 + s / 10, 0.9) for s in range(3)], ["lr"])
    assert best_set(config_stats(single, ["lr"], "test_loss", n_resamples=200)).reason == (
        "cannot test: a single configuration"
    )
    diverged = make_runs([("a", 1, 0, "DIVERGED", np.nan, np.nan), ("b", 2, 0, "DIVERGED", 1.0, 0.2)], ["lr"])
    r = best_set(config_stats(diverged, ["lr"], "test_loss", n_resamples=200))
    assert r.best is None and r.reason == "no configuration has a test_loss"
    flat = make_runs(
        [("a", 1, s, "COMPLETE", 0.3, 0.9) for s in range(3)]
        + [("b", 2, s, "COMPLETE", 0.4, 0.9) for s in range(3)],
        ["lr"],
    )
    c = best_set(config_stats(flat, ["lr"], "test_loss", n_resamples=200)).comparisons[0]
    assert c.distinguished is None and c.reason == "cannot test: no spread in either configuration"
    assert c.difference == pytest.approx(0.1)


def test_rank_stability_joint_and_independent() -> None:
    rows = [("a", 1, s, "COMPLETE", v, 0.5) for s, v in enumerate([0.1, 0.2, 0.3])]
    rows += [("b", 2, s, "COMPLETE", v, 0.5) for s, v in enumerate([0.9, 1.0, 1.1])]
    runs = make_runs(rows, ["lr"])
    values = config_stats(runs, ["lr"], "test_loss", n_resamples=200).values
    r = rank_stability(values, "mean", n_resamples=500)
    assert r.joint and r.share == {"a": 1.0, "b": 0.0}  # a always wins: its values are all lower
    # Overlapping configurations with different seeds: resampled on their own; shares sum to 1.
    rows = [("a", 1, s, "COMPLETE", v, 0.5) for s, v in enumerate([0.1, 0.5, 0.9])]
    rows += [("b", 2, s + 10, "COMPLETE", v, 0.5) for s, v in enumerate([0.2, 0.5, 0.8])]
    values = config_stats(make_runs(rows, ["lr"]), ["lr"], "test_loss", n_resamples=200).values
    r = rank_stability(values, "median", n_resamples=1000)
    assert not r.joint and sum(r.share.values()) == pytest.approx(1.0)
    assert 0.2 < r.share["a"] < 0.8
    assert r == rank_stability(values, "median", n_resamples=1000)  # seeded
    one = config_stats(
        make_runs([("a", 1, 0, "COMPLETE", 0.3, 0.9), ("b", 2, 0, "COMPLETE", 0.2, 0.8)], ["lr"]),
        ["lr"],
        "test_loss",
        n_resamples=200,
    )
    assert rank_stability(one.values).reason == "cannot test: one seed per configuration"
