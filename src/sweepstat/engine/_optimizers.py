"""Keras 3 optimizers over stacked parameters: every tensor is ``(R, ...)``, one learning rate per replica.

The update formulas are Keras's ``update_step`` (keras/src/optimizers/adam.py, rmsprop.py, sgd.py), applied
to each variable; ``step`` takes the learning rates as an ``(R,)`` tensor, so replicas may train with
different rates in one program, and a replica given rate 0 (after ``reset_replica``) does not move.
Gradient clipping follows keras/src/optimizers/base_optimizer.py (``clipnorm``: each variable by its own
norm; ``clipvalue``: each element), per replica.

Adam on CPU runs through PyTorch's fused Adam kernel (``torch._fused_adam_``, the kernel behind
``torch.optim.Adam(fused=True)``): one pass over parameter, gradient and both moments instead of about
five, which matters for the dense ``(R, V, E)`` embedding update (R=8, V=3000, E=400, one thread: about
8 ms fused against 32 ms plain; ``benchmarks/engine_step.py`` prints both). That kernel places ε as torch
does, ``sqrt(v)/sqrt(1−β2^t) + ε``; passing ``ε/sqrt(1−β2^t)`` makes it Keras's ``alpha·m/(sqrt(v) + ε)``
exactly (in real arithmetic; rounding differs in the last bits: tests pin both paths to a numpy
transcription of Keras, and to each other). ``fused=False`` uses the plain formulas.

Gradient rows. A parameter may receive its gradient as a sparse COO tensor of rows (the embedding
table's, from ``models/_projection.py``: indices (2, U) = replica, row; values (U, E)). Keras still
updates every row at every step (the moments of unused rows decay and move them), and so does sweepstat,
but lazily: Adam and RMSprop keep, per row, the step it is up to date with, and bring a row up to date
when it is read (``row_hook``, called by the model before a lookup) or given a gradient, by replaying the
missed steps with g = 0 in C++ (``_sparse_cpu.cpp``); ``flush`` brings every row up to date, and the
training loop calls it before anything reads the whole table (evaluation, early-stopping snapshots, the
end). Results are the bits of the dense update written in the same operations; only the memory traffic
shrinks, from the whole table per step to the rows used. Without the C++ build, on other devices, and
for SGD, a gradient of rows is made dense and takes the ordinary update.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

from sweepstat._native import cpu_kernels
from sweepstat.spec._train import AdamSpec, RmspropSpec, SgdSpec

Tensor = torch.Tensor


def _native() -> Any:
    """The C++ module; only called where ``_can_use_rows`` saw it built."""
    module = cpu_kernels()
    if module is None:
        raise RuntimeError("sweepstat's C++ kernels are not built")
    return module


def _per_replica(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """(R,) → (R, 1, ..., 1), broadcastable against ``like`` (R, ...)."""
    return x.view(-1, *([1] * (like.dim() - 1)))


class StackedOptimizer:
    """An optimizer over parameters that share a leading replica axis R.

    ``iterations`` counts the updates done (Keras's ``optimizer.iterations``); every replica takes every
    update, so they share it. Subclasses keep their state as tensors shaped like the parameters, and may
    support gradient rows (module docstring) by implementing ``_rows``.
    """

    supports_rows = False

    def __init__(self, params: Sequence[torch.Tensor]):
        self.params = list(params)
        if not self.params:
            raise ValueError("an optimizer needs at least one parameter")
        n_rep = self.params[0].shape[0]
        if any(p.dim() == 0 or p.shape[0] != n_rep for p in self.params):
            raise ValueError("every parameter must have the same replica axis first")
        self.n_replicas = int(n_rep)
        self.iterations = 0
        # Row-wise state of parameters that got gradient rows: index → the step each row is up to date
        # with, (R·V,) int64 over the parameter viewed as (R·V, E).
        self._last: dict[int, Tensor] = {}
        self._frozen = torch.zeros(self.n_replicas, dtype=torch.uint8)  # replicas never updated again

    def state(self) -> list[list[torch.Tensor]]:
        """The state tensors, one list per kind (e.g. Adam's momentums, velocities)."""
        return []

    @torch.no_grad()
    def reset_replica(self, replica: int) -> None:
        """Zero replica ``replica``'s state: with learning rate 0 from then on, its parameters stay put.

        Its rows are brought up to date first; from then on the row-wise updates skip it."""
        self.flush()
        self._frozen[replica] = 1
        for kind in self.state():
            for s in kind:
                s[replica].zero_()

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor], lr: torch.Tensor) -> None:
        """Apply one update. ``grads`` match ``params`` (dense, or sparse rows); ``lr`` is (R,) on the
        parameters' device."""
        if lr.shape != (self.n_replicas,):
            raise ValueError(f"lr must have shape ({self.n_replicas},); got {tuple(lr.shape)}")
        t = self.iterations + 1
        self._before_step(lr, t)
        dense: list[int] = []
        dense_grads: list[Tensor] = []
        for i, g in enumerate(grads):
            if g.is_sparse and self._can_use_rows(self.params[i]):
                self._rows(i, g.coalesce(), lr, t)
                continue
            if g.is_sparse:
                g = g.to_dense()
            if i in self._last:  # once dense, always dense: bring its rows up to date, then forget them
                self._catch_up(i, None, t - 1)
                del self._last[i]
            dense.append(i)
            dense_grads.append(g)
        if dense:
            self._update(dense, dense_grads, lr)
        self.iterations = t

    def flush(self) -> None:
        """Bring every row of every row-wise parameter up to date with ``iterations``."""
        for i in self._last:
            self._catch_up(i, None, self.iterations)

    def row_hook(self, param: Tensor) -> Callable[[Tensor], None]:
        """A function that brings the rows ``ids`` (int64 row ids r·V + i of ``param`` viewed as (R·V, E))
        up to date; models call it before they read those rows. A no-op while ``param`` has no row-wise
        state."""
        index = next((i for i, p in enumerate(self.params) if p is param), None)
        if index is None:
            raise ValueError("row_hook: the tensor is not one of this optimizer's parameters")

        def hook(ids: Tensor) -> None:
            if index in self._last:
                self._catch_up(index, ids, self.iterations)

        return hook

    def _can_use_rows(self, p: Tensor) -> bool:
        return (
            self.supports_rows
            and p.dim() == 3
            and p.device.type == "cpu"
            and p.dtype in (torch.float32, torch.float64)
            and p.is_contiguous()
            and cpu_kernels() is not None
        )

    def _row_state(self, i: int, t: int) -> Tensor:
        """Row-wise bookkeeping of parameter i, created at its first gradient rows (step t)."""
        if i not in self._last:
            p = self.params[i]
            self._last[i] = torch.full((p.shape[0] * p.shape[1],), t - 1, dtype=torch.int64)
        return self._last[i]

    def _catch_up(self, i: int, ids: Tensor | None, upto: int) -> None:
        """Replay the missed steps (g = 0) of rows ``ids`` (None: all) of parameter i, up to step ``upto``."""
        last = self._last[i]
        if ids is None:
            ids = torch.nonzero(last < upto).flatten()
            if ids.numel() == 0:
                return
        self._rows_kernel(i, ids, None, None, upto)

    def _rows(self, i: int, g: Tensor, lr: Tensor, t: int) -> None:
        """Step t for parameter i from gradient rows ``g`` (coalesced COO: indices (2, U), values (U, E))."""
        self._row_state(i, t)
        p = self.params[i]
        idx = g.indices()
        ids = (idx[0] * p.shape[1] + idx[1]).contiguous()
        self._rows_kernel(i, ids, g.values().contiguous(), lr, t)

    def _rows_kernel(self, i: int, ids: Tensor, values: Tensor | None, lr: Tensor | None, upto: int) -> None:
        raise NotImplementedError

    def _before_step(self, lr: Tensor, t: int) -> None:
        """Called at the start of every step (e.g. to record what the row-wise replay needs)."""

    def _update(self, indices: list[int], grads: list[torch.Tensor], lr: torch.Tensor) -> None:
        """The dense update of parameters ``indices`` with ``grads`` (in that order)."""
        raise NotImplementedError


