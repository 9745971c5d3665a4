"""The factorial ANOVA against published F values, partial η² by hand, the projection sums of squares
against statsmodels, and what cannot be tested."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sweepstat.analysis import factorial_anova, fanova_importance, run_values

from .tables import make_runs

# R's `warpbreaks` (Tippett 1950): breaks per loom by wool (A, B) and tension (L, M, H), 9 looms each.
WARPBREAKS = {
    ("A", "L"): [26, 30, 54, 25, 70, 52, 51, 26, 67],
    ("A", "M"): [18, 21, 29, 17, 12, 18, 35, 30, 36],
    ("A", "H"): [36, 21, 24, 18, 10, 43, 28, 15, 26],
    ("B", "L"): [27, 14, 29, 19, 29, 31, 41, 20, 44],
    ("B", "M"): [42, 26, 19, 16, 39, 28, 21, 39, 29],
    ("B", "H"): [20, 21, 24, 17, 13, 15, 15, 16, 28],
}


def runs_of(cells: dict[tuple[object, ...], list[float]], factors: list[str]) -> pd.DataFrame:
    rows = []
    for i, (levels, values) in enumerate(cells.items()):
        rows += [(f"c{i}", *levels, s, "COMPLETE", v, 0.5) for s, v in enumerate(values)]
    return make_runs(rows, factors)


def anova_of(runs: pd.DataFrame, factors: list[str], **kw):  # type: ignore[no-untyped-def]
    return factorial_anova(run_values(runs, "test_loss", factors), n_resamples=300, **kw)


def test_two_way_anova_matches_r_on_warpbreaks() -> None:
    # summary(aov(breaks ~ wool * tension, data = warpbreaks)):
    #   wool 1 450.7 F 3.765 p 0.058213; tension 2 2034.3 F 8.498 p 0.000693;
    #   wool:tension 2 1002.8 F 4.189 p 0.021044; Residuals 48 5745.1
    a = anova_of(runs_of(WARPBREAKS, ["wool", "tension"]), ["wool", "tension"])
    wool, tension, both = a.term("wool"), a.term("tension"), a.term("tension", "wool")
    assert wool and tension and both and a.reason == ""
    assert (wool.df, wool.sum_sq, wool.f, wool.p) == (
        1,
        pytest.approx(450.67, abs=0.01),
        pytest.approx(3.765, abs=5e-4),
        pytest.approx(0.058213, abs=1e-6),
    )
    assert (tension.df, tension.f, tension.p) == (
        2,
        pytest.approx(8.498, abs=5e-4),
        pytest.approx(0.000693, abs=1e-6),
    )
    assert (both.term, both.f, both.p) == (
        "wool × tension",
        pytest.approx(4.189, abs=5e-4),
        pytest.approx(0.021044, abs=1e-6),
    )
    assert (a.residual_df, a.residual_ss) == (48, pytest.approx(5745.1, abs=0.05))
    # partial η² and η² by hand
    assert tension.partial_eta_sq.value == pytest.approx(
        tension.sum_sq / (tension.sum_sq + 5745.111), rel=1e-5
    )
    assert tension.eta_sq.value == pytest.approx(tension.sum_sq / a.total_ss)
    lo, hi = tension.eta_sq.low, tension.eta_sq.high
    assert lo is not None and hi is not None and lo < tension.eta_sq.value < hi
    # balanced: the three terms and the residual add up to the total; the within-configuration SS is the residual
    assert sum(t.sum_sq for t in a.terms) + a.residual_ss == pytest.approx(a.total_ss)
    assert a.shares["seeds"].value == pytest.approx(a.residual_ss / a.total_ss)
    assert a.shares["higher-order"].value == pytest.approx(0.0, abs=1e-12)


def test_one_way_matches_scipy_docs_mussel_example() -> None:
    # scipy.stats.f_oneway docs (McDonald et al. 1991): F = 7.121019471642447, p = 0.0002812242314534544.
    shells = {
        ("tillamook",): [0.0571, 0.0813, 0.0831, 0.0976, 0.0817, 0.0859, 0.0735, 0.0659, 0.0923, 0.0836],
        ("newport",): [0.0873, 0.0662, 0.0672, 0.0819, 0.0749, 0.0649, 0.0835, 0.0725],
        ("petersburg",): [0.0974, 0.1352, 0.0817, 0.1016, 0.0968, 0.1064, 0.105],
        ("magadan",): [0.1033, 0.0915, 0.0781, 0.0685, 0.0677, 0.0697, 0.0764, 0.0689],
        ("tvarminne",): [0.0703, 0.1026, 0.0956, 0.0973, 0.1039, 0.1045],
    }
    site = anova_of(runs_of(shells, ["site"]), ["site"]).term("site")
    assert site is not None
    assert (site.f, site.p) == (
        pytest.approx(7.121019471642447, rel=1e-9),
        pytest.approx(0.0002812242314534544, rel=1e-7),
    )
    assert site.f == pytest.approx(stats.f_oneway(*shells.values()).statistic)


def test_unbalanced_design_projection_matches_statsmodels() -> None:
    rng = np.random.default_rng(5)
    cells = {
        (u, b, e): list(0.5 * u + 0.3 * (e == 2) + rng.normal(0, 0.2, size=rng.integers(2, 7)))
        for u, b, e in itertools.product([1, 2, 3], ["x", "y"], [1, 2])
    }
    a = anova_of(runs_of(cells, ["u", "b", "e"]), ["u", "b", "e"])
    assert len(a.terms) == 6 and len(a.interactions) == 3
    for t in a.terms:  # η² comes from the bootstrap's projections, sum_sq from anova_lm
        assert t.eta_sq.value == pytest.approx(t.sum_sq / a.total_ss, rel=1e-9)
    assert a.term("u") is not None and a.term("u").p < 0.001  # type: ignore[union-attr,operator]
    assert a.term("e").eta_sq.value > a.term("b").eta_sq.value  # type: ignore[union-attr,operator]
    s = a.shares
    assert s["seeds"].value + s["hyperparameters"].value == pytest.approx(1.0)  # type: ignore[operator]
    assert s["modelled"].value + s["higher-order"].value == pytest.approx(s["hyperparameters"].value)  # type: ignore[operator]
    again = anova_of(runs_of(cells, ["u", "b", "e"]), ["u", "b", "e"])
    assert again == a  # seeded


def test_one_run_per_configuration_uses_the_top_interaction_as_error() -> None:
    cells = {
        (u, b): [float(u + 2 * (b == "y") + 0.1 * (u * (b == "y")) % 0.7)] for u in (1, 2, 3, 4) for b in "xy"
    }
    a = anova_of(runs_of(cells, ["u", "b"]), ["u", "b"])
    assert a.interactions == () and a.residual_df == 3  # the u × b interaction is the residual
    assert (
        "Too few runs to test two-way interactions" in a.notes[0]
        and "One run per configuration" in a.notes[1]
    )
    assert a.shares["seeds"].value is None and a.shares["seeds"].reason == "one run per configuration"
    assert a.term("b").eta_sq.low is None  # type: ignore[union-attr]


def test_cannot_test_statements() -> None:
    single = runs_of({(1,): [0.1, 0.2, 0.3]}, ["u"])
    assert anova_of(single, ["u"]).reason == "cannot test: a single configuration"
    flat = runs_of({(1,): [0.5, 0.5], (2,): [0.5, 0.5]}, ["u"])
    assert anova_of(flat, ["u"]).reason == "cannot test: every run has the same test_loss"
    diverged = make_runs([("a", 1, 0, "DIVERGED", np.nan, np.nan)], ["u"])
    assert anova_of(diverged, ["u"]).reason == "cannot test: no run has a test_loss"
    two = runs_of({(1,): [0.1], (2,): [0.2]}, ["u"])
    assert anova_of(two, ["u"]).reason == "cannot test: no residual degrees of freedom (too few runs)"
    # a factor with one level is left out, with a note
    runs = runs_of({(1, "x"): [0.1, 0.2], (2, "x"): [0.5, 0.6]}, ["u", "k"])
    a = anova_of(runs, ["u", "k"])
    assert a.factors == ("u",) and a.notes[0] == "k has one level among the runs with a value: not tested."


def test_fanova_finds_the_factor_that_matters() -> None:
    rng = np.random.default_rng(1)
    cells = {(u, b): list(1.0 * u + rng.normal(0, 0.05, size=4)) for u in (1, 2, 3) for b in ("x", "y", "z")}
    runs = runs_of(cells, ["u", "b"])
    f = fanova_importance(run_values(runs, "test_loss", ["u", "b"]), seed=0)
    assert f.reason == "" and f.importance["u"] > 0.9 and f.importance["b"] < 0.05
    assert f == fanova_importance(run_values(runs, "test_loss", ["u", "b"]), seed=0)
    a = anova_of(runs, ["u", "b"])
    assert a.term("u").between_share.value == pytest.approx(f.importance["u"], abs=0.05)  # type: ignore[union-attr]
    single = fanova_importance(run_values(runs_of({(1,): [0.1, 0.2]}, ["u"]), "test_loss", ["u"]))
    assert single.reason == "cannot estimate: a single configuration"
    flat = fanova_importance(run_values(runs_of({(1,): [0.5], (2,): [0.5]}, ["u"]), "test_loss", ["u"]))
    assert flat.reason == "cannot estimate: no variance to explain"
