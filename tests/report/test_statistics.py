"""The statistics sections of the report: numbers recomputed here with scipy/statsmodels directly, the
verdict in both pages, and plain statements for every kind of bad input."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from markupsafe import escape
from scipy import stats
from statsmodels.stats.anova import anova_lm
from statsmodels.stats.power import TTestIndPower

from sweepstat.errors import SpecError
from sweepstat.report import ReportMeta, write_report

from .conftest import Sample, sample_meta
from .markdown import tables
from .synthetic import FACTORS, synthetic_study

AGGREGATES = "Table 6. Every aggregate of test loss per configuration, with 95 % intervals"
BEST_SET = "Table 7. Best set: every configuration against the best"
ANOVA = "Table 8. Which hyperparameter matters: factorial ANOVA of test loss"
IMPORTANCE = "Table 9. Importance of each hyperparameter: ANOVA and fANOVA, and the share of seed noise"
SEEDS = "Table 10. Seeds needed to separate the best from the runner-up"


def complete(sample: Sample) -> pd.DataFrame:
    return sample.runs[sample.runs["state"] == "COMPLETE"]


def verdict(markdown: str) -> list[str]:
    block = markdown.split("## Verdict\n\n", 1)[1].split("\n\n", 1)[0]
    return [line[2:] for line in block.splitlines()]


def test_aggregates_with_intervals(sample: Sample) -> None:
    rows = {r["config"]: r for r in tables(sample.markdown)[AGGREGATES]}
    assert len(rows) == 24
    c5 = complete(sample).query("config_id == 'c005'")["test_loss"]
    mean, lo_hi = rows["c005"]["mean"].split(" (")
    assert mean == f"{c5.mean():.4f}"
    lo, hi = (float(x) for x in lo_hi.rstrip(")").split("–"))
    assert c5.min() <= lo < c5.mean() < hi <= c5.max()
    assert rows["c005"]["median"].startswith(f"{c5.median():.4f} (")
    assert rows["c005"]["sd"].startswith(f"{c5.std(ddof=1):.4f} (")
    assert rows["c000"]["diverged"] == "1/4 (25 %, 5–70)"  # Wilson interval of 1 in 4
    assert (
        rows["c001"]["n"] == "3" and rows["c001"]["diverged"] == "0/3 (0 %, 0–56)"
    )  # the failed run is not counted


def test_best_set_p_values_match_scipy(sample: Sample) -> None:
    rows = {r["config"]: r for r in tables(sample.markdown)[BEST_SET]}
    best = next(c for c, r in rows.items() if r["verdict"] == "best")
    runs = complete(sample)
    b = runs[runs["config_id"] == best].set_index("seed")["test_loss"]
    for cid in ("c000", "c010", "c020"):
        x = runs[runs["config_id"] == cid].set_index("seed")["test_loss"]
        if set(x.index) == set(b.index):
            t = stats.ttest_rel(x.sort_index(), b.sort_index())
            assert rows[cid]["tests"] == "paired t, Wilcoxon"
        else:
            t = stats.ttest_ind(x, b, equal_var=False)
            assert rows[cid]["tests"] == "Welch t, M–W U"
        expected = "< 0.001" if t.pvalue < 0.001 else f"{t.pvalue:.3f}"
        assert rows[cid]["p (t)"] == expected
        assert rows[cid]["difference (CI)"].startswith(f"{x.mean() - b.mean():.4f} (")
    assert {r["verdict"] for r in rows.values()} <= {"best", "in the best set", "distinguished"}


def test_anova_matches_statsmodels(sample: Sample) -> None:
    rows = {r["term"]: r for r in tables(sample.markdown)[ANOVA]}
    runs = complete(sample)
    fit = smf.ols("test_loss ~ (C(units) + C(batch_size) + C(embedding_dim))**2", data=runs).fit()
    table = anova_lm(fit, typ=2)
    for term, name in (
        ("C(units)", "units"),
        ("C(embedding_dim)", "embedding_dim"),
        ("C(units):C(batch_size)", "units × batch_size"),
    ):
        assert rows[name]["F"] == f"{table.loc[term, 'F']:.3f}"
    assert rows["residual"]["df"] == str(int(fit.df_resid))
    eta = (
        100
        * table.loc["C(embedding_dim)", "sum_sq"]
        / ((runs["test_loss"] - runs["test_loss"].mean()) ** 2).sum()
    )
    assert rows["embedding_dim"]["η² (CI)"].startswith(f"{eta:.1f} % (")
    imp = {r["factor or source"]: r for r in tables(sample.markdown)[IMPORTANCE]}
    assert imp["embedding_dim"]["η² (CI)"] == rows["embedding_dim"]["η² (CI)"]
    assert re.fullmatch(r"\d+\.\d %", imp["units"]["fANOVA importance"])
    within = runs.groupby("config_id")["test_loss"].transform("mean")
    seeds = (
        100
        * ((runs["test_loss"] - within) ** 2).sum()
        / ((runs["test_loss"] - runs["test_loss"].mean()) ** 2).sum()
    )
    assert imp["seed-to-seed variation (within configurations)"]["η² (CI)"].startswith(f"{seeds:.1f} % (")


def test_seeds_needed_matches_statsmodels(sample: Sample) -> None:
    info = {r[""]: r[".2"] for r in tables(sample.markdown)[SEEDS]}
    runs = complete(sample)
    x = runs[runs["config_id"] == info["best"]]["test_loss"]
    y = runs[runs["config_id"] == info["runner-up"]]["test_loss"]
    sd = math.sqrt(((len(x) - 1) * x.var() + (len(y) - 1) * y.var()) / (len(x) + len(y) - 2))
    d = abs(x.mean() - y.mean()) / sd
    n = math.ceil(TTestIndPower().solve_power(effect_size=d, alpha=0.05, power=0.8))
    assert info["seeds per configuration needed (power 0.8, α = 0.05)"] == str(n)
    assert f"needs about {n} seeds per configuration" in sample.markdown


def test_verdict_in_both_pages(sample: Sample) -> None:
    lines = verdict(sample.markdown)
    assert lines[0].startswith("The best configuration by paper_trimmed test loss is units=")
    assert any(v.startswith("The units × batch_size interaction is") for v in lines)
    assert '<section id="verdict">' in sample.html
    for line in lines:
        assert str(escape(line)) in sample.html


def table(md: str, title_part: str) -> list[dict[str, str]]:
    """The table whose title contains ``title_part`` (its number depends on the number of factors)."""
    (rows,) = [rows for title, rows in tables(md).items() if title_part in title]
    return rows


def write(tmp_path: Path, runs: pd.DataFrame, curves: pd.DataFrame, **meta: object) -> tuple[str, str]:
    files = write_report(
        runs,
        curves,
        sample_meta(**{"factors": ("units", "embedding_dim"), "n_resamples": 200, **meta}),
        tmp_path,
    )
    md, html = files.markdown.read_text(), files.html.read_text()
    for text in (md, html):
        assert not re.search(r"\bnan\b", text, re.IGNORECASE)
    return md, html


GRID = {"units": [16, 32], "embedding_dim": [200, 400]}


def test_one_seed_per_configuration(tmp_path: Path) -> None:
    runs, curves = synthetic_study(GRID, n_seeds=1, n_epochs=2, diverged=(), failed=())
    md, _ = write(tmp_path, runs, curves)
    assert (
        "Whether it is better than the other configurations cannot be tested: one seed per configuration."
        in verdict(md)
    )
    rows = table(md, "Best set")
    assert {r["verdict"] for r in rows[1:]} == {"cannot test: one seed per configuration"}
    # 2 × 2 configurations, one run each: main effects only, tested against the interaction
    assert [r["term"] for r in table(md, "factorial ANOVA")] == ["units", "embedding_dim", "residual"]
    assert "Too few runs to test two-way interactions" in md and "seed noise cannot be estimated" in md
    assert any(v.startswith("Assuming no interaction of the highest order") for v in verdict(md))
    assert (
        "The share of the variance due to seeds cannot be estimated: one run per configuration."
        in verdict(md)
    )


def test_all_runs_diverged(tmp_path: Path) -> None:
    runs, curves = synthetic_study(GRID, n_seeds=2, n_epochs=2)
    md, _ = write(tmp_path, runs.assign(state="DIVERGED"), curves)
    assert verdict(md) == ["No run has a test loss: nothing can be concluded."]
    assert table(md, "factorial ANOVA") == [
        {"": "cannot compute", ".2": "cannot test: no run has a test_loss"}
    ]


def test_missing_metric_values(tmp_path: Path) -> None:
    runs, curves = synthetic_study(GRID, n_seeds=2, n_epochs=2, diverged=(), failed=())
    md, _ = write(tmp_path, runs.assign(test_loss=np.nan), curves)
    assert verdict(md) == ["No run has a test loss: nothing can be concluded."]
    rows = table(md, "Every aggregate")
    assert {r["mean"] for r in rows} == {"—"}
    assert {r["note"] for r in rows} == {"no value: nothing to aggregate (2 without a value)"}


def test_diverged_runs_counted_as_worst(tmp_path: Path) -> None:
    runs, curves = synthetic_study(GRID, n_seeds=3, n_epochs=2, diverged=(("c000", 1),), failed=())
    md, _ = write(tmp_path, runs, curves, diverged="worst")
    worst = runs.loc[runs["state"] == "COMPLETE", "test_loss"].max()
    assert (
        f"1 run(s) diverged: each counts as the worst finite value of the study (test loss {worst:.4g}" in md
    )
    rows = {r["config"]: r for r in table(md, "Every aggregate")}
    assert rows["c000"]["n"] == "3" and rows["c000"]["diverged"].startswith("1/3")
    c000 = runs[(runs["config_id"] == "c000") & (runs["state"] == "COMPLETE")]["test_loss"].tolist() + [worst]
    assert rows["c000"]["mean"].startswith(f"{np.mean(c000):.4f} (")


def test_meta_checks_the_statistics_settings() -> None:
    with pytest.raises(
        SpecError,
        match=r"aggregate.diverged must be a known treatment; got 'worse'.*did you mean 'worst'.*"
        r"aggregate.confidence must be ≥ 0.5 and < 1; got 95.*aggregate.alpha must be > 0 and < 1; got 0",
    ):
        ReportMeta("s", tuple(FACTORS), diverged="worse", confidence=95, alpha=0)
    with pytest.raises(
        SpecError, match=r"aggregate.penalty must give a value for every metric shown.*add test_accuracy"
    ):
        ReportMeta("s", tuple(FACTORS), diverged="penalty", penalty={"test_loss": 5.0})


def test_every_table_has_one_cell_per_column(sample: Sample) -> None:
    from sweepstat.report._content import build_content
    from sweepstat.report._views import build_views

    for factors in ((), ("units",), tuple(FACTORS)):
        runs, curves = synthetic_study({f: [1, 2] for f in factors} or {"units": [1]}, n_seeds=2, n_epochs=1)
        if not factors:
            runs = runs.drop(columns="units")
        views = build_views(build_content(runs, curves, sample_meta(factors=factors, n_resamples=100)))
        for view in (*views.results, *views.statistics):
            assert len(view.numeric) == len(view.header), view.title
            assert {len(row) for row in view.rows} <= {len(view.header)}, view.title
