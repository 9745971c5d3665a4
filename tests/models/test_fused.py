"""The fused recurrence (models/_fused.py) gives the plain autograd loop's results, within a pinned tolerance.

Tolerance, float32: every element of the output and of every gradient (input, kernel, recurrent kernel,
bias) within rtol 1e-5 and atol 1e-5 × the largest magnitude of that tensor on the plain path (measured
deviations are below 5e-7 × the largest magnitude: matmuls sum in another order, and the C++ loops use
their own exp / tanh, within 1 ulp). float64: rtol = atol factor = 1e-12. Each case runs with the C++
loops and with the Python loops (the CUDA path), on sequences of both directions, with and without
``return_sequences``, for 1 and 3 replicas and for H = 4 and 20 (vectorised loops and their remainders).
``gradcheck`` checks the hand-written backward itself against finite differences in float64.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
import torch

from sweepstat.models import Bidirectional, Recurrent, _fused, _fused_loops, replica_generators
from sweepstat.models._fused import fused, fused_enabled, recurrence, set_fused
from tests.models import test_keras_golden as golden

CELLS = ["simple_rnn", "lstm", "gru"]
N_T, N_B, N_IN = 7, 5, 6


@pytest.fixture(params=["cpp", "torch"])
def loops(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with the C++ loops, then with the Python loops (what CUDA runs)."""
    if request.param == "cpp":
        if _fused_loops.build_cpu_kernels() is None:
            pytest.fail("the C++ loops did not build; `make setup` needs a C++ compiler")
    else:
        monkeypatch.setattr(_fused_loops, "_USE_CPU_KERNELS", False)
    return str(request.param)


def make_layer(cell: str, units: int, n_rep: int, go_backwards: bool, dtype: torch.dtype) -> Recurrent:
    layer = Recurrent(cell, N_IN, units, replica_generators(range(n_rep)), go_backwards=go_backwards)  # type: ignore[arg-type]
    layer.to(dtype)
    with torch.no_grad():  # non-zero biases, GRU's recurrent bias included, so that every term counts
        layer.bias.copy_(
            torch.randn(layer.bias.shape, generator=torch.Generator().manual_seed(5), dtype=dtype)
        )
    return layer


def run(layer: Recurrent, x: torch.Tensor, return_sequences: bool, weight: torch.Tensor | None = None):
    """Output and the gradients of Σ weight·output with respect to x and every parameter."""
    x = x.detach().requires_grad_()
    y = layer(x, return_sequences=return_sequences)
    w = (
        torch.randn(y.shape, generator=torch.Generator().manual_seed(9), dtype=y.dtype)
        if weight is None
        else weight
    )
    grads = torch.autograd.grad((y * w).sum(), [x, *layer.parameters()])
    return y.detach(), grads


def is_fused(y: torch.Tensor) -> bool:
    return type(y.grad_fn).__name__ == "_RecurrenceBackward"


