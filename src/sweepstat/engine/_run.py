"""The engine's entry points: check the inputs, build the replicas, train them, return one result per seed."""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Sequence

import numpy as np
import torch

from sweepstat.data import PreparedData, Split
from sweepstat.engine._loop import Progress, train_group
from sweepstat.engine._memory import peak_rss_bytes
from sweepstat.engine._records import RunResult, RunState
from sweepstat.errors import DataError, Problem, SpecError, UserError
from sweepstat.models import ReplicatedModel, build_model
from sweepstat.spec._model import LeNetSpec, MlpSpec, RnnModelSpec
from sweepstat.spec._study import REPLICA_MEMORY_MIB
from sweepstat.spec._train import TrainSpec

DEVICES = ("cpu", "cuda", "auto")


def resolve_device(device: str | torch.device) -> torch.device:
    """``cpu``, ``cuda`` (or ``cuda:N``), or ``auto`` (CUDA when PyTorch sees a GPU, else CPU)."""
    name = str(device)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or (name.startswith("cuda:") and name[5:].isdigit()):
        if not torch.cuda.is_available():
            raise SpecError(
                [Problem("device", "is a CUDA device, but PyTorch sees none here", name, "use cpu or auto")]
            )
        return torch.device(name)
    raise SpecError(
        [Problem("device", "must be cpu, cuda, cuda:N (a GPU's index) or auto", name, "e.g. cpu, cuda or cuda:0")]
    )


def evaluation_split(spec: TrainSpec, data: PreparedData) -> str:
    """Which split the "validation" curve comes from: ``val`` or ``test`` (``auto``: val if the data has one)."""
    has_val = data.val is not None and len(data.val) > 0
    if spec.evaluate_on == "val" and not has_val:
        raise SpecError(
            [
                Problem(
                    "train.evaluate_on",
                    "asks for the validation split, but the data has none",
                    "val",
                    "give the data a validation fraction (e.g. data.split.val_fraction: 0.2), or use auto",
                )
            ]
        )
    return "val" if spec.evaluate_on == "val" or (spec.evaluate_on == "auto" and has_val) else "test"


def check_data(data: PreparedData) -> None:
    """Raise DataError for data no run can train on: an empty training or test split, bad labels."""
    splits: list[tuple[str, Split | None]] = [
        ("training", data.train),
        ("validation", data.val),
        ("test", data.test),
    ]
    for name, split in splits:
        if split is None:
            continue
        if name in ("training", "test") and len(split) == 0:
            raise DataError(
                f"data ({name} split)",
                "must hold at least one example",
                0,
                "check the data set and its split settings",
            )
        if split.x.shape[0] != len(split):
            raise DataError(
                f"data ({name} split)",
                f"must have one label per example ({len(split)})",
                split.x.shape[0],
                "",
            )
        if len(split) and (split.y.min() < 0 or split.y.max() >= data.n_classes):
            bad = int(split.y.min() if split.y.min() < 0 else split.y.max())
            raise DataError(
                f"data ({name} split) labels",
                f"must be class indices 0…{data.n_classes - 1} (one per class name)",
                bad,
                "check the label column and the data set's class names",
            )


def _check_lrs(base_lrs: Sequence[float], n_rep: int) -> list[float]:
    lrs = [float(x) for x in base_lrs]
    if len(lrs) != n_rep:
        raise ValueError(f"base_lrs must hold one learning rate per replica ({n_rep}); got {len(lrs)}")
    if not all(math.isfinite(x) and x > 0 for x in lrs):
        raise ValueError(f"base_lrs must be finite and > 0; got {lrs}")
    return lrs


def _shape_problem(what: str, x: np.ndarray) -> DataError:
    return DataError(
        "data (training split)", f"must hold {what} for this model", tuple(x.shape), "check model.kind"
    )


def build_for_data(
    spec: RnnModelSpec | LeNetSpec | MlpSpec, data: PreparedData, seeds: Sequence[int]
) -> ReplicatedModel:
    """``build_model`` with what the data tells: vocabulary and length, features, or image shape.

    rnn: x (N, T) word indices below ``data.vocab_size``; mlp: x (N, F) features; lenet: x (N, C, H, W).
    """
    x = data.train.x
    if isinstance(spec, RnnModelSpec):
        if x.ndim != 2:
            raise _shape_problem("word indices (N, T)", x)
        for name, split in (("training", data.train), ("validation", data.val), ("test", data.test)):
            if split is not None and split.x.size and (split.x.min() < 0 or split.x.max() >= data.vocab_size):
                bad = int(split.x.min() if split.x.min() < 0 else split.x.max())
                raise DataError(
                    f"data ({name} split)", f"must hold word indices 0…{data.vocab_size - 1}", bad, ""
                )
        return build_model(
            spec, n_classes=data.n_classes, seeds=seeds, vocab_size=data.vocab_size, maxlen=data.maxlen
        )
    if isinstance(spec, MlpSpec):
        if x.ndim != 2:
            raise _shape_problem("feature vectors (N, F)", x)
        return build_model(spec, n_classes=data.n_classes, seeds=seeds, n_features=int(x.shape[1]))
    if x.ndim != 4:
        raise _shape_problem("images (N, C, H, W)", x)
    c, h, w = (int(d) for d in x.shape[1:])
    return build_model(spec, n_classes=data.n_classes, seeds=seeds, image_shape=(c, h, w))


