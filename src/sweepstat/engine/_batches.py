"""Per-replica randomness besides initialisation: minibatch order and dropout masks.

A run's seed s fixes three streams. Initialisation draws from ``torch.Generator().manual_seed(s)``
(sweepstat.models). Minibatch order and dropout use streams derived from s with numpy's ``SeedSequence``
(``[s, 1]`` and ``[s, 2]``), so they are not the initialisation's numbers read again: a dropout mask
drawn from the very generator that drew the embedding would be correlated with it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

SHUFFLE_STREAM = 1
DROPOUT_STREAM = 2


def stream_seed(seed: int, stream: int) -> int:
    """A 63-bit seed for ``stream`` of run seed ``seed``."""
    state = np.random.SeedSequence([int(seed), stream]).generate_state(2, np.uint32)
    return (int(state[0]) << 31) ^ int(state[1])


def dropout_generators(seeds: Sequence[int], device: torch.device) -> list[torch.Generator]:
    """One dropout generator per replica, on the training device."""
    return [torch.Generator(device=device).manual_seed(stream_seed(s, DROPOUT_STREAM)) for s in seeds]


class BatchOrder:
    """Each replica's order of training examples, epoch by epoch, from its own seed.

    ``epoch_indices()`` returns the next epoch's (R, N) permutation (the identity for every replica when
    ``shuffle`` is off); batch k of the epoch is columns [k·B, (k+1)·B), the last batch holding the
    remaining N − (n_batches − 1)·B examples, as Keras keeps it.
    """

    def __init__(self, seeds: Sequence[int], n_examples: int, batch_size: int, shuffle: bool):
        self.rngs = [np.random.default_rng(stream_seed(s, SHUFFLE_STREAM)) for s in seeds]
        self.n_examples = n_examples
        self.batch_size = batch_size
        self.shuffle = shuffle

    @property
    def n_batches(self) -> int:
        return math.ceil(self.n_examples / self.batch_size)

    def epoch_indices(self) -> np.ndarray:
        """(R, N) int64: row r is replica r's order for the next epoch."""
        if not self.shuffle:
            return np.tile(np.arange(self.n_examples, dtype=np.int64), (len(self.rngs), 1))
        return np.stack([rng.permutation(self.n_examples) for rng in self.rngs]).astype(np.int64)

    def bounds(self, k: int) -> tuple[int, int]:
        """Columns [start, stop) of batch ``k`` within an epoch's indices."""
        start = k * self.batch_size
        return start, min(start + self.batch_size, self.n_examples)