def assert_matches_plain(got: torch.Tensor, want: torch.Tensor, factor: float) -> None:
    torch.testing.assert_close(got, want, rtol=factor, atol=factor * want.abs().max().item())


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("n_rep", [1, 3])
@pytest.mark.parametrize(("units", "dtype"), [(4, torch.float32), (20, torch.float32), (4, torch.float64)])
def test_fused_equals_plain(
    loops: str,
    cell: str,
    go_backwards: bool,
    return_sequences: bool,
    n_rep: int,
    units: int,
    dtype: torch.dtype,
) -> None:
    layer = make_layer(cell, units, n_rep, go_backwards, dtype)
    x = torch.randn(n_rep, N_T, N_B, N_IN, generator=torch.Generator().manual_seed(1), dtype=dtype)
    with fused(False):
        y_plain, g_plain = run(layer, x, return_sequences)
        assert not is_fused(layer(x, return_sequences=return_sequences))
    assert is_fused(layer(x, return_sequences=return_sequences))
    y_fused, g_fused = run(layer, x, return_sequences)
    factor = 1e-5 if dtype == torch.float32 else 1e-12
    assert_matches_plain(y_fused, y_plain, factor)
    for name, got, want in zip(["x", "kernel", "recurrent_kernel", "bias"], g_fused, g_plain, strict=True):
        assert got.shape == want.shape, name
        assert_matches_plain(got, want, factor)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_gradcheck(loops: str, cell: str, go_backwards: bool, return_sequences: bool) -> None:
    """The hand-written backward against finite differences (float64, tiny shapes), every input."""
    n_rep, units = 2, 3
    gates = {"simple_rnn": 1, "lstm": 4, "gru": 3}[cell]
    gen = torch.Generator().manual_seed(3)

    def rand(*shape: int) -> torch.Tensor:
        return (torch.randn(shape, generator=gen, dtype=torch.float64) * 0.7).requires_grad_()

    bias = rand(n_rep, 2, 3 * units) if cell == "gru" else rand(n_rep, gates * units)
    inputs = (rand(n_rep, 4, 2, 3), rand(n_rep, 3, gates * units), rand(n_rep, units, gates * units), bias)

    def fn(*args: torch.Tensor) -> torch.Tensor:
        return recurrence(cell, *args, go_backwards=go_backwards, return_sequences=return_sequences)

    assert torch.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_nan_replica_does_not_touch_the_others(loops: str, cell: str, go_backwards: bool) -> None:
    layer = make_layer(cell, 4, 3, go_backwards, torch.float32)
    x = torch.randn(3, N_T, N_B, N_IN, generator=torch.Generator().manual_seed(2))
    weight = torch.randn(3, N_T, N_B, 4, generator=torch.Generator().manual_seed(9))
    y_ok, g_ok = run(layer, x, True, weight)
    with torch.no_grad():
        layer.recurrent_kernel[1, 0, 0] = float("nan")
    y_bad, g_bad = run(layer, x, True, weight)
    assert is_fused(layer(x, return_sequences=True))
    assert torch.isnan(y_bad[1]).any(), "the diverged replica must show it"
    for got, want in zip((y_bad, *g_bad), (y_ok, *g_ok), strict=True):
        assert torch.isfinite(got[[0, 2]]).all()
        assert torch.equal(got[[0, 2]], want[[0, 2]])


@pytest.mark.parametrize("cell", CELLS)
def test_replica_r_is_the_one_replica_model_and_runs_are_repeatable(loops: str, cell: str) -> None:
    """Replica r of a fused 3-replica layer gives what the 1-replica layer built from seed r gives, on its
    own minibatch (bit for bit here; MKL could sum a batched bmm differently elsewhere); and the same call
    twice gives the same bits."""
    big = make_layer(cell, 4, 3, False, torch.float32)
    x = torch.randn(3, N_T, N_B, N_IN, generator=torch.Generator().manual_seed(6))
    weight = torch.randn(3, N_T, N_B, 4, generator=torch.Generator().manual_seed(9))
    y, grads = run(big, x, True, weight)
    y_again, grads_again = run(big, x, True, weight)
    for a, b in zip((y, *grads), (y_again, *grads_again), strict=True):
        assert torch.equal(a, b)
    for r in range(3):
        small = Recurrent(cell, N_IN, 4, replica_generators([r]))  # type: ignore[arg-type]
        with torch.no_grad():
            for p_small, p_big in zip(small.parameters(), big.parameters(), strict=True):
                p_small.copy_(p_big[r : r + 1])
        y_r, grads_r = run(small, x[r : r + 1], True, weight[r : r + 1])
        for a, b in zip((y_r, *grads_r), (y, *grads), strict=True):
            torch.testing.assert_close(a, b[r : r + 1], rtol=1e-6, atol=1e-7)  # MKL may batch differently


def test_dispatch_rules() -> None:
    gens = replica_generators(range(2))
    x = torch.randn(2, N_T, N_B, N_IN)
    plain_layer = Recurrent("lstm", N_IN, 3, gens)
    assert is_fused(plain_layer(x, return_sequences=True))
    mask = torch.ones(2, N_T, N_B, dtype=torch.bool)
    assert not is_fused(plain_layer(x, mask, return_sequences=True))  # masking: plain loop
    dropout = Recurrent("gru", N_IN, 3, gens, dropout=0.2, recurrent_dropout=0.1)
    assert not is_fused(dropout.train()(x))  # dropout active: plain loop
    assert is_fused(dropout.eval()(x))  # inference ignores dropout: fused
    bi = Bidirectional("simple_rnn", N_IN, 3, gens)
    assert is_fused(bi.forward_layer(x)) and is_fused(bi.backward_layer(x))
    assert fused_enabled()
    with fused(False):
        assert not fused_enabled()
        assert not is_fused(plain_layer(x))
    assert fused_enabled()
    set_fused(False)
    try:
        assert not is_fused(plain_layer(x))
    finally:
        set_fused(True)


