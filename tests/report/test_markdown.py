"""report.md holds the expected tables with the right numbers, recomputed here from the runs by hand."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from .conftest import Sample
from .markdown import bold_cells, tables
from .synthetic import FACTORS


@pytest.fixture(scope="module")
def means(sample: Sample) -> pd.DataFrame:
    # 3 or 4 complete runs per configuration: seed 000's trim at 0.1 drops ⌊0.1·n + ½⌋ = 0 of them, so each
    # aggregate is the plain mean of the complete runs.
    complete = sample.runs[sample.runs["state"] == "COMPLETE"]
    return complete.groupby(["config_id", *FACTORS], as_index=False)[["test_loss", "test_accuracy"]].mean()


def test_all_sections_present(sample: Sample) -> None:
    found = list(tables(sample.markdown))
    assert found == [
        "Study",
        "Best configuration (lowest aggregated test loss)",
        "Table 1. Aggregated test loss and test accuracy per configuration",
        "Table 1b. Per configuration: counts and spread over seeds",
        "Table 2. Best test loss and test accuracy at each level of units",
        "Table 3. Best test loss and test accuracy at each level of batch_size",
        "Table 4. Best test loss and test accuracy at each level of embedding_dim",
        "Table 5. Spread of the aggregated metrics over the configurations",
        "Table 6. Every aggregate of test loss per configuration, with 95 % intervals",
        "Table 7. Best set: every configuration against the best",
        "Table 8. Which hyperparameter matters: factorial ANOVA of test loss",
        "Table 9. Importance of each hyperparameter: ANOVA and fANOVA, and the share of seed noise",
        "Table 10. Seeds needed to separate the best from the runner-up",
        "Appendix B. Runs left out of the aggregates",
        "Appendix C. Versions and host",
    ]
    assert "## Appendix A. Study file\n\n```yaml\nname: synthetic\n" in sample.markdown
    assert "## Statements\n\n- 1 run(s) diverged and 1 failed" in sample.markdown


def test_no_nan_anywhere(sample: Sample) -> None:
    assert not re.search(r"\bnan\b", sample.markdown, re.IGNORECASE)
    assert not re.search(r"\bnan\b", sample.html, re.IGNORECASE)


def test_table_1_in_the_papers_layout(sample: Sample, means: pd.DataFrame) -> None:
    rows = tables(sample.markdown)["Table 1. Aggregated test loss and test accuracy per configuration"]
    assert [(r["units"], r["batch_size"]) for r in rows] == [
        (u, b) for u in ("16", "32", "64") for b in ("32", "64")
    ]
    assert list(rows[0])[2:] == [
        "embedding_dim 200",
        "embedding_dim 300",
        "embedding_dim 400",
        "embedding_dim 500",
    ]
    for _, m in means.iterrows():
        row = next(
            r for r in rows if r["units"] == str(m["units"]) and r["batch_size"] == str(m["batch_size"])
        )
        assert row[f"embedding_dim {m['embedding_dim']}"] == f"{m['test_loss']:.4f}, {m['test_accuracy']:.4f}"
    best = means.loc[means["test_loss"].idxmin()]
    assert bold_cells(sample.markdown).count(f"{best['test_loss']:.4f}, {best['test_accuracy']:.4f}") == 1


def test_table_1b_counts_and_sd(sample: Sample) -> None:
    rows = {
        r["config"]: r
        for r in tables(sample.markdown)["Table 1b. Per configuration: counts and spread over seeds"]
    }
    assert len(rows) == 24
    # c000: seed 1 diverged; c001: seed 0 failed (synthetic_study's defaults)
    assert [rows["c000"][k] for k in ("runs", "complete", "diverged", "failed")] == ["4", "3", "1", "0"]
    assert [rows["c001"][k] for k in ("runs", "complete", "diverged", "failed")] == ["4", "3", "0", "1"]
    complete = sample.runs[(sample.runs["state"] == "COMPLETE") & (sample.runs["config_id"] == "c005")]
    assert rows["c005"]["sd"] == f"{complete['test_loss'].std(ddof=1):.4f}"
    assert rows["c005"]["sd.2"] == f"{complete['test_accuracy'].std(ddof=1):.4f}"
    assert rows["c005"]["used / dropped"] == "4 / 0"


def test_best_per_level_tables(sample: Sample, means: pd.DataFrame) -> None:
    found = tables(sample.markdown)
    for number, factor in enumerate(FACTORS, start=2):
        rows = found[f"Table {number}. Best test loss and test accuracy at each level of {factor}"]
        levels = sorted(means[factor].unique())
        assert [r[factor] for r in rows] == [str(v) for v in levels]
        others = [f for f in FACTORS if f != factor]
        for row, level in zip(rows, levels, strict=True):
            at_level = means[means[factor] == level]
            best_loss = at_level.loc[at_level["test_loss"].idxmin()]
            best_acc = at_level.loc[at_level["test_accuracy"].idxmax()]
            assert row["best test loss"] == f"{best_loss['test_loss']:.4f}"
            assert row["best test accuracy"] == f"{best_acc['test_accuracy']:.4f}"
            where = f"at ({', '.join(others)})"
            assert row[where] == ", ".join(f"{f}={best_loss[f]}" for f in others)
            assert row[f"{where}.2"] == ", ".join(f"{f}={best_acc[f]}" for f in others)


def test_spread_and_best_configuration(sample: Sample, means: pd.DataFrame) -> None:
    found = tables(sample.markdown)
    spread = {
        r["metric"]: r for r in found["Table 5. Spread of the aggregated metrics over the configurations"]
    }
    for metric, name in (("test_loss", "test loss"), ("test_accuracy", "test accuracy")):
        lo, hi = means[metric].min(), means[metric].max()
        row = spread[name]
        assert (row["min"], row["max"]) == (f"{lo:.4f}", f"{hi:.4f}")
        assert row["min at"] == means.loc[means[metric].idxmin(), "config_id"]
        assert row["(max − min) / max"] == f"{100 * (hi - lo) / hi:.2f} %"
        assert row["(max − min) / min"] == f"{100 * (hi - lo) / lo:.2f} %"
    best = means.loc[means["test_loss"].idxmin()]
    info = {r[""]: r[".2"] for r in found["Best configuration (lowest aggregated test loss)"]}
    assert info["configuration"] == best["config_id"]
    assert info["factors"] == ", ".join(f"{f}={best[f]}" for f in FACTORS)
    assert info["test loss"].startswith(f"{best['test_loss']:.4f} (sd ")


def test_lost_runs_listed(sample: Sample) -> None:
    rows = tables(sample.markdown)["Appendix B. Runs left out of the aggregates"]
    lost = sample.runs[sample.runs["state"] != "COMPLETE"]
    assert [r["run_id"] for r in rows] == [str(i) for i in lost["run_id"]]
    assert [(r["state"], r["diverged_at"]) for r in rows] == [("DIVERGED", "2"), ("FAILED", "—")]
    assert rows[1]["error"] == "RuntimeError: out of memory"


def test_figures_linked_and_written(sample: Sample) -> None:
    names = [
        "best-loss", "best-accuracy",
        *(f"{m}-vs-{f}" for f in FACTORS for m in ("test_loss", "test_accuracy")),
        "effects-test_loss", "importance-test_loss",
    ]  # fmt: skip
    assert [p.name for p in sample.files.figures] == [f"{n}{s}" for n in names for s in (".png", ".svg")]
    links = re.findall(r"!\[[^\]]*\]\((figures/[^)]+)\)", sample.markdown)
    assert links == [f"figures/{n}.png" for n in names]
    for path in sample.files.figures:
        data = path.read_bytes()
        if path.suffix == ".png":
            assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000
        else:
            assert b"<svg" in data[:1000] and b"</svg>" in data[-100:]
