"""Initialisers, one draw per replica from that replica's own generator.

Each function takes the list of R ``torch.Generator`` (one per replica, see ``replica_generators``) and
returns a float32 CPU tensor of shape ``(R, *shape)``. Replica r's slice depends only on generator r, so a
model built with seeds ``[s0, s1, s2]`` holds in replica r exactly what the one-replica model built with
``[s_r]`` holds, as long as layers draw in the same order (they do: construction order).

Keras semantics (keras/src/initializers/random_initializers.py, Keras 3):
- ``glorot_uniform``: U(-l, l), l = sqrt(6 / (fan_in + fan_out)); for a 2-D ``(rows, cols)`` kernel
  fan_in = rows, fan_out = cols.
- ``orthogonal``: QR of a normal ``(max(rows, cols), min(rows, cols))`` matrix, columns of Q multiplied by
  the sign of diag(R), transposed when rows < cols, where rows = prod(shape[:-1]) and cols = shape[-1].
  For an LSTM recurrent kernel ``(H, 4H)`` this makes the *whole* matrix have orthonormal rows, not each
  gate block.
- ``RandomUniform`` (Embedding's ``"uniform"``): U(-0.05, 0.05).
Caffe (BVLC/caffe include/caffe/filler.hpp, ``XavierFiller``, default ``variance_norm: FAN_IN``):
U(-s, s), s = sqrt(3 / fan_in), fan_in = count / num (everything but the output axis).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch


def replica_generators(seeds: Sequence[int]) -> list[torch.Generator]:
    """One CPU generator per replica, seeded with that replica's seed (initialisation always runs on CPU)."""
    if len(seeds) == 0:
        raise ValueError("seeds must hold at least one seed (one per replica)")
    return [torch.Generator(device="cpu").manual_seed(int(s)) for s in seeds]


def _stack(draws: list[torch.Tensor]) -> torch.Tensor:
    return torch.stack(draws).contiguous()


def uniform(
    shape: tuple[int, ...], gens: Sequence[torch.Generator], low: float = -0.05, high: float = 0.05
) -> torch.Tensor:
    """U(low, high) per replica; the defaults are Keras ``RandomUniform`` (Embedding's initialiser)."""
    return _stack([torch.empty(shape).uniform_(low, high, generator=g) for g in gens])


def glorot_uniform(shape: tuple[int, int], gens: Sequence[torch.Generator]) -> torch.Tensor:
    """Keras ``glorot_uniform`` for a 2-D kernel ``(fan_in, fan_out)``."""
    limit = math.sqrt(6.0 / (shape[0] + shape[1]))
    return uniform(shape, gens, -limit, limit)


def caffe_xavier(shape: tuple[int, ...], gens: Sequence[torch.Generator], fan_in: int) -> torch.Tensor:
    """Caffe ``xavier`` filler with its default FAN_IN norm: U(-s, s), s = sqrt(3 / fan_in)."""
    limit = math.sqrt(3.0 / fan_in)
    return uniform(shape, gens, -limit, limit)


def orthogonal(shape: tuple[int, ...], gens: Sequence[torch.Generator], gain: float = 1.0) -> torch.Tensor:
    """Keras ``Orthogonal``: flattened to ``(prod(shape[:-1]), shape[-1])`` like Keras, then reshaped."""
    rows = math.prod(shape[:-1])
    cols = shape[-1]
    flat = (max(rows, cols), min(rows, cols))
    out = []
    for g in gens:
        a = torch.randn(flat, generator=g)
        # QR in float64: the draw is float32 as in Keras, the factorisation is just more accurate.
        q, r = torch.linalg.qr(a.double())
        d = torch.diagonal(r)
        q = q * torch.where(d < 0, -1.0, 1.0).to(q.dtype)  # Keras: q *= sign(diag(r)); a 0 (never seen) → +1
        if rows < cols:
            q = q.T
        out.append((gain * q).float().reshape(shape))
    return _stack(out)


def zeros(shape: tuple[int, ...], n_replicas: int) -> torch.Tensor:
    return torch.zeros((n_replicas, *shape))


def lstm_bias(units: int, n_replicas: int, unit_forget_bias: bool = True) -> torch.Tensor:
    """Keras LSTM bias ``(R, 4H)`` in gate order i, f, c, o: zeros, with the forget block 1 if ``unit_forget_bias``."""
    b = torch.zeros((n_replicas, 4 * units))
    if unit_forget_bias:
        b[:, units : 2 * units] = 1.0
    return b
