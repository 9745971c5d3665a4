"""Fused recurrence: a whole SimpleRNN / LSTM / GRU sequence as two autograd nodes, for R replicas.

The plain path (``Recurrent.forward``) records every step's matmul and gate arithmetic in the autograd
graph, about 20 nodes per step, and their per-op overhead is most of a small model's training step.
Here the sequence takes two nodes. ``_Projection`` does everything that does not depend on the previous
step, once for the whole sequence: the input projection x·W + b and, in its backward, its gradients.
``_Recurrence`` runs the time loops without autograd, keeping gates and states, and its hand-written
backward walks the steps in reverse; the recurrent-kernel gradient is one ``bmm`` over all T·B rows.
The time loops themselves are in ``_fused_loops.py``: C++ on CPU, torch ops elsewhere (CUDA) or without
a compiler. When the layer reads an embedding, ``models/_projection.py`` replaces ``_Projection`` with a
node that also does the lookup, once per distinct token. Replicas never mix: every op is per replica or
batched over the replica axis, so a NaN in one replica stays in that replica. Layout as everywhere in
``models``: ``(R, T, B, F)``.

Results equal the plain path's up to float rounding (matmuls sum in another order; the C++ loops use
their own float32 exp and tanh, within 1 ulp); ``tests/models/test_fused.py`` pins the tolerance.

Dispatch (``Recurrent.forward``): the fused path runs when it is enabled (``set_fused``, ``fused``; on by
default), the layer gets no padding mask and no dropout mask is active — ``mask_zero`` off, and either
inference or ``dropout = recurrent_dropout = 0`` — and the sequence is not empty. Everything else takes
the plain path. The backward is once-differentiable: a double backward through it raises an error.

GEMMs: on CPU in float32 the input projection and its two gradients go through oneDNN's matmul
(``torch.ops.mkldnn._linear_pointwise``, the op TorchInductor uses for CPU linear layers), unless
``torch.backends.mkldnn`` is disabled. On this project's AMD CPUs it is about twice as fast as the MKL
GEMM behind ``torch.bmm`` for a fixed shape; ``nn.LSTM`` on CPU uses oneDNN too. The op is private, so it
is probed once and ``torch.bmm`` used if it is missing or gives other results. Other dtypes and devices
use ``torch.bmm``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch.autograd.function import once_differentiable

from sweepstat.models._fused_loops import LOOPS, after, before

Tensor = torch.Tensor
_enabled = True


def set_fused(enabled: bool) -> None:
    """Use the fused recurrence where it applies (the default), or force the plain autograd loop."""
    global _enabled
    _enabled = bool(enabled)


def fused_enabled() -> bool:
    """Whether ``Recurrent`` layers take the fused path where it applies."""
    return _enabled


@contextmanager
def fused(enabled: bool) -> Iterator[None]:
    """``with fused(False): ...`` runs the block on the plain path, then restores the previous setting."""
    before = _enabled
    set_fused(enabled)
    try:
        yield
    finally:
        set_fused(before)


# --- GEMM -------------------------------------------------------------------------------------------


@functools.cache
def _onednn_linear() -> Callable[..., Tensor] | None:
    """oneDNN's ``linear(x, w, b) = x·wᵀ + b`` if this torch build has it and it gives that, else None."""
    try:
        if not torch.backends.mkldnn.is_available():
            return None
        op = torch.ops.mkldnn._linear_pointwise
        gen = torch.Generator().manual_seed(0)
        x, w, b = (torch.randn(shape, generator=gen) for shape in ((5, 3), (3, 4), (4,)))
        got = op(x, w.t(), b, "none", [], "")
        return op if torch.allclose(got, torch.addmm(b, x, w), atol=1e-5) else None
    except (AttributeError, RuntimeError):
        return None


