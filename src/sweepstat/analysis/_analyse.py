"""Every statistic of one study's objective in one call: what `sweepstat report` shows, for Python users too."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from sweepstat.analysis._aggregate import STATISTICS, check_statistic
from sweepstat.analysis._anova import AnovaResult, factorial_anova
from sweepstat.analysis._bootstrap import check_bootstrap
from sweepstat.analysis._checks import AnalysisError, check_columns
from sweepstat.analysis._compare import BestSet, RankStability, best_set, rank_stability
from sweepstat.analysis._effects import FactorEffect, factor_effects
from sweepstat.analysis._importance import FanovaResult, fanova_importance
from sweepstat.analysis._power import SeedsNeeded, seeds_needed
from sweepstat.analysis._summary import ConfigStats, config_stats
from sweepstat.analysis._values import check_treatment
from sweepstat.analysis._verdict import verdict
from sweepstat.errors import Problem


@dataclass(frozen=True)
class StatisticsSettings:
    """How the statistics are computed (the study file's ``aggregate`` section).

    ``statistic``/``trim``: the aggregate that ranks configurations (`aggregate`). ``diverged``/``penalty``:
    how diverged runs count (`run_values`). ``confidence``: of every interval. ``n_resamples``/``seed``:
    of every bootstrap. ``alpha``: of every test (after Holm's correction). ``power``: for `seeds_needed`.
    """

    statistic: str = "mean"
    trim: float = 0.1
    diverged: str = "exclude"
    penalty: float | Mapping[str, float] | None = None
    confidence: float = 0.95
    n_resamples: int = 2000
    seed: int = 0
    alpha: float = 0.05
    power: float = 0.8

    def check(self, metric: str, where: str = "aggregate") -> None:
        check_statistic(self.statistic, self.trim, where)
        check_treatment(self.diverged, self.penalty, [metric], where)
        check_bootstrap(self.confidence, self.n_resamples, where)
        problems = [
            Problem(f"{where}.{name}", "must be > 0 and < 1", value, fix)
            for name, value, fix in (("alpha", self.alpha, "e.g. 0.05"), ("power", self.power, "e.g. 0.8"))
            if not (isinstance(value, int | float) and 0 < float(value) < 1)
        ]
        if problems:
            raise AnalysisError(problems)


@dataclass(frozen=True)
class StudyAnalysis:
    """The statistics of one metric of one study (each field is the named function's result)."""

    metric: str
    direction: str
    factors: tuple[str, ...]
    settings: StatisticsSettings
    stats: ConfigStats
    best_set: BestSet
    stability: RankStability
    anova: AnovaResult
    fanova: FanovaResult
    effects: dict[str, FactorEffect]
    seeds_needed: SeedsNeeded
    verdict: tuple[str, ...] = field(default=())


def analyse_study(
    runs: pd.DataFrame,
    factors: Sequence[str],
    metric: str = "test_loss",
    direction: str | None = None,
    settings: StatisticsSettings | None = None,
) -> StudyAnalysis:
    """Aggregates with intervals, the best set, rank stability, ANOVA, fANOVA, effects, seeds needed and a
    verdict for ``metric`` over the configurations of ``runs`` (the study store's runs table)."""
    s = settings or StatisticsSettings()
    s.check(metric)
    check_columns("runs", runs, ["run_id", "config_id", "seed", "state", *factors, metric])
    stats_ = config_stats(
        runs,
        factors,
        metric,
        direction=direction,
        diverged=s.diverged,
        penalty=s.penalty,
        trim=s.trim,
        confidence=s.confidence,
        n_resamples=s.n_resamples,
        seed=s.seed,
    )
    boot = dict(confidence=s.confidence, n_resamples=s.n_resamples, seed=s.seed)
    result = StudyAnalysis(
        metric=metric,
        direction=stats_.direction,
        factors=tuple(factors),
        settings=s,
        stats=stats_,
        best_set=best_set(stats_, s.statistic, alpha=s.alpha),
        stability=rank_stability(
            stats_.values, s.statistic, trim=s.trim, n_resamples=s.n_resamples, seed=s.seed
        ),
        anova=factorial_anova(stats_.values, **boot),  # type: ignore[arg-type]
        fanova=fanova_importance(stats_.values, seed=s.seed),
        effects=factor_effects(stats_.values, **boot),  # type: ignore[arg-type]
        seeds_needed=seeds_needed(stats_, s.statistic, alpha=s.alpha, power=s.power),
    )
    return StudyAnalysis(**{**result.__dict__, "verdict": verdict(result)})


__all__ = ["STATISTICS", "StatisticsSettings", "StudyAnalysis", "analyse_study"]
