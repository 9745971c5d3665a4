"""Effects, seeds needed (Cohen's table), and the verdict: its sentences follow the numbers and never
claim more than they show; bad input gives statements."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sweepstat.analysis import (
    AnalysisError,
    StatisticsSettings,
    analyse_study,
    config_stats,
    factor_effects,
    run_values,
    seeds_needed,
)
from sweepstat.analysis._power import _solve

from .tables import NAN, PAPER_FACTORS, make_runs, paper_runs

FAST = StatisticsSettings(n_resamples=300)


def test_marginal_means_weigh_configurations_equally() -> None:
    # u=1: configurations (1,x) with mean 1 (2 runs) and (1,y) with mean 3 (4 runs) → marginal mean 2, not 2.33.
    rows = [("a", 1, "x", s, "COMPLETE", v, 0.5) for s, v in enumerate([0.5, 1.5])]
    rows += [("b", 1, "y", s, "COMPLETE", v, 0.5) for s, v in enumerate([2.0, 4.0, 3.0, 3.0])]
    rows += [("c", 2, "x", s, "COMPLETE", v, 0.5) for s, v in enumerate([5.0, 5.0])]
    rows += [("d", 2, "y", 0, "DIVERGED", NAN, NAN)]
    effects = factor_effects(
        run_values(make_runs(rows, ["u", "k"]), "test_loss", ["u", "k"]), n_resamples=300
    )
    u = effects["u"].table.set_index("level")
    assert u.loc[1, ["n_configs", "n_runs", "mean"]].tolist() == [2, 6, 2.0]
    assert u.loc[2, ["n_configs", "mean"]].tolist() == [1, 5.0]
    assert u.loc[1, "low"] < 2.0 < u.loc[1, "high"]
    assert (u.loc[2, "low"], u.loc[2, "high"]) == (5.0, 5.0)  # no spread in c
    k = effects["k"].table.set_index("level")
    assert k.loc["y", "mean"] == 3.0 and k.loc["y", "n_configs"] == 1  # d has no value


def test_power_matches_cohens_table() -> None:
    # Cohen (1988), Table 2.4.1, two-sided α = 0.05, power 0.80: d = 0.2 → 393, 0.5 → 64, 0.8 → 26 per group.
    assert _solve(0.5, 0.05, 0.8) == 64
    assert _solve(0.8, 0.05, 0.8) == 26
    assert _solve(0.2, 0.05, 0.8) == 394  # statsmodels: 393.4 (Cohen's table rounds to 393)
    assert _solve(1e-6, 0.05, 0.8) is None


def test_seeds_needed_by_hand() -> None:
    # best mean 2, runner-up mean 3, both sd 1 → d = 1 → 16.71 → 17 per configuration; third config far away.
    rows = [("a", 1, s, "COMPLETE", v, 0.5) for s, v in enumerate([1.0, 2.0, 3.0])]
    rows += [("b", 2, s, "COMPLETE", v, 0.5) for s, v in enumerate([2.0, 3.0, 4.0])]
    rows += [("c", 3, s, "COMPLETE", v, 0.5) for s, v in enumerate([9.0, 10.0, 11.0])]
    sn = seeds_needed(config_stats(make_runs(rows, ["lr"]), ["lr"], "test_loss", n_resamples=200))
    assert (sn.best, sn.runner_up, sn.difference, sn.pooled_sd, sn.effect_size) == ("a", "b", 1.0, 1.0, 1.0)
    assert sn.n_seeds == 17 and sn.n_comparisons == 2 and sn.n_pilot == (3, 3)
    assert sn.n_seeds_all == _solve(1.0, 0.025, 0.8) and sn.n_seeds_all > 17  # type: ignore[operator]
    assert "equal variances" in sn.assumptions


def test_seeds_needed_cannot_estimate() -> None:
    one = make_runs([("a", 1, 0, "COMPLETE", 0.3, 0.9), ("b", 2, 0, "COMPLETE", 0.2, 0.8)], ["lr"])
    sn = seeds_needed(config_stats(one, ["lr"], "test_loss", n_resamples=200))
    assert (
        sn.n_seeds is None
        and sn.reason == "cannot estimate: one seed per configuration (no standard deviation)"
    )
    tie = make_runs(
        [("a", 1, s, "COMPLETE", v, 0.5) for s, v in enumerate([1.0, 2.0])]
        + [("b", 2, s, "COMPLETE", v, 0.5) for s, v in enumerate([2.0, 1.0])],
        ["lr"],
    )
    assert (
        "no number of seeds separates them"
        in seeds_needed(config_stats(tie, ["lr"], "test_loss", n_resamples=200)).reason
    )


def study(n_seeds: int = 8, seed: int = 2) -> pd.DataFrame:
    """units matters (strongly), batch does not, no interaction; noise sd 0.05."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, (u, b) in enumerate((u, b) for u in (16, 32, 64) for b in (32, 64)):
        for s in range(n_seeds):
            rows.append((f"c{i}", u, b, s, "COMPLETE", 0.5 + 0.002 * u + rng.normal(0, 0.05), 0.8))
    return make_runs(rows, ["units", "batch_size"])