class Adam(StackedOptimizer):
    """Keras ``Adam`` (not amsgrad). With t = iterations + 1:
    alpha = lr·sqrt(1−β2^t)/(1−β1^t); m += (g−m)(1−β1); v += (g²−v)(1−β2); p −= alpha·m/(sqrt(v)+ε).
    """

    supports_rows = True

    def __init__(
        self,
        params: Sequence[torch.Tensor],
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        fused: bool | None = None,
    ):
        super().__init__(params)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.momentums = [torch.zeros_like(p) for p in self.params]
        self.velocities = [torch.zeros_like(p) for p in self.params]
        can_fuse = hasattr(torch, "_fused_adam_") and all(
            p.device.type == "cpu" and p.dtype in (torch.float32, torch.float64) for p in self.params
        )
        self.fused = can_fuse if fused is None else fused and can_fuse
        self._step = torch.zeros((), dtype=torch.float32)  # the fused kernel reads t from a tensor
        p0 = self.params[0]
        # alpha of every step so far, per replica (column t − 1), for the row-wise replay; grows as needed
        self._alphas = torch.zeros((self.n_replicas, 64), dtype=p0.dtype, device=p0.device)

    def state(self) -> list[list[torch.Tensor]]:
        return [self.momentums, self.velocities]

    def _alpha(self, lr: Tensor, t: int) -> Tensor:
        return lr * (math.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t))  # (R,)

    def _before_step(self, lr: Tensor, t: int) -> None:
        if t > self._alphas.shape[1]:
            grown = self._alphas.new_zeros((self.n_replicas, 2 * self._alphas.shape[1]))
            grown[:, : self._alphas.shape[1]] = self._alphas
            self._alphas = grown
        self._alphas[:, t - 1] = self._alpha(lr, t)

    def _rows_kernel(self, i: int, ids: Tensor, values: Tensor | None, lr: Tensor | None, upto: int) -> None:
        p = self.params[i]
        n_rep, vocab = p.shape[:2]
        _native().adam_rows(
            p.view(n_rep * vocab, -1),
            self.momentums[i].view(n_rep * vocab, -1),
            self.velocities[i].view(n_rep * vocab, -1),
            self._last[i],
            self._alphas,
            ids,
            values if values is not None else p.new_empty(0),
            self._frozen,
            upto,
            vocab,
            1 - self.beta_1,
            1 - self.beta_2,
            self.epsilon,
        )

    def _update(self, indices: list[int], grads: list[torch.Tensor], lr: torch.Tensor) -> None:
        t = self.iterations + 1
        if self.fused:
            self._fused_update(indices, grads, lr, t)
            return
        alpha_all = self._alpha(lr, t)  # (R,)
        for i, g in zip(indices, grads, strict=True):
            p, m, v = self.params[i], self.momentums[i], self.velocities[i]
            alpha = _per_replica(alpha_all, p)
            m.lerp_(g, 1 - self.beta_1)  # m + (g − m)(1 − β1): Keras's expression, term by term
            v.lerp_(g.square(), 1 - self.beta_2)
            p.sub_((m * alpha).div_(v.sqrt().add_(self.epsilon)))

    def _fused_update(self, indices: list[int], grads: list[torch.Tensor], lr: torch.Tensor, t: int) -> None:
        self._step.fill_(t)
        eps = self.epsilon / math.sqrt(1 - self.beta_2**t)  # Keras's ε, moved inside torch's correction
        # One call per replica, on its slices: replica r is then updated by exactly the arithmetic of a
        # one-replica run (the kernel's vector/scalar split depends on the length it is given), and a
        # replica with rate 0 is skipped.
        for r, rate in enumerate(lr.tolist()):
            if rate == 0:
                continue
            torch._fused_adam_(
                [self.params[i][r] for i in indices],
                [g[r] for g in grads],
                [self.momentums[i][r] for i in indices],
                [self.velocities[i][r] for i in indices],
                [],
                [self._step] * len(indices),
                lr=rate,
                beta1=self.beta_1,
                beta2=self.beta_2,
                weight_decay=0.0,
                eps=eps,
                amsgrad=False,
                maximize=False,
            )


