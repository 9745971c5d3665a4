"""Gradients checked against finite differences (``torch.autograd.gradcheck``, float64, tiny shapes)."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch.func import functional_call

from sweepstat.models import Bidirectional, Recurrent, build_model, replica_generators
from sweepstat.spec._model import LeNetSpec, RnnModelSpec

N_REP, N_T, N_B, N_IN, UNITS = 2, 3, 2, 3, 2


def check(module: torch.nn.Module, x: torch.Tensor, wrt_input: bool = True, **kwargs: Any) -> None:
    """gradcheck with respect to every parameter of ``module`` and, if floating and asked, the input ``x``."""
    module = module.double()
    names = [n for n, _ in module.named_parameters()]
    params = [p.detach().clone().requires_grad_() for _, p in module.named_parameters()]
    x_grad = wrt_input and x.is_floating_point()
    if x_grad:
        x = x.double().requires_grad_()

    def fn(*args: torch.Tensor) -> torch.Tensor:
        inp = args[-1] if x_grad else x
        fresh = {k: v() if callable(v) else v for k, v in kwargs.items()}  # e.g. a new generator per call
        return functional_call(module, dict(zip(names, args[: len(params)], strict=True)), (inp,), fresh)

    assert torch.autograd.gradcheck(fn, (*params, x) if x_grad else tuple(params), eps=1e-6, atol=1e-6)


def mask() -> torch.Tensor:
    m = torch.ones(N_REP, N_T, N_B, dtype=torch.bool)
    m[0, 0, 1] = False  # a leading pad in replica 0, sample 1
    m[1, 1, 0] = False  # a hole in replica 1
    return m


@pytest.mark.parametrize("cell", ["simple_rnn", "lstm", "gru"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_recurrent(cell: str, return_sequences: bool) -> None:
    layer = Recurrent(cell, N_IN, UNITS, replica_generators(range(N_REP)))  # type: ignore[arg-type]
    x = torch.randn(N_REP, N_T, N_B, N_IN)
    check(layer, x, mask=mask(), return_sequences=return_sequences)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_recurrent_with_dropout_in_training(cell: str) -> None:
    layer = Recurrent(cell, N_IN, UNITS, replica_generators(range(N_REP)), dropout=0.3, recurrent_dropout=0.4)  # type: ignore[arg-type]
    x = torch.randn(N_REP, N_T, N_B, N_IN)
    gens = lambda: [torch.Generator().manual_seed(s) for s in range(N_REP)]  # noqa: E731 - same masks each call
    check(layer.train(), x, return_sequences=True, generator=gens)


@pytest.mark.parametrize("cell", ["simple_rnn", "lstm", "gru"])
def test_bidirectional(cell: str) -> None:
    layer = Bidirectional(cell, N_IN, UNITS, replica_generators(range(N_REP)), merge_mode="mul")  # type: ignore[arg-type]
    check(layer, torch.randn(N_REP, N_T, N_B, N_IN), mask=mask(), return_sequences=True)


def test_text_rnn_end_to_end() -> None:
    spec = RnnModelSpec(
        embedding_dim=3,
        layers=({"type": "gru", "units": 2, "bidirectional": True}, {"type": "lstm", "units": 2}),
        head="flatten",
        mask_zero=True,
    )
    model = build_model(spec, vocab_size=6, maxlen=N_T, n_classes=2, seeds=range(N_REP))
    tokens = torch.tensor([[[0, 1, 2], [3, 4, 5]], [[5, 0, 1], [2, 2, 3]]])  # (R, B, T)
    check(model, tokens)


def test_lenet() -> None:
    # 17×17: conv 5 → 13, Caffe's ceil-mode pool → 7 (floor would give 6), conv 5 → 3, pool → 2 (not 1).
    spec = LeNetSpec(conv1_filters=1, conv2_filters=2, hidden=3)
    model = build_model(spec, n_classes=10, seeds=range(N_REP), image_shape=(1, 17, 17))
    assert model.ip1.in_features == 2 * 2 * 2
    check(model, torch.rand(N_REP, 1, 1, 17, 17) * 255)
