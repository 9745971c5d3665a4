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
        if self.units == 1:
            # A one-column batched matmul rounds differently for R > 1 than for R = 1 (the BLAS picks
            # another kernel); with a zero second column, replica r stays bit-identical to its solo run.
            kernel = torch.cat([self.kernel, torch.zeros_like(self.kernel)], dim=-1)  # (R, F, 2)
            bias = torch.cat([self.bias, torch.zeros_like(self.bias)], dim=-1)  # (R, 2)
            return torch.baddbmm(bias.unsqueeze(1), x, kernel)[..., :1]  # (R, B, 1)
        return torch.baddbmm(self.bias.unsqueeze(1), x, self.kernel)  # (R, B, C)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.units}, replicas={self.kernel.shape[0]}"
