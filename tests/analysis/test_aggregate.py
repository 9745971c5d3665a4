"""The four statistics against hand-computed values, including seed 000's trimmed mean rule by rule."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sweepstat.analysis import AnalysisError, aggregate, describe_statistic
from sweepstat.errors import UserError


def agg(values: list[float], statistic: str, trim: float = 0.1):  # type: ignore[no-untyped-def]
    return aggregate(np.array(values, dtype=float), statistic, trim)


def test_mean_and_median_use_every_value() -> None:
    assert agg([1, 2, 3, 10], "mean").value == pytest.approx(4.0)
    assert agg([1, 2, 3, 10], "median").value == pytest.approx(2.5)
    r = agg([1, 2, 3, 10], "median")
    assert (r.n_used, r.n_dropped, r.dropped) == (4, 0, ())


def test_paper_trimmed_drops_the_value_furthest_from_the_mean() -> None:
    # mean 22, sd 43.6; |100 − 22| is the largest distance. k = ⌊0.2·5 + ½⌋ = 1 → mean(1, 2, 3, 4).
    r = agg([1, 2, 3, 4, 100], "paper_trimmed", 0.2)
    assert r.value == pytest.approx(2.5)
    assert (r.n_used, r.n_dropped, r.dropped) == (4, 1, (4,))


def test_paper_trimmed_is_one_sided_unlike_a_symmetric_trim() -> None:
    # mean 12.6: 0 lies 12.6 away, 18 only 5.4. k = ⌊0.1·10 + ½⌋ = 1 → mean(10..18) = 126 / 9 = 14.
    values = [0, 10, 11, 12, 13, 14, 15, 16, 17, 18]
    paper = agg(values, "paper_trimmed", 0.1)
    assert paper.value == pytest.approx(14.0)
    assert paper.dropped == (0,)
    # The symmetric trim cuts ⌊0.1·10⌋ = 1 from each end: mean(10..17) = 13.5.
    sym = agg(values, "trimmed", 0.1)
    assert sym.value == pytest.approx(13.5)
    assert sym.dropped == (0, 9)


def test_paper_trimmed_rounds_half_up() -> None:
    # n = 5, trim 0.1: 0.5 runs → 1 (Python's round(0.5) would give 0 and drop nothing).
    r = agg([1, 2, 3, 4, 10], "paper_trimmed", 0.1)
    assert r.n_dropped == 1 and r.value == pytest.approx(2.5)
    # n = 25: 2.5 → 3 (round() would give 2); n = 50 → 5 (seed 000's case); n = 14: 1.4 → 1.
    for n, k in ((25, 3), (50, 5), (14, 1), (4, 0)):
        values = np.arange(n, dtype=float) ** 2  # all distinct distances from the mean
        assert aggregate(values, "paper_trimmed", 0.1).n_dropped == k, n


def test_paper_trimmed_does_not_recompute_mean_after_dropping() -> None:
    # k = ⌊0.2·10 + ½⌋ = 2. One pass: m = 10.1, so 100 (89.9 away) and then a 0 (10.1 away; the first of the
    # tied zeros) go, not the 1 (9.1 away): mean(0 ×7, 1) = 0.125. Dropping one at a time and recomputing m
    # would drop 100, then 1, and give 0.
    r = agg([0, 0, 0, 0, 0, 0, 0, 0, 1, 100], "paper_trimmed", 0.2)
    assert r.dropped == (0, 9)
    assert r.value == pytest.approx(0.125)


def test_paper_trimmed_ties_drop_the_earlier_run() -> None:
    # mean 2: 1 and 3 are both 1 away; k = ⌊0.2·3 + ½⌋ = 1 → the earlier one goes.
    assert agg([1, 2, 3], "paper_trimmed", 0.2).value == pytest.approx(2.5)
    assert agg([3, 2, 1], "paper_trimmed", 0.2).value == pytest.approx(1.5)
    # Distances equal up to floating-point noise are ties too.
    r = agg([0.1, 0.2, 0.3], "paper_trimmed", 0.2)
    assert r.dropped == (0,) and r.value == pytest.approx(0.25)


def test_paper_trimmed_drops_nothing_without_spread() -> None:
    r = agg([5, 5, 5, 5, 5], "paper_trimmed", 0.2)
    assert (r.value, r.n_used, r.n_dropped) == (5.0, 5, 0)
    r = agg([7], "paper_trimmed", 0.49)
    assert (r.value, r.n_used, r.n_dropped) == (7.0, 1, 0)


def test_symmetric_trimmed_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    for n in (1, 2, 7, 20, 33):
        x = rng.normal(size=n)
        r = aggregate(x, "trimmed", 0.2)
        assert r.value == pytest.approx(float(stats.trim_mean(x, 0.2)))
        assert r.n_dropped == 2 * int(0.2 * n)
        kept = np.delete(x, list(r.dropped))
        assert r.value == pytest.approx(kept.mean())


def test_no_values_is_a_statement_not_nan() -> None:
    for statistic in ("mean", "median", "paper_trimmed", "trimmed"):
        r = aggregate(np.array([]), statistic)
        assert r.value is None and r.n_used == 0 and r.reason == "no values"


def test_bad_arguments_are_user_errors() -> None:
    with pytest.raises(
        AnalysisError, match=r"statistic must be one of .*got 'paper_trim'.*did you mean 'paper_trimmed'"
    ):
        agg([1.0], "paper_trim")
    with pytest.raises(UserError, match=r"aggregate.trim must be ≥ 0 and < 0.5; got 0.5"):
        agg([1.0], "trimmed", 0.5)
    with pytest.raises(ValueError, match=r"must be finite; got 'NaN or inf at positions \[1\]'"):
        agg([1.0, float("nan")], "mean")
    with pytest.raises(AnalysisError, match=r"must be 1-D"):
        aggregate(np.ones((2, 2)), "mean")


def test_description_states_the_rule() -> None:
    text = describe_statistic("paper_trimmed", 0.1)
    assert "⌊0.1·n + ½⌋" in text and "ddof=1" in text and "earlier run first" in text
    assert "⌊0.2·n⌋" in describe_statistic("trimmed", 0.2)
