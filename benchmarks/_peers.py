"""The plain-PyTorch peer the benchmarks time sweepstat against: the seed-000 model as a user would write
it with PyTorch's own layers (shared by model_step.py, engine_step.py and bench_w1.py)."""

from __future__ import annotations

import torch
from torch import nn


class TorchLstm(nn.Module):
    """nn.Embedding → nn.LSTM (batch first, whole sequence) → flatten → nn.Linear(·, 1)."""

    def __init__(self, vocab: int, emb: int, units: int, maxlen: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, units, batch_first=True)
        self.dense = nn.Linear(maxlen * units, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y, _ = self.lstm(self.embedding(x))  # (B, T, H)
        return self.dense(y.flatten(1))  # (B, 1)
