"""Studies: the store (one Optuna trial per run), the resumable runner, tables, export and report."""

from __future__ import annotations

from sweepstat.study._devices import worker_devices
from sweepstat.study._files import write_study_file
from sweepstat.study._report import write_study_report
from sweepstat.study._runner import RunnerEvents, RunOutcome, default_workers, run_study
from sweepstat.study._store import Claim, Progress, StudyStore
from sweepstat.study._tables import export_tables, study_tables

__all__ = [
    "Claim",
    "Progress",
    "RunOutcome",
    "RunnerEvents",
    "StudyStore",
    "default_workers",
    "export_tables",
    "run_study",
    "study_tables",
    "worker_devices",
    "write_study_file",
    "write_study_report",
]
