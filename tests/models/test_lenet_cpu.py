"""LeNet's C++ convolution + max-pool layers (models/_conv_cpu.cpp) against torch's conv2d and max_pool2d.

Both C++ paths are checked: "simd" (hand-vectorised float32 kernels where the CPU has AVX2; elsewhere and
in float64 it is the gemm path) and "gemm" (im2col + matrix products). With small-integer data every sum
is exact, so the C++ layers must give torch's bits, including which of tied maxima takes the gradient
and where a NaN goes; with random data they agree up to float rounding.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F

from sweepstat._native import cpu_kernels
from sweepstat.engine._losses import replica_losses
from sweepstat.models import LeNet, _lenet, build_model
from sweepstat.spec._model import LeNetSpec

PATHS = ["simd", "gemm"]
DTYPES = [torch.float32, torch.float64]
TOL = {torch.float32: 1e-5, torch.float64: 1e-12}  # max |error| / max |reference|
# (R, B, C, H, W, O): LeNet's two layers; odd convolution outputs (partial pool windows: 8×7, 6×9, 5×5); a
# patch row of 150 floats (two column blocks in the sparse kernels); a one-window output.
SHAPES = [
    (1, 3, 1, 28, 28, 20),
    (3, 2, 20, 12, 12, 50),
    (2, 3, 3, 12, 11, 7),
    (3, 2, 2, 10, 13, 30),
    (2, 2, 30, 9, 9, 10),
    (1, 2, 3, 6, 6, 3),
]


@pytest.fixture(scope="module")
def kernels() -> Any:
    module = cpu_kernels()
    if module is None:
        pytest.skip("sweepstat's C++ kernels are not built")
    return module


def torch_layer(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """x (R, B, C, H, W), w (R, O, C, 5, 5), b (R, O) → (R, B, PH, PW, O), as LeNet's torch path."""
    n_rep, n_b, c_in, height, width = x.shape
    x = x.transpose(0, 1).reshape(n_b, n_rep * c_in, height, width)
    y = F.conv2d(x, w.flatten(0, 1), b.flatten(), groups=n_rep)
    y = F.max_pool2d(y, 2, 2, ceil_mode=True)
    return y.view(n_b, n_rep, w.shape[1], *y.shape[-2:]).permute(1, 0, 3, 4, 2)


def cpp_layer(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, kernels: Any, path: str) -> torch.Tensor:
    """The same through _ConvPool, channels-last."""
    w_cols = w.permute(0, 1, 3, 4, 2).reshape(w.shape[0], w.shape[1], -1)
    return _lenet._ConvPool.apply(x.permute(0, 1, 3, 4, 2), w_cols, b, kernels, path == "simd")


def outputs_and_grads(
    layer: Any, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, dy: torch.Tensor
) -> list[torch.Tensor]:
    leaves = [t.clone().requires_grad_() for t in (x, w, b)]
    y = layer(*leaves)
    y.backward(dy)
    return [y.detach(), *(t.grad for t in leaves)]  # type: ignore[misc]


def assert_near(got: torch.Tensor, want: torch.Tensor, tol: float) -> None:
    scale = want.abs().max().item()
    err = (got - want).abs().max().item()
    assert err <= tol * max(scale, 1e-30), f"max error {err:.3g} against max |value| {scale:.3g}"


