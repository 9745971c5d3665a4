"""The statistics tables (issue 5) as rows of text: aggregates with intervals, best set, ANOVA, importance,
variance shares and seeds needed. Anything that cannot be computed is shown as its reason, never as NaN."""

from __future__ import annotations

import math

from sweepstat.analysis import CI_STATISTICS, Interval, StudyAnalysis, fmt_p, format_level
from sweepstat.report._views import Cell, TableView, label

STAT_NAMES = {
    "mean": "mean",
    "sd": "sd",
    "median": "median",
    "iqm": "IQM",
    "paper_trimmed": "paper trimmed",
    "trimmed": "trimmed",
}
DASH = "—"


def num(x: object, digits: int = 4) -> str:
    if x is None:
        return DASH
    v = float(x)  # type: ignore[arg-type]
    return DASH if math.isnan(v) else f"{v:.{digits}f}"


def with_ci(value: object, low: object, high: object, digits: int = 4) -> str:
    """``"0.6371 (0.6201–0.6502)"``; the value alone without an interval; a dash without a value."""
    text = num(value, digits)
    if text == DASH:
        return text
    if num(low) == DASH or num(high) == DASH:
        return text
    return f"{text} ({num(low, digits)}–{num(high, digits)})"


def p_text(p: float | None) -> str:
    """A p-value for a table cell: ``0.034``, ``< 0.001``, or a dash."""
    return DASH if p is None else fmt_p(p).removeprefix("p = ").removeprefix("p ")


def pct(iv: Interval) -> str:
    if iv.value is None:
        return iv.reason or DASH
    text = f"{100 * iv.value:.1f} %"
    if iv.low is not None and iv.high is not None:
        text += f" ({100 * iv.low:.1f}–{100 * iv.high:.1f})"
    return text


def _statement(key: str, title: str, text: str) -> TableView:
    return TableView(key, title, "", ("", ""), ((Cell("cannot compute"), Cell(text)),), (False, False))


def aggregates_table(a: StudyAnalysis, key: str, number: int) -> TableView:
    st = a.stats
    t = st.table
    metric = label(a.metric)
    header = ["config", *a.factors, "n", "diverged"] + [STAT_NAMES[s] for s in CI_STATISTICS] + ["note"]
    rows = []
    for _, r in t.iterrows():
        best = r["config_id"] == a.best_set.best
        settled = int(r["n_complete"]) + int(r["n_diverged"])
        div = (
            f"{int(r['n_diverged'])}/{settled} ({100 * r['divergence_rate']:.0f} %, "
            f"{100 * r['divergence_lo']:.0f}–{100 * r['divergence_hi']:.0f})"
            if settled
            else DASH
        )
        line = [Cell(str(r["config_id"]), best), *(Cell(format_level(r[f])) for f in a.factors)]
        line += [Cell(str(int(r["n"]))), Cell(div)]
        for s in CI_STATISTICS:
            text = with_ci(r[s], r[f"{s}_lo"], r[f"{s}_hi"])
            if s in ("paper_trimmed", "trimmed", "iqm") and text != DASH and int(r[f"{s}_n_dropped"]):
                text += f" [−{int(r[f'{s}_n_dropped'])}]"
            line.append(Cell(text, best and s == a.settings.statistic))
        line.append(Cell(str(r["note"])))
        rows.append(tuple(line))
    treatment = st.values.describe_treatment()
    caption = (
        f"{metric.capitalize()} per configuration: every aggregate with its {100 * st.confidence:g} % {st.method} "
        f"bootstrap interval ({st.n_resamples} resamples of the configuration's runs, seed {st.seed}). n: values "
        f"used ({treatment}). diverged: diverged / (complete + diverged) runs, rate and its Wilson interval. "
        f"IQM: interquartile mean; paper trimmed: seed 000's rule (trim {st.trim:g}); trimmed: symmetric "
        f"(trim {st.trim:g} from each end); [−k]: runs the statistic dropped. With few seeds the percentile "
        "interval is too narrow (see docs/statistics.md). Bold: the best configuration and the statistic that "
        "ranks them."
    )
    return TableView(
        key,
        f"Table {number}. Every aggregate of {metric} per configuration, with {100 * st.confidence:g} % intervals",
        caption,
        tuple(header),
        tuple(rows),
        tuple([False] * (1 + len(a.factors)) + [True] * (2 + len(CI_STATISTICS)) + [False]),
    )


