"""What the classifier's Dense layer sees of the last recurrent layer: Keras Flatten, last output, pooling.

Sequences are time-major ``(R, T, B, F)``; a head returns ``(R, B, F')``.
- ``flatten``: Keras ``Flatten`` on ``(B, T, F)``: feature index t·F + f (seed 000). Flatten does not
  support masking in Keras 3: it drops the mask with a warning (keras/src/layers/layer.py, ``__call__``),
  so masked steps contribute whatever the recurrent layer output there.
- ``last``: the recurrent layer's last output (``return_sequences=False``, seed 004).
- ``mean``: ``GlobalAveragePooling1D``, which honours the mask: the sum over real steps / their count
  (keras/src/layers/pooling/global_average_pooling1d.py). A sequence with no real step gives 0/0 = NaN,
  as in Keras.
- ``max``: ``GlobalMaxPooling1D``, which ignores the mask (global_max_pooling1d.py has no mask argument).
"""

from __future__ import annotations

from typing import Literal

import torch

HeadKind = Literal["flatten", "last", "mean", "max"]


def head_takes_sequence(kind: HeadKind) -> bool:
    """Whether the last recurrent layer must return its whole sequence for this head."""
    return kind != "last"


def head_features(kind: HeadKind, features: int, maxlen: int | None) -> int:
    """Width of the head's output for ``features`` per step; ``flatten`` needs a fixed ``maxlen``."""
    if kind != "flatten":
        return features
    if maxlen is None:
        raise ValueError("the flatten head needs a fixed sequence length")
    return maxlen * features


def apply_head(kind: HeadKind, y: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """``y`` (R, T, B, F), or (R, B, F) for ``last``; ``mask`` (R, T, B) or None → (R, B, F')."""
    if kind == "last":
        return y  # (R, B, F)
    if kind == "flatten":
        n_rep, n_t, n_b, n_f = y.shape
        return y.transpose(1, 2).reshape(n_rep, n_b, n_t * n_f)  # (R, B, T·F)
    if kind == "mean":
        if mask is None:
            return y.mean(dim=1)  # (R, B, F)
        m = mask.unsqueeze(-1)  # (R, T, B, 1)
        total = torch.where(m, y, 0.0).sum(dim=1)  # (R, B, F)
        return total / m.sum(dim=1).to(y.dtype)
    if kind == "max":
        return y.amax(dim=1)  # (R, B, F)
    raise ValueError(f"unknown head {kind!r}")
