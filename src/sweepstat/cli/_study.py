"""`sweepstat run | status | export | report`."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from sweepstat.cli._errors import run_reporting
from sweepstat.errors import UserError

SetOption = Annotated[
    list[str] | None, typer.Option("--set", help="override a spec value, e.g. --set train.epochs=3")
]
StudyArg = Annotated[Path, typer.Argument(help="the study folder (e.g. runs/demo) or its study file")]


def _folder(study: Path) -> Path:
    """A study folder from a folder or a study file (whose folder is runs/<name> unless it says)."""
    if study.is_dir():
        return study
    if study.is_file() and study.suffix in (".yaml", ".yml"):
        from sweepstat.spec import load_spec

        return load_spec(study)[0].folder
    raise UserError(
        f"{study} must be a study folder or a study file; got no such folder or file "
        "(give the folder that `sweepstat run` printed, e.g. runs/demo)"
    )


def _progress_view(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def run(
    spec_file: Annotated[Path, typer.Argument(help="the study file (YAML)")],
    set_: SetOption = None,
    workers: Annotated[
        int | None,
        typer.Option(help="worker processes (default: the spec's, else one per CPU core, or one per GPU with CUDA)"),
    ] = None,
    device: Annotated[
        str | None,
        typer.Option(
            help="where to train: cpu, cuda, cuda:N or auto (a GPU if PyTorch sees one); default: the spec's "
            "device (cpu unless set). With CUDA the default is ONE worker per visible GPU, not one per CPU core "
            "(--workers overrides). Does not change the study's identity"
        ),
    ] = None,
    report: Annotated[bool, typer.Option(help="write the report when the study is complete")] = True,
    stale_after: Annotated[
        int,
        typer.Option(
            help="seconds a run may go without a heartbeat before it counts as abandoned by a dead runner"
        ),
    ] = 60,
) -> None:
    """Train every configuration × seed of a study; resumable: run it again to continue."""

    def go() -> None:
        from sweepstat.data import default_cache_dir
        from sweepstat.spec import load_spec
        from sweepstat.study import StudyStore, run_study, write_study_file
        from sweepstat.study._check import check_configurations
        from sweepstat.study._runner import RunnerEvents, worker_devices

        spec, configs, raw = load_spec(spec_file, set_ or [])
        if workers is not None and workers < 1:
            raise UserError(
                f"--workers must be ≥ 1; got {workers} (leave it out for one per CPU core, or one per GPU with CUDA)"
            )
        chosen = device if device is not None else spec.device
        devices = worker_devices(chosen, workers, spec.workers, where="--device" if device is not None else "device")
        cache = default_cache_dir()
        check_configurations(configs, cache)  # a bad study stops here, before anything is written
        if stale_after < 2:
            raise UserError(f"--stale-after must be ≥ 2 seconds; got {stale_after} (the default is 60)")
        _check_writable(spec.folder)
        store = StudyStore.create(spec, raw, spec.folder, grace_seconds=stale_after)
        write_study_file(spec.folder, raw)
        console = Console(stderr=False)
        live = console.is_terminal
        view = _progress_view(console) if live else None
        task_id: Any = None
        begun = time.monotonic()
        done_before = 0

        def detail(p: Any) -> str:
            rate = ""
            elapsed = time.monotonic() - begun
            if p.done > done_before and elapsed > 0:
                rate = f" · {(p.done - done_before) / elapsed * 60:.1f} runs/min"
            return f"diverged {p.diverged} · failed {p.failed}{rate}"

        def on_start(p: Any) -> None:
            nonlocal task_id, done_before
            done_before = p.done
            on = "" if set(devices) == {"cpu"} else f"; {len(devices)} worker(s) on {', '.join(sorted(set(devices)))}"
            print(f"study {spec.name}: {p.total} runs ({len(configs)} configurations × "
                  f"{len(spec.seed_list)} seeds), {p.done} already done; folder {spec.folder}{on}")
            if view is not None:
                view.start()
                task_id = view.add_task("runs", total=p.total, completed=p.done, detail=detail(p))

        def on_result(p: Any, _: dict[str, Any]) -> None:
            if view is not None:
                view.update(task_id, completed=p.done, detail=detail(p))

        worker_rows: dict[int, Any] = {}

        def on_task_progress(w: int, task: Any, done: int, total: int) -> None:
            if view is None:
                return
            what = ", ".join(f"{k} {v}" for k, v in task.config.values.items()) or "run"
            seeds = ",".join(str(s) for s in task.seeds)
            label = f"  worker {w + 1}: {what}, seed {seeds}"
            if w not in worker_rows:
                worker_rows[w] = view.add_task(label, total=total, completed=done, detail="iterations")
            else:
                view.update(worker_rows[w], description=label, total=total, completed=done)

        def on_wait(p: Any) -> None:
            if view is not None:
                view.update(task_id, completed=p.done, detail=detail(p) + f" · waiting for {p.running} runs of another runner")

        try:
            outcome = run_study(
                spec, configs, store, cache_dir=cache, workers=workers, device=chosen,
                events=RunnerEvents(on_start, on_result, on_wait, on_task_progress),
            )
        except KeyboardInterrupt:
            if view is not None:
                view.stop()
            print(f"interrupted; finished runs are kept. Continue with: sweepstat run {spec_file}", file=sys.stderr)
            raise SystemExit(130) from None
        finally:
            if view is not None:
                view.stop()
        p = outcome.progress
        print(
            f"done: {p.complete} complete, {p.diverged} diverged, {p.failed} failed of {p.total} runs; "
            f"{outcome.trained} trained now in {outcome.seconds:.1f} s"
            + (f"; {outcome.requeued} re-queued" if outcome.requeued else "")
        )
        if report:
            from sweepstat.study import write_study_report

            files = write_study_report(store, spec.folder)
            _print_verdict(files.verdict)
            print(f"report: {files.html}")

    run_reporting(go)


def _print_verdict(verdict: tuple[str, ...]) -> None:
    """The report's verdict (best set, what matters, seeds needed), in the terminal too."""
    if verdict:
        print("verdict:")
        for sentence in verdict:
            print(f"  - {sentence}")


