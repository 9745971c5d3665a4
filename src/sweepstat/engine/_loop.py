"""The training loop: R replicas of one model, each with its own seed, trained in one program.

Per update, every replica takes its own minibatch (``BatchOrder``), its own dropout masks, and the
gradient of its own mean loss (the replica losses are summed, so no gradient crosses replicas). Nothing
is copied to the host between evaluations: losses, correct counts and the first non-finite update are
accumulated on the device and read once per interval.

A replica stops alone. A non-finite training loss (or evaluation loss) marks it DIVERGED at that update;
early stopping ends it as COMPLETE. A stopped replica is frozen: its learning rate becomes 0 and its
optimizer state is zeroed, so its parameters no longer move, while the others go on. It still rides
along in the stacked tensors (its arithmetic is wasted, not harmful: nothing mixes replicas).
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable, Sequence

import numpy as np
import torch

from sweepstat.data import PreparedData
from sweepstat.engine._batches import BatchOrder, dropout_generators
from sweepstat.engine._early_stopping import ReplicaEarlyStopping
from sweepstat.engine._evaluate import evaluate
from sweepstat.engine._losses import correct, replica_losses
from sweepstat.engine._memory import peak_gpu_bytes, peak_rss_bytes, reset_peak_gpu, reset_peak_rss
from sweepstat.engine._optimizers import build_optimizer, clip_gradients
from sweepstat.engine._records import EpochRecord, RunResult, RunState
from sweepstat.engine._schedule import lr_factor
from sweepstat.models import Embedding, ReplicatedModel
from sweepstat.spec._train import ConstantPolicy, TrainSpec

# on_progress(iterations_done, iterations_total), called after every evaluation.
EVAL_VALUES = 2**17
Progress = Callable[[int, int], None]


def _tensor(a: np.ndarray, device: torch.device) -> torch.Tensor:
    # A copy only where needed: torch shares memory with the array and wants it contiguous and writable
    # (arrays loaded from a cache may be read-only).
    return torch.from_numpy(np.require(a, requirements=["C", "W"])).to(device)


class _Group:
    """The state of R replicas in training; what is here survives an exception for the results."""

    def __init__(
        self,
        model: ReplicatedModel,
        spec: TrainSpec,
        evaluated_on: str,
        base_lrs: Sequence[float],
        device: torch.device,
        rss_scope: str,
        on_progress: Progress | None = None,
    ):
        self.model, self.spec, self.device = model, spec, device
        self.on_progress = on_progress
        self.evaluated_on, self.rss_scope = evaluated_on, rss_scope
        n_rep = model.n_replicas
        self.base_lrs = [float(x) for x in base_lrs]
        self.running = [True] * n_rep
        self.states = [RunState.RUNNING] * n_rep
        self.records: list[list[EpochRecord]] = [[] for _ in range(n_rep)]
        self.final_index: list[int | None] = [None] * n_rep
        self.stopped_epoch: list[int | None] = [None] * n_rep
        self.diverged: list[tuple[int, int] | None] = [None] * n_rep  # (epoch, iteration)
        self.t_begin = self.t_start = time.perf_counter()  # the run's start; training's start (run())

    def prepare(self, data: PreparedData) -> None:
        """Model, optimizer and data on the device (may raise: it is part of the run)."""
        spec, model, device = self.spec, self.model, self.device
        model.to(device).train()
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = build_optimizer(spec.optimizer, self.params)
        for module in model.modules():  # tables updated row-wise are brought up to date before a lookup
            if isinstance(module, Embedding) and module.weight.requires_grad:
                module.row_hook = self.optimizer.row_hook(module.weight)
        self.lr_base = torch.tensor(self.base_lrs, dtype=self.params[0].dtype, device=device)  # (R,)
        self.early = (
            [ReplicaEarlyStopping(spec.early_stopping, self.params, r) for r in range(model.n_replicas)]
            if spec.early_stopping is not None
            else None
        )
        self.x_train = _tensor(data.train.x, device)  # (N, ...)
        self.y_train = _tensor(data.train.y, device).long()  # (N,)
        self.x_test, self.y_test = _tensor(data.test.x, device), _tensor(data.test.y, device).long()
        # Examples per evaluation pass when the spec leaves it open: about EVAL_VALUES input values for
        # all replicas together, at least one training batch (every pass has a fixed cost).
        per_example = max(1, int(np.prod(data.train.x.shape[1:])) * model.n_replicas)
        self._eval_chunk = max(spec.batch_size, EVAL_VALUES // per_example)
        if self.evaluated_on == "val" and data.val is not None:
            self.x_val, self.y_val = _tensor(data.val.x, device), _tensor(data.val.y, device).long()
        elif self.evaluated_on == "test":
            self.x_val, self.y_val = self.x_test, self.y_test
        else:
            raise ValueError(
                f"evaluated_on must be 'val' (with a val split) or 'test'; got {self.evaluated_on!r}"
            )

    def freeze(self, r: int) -> None:
        """Stop replica r's updates: learning rate 0 and optimizer state zeroed."""
        self.running[r] = False
        self.lr_base[r] = 0.0
        self.optimizer.reset_replica(r)

    def run(self) -> None:
        spec, model, dev = self.spec, self.model, self.device
        n_rep = model.n_replicas
        order = BatchOrder(model.seeds, len(self.y_train), spec.batch_size, spec.shuffle)
        per_epoch = order.n_batches
        total = spec.iterations if spec.iterations is not None else (spec.epochs or 0) * per_epoch
        gens = dropout_generators(model.seeds, dev)
        constant_lr = isinstance(spec.lr_policy, ConstantPolicy)
        clipping = spec.clip_norm is not None or spec.clip_value is not None

        loss_sum = torch.zeros(n_rep, dtype=torch.float64, device=dev)  # Σ batch mean × batch size
        n_correct = torch.zeros(n_rep, dtype=torch.int64, device=dev)
        bad_at = torch.full((n_rep,), -1, dtype=torch.int64, device=dev)  # first non-finite update
        self.t_start = time.perf_counter()
        interval = _Interval(self.t_start)
        it = 0
        while it < total and any(self.running):
            epoch = it // per_epoch + 1
            perm = _tensor(order.epoch_indices(), dev)  # (R, N)
            for k in range(per_epoch):
                if it >= total:
                    break
                start, stop = order.bounds(k)
                idx = perm[:, start:stop]  # (R, b)
                xb, yb = self.x_train[idx], self.y_train[idx]  # (R, b, ...), (R, b)
                factor = 1.0 if constant_lr else lr_factor(spec.lr_policy, it)
                lr = self.lr_base if constant_lr else self.lr_base * factor  # (R,)
                logits = model(xb, generator=gens)  # (R, b, C)
                losses = replica_losses(logits, yb)  # (R,)
                grads = list(torch.autograd.grad(losses.sum(), self.params, materialize_grads=True))
                if clipping:
                    grads = clip_gradients(grads, spec.clip_norm, spec.clip_value)
                self.optimizer.step(grads, lr)
                with torch.no_grad():
                    loss_sum.add_(losses.detach(), alpha=stop - start)
                    n_correct.add_(correct(logits.detach(), yb))
                    bad_at.masked_fill_((bad_at < 0) & ~torch.isfinite(losses.detach()), it + 1)
                it += 1
                interval.add(stop - start, factor)
                if (
                    (spec.eval_every is not None and it % spec.eval_every == 0)
                    or (spec.eval_every is None and k == per_epoch - 1)
                    or it == total
                ):
                    self._evaluate(interval, epoch, it, per_epoch, loss_sum, n_correct, bad_at)
                    if self.on_progress is not None:
                        self.on_progress(it, total)
                    loss_sum.zero_()
                    n_correct.zero_()
                    bad_at.fill_(-1)
                    interval = _Interval(time.perf_counter())
                    if not any(self.running):
                        break
        for r in range(n_rep):
            if self.running[r]:
                self._finish(r)

    def _evaluate(
        self,
        interval: _Interval,
        epoch: int,
        it: int,
        per_epoch: int,
        loss_sum: torch.Tensor,
        n_correct: torch.Tensor,
        bad_at: torch.Tensor,
    ) -> None:
        self.optimizer.flush()  # every parameter up to date before evaluation and early-stopping snapshots
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        t_trained = time.perf_counter()
        bs = self.spec.eval_batch_size or self._eval_chunk
        val = evaluate(self.model, self.x_val, self.y_val, bs)
        test = val if self.evaluated_on == "test" else evaluate(self.model, self.x_test, self.y_test, bs)
        stats = (
            torch.stack(
                [
                    loss_sum / interval.n_seen,
                    n_correct.double() / interval.n_seen,
                    *val,
                    *test,
                    bad_at.double(),
                ]
            )
            .cpu()
            .tolist()
        )  # the interval's one host sync
        t_end = time.perf_counter()
        train_loss, train_acc, val_loss, val_acc, test_loss, test_acc, bad = stats
        train_s, eval_s = t_trained - interval.t_start, t_end - t_trained
        for r in range(self.model.n_replicas):
            if not self.running[r]:
                continue
            losses = (train_loss[r], val_loss[r], test_loss[r])
            if bad[r] >= 0 or not all(math.isfinite(v) for v in losses):
                where = int(bad[r]) if bad[r] >= 0 else it
                self.diverged[r] = ((where - 1) // per_epoch + 1, where)
                self.states[r] = RunState.DIVERGED
                self.freeze(r)
                continue
            record = EpochRecord(
                epoch=epoch,
                iteration=it,
                train_loss=train_loss[r],
                train_accuracy=train_acc[r],
                eval_loss=val_loss[r],
                eval_accuracy=val_acc[r],
                test_loss=test_loss[r],
                test_accuracy=test_acc[r],
                lr=self.base_lrs[r] * interval.last_factor,
                wall_seconds=t_end - self.t_start,
                interval_seconds=t_end - interval.t_start,
                train_seconds=train_s,
                eval_seconds=eval_s,
                ms_per_100_iterations=1e5 * train_s / interval.n_steps,
            )
            self.records[r].append(record)
            if self.early is not None and self.early[r].update(record.metric(self.early[r].spec.monitor)):
                self.stopped_epoch[r] = epoch
                self._finish(r)

    def _finish(self, r: int) -> None:
        """Replica r ends well: best weights back if early stopping keeps them, then frozen."""
        self.states[r] = RunState.COMPLETE
        self.optimizer.flush()
        if self.early is not None and self.early[r].restore():
            self.final_index[r] = self.early[r].best_index
        self.freeze(r)

    def results(self, error: BaseException | None = None) -> list[RunResult]:
        """One RunResult per replica; ``error`` marks every replica still training as FAILED."""
        message = f"{type(error).__name__}: {error}" if error is not None else None
        trace = "".join(traceback.format_exception(error)) if error is not None else None
        t_total = time.perf_counter() - self.t_begin
        out = []
        for r, seed in enumerate(self.model.seeds):
            records = tuple(self.records[r])
            state = self.states[r]
            if state == RunState.RUNNING:
                state = RunState.FAILED
            final_index = self.final_index[r]
            final = records[final_index if final_index is not None else -1] if records else None
            best = min(records, key=lambda rec: rec.eval_loss) if records else None
            diverged = self.diverged[r]
            out.append(
                RunResult(
                    seed=seed,
                    state=state,
                    curves=records,
                    final=final,
                    best=best,
                    n_params=self.model.count_params(),
                    n_replicas=self.model.n_replicas,
                    base_lr=self.base_lrs[r],
                    evaluated_on=self.evaluated_on,
                    device=str(self.device),
                    total_seconds=t_total,
                    peak_rss_bytes=peak_rss_bytes(),
                    peak_rss_scope=self.rss_scope,
                    peak_gpu_bytes=peak_gpu_bytes(self.device),
                    stopped_epoch=self.stopped_epoch[r],
                    diverged_at=diverged[0] if diverged else None,
                    diverged_iteration=diverged[1] if diverged else None,
                    error=message if state == RunState.FAILED else None,
                    traceback=trace if state == RunState.FAILED else None,
                )
            )
        return out


class _Interval:
    """Counts of the evaluation interval in progress."""

    def __init__(self, t_start: float):
        self.t_start = t_start
        self.n_steps = 0
        self.n_seen = 0
        self.last_factor = 1.0

    def add(self, batch: int, factor: float) -> None:
        self.n_steps += 1
        self.n_seen += batch
        self.last_factor = factor


def train_group(
    model: ReplicatedModel,
    spec: TrainSpec,
    data: PreparedData,
    *,
    evaluated_on: str,
    base_lrs: Sequence[float],
    device: torch.device,
    on_progress: Progress | None = None,
) -> list[RunResult]:
    """Train ``model``'s replicas in place; one RunResult per replica, in the order of ``model.seeds``.

    ``on_progress(iterations_done, iterations_total)`` is called after every evaluation (for progress
    displays; it must be cheap).

    Inputs are assumed checked (``train_replicas`` does it). An exception inside training becomes FAILED
    for every replica still training, with the records so far; KeyboardInterrupt propagates.
    """
    group = _Group(model, spec, evaluated_on, base_lrs, device, reset_peak_rss(), on_progress)
    reset_peak_gpu(device)
    try:
        group.prepare(data)
        group.run()
    except Exception as err:  # failures are data (STYLE.md); KeyboardInterrupt is not an Exception
        return group.results(err)
    finally:
        for module in model.modules():  # the optimizer's hooks end with the training
            if isinstance(module, Embedding):
                module.row_hook = None
    return group.results()