class RMSprop(StackedOptimizer):
    """Keras ``RMSprop`` (momentum 0, not centered): v = ρ·v + (1−ρ)·g²; p −= lr·g / sqrt(v + ε)."""

    supports_rows = True

    def __init__(self, params: Sequence[torch.Tensor], rho: float = 0.9, epsilon: float = 1e-7):
        super().__init__(params)
        self.rho, self.epsilon = rho, epsilon
        self.velocities = [torch.zeros_like(p) for p in self.params]

    def state(self) -> list[list[torch.Tensor]]:
        return [self.velocities]

    def _rows_kernel(self, i: int, ids: Tensor, values: Tensor | None, lr: Tensor | None, upto: int) -> None:
        p = self.params[i]
        n_rep, vocab = p.shape[:2]
        _native().rmsprop_rows(
            p.view(n_rep * vocab, -1),
            self.velocities[i].view(n_rep * vocab, -1),
            self._last[i],
            lr if lr is not None else p.new_zeros(n_rep),  # unused when only catching up
            ids,
            values if values is not None else p.new_empty(0),
            self._frozen,
            upto,
            vocab,
            self.rho,
            self.epsilon,
        )

    def _update(self, indices: list[int], grads: list[torch.Tensor], lr: torch.Tensor) -> None:
        rho = self.rho
        for i, g in zip(indices, grads, strict=True):
            p, v = self.params[i], self.velocities[i]
            v.mul_(rho).add_(g.square().mul_(1 - rho))
            p.sub_((g * _per_replica(lr, p)).div_(v.add(self.epsilon).sqrt_()))