def test_double_backward_is_refused() -> None:
    layer = make_layer("lstm", 3, 1, False, torch.float64)
    x = torch.randn(1, 3, 2, N_IN, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(layer(x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable|does not require grad"):
        torch.autograd.grad(g.sum(), x)


def test_unknown_cell_is_refused() -> None:
    with pytest.raises(ValueError, match="cell must be one of"):
        recurrence(
            "lstn", torch.zeros(1, 1, 1, 1), torch.zeros(1, 1, 4), torch.zeros(1, 1, 4), torch.zeros(1, 4)
        )


@pytest.mark.parametrize("with_bias", [False, True])
def test_onednn_matmul_equals_bmm(with_bias: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    gen = torch.Generator().manual_seed(4)
    a, b = torch.randn(3, 50, 20, generator=gen), torch.randn(3, 20, 30, generator=gen)
    bias = torch.randn(3, 30, generator=gen) if with_bias else None
    want = torch.bmm(a, b) + (bias.unsqueeze(1) if bias is not None else 0)
    torch.testing.assert_close(_fused._matmul(a, b, bias), want, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(_fused._matmul(a.transpose(1, 2).contiguous().transpose(1, 2), b, bias), want)
    monkeypatch.setattr(_fused, "_onednn_linear", lambda: None)  # a torch without the op: torch.bmm
    torch.testing.assert_close(_fused._matmul(a, b, bias), want, rtol=1e-6, atol=1e-6)


@pytest.fixture
def no_compiler(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from torch.utils import cpp_extension

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no C++ compiler")

    monkeypatch.setattr(cpp_extension, "load", fail)
    _fused_loops._cpu_kernels.cache_clear()
    yield
    monkeypatch.undo()
    _fused_loops._cpu_kernels.cache_clear()


def test_without_a_compiler_the_python_loops_run(no_compiler: None) -> None:
    with pytest.warns(RuntimeWarning, match="could not be built.*no C.. compiler"):
        assert _fused_loops.build_cpu_kernels() is None
    layer = make_layer("lstm", 4, 2, False, torch.float32)
    x = torch.randn(2, N_T, N_B, N_IN)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once, not at every call
        y_fused, g_fused = run(layer, x, True)
    with fused(False):
        y_plain, g_plain = run(layer, x, True)
    for got, want in zip((y_fused, *g_fused), (y_plain, *g_plain), strict=True):
        assert_matches_plain(got, want, 1e-5)


def test_cpu_tanh_is_accurate_and_passes_nan(loops: str) -> None:
    """SimpleRNN with kernel 1 and no recurrence outputs tanh(x): the C++ float32 tanh (and the exp in it)
    against float64, over small and large inputs, with NaN and ±inf passed through as tanh does."""
    v = torch.cat(
        [
            torch.linspace(-12, 12, 2001),
            torch.logspace(-30, 1, 500),
            -torch.logspace(-30, 1, 500),
            torch.tensor([100.0, -100.0, 0.0, float("inf"), -float("inf"), float("nan")]),
        ]
    )
    y = recurrence(
        "simple_rnn", v.view(1, 1, -1, 1), torch.ones(1, 1, 1), torch.zeros(1, 1, 1), torch.zeros(1, 1)
    )
    y = y.flatten()
    want = torch.tanh(v.double())
    finite = torch.isfinite(v) & (want != 0)
    rel = ((y.double() - want).abs() / want.abs())[finite]
    assert rel.max().item() < 2 * torch.finfo(torch.float32).eps  # within 2 ulp
    assert y[-3:-1].tolist() == [1.0, -1.0] and torch.isnan(y[-1])


@pytest.mark.parametrize(
    ("cell", "go_backwards", "expected"),
    [
        ("lstm", False, [0.6288687, 0.86899155, 0.9460773]),
        ("gru", True, [0.24406259, 0.611516, 0.3928808]),
    ],
)
def test_keras_golden_values_on_the_python_loops(
    cell: str, go_backwards: bool, expected: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """tests/models/test_keras_golden.py runs on the fused path with the C++ loops (the default on CPU);
    here some of it runs on the Python loops too."""
    monkeypatch.setattr(_fused_loops, "_USE_CPU_KERNELS", False)
    golden.test_lstm_gru_correctness(cell, go_backwards, expected)
    golden.test_bidirectional_gru_sum_sequences()
    assert is_fused(golden.layer(cell, 4, 3)(golden.time_major(golden.SEQ_3_6_4)))
