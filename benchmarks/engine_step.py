"""Time per training step of the seed-000 model in the engine, R=1 and R=8, against a plain PyTorch loop.

Model: Embedding(V, 400) → LSTM(16, whole sequence) → Flatten → Dense(1), binary cross-entropy, Adam
(Keras defaults), batch 32, T steps, on random token data. A step is everything the engine does per
update: gather the minibatch, forward, loss, backward, Adam update (dense over the embedding, as Keras),
and the on-device metric bookkeeping. The figure is the engine's own ``ms_per_100_iterations`` record
(training time only, evaluations excluded), median over the evaluation intervals after the first
(warm-up) and over the repetitions. "per replica-step" = step time / R: the figure to compare with one
run of the plain loop. The plain loop is what a user would write: nn.Embedding + nn.LSTM + nn.Linear,
torch.optim.Adam(eps=1e-7), one run, same thread count and process settings.

Run: .venv/bin/python benchmarks/engine_step.py [--threads 1] [--vocab 3000] [--maxlen 40] [--iterations 300]
     [--repeats 3] [--replicas 1 8] [--no-tune]
``tune_process(threads)`` is applied first (one thread, denormals flushed, glibc heap kept) unless
``--no-tune`` (then only the thread count is set).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from _peers import TorchLstm  # benchmarks/_peers.py (the script's own folder)

from sweepstat.data import PreparedData, Split
from sweepstat.engine import Adam, train_replicas, tune_process
from sweepstat.spec import validate
from sweepstat.spec._model import RnnModelSpec
from sweepstat.spec._train import TrainSpec


def synthetic_data(vocab: int, maxlen: int, n_train: int, n_test: int) -> PreparedData:
    rng = np.random.default_rng(0)

    def split(n: int) -> Split:
        return Split(
            x=rng.integers(1, vocab, size=(n, maxlen), dtype=np.int64),
            y=rng.integers(0, 2, size=n, dtype=np.int64),
        )

    return PreparedData("synthetic", split(n_train), split(n_test), None, vocab, maxlen, ("0", "1"))


def engine_ms_per_step(
    data: PreparedData, embedding: int, units: int, batch: int, n_rep: int, iterations: int, every: int
) -> list[float]:
    model = RnnModelSpec(embedding_dim=embedding, layers=({"type": "lstm", "units": units},), head="flatten")
    spec = validate(TrainSpec, {"batch_size": batch, "iterations": iterations, "eval_every": every}, "train")
    results = train_replicas(model, spec, data, list(range(n_rep)))
    if any(r.state != "COMPLETE" for r in results):
        raise RuntimeError(f"benchmark run did not complete: {results[0].error}")
    return [rec.ms_per_100_iterations / 100 for rec in results[0].curves[1:]]


def torch_ms_per_step(
    data: PreparedData, embedding: int, units: int, batch: int, iterations: int
) -> list[float]:
    """A plain PyTorch training loop; returns ms per step for each block of 100 steps after the first."""
    torch.manual_seed(0)
    model = TorchLstm(data.vocab_size, embedding, units, data.maxlen)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    x = torch.from_numpy(data.train.x)
    y = torch.from_numpy(data.train.y).float()
    n = len(y)
    order = torch.randperm(n)
    times, t0 = [], time.perf_counter()
    for k in range(iterations):
        idx = order[(k * batch) % n : (k * batch) % n + batch]
        opt.zero_grad(set_to_none=True)
        loss = F.binary_cross_entropy_with_logits(model(x[idx])[:, 0], y[idx])
        loss.backward()
        opt.step()
        if (k + 1) % 100 == 0:
            now = time.perf_counter()
            times.append((now - t0) * 1e3 / 100)
            t0 = now
    return times[1:]


def adam_update_ms(n_rep: int, vocab: int, embedding: int, fused: bool, reps: int = 20) -> float:
    """The Adam update of the (R, V, E) embedding table alone (the memory-bound part of a step)."""
    p = torch.randn(n_rep, vocab, embedding)
    g = torch.randn_like(p)
    opt = Adam([p], fused=fused)
    lr = torch.full((n_rep,), 1e-3)
    for _ in range(3):
        opt.step([g], lr)
    t0 = time.perf_counter()
    for _ in range(reps):
        opt.step([g], lr)
    return (time.perf_counter() - t0) * 1e3 / reps


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--vocab", type=int, default=3000)
    ap.add_argument("--embedding", type=int, default=400)
    ap.add_argument("--units", type=int, default=16)
    ap.add_argument("--maxlen", type=int, default=40)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--train", type=int, default=2816, help="training examples (gospels: about 2,700)")
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--replicas", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--no-tune", action="store_true", help="set the thread count only")
    args = ap.parse_args()
    if args.no_tune:
        torch.set_num_threads(args.threads)
        tuning = "threads only"
    else:
        t = tune_process(args.threads)
        tuning = f"tune_process: flush_denormal={t.flush_denormal}, glibc_heap={t.glibc_heap}"
    data = synthetic_data(args.vocab, args.maxlen, args.train, 64)
    shape = (args.embedding, args.units, args.batch)

    runs: dict[str, tuple[Callable[[], list[float]], int]] = {
        "torch nn.LSTM + Adam": (lambda: torch_ms_per_step(data, *shape, args.iterations), 1)
    }
    for n_rep in args.replicas:
        runs[f"sweepstat R={n_rep}"] = (
            lambda n_rep=n_rep: engine_ms_per_step(data, *shape, n_rep, args.iterations, 100),  # type: ignore[misc]
            n_rep,
        )
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeats):  # interleaved, so drifts in machine speed hit every configuration alike
        for name, (fn, _) in runs.items():
            times[name] += fn()

    print(
        f"seed-000 training step (gather, forward, backward, Adam, bookkeeping): vocab {args.vocab}, "
        f"embedding {args.embedding}, LSTM {args.units}, T {args.maxlen}, batch {args.batch}; torch "
        f"{torch.__version__}, {torch.get_num_threads()} thread(s), {tuning}; "
        f"{args.repeats} × {args.iterations} iterations, first 100 of each run dropped"
    )
    base = statistics.median(times["torch nn.LSTM + Adam"])
    print(f"{'configuration':<22} {'ms/step':>9} {'min–max':>15} {'ms/replica-step':>16} {'vs torch':>9}")
    for name, (_, n_rep) in runs.items():
        ts = times[name]
        med = statistics.median(ts)
        print(
            f"{name:<22} {med:>9.2f} {min(ts):>7.2f}–{max(ts):<7.2f} {med / n_rep:>16.2f} {base / (med / n_rep):>8.2f}×"
        )
    for n_rep in args.replicas:
        fused, plain = (adam_update_ms(n_rep, args.vocab, args.embedding, f) for f in (True, False))
        print(
            f"Adam update of the (R={n_rep}, {args.vocab}, {args.embedding}) embedding alone: "
            f"fused {fused:.2f} ms, plain {plain:.2f} ms"
        )


if __name__ == "__main__":
    main()
