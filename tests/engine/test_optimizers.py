"""Optimizers against numpy transcriptions of Keras 3's ``update_step`` (keras/src/optimizers/*.py).

Each replica gets its own learning rate and its own gradients; several steps are taken so that the
moments and the bias corrections matter. Gradients are small (~1e-6) where ε's placement matters.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from sweepstat.engine import SGD, Adam, RMSprop, StackedOptimizer, clip_gradients

SHAPES = [(2, 5, 3), (2, 4)]  # (R, ...) parameters: a matrix and a bias per replica
LRS = np.array([1e-3, 5e-2])
N_STEPS = 4


def keras_adam(p, grads, lrs, b1=0.9, b2=0.999, eps=1e-7):  # type: ignore[no-untyped-def]
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, (g, lr) in enumerate(zip(grads, lrs, strict=True), start=1):
        alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        p = p - m * alpha / (np.sqrt(v) + eps)
    return p


def keras_rmsprop(p, grads, lrs, rho=0.9, eps=1e-7):  # type: ignore[no-untyped-def]
    v = np.zeros_like(p)
    for g, lr in zip(grads, lrs, strict=True):
        v = rho * v + (1 - rho) * g * g
        p = p - lr * g / np.sqrt(v + eps)
    return p


def keras_sgd(p, grads, lrs, momentum=0.0, nesterov=False, weight_decay=0.0):  # type: ignore[no-untyped-def]
    m = np.zeros_like(p)
    for g, lr in zip(grads, lrs, strict=True):
        g = g + weight_decay * p  # Caffe's Regularize, before the update
        if momentum == 0:
            p = p - g * lr
            continue
        m = m * momentum - g * lr
        p = p + (m * momentum - g * lr if nesterov else m)
    return p


def run(
    make: Callable[[list[torch.Tensor]], StackedOptimizer],
    reference: Callable[..., np.ndarray],
    scale: float,
    dtype: torch.dtype,
    lr_schedule: Callable[[int], float] = lambda k: 1.0,
) -> None:
    rng = np.random.default_rng(0)
    p0 = [rng.normal(size=s) for s in SHAPES]
    grads = [[rng.normal(scale=scale, size=s) for s in SHAPES] for _ in range(N_STEPS)]
    params = [torch.tensor(p, dtype=dtype) for p in p0]
    opt = make(params)
    for k in range(N_STEPS):
        lr = torch.tensor(LRS * lr_schedule(k), dtype=dtype)
        opt.step([torch.tensor(g, dtype=dtype) for g in grads[k]], lr)
    rtol = 1e-10 if dtype == torch.float64 else 2e-5
    for i, p in enumerate(params):
        for r in range(2):
            want = reference(
                p0[i][r], [g[i][r] for g in grads], [LRS[r] * lr_schedule(k) for k in range(N_STEPS)]
            )
            np.testing.assert_allclose(p[r].numpy(), want, rtol=rtol, atol=rtol * 1e-3)
    assert opt.iterations == N_STEPS


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("scale", [1.0, 1e-6])
def test_adam_is_keras_adam(fused: bool, scale: float, dtype: torch.dtype) -> None:
    run(lambda ps: Adam(ps, fused=fused), keras_adam, scale, dtype)
    assert Adam([torch.zeros(2, 3)], fused=fused).fused is fused  # the path under test really ran


def test_adam_epsilon_is_not_torchs() -> None:
    """torch.optim.Adam puts ε inside the bias correction; with tiny gradients that is far from Keras."""
    rng = np.random.default_rng(0)
    p0, g = rng.normal(size=(1, 4)), rng.normal(scale=1e-6, size=(1, 4))
    p = torch.tensor(p0, requires_grad=True)
    torch_adam = torch.optim.Adam([p], lr=1e-3, eps=1e-7)
    p.grad = torch.tensor(g)
    torch_adam.step()
    want = keras_adam(p0[0], [g[0]], [1e-3])
    assert not np.allclose(p.detach().numpy()[0], want, rtol=1e-6, atol=0)
    ours = torch.tensor(p0)
    Adam([ours]).step([torch.tensor(g)], torch.tensor([1e-3], dtype=torch.float64))
    np.testing.assert_allclose(ours.numpy()[0], want, rtol=1e-12)


@pytest.mark.parametrize("scale", [1.0, 1e-5])
def test_rmsprop_is_keras_rmsprop(scale: float) -> None:
    run(lambda ps: RMSprop(ps), keras_rmsprop, scale, torch.float64)
    run(
        lambda ps: RMSprop(ps, rho=0.5, epsilon=1e-3),
        lambda *a: keras_rmsprop(*a, rho=0.5, eps=1e-3),
        scale,
        torch.float64,
    )


@pytest.mark.parametrize(
    "kw",
    [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}, {"momentum": 0.9, "weight_decay": 5e-4}],
)
def test_sgd_is_keras_sgd_with_caffe_weight_decay(kw: dict[str, object]) -> None:
    # A learning rate that changes every step: Keras and Caffe keep it inside the velocity.
    def schedule(k: int) -> float:
        return (1 + 0.5 * k) ** -0.75

    run(lambda ps: SGD(ps, **kw), lambda *a: keras_sgd(*a, **kw), 1.0, torch.float64, schedule)  # type: ignore[arg-type]


def test_fused_and_plain_adam_agree_in_float32() -> None:
    rng = np.random.default_rng(1)
    shapes = [(3, 50, 7), (3, 7)]
    a = [torch.tensor(rng.normal(size=s), dtype=torch.float32) for s in shapes]
    b = [x.clone() for x in a]
    fused, plain = Adam(a, fused=True), Adam(b, fused=False)
    assert fused.fused and not plain.fused
    lr = torch.tensor([1e-3, 0.0, 3e-2])
    for _ in range(20):
        g = [torch.tensor(rng.normal(size=s), dtype=torch.float32) for s in shapes]
        fused.step(g, lr)
        plain.step(g, lr)
    for x, y in zip(a, b, strict=True):
        torch.testing.assert_close(x, y, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "make",
    [lambda ps: Adam(ps, fused=True), Adam, RMSprop, lambda ps: SGD(ps, momentum=0.9, weight_decay=0.1)],
)
def test_a_reset_replica_with_rate_zero_does_not_move(
    make: Callable[[list[torch.Tensor]], StackedOptimizer],
) -> None:
    params = [torch.randn(3, 4, 2), torch.randn(3, 2)]
    opt = make(params)
    lr = torch.tensor([0.1, 0.1, 0.1])
    for _ in range(3):
        opt.step([torch.randn_like(p) for p in params], lr)
    frozen = [p[1].clone() for p in params]
    moving = [p[0].clone() for p in params]
    opt.reset_replica(1)
    lr[1] = 0.0
    for _ in range(3):
        opt.step([torch.randn_like(p) for p in params], lr)
    for p, f, m in zip(params, frozen, moving, strict=True):
        assert torch.equal(p[1], f)
        assert not torch.equal(p[0], m)


def test_step_checks_the_learning_rate_shape() -> None:
    with pytest.raises(ValueError, match=r"lr must have shape \(2,\)"):
        SGD([torch.zeros(2, 3)]).step([torch.zeros(2, 3)], torch.tensor([0.1]))


def test_clip_norm_clips_each_variable_of_each_replica_by_its_own_norm() -> None:
    g = torch.zeros(3, 2, 2)
    g[0] = torch.tensor([[3.0, 0.0], [0.0, 4.0]])  # norm 5 → scaled to norm 1
    g[1] = torch.tensor([[0.3, 0.0], [0.0, 0.4]])  # norm 0.5 → unchanged
    bias = torch.tensor([[0.0, 2.0], [0.0, 0.0], [1.0, 0.0]])  # norms 2, 0 (stays 0), 1
    clipped, clipped_bias = clip_gradients([g, bias], clip_norm=1.0)
    torch.testing.assert_close(clipped[0], g[0] / 5)
    torch.testing.assert_close(clipped[1], g[1])
    assert torch.equal(clipped[2], g[2])
    torch.testing.assert_close(clipped_bias, torch.tensor([[0.0, 1.0], [0.0, 0.0], [1.0, 0.0]]))
    # Keras's per-variable norm: the bias does not count towards the matrix's norm.
    assert torch.linalg.vector_norm(clipped[0]).item() == pytest.approx(1.0)


def test_clip_value_clamps_elements_and_nothing_set_changes_nothing() -> None:
    g = torch.tensor([[-3.0, 0.2], [0.7, 5.0]])
    (clipped,) = clip_gradients([g], clip_value=0.5)
    assert torch.equal(clipped, torch.tensor([[-0.5, 0.2], [0.5, 0.5]]))
    assert clip_gradients([g])[0] is g


def test_clip_norm_keeps_a_nan_inside_its_replica() -> None:
    g = torch.ones(2, 3)
    g[1, 0] = float("nan")
    (clipped,) = clip_gradients([g], clip_norm=1.0)
    assert torch.isfinite(clipped[0]).all() and torch.isnan(clipped[1]).all()
