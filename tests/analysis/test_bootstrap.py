"""The vectorised statistics and the seeded percentile bootstrap: same rule as `aggregate`, reproducible,
and an interval that covers the true mean about as often as it says."""

from __future__ import annotations

import numpy as np
import pytest

from sweepstat.analysis import STATISTICS, AnalysisError, aggregate, statistic_along
from sweepstat.analysis._bootstrap import bootstrap_intervals, generator, percentile_interval


def test_statistic_along_matches_aggregate_row_by_row() -> None:
    rng = np.random.default_rng(7)
    for n in (1, 2, 3, 5, 10, 25, 50):
        rows = rng.normal(size=(40, n))
        rows[0] = 1.0  # no spread
        if n >= 3:
            rows[1, :3] = [0.1, 0.2, 0.3]  # distances tied up to floating-point noise
            rows[2] = np.round(rows[2])  # exact ties
        for statistic in STATISTICS:
            for trim in (0.0, 0.1, 0.2, 0.45):
                got = statistic_along(rows, statistic, trim)
                want = [aggregate(r, statistic, trim).value for r in rows]
                assert got == pytest.approx(want, rel=1e-12, abs=1e-12), (n, statistic, trim)
    assert statistic_along(np.array([[1.0, 3.0]]), "sd")[0] == pytest.approx(np.sqrt(2))
    assert np.isnan(statistic_along(np.array([[1.0]]), "sd")[0])


def test_interquartile_mean_by_hand() -> None:
    # n = 8: ⌊8/4⌋ = 2 cut from each end → mean(3, 4, 5, 6) = 4.5; n = 10: ⌊2.5⌋ = 2 → mean(3..8) = 5.5.
    assert aggregate(np.array([8, 1, 7, 2, 6, 3, 5, 4.0]), "iqm").value == pytest.approx(4.5)
    r = aggregate(np.arange(1, 11, dtype=float) ** 1, "iqm")
    assert (r.value, r.n_used, r.n_dropped) == (pytest.approx(5.5), 6, 4)
    assert aggregate(np.array([1.0, 100.0, 2.0]), "iqm").value == pytest.approx(103 / 3)  # n=3: nothing cut


def test_same_seed_same_interval_and_the_names_matter() -> None:
    x = np.random.default_rng(0).normal(size=12)

    def ci(*keys: str) -> tuple[float | None, float | None]:
        iv = bootstrap_intervals(x, ["mean"], rng=generator(0, *keys), n_resamples=500)["mean"]
        return iv.low, iv.high

    assert ci("c1", "test_loss") == ci("c1", "test_loss")
    assert ci("c1", "test_loss") != ci("c2", "test_loss")


def test_interval_brackets_the_estimate_and_narrows_with_n() -> None:
    rng = np.random.default_rng(1)
    small = bootstrap_intervals(rng.normal(size=10), ["mean", "median"], rng=generator(0))
    large = bootstrap_intervals(rng.normal(size=400), ["mean", "median"], rng=generator(0))
    for s in ("mean", "median"):
        for iv in (small[s], large[s]):
            assert iv.low is not None and iv.high is not None and iv.value is not None
            assert iv.low <= iv.value <= iv.high
        width = [iv.high - iv.low for iv in (small[s], large[s])]  # type: ignore[operator]
        assert width[1] < width[0] / 3
    # the percentile interval of the mean of 400 N(0,1) values is close to ±1.96/√400
    assert large["mean"].high - large["mean"].low == pytest.approx(2 * 1.96 / 20, rel=0.15)  # type: ignore[operator]


def test_too_few_values_give_a_reason_not_nan() -> None:
    one = bootstrap_intervals(np.array([0.5]), ["mean", "sd"], rng=generator(0))
    assert (one["mean"].value, one["mean"].low, one["mean"].reason) == (0.5, None, "one value: no interval")
    assert one["sd"].value is None
    none = bootstrap_intervals(np.array([]), ["mean"], rng=generator(0))
    assert none["mean"].value is None and none["mean"].reason == "no values"
    flat = bootstrap_intervals(np.full(5, 0.3), ["mean", "sd"], rng=generator(0))
    assert (flat["mean"].low, flat["mean"].high, flat["sd"].high) == (0.3, 0.3, 0.0)


def test_percentile_interval_of_draws() -> None:
    draws = np.arange(1001, dtype=float)
    assert percentile_interval(draws, 0.95) == (pytest.approx(25.0), pytest.approx(975.0))
    assert percentile_interval(np.array([np.nan]), 0.95) is None


def coverage(statistic: str, n: int, repetitions: int, n_resamples: int) -> float:
    """Share of intervals from N(1, 2²) samples of size n that contain the true centre (1)."""
    rng = np.random.default_rng(2024)
    hits = 0
    for r in range(repetitions):
        x = rng.normal(1.0, 2.0, size=n)
        iv = bootstrap_intervals(x, [statistic], rng=generator(r), n_resamples=n_resamples)[statistic]
        hits += iv.low <= 1.0 <= iv.high  # type: ignore[operator]
    return hits / repetitions


def test_coverage_of_the_mean_on_a_normal_sample() -> None:
    # 200 samples of 20: a nominal 95 % percentile interval covers about 93 % (it is a little narrow).
    assert 0.90 <= coverage("mean", 20, 200, 1000) <= 0.99


@pytest.mark.slow
@pytest.mark.parametrize("statistic", ["mean", "median", "iqm", "paper_trimmed", "trimmed"])
def test_coverage_of_every_centre_statistic(statistic: str) -> None:
    # The normal is symmetric: every one of these estimates its centre. 1000 samples of 30.
    assert 0.91 <= coverage(statistic, 30, 1000, 2000) <= 0.98


def test_bad_settings() -> None:
    from sweepstat.analysis._bootstrap import check_bootstrap

    with pytest.raises(AnalysisError, match=r"x.confidence must be ≥ 0.5 and < 1; got 95"):
        check_bootstrap(95, 2000, "x")
    with pytest.raises(AnalysisError, match=r"x.n_resamples must be an integer ≥ 100; got 10"):
        check_bootstrap(0.95, 10, "x")
