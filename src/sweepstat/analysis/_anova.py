"""Which hyperparameter matters: a factorial ANOVA on the run-level values, and how much is seed noise.

The model (``statsmodels`` OLS, ``anova_lm(typ=2)``): every factor with at least two levels as a
categorical main effect, plus every two-way interaction whose two factors are fully crossed in the data,
when the design leaves residual degrees of freedom for them (else main effects only, and a note says
that the interactions form the residual). Type II sums of squares: each term adjusted for every term
that does not contain it; for a balanced design they add up with the residual to the total.

Effect sizes, each with a percentile bootstrap interval:

- η² = SS_term / SS_total: the share of all the variance of the runs the term explains;
- partial η² = SS_term / (SS_term + SS_residual);
- share of the between-configuration variance, SS_term / SS_between: comparable with fANOVA's importance,
  which models only the configurations' means.

Variance shares: ``seeds`` = SS_within / SS_total, the spread of runs of the same configuration (seed
noise alone); ``hyperparameters`` = 1 − that; of the latter, ``modelled`` = R² of the model and
``higher-order`` = (SS_residual − SS_within) / SS_total, what the main effects and two-way interactions
leave out. The bootstrap resamples runs within each configuration, a residual bootstrap around each
configuration's mean with residuals scaled by √(n/(n−1)) so that the within-configuration variance is
not shrunk (Davison & Hinkley 1997, Algorithm 6.1, for a cell-means model); the design stays fixed, so
the intervals show the uncertainty due to seeds, for these levels of the factors. For speed, the resampled
sums of squares come from projections onto the same design (tests check them against ``anova_lm``).
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

from sweepstat.analysis._bootstrap import Interval, check_bootstrap, generator, percentile_interval
from sweepstat.analysis._labels import sorted_levels
from sweepstat.analysis._values import RunValues

INTERACTION = " × "


@dataclass(frozen=True)
class AnovaTerm:
    """One row of the ANOVA table: a main effect (``factors`` of one) or a two-way interaction."""

    term: str
    factors: tuple[str, ...]
    df: float
    sum_sq: float
    f: float | None
    p: float | None
    eta_sq: Interval
    partial_eta_sq: Interval
    between_share: Interval


@dataclass(frozen=True)
class AnovaResult:
    """The factorial ANOVA of one metric. ``reason`` is set (and ``terms`` empty) when it cannot run."""

    metric: str
    factors: tuple[str, ...]
    confidence: float
    n_resamples: int
    seed: int
    terms: tuple[AnovaTerm, ...] = ()
    n: int = 0
    n_configs: int = 0
    residual_df: float = 0.0
    residual_ss: float = 0.0
    total_ss: float = 0.0
    formula: str = ""
    shares: dict[str, Interval] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    reason: str = ""

    def term(self, *factors: str) -> AnovaTerm | None:
        """The main effect of one factor, or the interaction of two (in either order)."""
        want = set(factors)
        return next((t for t in self.terms if set(t.factors) == want), None)

    @property
    def interactions(self) -> tuple[AnovaTerm, ...]:
        return tuple(t for t in self.terms if len(t.factors) == 2)

    def frame(self) -> pd.DataFrame:
        rows = []
        for t in self.terms:
            row: dict[str, object] = {"term": t.term, "df": t.df, "sum_sq": t.sum_sq, "F": t.f, "p": t.p}
            for name in ("eta_sq", "partial_eta_sq", "between_share"):
                iv: Interval = getattr(t, name)
                row.update({name: iv.value, f"{name}_lo": iv.low, f"{name}_hi": iv.high})
            rows.append(row)
        return pd.DataFrame(rows)


def _basis(blocks: list[np.ndarray]) -> np.ndarray:
    """An orthonormal basis of the columns of ``blocks`` (rank-revealing, via SVD)."""
    x = np.hstack(blocks)
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    return u[:, s > s.max() * max(x.shape) * 1e-12]


def _rss(q: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Residual sum of squares of each column of ``y`` (N, B) after projection onto span(q)."""
    return (y**2).sum(axis=0) - ((q.T @ y) ** 2).sum(axis=0)


