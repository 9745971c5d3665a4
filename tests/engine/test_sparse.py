"""Gradient rows: the lazy (row-wise) Adam and RMSprop give the dense update's results.

A table (R, V, E) gets sparse gradients of a few rows per step. The lazy optimizer touches only those rows
(and brings rows up to date when read or flushed); the reference is the same kind of optimizer given the
same gradient as a dense tensor, every row updated at every step, as Keras does.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from sweepstat._native import cpu_kernels
from sweepstat.engine import Adam, RMSprop, StackedOptimizer

pytestmark = pytest.mark.skipif(cpu_kernels() is None, reason="needs sweepstat's C++ build")

R, V, E = 3, 11, 8


def sparse_rows(gen: torch.Generator, scale: float, dtype: torch.dtype) -> torch.Tensor:
    """A coalesced (R, V, E) COO gradient: 1–4 distinct rows per replica, random values."""
    where, values = [], []
    for r in range(R):
        rows = torch.randperm(V, generator=gen)[: int(torch.randint(1, 5, (1,), generator=gen))].sort().values
        for i in rows.tolist():
            where.append((r, i))
            values.append(torch.randn(E, generator=gen, dtype=dtype) * scale)
    idx = torch.tensor(where, dtype=torch.int64).t()
    return torch.sparse_coo_tensor(idx, torch.stack(values), (R, V, E), check_invariants=True).coalesce()


def train(
    make: Callable[[list[torch.Tensor]], StackedOptimizer],
    dense: bool,
    dtype: torch.dtype,
    steps: int = 12,
    read_every: int = 5,
    freeze_at: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor, StackedOptimizer]:
    gen = torch.Generator().manual_seed(0)
    table = torch.randn(R, V, E, generator=gen, dtype=dtype)
    bias = torch.randn(R, 4, generator=gen, dtype=dtype)
    opt = make([table, bias])
    hook = opt.row_hook(table)
    lr = torch.tensor([1e-3, 5e-2, 2e-2], dtype=dtype)
    for k in range(steps):
        g = sparse_rows(gen, 1e-6 if k % 3 == 0 else 1.0, dtype)  # tiny gradients where ε matters
        g_bias = torch.randn(R, 4, generator=gen, dtype=dtype)
        if k % read_every == 0:  # a model reading some rows mid-training
            hook(torch.tensor([0, V + 3, 2 * V + 10]))
        if freeze_at is not None and k == freeze_at:
            opt.reset_replica(1)
            lr = lr.clone()
            lr[1] = 0
        opt.step([g.to_dense() if dense else g, g_bias], lr * (1 + 0.1 * k))  # a changing rate, like `inv`
    opt.flush()
    return table, bias, opt


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", ["adam", "rmsprop"])
def test_lazy_rows_equal_the_plain_dense_update(name: str, dtype: torch.dtype) -> None:
    make: Callable[[list[torch.Tensor]], StackedOptimizer] = (
        (lambda ps: Adam(ps, fused=False)) if name == "adam" else (lambda ps: RMSprop(ps))
    )
    lazy_table, lazy_bias, opt = train(make, dense=False, dtype=dtype)
    dense_table, dense_bias, _ = train(make, dense=True, dtype=dtype)
    assert opt._last  # the rows really were updated row-wise
    rtol = 1e-12 if dtype == torch.float64 else 2e-6
    torch.testing.assert_close(lazy_table, dense_table, rtol=rtol, atol=rtol * 1e-2)
    torch.testing.assert_close(lazy_bias, dense_bias, rtol=0, atol=0)


@pytest.mark.parametrize("name", ["adam", "rmsprop"])
def test_lazy_rows_equal_every_row_every_step_bit_for_bit(name: str) -> None:
    """Replaying missed steps is the same arithmetic as stepping every row: give the C++ update every row
    (zero gradient rows included) at every step, and compare the bits."""

    def every_row(g: torch.Tensor) -> torch.Tensor:
        dense = g.to_dense()
        n_rep, vocab = dense.shape[:2]
        where = torch.stack(torch.meshgrid(torch.arange(n_rep), torch.arange(vocab), indexing="ij")).reshape(2, -1)
        return torch.sparse_coo_tensor(
            where, dense.reshape(-1, dense.shape[-1]), dense.shape, check_invariants=True
        ).coalesce()

    def make(ps: list[torch.Tensor]) -> StackedOptimizer:
        return Adam(ps) if name == "adam" else RMSprop(ps)

    lazy_table, _, _ = train(make, dense=False, dtype=torch.float32, freeze_at=7)
    gen = torch.Generator().manual_seed(0)
    table = torch.randn(R, V, E, generator=gen)
    bias = torch.randn(R, 4, generator=gen)
    opt = make([table, bias])
    lr = torch.tensor([1e-3, 5e-2, 2e-2])
    for k in range(12):
        g = sparse_rows(gen, 1e-6 if k % 3 == 0 else 1.0, torch.float32)
        g_bias = torch.randn(R, 4, generator=gen)
        if k == 7:
            opt.reset_replica(1)
            lr = lr.clone()
            lr[1] = 0
        opt.step([every_row(g), g_bias], lr * (1 + 0.1 * k))
    assert torch.equal(lazy_table, table)


def test_a_frozen_replica_stays_put_and_the_others_go_on() -> None:
    frozen_at_7, _, _ = train(lambda ps: Adam(ps), dense=False, dtype=torch.float32, freeze_at=7)
    stopped, _, _ = train(lambda ps: Adam(ps), dense=False, dtype=torch.float32, steps=7)
    never, _, _ = train(lambda ps: Adam(ps), dense=False, dtype=torch.float32)
    assert torch.equal(frozen_at_7[1], stopped[1])  # replica 1 kept its weights from step 7 on
    assert torch.equal(frozen_at_7[0], never[0]) and torch.equal(frozen_at_7[2], never[2])


def test_rows_are_brought_up_to_date_before_they_are_read() -> None:
    gen = torch.Generator().manual_seed(1)
    table = torch.randn(1, V, E, generator=gen)
    reference = table.clone()
    lazy, dense = Adam([table]), Adam([reference])
    hook = lazy.row_hook(table)
    lr = torch.tensor([1e-2])
    first = torch.sparse_coo_tensor(torch.tensor([[0], [2]]), torch.ones(1, E), (1, V, E), check_invariants=True)
    other = torch.sparse_coo_tensor(torch.tensor([[0], [5]]), torch.ones(1, E), (1, V, E), check_invariants=True)
    lazy.step([first], lr)
    dense.step([first.to_dense()], lr)
    for _ in range(3):  # row 2's moments keep moving it while other rows get the gradients
        lazy.step([other], lr)
        dense.step([other.to_dense()], lr)
    assert not torch.equal(table[0, 2], reference[0, 2])  # row 2 is behind until read
    hook(torch.tensor([2]))
    torch.testing.assert_close(table[0, 2], reference[0, 2], rtol=2e-6, atol=1e-9)


def test_a_dense_gradient_after_rows_flushes_them_first() -> None:
    gen = torch.Generator().manual_seed(2)
    table = torch.randn(R, V, E, generator=gen)
    reference = table.clone()
    lazy, dense = Adam([table], fused=False), Adam([reference], fused=False)
    lr = torch.tensor([1e-2, 1e-3, 3e-3])
    for k in range(6):
        g = sparse_rows(gen, 1.0, torch.float32)
        lazy.step([g if k < 3 else g.to_dense()], lr)
        dense.step([g.to_dense()], lr)
    assert not lazy._last  # the parameter went back to dense updates
    torch.testing.assert_close(table, reference, rtol=2e-6, atol=1e-9)


def test_sgd_takes_gradient_rows_as_dense() -> None:
    from sweepstat.engine import SGD

    gen = torch.Generator().manual_seed(3)
    table = torch.randn(R, V, E, generator=gen)
    reference = table.clone()
    g = sparse_rows(gen, 1.0, torch.float32)
    SGD([table], momentum=0.9).step([g], torch.tensor([0.1, 0.2, 0.3]))
    SGD([reference], momentum=0.9).step([g.to_dense()], torch.tensor([0.1, 0.2, 0.3]))
    assert torch.equal(table, reference)