def mm(a: Tensor, b: Tensor, bias: Tensor | None = None) -> Tensor:
    """``a·b + bias``: (M, K) @ (K, N) + (N,) → (M, N). Operands may be views.

    oneDNN for float32 on CPU (unless ``torch.backends.mkldnn`` is off), ``torch.mm`` / ``addmm`` otherwise.
    """
    cpu_float = a.device.type == "cpu" and a.dtype == torch.float32
    op = _onednn_linear() if cpu_float and torch.backends.mkldnn.enabled else None
    if op is None:
        return torch.mm(a, b) if bias is None else torch.addmm(bias, a, b)
    out: Tensor = op(a, b.t(), bias, "none", [], "")
    return out


def _matmul(a: Tensor, b: Tensor, bias: Tensor | None = None) -> Tensor:
    """Per-replica ``a·b + bias``: (R, M, K) @ (R, K, N) + (R, N) → (R, M, N). Operands may be views."""
    cpu_float = a.device.type == "cpu" and a.dtype == torch.float32
    if not (cpu_float and torch.backends.mkldnn.enabled and _onednn_linear() is not None):
        return torch.bmm(a, b) if bias is None else torch.baddbmm(bias.unsqueeze(1), a, b)
    outs = [mm(a[r], b[r], None if bias is None else bias[r]) for r in range(len(a))]
    return outs[0].unsqueeze(0) if len(outs) == 1 else torch.stack(outs)


def input_bias(cell: str, bias: Tensor) -> Tensor:
    """(R, G·H) added to x·W: the bias, and for GRU also the recurrent bias of z and r (outside r·(...))."""
    if cell != "gru":
        return bias
    units = bias.shape[-1] // 3
    return bias[:, 0] + torch.cat([bias[:, 1, : 2 * units], bias.new_zeros((len(bias), units))], 1)


class _Projection(torch.autograd.Function):
    """x·W + b for every step at once: x (R, T, B, I), kernel (R, I, N), bias (R, N) → (R, T, B, N)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, kernel: Tensor, bias: Tensor) -> Tensor:
        n_rep, n_t, n_b, n_in = x.shape
        ctx.save_for_backward(x, kernel)
        xw = _matmul(x.reshape(n_rep, n_t * n_b, n_in), kernel, bias)  # (R, T·B, N)
        return xw.view(n_rep, n_t, n_b, -1)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, d_xw: Tensor) -> tuple[Tensor | None, ...]:
        x, kernel = ctx.saved_tensors
        n_rep, n_t, n_b, n_in = x.shape
        rows = d_xw.reshape(n_rep, n_t * n_b, -1)  # (R, T·B, N)
        need_x, need_w, need_b = ctx.needs_input_grad
        d_x = _matmul(rows, kernel.transpose(1, 2)).view(n_rep, n_t, n_b, n_in) if need_x else None
        d_w = None
        if need_w:
            x_rows = x.reshape(n_rep, n_t * n_b, n_in)
            d_w = _matmul(rows.transpose(1, 2), x_rows).transpose(1, 2).contiguous()  # (R, I, N)
        return d_x, d_w, rows.sum(1) if need_b else None


class _Recurrence(torch.autograd.Function):
    """The time loops over projected inputs xw (R, T, B, G·H); differentiable in xw, U and GRU's b_rh."""

    @staticmethod
    def forward(
        ctx: Any,
        xw: Tensor,
        recurrent_kernel: Tensor,
        bias: Tensor,
        cell: str,
        go_backwards: bool,
        return_sequences: bool,
    ) -> Tensor:
        n_rep, n_t, n_b, gh = xw.shape
        units = recurrent_kernel.shape[1]
        # GRU's loop writes b_rh into xw's candidate block: never into the caller's tensor.
        xw = xw.clone() if cell == "gru" else xw.contiguous()
        hbuf = xw.new_zeros((n_rep, n_t + 1, n_b, units))  # states
        saved = LOOPS[cell][0](xw, recurrent_kernel, bias, go_backwards, hbuf)
        ctx.save_for_backward(recurrent_kernel, hbuf, *saved)
        ctx.cell, ctx.go_backwards, ctx.return_sequences = cell, go_backwards, return_sequences
        ctx.bias_shape = bias.shape
        if return_sequences:
            return after(hbuf, go_backwards).contiguous()  # (R, T, B, H)
        return hbuf[:, 0 if go_backwards else n_t].contiguous()  # (R, B, H): the last step's output

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, dy: Tensor) -> tuple[Tensor | None, ...]:
        u, hbuf, *saved = ctx.saved_tensors
        n_rep, n_t1, n_b, units = hbuf.shape
        n_t, gh = n_t1 - 1, u.shape[2]
        reverse = ctx.go_backwards
        if ctx.return_sequences:
            dy_steps = dy.contiguous()  # (R, T, B, H)
        else:
            dy_steps = dy.new_zeros((n_rep, n_t, n_b, units))
            dy_steps[:, 0 if reverse else -1] = dy  # only the last step's output is used
        da, dxw = LOOPS[ctx.cell][1](dy_steps, u, reverse, hbuf, saved)  # (R, T, B, G·H) each
        need_xw, need_u, need_b = ctx.needs_input_grad[:3]
        d_u = d_b = None
        if need_u:
            h_in = before(hbuf, reverse).reshape(n_rep, n_t * n_b, units)  # a view: T and B merge
            d_u = torch.bmm(h_in.transpose(1, 2), da.view(n_rep, n_t * n_b, gh))  # (R, H, G·H)
        if need_b and ctx.cell == "gru":  # b_rh, inside r·(h·U_h + b_rh); the rest of b acts through xw
            d_b = dy.new_zeros(ctx.bias_shape)  # (R, 2, 3H)
            d_b[:, 1, 2 * units :] = da[..., 2 * units :].sum((1, 2))
        return dxw if need_xw else None, d_u, d_b, None, None, None


