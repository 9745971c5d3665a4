"""Losses and accuracy on logits ``(R, B, C)``, one value per replica.

C = 1 (sigmoid output): binary cross-entropy on the logit. Keras 3 on TensorFlow computes it the same
way even though the model outputs probabilities: ``activations.sigmoid`` keeps its input as
``output._keras_logits`` and ``backend.tensorflow.nn.binary_crossentropy`` then calls
``tf.nn.sigmoid_cross_entropy_with_logits`` on it (keras/src/backend/tensorflow/nn.py, ``_get_logits``),
with no clipping to [ε, 1−ε]. C > 1 (softmax output): sparse categorical cross-entropy on the logits, as
``sparse_softmax_cross_entropy_with_logits`` after the same substitution. Keras reduces with
``sum_over_batch_size``: the mean over the batch. Accuracy is Keras's ``binary_accuracy`` (sigmoid(z) >
0.5, threshold 0.5) or ``sparse_categorical_accuracy`` (argmax, the first of equal logits).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def sample_losses(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-example loss: logits (R, B, C), y (R, B) or (B,) int64 class indices → (R, B)."""
    n_rep, n_b, n_c = logits.shape
    y = y.expand(n_rep, n_b)
    if n_c == 1:
        return F.binary_cross_entropy_with_logits(logits[..., 0], y.to(logits.dtype), reduction="none")
    return F.cross_entropy(logits.reshape(n_rep * n_b, n_c), y.reshape(-1), reduction="none").view(n_rep, n_b)


def replica_losses(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean loss over the batch for each replica: (R, B, C), (R, B) → (R,).

    Sum it to train all replicas at once: replica r's parameters get the gradient of its own mean loss.
    """
    return sample_losses(logits, y).mean(dim=1)


def correct(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Correct predictions per replica: (R, B, C), (R, B) or (B,) → (R,) int64 counts."""
    n_rep, n_b, n_c = logits.shape
    # Binary: on the probability, as Keras (for |z| ≲ 1e-8 sigmoid(z) rounds to 0.5 while z > 0 would not).
    predicted = (torch.sigmoid(logits[..., 0]) > 0.5).long() if n_c == 1 else logits.argmax(dim=-1)
    return (predicted == y.expand(n_rep, n_b)).sum(dim=1)
