"""`sweepstat run`: train every configuration × seed on worker processes and stream results to the store.

The runner process claims runs from the store, hands them to workers (one per core by default, each
single-threaded), records each finished run at once, and sends heartbeats for the runs in flight. It
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
import os
import queue
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sweepstat.spec._study import Configuration, StudySpec
from sweepstat.study._store import GRACE_SECONDS, Claim, Progress, StudyStore, folder_lock


@dataclass(frozen=True)
class Task:
    """Runs of one configuration that a worker trains together (``replicas`` seeds at most)."""

    task_id: int
    config: Configuration
    claims: tuple[Claim, ...]

    @property
    def seeds(self) -> list[int]:
        return [c.seed for c in self.claims]


@dataclass
class RunnerEvents:
    """Hooks the command line uses to show progress; all optional."""

    on_start: Callable[[Progress], None] = lambda p: None
    on_result: Callable[[Progress, dict[str, Any]], None] = lambda p, r: None
    on_wait: Callable[[Progress], None] = lambda p: None


@dataclass
class RunOutcome:
    """What one `sweepstat run` did."""

    progress: Progress
    trained: int = 0  # runs this invocation finished
    requeued: int = 0  # runs given back (worker deaths, stale runners)
    worker_deaths: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


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


def _worker_main(inbox: Any, outbox: Any, worker_id: int, threads: int, cache_dir: str, device: str) -> None:
    """A worker process: train the tasks it is sent, one at a time, until it receives None."""
    from sweepstat.data import prepare
    from sweepstat.engine import train_replicas, tune_process

    _die_with_parent()
    tune_process(threads)
    prepared: dict[str, Any] = {}
    while True:
        task = inbox.get()
        if task is None:
            return
        key = task.config.data.model_dump_json()
        try:
            if key not in prepared:
                prepared[key] = prepare(task.config.data, Path(cache_dir))
            results = train_replicas(
                task.config.model, task.config.train, prepared[key], task.seeds, device=device
            )
            outbox.put((worker_id, task.task_id, [r.to_dict() for r in results], None))
        except Exception as err:  # the engine keeps training failures as data; this is a worker bug
            outbox.put((worker_id, task.task_id, None, f"{type(err).__name__}: {err}"))


class _Worker:
    def __init__(self, ctx: Any, worker_id: int, outbox: Any, threads: int, cache_dir: Path, device: str):
        self.inbox = ctx.Queue()
        self.process = ctx.Process(
            target=_worker_main,
            args=(self.inbox, outbox, worker_id, threads, str(cache_dir), device),
            name=f"sweepstat-worker-{worker_id}",
            daemon=True,
        )
        self.process.start()
        self.task: Task | None = None

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


def run_study(
    spec: StudySpec,
    configs: Sequence[Configuration],
    store: StudyStore,
    *,
    cache_dir: Path,
    workers: int | None = None,
    threads: int = 1,
    device: str = "cpu",
    events: RunnerEvents | None = None,
) -> RunOutcome:
    """Train every unfinished run of the study; return when none is left (or raise KeyboardInterrupt)."""
    events = events or RunnerEvents()
    n_workers = workers or (default_workers() if spec.workers == "auto" else int(spec.workers))
    by_id = {c.config_id: c for c in configs}
    started = time.monotonic()
    with folder_lock(spec.folder):
        requeued = store.requeue_stale()
        store.sync_runs(spec, configs)
    outcome = RunOutcome(store.progress(), requeued=requeued)
    events.on_start(outcome.progress)

    ctx = mp.get_context("spawn")  # a clean interpreter per worker: no inherited threads or locks
    outbox = ctx.Queue()
    pool: list[_Worker] = []
    next_task = 0
    last_beat = time.monotonic()
    try:
        pool = [_Worker(ctx, i, outbox, threads, cache_dir, device) for i in range(n_workers)]
        while True:
            # Give every idle worker a task of one configuration.
            for worker in pool:
                if worker.task is not None:
                    continue
                first = store.claim(1)
                if not first:
                    break
                more = store.claim(spec.replicas - 1, first[0].config_id) if spec.replicas > 1 else []
                worker.send(Task(next_task, by_id[first[0].config_id], tuple(first + more)))
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
            try:
                worker_id, task_id, results, error = outbox.get(timeout=1.0)
            except queue.Empty:
                worker_id = None
            if worker_id is not None:
                worker = pool[worker_id]
                task = worker.task
                if task is not None and task.task_id == task_id:
                    worker.task = None
                    if error is not None:
                        outcome.errors.append(error)
                        store.release([c.trial_id for c in task.claims], f"worker error: {error}")
                    else:
                        for claim, result in zip(task.claims, results, strict=True):
                            store.record(claim.trial_id, result, spec.objective.metric)
                            outcome.trained += 1
                            outcome.progress = store.progress()
                            events.on_result(outcome.progress, result)
            # Replace dead workers; their runs go back to the queue.
            for i, worker in enumerate(pool):
                if not worker.process.is_alive():
                    if worker.task is not None:
                        store.release([c.trial_id for c in worker.task.claims], "its worker process died")
                        outcome.requeued += len(worker.task.claims)
                    outcome.worker_deaths += 1
                    pool[i] = _Worker(ctx, i, outbox, threads, cache_dir, device)
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


__all__ = ["GRACE_SECONDS", "RunOutcome", "RunnerEvents", "Task", "default_workers", "folder_lock", "run_study"]
