"""The store: runs as Optuna trials, claims that never overlap, refusals of a changed or newer study."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import optuna
import pytest

from sweepstat.errors import UserError
from sweepstat.spec import load_spec
from sweepstat.study import StudyStore
from sweepstat.study._store import STUDY_ATTR, default_url
from tests.study.conftest import study_text


def _open(tmp_path: Path, csv: Path, sets: list[str] | None = None, **kw: object) -> tuple[StudyStore, object, list]:
    spec_file = tmp_path / "study.yaml"
    spec_file.write_text(study_text(csv, folder=tmp_path / "runs", **kw), encoding="utf-8")  # type: ignore[arg-type]
    spec, configs, raw = load_spec(spec_file, sets or [])
    store = StudyStore.create(spec, raw, spec.folder)
    store.sync_runs(spec, configs)
    return store, spec, configs


def _fake(seed: int, loss: float | None, state: str = "COMPLETE") -> dict[str, object]:
    record = {"epoch": 1, "iteration": 10, "eval_loss": loss, "test_loss": loss, "test_accuracy": 0.5}
    return {"seed": seed, "state": state, "final": record if loss is not None else None, "curves": [record]}


def test_every_run_is_a_trial_with_its_parameters(tmp_path: Path, csv_data: Path) -> None:
    store, spec, configs = _open(tmp_path, csv_data)
    assert store.progress().total == 8 and store.progress().waiting == 8
    assert store.sync_runs(spec, configs) == 0  # idempotent
    for claim in store.claim(8):
        store.record(claim.trial_id, _fake(claim.seed, 0.5 + claim.seed), "test_loss")
    study = optuna.load_study(study_name="tiny", storage=default_url(tmp_path / "runs"))
    trials = study.get_trials()
    assert len(trials) == 8
    assert {(t.params["units"], t.params["batch_size"], t.params["seed"]) for t in trials} == {
        (u, b, s) for u in (2, 3) for b in (8, 16) for s in (0, 1)
    }
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    assert sorted(t.value for t in trials) == [0.5] * 4 + [1.5] * 4
    assert trials[0].user_attrs["state"] == "COMPLETE" and trials[0].intermediate_values == {1: trials[0].value}
    assert store.progress().complete == 8


def test_diverged_and_failed_runs_are_kept_as_data(tmp_path: Path, csv_data: Path) -> None:
    store, _, _ = _open(tmp_path, csv_data)
    a, b, c = store.claim(3)
    store.record(a.trial_id, _fake(a.seed, None, "DIVERGED"), "test_loss")
    store.record(b.trial_id, {**_fake(b.seed, None, "FAILED"), "error": "boom"}, "test_loss")
    store.record(c.trial_id, _fake(c.seed, float("nan")), "test_loss")  # "complete" without a value
    p = store.progress()
    assert (p.complete, p.diverged, p.failed, p.waiting) == (0, 2, 1, 5)


def test_released_runs_are_queued_again(tmp_path: Path, csv_data: Path) -> None:
    store, _, _ = _open(tmp_path, csv_data)
    claims = store.claim(2)
    store.release([c.trial_id for c in claims], "test")
    p = store.progress()
    assert (p.running, p.waiting, p.total) == (0, 8, 8)
    again = store.claim(8)
    assert {(c.config_id, c.seed) for c in claims} <= {(c.config_id, c.seed) for c in again}


def test_a_changed_spec_is_refused_with_the_way_out(tmp_path: Path, csv_data: Path) -> None:
    _open(tmp_path, csv_data)
    with pytest.raises(UserError, match=r"was created from a different spec .*--set name=tiny-2"):
        _open(tmp_path, csv_data, ["train.epochs=2"])
    _open(tmp_path, csv_data, ["workers=1"])  # not part of the study's identity


def test_a_store_from_a_newer_sweepstat_is_refused(tmp_path: Path, csv_data: Path) -> None:
    store, _, _ = _open(tmp_path, csv_data)
    store.storage.set_study_user_attr(store.study_id, STUDY_ATTR, {**store.meta, "format": 99, "version": "9.0"})
    with pytest.raises(UserError, match=r"written by sweepstat 9.0 \(store format 99\), newer than"):
        StudyStore.open(tmp_path / "runs")


def _claim_all(folder: str, out: object) -> None:
    store = StudyStore.open(Path(folder))
    mine = []
    while claims := store.claim(1):
        mine.append(claims[0].trial_id)
    out.put(mine)  # type: ignore[attr-defined]


def test_concurrent_claims_never_overlap(tmp_path: Path, csv_data: Path) -> None:
    _open(tmp_path, csv_data, seeds=10)  # 40 runs
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_claim_all, args=(str(tmp_path / "runs"), out)) for _ in range(3)]
    for p in procs:
        p.start()
    got = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join()
    flat = [t for part in got for t in part]
    assert len(flat) == 40 and len(set(flat)) == 40


def test_open_needs_a_study_folder(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"must be a study folder holding study.db"):
        StudyStore.open(tmp_path)