def best_set_table(a: StudyAnalysis, key: str, number: int) -> TableView:
    bs = a.best_set
    title = f"Table {number}. Best set: every configuration against the best"
    if bs.best is None:
        return _statement(key, title, bs.reason)
    share = a.stability.share
    stab = (
        (lambda c: f"{100 * share[c]:.0f} %" if c in share else DASH)
        if not a.stability.reason
        else (lambda c: DASH)
    )
    table = a.stats.table.set_index("config_id")
    header = ("config", *a.factors, "n", "tests", "difference (CI)", "Cohen's d", "Cliff's δ", "p (t)",
              "p Holm (t)", "p (rank)", "p Holm (rank)", "best in resamples", "verdict")  # fmt: skip
    best_row = table.loc[bs.best]
    rows = [
        (
            Cell(bs.best, True),
            *(Cell(format_level(best_row[f])) for f in a.factors),
            Cell(str(int(best_row["n"]))),
            *(Cell("") for _ in range(8)),
            Cell(stab(bs.best)),
            Cell("best", True),
        )  # fmt: skip
    ]
    for c in bs.comparisons:
        r = table.loc[c.config_id]
        if c.distinguished is None:
            verdict = c.reason or "not tested"
        else:
            verdict = "distinguished" if c.distinguished else "in the best set"
        rows.append(
            (
                Cell(c.config_id),
                *(Cell(format_level(r[f])) for f in a.factors),
                Cell(str(c.n)),
                Cell(("paired t, Wilcoxon" if c.paired else "Welch t, M–W U") if c.t_p is not None else ""),
                Cell(with_ci(c.difference, c.diff_low, c.diff_high)),
                Cell(num(c.cohens_d, 2)),
                Cell(num(c.cliffs_delta, 2)),
                Cell(p_text(c.t_p)),
                Cell(p_text(c.t_p_holm)),
                Cell(p_text(c.rank_p)),
                Cell(p_text(c.rank_p_holm)),
                Cell(stab(c.config_id)),
                Cell(verdict, c.distinguished is False),
            )
        )
    stability = (
        f"best in resamples: share of {a.stability.n_resamples} bootstrap resamples of the seeds "
        f"({'resampled together: the configurations share their seeds' if a.stability.joint else 'each configuration resampled on its own'}) "
        f"in which the configuration has the best {a.settings.statistic}."
        if not a.stability.reason
        else f"best in resamples: {a.stability.reason}."
    )
    caption = (
        f"The best configuration by {a.settings.statistic} {label(a.metric)} against every other one. Tests: Welch's "
        "t and Mann–Whitney U (M–W U), or the paired t and Wilcoxon signed-rank tests when both configurations have values "
        "for the same seeds; each family Holm-corrected over the comparisons. A configuration is distinguished "
        f"from the best only when both corrected p-values are below α = {bs.alpha:g}; otherwise it is in the best "
        f"set. difference: configuration − best, mean (paired: mean of seed-wise differences) with its "
        f"{100 * bs.confidence:g} % t interval; Cohen's d: difference of means / pooled sd; Cliff's δ: "
        f"P(x > best) − P(x < best). {stability}" + (f" {bs.reason.capitalize()}." if bs.reason else "")
    )
    numeric = (False,) * (1 + len(a.factors)) + (True, False) + (True,) * 8 + (False,)
    return TableView(key, title, caption, header, tuple(rows), numeric)


def anova_table(a: StudyAnalysis, key: str, number: int) -> TableView:
    an = a.anova
    title = f"Table {number}. Which hyperparameter matters: factorial ANOVA of {label(a.metric)}"
    if an.reason:
        return _statement(key, title, an.reason)
    rows = []
    for t in an.terms:
        sig = t.p is not None and t.p < a.settings.alpha
        rows.append(
            (
                Cell(t.term, sig),
                Cell(format_level(int(t.df)) if float(t.df).is_integer() else f"{t.df:g}"),
                Cell(f"{t.sum_sq:.4g}"),
                Cell(num(t.f, 3)),
                Cell(p_text(t.p), sig),
                Cell(pct(t.eta_sq)),
                Cell(pct(t.partial_eta_sq)),
            )
        )
    rows.append(
        (
            Cell("residual"),
            Cell(format_level(int(an.residual_df))),
            Cell(f"{an.residual_ss:.4g}"),
            Cell(""),
            Cell(""),
            Cell(""),
            Cell(""),
        )  # fmt: skip
    )
    caption = (
        f"Type II ANOVA (statsmodels OLS, anova_lm) on the {an.n} run-level values of {an.n_configs} configurations, "
        f"every factor categorical: {an.formula}. η²: share of all the variance of "
        f"the runs; partial η²: SS / (SS + residual SS); both with {100 * an.confidence:g} % bootstrap intervals "
        f"(runs resampled within configurations, {an.n_resamples} resamples). Bold: p < α = {a.settings.alpha:g}. "
        "Assumptions: independent runs, normal residuals with equal variance in every configuration."
        + "".join(f" {n}" for n in an.notes)
    )
    header = ("term", "df", "sum of squares", "F", "p", "η² (CI)", "partial η² (CI)")
    return TableView(key, title, caption, header, tuple(rows), (False,) + (True,) * 6)