def _check_writable(folder: Path) -> None:
    """Refuse a study folder that cannot be created or written, before anything is written."""
    import os

    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        what = "a file, not a folder" if probe.exists() and not probe.is_dir() else "not writable by this user"
        raise UserError(
            f"storage.folder {folder} must be a folder sweepstat can write; got {probe} ({what}) "
            "(choose another with --set storage.folder=PATH)"
        )


def status(study: StudyArg) -> None:
    """Progress of a study: runs done, diverged, failed, running, waiting."""

    def go() -> None:
        from sweepstat.study import StudyStore

        store = StudyStore.open(_folder(study))
        p = store.progress()
        print(f"study {store.name}: {p.done}/{p.total} runs finished ({p.complete} complete, "
              f"{p.diverged} diverged, {p.failed} failed), {p.running} running, {p.waiting} waiting")

    run_reporting(go)


def export(
    study: StudyArg,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet")] = "csv",
    out: Annotated[Path | None, typer.Option("--out", help="folder to write into (default: the study folder)")] = None,
) -> None:
    """Write runs.<fmt> (one row per run) and curves.<fmt> (one row per run and epoch)."""

    def go() -> None:
        from sweepstat.study import StudyStore, export_tables

        if fmt not in ("csv", "parquet"):
            raise UserError(f"--format must be csv or parquet; got {fmt!r}")
        folder = _folder(study)
        paths = export_tables(StudyStore.open(folder), out or folder, fmt)
        for path in paths:
            print(f"wrote {path}")

    run_reporting(go)


def report(study: StudyArg) -> None:
    """Write the study's report (HTML, Markdown, figures) into its folder."""

    def go() -> None:
        from sweepstat.study import StudyStore, write_study_report

        folder = _folder(study)
        files = write_study_report(StudyStore.open(folder), folder)
        _print_verdict(files.verdict)
        print(f"report: {files.html}")

    run_reporting(go)
