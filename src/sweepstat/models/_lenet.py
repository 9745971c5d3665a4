"""Caffe's MNIST LeNet (seed 002) for R replicas.

Architecture and initialisation from BVLC/caffe examples/mnist/lenet_train_test.prototxt:
conv1 20@5×5 stride 1 → max-pool 2×2 stride 2 → conv2 50@5×5 → max-pool 2×2 stride 2 → ip1 500 → ReLU →
ip2 (10 for MNIST), SoftmaxWithLoss. Inputs are scaled by ``transform_param { scale: 0.00390625 }``
(= 1/256, not 1/255). Every weight uses the ``xavier`` filler, which in Caffe (include/caffe/filler.hpp,
default ``variance_norm: FAN_IN``) is U(−s, s) with s = sqrt(3 / fan_in), fan_in = inputs per output
unit (C_in·5·5 for a convolution, the input width for ip1/ip2); every bias the ``constant`` filler with
its default value 0. Caffe's pooling rounds the output size up (``ceil_mode=True`` here); with 28×28
inputs every size divides exactly, so it changes nothing for MNIST. The prototxt also gives biases
``lr_mult: 2`` — a training-engine matter, not the model's.

Weights are stored ``(R, out, in, 5, 5)``; every replica keeps its own minibatch. Two paths compute the
convolutions and pools, with the same results up to float rounding (``tests/models/test_lenet_cpu.py``):

- torch (``_features_torch``; CUDA, dtypes other than float32 / float64, no C++ build): the R models run
  as one convolution with ``groups=R`` — replica r's images are input channels [r·C, (r+1)·C) and its
  filters output channels [r·20, (r+1)·20) — then torch's ``max_pool2d``.
- C++ (``_features_cpu``, CPU): each convolution + max-pool pair is one layer of ``models/_conv_cpu.cpp``
  (``_ConvPool``), channels-last, replica by replica. The pool keeps a uint8 code of where each window's
  maximum was, by ATen's rule (the first of equal maxima; NaN wins), and the backward uses the maxima
  alone. float32 on a CPU with AVX2 runs hand-vectorised loops; otherwise im2col + GEMM. One training
  step (batch 64, SGD, one thread) on this project's 2-core AMD EPYC: 12.3 ms against 33.9 ms for torch
  (``.venv/bin/python benchmarks/lenet_step.py``, 2026-12-01).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import FunctionCtx, once_differentiable

from sweepstat._native import cpu_kernels
from sweepstat.models._base import ReplicatedModel, output_units
from sweepstat.models._dense import Dense
from sweepstat.models._dropout import Generators
from sweepstat.models._init import caffe_xavier, replica_generators, zeros
from sweepstat.spec._model import LeNetSpec

KERNEL = 5
POOL = 2
Tensor = torch.Tensor

# The path LeNet takes on CPU: "simd" (the C++ layers, hand-vectorised where the CPU and dtype allow),
# "gemm" (the C++ layers through im2col + GEMM only) or "torch" (conv2d and max_pool2d). Tests switch it.
_CPU_PATH: Literal["simd", "gemm", "torch"] = "simd"


def _pooled(size: int) -> int:
    """Spatial size after a valid 5×5 convolution and Caffe's ceil-mode 2×2/2 max-pool."""
    conv = size - KERNEL + 1
    if conv < POOL:
        raise ValueError(
            f"an image side of {size} px is too small for LeNet (two 5×5 convolutions and 2×2 pools)"
        )
    return math.ceil((conv - POOL) / POOL) + 1


def _conv_kernels(x: Tensor) -> Any | None:
    """The C++ module if the C++ layers apply to images like ``x`` (CPU, float32 / float64), else None."""
    if _CPU_PATH == "torch" or x.device.type != "cpu" or x.dtype not in (torch.float32, torch.float64):
        return None
    return cpu_kernels()


class _ConvPool(torch.autograd.Function):
    """Replicated 5×5 convolution + bias → 2×2/2 max-pool (ceil mode), channels-last, in C++.

    ``x`` (R, B, H, W, C), ``weight`` (R, O, 5·5·C) with columns in (kh, kw, c) order, ``bias`` (R, O) →
    (R, B, PH, PW, O). Once differentiable.
    """

    @staticmethod
    def forward(
        ctx: FunctionCtx, x: Tensor, weight: Tensor, bias: Tensor, kernels: Any, simd: bool
    ) -> Tensor:
        x, weight, bias = x.contiguous(), weight.contiguous(), bias.contiguous()
        y, code = kernels.conv_pool_forward(x, weight, bias, KERNEL, simd)  # code: uint8, where each max was
        ctx.save_for_backward(x, weight, bias, code)
        ctx.kernels, ctx.simd = kernels, simd  # type: ignore[attr-defined]
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, dy: Tensor) -> tuple[Tensor | None, ...]:
        x, weight, bias, code = ctx.saved_tensors
        need_dx = ctx.needs_input_grad[0]
        dx, dw, db = ctx.kernels.conv_pool_backward(
            x, weight, bias, dy.contiguous(), code, KERNEL, need_dx, ctx.simd
        )
        return (dx if need_dx else None), dw, db, None, None


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
        x = images.to(self.conv1_weight.dtype) * self.spec.input_scale  # (R, B, C, H, W)
        kernels = _conv_kernels(x)
        x = self._features_torch(x) if kernels is None else self._features_cpu(x, kernels)  # (R, B, 800)
        return self.ip2(torch.relu(self.ip1(x)))  # (R, B, n_classes)

    def _features_torch(self, x: Tensor) -> Tensor:
        """(R, B, C, H, W) → (R, B, 800) through torch's grouped conv2d and max_pool2d."""
        n_rep, n_b, c_in, height, width = x.shape
        x = x.transpose(0, 1).reshape(n_b, n_rep * c_in, height, width)  # (B, R·C, H, W)
        x = F.conv2d(
            x, self.conv1_weight.flatten(0, 1), self.conv1_bias.flatten(), groups=n_rep
        )  # (B, R·20, 24, 24)
        x = F.max_pool2d(x, POOL, POOL, ceil_mode=True)  # (B, R·20, 12, 12)
        x = F.conv2d(
            x, self.conv2_weight.flatten(0, 1), self.conv2_bias.flatten(), groups=n_rep
        )  # (B, R·50, 8, 8)
        x = F.max_pool2d(x, POOL, POOL, ceil_mode=True)  # (B, R·50, 4, 4)
        return x.reshape(n_b, n_rep, -1).transpose(0, 1)  # (R, B, 800), flattened C, H, W as Caffe does

    def _features_cpu(self, x: Tensor, kernels: Any) -> Tensor:
        """The same through the C++ layers, channels-last."""
        n_rep, n_b = x.shape[:2]
        simd = _CPU_PATH == "simd"
        x = x.permute(0, 1, 3, 4, 2)  # (R, B, H, W, C)
        for weight, bias in ((self.conv1_weight, self.conv1_bias), (self.conv2_weight, self.conv2_bias)):
            w = weight.permute(0, 1, 3, 4, 2).reshape(n_rep, weight.shape[1], -1)  # (R, O, 5·5·C)
            x = _ConvPool.apply(x, w, bias, kernels, simd)  # (R, B, 12, 12, 20), then (R, B, 4, 4, 50)
        return x.permute(0, 1, 4, 2, 3).reshape(n_rep, n_b, -1)  # (R, B, 800) in Caffe's C, H, W order
