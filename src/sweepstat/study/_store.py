"""The study store: Optuna's relational storage, one Optuna trial per run (configuration × seed).

Why Optuna's storage: `optuna-dashboard` shows a study live, Optuna's API reads every run with its
parameters, PostgreSQL comes for free later, and `sweepstat tune` will share the same store.

How runs map onto trials:
- every run is created up front as a WAITING trial with its parameters (the grid's factors and ``seed``);
- a runner claims a trial by moving it WAITING → RUNNING inside one write transaction, so two runners
  never claim the same run; it records a heartbeat while the run trains;
- a finished run is COMPLETE (objective value set) or FAIL with ``state`` DIVERGED or FAILED (the engine's
  outcome, kept as data); a run whose runner died (no heartbeat) or was interrupted is FAIL with
  ``state`` INTERRUPTED and a new WAITING trial with the same parameters takes its place.

On SQLite every transaction starts with ``BEGIN IMMEDIATE`` and waits for the lock (busy timeout), so
concurrent runners queue instead of failing with "database is locked"; the file is in WAL mode, so
readers such as the dashboard never block a runner.
"""

from __future__ import annotations

import fcntl
import json
import platform
import socket
import sys
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sweepstat import __version__
from sweepstat.errors import UserError
from sweepstat.spec._study import Configuration, StudySpec, spec_hash

# The layout of what sweepstat keeps in Optuna's attributes. A store written by a newer format is refused.
STORE_FORMAT = 1
STUDY_ATTR = "sweepstat"
HEARTBEAT_SECONDS = 10
GRACE_SECONDS = 60  # a RUNNING trial without a heartbeat for this long belongs to a dead runner
FINISHED = ("COMPLETE", "DIVERGED", "FAILED")


@dataclass(frozen=True)
class Claim:
    """A run a runner now owns."""

    trial_id: int
    number: int
    config_id: str
    seed: int


@dataclass(frozen=True)
class Progress:
    """Counts of runs (not trials): each run counted once, by its latest trial."""

    total: int
    complete: int
    diverged: int
    failed: int
    running: int
    waiting: int

    @property
    def done(self) -> int:
        return self.complete + self.diverged + self.failed


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock on the study folder, for the steps that read then write many rows: creating
    the database (two runners starting together) and queueing the runs."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def default_url(folder: Path) -> str:
    return f"sqlite:///{(folder / 'study.db').resolve()}"


def _sqlite_for_many_writers(engine: Any) -> None:
    """Make every SQLite transaction take the write lock at its start and wait for it (see module doc)."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.isolation_level = None  # the "begin" hook below issues BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 600000")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    engine.dispose()  # connections opened while Optuna created the tables lack the hooks


def _open_storage(url: str, grace_seconds: int = GRACE_SECONDS) -> Any:
    import optuna
    from optuna.exceptions import ExperimentalWarning

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 600}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        storage = optuna.storages.RDBStorage(
            url,
            engine_kwargs=kwargs,
            heartbeat_interval=max(1, min(HEARTBEAT_SECONDS, grace_seconds // 2)),
            grace_period=grace_seconds,
        )
    if url.startswith("sqlite"):
        _sqlite_for_many_writers(storage.engine)
    return storage


def _param_value(value: Any) -> Any:
    """Optuna's categorical choices must be scalars; lists and mappings are stored as JSON text."""
    return value if value is None or isinstance(value, bool | int | float | str) else json.dumps(value)


