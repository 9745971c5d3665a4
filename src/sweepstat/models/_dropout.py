"""Dropout masks with Keras semantics, drawn per replica.

Keras (``backend.random.dropout`` on a tensor of ones) keeps a unit with probability 1 − rate and scales
kept units by 1 / (1 − rate): inverted dropout, so inference needs no rescaling.

Randomness comes from ``generator``:
- ``None``: torch's global RNG on the model's device;
- one ``torch.Generator``: the masks of all replicas drawn at once from it;
- a sequence of R generators: replica r's masks drawn from generator r alone, so replica r of an
  R-replica model sees the same masks as a one-replica model given ``[generators[r]]``.
A generator may live on CPU or on the model's device; masks drawn on CPU are moved to the device.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

Generators = torch.Generator | Sequence[torch.Generator] | None


def _uniform(shape: tuple[int, ...], generator: Generators, device: torch.device) -> torch.Tensor:
    if generator is None:
        return torch.rand(shape, device=device)
    if isinstance(generator, torch.Generator):
        return torch.rand(shape, generator=generator, device=generator.device).to(device)
    if len(generator) != shape[0]:
        raise ValueError(
            f"got {len(generator)} dropout generators for {shape[0]} replicas; give one per replica"
        )
    draws = [torch.rand(shape[1:], generator=g, device=g.device).to(device) for g in generator]
    return torch.stack(draws)


def dropout_mask(
    shape: tuple[int, ...], rate: float, generator: Generators, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """A ``(R, ...)`` mask of 0 and 1 / (1 − rate), each unit kept with probability 1 − rate."""
    keep = _uniform(shape, generator, device) >= rate
    return keep.to(dtype).mul_(1.0 / (1.0 - rate))