def layer_data(
    shape: tuple[int, ...], dtype: torch.dtype, integers: bool, seed: int = 0
) -> tuple[torch.Tensor, ...]:
    n_rep, n_b, c_in, height, width, n_out = shape
    gen = torch.Generator().manual_seed(seed)
    sizes = [(n_rep, n_b, c_in, height, width), (n_rep, n_out, c_in, 5, 5), (n_rep, n_out)]
    if integers:  # exact sums, many tied maxima
        x, w, b = (torch.randint(-1, 2, s, generator=gen).to(dtype) for s in sizes)
    else:
        x, w, b = (torch.randn(s, generator=gen, dtype=dtype) for s in sizes)
        w = w * 0.2
    pooled = ((height - 4 - 1) // 2 + 1, (width - 4 - 1) // 2 + 1)
    dy_shape = (n_rep, n_b, *pooled, n_out)
    if integers:
        return x, w, b, torch.randint(-3, 4, dy_shape, generator=gen).to(dtype)
    return x, w, b, torch.randn(dy_shape, generator=gen, dtype=dtype)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("path", PATHS)
def test_layer_matches_torch(kernels: Any, path: str, dtype: torch.dtype, shape: tuple[int, ...]) -> None:
    x, w, b, dy = layer_data(shape, dtype, integers=False)
    want = outputs_and_grads(torch_layer, x, w, b, dy)
    got = outputs_and_grads(lambda *t: cpp_layer(*t, kernels, path), x, w, b, dy)
    for name, g, r in zip(("output", "dx", "dw", "db"), got, want, strict=True):
        assert g.shape == r.shape, name
        assert_near(g, r, TOL[dtype])


@pytest.mark.parametrize("shape", SHAPES[:-1], ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("path", PATHS)
def test_ties_take_torch_window_order(kernels: Any, path: str, shape: tuple[int, ...]) -> None:
    # Integer data: every sum is exact in both, so the outputs and gradients are the same bits, and the
    # gradient of a window goes to the same one of its tied maxima (the first in row-major order).
    x, w, b, dy = layer_data(shape, torch.float32, integers=True)
    y = torch_layer(x, w, b)
    conv = F.conv2d(x[0], w[0], b[0])  # replica 0's convolution: (B, O, h, w)
    padded = F.pad(conv, (0, conv.shape[-1] % 2, 0, conv.shape[-2] % 2), value=float("-inf"))
    windows = padded.unfold(2, 2, 2).unfold(3, 2, 2).flatten(-2)  # (B, O, PH, PW, 4)
    assert ((windows == windows.amax(-1, keepdim=True)).sum(-1) > 1).sum() > windows[..., 0].numel() // 50
    want = outputs_and_grads(torch_layer, x, w, b, dy)
    got = outputs_and_grads(lambda *t: cpp_layer(*t, kernels, path), x, w, b, dy)
    for g, r in zip(got, want, strict=True):
        assert torch.equal(g, r)
    assert torch.equal(got[0], y)


@pytest.mark.parametrize("path", PATHS)
def test_nan_is_the_maximum_and_stays_in_its_replica(kernels: Any, path: str) -> None:
    x, w, b, dy = layer_data((2, 3, 2, 13, 12, 24), torch.float32, integers=True)
    x[0, 1, 1, 6, 7] = float("nan")  # replica 0, image 1: spreads to every output whose patch holds it
    want = outputs_and_grads(torch_layer, x, w, b, dy)
    got = outputs_and_grads(lambda *t: cpp_layer(*t, kernels, path), x, w, b, dy)
    y, dx, dw, db = got
    assert y[0].isnan().any() and dw[0].isnan().any()
    for g, r in zip((y, dx, db), (want[0], want[1], want[3]), strict=True):  # dx: where torch's went
        torch.testing.assert_close(g, r, rtol=0, atol=0, equal_nan=True)
    # torch's dense dw also multiplies the zero gradients of positions that are not maxima by the NaN;
    # the sparse kernels skip them, so fewer of its entries are NaN.
    finite = want[2].isfinite()
    assert torch.equal(dw[finite], want[2][finite]) and (dw.isnan() <= want[2].isnan()).all()
    if path == "gemm":  # the same dense sums
        torch.testing.assert_close(dw, want[2], rtol=0, atol=0, equal_nan=True)
    for g in got:
        assert g[1].isfinite().all()  # replica 1 never sees replica 0's NaN


def lenet(
    seeds: list[int], dtype: torch.dtype = torch.float32, image: tuple[int, int, int] = (1, 28, 28)
) -> LeNet:
    model = build_model(LeNetSpec(), n_classes=10, seeds=seeds, image_shape=image)
    assert isinstance(model, LeNet)
    return model.to(dtype)


def lenet_grads(model: LeNet, images: torch.Tensor, labels: torch.Tensor) -> list[torch.Tensor]:
    logits = model(images)
    grads = torch.autograd.grad(replica_losses(logits, labels).sum(), list(model.parameters()))
    return [logits.detach(), *grads]


@pytest.mark.parametrize("image", [(1, 28, 28), (3, 27, 29)], ids=["mnist", "odd-rgb"])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("path", PATHS)
def test_lenet_matches_torch_path(
    kernels: Any, monkeypatch: pytest.MonkeyPatch, path: str, dtype: torch.dtype, image: tuple[int, int, int]
) -> None:
    model = lenet([3, 4, 5], dtype, image)
    gen = torch.Generator().manual_seed(1)
    # Few images: a maximum tied within rounding may go to another position (rare; fine for one seed).
    images = torch.randint(0, 256, (3, 8, *image), generator=gen, dtype=torch.uint8)
    labels = torch.randint(0, 10, (3, 8), generator=gen)
    monkeypatch.setattr(_lenet, "_CPU_PATH", "torch")
    want = lenet_grads(model, images, labels)
    monkeypatch.setattr(_lenet, "_CPU_PATH", path)
    got = lenet_grads(model, images, labels)
    for g, r in zip(got, want, strict=True):
        assert_near(g, r, 10 * TOL[dtype])


@pytest.mark.parametrize("path", PATHS)
def test_replica_is_its_solo_model_bit_for_bit(
    kernels: Any, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.setattr(_lenet, "_CPU_PATH", path)
    seeds = [11, 22, 33]
    gen = torch.Generator().manual_seed(2)
    images = torch.randint(0, 256, (3, 8, 1, 28, 28), generator=gen, dtype=torch.uint8)
    labels = torch.randint(0, 10, (3, 8), generator=gen)
    together = lenet_grads(lenet(seeds), images, labels)
    for r, seed in enumerate(seeds):
        alone = lenet_grads(lenet([seed]), images[r : r + 1], labels[r : r + 1])
        names = ["logits", "conv1_weight", "conv1_bias", "conv2_weight", "conv2_bias"]  # then Dense's
        for name, t, a in zip(names, together[:5], alone[:5], strict=True):
            assert torch.equal(t[r : r + 1], a), name


def test_torch_path_without_the_cpp_build(monkeypatch: pytest.MonkeyPatch) -> None:
    model = lenet([1, 2])
    images = torch.randint(0, 256, (2, 4, 1, 28, 28), generator=torch.Generator().manual_seed(4))
    monkeypatch.setattr(_lenet, "_CPU_PATH", "torch")
    want = model(images)
    monkeypatch.setattr(_lenet, "_CPU_PATH", "simd")
    monkeypatch.setattr(_lenet, "cpu_kernels", lambda: None)
    assert torch.equal(model(images), want)


def test_cpp_layers_only_for_cpu_float_tensors() -> None:
    assert _lenet._conv_kernels(torch.empty(1, device="meta")) is None  # CUDA likewise
    assert _lenet._conv_kernels(torch.empty(1, dtype=torch.bfloat16)) is None
