"""Which configurations cannot be told apart from the best, and how often each one comes out best.

``best_set`` tests every configuration against the best one (by the chosen aggregate):

- unpaired (the default): Welch's t-test (``scipy.stats.ttest_ind(equal_var=False)``) and the
  Mann–Whitney U test (``scipy.stats.mannwhitneyu``, two-sided, exact for small samples without ties);
- paired by seed, when both configurations have values for exactly the same seeds (each once): the paired
  t-test (``scipy.stats.ttest_rel``) and the Wilcoxon signed-rank test (``scipy.stats.wilcoxon``).

Each family of p-values (t, rank) is Holm-corrected over the comparisons with the best
(``statsmodels.stats.multitest.multipletests(method="holm")``). A configuration is *distinguished* from
the best only when both corrected p-values are below α: the best set (the best and every configuration not
distinguished from it) is the conservative one, so that "cannot be distinguished" is never overstated.
Effect sizes: the difference (configuration − best) of the means with the t-test's confidence interval,
Cohen's d (difference of means over the pooled standard deviation, ddof=1) and Cliff's delta
(P(x > y) − P(x < y), from the Mann–Whitney U: 2U/(n·m) − 1).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from sweepstat.analysis._aggregate import check_statistic
from sweepstat.analysis._bootstrap import check_bootstrap, generator, statistic_along
from sweepstat.analysis._summary import ConfigStats
from sweepstat.analysis._values import RunValues

ONE_SEED = "cannot test: one seed per configuration"


@dataclass(frozen=True)
class Comparison:
    """One configuration against the best. Fields are None where they cannot exist; ``reason`` says why."""

    config_id: str
    n: int
    n_best: int
    paired: bool = False
    difference: float | None = None  # mean(config) − mean(best); paired: mean of the seed-wise differences
    diff_low: float | None = None
    diff_high: float | None = None
    cohens_d: float | None = None
    cliffs_delta: float | None = None
    t_statistic: float | None = None
    t_df: float | None = None
    t_p: float | None = None
    t_p_holm: float | None = None
    rank_statistic: float | None = None
    rank_p: float | None = None
    rank_p_holm: float | None = None
    distinguished: bool | None = None  # None: not tested
    reason: str = ""

    @property
    def t_test(self) -> str:
        return "paired t" if self.paired else "Welch t"

    @property
    def rank_test(self) -> str:
        return "Wilcoxon signed-rank" if self.paired else "Mann–Whitney U"


@dataclass(frozen=True)
class BestSet:
    """The best configuration and its comparison with every other one (in table order).

    ``members``: the best and every configuration not distinguished from it; ``distinguished``: the ones
    that are; ``untested``: the ones that could not be tested (their ``reason`` says why).
    """

    metric: str
    direction: str
    statistic: str
    alpha: float
    confidence: float
    best: str | None
    best_value: float | None
    comparisons: tuple[Comparison, ...] = ()
    reason: str = ""

    @property
    def members(self) -> tuple[str, ...]:
        rest = tuple(c.config_id for c in self.comparisons if c.distinguished is False)
        return ((self.best,) if self.best else ()) + rest

    @property
    def distinguished(self) -> tuple[str, ...]:
        return tuple(c.config_id for c in self.comparisons if c.distinguished)

    @property
    def untested(self) -> tuple[str, ...]:
        return tuple(c.config_id for c in self.comparisons if c.distinguished is None)

    def frame(self) -> pd.DataFrame:
        rows = [{**c.__dict__, "t_test": c.t_test, "rank_test": c.rank_test} for c in self.comparisons]
        return pd.DataFrame(rows)


def _seed_map(frame: pd.DataFrame) -> dict[object, float] | None:
    """seed → value, or None when a seed repeats (then the configuration cannot be paired by seed)."""
    seeds = frame["seed"].tolist()
    if len(set(seeds)) != len(seeds):
        return None
    return dict(zip(seeds, frame["value"].to_numpy(dtype=float), strict=True))


def _f(x: object) -> float | None:
    v = float(x)  # type: ignore[arg-type]
    return v if np.isfinite(v) else None


SeedMap = dict[object, float] | None


def _compare(cid: str, x: np.ndarray, b: np.ndarray, xs: SeedMap, bs: SeedMap, conf: float) -> Comparison:
    n, m = x.size, b.size
    if n < 2 or m < 2:
        return Comparison(
            cid, n, m, reason=ONE_SEED if n <= 1 and m <= 1 else "cannot test: fewer than two values"
        )
    paired = xs is not None and bs is not None and set(xs) == set(bs)
    sd_pooled = np.sqrt(((n - 1) * np.var(x, ddof=1) + (m - 1) * np.var(b, ddof=1)) / (n + m - 2))
    base = Comparison(cid, n, m, paired=paired)
    if sd_pooled <= 1e-12 * max(1.0, abs(float(x.mean())), abs(float(b.mean()))):  # constant up to rounding
        return Comparison(
            cid, n, m, paired, difference=float(x.mean() - b.mean()),
            reason="cannot test: no spread in either configuration",
        )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if paired:
            assert xs is not None and bs is not None
            keys = sorted(xs, key=str)
            xp, bp = np.array([xs[k] for k in keys]), np.array([bs[k] for k in keys])
            if np.ptp(xp - bp) <= 1e-12 * max(1.0, float(np.abs(xp - bp).max())):
                return Comparison(
                    cid, n, m, paired, difference=float(np.mean(xp - bp)),
                    reason="cannot test: the seed-wise differences are all equal",
                )  # fmt: skip
            t = stats.ttest_rel(xp, bp)
            diff = float(np.mean(xp - bp))
            try:
                r = stats.wilcoxon(xp, bp)
                rank_stat, rank_p = _f(r.statistic), _f(r.pvalue)
            except ValueError:  # every difference is zero
                rank_stat, rank_p = None, None
        else:
            t = stats.ttest_ind(x, b, equal_var=False)
            diff = float(x.mean() - b.mean())
            r = stats.mannwhitneyu(x, b, alternative="two-sided")
            rank_stat, rank_p = _f(r.statistic), _f(r.pvalue)
        ci = t.confidence_interval(confidence_level=conf)
    u = stats.mannwhitneyu(x, b, alternative="two-sided").statistic
    return Comparison(
        **{
            **base.__dict__,
            "difference": diff,
            "diff_low": _f(ci.low),
            "diff_high": _f(ci.high),
            "cohens_d": float((x.mean() - b.mean()) / sd_pooled),
            "cliffs_delta": float(2 * u / (n * m) - 1),
            "t_statistic": _f(t.statistic),
            "t_df": _f(t.df),
            "t_p": _f(t.pvalue),
            "rank_statistic": rank_stat,
            "rank_p": rank_p,
        }
    )


def _holm(ps: list[float | None], alpha: float) -> list[float | None]:
    idx = [i for i, p in enumerate(ps) if p is not None]
    out: list[float | None] = [None] * len(ps)
    if idx:
        adjusted = multipletests([ps[i] for i in idx], alpha=alpha, method="holm")[1]
        for i, p in zip(idx, adjusted, strict=True):
            out[i] = float(p)
    return out


def best_config_id(stats_: ConfigStats, statistic: str) -> tuple[str | None, float | None]:
    """The configuration with the best ``statistic`` (first in table order on ties)."""
    values = stats_.table[statistic].to_numpy(dtype=float)
    if not np.isfinite(values).any():
        return None, None
    i = int(np.nanargmin(values) if stats_.direction == "minimize" else np.nanargmax(values))
    return str(stats_.table["config_id"].iloc[i]), float(values[i])


def best_set(stats_: ConfigStats, statistic: str = "mean", *, alpha: float = 0.05) -> BestSet:
    """Compare every configuration of ``stats_`` with the best by ``statistic`` (see the module docstring)."""
    check_statistic(statistic, stats_.trim, "best_set")
    best, best_value = best_config_id(stats_, statistic)

    def result(comparisons: tuple[Comparison, ...] = (), reason: str = "") -> BestSet:
        return BestSet(
            stats_.metric,
            stats_.direction,
            statistic,
            alpha,
            stats_.confidence,
            best,
            best_value,
            comparisons,
            reason,
        )

    if best is None:
        return result(reason=f"no configuration has a {stats_.metric}")
    if len(stats_.table) == 1:
        return result(reason="cannot test: a single configuration")
    frame = stats_.values.frame
    groups = {str(k): g for k, g in frame.groupby("config_id", sort=False)}
    by_config = stats_.values.by_config()
    b = by_config[best]
    b_seeds = _seed_map(groups[best])
    comparisons = []
    for cid in stats_.table["config_id"].astype(str):
        if cid == best:
            continue
        x = by_config[cid]
        if x.size == 0:
            comparisons.append(Comparison(cid, 0, b.size, reason="cannot test: no value"))
            continue
        comparisons.append(_compare(cid, x, b, _seed_map(groups[cid]), b_seeds, stats_.confidence))
    t_holm = _holm([c.t_p for c in comparisons], alpha)
    r_holm = _holm([c.rank_p for c in comparisons], alpha)
    done = []
    for c, tp, rp in zip(comparisons, t_holm, r_holm, strict=True):
        tested = [p for p in (tp, rp) if p is not None]
        verdict = all(p < alpha for p in tested) if tested else None
        done.append(Comparison(**{**c.__dict__, "t_p_holm": tp, "rank_p_holm": rp, "distinguished": verdict}))
    reason = ONE_SEED if all(c.reason == ONE_SEED for c in done) else ""
    return result(tuple(done), reason)


@dataclass(frozen=True)
class RankStability:
    """How often each configuration is best when the seeds are resampled (``share``: 0–1, ties split).

    ``joint``: every configuration has values for the same seeds, and the seeds were resampled together
    (keeping seed-to-seed correlation); else each configuration's runs were resampled on their own.
    """

    metric: str
    statistic: str
    n_resamples: int
    seed: int
    joint: bool
    share: dict[str, float] = field(default_factory=dict)
    reason: str = ""


def rank_stability(
    values: RunValues, statistic: str = "mean", *, trim: float = 0.1, n_resamples: int = 2000, seed: int = 0
) -> RankStability:
    """Resample each configuration's seeds with replacement ``n_resamples`` times; count who is best."""
    check_statistic(statistic, trim, "rank_stability")
    check_bootstrap(0.95, n_resamples, "rank_stability")
    by_config = {k: v for k, v in values.by_config().items() if v.size}

    def result(joint: bool = False, share: dict[str, float] | None = None, reason: str = "") -> RankStability:
        return RankStability(values.metric, statistic, n_resamples, seed, joint, share or {}, reason)

    if not by_config:
        return result(reason=f"no configuration has a {values.metric}")
    if len(by_config) == 1:
        return result(share=dict.fromkeys(by_config, 1.0), reason="cannot test: a single configuration")
    if max(v.size for v in by_config.values()) < 2:
        return result(reason=ONE_SEED)
    rng = generator(seed, "rank_stability", values.metric)
    names = list(by_config)
    maps = {str(k): _seed_map(g) for k, g in values.frame.groupby("config_id", sort=False)}
    seed_sets = {frozenset(m) if m is not None else None for m in (maps[c] for c in names)}
    joint = len(seed_sets) == 1 and None not in seed_sets
    if joint:
        seeds = sorted(next(iter(seed_sets)), key=str)  # type: ignore[arg-type]
        matrix = np.array([[maps[c][s] for s in seeds] for c in names])  # type: ignore[index]  # (C, S)
        idx = rng.integers(0, len(seeds), size=(n_resamples, len(seeds)))
        draws = statistic_along(matrix[:, idx], statistic, trim)  # (C, B)
    else:
        draws = np.stack(
            [
                statistic_along(x[rng.integers(0, x.size, size=(n_resamples, x.size))], statistic, trim)
                for x in by_config.values()
            ]
        )
    best = draws.min(axis=0) if values.direction == "minimize" else draws.max(axis=0)
    wins = draws == best  # (C, B); a tie shares the win
    share = (wins / wins.sum(axis=0)).mean(axis=1)
    return result(joint, {c: float(s) for c, s in zip(names, share, strict=True)})
