"""`sweepstat run`: train every configuration × seed on worker processes and stream results to the store.

The runner process claims runs from the store, hands them to workers (one per core by default, each
single-threaded; one per GPU with CUDA), records each finished run at once, and sends heartbeats for the runs in flight. It
survives everything a laptop does to it:

- a worker that dies (``kill -9``, out of memory) has its runs given back and is replaced;
- Ctrl-C gives the runs in flight back before it exits;
- a runner killed outright (``kill -9``, power cut) stops sending heartbeats, so the next runner re-queues
  its runs after ``GRACE_SECONDS``;
- several runners on one study share the work, since claiming a run is one write transaction.

A run is trained from its seed alone, so a resumed study's results equal an uninterrupted one's.
"""

from __future__ import annotations

import multiprocessing as mp
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from sweepstat.spec._study import Configuration, StudySpec
from sweepstat.study._devices import default_workers, worker_devices
from sweepstat.study._store import GRACE_SECONDS, Claim, Progress, StudyStore, folder_lock


@dataclass(frozen=True)
class Task:
    """Runs of one configuration that a worker trains together (``replicas`` seeds at most)."""

    task_id: int
    config: Configuration
    claims: tuple[Claim, ...]
    # Under replicas: auto, the activation memory the worker may spend at once: it then trains the seeds in
    # groups that fit (engine.replicas_within), one group after another. None: all seeds as one group.
    budget_bytes: int | None = None

    @property
    def seeds(self) -> list[int]:
        return [c.seed for c in self.claims]


@dataclass
class RunnerEvents:
    """Hooks the command line uses to show progress; all optional."""

    on_start: Callable[[Progress], None] = lambda p: None
    on_result: Callable[[Progress, dict[str, Any]], None] = lambda p, r: None
    on_wait: Callable[[Progress], None] = lambda p: None
    # (worker index, task, iterations done, iterations in all) while a task trains
    on_task_progress: Callable[[int, Task, int, int], None] = lambda w, t, d, n: None


@dataclass
class RunOutcome:
    """What one `sweepstat run` did."""

    progress: Progress
    trained: int = 0  # runs this invocation finished
    requeued: int = 0  # runs given back (worker deaths, stale runners)
    worker_deaths: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when its runner dies, even by ``kill -9`` (no orphans left training)."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the worker notices a closed queue instead
        pass


class _ProgressSender:
    """Tells the runner how far a task has trained, a few times a second at most."""

    def __init__(self, outbox: Any, worker_id: int, task_id: int, n_groups: int = 1) -> None:
        self.outbox, self.worker_id, self.task_id = outbox, worker_id, task_id
        self.n_groups = n_groups
        self.group = 0  # groups of the task trained before the current one
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        whole = total * self.n_groups  # groups train the same iterations each
        done += total * self.group
        if now - self.last >= 0.5 or done == whole:
            self.last = now
            self.outbox.send(("progress", self.worker_id, self.task_id, done, whole))


