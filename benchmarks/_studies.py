"""sweepstat's side of the benchmark: a real ``sweepstat run`` on a generated study file, read back from
the study's store (Optuna's SQLite, ``study.db``) afterwards.

What is measured, per study:
- ``command_seconds``: the whole ``sweepstat run STUDY.yaml --no-report`` command (interpreter start,
  spec validation, store creation, worker start-up, data loading in every worker, training, storing);
- ``train_seconds``: each replica group's own training clock from the store, summed over groups — for
  epoch workloads a run's ``total_seconds`` (optimizer and tensors set up, every epoch's training and
  evaluation, first epoch included), for iteration workloads the sum of the curves' ``train_seconds``
  (updates only); runs of one group share their group's clock, so each run counts 1/R of it;
- ``machine_seconds``: the training wall time of the whole machine, taken as the busiest worker's
  training time (each run records the worker process that trained it; a worker's groups train one after
  another, and all workers train side by side, slowing each other down as their clocks show). Worker
  start-up, data loading and storing results are left out (they are in ``command_seconds``);
- ``span_seconds``: first run claimed → last run stored (Optuna's trial timestamps), for comparison.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from _env import REPO


def sweepstat_command() -> Path:
    return Path(sys.executable).parent / "sweepstat"


def default_workers() -> int:
    return len(os.sched_getaffinity(0))


def run_study(spec: dict[str, Any], folder: Path, unit: str, workers: int | None = None) -> dict[str, Any]:
    """Write ``spec`` (with its storage inside ``folder``), run it, and summarise its store; ``unit`` is
    "epoch" (seconds per run-epoch) or "100 iterations" (seconds per run-100-iterations, updates only)."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = {**spec, "storage": {"folder": str(folder / "store")}}
    study_file = folder / f"{spec['name']}.yaml"
    study_file.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    cmd = [str(sweepstat_command()), "run", str(study_file), "--no-report"]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=folder)
    command_seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"`{shlex.join(cmd)}` failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    summary = read_store(folder / "store")
    if summary["runs"] == 0 or summary["epochs"] == 0:
        raise RuntimeError(f"`{shlex.join(cmd)}` stored no finished run: {summary}\n{proc.stdout[-2000:]}")
    if unit == "epoch":
        summary["n_units"], summary["train_seconds"] = summary["epochs"], summary["total_seconds_sum"]
        summary["machine_seconds"] = summary["busiest_total_seconds"]
    else:
        summary["n_units"], summary["train_seconds"] = summary["iterations"] / 100, summary["updates_seconds_sum"]
        summary["machine_seconds"] = summary["busiest_updates_seconds"]
    summary["command_seconds"] = command_seconds
    summary["workers"] = workers or int(spec.get("workers", 0) or 0) or default_workers()
    summary["seconds_per_unit"] = summary["machine_seconds"] / summary["n_units"]
    shown = [os.path.relpath(cmd[0], REPO), "run", f"$TMP/{study_file.name}", *cmd[3:]]
    summary["command"] = " ".join(shown)
    return summary


def read_store(store_folder: Path) -> dict[str, Any]:
    """Totals over the finished runs of the study in ``store_folder``."""
    from sweepstat.study._store import StudyStore

    store = StudyStore.open(store_folder)
    states: Counter[str] = Counter()
    train_total = updates_total = 0.0
    epochs = iterations = 0
    accuracies: list[float] = []
    peak_rss = 0.0
    starts, ends = [], []
    busy: Counter[str] = Counter()  # worker → its training seconds (the unit's clock)
    busy_updates: Counter[str] = Counter()
    for trial in store.finished_trials():
        states[str(trial.user_attrs.get("state"))] += 1
        result = trial.user_attrs.get("result", {})
        curves = trial.user_attrs.get("curves", [])
        share = 1.0 / float(result.get("n_replicas") or 1)
        total = float(result.get("total_seconds") or 0.0) * share
        updates = sum(float(r.get("train_seconds") or 0.0) for r in curves) * share
        worker = str(trial.user_attrs.get("worker", "?"))
        train_total += total
        updates_total += updates
        busy[worker] += total
        busy_updates[worker] += updates
        if curves:
            epochs += int(curves[-1]["epoch"])
            iterations += int(curves[-1]["iteration"])
        peak_rss = max(peak_rss, float(result.get("peak_rss_bytes") or 0.0))
        final = result.get("final") or {}
        if isinstance(final.get("test_accuracy"), int | float):
            accuracies.append(float(final["test_accuracy"]))
        if trial.datetime_start is not None and trial.datetime_complete is not None:
            starts.append(trial.datetime_start)
            ends.append(trial.datetime_complete)
    span = (max(ends) - min(starts)).total_seconds() if starts else float("nan")
    return {
        "runs": sum(states.values()),
        "states": dict(states),
        "epochs": epochs,  # run-epochs
        "iterations": iterations,  # run-iterations
        "total_seconds_sum": train_total,
        "updates_seconds_sum": updates_total,
        "span_seconds": span,
        "busiest_total_seconds": max(busy.values(), default=0.0),
        "busiest_updates_seconds": max(busy_updates.values(), default=0.0),
        "workers_used": len(busy),
        "peak_rss_mb": peak_rss / 2**20,
        "mean_test_accuracy": sum(accuracies) / len(accuracies) if accuracies else float("nan"),
    }

