"""The plain-language verdict: sentences built only from the computed results, never stronger than they are.

Rules: an effect is "significant" only at p < α; a non-significant effect is "no evidence of an effect",
never "no effect"; every share of variance comes with its interval; what could not be tested is said.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sweepstat.analysis._bootstrap import Interval
from sweepstat.analysis._compare import Comparison
from sweepstat.analysis._labels import describe

if TYPE_CHECKING:
    from sweepstat.analysis._analyse import StudyAnalysis


def fmt_p(p: float | None) -> str:
    if p is None:
        return "p not available"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def fmt_share(iv: Interval, confidence: float) -> str:
    """``"39.1 % (95 % CI 30.7–45.8 %)"``, or the value alone when there is no interval."""
    if iv.value is None:
        return iv.reason or "not available"
    text = f"{100 * iv.value:.1f} %"
    if iv.low is not None and iv.high is not None:
        text += f" ({100 * confidence:g} % CI {100 * iv.low:.1f}–{100 * iv.high:.1f} %)"
    return text


def _smallest_rank_p(c: Comparison) -> float:
    """The smallest two-sided p the exact rank test can give with these sample sizes (no ties)."""
    if c.paired:
        return min(1.0, 2 * 0.5**c.n)
    return min(1.0, 2 / math.comb(c.n + c.n_best, c.n))


def _value(x: float) -> str:
    return f"{x:.4f}" if abs(x) < 10 else f"{x:.4g}"


def verdict(a: StudyAnalysis) -> tuple[str, ...]:
    s = a.settings
    metric = a.metric.replace("_", " ")
    out: list[str] = []
    bs = a.best_set
    if bs.best is None:
        return (f"No run has a {metric}: nothing can be concluded.",)
    table = a.stats.table.set_index("config_id")
    row = table.loc[bs.best]
    where = describe(row, a.factors) or bs.best
    lo, hi = row[f"{s.statistic}_lo"], row[f"{s.statistic}_hi"]
    ci = (
        f" ({100 * s.confidence:g} % CI {_value(lo)}–{_value(hi)})"
        if np.isfinite(lo) and np.isfinite(hi)
        else ""
    )
    out.append(
        f"The best configuration by {s.statistic} {metric} is {where}: {_value(float(row[s.statistic]))}{ci}."
    )

    others = len(a.stats.table) - 1
    if bs.reason:
        why = bs.reason.removeprefix("cannot test: ")
        out.append(f"Whether it is better than the other configurations cannot be tested: {why}.")
    elif others:
        same = len(bs.members) - 1
        tests = "both the t-test and the rank test"
        untested = f" ({len(bs.untested)} could not be tested)" if bs.untested else ""
        t_only = [c for c in bs.comparisons if c.distinguished is False and (c.t_p_holm or 1.0) < s.alpha]
        if same:
            out.append(
                f"It cannot be distinguished from {same} of the {others} other configurations at α = {s.alpha:g} "
                f"after Holm correction (a configuration counts as different only when {tests} say so){untested}."
            )
            if t_only:
                floor = min(_smallest_rank_p(c) for c in t_only)
                limit = (
                    f": with these few seeds its smallest possible p is {floor:.3g}, above α"
                    if floor >= s.alpha
                    else ""
                )
                out.append(
                    f"The t-test alone would separate {len(t_only)} of them from the best; the rank test does not "
                    f"confirm it{limit}."
                )
        else:
            out.append(
                f"It differs from every other tested configuration at α = {s.alpha:g} after Holm correction "
                f"({tests}){untested}."
            )
    st = a.stability
    if not st.reason and st.share:
        ranked = sorted(st.share.items(), key=lambda kv: -kv[1])
        share_best = st.share.get(bs.best, 0.0)
        text = f"It comes out best in {100 * share_best:.0f} % of {st.n_resamples} bootstrap resamples of the seeds"
        rivals = [(c, v) for c, v in ranked if c != bs.best and v >= 0.05]
        if rivals:
            text += "; " + ", ".join(f"{c} in {100 * v:.0f} %" for c, v in rivals[:3])
        out.append(text + ".")

    an = a.anova
    if an.reason:
        why = an.reason.removeprefix("cannot test: ")
        out.append(f"Which hyperparameter matters cannot be tested (factorial ANOVA): {why}.")
    else:
        assumed = (
            "Assuming no interaction of the highest order (one run per configuration), "
            if an.n == an.n_configs
            else ""
        )
        mains = sorted((t for t in an.terms if len(t.factors) == 1), key=lambda t: -(t.eta_sq.value or 0.0))
        parts = []
        for t in mains:
            sig = t.p is not None and t.p < s.alpha
            share = fmt_share(t.eta_sq, s.confidence)
            parts.append(
                f"{t.term} explains {share} of the variance ({fmt_p(t.p)})"
                if sig
                else f"{t.term}: no evidence of an effect ({fmt_p(t.p)}; η² {share})"
            )
        out.append(assumed + "; ".join(parts) + ".")
        for t in an.interactions:
            if t.p is not None and t.p < s.alpha:
                out.append(
                    f"The {t.term} interaction is significant ({fmt_p(t.p)}; η² {fmt_share(t.eta_sq, s.confidence)})."
                )
            else:
                out.append(f"The {t.term} interaction is not significant ({fmt_p(t.p)}).")
        seeds = an.shares.get("seeds")
        if seeds is not None and seeds.value is not None:
            hyper = an.shares["hyperparameters"]
            higher = an.shares["higher-order"]
            out.append(
                f"Seed-to-seed variation alone accounts for {fmt_share(seeds, s.confidence)} of the variance of "
                f"the runs; the hyperparameters for {fmt_share(hyper, s.confidence)}, of which interactions of "
                f"more than two factors (not in the model) {fmt_share(higher, s.confidence)}."
            )
        elif seeds is not None:
            out.append(f"The share of the variance due to seeds cannot be estimated: {seeds.reason}.")

    fa = a.fanova
    if not fa.reason and not an.reason and fa.importance:
        by_f = sorted(fa.importance, key=lambda f: -fa.importance[f])
        by_a = [t.term for t in sorted((t for t in an.terms if len(t.factors) == 1), key=lambda t: -t.sum_sq)]
        same = by_f == by_a
        out.append(
            "fANOVA (Optuna, a random-forest estimate) ranks the factors "
            + ", ".join(f"{f} ({100 * fa.importance[f]:.0f} %)" for f in by_f)
            + (" — the same order as the ANOVA." if same else f"; the ANOVA ranks them {', '.join(by_a)}.")
        )

    sn = a.seeds_needed
    if sn.n_seeds is not None:
        extra = (
            f"; to separate it from all {sn.n_comparisons} others at the Bonferroni level α/{sn.n_comparisons}: "
            f"{sn.n_seeds_all if sn.n_seeds_all is not None else 'more than 100,000'}"
            if sn.n_comparisons > 1
            else ""
        )
        out.append(
            f"Separating the best from the runner-up ({sn.runner_up}; difference of means {_value(sn.difference or 0)}, "
            f"pooled sd {_value(sn.pooled_sd or 0)}, d = {sn.effect_size:.2f}) with power {sn.power:g} at "
            f"α = {sn.alpha:g} needs about {sn.n_seeds} seeds per configuration (this pilot has "
            f"{sn.n_pilot[0]} and {sn.n_pilot[1]}){extra}."
        )
    elif sn.reason:
        why = sn.reason.removeprefix("cannot estimate: ")
        out.append(
            f"The number of seeds needed to separate the best from the runner-up cannot be estimated: {why}."
        )
    return tuple(out)
