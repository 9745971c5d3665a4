"""Losses, accuracy and learning-rate policies, by hand."""

from __future__ import annotations

import math

import pytest
import torch

from sweepstat.engine import correct, lr_factor, replica_losses, sample_losses
from sweepstat.spec._train import ConstantPolicy, InvPolicy, StepPolicy


def test_binary_cross_entropy_on_logits_by_hand() -> None:
    logits = torch.tensor([[[2.0], [-1.0]], [[0.0], [3.0]]])  # (R=2, B=2, 1)
    y = torch.tensor([[1, 0], [1, 1]])
    want = torch.tensor(
        [
            (math.log(1 + math.exp(-2.0)) + math.log(1 + math.exp(-1.0))) / 2,
            (math.log(2.0) + math.log(1 + math.exp(-3.0))) / 2,
        ]
    )
    torch.testing.assert_close(replica_losses(logits, y), want)


def test_binary_cross_entropy_is_not_clipped_like_probabilities() -> None:
    """Keras on TF uses the logit behind a sigmoid output: a confident mistake costs its full logit,
    not −log(1e-7) ≈ 16.1 as clipped probabilities would give."""
    loss = sample_losses(torch.tensor([[[100.0]]]), torch.tensor([[0]]))
    assert loss.item() == pytest.approx(100.0)


def test_sparse_categorical_cross_entropy_by_hand() -> None:
    logits = torch.tensor([[[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]])  # (1, 2, 3)
    y = torch.tensor([[2, 0]])
    log_z = math.log(math.exp(1) + math.exp(2) + math.exp(3))
    want = ((log_z - 3.0) + math.log(3.0)) / 2
    assert replica_losses(logits, y).item() == pytest.approx(want)


def test_labels_shared_by_all_replicas_broadcast() -> None:
    logits = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]]])  # two replicas, one example
    y = torch.tensor([0])
    assert correct(logits, y).tolist() == [1, 0]
    assert sample_losses(logits, y).shape == (2, 1)


def test_accuracy_threshold_and_argmax() -> None:
    logits = torch.tensor([[[0.3], [-0.2], [0.0], [5.0]]])  # p = 0.57, 0.45, 0.5 (not > 0.5), 0.99
    assert correct(logits, torch.tensor([[1, 0, 0, 0]])).tolist() == [3]
    multi = torch.tensor([[[1.0, 1.0, 0.0], [0.0, 2.0, 1.0]]])  # a tie goes to the first class
    assert correct(multi, torch.tensor([[0, 1]])).tolist() == [2]


def test_inv_policy_by_hand() -> None:
    policy = InvPolicy()  # Caffe's LeNet: gamma 0.001, power 0.75
    assert lr_factor(policy, 0) == 1.0
    assert lr_factor(policy, 1000) == pytest.approx(2**-0.75)
    assert 0.01 * lr_factor(policy, 100) == pytest.approx(0.01 * 1.1**-0.75)
    assert lr_factor(InvPolicy(gamma=0.5, power=1.0), 2) == pytest.approx(0.5)


def test_step_policy_by_hand() -> None:
    policy = StepPolicy(step_size=10, gamma=0.5)
    assert [lr_factor(policy, k) for k in (0, 9, 10, 19, 20, 35)] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.125]


def test_constant_policy() -> None:
    assert lr_factor(ConstantPolicy(), 12345) == 1.0