def host_info() -> dict[str, str]:
    import torch

    return {
        "host": socket.gethostname(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "sweepstat": __version__,
        "platform": platform.platform(),
    }


class StudyStore:
    """One study in an Optuna storage. Create with ``StudyStore.create`` or ``StudyStore.open``."""

    def __init__(self, storage: Any, study_id: int, meta: dict[str, Any], url: str) -> None:
        self.storage = storage
        self.study_id = study_id
        self.meta = meta
        self.url = url

    # --- opening ------------------------------------------------------------------------------------

    @classmethod
    def create(
        cls, spec: StudySpec, raw: dict[str, Any], folder: Path, grace_seconds: int = GRACE_SECONDS
    ) -> StudyStore:
        """Open the study of ``spec``, creating it if new; refuse a different spec under the same name.

        ``grace_seconds``: how long a RUNNING run may go without a heartbeat before it is taken as
        abandoned by a dead runner and queued again.
        """
        with folder_lock(folder):
            return cls._create(spec, raw, folder, grace_seconds)

    @classmethod
    def _create(cls, spec: StudySpec, raw: dict[str, Any], folder: Path, grace_seconds: int) -> StudyStore:
        from optuna.study import StudyDirection

        url = spec.storage.url or default_url(folder)
        storage = _open_storage(url, grace_seconds)
        digest = spec_hash(spec)
        try:
            study_id = storage.get_study_id_from_name(spec.name)
        except KeyError:
            study_id = None
        if study_id is None:
            direction = StudyDirection.MINIMIZE
            if spec.objective.resolved_direction == "maximize":
                direction = StudyDirection.MAXIMIZE
            study_id = storage.create_new_study([direction], spec.name)
            meta = {
                "format": STORE_FORMAT,
                "version": __version__,
                "spec_hash": digest,
                "spec": raw,
                "factors": list(spec.search.factor_names().values()),
            }
            storage.set_study_user_attr(study_id, STUDY_ATTR, meta)
        store = cls(storage, study_id, cls._read_meta(storage, study_id, url), url)
        if store.meta["spec_hash"] != digest:
            raise UserError(
                f"study {spec.name!r} in {url} was created from a different spec (hash "
                f"{store.meta['spec_hash']} ≠ {digest}); to start a new study give it another name "
                f"(--set name={spec.name}-2) or folder; to continue the old one run "
                f"`sweepstat run {folder / 'study.yaml'}`"
            )
        return store

    @staticmethod
    def _read_meta(storage: Any, study_id: int, url: str) -> dict[str, Any]:
        meta = storage.get_study_user_attrs(study_id).get(STUDY_ATTR)
        if not isinstance(meta, dict) or "format" not in meta:
            raise UserError(f"{url} holds an Optuna study that sweepstat did not create; use another folder")
        if int(meta["format"]) > STORE_FORMAT:
            raise UserError(
                f"{url} was written by sweepstat {meta.get('version')} (store format {meta['format']}), "
                f"newer than this sweepstat {__version__} (format {STORE_FORMAT}); upgrade sweepstat"
            )
        return meta

    @classmethod
    def open(cls, folder: Path, url: str | None = None) -> StudyStore:
        """Open an existing study folder (or URL) for status, export and report."""
        db = folder / "study.db"
        if url is None and not db.is_file():
            raise UserError(
                f"{folder} must be a study folder holding study.db; got no such file "
                "(give the folder that `sweepstat run` printed, e.g. runs/demo)"
            )
        url = url or default_url(folder)
        storage = _open_storage(url)
        studies = storage.get_all_studies()
        if len(studies) != 1:
            raise UserError(f"{url} must hold one study; got {len(studies)}")
        study_id = studies[0]._study_id
        return cls(storage, study_id, cls._read_meta(storage, study_id, url), url)

    @property
    def name(self) -> str:
        return str(self.storage.get_study_name_from_id(self.study_id))

    # --- runs ---------------------------------------------------------------------------------------

    def _trials(self, states: Sequence[Any] | None = None) -> list[Any]:
        return list(self.storage.get_all_trials(self.study_id, deepcopy=False, states=states))

    def _run_rows(self) -> list[tuple[int, int, str, str | None, str, int]]:
        """(trial_id, number, trial state, sweepstat state, config_id, seed) of every run trial.

        One SQL query over Optuna's tables (its schema is pinned with its version): the runner calls
        this after every run, and loading whole trials with their curves would grow with the study.
        """
        from sqlalchemy import text

        query = text(
            """
            SELECT t.trial_id, t.number, t.state, s.value_json, c.value_json, d.value_json
            FROM trials t
            JOIN trial_user_attributes c ON c.trial_id = t.trial_id AND c.key = 'config_id'
            JOIN trial_user_attributes d ON d.trial_id = t.trial_id AND d.key = 'seed'
            LEFT JOIN trial_user_attributes s ON s.trial_id = t.trial_id AND s.key = 'state'
            WHERE t.study_id = :study
            ORDER BY t.number
            """
        )
        with self.storage.engine.connect() as conn:
            rows = conn.execute(query, {"study": self.study_id}).fetchall()
        return [
            (int(tid), int(num), str(state.name if hasattr(state, "name") else state),
             json.loads(us) if us is not None else None, json.loads(cfg), int(json.loads(seed)))
            for tid, num, state, us, cfg, seed in rows
        ]

    def latest(self) -> dict[tuple[str, int], tuple[int, int, str, str | None]]:
        """Run key (config_id, seed) → (trial_id, number, trial state, sweepstat state) of its latest trial."""
        out: dict[tuple[str, int], tuple[int, int, str, str | None]] = {}
        for tid, num, state, user_state, cfg, seed in self._run_rows():
            out[(cfg, seed)] = (tid, num, state, user_state)
        return out

    def _new_trial(self, config: Configuration, seed: int, spec: StudySpec) -> int:
        from optuna.distributions import CategoricalDistribution

        names = spec.search.factor_names()
        params: dict[str, Any] = {}
        dists: dict[str, Any] = {}
        for path, values in spec.search.grid.items():
            name = names[path]
            params[name] = _param_value(config.values[name])
            dists[name] = CategoricalDistribution([_param_value(v) for v in values])
        params["seed"] = seed
        dists["seed"] = CategoricalDistribution(list(spec.seed_list))
        return self._queue(params, dists, config.config_id, seed)

    def _queue(self, params: dict[str, Any], dists: dict[str, Any], config_id: str, seed: int) -> int:
        """Create a WAITING trial for the run (config_id, seed) with its parameters; return its id."""
        from optuna.trial import FrozenTrial, TrialState

        template = FrozenTrial(
            number=-1,
            state=TrialState.WAITING,
            value=None,
            datetime_start=None,
            datetime_complete=None,
            params=params,
            distributions=dists,
            user_attrs={"config_id": config_id, "seed": seed},
            system_attrs={},
            intermediate_values={},
            trial_id=-1,
        )
        return int(self.storage.create_new_trial(self.study_id, template_trial=template))

    def sync_runs(self, spec: StudySpec, configs: Sequence[Configuration]) -> int:
        """Create a WAITING trial for every run that has none yet; return how many were created."""
        have = self.latest()
        created = 0
        for config in configs:
            for seed in spec.seed_list:
                if (config.config_id, seed) not in have:
                    self._new_trial(config, seed, spec)
                    created += 1
        return created

    def claim(self, n: int, config_id: str | None = None) -> list[Claim]:
        """Move up to ``n`` WAITING runs to RUNNING for this runner; of ``config_id`` only, if given."""
        from optuna.trial import TrialState

        claims: list[Claim] = []
        for t in sorted(self._trials([TrialState.WAITING]), key=lambda t: t.number):
            if len(claims) == n:
                break
            if config_id is not None and t.user_attrs.get("config_id") != config_id:
                continue
            if self.storage.set_trial_state_values(t._trial_id, TrialState.RUNNING):
                self.storage.record_heartbeat(t._trial_id)
                claims.append(Claim(t._trial_id, t.number, t.user_attrs["config_id"], int(t.user_attrs["seed"])))
        return claims

    def mark_worker(self, trial_ids: Iterable[int], pid: int | None) -> None:
        """Note which process trains these runs (shown in the dashboard; lets a crash test aim)."""
        where = f"{socket.gethostname()}:{pid}"
        for tid in trial_ids:
            self.storage.set_trial_user_attr(tid, "worker", where)

    @property
    def heartbeat_seconds(self) -> int:
        return int(self.storage.heartbeat_interval)

    def heartbeat(self, trial_ids: Iterable[int]) -> None:
        for tid in trial_ids:
            self.storage.record_heartbeat(tid)

    def _replace(self, trial: Any, reason: str) -> None:
        """Mark ``trial`` INTERRUPTED and queue a fresh WAITING trial for the same run."""
        from optuna.trial import TrialState

        try:
            self.storage.set_trial_user_attr(trial._trial_id, "state", "INTERRUPTED")
            self.storage.set_trial_user_attr(trial._trial_id, "error", reason)
            if not self.storage.set_trial_state_values(trial._trial_id, TrialState.FAIL):
                return
        except RuntimeError:  # finished in the meantime by its own runner
            return
        self._queue(trial.params, trial.distributions, trial.user_attrs["config_id"], trial.user_attrs["seed"])

    def release(self, trial_ids: Iterable[int], reason: str) -> None:
        """Give back runs this runner claimed but will not finish (worker died, Ctrl-C)."""
        for tid in trial_ids:
            self._replace(self.storage.get_trial(tid), reason)

    def requeue_stale(self) -> int:
        """Re-queue runs whose runner stopped sending heartbeats (killed, power cut)."""
        stale = self.storage._get_stale_trial_ids(self.study_id)
        for tid in stale:
            self._replace(self.storage.get_trial(tid), "its runner stopped (no heartbeat)")
        return len(stale)

    def record(
        self, trial_id: int, outcome: dict[str, Any], objective: str, run_spec: dict[str, Any] | None = None
    ) -> None:
        """Store a finished run: its summary, curves, state and the spec slices it trained with
        (``run_spec``: data, model, train); the objective is the trial's value."""
        from optuna.trial import TrialState

        curves = outcome.get("curves", [])
        summary = {k: v for k, v in outcome.items() if k != "curves"}
        self.storage.set_trial_user_attr(trial_id, "result", summary)
        if run_spec is not None:
            self.storage.set_trial_user_attr(trial_id, "spec", run_spec)
        self.storage.set_trial_user_attr(trial_id, "curves", curves)
        self.storage.set_trial_user_attr(trial_id, "host", host_info())
        # The dashboard's step: the epoch, or the iteration when several evaluations share an epoch.
        epochs = [row.get("epoch") for row in curves]
        step_key = "epoch" if len(set(epochs)) == len(epochs) else "iteration"
        for row in curves:
            value = row.get("eval_loss")
            if isinstance(value, int | float) and value == value and step_key in row:
                self.storage.set_trial_intermediate_value(trial_id, int(row[step_key]), float(value))
        state = str(outcome["state"])
        self.storage.set_trial_user_attr(trial_id, "state", state)
        value = (outcome.get("final") or {}).get(objective)
        if state == "COMPLETE" and isinstance(value, int | float) and value == value:
            self.storage.set_trial_state_values(trial_id, TrialState.COMPLETE, values=[float(value)])
        else:
            if state == "COMPLETE":  # finished but without a finite objective value: keep as data
                self.storage.set_trial_user_attr(trial_id, "state", "DIVERGED")
            self.storage.set_trial_state_values(trial_id, TrialState.FAIL)

    def progress(self) -> Progress:
        counts: Counter[str] = Counter()
        for _, _, state, user_state in self.latest().values():
            if state == "RUNNING":
                counts["running"] += 1
            elif state == "WAITING":
                counts["waiting"] += 1
            elif user_state in FINISHED:
                counts[str(user_state).lower()] += 1
            else:
                counts["waiting"] += 1  # interrupted, about to be re-queued
        total = sum(counts.values())
        return Progress(
            total, counts["complete"], counts["diverged"], counts["failed"], counts["running"], counts["waiting"]
        )

    def finished_trials(self) -> list[Any]:
        """The latest trial of every finished run, in run order (whole trials, with curves)."""
        wanted = {
            tid for tid, _, state, user_state in self.latest().values()
            if user_state in FINISHED and state in ("COMPLETE", "FAIL")
        }
        trials = self.storage.get_all_trials(self.study_id, deepcopy=False)
        return sorted((t for t in trials if t._trial_id in wanted), key=lambda t: t.number)


def python_version() -> str:
    return sys.version.split()[0]