class SGD(StackedOptimizer):
    """Keras ``SGD``: m = μ·m − lr·g; p += m, or p += μ·m − lr·g with Nesterov; p −= lr·g when μ = 0.

    ``weight_decay`` is Caffe's: g ← g + wd·p before the update (Caffe ``Regularize``, L2). With a
    changing learning rate the velocity carries the rates it was built with, as in Keras and Caffe
    (torch.optim.SGD multiplies the whole velocity by the current rate instead). Gradient rows are made
    dense (with momentum or weight decay every row moves at every step anyway).
    """

    def __init__(
        self,
        params: Sequence[torch.Tensor],
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ):
        super().__init__(params)
        self.momentum, self.nesterov, self.weight_decay = momentum, nesterov, weight_decay
        self.velocities = [torch.zeros_like(p) for p in self.params] if momentum != 0 else []
        self._scratch: dict[int, Tensor] = {}

    def state(self) -> list[list[torch.Tensor]]:
        return [self.velocities]

    def _update(self, indices: list[int], grads: list[torch.Tensor], lr: torch.Tensor) -> None:
        mu = self.momentum
        for k, g in zip(indices, grads, strict=True):
            p = self.params[k]
            if k not in self._scratch:  # one buffer per parameter, reused at every step
                self._scratch[k] = torch.empty_like(p)
            step = self._scratch[k]
            if self.weight_decay:
                torch.add(g, p, alpha=self.weight_decay, out=step)
                step.mul_(_per_replica(lr, p))  # lr·(g + wd·p)
            else:
                torch.mul(g, _per_replica(lr, p), out=step)  # lr·g
            if mu == 0:
                p.sub_(step)
                continue
            m = self.velocities[k]
            m.mul_(mu).sub_(step)
            if self.nesterov:
                p.add_(m * mu - step)
            else:
                p.add_(m)


def build_optimizer(
    spec: AdamSpec | RmspropSpec | SgdSpec, params: Sequence[torch.Tensor], fused: bool | None = None
) -> StackedOptimizer:
    """The optimizer ``spec`` names, over ``params``; the learning rate comes with each ``step``."""
    if isinstance(spec, AdamSpec):
        return Adam(params, spec.beta_1, spec.beta_2, spec.epsilon, fused=fused)
    if isinstance(spec, RmspropSpec):
        return RMSprop(params, spec.rho, spec.epsilon)
    return SGD(params, spec.momentum, spec.nesterov, spec.weight_decay)


@torch.no_grad()
def clip_gradients(
    grads: Sequence[torch.Tensor], clip_norm: float | None = None, clip_value: float | None = None
) -> list[torch.Tensor]:
    """Keras's clipping, per replica: ``clip_norm`` scales each variable's gradient g (R, ...) of replica r
    by clip_norm / max(‖g_r‖, clip_norm) (so a zero gradient stays zero); ``clip_value`` clamps each
    element to [−clip_value, clip_value]. Returns new tensors; with neither set, ``grads`` as they are.
    Gradient rows (sparse) are made dense first when clipping."""
    if clip_norm is not None or clip_value is not None:
        grads = [g.to_dense() if g.is_sparse else g for g in grads]
    if clip_norm is not None:
        out = []
        for g in grads:
            norm = torch.linalg.vector_norm(g, dim=tuple(range(1, g.dim()))) if g.dim() > 1 else g.abs()
            denom = torch.clamp(norm, min=clip_norm)  # max(‖g‖, clip_norm); NaN stays NaN
            out.append(g.mul(clip_norm).div_(_per_replica(denom, g)))
        return out
    if clip_value is not None:
        return [g.clamp(-clip_value, clip_value) for g in grads]
    return list(grads)
