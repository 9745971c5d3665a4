"""Writing: atomic and reproducible; and every kind of study gives a report with plain statements."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

import sweepstat.report._write as write_module
from sweepstat.analysis import AnalysisError
from sweepstat.errors import SpecError
from sweepstat.report import ReportMeta, build_content, write_report

from .conftest import sample_meta
from .markdown import tables
from .synthetic import FACTORS, synthetic_study


# Drawing dominates the time (about 0.1 s a figure): most studies here have one factor, hence 4 figures.
def small() -> tuple[pd.DataFrame, pd.DataFrame]:
    return synthetic_study({"units": [16, 32]}, n_seeds=3, n_epochs=3)


def small_meta(**changes: object) -> ReportMeta:
    return sample_meta(factors=("units",), **changes)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One report of the small study; tests copy it rather than drawing it again."""
    folder = tmp_path_factory.mktemp("written")
    runs, curves = small()
    write_report(runs, curves, small_meta(), folder)
    return folder


def copy_of(written: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(written, tmp_path / "study"))


def test_same_study_same_bytes(written: Path, tmp_path: Path) -> None:
    runs, curves = small()
    write_report(runs, curves, small_meta(), tmp_path)
    a, b = snapshot(written), snapshot(tmp_path)
    assert a.keys() == b.keys() and len(a) == 2 + 2 * 6
    assert a == b


