"""The training engine: train R seeds of one configuration at once and record everything a study needs.

``train_replicas(model_spec, train_spec, data, seeds)`` → one ``RunResult`` per seed; ``train_run`` for one
seed; ``fit`` for a model already built. Optimizers, losses and early stopping follow Keras 3; the
learning-rate policies and SGD weight decay follow Caffe. ``tune_process`` prepares a worker process.
"""

from __future__ import annotations

from sweepstat.engine._batches import BatchOrder, dropout_generators, stream_seed
from sweepstat.engine._evaluate import evaluate
from sweepstat.engine._losses import correct, replica_losses, sample_losses
from sweepstat.engine._optimizers import SGD, Adam, RMSprop, StackedOptimizer, build_optimizer, clip_gradients
from sweepstat.engine._process import ProcessTuning, keep_heap, tune_process
from sweepstat.engine._records import EpochRecord, RunResult, RunState
from sweepstat.engine._run import (
    DEVICES,
    GROUP_MEMORY_BYTES,
    activation_bytes,
    build_for_data,
    check_data,
    evaluation_split,
    fit,
    replicas_within,
    resolve_device,
    train_replicas,
    train_run,
)
from sweepstat.engine._schedule import lr_factor

__all__ = [
    "DEVICES",
    "GROUP_MEMORY_BYTES",
    "SGD",
    "Adam",
    "BatchOrder",
    "EpochRecord",
    "ProcessTuning",
    "RMSprop",
    "RunResult",
    "RunState",
    "StackedOptimizer",
    "activation_bytes",
    "build_for_data",
    "build_optimizer",
    "check_data",
    "clip_gradients",
    "correct",
    "dropout_generators",
    "evaluate",
    "evaluation_split",
    "fit",
    "keep_heap",
    "lr_factor",
    "replica_losses",
    "replicas_within",
    "resolve_device",
    "sample_losses",
    "stream_seed",
    "train_replicas",
    "train_run",
    "tune_process",
]
