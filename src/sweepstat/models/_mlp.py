"""A fully connected classifier on dense feature vectors (bag of words, TF-IDF), R replicas."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from sweepstat.models._base import ReplicatedModel, output_units
from sweepstat.models._dense import Dense
from sweepstat.models._dropout import Generators, dropout_mask
from sweepstat.models._init import replica_generators
from sweepstat.spec._model import MlpSpec


class Mlp(ReplicatedModel):
    """Keras ``Sequential([Dense(h, relu), Dropout(p)]*, Dense(C))`` on ``(R, B, F)`` float features.

    Dense layers are Keras's (glorot_uniform, zero bias); ``Dropout`` drops each unit independently with
    Keras's inverted scaling, only in training.
    """

    def __init__(self, spec: MlpSpec, n_features: int, n_classes: int, seeds: Sequence[int]):
        super().__init__(seeds)
        n_out = output_units(spec.output, n_classes)
        self.spec = spec
        gens = replica_generators(seeds)
        sizes = [n_features, *spec.hidden]
        self.hidden = nn.ModuleList(Dense(a, b, gens) for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        self.out = Dense(sizes[-1], n_out, gens)

    def forward(self, x: torch.Tensor, generator: Generators = None) -> torch.Tensor:
        """x (R, B, F) → logits (R, B, C)."""
        for layer in self.hidden:
            x = torch.relu(layer(x))  # (R, B, H)
            if self.training and self.spec.dropout > 0:
                x = x * dropout_mask(tuple(x.shape), self.spec.dropout, generator, x.device, x.dtype)
        return self.out(x)  # (R, B, C)
