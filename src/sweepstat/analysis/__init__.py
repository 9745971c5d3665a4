"""Analysis of a study: tables of runs in, plain result objects out (the report only draws them).

Input tables are the study store's ``runs`` (one row per run) and ``curves`` (one row per run per
evaluation). ``config_table`` makes seed 000's Table 1; ``best_per_level``, ``spread`` and
``factor_lines`` take that table. The statistics start from ``run_values`` (one metric per run, diverged
runs treated as asked): ``config_stats`` (aggregates with bootstrap intervals), ``best_set`` and
``rank_stability``, ``factorial_anova``, ``fanova_importance``, ``factor_effects`` and ``seeds_needed``;
``analyse_study`` runs them all and writes the verdict. docs/statistics.md explains each.
"""

from __future__ import annotations

from sweepstat.analysis._aggregate import STATISTICS, AggregateResult, aggregate, describe_statistic
from sweepstat.analysis._analyse import StatisticsSettings, StudyAnalysis, analyse_study
from sweepstat.analysis._anova import AnovaResult, AnovaTerm, factorial_anova
from sweepstat.analysis._bootstrap import CI_METHOD, CI_STATISTICS, Interval, statistic_along
from sweepstat.analysis._checks import (
    COMPLETE,
    CURVE_METRICS,
    DIRECTIONS,
    DIVERGED,
    FAILED,
    AnalysisError,
    Direction,
    did_you_mean,
)
from sweepstat.analysis._compare import BestSet, Comparison, RankStability, best_set, rank_stability
from sweepstat.analysis._configs import (
    NO_COMPLETE_RUN,
    BestConfig,
    SpreadResult,
    best_config,
    config_table,
    spread,
)
from sweepstat.analysis._curves import curve_bands
from sweepstat.analysis._effects import FactorEffect, factor_effects
from sweepstat.analysis._importance import FanovaResult, fanova_importance
from sweepstat.analysis._labels import describe, format_level, sorted_levels
from sweepstat.analysis._levels import best_per_level, factor_lines
from sweepstat.analysis._power import SeedsNeeded, seeds_needed
from sweepstat.analysis._summary import ConfigStats, config_stats
from sweepstat.analysis._values import (
    DIVERGED_TREATMENTS,
    DivergedTreatment,
    Penalty,
    RunValues,
    metric_direction,
    run_values,
)
from sweepstat.analysis._verdict import fmt_p, fmt_share, verdict

__all__ = [
    "CI_METHOD",
    "CI_STATISTICS",
    "COMPLETE",
    "CURVE_METRICS",
    "DIRECTIONS",
    "DIVERGED",
    "DIVERGED_TREATMENTS",
    "FAILED",
    "NO_COMPLETE_RUN",
    "STATISTICS",
    "AggregateResult",
    "AnalysisError",
    "AnovaResult",
    "AnovaTerm",
    "BestConfig",
    "BestSet",
    "Comparison",
    "ConfigStats",
    "Direction",
    "DivergedTreatment",
    "FactorEffect",
    "FanovaResult",
    "Interval",
    "Penalty",
    "RankStability",
    "RunValues",
    "SeedsNeeded",
    "StatisticsSettings",
    "StudyAnalysis",
    "SpreadResult",
    "aggregate",
    "analyse_study",
    "best_config",
    "best_per_level",
    "best_set",
    "config_stats",
    "config_table",
    "curve_bands",
    "describe",
    "describe_statistic",
    "did_you_mean",
    "factor_effects",
    "factor_lines",
    "factorial_anova",
    "fanova_importance",
    "fmt_p",
    "fmt_share",
    "format_level",
    "metric_direction",
    "rank_stability",
    "run_values",
    "seeds_needed",
    "sorted_levels",
    "spread",
    "statistic_along",
    "verdict",
]
