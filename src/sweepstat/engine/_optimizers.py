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
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from sweepstat.spec._train import AdamSpec, RmspropSpec, SgdSpec


def _per_replica(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """(R,) → (R, 1, ..., 1), broadcastable against ``like`` (R, ...)."""
    return x.view(-1, *([1] * (like.dim() - 1)))


class StackedOptimizer:
    """An optimizer over parameters that share a leading replica axis R.

    ``iterations`` counts the updates done (Keras's ``optimizer.iterations``); every replica takes every
    update, so they share it. Subclasses keep their state as tensors shaped like the parameters.
    """

    def __init__(self, params: Sequence[torch.Tensor]):
        self.params = list(params)
        if not self.params:
            raise ValueError("an optimizer needs at least one parameter")
        n_rep = self.params[0].shape[0]
        if any(p.dim() == 0 or p.shape[0] != n_rep for p in self.params):
            raise ValueError("every parameter must have the same replica axis first")
        self.n_replicas = int(n_rep)
        self.iterations = 0

    def state(self) -> list[list[torch.Tensor]]:
        """The state tensors, one list per kind (e.g. Adam's momentums, velocities)."""
        return []

    @torch.no_grad()
    def reset_replica(self, replica: int) -> None:
        """Zero replica ``replica``'s state: with learning rate 0 from then on, its parameters stay put."""
        for kind in self.state():
            for s in kind:
                s[replica].zero_()

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor], lr: torch.Tensor) -> None:
        """Apply one update. ``grads`` match ``params``; ``lr`` is (R,) on the parameters' device."""
        if lr.shape != (self.n_replicas,):
            raise ValueError(f"lr must have shape ({self.n_replicas},); got {tuple(lr.shape)}")
        self._update(list(grads), lr)
        self.iterations += 1

    def _update(self, grads: list[torch.Tensor], lr: torch.Tensor) -> None:
        raise NotImplementedError


class Adam(StackedOptimizer):
    """Keras ``Adam`` (not amsgrad). With t = iterations + 1:
    alpha = lr·sqrt(1−β2^t)/(1−β1^t); m += (g−m)(1−β1); v += (g²−v)(1−β2); p −= alpha·m/(sqrt(v)+ε).
    """

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

    def state(self) -> list[list[torch.Tensor]]:
        return [self.momentums, self.velocities]

    def _update(self, grads: list[torch.Tensor], lr: torch.Tensor) -> None:
        t = self.iterations + 1
        b1, b2 = self.beta_1, self.beta_2
        if self.fused:
            self._fused_update(grads, lr, t)
            return
        correction = math.sqrt(1 - b2**t) / (1 - b1**t)
        alpha_all = lr * correction  # (R,)
        for p, g, m, v in zip(self.params, grads, self.momentums, self.velocities, strict=True):
            alpha = _per_replica(alpha_all, p)
            m.lerp_(g, 1 - b1)  # m + (g − m)(1 − β1): Keras's expression, term by term
            v.lerp_(g.square(), 1 - b2)
            p.sub_((m * alpha).div_(v.sqrt().add_(self.epsilon)))

    def _fused_update(self, grads: list[torch.Tensor], lr: torch.Tensor, t: int) -> None:
        self._step.fill_(t)
        eps = self.epsilon / math.sqrt(1 - self.beta_2**t)  # Keras's ε, moved inside torch's correction
        # One call per replica, on its slices: replica r is then updated by exactly the arithmetic of a
        # one-replica run (the kernel's vector/scalar split depends on the length it is given), and a
        # replica with rate 0 is skipped.
        for r, rate in enumerate(lr.tolist()):
            if rate == 0:
                continue
            torch._fused_adam_(
                [p[r] for p in self.params],
                [g[r] for g in grads],
                [m[r] for m in self.momentums],
                [v[r] for v in self.velocities],
                [],
                [self._step] * len(self.params),
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

    def __init__(self, params: Sequence[torch.Tensor], rho: float = 0.9, epsilon: float = 1e-7):
        super().__init__(params)
        self.rho, self.epsilon = rho, epsilon
        self.velocities = [torch.zeros_like(p) for p in self.params]

    def state(self) -> list[list[torch.Tensor]]:
        return [self.velocities]

    def _update(self, grads: list[torch.Tensor], lr: torch.Tensor) -> None:
        rho = self.rho
        for p, g, v in zip(self.params, grads, self.velocities, strict=True):
            v.mul_(rho).add_(g.square().mul_(1 - rho))
            p.sub_((g * _per_replica(lr, p)).div_(v.add(self.epsilon).sqrt_()))


class SGD(StackedOptimizer):
    """Keras ``SGD``: m = μ·m − lr·g; p += m, or p += μ·m − lr·g with Nesterov; p −= lr·g when μ = 0.

    ``weight_decay`` is Caffe's: g ← g + wd·p before the update (Caffe ``Regularize``, L2). With a
    changing learning rate the velocity carries the rates it was built with, as in Keras and Caffe
    (torch.optim.SGD multiplies the whole velocity by the current rate instead).
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

    def state(self) -> list[list[torch.Tensor]]:
        return [self.velocities]

    def _update(self, grads: list[torch.Tensor], lr: torch.Tensor) -> None:
        mu = self.momentum
        for k, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            if self.weight_decay:
                g = g.add(p, alpha=self.weight_decay)
            step = g * _per_replica(lr, p)  # lr·g
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
    element to [−clip_value, clip_value]. Returns new tensors; with neither set, ``grads`` as they are."""
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
