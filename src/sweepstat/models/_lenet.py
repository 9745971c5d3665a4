"""Caffe's MNIST LeNet (seed 002) for R replicas, as grouped convolutions.

Architecture and initialisation from BVLC/caffe examples/mnist/lenet_train_test.prototxt:
conv1 20@5×5 stride 1 → max-pool 2×2 stride 2 → conv2 50@5×5 → max-pool 2×2 stride 2 → ip1 500 → ReLU →
ip2 (10 for MNIST), SoftmaxWithLoss. Inputs are scaled by ``transform_param { scale: 0.00390625 }``
(= 1/256, not 1/255). Every weight uses the ``xavier`` filler, which in Caffe (include/caffe/filler.hpp,
default ``variance_norm: FAN_IN``) is U(−s, s) with s = sqrt(3 / fan_in), fan_in = inputs per output
unit (C_in·5·5 for a convolution, the input width for ip1/ip2); every bias the ``constant`` filler with
its default value 0. Caffe's pooling rounds the output size up (``ceil_mode=True`` here); with 28×28
inputs every size divides exactly, so it changes nothing for MNIST. The prototxt also gives biases
``lr_mult: 2`` — a training-engine matter, not the model's.

Replicas: the R models run as one convolution with ``groups=R`` — replica r's images are input channels
[r·C, (r+1)·C) and its filters output channels [r·20, (r+1)·20) — so every replica keeps its own
minibatch and one kernel call serves all of them. Weights are stored ``(R, out, in, 5, 5)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from sweepstat.models._base import ReplicatedModel, output_units
from sweepstat.models._dense import Dense
from sweepstat.models._dropout import Generators
from sweepstat.models._init import caffe_xavier, replica_generators, zeros
from sweepstat.spec._model import LeNetSpec

KERNEL = 5
POOL = 2


def _pooled(size: int) -> int:
    """Spatial size after a valid 5×5 convolution and Caffe's ceil-mode 2×2/2 max-pool."""
    conv = size - KERNEL + 1
    if conv < POOL:
        raise ValueError(
            f"an image side of {size} px is too small for LeNet (two 5×5 convolutions and 2×2 pools)"
        )
    return math.ceil((conv - POOL) / POOL) + 1


class LeNet(ReplicatedModel):
    """``forward(images (R, B, C, H, W)) → (R, B, n_classes)`` logits; images are raw pixels (0–255)."""

    def __init__(
        self,
        spec: LeNetSpec,
        n_classes: int,
        seeds: Sequence[int],
        image_shape: tuple[int, int, int] = (1, 28, 28),
    ):
        super().__init__(seeds)
        n_out = output_units("softmax", n_classes)
        self.spec = spec
        self.image_shape = image_shape
        gens = replica_generators(seeds)
        n_rep = len(gens)
        c_in, height, width = image_shape
        c1, c2 = spec.conv1_filters, spec.conv2_filters
        k2 = KERNEL * KERNEL
        self.conv1_weight = nn.Parameter(
            caffe_xavier((c1, c_in, KERNEL, KERNEL), gens, c_in * k2)
        )  # (R, 20, C, 5, 5)
        self.conv1_bias = nn.Parameter(zeros((c1,), n_rep))  # (R, 20)
        self.conv2_weight = nn.Parameter(
            caffe_xavier((c2, c1, KERNEL, KERNEL), gens, c1 * k2)
        )  # (R, 50, 20, 5, 5)
        self.conv2_bias = nn.Parameter(zeros((c2,), n_rep))  # (R, 50)
        flat = c2 * _pooled(_pooled(height)) * _pooled(_pooled(width))
        self.ip1 = Dense(flat, spec.hidden, gens, kernel_init="caffe_xavier")  # (R, 800, 500)
        self.ip2 = Dense(spec.hidden, n_out, gens, kernel_init="caffe_xavier")  # (R, 500, 10)

    def forward(self, images: torch.Tensor, generator: Generators = None) -> torch.Tensor:
        """images (R, B, C, H, W), any numeric dtype → logits (R, B, n_classes). ``generator`` is unused."""
        n_rep = self.n_replicas
        if images.dim() != 5 or images.shape[0] != n_rep or tuple(images.shape[2:]) != self.image_shape:
            raise ValueError(
                f"images must be (R={n_rep}, B, {', '.join(map(str, self.image_shape))}); got {tuple(images.shape)}"
            )
        n_b, c_in, height, width = images.shape[1:]
        w1 = self.conv1_weight
        x = images.to(w1.dtype) * self.spec.input_scale
        x = x.transpose(0, 1).reshape(n_b, n_rep * c_in, height, width)  # (B, R·C, H, W)
        x = F.conv2d(x, w1.flatten(0, 1), self.conv1_bias.flatten(), groups=n_rep)  # (B, R·20, 24, 24)
        x = F.max_pool2d(x, POOL, POOL, ceil_mode=True)  # (B, R·20, 12, 12)
        x = F.conv2d(
            x, self.conv2_weight.flatten(0, 1), self.conv2_bias.flatten(), groups=n_rep
        )  # (B, R·50, 8, 8)
        x = F.max_pool2d(x, POOL, POOL, ceil_mode=True)  # (B, R·50, 4, 4)
        x = x.reshape(n_b, n_rep, -1).transpose(0, 1)  # (R, B, 800), flattened C, H, W as Caffe does
        return self.ip2(torch.relu(self.ip1(x)))  # (R, B, n_classes)