def projection(x: Tensor, kernel: Tensor, bias: Tensor) -> Tensor:
    """x·W + b for a whole sequence as one autograd node: (R, T, B, I) → (R, T, B, N)."""
    out: Tensor = _Projection.apply(x, kernel, bias)
    return out


def recurrence_projected(
    cell: str,
    xw: Tensor,
    recurrent_kernel: Tensor,
    bias: Tensor,
    *,
    go_backwards: bool = False,
    return_sequences: bool = False,
) -> Tensor:
    """The recurrence of a Keras layer given its projected inputs xw = x·W + ``input_bias(cell, bias)``,
    (R, T, B, G·H), as one autograd node. Returns what ``recurrence`` returns."""
    if cell not in LOOPS:
        raise ValueError(f"cell must be one of {sorted(LOOPS)}; got {cell!r}")
    out: Tensor = _Recurrence.apply(xw, recurrent_kernel, bias, cell, go_backwards, return_sequences)
    return out


def recurrence(
    cell: str,
    x: Tensor,
    kernel: Tensor,
    recurrent_kernel: Tensor,
    bias: Tensor,
    *,
    go_backwards: bool = False,
    return_sequences: bool = False,
) -> Tensor:
    """A Keras recurrent layer without mask or dropout over a whole sequence: two autograd nodes, the
    input projection of all steps and the time loops.

    x (R, T, B, I); kernel (R, I, G·H); recurrent_kernel (R, H, G·H); bias (R, G·H), or (R, 2, 3H) for
    GRU. Returns (R, T, B, H) in input time order if ``return_sequences``, else the last output (R, B, H).
    """
    if cell not in LOOPS:
        raise ValueError(f"cell must be one of {sorted(LOOPS)}; got {cell!r}")
    xw = projection(x, kernel, input_bias(cell, bias))
    return recurrence_projected(
        cell, xw, recurrent_kernel, bias, go_backwards=go_backwards, return_sequences=return_sequences
    )
