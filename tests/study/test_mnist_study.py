"""A seed-002-style study (Caffe LeNet, SGD with the ``inv`` policy, by iterations) on tiny MNIST files,
end to end through the real command line: it trains on a subset, stores image runs and renders the report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sweepstat.study import StudyStore, study_tables
from tests.data.mnist_files import write_mnist
from tests.study.conftest import sweepstat


def lenet_study(tmp_path: Path, digits: Path) -> Path:
    path = tmp_path / "lenet.yaml"
    path.write_text(
        f"""
name: lenet
data: {{name: mnist, path: {digits}}}
model: {{kind: lenet, conv1_filters: 2, conv2_filters: 3, hidden: 8}}
train:
  optimizer: {{name: sgd, lr: 0.01, momentum: 0.9, weight_decay: 0.0005}}
  lr_policy: {{name: inv, gamma: 0.001, power: 0.75}}
  batch_size: 8
  iterations: 6
  eval_every: 2
search:
  grid:
    train.optimizer.lr: [0.01, 0.02]
seeds: 2
workers: 1
""",
        encoding="utf-8",
    )
    return path


def test_a_lenet_study_on_mnist_runs_and_reports(tmp_path: Path) -> None:
    digits = write_mnist(tmp_path / "digits", n_train=40, n_test=10)
    # A subset from the command line: 24 of the 40 training images, so 3 batches of 8 per epoch.
    out = sweepstat("run", str(lenet_study(tmp_path, digits)), "--set", "data.subset.train=24", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "done: 4 complete, 0 diverged, 0 failed of 4 runs; 4 trained now" in out.stdout
    folder = tmp_path / "runs" / "lenet"
    runs, curves, _ = study_tables(StudyStore.open(folder))
    assert len(runs) == 4 and set(runs["state"]) == {"COMPLETE"}
    assert runs["test_accuracy"].between(0, 1).all()
    # 6 iterations of batch 8 on 24 images: evaluations at iterations 2, 4, 6, in epochs 1, 2, 2 (on all 40
    # images they would fall in epochs 1, 1, 2).
    first = curves[curves["run_id"] == curves["run_id"].min()].sort_values("iteration")
    assert first["iteration"].tolist() == [2, 4, 6] and first["epoch"].tolist() == [1, 2, 2]
    for trial in StudyStore.open(folder).finished_trials():  # every run keeps the data slice it trained on
        assert trial.user_attrs["spec"]["data"]["name"] == "mnist"
        assert trial.user_attrs["spec"]["data"]["subset"] == {"train": 24, "val": None, "test": None}
    markdown = (folder / "report" / "report.md").read_text(encoding="utf-8")
    # Evaluations within an epoch are plotted per iteration, not collapsed into one point per epoch.
    assert "Figure 1. Loss per iteration, best configuration" in markdown
    assert (folder / "report" / "report.html").is_file()
    pd.testing.assert_series_equal(
        runs.sort_values("seed")["seed"].reset_index(drop=True), pd.Series([0, 0, 1, 1], name="seed"),
        check_dtype=False,
    )
