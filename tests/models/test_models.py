"""Whole models: heads with Keras's layouts and masks, Embedding, LeNet as Caffe computes it, the MLP."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sweepstat.models import Embedding, LeNet, Mlp, TextRnn, apply_head, build_model, replica_generators
from sweepstat.spec._model import LeNetSpec, MlpSpec, RnnModelSpec


def seq_and_mask() -> tuple[torch.Tensor, torch.Tensor]:
    y = torch.randn(2, 4, 3, 5, generator=torch.Generator().manual_seed(0))  # (R, T, B, F)
    mask = torch.ones(2, 4, 3, dtype=torch.bool)
    mask[:, :2, 0] = False  # sample 0 pre-padded by two
    mask[1, 3, 2] = False
    return y, mask


def test_flatten_is_keras_row_major_over_time_then_features() -> None:
    y, _ = seq_and_mask()
    got = apply_head("flatten", y, None)  # (R, B, T·F)
    keras_input = y.numpy().transpose(0, 2, 1, 3)  # Keras sees (B, T, F) per replica
    np.testing.assert_array_equal(got.numpy(), keras_input.reshape(2, 3, 4 * 5))
    assert got[0, 1, 5 * 2 + 3] == y[0, 2, 1, 3]  # feature index t·F + f


def test_mean_pooling_averages_real_steps_only() -> None:
    y, mask = seq_and_mask()
    got = apply_head("mean", y, mask).numpy()
    ym, m = y.numpy(), mask.numpy()[..., None]
    np.testing.assert_allclose(got, (ym * m).sum(1) / m.sum(1), rtol=1e-6)
    np.testing.assert_allclose(got[0, 0], ym[0, 2:, 0].mean(0), rtol=1e-6)
    np.testing.assert_allclose(apply_head("mean", y, None).numpy(), ym.mean(1), rtol=1e-6)


def test_max_pooling_ignores_the_mask_like_keras() -> None:
    y, mask = seq_and_mask()
    np.testing.assert_array_equal(apply_head("max", y, mask).numpy(), y.numpy().max(1))


def model(head: str, mask_zero: bool, maxlen: int | None = None, **layer: object) -> TextRnn:
    spec = RnnModelSpec(
        embedding_dim=5,
        layers=({"type": "lstm", "units": 4, **layer},),  # type: ignore[arg-type]
        head=head,  # type: ignore[arg-type]
        mask_zero=mask_zero,
    )
    out = build_model(spec, vocab_size=20, maxlen=maxlen, n_classes=2, seeds=[3, 4])
    assert isinstance(out, TextRnn)
    return out


@pytest.mark.parametrize("bidirectional", [False, True])
def test_mask_zero_makes_padding_invisible(bidirectional: bool) -> None:
    # Keras: with mask_zero, a pre-padded sequence gives the same last output as the bare sequence.
    tokens = torch.tensor([[[5, 9, 2]], [[7, 7, 1]]])  # (R, B, T)
    padded = F.pad(tokens, (3, 0))  # three leading zeros
    masked = model("last", True, bidirectional=bidirectional).eval()
    torch.testing.assert_close(masked(padded), masked(tokens), atol=1e-6, rtol=1e-6)
    plain = model("last", False, bidirectional=bidirectional).eval()
    assert not torch.allclose(plain(padded), plain(tokens), atol=1e-4)  # index 0 is an ordinary word


def test_mean_head_with_mask_matches_unpadded() -> None:
    tokens = torch.tensor([[[5, 9, 2]], [[7, 7, 1]]])
    masked = model("mean", True).eval()
    torch.testing.assert_close(masked(F.pad(tokens, (0, 2))), masked(tokens), atol=1e-6, rtol=1e-6)


def test_flatten_model_checks_the_length() -> None:
    m = model("flatten", False, maxlen=6)
    assert m(torch.ones(2, 3, 6, dtype=torch.long)).shape == (2, 3, 1)
    with pytest.raises(ValueError, match="built for T=6 steps; got T=5"):
        m(torch.ones(2, 3, 5, dtype=torch.long))


def test_embedding_lookup_per_replica_and_bounds() -> None:
    emb = Embedding(10, 4, replica_generators([0, 1]), mask_zero=True)
    idx = torch.tensor([[[1, 0, 9]], [[9, 9, 3]]])  # (R, T=1, B=3)
    out = emb(idx)
    assert out.shape == (2, 1, 3, 4)
    assert torch.equal(out[1, 0, 0], emb.weight[1, 9])
    assert torch.equal(out[0, 0, 2], emb.weight[0, 9])
    mask = emb.mask(idx)
    assert mask is not None and mask.tolist() == [[[True, False, True]], [[True, True, True]]]
    assert Embedding(10, 4, replica_generators([0])).mask(idx) is None
    with pytest.raises(RuntimeError, match=r"token index outside \[0, vocab_size\)"):
        emb(torch.tensor([[[10]], [[0]]]))  # would silently read replica 1's table without the check
    with pytest.raises(RuntimeError, match="token index outside"):
        emb(torch.tensor([[[-1]], [[0]]]))


def test_lenet_computes_caffe_lenet() -> None:
    net = build_model(LeNetSpec(), n_classes=10, seeds=[0, 1])
    assert isinstance(net, LeNet)
    images = torch.randint(0, 256, (2, 3, 1, 28, 28), generator=torch.Generator().manual_seed(0))
    out = net(images)
    for r in range(2):
        x = images[r].float() * 0.00390625  # Caffe transform_param scale
        x = F.max_pool2d(F.conv2d(x, net.conv1_weight[r], net.conv1_bias[r]), 2, 2)
        x = F.max_pool2d(F.conv2d(x, net.conv2_weight[r], net.conv2_bias[r]), 2, 2)
        x = torch.relu(x.flatten(1) @ net.ip1.kernel[r] + net.ip1.bias[r])  # Caffe flattens (C, H, W)
        torch.testing.assert_close(out[r], x @ net.ip2.kernel[r] + net.ip2.bias[r], atol=1e-5, rtol=1e-5)


def test_mlp_is_relu_dense_stack() -> None:
    net = build_model(MlpSpec(hidden=(4,), output="softmax"), n_features=6, n_classes=3, seeds=[0])
    assert isinstance(net, Mlp)
    x = torch.rand(1, 2, 6)
    h = torch.relu(x[0] @ net.hidden[0].kernel[0] + net.hidden[0].bias[0])
    torch.testing.assert_close(net(x)[0], h @ net.out.kernel[0] + net.out.bias[0])
    assert net(x).shape == (1, 2, 3)


def test_mlp_dropout_scales_kept_units() -> None:
    net = build_model(MlpSpec(hidden=(2000,), dropout=0.5), n_features=3, n_classes=2, seeds=[0]).train()
    assert isinstance(net, Mlp)
    x = torch.rand(1, 1, 3)
    h = torch.relu(net.hidden[0](x))
    g = torch.Generator().manual_seed(5)
    keep = torch.rand((1, 1, 2000), generator=torch.Generator().manual_seed(5)) >= 0.5
    torch.testing.assert_close(net(x, generator=g), net.out(h * keep / 0.5))