def replica_groups(seeds: Sequence[int], most: int) -> list[list[int]]:
    """``seeds`` in order, cut into as few groups of at most ``most`` as possible, of sizes that differ by
    one at most (8 seeds, at most 5: 4 + 4, not 5 + 3)."""
    n_groups = -(-len(seeds) // max(1, most))
    size, extra = divmod(len(seeds), max(1, n_groups))
    out, start = [], 0
    for k in range(n_groups):
        stop = start + size + (1 if k < extra else 0)
        out.append(list(seeds[start:stop]))
        start = stop
    return out


def _worker_main(inbox: Any, outbox: Any, worker_id: int, threads: int, cache_dir: str, device: str) -> None:
    """A worker process: train the tasks it is sent, one at a time, until it receives None."""
    from sweepstat.data import prepare
    from sweepstat.engine import replicas_within, train_replicas, tune_process
    from sweepstat.models import build_cpu_kernels

    _die_with_parent()
    tune_process(threads)
    build_cpu_kernels()  # load (or, once per machine, build) the C++ loops before any run's clock starts
    prepared: dict[str, Any] = {}
    while True:
        task = inbox.get()
        if task is None:
            return
        key = task.config.data.model_dump_json()
        try:
            if key not in prepared:
                prepared[key] = prepare(task.config.data, Path(cache_dir))
            data, seeds = prepared[key], task.seeds
            size = len(seeds)
            if task.budget_bytes is not None:
                size = min(size, replicas_within(task.config.model, task.config.train, data, task.budget_bytes))
            groups = replica_groups(seeds, size)
            progress = _ProgressSender(outbox, worker_id, task.task_id, len(groups))
            results = []
            for k, group in enumerate(groups):
                progress.group = k
                results += train_replicas(
                    task.config.model, task.config.train, data, group, device=device, on_progress=progress
                )
            outbox.send(("result", worker_id, task.task_id, [r.to_dict() for r in results], None))
        except Exception as err:  # the engine keeps training failures as data; this is a worker bug
            outbox.send(("result", worker_id, task.task_id, None, f"{type(err).__name__}: {err}"))


class _Worker:
    """A worker process with its own pipes: one that dies mid-message can garble only its own."""

    def __init__(self, ctx: Any, worker_id: int, threads: int, cache_dir: Path, device: str):
        self.inbox = ctx.Queue()
        self.outbox, sender = ctx.Pipe(duplex=False)
        self.process = ctx.Process(
            target=_worker_main,
            args=(self.inbox, sender, worker_id, threads, str(cache_dir), device),
            name=f"sweepstat-worker-{worker_id}",
            daemon=True,
        )
        self.process.start()
        sender.close()  # the worker holds the only sending end: its death closes the pipe
        self.task: Task | None = None
        self.broken = False

    def receive(self) -> list[tuple[Any, ...]]:
        """The messages waiting from this worker; marks it broken if its pipe closed or garbled."""
        messages = []
        try:
            while self.outbox.poll():
                messages.append(self.outbox.recv())
        except (EOFError, OSError, pickle.UnpicklingError, ValueError):
            self.broken = True
        return messages

    def send(self, task: Task) -> None:
        self.task = task
        self.inbox.put(task)

    def stop(self) -> None:
        if self.process.is_alive():
            self.inbox.put(None)
            self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.outbox.close()


def _drain(pool: Sequence[_Worker], timeout: float) -> list[tuple[Any, ...]]:
    """Every message waiting from the workers, after waiting up to ``timeout`` seconds for one."""
    wait([w.outbox for w in pool], timeout=timeout)
    return [message for w in pool for message in w.receive()]


def _failed(seed: int, error: str) -> dict[str, Any]:
    """The record of a run its worker could not train (the engine itself keeps its failures as data)."""
    return {"seed": seed, "state": "FAILED", "final": None, "best": None, "curves": [], "error": error}


def run_study(
    spec: StudySpec,
    configs: Sequence[Configuration],
    store: StudyStore,
    *,
    cache_dir: Path,
    workers: int | None = None,
    threads: int = 1,
    device: str | None = None,
    events: RunnerEvents | None = None,
) -> RunOutcome:
    """Train every unfinished run of the study; return when none is left (or raise KeyboardInterrupt).

    ``device`` (None: ``spec.device``) and ``workers`` (None: ``spec.workers``) decide the worker processes
    and the device each trains on (``worker_devices``: one per core on the CPU, one per GPU with CUDA).
    """
    events = events or RunnerEvents()
    devices = worker_devices(device or spec.device, workers, spec.workers)
    by_id = {c.config_id: c for c in configs}
    started = time.monotonic()
    with folder_lock(spec.folder):
        requeued = store.requeue_stale()
        store.sync_runs(spec, configs)
    outcome = RunOutcome(store.progress(), requeued=requeued)
    events.on_start(outcome.progress)

    ctx = mp.get_context("spawn")  # a clean interpreter per worker: no inherited threads or locks
    pool: list[_Worker] = []
    next_task = 0
    last_beat = time.monotonic()
    try:
        pool = [_Worker(ctx, i, threads, cache_dir, dev) for i, dev in enumerate(devices)]
        while True:
            # Give every idle worker a task of one configuration.
            for worker in pool:
                if worker.task is not None:
                    continue
                first = store.claim(1)
                if not first:
                    break
                n_rep = spec.replicas_for(by_id[first[0].config_id])
                more = store.claim(n_rep - 1, first[0].config_id) if n_rep > 1 else []
                budget = spec.replica_memory_bytes()
                worker.send(Task(next_task, by_id[first[0].config_id], tuple(first + more), budget))
                store.mark_worker([c.trial_id for c in first + more], worker.process.pid)
                next_task += 1
            busy = [w for w in pool if w.task is not None]
            if not busy:
                progress = store.progress()
                if progress.running == 0 and progress.waiting == 0:
                    outcome.progress = progress
                    break
                # Other runners hold the rest; wait for them to finish or to go stale.
                events.on_wait(progress)
                time.sleep(store.heartbeat_seconds / 2)
                with folder_lock(spec.folder):
                    outcome.requeued += store.requeue_stale()
                continue
            for kind, worker_id, task_id, *payload in _drain(pool, timeout=1.0):
                task = pool[worker_id].task
                if task is None or task.task_id != task_id:
                    continue  # a message about a task given back already
                if kind == "progress":
                    events.on_task_progress(worker_id, task, payload[0], payload[1])
                    continue
                results, error = payload
                pool[worker_id].task = None
                if error is not None:  # kept as data, like any failed run: the study goes on
                    outcome.errors.append(error)
                    results = [_failed(c.seed, error) for c in task.claims]
                run_spec = {
                    part: getattr(task.config, part).model_dump(mode="json") for part in ("data", "model", "train")
                }
                for claim, result in zip(task.claims, results, strict=True):
                    store.record(claim.trial_id, result, spec.objective.metric, run_spec)
                    outcome.trained += 1
                outcome.progress = store.progress()
                events.on_result(outcome.progress, results[-1])
            # Replace dead workers; their runs go back to the queue.
            for i, worker in enumerate(pool):
                if worker.broken or not worker.process.is_alive():
                    if worker.task is not None:
                        store.release([c.trial_id for c in worker.task.claims], "its worker process died")
                        outcome.requeued += len(worker.task.claims)
                    outcome.worker_deaths += 1
                    worker.stop()
                    pool[i] = _Worker(ctx, i, threads, cache_dir, devices[i])
            if time.monotonic() - last_beat >= store.heartbeat_seconds:
                store.heartbeat(c.trial_id for w in pool if w.task for c in w.task.claims)
                last_beat = time.monotonic()
    except BaseException:
        # Ctrl-C or a failure of the runner itself: give back what is in flight, then stop the workers.
        in_flight = [c.trial_id for w in pool if w.task for c in w.task.claims]
        try:
            store.release(in_flight, "the runner was interrupted")
        finally:
            for worker in pool:
                worker.process.kill()
        raise
    finally:
        for worker in pool:
            worker.stop()
        outcome.seconds = time.monotonic() - started
    return outcome


__all__ = [
    "GRACE_SECONDS", "RunOutcome", "RunnerEvents", "Task", "default_workers", "folder_lock", "replica_groups",
    "run_study",
    "worker_devices",
]
