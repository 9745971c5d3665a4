"""`sweepstat run` end to end through its real entry point: results, resume after kills, two runners."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from sweepstat.study import StudyStore
from tests.study.conftest import study_text, sweepstat, write_csv

METRICS = ["train_loss", "test_loss", "test_accuracy", "eval_loss", "epochs_run"]


def _study(tmp_path: Path, name: str = "tiny", **kw: object) -> Path:
    csv = tmp_path / "reviews.csv"
    if not csv.exists():
        write_csv(csv, n=kw.pop("rows", 80))  # type: ignore[arg-type]
    kw.pop("rows", None)
    path = tmp_path / f"{name}.yaml"
    path.write_text(study_text(csv, name=name, **kw), encoding="utf-8")  # type: ignore[arg-type]
    return path


def _runs(folder: Path) -> pd.DataFrame:
    from sweepstat.study import study_tables

    runs, _, _ = study_tables(StudyStore.open(folder))
    return runs.sort_values(["config_id", "seed"]).reset_index(drop=True)


def _finished_per_run(folder: Path) -> list[int]:
    store = StudyStore.open(folder)
    counts: dict[tuple[str, int], int] = {}
    for t in store._trials():
        if t.user_attrs.get("state") in ("COMPLETE", "DIVERGED", "FAILED"):
            key = (t.user_attrs["config_id"], int(t.user_attrs["seed"]))
            counts[key] = counts.get(key, 0) + 1
    return sorted(counts.values())


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The slow study, run once without interruption (2 workers, as the interrupted runs use)."""
    tmp = tmp_path_factory.mktemp("reference")
    spec = _study(tmp, name="slow", epochs=250, rows=240)
    out = sweepstat("run", str(spec), "--no-report", cwd=tmp)
    assert out.returncode == 0, out.stderr
    return _runs(tmp / "runs" / "slow")


