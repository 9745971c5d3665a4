"""Keras ``Dense`` over R replicas: one kernel per replica, one batched matmul for all."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from torch import nn

from sweepstat.models._init import caffe_xavier, glorot_uniform, zeros


class Dense(nn.Module):
    """Keras ``Dense(units)`` without activation for R replicas: kernel ``(R, F, C)``, bias ``(R, C)`` zeros.

    ``kernel_init`` is Keras's ``glorot_uniform`` by default; ``caffe_xavier`` is Caffe's InnerProduct
    ``xavier`` filler (U(±sqrt(3 / F))), for LeNet.
    """

    def __init__(
        self,
        in_features: int,
        units: int,
        gens: Sequence[torch.Generator],
        kernel_init: Literal["glorot_uniform", "caffe_xavier"] = "glorot_uniform",
    ):
        super().__init__()
        self.in_features = in_features
        self.units = units
        shape = (in_features, units)
        kernel = (
            glorot_uniform(shape, gens)
            if kernel_init == "glorot_uniform"
            else caffe_xavier(shape, gens, in_features)
        )
        self.kernel = nn.Parameter(kernel)  # (R, F, C)
        self.bias = nn.Parameter(zeros((units,), len(gens)))  # (R, C)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` (R, B, F) → (R, B, C)."""
        return torch.baddbmm(self.bias.unsqueeze(1), x, self.kernel)  # (R, B, C)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.units}, replicas={self.kernel.shape[0]}"
