"""Small shared helpers for the model tests: layout conversion and hand-set weights."""

from __future__ import annotations

import numpy as np
import torch

from sweepstat.models import Bidirectional, Recurrent


def time_major(x: np.ndarray, n_rep: int = 1) -> torch.Tensor:
    """Keras (B, T, I) → sweepstat (R, T, B, I), the same batch in every replica."""
    t = torch.from_numpy(np.ascontiguousarray(x.transpose(1, 0, 2)))
    return t.unsqueeze(0).expand(n_rep, *t.shape).contiguous()


def time_major_mask(mask: np.ndarray, n_rep: int = 1) -> torch.Tensor:
    """Keras (B, T) bool → (R, T, B)."""
    m = torch.from_numpy(np.ascontiguousarray(mask.T))
    return m.unsqueeze(0).expand(n_rep, *m.shape).contiguous()


def batch_major(y: torch.Tensor, replica: int = 0) -> np.ndarray:
    """(R, T, B, H) → Keras (B, T, H) of one replica; (R, B, H) → (B, H)."""
    y = y[replica].detach()
    return (y.transpose(0, 1) if y.dim() == 3 else y).numpy()


def set_weights(layer: Recurrent, kernel: np.ndarray, recurrent: np.ndarray, bias: np.ndarray) -> None:
    """Copy Keras-shaped weights into every replica of a layer (and cast the layer to their dtype)."""
    dtype = torch.from_numpy(kernel).dtype
    layer.to(dtype)
    with torch.no_grad():
        layer.kernel.copy_(torch.from_numpy(kernel))
        layer.recurrent_kernel.copy_(torch.from_numpy(recurrent))
        layer.bias.copy_(torch.from_numpy(bias))


def keras_constant_weights(
    layer: Recurrent, k: float = 0.01, u: float = 0.02, b: float = 0.03, unit_forget_bias: bool = True
) -> None:
    """Keras's test set-up: Constant kernel/recurrent/bias initialisers (LSTM keeps forget bias 1)."""
    n_in, gh = layer.kernel.shape[1:]
    units = layer.units
    bias = np.full(tuple(layer.bias.shape[1:]), b, dtype=np.float32)
    if layer.cell == "lstm" and unit_forget_bias:
        bias[units : 2 * units] = 1.0  # Keras concatenates bias_init(H), ones(H), bias_init(2H)
    set_weights(
        layer,
        np.full((n_in, gh), k, dtype=np.float32),
        np.full((units, gh), u, dtype=np.float32),
        bias,
    )


def random_weights(layer: Recurrent, rng: np.random.Generator, scale: float = 0.5) -> tuple[np.ndarray, ...]:
    """Hand-set float64 random weights (recurrent bias included); returns (kernel, recurrent, bias)."""
    n_in, gh = layer.kernel.shape[1:]
    w = rng.normal(0, scale, (n_in, gh))
    u = rng.normal(0, scale, (layer.units, gh))
    b = rng.normal(0, scale, tuple(layer.bias.shape[1:]))
    set_weights(layer, w, u, b)
    return w, u, b


def bidirectional_random_weights(layer: Bidirectional, rng: np.random.Generator) -> tuple[tuple, tuple]:
    return random_weights(layer.forward_layer, rng), random_weights(layer.backward_layer, rng)
