"""Keras (and Caffe) initialisers: ranges, orthogonality, the forget-gate bias, per-replica generators."""

from __future__ import annotations

import math

import pytest
import torch

from sweepstat.models import (
    Embedding,
    LeNet,
    Recurrent,
    TextRnn,
    build_model,
    caffe_xavier,
    glorot_uniform,
    orthogonal,
    replica_generators,
)
from sweepstat.spec._model import LeNetSpec, RnnModelSpec


def test_glorot_uniform_limit_and_spread() -> None:
    w = glorot_uniform((400, 64), replica_generators([0, 1]))
    limit = math.sqrt(6 / (400 + 64))
    assert w.shape == (2, 400, 64)
    assert w.abs().max() <= limit
    assert w.abs().max() > 0.99 * limit  # fills the range, not a narrower one
    assert w.var().item() == pytest.approx(limit**2 / 3, rel=0.03)  # uniform variance
    assert not torch.equal(w[0], w[1])


@pytest.mark.parametrize(("cell", "n_gates"), [("simple_rnn", 1), ("lstm", 4), ("gru", 3)])
def test_recurrent_kernel_is_orthogonal_as_a_whole(cell: str, n_gates: int) -> None:
    layer = Recurrent(cell, 5, 8, replica_generators([3, 4]))  # type: ignore[arg-type]
    u = layer.recurrent_kernel.detach().double()  # (R, H, G·H)
    eye = torch.eye(8, dtype=torch.float64)
    for r in range(2):
        # Keras flattens (H, G·H): fewer rows than columns → orthonormal rows over all gates together.
        torch.testing.assert_close(u[r] @ u[r].T, eye, atol=1e-6, rtol=0)
    assert u.shape == (2, 8, n_gates * 8)


def test_orthogonal_follows_keras_qr_with_sign_correction() -> None:
    # Keras: A ~ N(0, 1) of shape (max, min) = (12, 3); Q R = A; Q·sign(diag R); transposed because 3 < 12.
    # Then Q's first column is A's first column normalised (Gram–Schmidt with a positive R₀₀).
    w = orthogonal((3, 12), replica_generators([11]))[0].double()
    a = torch.randn((12, 3), generator=torch.Generator().manual_seed(11)).double()
    torch.testing.assert_close(w[0], a[:, 0] / a[:, 0].norm(), atol=1e-6, rtol=0)
    tall = orthogonal((12, 3), replica_generators([11]))[0].double()  # not transposed: orthonormal columns
    torch.testing.assert_close(tall.T @ tall, torch.eye(3, dtype=torch.float64), atol=1e-6, rtol=0)
    torch.testing.assert_close(tall[:, 0], a[:, 0] / a[:, 0].norm(), atol=1e-6, rtol=0)


def test_lstm_forget_bias_is_one_other_biases_zero() -> None:
    bias = Recurrent("lstm", 5, 4, replica_generators([0, 1])).bias.detach()  # (R, 4H), gates i, f, c, o
    assert torch.equal(bias[:, 4:8], torch.ones(2, 4))
    assert torch.equal(bias[:, :4], torch.zeros(2, 4))
    assert torch.equal(bias[:, 8:], torch.zeros(2, 8))


def test_gru_has_input_and_recurrent_bias_zero() -> None:
    bias = Recurrent("gru", 5, 4, replica_generators([0])).bias
    assert bias.shape == (1, 2, 12)
    assert torch.count_nonzero(bias) == 0


def test_embedding_uniform_005() -> None:
    w = Embedding(1000, 50, replica_generators([0])).weight
    assert w.abs().max() <= 0.05
    assert w.abs().max() > 0.049
    assert w.mean().abs() < 0.001


def test_dense_is_glorot_with_zero_bias() -> None:
    spec = RnnModelSpec(embedding_dim=4, layers=({"type": "gru", "units": 6},), head="flatten")
    model = build_model(spec, vocab_size=9, maxlen=50, n_classes=2, seeds=[0])
    assert isinstance(model, TextRnn)
    limit = math.sqrt(6 / (50 * 6 + 1))
    assert model.dense.kernel.shape == (1, 300, 1)
    assert limit * 0.95 < model.dense.kernel.abs().max() <= limit
    assert torch.count_nonzero(model.dense.bias) == 0


def test_caffe_biases_start_at_zero() -> None:
    model = build_model(LeNetSpec(), n_classes=10, seeds=[0])
    assert isinstance(model, LeNet)
    for bias in (model.conv1_bias, model.conv2_bias, model.ip1.bias, model.ip2.bias):
        assert torch.count_nonzero(bias) == 0


def test_caffe_xavier_fan_in_limits() -> None:
    model = build_model(LeNetSpec(), n_classes=10, seeds=[0])
    assert isinstance(model, LeNet)
    for weight, fan_in in [
        (model.conv1_weight, 1 * 25),
        (model.conv2_weight, 20 * 25),
        (model.ip1.kernel, 800),
        (model.ip2.kernel, 500),
    ]:
        limit = math.sqrt(3 / fan_in)
        assert weight.abs().max() <= limit
        assert weight.abs().max() > 0.9 * limit
    w = caffe_xavier((3, 4), replica_generators([0]), fan_in=300)
    assert w.abs().max() <= math.sqrt(3 / 300)


def test_replica_seed_decides_everything() -> None:
    a = glorot_uniform((4, 4), replica_generators([5, 6]))
    b = glorot_uniform((4, 4), replica_generators([6]))
    assert torch.equal(a[1], b[0])
    with pytest.raises(ValueError, match="at least one seed"):
        replica_generators([])