def importance_table(a: StudyAnalysis, key: str, number: int) -> TableView:
    title = (
        f"Table {number}. Importance of each hyperparameter: ANOVA and fANOVA, and the share of seed noise"
    )
    an, fa = a.anova, a.fanova
    rows = []
    for f in a.factors:
        term = an.term(f)
        rows.append(
            (
                Cell(f),
                Cell(pct(term.eta_sq) if term else (an.reason or "not tested")),
                Cell(pct(term.between_share) if term else (an.reason or "not tested")),
                Cell(
                    f"{100 * fa.importance[f]:.1f} %"
                    if f in fa.importance
                    else (fa.reason or "not estimated")
                ),
            )
        )
    for name, text in (
        ("seeds", "seed-to-seed variation (within configurations)"),
        ("hyperparameters", "hyperparameters (between configurations)"),
        ("higher-order", "of which interactions of 3+ factors (not in the model)"),
    ):
        iv = an.shares.get(name)
        if iv is not None:
            rows.append((Cell(text), Cell(pct(iv)), Cell(""), Cell("")))
    caption = (
        "η²: share of all the variance of the runs (ANOVA main effect). Share of between-configuration variance: "
        "the same sum of squares over the variance of the configurations' means, comparable with fANOVA, which "
        f"models only those means (Optuna's FanovaImportanceEvaluator, {fa.n_trees} trees, seed {fa.seed}; "
        "main effects, not normalised). The last rows split all the variance of the runs into seed noise and "
        f"hyperparameters ({100 * a.settings.confidence:g} % bootstrap intervals)."
    )
    header = ("factor or source", "η² (CI)", "share of between-config variance (CI)", "fANOVA importance")
    return TableView(key, title, caption, header, tuple(rows), (False, True, True, True))


def seeds_table(a: StudyAnalysis, key: str, number: int) -> TableView:
    sn = a.seeds_needed
    items = [
        ("best", sn.best or DASH),
        ("runner-up", sn.runner_up or DASH),
        ("difference of means", num(sn.difference)),
        ("pooled sd", num(sn.pooled_sd)),
        ("effect size d", num(sn.effect_size, 2)),
        ("seeds in the pilot", f"{sn.n_pilot[0]} and {sn.n_pilot[1]}"),
        (
            f"seeds per configuration needed (power {sn.power:g}, α = {sn.alpha:g})",
            str(sn.n_seeds) if sn.n_seeds is not None else (sn.reason or DASH),
        ),
    ]
    if sn.n_comparisons > 1 and sn.n_seeds is not None:
        items.append(
            (
                f"… against all {sn.n_comparisons} others (Bonferroni α/{sn.n_comparisons})",
                str(sn.n_seeds_all) if sn.n_seeds_all is not None else "more than 100,000",
            )
        )
    items.append(("assumptions", sn.assumptions))
    rows = tuple((Cell(k), Cell(v, k.startswith("seeds per"))) for k, v in items)
    return TableView(
        key,
        f"Table {number}. Seeds needed to separate the best from the runner-up",
        f"statsmodels TTestIndPower.solve_power on this study as a pilot, by {a.settings.statistic} {label(a.metric)}.",
        ("", ""),
        rows,
        (False, False),
    )


def statistics_views(a: StudyAnalysis, first: int) -> tuple[TableView, ...]:
    builders = (aggregates_table, best_set_table, anova_table, importance_table, seeds_table)
    keys = ("statistics", "best-set", "anova", "importance", "seeds-needed")
    return tuple(b(a, k, first + i) for i, (b, k) in enumerate(zip(builders, keys, strict=True)))
