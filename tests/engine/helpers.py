"""Tiny data sets and specs for the engine tests: built in memory, learnable in a few epochs."""

from __future__ import annotations

from typing import Any

import numpy as np

from sweepstat.data import PreparedData, Split
from sweepstat.spec import validate
from sweepstat.spec._model import RnnModelSpec
from sweepstat.spec._train import TrainSpec

VOCAB = 12
MAXLEN = 6


def keyword_data(
    n_train: int = 96, n_val: int = 0, n_test: int = 40, seed: int = 0, n_classes: int = 2
) -> PreparedData:
    """Sequences of word indices 1…VOCAB−1; the label is which of the words 1…n_classes occurs most often
    (binary: whether word 1 occurs at all). An LSTM learns it in a few epochs."""
    rng = np.random.default_rng(seed)

    def split(n: int) -> Split:
        x = rng.integers(1, VOCAB, size=(n, MAXLEN), dtype=np.int64)
        if n_classes == 2:
            y = (x == 1).any(axis=1).astype(np.int64)
        else:
            counts = np.stack([(x == c + 1).sum(axis=1) for c in range(n_classes)], axis=1)
            y = counts.argmax(axis=1).astype(np.int64)
        return Split(x=x, y=y)

    return PreparedData(
        name="keyword",
        train=split(n_train),
        val=split(n_val) if n_val else None,
        test=split(n_test),
        vocab_size=VOCAB,
        maxlen=MAXLEN,
        class_names=tuple(f"c{c}" for c in range(n_classes)),
    )


def rnn_spec(output: str = "sigmoid", dropout: float = 0.0, units: int = 8) -> RnnModelSpec:
    return RnnModelSpec(
        embedding_dim=8,
        layers=({"type": "lstm", "units": units, "dropout": dropout},),
        head="flatten",
        output=output,
    )


def train_spec(**raw: Any) -> TrainSpec:
    base: dict[str, Any] = {"batch_size": 16, "epochs": 3}
    base.update(raw)
    if "iterations" in raw and "epochs" not in raw:
        base.pop("epochs")
    return validate(TrainSpec, base, "train")