# Activation memory a worker may spend on one replica group when the study leaves ``replicas`` to sweepstat
# (the study's ``replica_memory_mib``, whose default this is).
GROUP_MEMORY_BYTES = REPLICA_MEMORY_MIB * 2**20


def activation_bytes(spec: RnnModelSpec | LeNetSpec | MlpSpec, train: TrainSpec, data: PreparedData) -> int:
    """A rough estimate of one replica's training-step memory (saved activations and the backward's
    temporaries), in bytes. Text models: per position of a batch, each recurrent layer keeps about
    (2·G + 4)·H floats per direction (projected inputs, gates, states; G gates of H units), and the input
    E floats on the plain path, doubled for the backward. Measured against it: the IMDB LSTM(32) at batch
    128 × 500 steps (estimate 213 MB) took 225 MB per replica (issue 6). Images and features: the input
    and every layer's output per example, doubled, which is small next to the text models."""
    if isinstance(spec, RnnModelSpec):
        positions = train.batch_size * max(1, data.maxlen)
        floats = spec.embedding_dim
        for layer in spec.layers:
            gates = {"simple_rnn": 1, "lstm": 4, "gru": 3}[layer.type]
            floats += (2 if layer.bidirectional else 1) * (2 * gates + 4) * layer.units
        return 2 * 4 * positions * floats
    per_example = int(np.prod(data.train.x.shape[1:])) if data.train.x.ndim > 1 else 1
    return 2 * 4 * train.batch_size * per_example * 64  # generous: conv feature maps are ~50× the input


def replicas_within(
    spec: RnnModelSpec | LeNetSpec | MlpSpec,
    train: TrainSpec,
    data: PreparedData,
    budget_bytes: int = GROUP_MEMORY_BYTES,
) -> int:
    """How many replicas of this model fit ``budget_bytes`` of activation memory (at least 1)."""
    return max(1, budget_bytes // max(1, activation_bytes(spec, train, data)))


def fit(
    model: ReplicatedModel,
    train_spec: TrainSpec,
    data: PreparedData,
    *,
    base_lrs: Sequence[float] | None = None,
    device: str | torch.device = "cpu",
) -> list[RunResult]:
    """Train an already built model's replicas in place (seeds: ``model.seeds``); one result per replica.

    ``base_lrs`` gives each replica its own base learning rate (default: ``train_spec.optimizer.lr`` for
    all); everything else in ``train_spec`` is shared. Raises SpecError / DataError for inputs no run can
    use; anything raised during training becomes FAILED results instead.
    """
    dev = resolve_device(device)
    check_data(data)
    evaluated_on = evaluation_split(train_spec, data)
    n_rep = model.n_replicas
    lrs = _check_lrs(base_lrs if base_lrs is not None else [train_spec.optimizer.lr] * n_rep, n_rep)
    return train_group(model, train_spec, data, evaluated_on=evaluated_on, base_lrs=lrs, device=dev)


def train_replicas(
    model_spec: RnnModelSpec | LeNetSpec | MlpSpec,
    train_spec: TrainSpec,
    data: PreparedData,
    seeds: Sequence[int],
    *,
    base_lrs: Sequence[float] | None = None,
    device: str | torch.device = "cpu",
    on_progress: Progress | None = None,
) -> list[RunResult]:
    """Train one replica per seed of the model ``model_spec`` describes, all at once; results in seed order.

    Replica r is exactly the run of seed ``seeds[r]`` alone: its initialisation, minibatch order and
    dropout masks come from that seed only. ``device``: cpu, cuda or auto. User mistakes (spec, data,
    device) raise SpecError / DataError; a failure while building or training the model becomes
    FAILED results, never an exception (KeyboardInterrupt aside).
    """
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    dev = resolve_device(device)
    check_data(data)
    evaluated_on = evaluation_split(train_spec, data)
    lrs = _check_lrs(base_lrs if base_lrs is not None else [train_spec.optimizer.lr] * len(seeds), len(seeds))
    t_start = time.perf_counter()
    try:
        model = build_for_data(model_spec, data, seeds)
    except UserError:
        raise
    except Exception as err:  # failures are data: the study records them and goes on
        message, trace = f"{type(err).__name__}: {err}", "".join(traceback.format_exception(err))
        return [
            RunResult(
                seed=s,
                state=RunState.FAILED,
                curves=(),
                final=None,
                best=None,
                n_params=None,
                n_replicas=len(seeds),
                base_lr=lr,
                evaluated_on=evaluated_on,
                device=str(dev),
                total_seconds=time.perf_counter() - t_start,
                peak_rss_bytes=peak_rss_bytes(),
                peak_rss_scope="process",
                error=message,
                traceback=trace,
            )
            for s, lr in zip(seeds, lrs, strict=True)
        ]
    return train_group(
        model, train_spec, data, evaluated_on=evaluated_on, base_lrs=lrs, device=dev, on_progress=on_progress
    )


def train_run(
    model_spec: RnnModelSpec | LeNetSpec | MlpSpec,
    train_spec: TrainSpec,
    data: PreparedData,
    seed: int,
    *,
    device: str | torch.device = "cpu",
) -> RunResult:
    """Train one run (one seed): ``train_replicas`` with a single replica."""
    return train_replicas(model_spec, train_spec, data, [seed], device=device)[0]
