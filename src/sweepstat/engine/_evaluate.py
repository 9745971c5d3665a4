"""Evaluation of every replica on one split: loss and accuracy, left on the device."""

from __future__ import annotations

import torch

from sweepstat.engine._losses import correct, sample_losses
from sweepstat.models import ReplicatedModel


@torch.no_grad()
def evaluate(
    model: ReplicatedModel, x: torch.Tensor, y: torch.Tensor, batch_size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean loss and accuracy of each replica over all N examples: x (N, ...), y (N,) → two (R,) tensors.

    Every replica sees the same examples, in chunks of ``batch_size``; the model is in evaluation mode
    (no dropout) meanwhile and returns to the mode it was in. The means are over examples, which is what
    Keras's batch-size-weighted mean over evaluation batches amounts to. Nothing is copied to the host.
    """
    was_training = model.training
    model.eval()
    n_rep, n = model.n_replicas, int(y.shape[0])
    loss_sum = torch.zeros(n_rep, dtype=torch.float64, device=y.device)
    n_correct = torch.zeros(n_rep, dtype=torch.int64, device=y.device)
    try:
        for start in range(0, n, batch_size):
            xb = x[start : start + batch_size]
            yb = y[start : start + batch_size]
            logits = model(xb.unsqueeze(0).expand(n_rep, *xb.shape))  # (R, b, C)
            loss_sum += sample_losses(logits, yb).sum(dim=1)
            n_correct += correct(logits, yb)
    finally:
        model.train(was_training)
    return loss_sum / n, n_correct.double() / n