def test_verdict_follows_the_numbers() -> None:
    a = analyse_study(study(), ["units", "batch_size"], "test_loss", settings=FAST)
    text = "\n".join(a.verdict)
    units, inter = a.anova.term("units"), a.anova.term("units", "batch_size")
    assert units is not None and units.p is not None and units.p < 0.001
    assert inter is not None and inter.p is not None and inter.p >= 0.05
    assert a.verdict[0].startswith("The best configuration by mean test loss is units=16, batch_size=")
    assert f"units explains {100 * units.eta_sq.value:.1f} % (95 % CI " in text  # type: ignore[operator]
    assert f"The units × batch_size interaction is not significant (p = {inter.p:.3f})." in text
    batch = a.anova.term("batch_size")
    assert batch is not None and batch.p is not None and batch.p >= 0.05  # the data have no batch effect
    assert "batch_size: no evidence of an effect" in text and "batch_size explains" not in text
    n_same = len(a.best_set.members) - 1
    assert (
        f"cannot be distinguished from {n_same} of the 5 other configurations at α = 0.05 after Holm" in text
    )
    assert "Seed-to-seed variation alone accounts for" in text
    assert f"needs about {a.seeds_needed.n_seeds} seeds per configuration" in text
    again = analyse_study(study(), ["units", "batch_size"], "test_loss", settings=FAST)  # reproducible
    assert again.verdict == a.verdict and again.anova == a.anova and again.stability == a.stability
    pd.testing.assert_frame_equal(again.stats.table, a.stats.table)


@pytest.mark.parametrize(
    "runs, expected",
    [
        (
            paper_runs(),
            "Whether it is better than the other configurations cannot be tested: one seed per configuration.",
        ),
        (paper_runs().assign(state="DIVERGED"), "No run has a test loss: nothing can be concluded."),
        (paper_runs().assign(test_loss=NAN), "No run has a test loss: nothing can be concluded."),
        (
            paper_runs().head(1),
            "Whether it is better than the other configurations cannot be tested: a single configuration.",
        ),
    ],
)
def test_bad_input_gives_statements(runs: pd.DataFrame, expected: str) -> None:
    a = analyse_study(runs, PAPER_FACTORS, "test_loss", settings=FAST)
    assert expected in a.verdict
    assert not any("nan" in v.lower() for v in a.verdict)


def test_paper_table_1_from_aggregates_alone() -> None:
    a = analyse_study(paper_runs(), PAPER_FACTORS, "test_loss", settings=FAST)
    emb, ub = a.anova.term("embedding_dim"), a.anova.term("units", "batch_size")
    assert emb is not None and ub is not None and a.anova.residual_df == 8  # the three-way interaction
    assert emb.p is not None and emb.p > 0.05 and ub.p is not None and ub.p > 0.05
    assert any(v.startswith("Assuming no interaction of the highest order") for v in a.verdict)
    assert (
        "The share of the variance due to seeds cannot be estimated: one run per configuration." in a.verdict
    )


def test_settings_are_checked() -> None:
    with pytest.raises(AnalysisError, match=r"aggregate.alpha must be > 0 and < 1; got 5"):
        analyse_study(study(2), ["units", "batch_size"], settings=StatisticsSettings(alpha=5))
    with pytest.raises(AnalysisError, match=r"aggregate.penalty must give a finite value for test_loss"):
        analyse_study(study(2), ["units", "batch_size"], settings=StatisticsSettings(diverged="penalty"))
