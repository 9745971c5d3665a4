"""Analysis of a study: tables of runs in, plain result objects out (the report only draws them).

Input tables are the study store's ``runs`` (one row per run) and ``curves`` (one row per run per
evaluation). ``config_table`` makes seed 000's Table 1; the other functions take that table.
"""

from __future__ import annotations

from sweepstat.analysis._aggregate import STATISTICS, AggregateResult, aggregate, describe_statistic
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
from sweepstat.analysis._configs import (
    DIVERGED_TREATMENTS,
    NO_COMPLETE_RUN,
    BestConfig,
    SpreadResult,
    best_config,
    config_table,
    spread,
)
from sweepstat.analysis._curves import curve_bands
from sweepstat.analysis._labels import describe, format_level, sorted_levels
from sweepstat.analysis._levels import best_per_level, factor_lines

__all__ = [
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
    "BestConfig",
    "Direction",
    "SpreadResult",
    "aggregate",
    "best_config",
    "best_per_level",
    "config_table",
    "curve_bands",
    "describe",
    "describe_statistic",
    "did_you_mean",
    "factor_lines",
    "format_level",
    "sorted_levels",
    "spread",
]
