"""Keras ``Embedding`` over R replicas: one table per replica, one lookup for all."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from sweepstat.models._init import uniform


class Embedding(nn.Module):
    """Keras ``Embedding(input_dim=vocab_size, output_dim=dim)`` for R replicas.

    ``weight`` is ``(R, V, E)``, initialised U(-0.05, 0.05) (Keras ``embeddings_initializer="uniform"``).
    Index 0 is an ordinary row, as in Keras; ``mask_zero`` only makes ``mask()`` report index-0 steps.
    Gradients are dense, as Keras's are (``(R, V, E)`` per step).
    """

    def __init__(self, vocab_size: int, dim: int, gens: Sequence[torch.Generator], mask_zero: bool = False):
        super().__init__()
        self.vocab_size = vocab_size
        self.dim = dim
        self.mask_zero = mask_zero
        self.weight = nn.Parameter(uniform((vocab_size, dim), gens))  # (R, V, E)
        # Called with the row ids (r·V + i of the table as (R·V, E)) about to be read, so that an optimizer
        # that updates rows lazily can bring them up to date first (engine/_optimizers.py); set by the engine.
        self.row_hook: Callable[[torch.Tensor], None] | None = None

    @property
    def n_replicas(self) -> int:
        return int(self.weight.shape[0])

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """``idx`` (R, ...) int64, each replica's own indices → (R, ..., E)."""
        n_rep, vocab, dim = self.weight.shape
        if idx.shape[0] != n_rep:
            raise ValueError(f"indices have {idx.shape[0]} replicas on axis 0; the model has {n_rep}")
        # One lookup into the (R·V, E) table: replica r's index i is row r·V + i. An index ≥ V would
        # silently read the next replica's table, so bounds are checked (asynchronously on CUDA, no sync).
        torch._assert_async(((idx >= 0) & (idx < vocab)).all(), "token index outside [0, vocab_size)")
        offsets = torch.arange(n_rep, device=idx.device).mul_(vocab).view(n_rep, *([1] * (idx.dim() - 1)))
        ids = idx + offsets
        if self.row_hook is not None:
            self.row_hook(ids.reshape(-1))
        return F.embedding(ids, self.weight.view(n_rep * vocab, dim))  # (R, ..., E)

    def mask(self, idx: torch.Tensor) -> torch.Tensor | None:
        """Keras ``compute_mask``: True where the index is not 0, or None without ``mask_zero``."""
        return idx != 0 if self.mask_zero else None

    def extra_repr(self) -> str:
        return f"{self.vocab_size}, {self.dim}, replicas={self.n_replicas}, mask_zero={self.mask_zero}"