def test_run_status_export_report(tmp_path: Path) -> None:
    spec = _study(tmp_path)
    out = sweepstat("run", str(spec), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "study tiny: 8 runs (4 configurations × 2 seeds), 0 already done" in out.stdout
    assert "done: 8 complete, 0 diverged, 0 failed of 8 runs; 8 trained now" in out.stdout
    assert "verdict:\n  - The best configuration by mean test loss is units=" in out.stdout
    folder = tmp_path / "runs" / "tiny"
    assert (folder / "report" / "report.html").is_file() and (folder / "report" / "report.md").is_file()
    assert (folder / "study.yaml").is_file()

    again = sweepstat("run", str(spec), cwd=tmp_path)
    assert "8 already done" in again.stdout and "0 trained now" in again.stdout  # nothing is repeated

    status = sweepstat("status", str(folder), cwd=tmp_path)
    assert "study tiny: 8/8 runs finished (8 complete, 0 diverged, 0 failed), 0 running, 0 waiting" in status.stdout

    for fmt in ("csv", "parquet"):
        out = sweepstat("export", str(folder), "--format", fmt, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
    runs = pd.read_csv(folder / "runs.csv")
    curves = pd.read_parquet(folder / "curves.parquet")
    assert len(runs) == 8 and set(runs.columns) >= {"units", "batch_size", "seed", "state", "test_loss", "n_params"}
    assert sorted(runs.groupby(["units", "batch_size"]).size()) == [2, 2, 2, 2]
    assert len(curves) == 8 and set(curves.epoch) == {1}
    trial = StudyStore.open(folder).finished_trials()[0]
    assert trial.user_attrs["spec"]["model"]["layers"][0]["units"] == trial.params["units"]
    assert trial.user_attrs["spec"]["train"]["batch_size"] == trial.params["batch_size"]
    assert set(trial.user_attrs["host"]) >= {"host", "python", "torch", "sweepstat"}
    from_parquet = pd.read_parquet(folder / "runs.parquet")
    assert (from_parquet["error"] == "").all()  # CSV reads the empty text back as NaN
    pd.testing.assert_frame_equal(runs.drop(columns="error"), from_parquet.drop(columns="error"), check_dtype=False)


def _children(pid: int) -> list[tuple[int, str]]:
    out = subprocess.run(["ps", "-ww", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True)
    return [(int(line.split(None, 1)[0]), line.split(None, 1)[1]) for line in out.stdout.strip().splitlines()]


def _wait_until(cond: object, timeout: float = 300) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def _start(tmp_path: Path, spec: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "SWEEPSTAT_CACHE_DIR": str(tmp_path / ".cache")}
    return subprocess.Popen(
        [sys.executable, "-m", "sweepstat", "run", str(spec), "--no-report", *extra],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@dataclass
class _Counts:
    done: int
    running: int


def _progress(folder: Path) -> _Counts | None:
    """Trial counts read straight from the SQLite file: cheap enough to poll while the runner works."""
    db = folder / "study.db"
    if not db.exists():
        return None
    try:
        with sqlite3.connect(db, timeout=30) as conn:
            rows = dict(conn.execute("SELECT state, COUNT(*) FROM trials GROUP BY state").fetchall())
    except sqlite3.Error:
        return None
    return _Counts(done=rows.get("COMPLETE", 0), running=rows.get("RUNNING", 0))


def _busy_worker(folder: Path) -> int:
    """The process id of the worker that claimed the newest running run (the runner notes it per run):
    that run has just started, so the worker is surely busy with it."""
    with sqlite3.connect(folder / "study.db", timeout=30) as conn:
        rows = conn.execute(
            "SELECT a.value_json FROM trials t JOIN trial_user_attributes a ON a.trial_id = t.trial_id "
            "AND a.key = 'worker' WHERE t.state = 'RUNNING' ORDER BY t.number DESC"
        ).fetchall()
    return int(json.loads(rows[0][0]).rsplit(":", 1)[1])


def test_a_killed_worker_costs_nothing(tmp_path: Path, reference: pd.DataFrame) -> None:
    # One seed per task, so that the newest running run's worker is surely mid-task (the reference ran
    # with the default, two seeds per task: the results must be the same).
    spec = _study(tmp_path, name="slow", epochs=250, rows=240, replicas=1)
    folder = tmp_path / "runs" / "slow"
    runner = _start(tmp_path, spec)
    _wait_until(lambda: (p := _progress(folder)) is not None and p.done >= 1 and p.running >= 2)
    children = _children(runner.pid)
    workers = [pid for pid, args in children if "spawn_main" in args and "defunct" not in args]
    assert len(workers) == 2, children
    os.kill(_busy_worker(folder), signal.SIGKILL)
    out, err = runner.communicate(timeout=600)
    assert runner.returncode == 0, err
    assert "re-queued" in out
    store = StudyStore.open(folder)
    interrupted = [t for t in store._trials() if t.user_attrs.get("state") == "INTERRUPTED"]
    assert interrupted and interrupted[0].user_attrs["error"] == "its worker process died"
    assert _finished_per_run(folder) == [1] * 8  # every run finished exactly once
    pd.testing.assert_frame_equal(_runs(folder)[METRICS], reference[METRICS])


def test_a_killed_runner_resumes_where_it_stopped(tmp_path: Path, reference: pd.DataFrame) -> None:
    spec = _study(tmp_path, name="slow", epochs=250, rows=240)
    folder = tmp_path / "runs" / "slow"
    runner = _start(tmp_path, spec, "--stale-after", "3")
    _wait_until(lambda: (p := _progress(folder)) is not None and p.done >= 2 and p.running >= 1)
    workers = [pid for pid, _ in _children(runner.pid)]
    os.kill(runner.pid, signal.SIGKILL)
    runner.communicate(timeout=60)
    _wait_until(lambda: all(not Path(f"/proc/{pid}").exists() or _zombie(pid) for pid in workers), 30)
    done_before = StudyStore.open(folder).progress().done
    assert done_before < 8
    out = sweepstat("run", str(spec), "--no-report", "--stale-after", "3", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert f"{done_before} already done" in out.stdout
    assert _finished_per_run(folder) == [1] * 8
    pd.testing.assert_frame_equal(_runs(folder)[METRICS], reference[METRICS])


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def test_two_runners_share_the_work(tmp_path: Path, reference: pd.DataFrame) -> None:
    spec = _study(tmp_path, name="slow", epochs=250, rows=240, workers=1)
    folder = tmp_path / "runs" / "slow"
    first, second = _start(tmp_path, spec), _start(tmp_path, spec)
    outs = [p.communicate(timeout=600) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outs
    trained = [int(o.split(" trained now")[0].rsplit(";", 1)[1].split()[0]) for o, _ in outs]
    assert sum(trained) == 8 and min(trained) >= 1
    assert _finished_per_run(folder) == [1] * 8
    # One worker per runner here, two in the reference: the results do not depend on who trained a run.
    pd.testing.assert_frame_equal(_runs(folder)[METRICS], reference[METRICS])


def test_bad_input_writes_nothing(tmp_path: Path) -> None:
    spec = _study(tmp_path)
    for args, message in [
        (["--set", "seeds=0"], "seeds must be a count ≥ 1"),
        (["--set", "train.epocs=2"], "did you mean 'epochs'?"),
        (["--set", "storage.folder=/dev/null/x"], "storage.folder /dev/null/x must be a folder sweepstat can write"),
        (["--set", "data.path=/nonexistent.csv"], "/nonexistent.csv"),
    ]:
        out = sweepstat("run", str(spec), *args, cwd=tmp_path)
        assert out.returncode == 2, out.stderr
        assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert not (tmp_path / "runs").exists()
    changed = sweepstat("run", str(spec), "--set", "train.epochs=1", cwd=tmp_path)
    assert changed.returncode == 0
    refused = sweepstat("run", str(spec), "--set", "train.epochs=2", cwd=tmp_path)
    assert refused.returncode == 2 and "different spec" in refused.stderr


def test_a_200_run_study_with_the_default_workers(tmp_path: Path) -> None:
    """The store under the runner's normal load: many short runs finishing close together."""
    spec = _study(tmp_path, name="many", seeds=50, workers="auto")  # 4 configurations × 50 seeds
    out = sweepstat("run", str(spec), "--no-report", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "done: 200 complete, 0 diverged, 0 failed of 200 runs; 200 trained now" in out.stdout
    assert "locked" not in out.stderr.lower()
    assert _finished_per_run(tmp_path / "runs" / "many") == [1] * 200


def test_auto_replicas_train_in_groups_that_fit_the_memory_budget(tmp_path: Path) -> None:
    """replicas: auto with a small replica_memory_mib: each worker trains a configuration's seeds in even
    groups that fit, and every run equals the run of the same seed trained in one group of all seeds."""
    from sweepstat.data import prepare
    from sweepstat.engine import activation_bytes
    from sweepstat.spec import load_spec
    from sweepstat.study._runner import replica_groups

    grouped = _study(tmp_path, name="grouped", seeds=4)
    spec, configs, _ = load_spec(grouped)
    data = prepare(spec.data, tmp_path / ".cache")
    need = {c.config_id: activation_bytes(c.model, c.train, data) for c in configs}
    budget = 2 * min(need.values())  # the smallest configuration: 2 + 2; the largest: 1 + 1 + 1 + 1
    expected = {cid: len(replica_groups([0, 1, 2, 3], max(1, budget // b))[0]) for cid, b in need.items()}
    assert sorted(set(expected.values())) == [1, 2]

    out = sweepstat("run", str(grouped), "--no-report", "--set", f"replica_memory_mib={budget / 2**20!r}", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    whole = _study(tmp_path, name="whole", seeds=4, replicas=4)
    out = sweepstat("run", str(whole), "--no-report", cwd=tmp_path)
    assert out.returncode == 0, out.stderr

    sizes = {
        (t.user_attrs["config_id"], t.user_attrs["seed"]): t.user_attrs["result"]["n_replicas"]
        for t in StudyStore.open(tmp_path / "runs" / "grouped").finished_trials()
    }
    assert len(sizes) == 16 and all(n == expected[cid] for (cid, _), n in sizes.items())
    assert {t.user_attrs["result"]["n_replicas"] for t in StudyStore.open(tmp_path / "runs" / "whole").finished_trials()} == {4}
    pd.testing.assert_frame_equal(
        _runs(tmp_path / "runs" / "grouped")[["config_id", "seed", *METRICS]],
        _runs(tmp_path / "runs" / "whole")[["config_id", "seed", *METRICS]],
        check_exact=True,
    )

    bad = sweepstat("run", str(grouped), "--set", "replica_memory_mib=0", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.strip() == (
        "error: replica_memory_mib must be a number of MiB > 0; got 0 (e.g. 1024 (the default), or 512 with "
        "little memory per core)"
    ), bad.stderr
