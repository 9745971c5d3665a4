"""What a run leaves behind: its state, one record per evaluation, and a summary. Plain frozen data."""

from __future__ import annotations

import enum
import math
from dataclasses import asdict, dataclass, fields
from typing import Any


class RunState(enum.StrEnum):
    """Where a run stands. The engine returns the three terminal states; the study store uses all five."""

    COMPLETE = "COMPLETE"  # trained to the end, or stopped early by its own early stopping
    DIVERGED = "DIVERGED"  # a non-finite loss: stopped, its curves kept up to the last finite evaluation
    FAILED = "FAILED"  # an exception; ``RunResult.error`` holds it
    RUNNING = "RUNNING"
    PENDING = "PENDING"


def _finite_or_none(value: Any) -> Any:
    """JSON has no NaN or infinity: they become None (null)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class EpochRecord:
    """One evaluation interval of one replica.

    ``epoch`` is the 1-based epoch the interval's last update belongs to; ``iteration`` counts the updates
    done so far. ``train_*`` are Keras's running means over the interval's batches, weighted by batch size,
    computed on the training forward pass (dropout on). ``eval_*`` come from the split named by
    ``RunResult.evaluated_on`` (Keras's ``val_*``; it is the test split when the data has no validation
    split), ``test_*`` from the test split; both with the model in evaluation mode.
    ``lr`` is the learning rate of the interval's last update. Times are those of the whole replica group
    (all replicas train together): ``train_seconds`` the updates, ``eval_seconds`` both evaluations,
    ``interval_seconds`` their sum with the bookkeeping; ``ms_per_100_iterations`` = 1e5·train_seconds /
    updates in the interval; ``wall_seconds`` since training began.
    """

    epoch: int
    iteration: int
    train_loss: float
    train_accuracy: float
    eval_loss: float
    eval_accuracy: float
    test_loss: float
    test_accuracy: float
    lr: float
    wall_seconds: float
    interval_seconds: float
    train_seconds: float
    eval_seconds: float
    ms_per_100_iterations: float

    def to_dict(self) -> dict[str, Any]:
        return {k: _finite_or_none(v) for k, v in asdict(self).items()}

    def metric(self, name: str) -> float:
        """A metric by its field name or its Keras log name (``val_loss`` = eval_loss, ``loss`` = train_loss)."""
        keras = {
            "loss": "train_loss",
            "accuracy": "train_accuracy",
            "val_loss": "eval_loss",
            "val_accuracy": "eval_accuracy",
        }
        return float(getattr(self, keras.get(name, name)))


@dataclass(frozen=True)
class RunResult:
    """One trained replica (one seed): its curves (one EpochRecord per evaluation) and summary.

    ``final`` holds the metrics of the weights training ended with: the last record, or the record of
    the best evaluation when early stopping restored those weights (evaluation is deterministic, so the
    restored weights score exactly that record). ``best`` is the record with the lowest ``eval_loss``
    (the first of equals); ``best_epoch`` its epoch. ``stopped_epoch`` is set when early stopping ended
    the run. ``diverged_at`` (an epoch) and ``diverged_iteration`` locate the first non-finite loss: the
    update whose training loss was not finite, or the evaluation whose loss was not; ``curves`` stop at
    the last evaluation before it. ``peak_rss_bytes`` is the
    process's resident-set high-water mark over the training (``peak_rss_scope`` "run" when it could be
    reset at the start, "process" when it counts from the process's start); ``peak_gpu_bytes`` is
    torch.cuda.max_memory_allocated on CUDA. Both, like the times, belong to the whole replica group.
    """

    seed: int
    state: RunState
    curves: tuple[EpochRecord, ...]
    final: EpochRecord | None
    best: EpochRecord | None
    n_params: int | None  # None when the model could not be built
    n_replicas: int
    base_lr: float
    evaluated_on: str
    device: str
    total_seconds: float
    peak_rss_bytes: int
    peak_rss_scope: str
    peak_gpu_bytes: int | None = None
    stopped_epoch: int | None = None
    diverged_at: int | None = None
    diverged_iteration: int | None = None
    error: str | None = None
    traceback: str | None = None

    @property
    def best_epoch(self) -> int | None:
        return self.best.epoch if self.best is not None else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the state as its name, records as dicts, NaN and infinity as None."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name not in ("curves", "final", "best"):
                out[f.name] = _finite_or_none(getattr(self, f.name))
        out["state"] = self.state.value
        out["best_epoch"] = self.best_epoch
        out["final"] = self.final.to_dict() if self.final is not None else None
        out["best"] = self.best.to_dict() if self.best is not None else None
        out["curves"] = [r.to_dict() for r in self.curves]
        return out