def test_bad_input_writes_nothing_and_keeps_the_old_report(written: Path, tmp_path: Path) -> None:
    folder = copy_of(written, tmp_path)
    runs, curves = small()
    with pytest.raises(AnalysisError, match=r"runs must have the columns test_accuracy"):
        write_report(runs.drop(columns="test_accuracy"), curves, small_meta(), folder)
    assert snapshot(folder) == snapshot(written)
    with pytest.raises(AnalysisError, match=r"must have the columns batch_size"):
        write_report(runs, curves, sample_meta(factors=("units", "batch_size")), tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_a_crash_while_writing_leaves_whole_files(
    written: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = copy_of(written, tmp_path)
    real_place = write_module._place

    def crash_at_markdown(stage: Path, data: bytes, target: Path) -> Path:
        if target.name == "report.md":
            (stage / target.name).write_bytes(data[: len(data) // 2])  # half written, then the power goes
            raise OSError("disk full")
        return real_place(stage, data, target)

    monkeypatch.setattr(write_module, "_place", crash_at_markdown)
    runs, curves = small()
    with pytest.raises(OSError, match="disk full"):
        write_report(runs, curves, small_meta(study_name="renamed"), folder)
    before, after = snapshot(written), snapshot(folder)
    assert after["report.md"] == before["report.md"] and after["report.html"] == before["report.html"]
    assert after.keys() == before.keys()  # figures replaced whole (same names), no staging folder left
    assert not list(folder.glob(".report-*"))


def test_figures_of_an_earlier_report_are_removed(written: Path, tmp_path: Path) -> None:
    folder = copy_of(written, tmp_path)
    (folder / "figures" / "notes.txt").write_text("mine")
    runs, curves = synthetic_study({"lr": [0.1, 0.01]}, n_seeds=2, n_epochs=2)
    files = write_report(runs, curves, sample_meta(factors=("lr",)), folder)
    on_disk = sorted(p.name for p in (folder / "figures").iterdir())
    assert on_disk == sorted([p.name for p in files.figures] + ["notes.txt"])
    assert "test_loss-vs-lr.png" in on_disk and "test_loss-vs-units.png" not in on_disk


def statements(markdown: str) -> list[str]:
    block = markdown.split("## Statements\n\n", 1)[1].split("\n\n", 1)[0]
    return [line[2:] for line in block.splitlines()]


def no_nan(*texts: str) -> None:
    for text in texts:
        assert not re.search(r"\bnan\b", text, re.IGNORECASE)


def test_all_runs_diverged(tmp_path: Path) -> None:
    runs, curves = synthetic_study({"units": [16, 32], "embedding_dim": [200, 400]}, n_seeds=3, n_epochs=3)
    runs = runs.assign(state="DIVERGED", diverged_at=2.0)
    files = write_report(runs, curves, sample_meta(factors=("units", "embedding_dim")), tmp_path)
    md, html = files.markdown.read_text(), files.html.read_text()
    no_nan(md, html)
    assert files.figures == ()
    assert statements(md)[0].startswith(
        "No run completed (12 diverged, 0 failed): no aggregate, best configuration"
    )
    table_1 = tables(md)["Table 1. Aggregated test loss and test accuracy per configuration"]
    assert {r["test loss"] for r in table_1} == {"no complete run"}
    assert {r["note"] for r in table_1} == {"no complete run (3 diverged)"}
    best = tables(md)["Best configuration (lowest aggregated test loss)"]
    assert best[0][".2"] == "no configuration has a test_loss (no complete run)"
    spread = tables(md)["Table 4. Spread of the aggregated metrics over the configurations"]
    assert spread[0]["min"] == "no configuration has a test_loss (no complete run)"
    levels = tables(md)["Table 2. Best test loss and test accuracy at each level of units"]
    assert [r["best test loss"] for r in levels] == ["no complete run"] * 2


def test_one_seed(tmp_path: Path) -> None:
    runs, curves = synthetic_study({"units": [16, 32]}, n_seeds=1, diverged=(), failed=())
    files = write_report(runs, curves, small_meta(), tmp_path)
    md = files.markdown.read_text()
    no_nan(md, files.html.read_text())
    assert statements(md) == [
        "At most one complete run per configuration: no standard deviation and no band over seeds; differences "
        "between configurations cannot be told apart from seed noise."
    ]
    rows = tables(md)["Table 1. Aggregated test loss and test accuracy per configuration"]
    assert {r["sd"] for r in rows} == {"—"}
    assert "One run: no band." in md


def test_no_factors_single_configuration(tmp_path: Path) -> None:
    runs, curves = synthetic_study({"units": [16]}, n_seeds=3, diverged=(), failed=())
    runs, curves = runs.drop(columns="units"), curves.drop(columns="units")
    files = write_report(runs, curves, sample_meta(factors=()), tmp_path)
    md = files.markdown.read_text()
    no_nan(md, files.html.read_text())
    assert statements(md) == ["A single configuration (no factors): no per-level tables and no factor plots."]
    assert [p.name for p in files.figures] == [
        "best-loss.png",
        "best-loss.svg",
        "best-accuracy.png",
        "best-accuracy.svg",
    ]
    assert list(tables(md))[2:] == [
        "Table 1. Aggregated test loss and test accuracy per configuration",
        "Table 2. Spread of the aggregated metrics over the configurations",
        "Table 3. Every aggregate of test loss per configuration, with 95 % intervals",
        "Table 4. Best set: every configuration against the best",
        "Table 5. Which hyperparameter matters: factorial ANOVA of test loss",
        "Table 6. Importance of each hyperparameter: ANOVA and fANOVA, and the share of seed noise",
        "Table 7. Seeds needed to separate the best from the runner-up",
        "Appendix C. Versions and host",
    ]
    found = tables(md)
    assert found["Table 4. Best set: every configuration against the best"][0]["verdict"] == "best"
    assert found["Table 5. Which hyperparameter matters: factorial ANOVA of test loss"] == [
        {"": "cannot compute", ".2": "cannot test: a single configuration"}
    ]
    assert (
        "- Whether it is better than the other configurations cannot be tested: a single configuration." in md
    )


def test_one_factor_and_no_curves(tmp_path: Path) -> None:
    runs, curves = synthetic_study({"lr": [0.01, 0.001, 1e-4]}, n_seeds=2, diverged=(), failed=())
    files = write_report(runs, curves.iloc[0:0], sample_meta(factors=("lr",)), tmp_path)
    md = files.markdown.read_text()
    no_nan(md, files.html.read_text())
    assert [p.stem for p in files.figures][::2] == [
        "test_loss-vs-lr", "test_accuracy-vs-lr", "effects-test_loss", "importance-test_loss",
    ]  # fmt: skip
    assert statements(md)[-1].startswith("No training curve was recorded for the best configuration")
    assert [r["lr"] for r in tables(md)["Table 2. Best test loss and test accuracy at each level of lr"]] == [
        "0.0001", "0.001", "0.01",
    ]  # fmt: skip


def test_no_runs_at_all(tmp_path: Path) -> None:
    runs, curves = small()
    files = write_report(runs.iloc[0:0], curves.iloc[0:0], small_meta(), tmp_path)
    md = files.markdown.read_text()
    no_nan(md)
    assert statements(md) == ["The study has no runs yet: there is nothing to aggregate."]


def test_separate_evaluation_split_is_drawn(tmp_path: Path) -> None:
    runs, curves = small()
    curves = curves.assign(eval_loss=curves["eval_loss"] * 0.9)
    assert not build_content(runs, curves, small_meta()).eval_is_test
    md = write_report(runs, curves, small_meta(), tmp_path).markdown.read_text()
    assert "Train vs evaluation and test loss per epoch" in md


def test_meta_errors_are_collected() -> None:
    with pytest.raises(
        SpecError,
        match=r"objective.direction must be minimize or maximize; got 'down'.*"
        r"aggregate.statistic must be a known statistic; got 'trim'.*did you mean 'trimmed'.*"
        r"aggregate.trim must be ≥ 0 and < 0.5; got 0.6",
    ):
        ReportMeta("s", tuple(FACTORS), direction="down", statistic="trim", trim=0.6)  # type: ignore[arg-type]
    with pytest.raises(SpecError, match=r"report.factors must be a list of column names; got 'units'"):
        ReportMeta("s", "units")  # type: ignore[arg-type]