def factorial_anova(
    values: RunValues,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
    interactions: bool = True,
) -> AnovaResult:
    """Type II factorial ANOVA of ``values`` (see the module docstring); ``interactions=False``: main effects only."""
    check_bootstrap(confidence, n_resamples, "factorial_anova")
    frame = values.frame

    used = tuple(f for f in values.factors if frame[f].nunique() >= 2)
    constant = [f for f in values.factors if f not in used]
    notes = [f"{f} has one level among the runs with a value: not tested." for f in constant]

    def failed(reason: str, n: int = 0, n_configs: int = 0) -> AnovaResult:
        return AnovaResult(
            values.metric, used, confidence, n_resamples, seed, n=n, n_configs=n_configs, reason=reason
        )

    if frame.empty:
        return failed(f"cannot test: no run has a {values.metric}")
    if not used:
        return failed("cannot test: a single configuration")

    y = frame["value"].to_numpy(dtype=float)
    n = y.size
    codes = {f: frame[f].map({v: i for i, v in enumerate(sorted_levels(frame[f]))}).to_numpy() for f in used}
    cells = frame.groupby(list(used), sort=False).ngroup().to_numpy()
    n_cells = int(cells.max()) + 1
    ss_total = float(((y - y.mean()) ** 2).sum())
    if ss_total <= 1e-24 * max(1.0, float((y**2).sum())):
        return failed(f"cannot test: every run has the same {values.metric}", n=n, n_configs=n_cells)

    alias = {f: f"f{i}" for i, f in enumerate(used)}
    data = pd.DataFrame({alias[f]: codes[f] for f in used}).assign(y=y)
    mains: list[tuple[str, ...]] = [(f,) for f in used]
    pairs: list[tuple[str, ...]] = [
        p
        for p in itertools.combinations(used, 2)
        if interactions
        and len(set(zip(codes[p[0]], codes[p[1]], strict=True)))
        == len(set(codes[p[0]])) * len(set(codes[p[1]]))
    ]
    if interactions and len(pairs) < len(list(itertools.combinations(used, 2))):
        notes.append(
            "Some pairs of factors are not fully crossed among the runs: their interaction is not tested."
        )
    fit, terms = _fit(data, alias, mains + pairs)
    if pairs and fit.df_resid < 1:
        notes.append(
            "Too few runs to test two-way interactions: main effects only; the interactions form the residual."
        )
        fit, terms = _fit(data, alias, mains)
    if fit.df_resid < 1:
        return failed("cannot test: no residual degrees of freedom (too few runs)", n=n, n_configs=n_cells)
    if n_cells == n:
        notes.append(
            "One run per configuration: the residual is the highest-order interaction, assumed to be absent; "
            "seed noise cannot be estimated."
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = anova_lm(fit, typ=2)

    # The same sums of squares by projection, for the bootstrap.
    dummies = {f: (codes[f][:, None] == np.unique(codes[f])[None, 1:]).astype(float) for f in used}
    blocks: dict[tuple[str, ...], np.ndarray] = {(f,): dummies[f] for f in used}
    for a, b in (t for t in terms if len(t) == 2):
        blocks[(a, b)] = (dummies[a][:, :, None] * dummies[b][:, None, :]).reshape(n, -1)
    one = np.ones((n, 1))
    q_full = _basis([one, *blocks.values()])
    pairs_q = {}
    for t in terms:
        base = [one] + [blocks[u] for u in terms if u != t and not set(t) <= set(u)]
        pairs_q[t] = (_basis(base), _basis([*base, blocks[t]]))
    q_cells = _basis([(cells[:, None] == np.arange(n_cells)[None, :]).astype(float)])

    def sums(yy: np.ndarray) -> dict[str, np.ndarray]:
        out = {
            "total": (yy**2).sum(axis=0) - yy.sum(axis=0) ** 2 / n,
            "resid": _rss(q_full, yy),
            "within": _rss(q_cells, yy),
        }
        for t, (q0, q1) in pairs_q.items():
            out[INTERACTION.join(t)] = _rss(q0, yy) - _rss(q1, yy)
        return out

    point = {k: float(v[0]) for k, v in sums(y[:, None]).items()}
    boot: dict[str, np.ndarray] | None = None
    if n_cells < n:
        rng = generator(seed, "anova", values.metric)
        index = np.empty((n, n_resamples), dtype=np.intp)
        centre, scale = np.empty(n), np.ones(n)
        for c in range(n_cells):
            rows = np.flatnonzero(cells == c)
            index[rows] = rows[rng.integers(0, rows.size, size=(rows.size, n_resamples))]
            centre[rows] = y[rows].mean()
            if rows.size > 1:  # leverage-adjusted residuals keep the within variance unbiased
                scale[rows] = np.sqrt(rows.size / (rows.size - 1))
        boot = sums(centre[:, None] + scale[:, None] * (y[index] - centre[:, None]))

    def interval(num: str, den: str, extra: str | None = None) -> Interval:
        def ratio(s: dict[str, np.ndarray] | dict[str, float]) -> np.ndarray:
            top = (
                np.asarray(s[num], dtype=float)
                if num != "between"
                else np.asarray(s["total"]) - np.asarray(s["within"])
            )
            bottom = (
                np.asarray(s[den], dtype=float)
                if den != "between"
                else np.asarray(s["total"]) - np.asarray(s["within"])
            )
            if extra is not None:
                bottom = bottom + np.asarray(s[extra], dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.clip(top / bottom, 0.0, 1.0)

        v = float(ratio(point))
        if not np.isfinite(v):
            return Interval(
                None, reason="no between-configuration variance" if den == "between" else "undefined"
            )
        if boot is None:
            return Interval(v, reason="one run per configuration: no interval")
        ci = percentile_interval(ratio(boot), confidence)
        return Interval(v, *(ci or (None, None)))

    result_terms = []
    for t in terms:
        name = INTERACTION.join(t)
        row = table.loc[":".join(f"C({alias[f]})" for f in t)]
        result_terms.append(
            AnovaTerm(
                term=name,
                factors=t,
                df=float(row["df"]),
                sum_sq=float(row["sum_sq"]),
                f=_finite(row["F"]),
                p=_finite(row["PR(>F)"]),
                eta_sq=interval(name, "total"),
                partial_eta_sq=interval(name, name, extra="resid"),
                between_share=interval(name, "between"),
            )
        )
    within_absent = Interval(None, reason="one run per configuration")
    shares = {
        "seeds": within_absent if boot is None else interval("within", "total"),
        "hyperparameters": within_absent if boot is None else interval("between", "total"),
        "modelled": _model_share(point, boot, confidence),
        "higher-order": within_absent if boot is None else _lack_of_fit(point, boot, confidence),
    }
    return AnovaResult(
        metric=values.metric,
        factors=used,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
        terms=tuple(result_terms),
        n=n,
        n_configs=n_cells,
        residual_df=float(fit.df_resid),
        residual_ss=float(fit.ssr),
        total_ss=ss_total,
        formula=f"{values.metric} ~ " + " + ".join(":".join(f"C({f})" for f in t) for t in terms),
        shares=shares,
        notes=tuple(notes),
    )


def _fit(
    data: pd.DataFrame, alias: dict[str, str], terms: list[tuple[str, ...]]
) -> tuple[Any, list[tuple[str, ...]]]:
    formula = "y ~ " + " + ".join(":".join(f"C({alias[f]})" for f in t) for t in terms)
    return smf.ols(formula, data=data).fit(), terms


def _finite(x: object) -> float | None:
    v = float(x)  # type: ignore[arg-type]
    return v if np.isfinite(v) else None


def _model_share(point: dict[str, float], boot: dict[str, np.ndarray] | None, confidence: float) -> Interval:
    v = 1.0 - point["resid"] / point["total"]
    if boot is None:
        return Interval(v, reason="one run per configuration: no interval")
    ci = percentile_interval(1.0 - boot["resid"] / boot["total"], confidence)
    return Interval(v, *(ci or (None, None)))


def _lack_of_fit(point: dict[str, float], boot: dict[str, np.ndarray], confidence: float) -> Interval:
    v = max(0.0, (point["resid"] - point["within"]) / point["total"])
    ci = percentile_interval(np.clip((boot["resid"] - boot["within"]) / boot["total"], 0, 1), confidence)
    return Interval(v, *(ci or (None, None)))
