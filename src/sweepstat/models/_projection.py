"""Embedding lookup and a recurrent layer's input projection as one autograd node, over distinct tokens.

In ``Embedding → SimpleRNN / LSTM / GRU`` the recurrent layer's first act is x·W + b at every step, and
x is a row of the embedding table. A batch of B sentences of T steps holds far fewer distinct tokens than
B·T positions (seed 000: 32 × 46 = 1,472 positions, about 230 distinct tokens, most positions padding),
so the projection is computed once per distinct token and gathered to the positions:

    forward:  U = distinct (replica, token) pairs; rows = table[U] (U, E); P = rows·W + b (U, N);
              xw = P[inverse] (R, T, B, N)
    backward: dP = Σ of dxw over the positions of each token (index_add); dW = rowsᵀ·dP; db = Σ dP;
              d rows = dP·Wᵀ, returned as a sparse (R, V, E) gradient of U rows

The three GEMMs shrink from B·T rows to U rows. They go through ``torch.mm`` (MKL on CPU): U changes
from batch to batch, and oneDNN, faster for a fixed shape, builds a new kernel for every new shape. The gradient of the table is exact, only summed in
another order than position by position; it is sparse, as it really is: the optimizers apply it row-wise
with the semantics of a dense update (``engine/_optimizers.py``), and before reading the rows the node calls
``row_hook(ids)`` so that the optimizer can bring those rows up to date first.

Replicas never mix: the table is read as (R·V, E) with replica r's token i at row r·V + i, the distinct
rows of each replica form one contiguous run (the ids are sorted), and every GEMM is per replica on its
own run, so replica r computes exactly what a one-replica model would.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

import torch
from torch.autograd.function import once_differentiable

Tensor = torch.Tensor
RowHook = Callable[[Tensor], None]
enabled = True  # TextRnn takes this path where it applies; benchmarks/ablation.py turns it off to measure it


class _EmbeddedProjection(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any, idx: Tensor, table: Tensor, kernel: Tensor, bias: Tensor, row_hook: RowHook | None
    ) -> Tensor:
        n_rep, vocab, dim = table.shape
        base = torch.arange(n_rep + 1, device=idx.device) * vocab  # (R + 1,): where each replica's rows start
        flat = (idx + base[:n_rep].view(n_rep, *([1] * (idx.dim() - 1)))).reshape(-1)  # (R·T·B,)
        # Distinct rows by a presence map over the R·V rows, not a sort: O(R·T·B + R·V).
        present = torch.zeros(n_rep * vocab, dtype=torch.bool, device=idx.device)
        present[flat] = True
        ids = present.nonzero().flatten()  # (U,), sorted
        slot = torch.empty(n_rep * vocab, dtype=torch.int64, device=idx.device)
        slot[ids] = torch.arange(len(ids), device=idx.device)
        inverse = slot[flat]  # (R·T·B,): each position's row in ids
        if row_hook is not None:
            row_hook(ids)
        rows = table.view(n_rep * vocab, dim).index_select(0, ids)  # (U, E)
        bounds = torch.searchsorted(ids, base).tolist()  # replica r's rows: [bounds[r], bounds[r+1])
        proj = torch.cat(
            [torch.addmm(bias[r], rows[lo:hi], kernel[r]) for r, (lo, hi) in enumerate(pairwise(bounds))]
        )  # (U, N)
        ctx.save_for_backward(ids, inverse, rows, kernel)
        ctx.bounds, ctx.table_shape = bounds, table.shape
        return proj.index_select(0, inverse).view(*idx.shape, -1)  # (R, T, B, N)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, d_xw: Tensor) -> tuple[Tensor | None, ...]:
        ids, inverse, rows, kernel = ctx.saved_tensors
        n_rep, vocab, dim = ctx.table_shape
        bounds = ctx.bounds
        n_out = d_xw.shape[-1]
        d_proj = d_xw.new_zeros((len(ids), n_out)).index_add_(0, inverse, d_xw.reshape(-1, n_out))  # (U, N)
        spans = list(enumerate(pairwise(bounds)))
        _, need_table, need_w, need_b, _ = ctx.needs_input_grad
        d_table = d_w = d_b = None
        if need_table:
            d_rows = torch.cat([torch.mm(d_proj[lo:hi], kernel[r].t()) for r, (lo, hi) in spans])  # (U, E)
            where = torch.stack([torch.div(ids, vocab, rounding_mode="floor"), ids % vocab])  # (2, U)
            d_table = torch.sparse_coo_tensor(
                where, d_rows, (n_rep, vocab, dim), is_coalesced=True, check_invariants=False
            )  # (R, V, E), U rows
        if need_w:
            d_w = torch.stack([torch.mm(rows[lo:hi].t(), d_proj[lo:hi]) for _, (lo, hi) in spans])  # (R, E, N)
        if need_b:
            d_b = torch.stack([d_proj[lo:hi].sum(0) for _, (lo, hi) in spans])  # (R, N)
        return None, d_table, d_w, d_b, None


def embedded_projection(
    idx: Tensor, table: Tensor, kernel: Tensor, bias: Tensor, row_hook: RowHook | None = None
) -> Tensor:
    """``table[idx]·W + b`` per replica, computed once per distinct token (module docstring).

    idx (R, T, B) int64 in [0, V); table (R, V, E); kernel (R, E, N); bias (R, N) → (R, T, B, N). The
    gradient of ``table`` is a sparse COO tensor of the rows used. ``row_hook(ids)``, if given, is called
    with the sorted row ids r·V + i of the table viewed as (R·V, E) before they are read.
    """
    n_rep, vocab, _ = table.shape
    if idx.shape[0] != n_rep:
        raise ValueError(f"indices have {idx.shape[0]} replicas on axis 0; the table has {n_rep}")
    # An index ≥ V would silently read the next replica's table, so bounds are checked (asynchronously on
    # CUDA, no sync).
    torch._assert_async(((idx >= 0) & (idx < vocab)).all(), "token index outside [0, vocab_size)")
    out: Tensor = _EmbeddedProjection.apply(idx, table, kernel, bias, row_hook)
    return out
