"""Keras 3 ``EarlyStopping`` for one replica of a stacked model (keras/src/callbacks/early_stopping.py).

At each evaluation: an improvement is ``value + min_delta < best`` (``val_loss``) or ``value − min_delta >
best`` (``val_accuracy``); it resets the wait and, with ``restore_best``, snapshots the replica's weights.
Otherwise the wait grows, and once it reaches ``patience`` the replica stops, never at the first
evaluation (Keras's ``epoch > 0``). With ``restore_best`` the best weights come back when the replica
stops and also when training ends without stopping, as Keras 3 does in ``on_train_end``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from sweepstat.spec._train import EarlyStoppingSpec


class ReplicaEarlyStopping:
    """Early-stopping state of replica ``replica`` over stacked ``params`` (each (R, ...))."""

    def __init__(self, spec: EarlyStoppingSpec, params: Sequence[torch.Tensor], replica: int):
        self.spec = spec
        self.params = list(params)
        self.replica = replica
        self.maximize = spec.monitor == "val_accuracy"
        self.best = -math.inf if self.maximize else math.inf
        self.best_index: int | None = None  # which evaluation (0-based) was best
        self.wait = 0
        self.n_seen = 0
        self._weights: list[torch.Tensor] | None = None

    def _improves(self, value: float) -> bool:
        if self.maximize:
            return value - self.spec.min_delta > self.best
        return value + self.spec.min_delta < self.best

    def update(self, value: float) -> bool:
        """Take the monitored value of the next evaluation; True when the replica should stop now."""
        index = self.n_seen
        self.n_seen += 1
        self.wait += 1
        if self._improves(value):
            self.best, self.best_index, self.wait = value, index, 0
            if self.spec.restore_best:
                self._snapshot()
            return False
        return self.wait >= self.spec.patience and index > 0

    @torch.no_grad()
    def _snapshot(self) -> None:
        r = self.replica
        if self._weights is None:
            self._weights = [p[r].clone() for p in self.params]
        else:
            for saved, p in zip(self._weights, self.params, strict=True):
                saved.copy_(p[r])

    @torch.no_grad()
    def restore(self) -> bool:
        """Put the best weights back into the replica (with ``restore_best``); True if it did."""
        if self._weights is None:
            return False
        for saved, p in zip(self._weights, self.params, strict=True):
            p[self.replica].copy_(saved)
        return True
