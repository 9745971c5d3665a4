"""fANOVA importance (Optuna's ``FanovaImportanceEvaluator``): a second, model-based estimate of which
hyperparameter matters.

Each run becomes a finished Optuna trial whose parameters are the factors (``CategoricalDistribution`` of
the factor's levels) and whose value is the run's value (`RunValues`). Optuna fits a random forest
(scikit-learn's) to them and reports, per factor, the share of the variance of the forest's prediction
that the factor's main effect explains (Hutter et al. 2014). The forest cannot tell runs of the same
configuration apart, so it models the configurations' means: the importances are shares of the
between-configuration variance, to compare with the ANOVA's ``between_share``, not with η².
Optuna's evaluator averages over its trees; it is seeded, so the same runs give the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution
from optuna.importance import FanovaImportanceEvaluator
from optuna.trial import create_trial

from sweepstat.analysis._labels import sorted_levels
from sweepstat.analysis._values import RunValues


@dataclass(frozen=True)
class FanovaResult:
    """Importance per factor (0–1, not normalised: main effects only, so they may sum to less than 1)."""

    metric: str
    n_trees: int
    seed: int
    importance: dict[str, float] = field(default_factory=dict)
    reason: str = ""


def _plain(value: object) -> object:
    """Optuna's categorical choices must be None, bool, int, float or str."""
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def fanova_importance(values: RunValues, *, n_trees: int = 64, seed: int = 0) -> FanovaResult:
    """fANOVA importance of each factor with two or more levels, from the run-level values."""
    frame = values.frame
    used = [f for f in values.factors if frame[f].nunique() >= 2]
    if frame.empty:
        return FanovaResult(
            values.metric, n_trees, seed, reason=f"cannot estimate: no run has a {values.metric}"
        )
    if not used:
        return FanovaResult(values.metric, n_trees, seed, reason="cannot estimate: a single configuration")
    if frame.groupby(used).ngroups < 2 or float(np.ptp(frame["value"])) == 0.0:
        return FanovaResult(values.metric, n_trees, seed, reason="cannot estimate: no variance to explain")
    distributions = {f: CategoricalDistribution([_plain(v) for v in sorted_levels(frame[f])]) for f in used}  # type: ignore[misc]
    trials = [
        create_trial(
            params={f: _plain(row[f]) for f in used},
            distributions=distributions,  # type: ignore[arg-type]
            value=float(row["value"]),
        )
        for _, row in frame.iterrows()
    ]
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no "A new study created in memory"
    try:
        study = optuna.create_study(direction="minimize" if values.direction == "minimize" else "maximize")
    finally:
        optuna.logging.set_verbosity(verbosity)
    study.add_trials(trials)
    evaluator = FanovaImportanceEvaluator(n_trees=n_trees, seed=seed)
    try:
        found = evaluator.evaluate(study, params=used)
    except RuntimeError as err:  # "zero total variance in all trees"
        return FanovaResult(values.metric, n_trees, seed, reason=f"cannot estimate: {err}")
    return FanovaResult(values.metric, n_trees, seed, {f: float(found[f]) for f in used})
