"""Forward + backward time of one training step of the seed-000 model, sweepstat vs PyTorch's nn.LSTM.

Model: Embedding(V, 400) → LSTM(16, whole sequence) → Flatten → Dense(1), batch 32, T steps, binary
cross-entropy on logits. A step is: zero the gradients, forward, loss, backward (no optimizer update).
sweepstat runs R replicas in one program (each replica its own minibatch); the figure to compare with
nn.LSTM is the time per replica-step (step time / R). nn.LSTM is the model a user would write:
nn.Embedding + nn.LSTM(batch_first=True) + nn.Linear. sweepstat is timed twice per R: on the plain
autograd loop and on the fused recurrence (models/_fused.py), the same model and weights.

Run: .venv/bin/python benchmarks/model_step.py [--threads 1] [--vocab 6000] [--maxlen 40] [--reps 200]
     [--replicas 1 8] [--keep-heap]
Prints the median and interquartile range per configuration, interleaving the configurations.

``--keep-heap`` tells glibc malloc never to serve allocations by mmap and never to trim the heap
(``mallopt(M_MMAP_MAX, 0)``, ``mallopt(M_TRIM_THRESHOLD, 2**62)``, same as the environment variables
``MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=...``). Without it every step's dense embedding gradient,
(R, V, E) floats (77 MB at R=8), is a fresh mmap whose pages fault in on first touch: at R=8 that costs
more than the whole LSTM. Which setting the training engine uses is its decision; both are printed.
"""

from __future__ import annotations

import argparse
import ctypes
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from _peers import TorchLstm  # benchmarks/_peers.py (the script's own folder)

from sweepstat.models import build_cpu_kernels, build_model, fused
from sweepstat.spec._model import RnnModelSpec


def torch_step(vocab: int, emb: int, units: int, maxlen: int, batch: int) -> Callable[[], None]:
    model = TorchLstm(vocab, emb, units, maxlen)
    x = torch.randint(1, vocab, (batch, maxlen))
    y = torch.randint(0, 2, (batch, 1)).float()

    def step() -> None:
        model.zero_grad(set_to_none=True)
        F.binary_cross_entropy_with_logits(model(x), y).backward()

    return step


def sweepstat_step(
    vocab: int, emb: int, units: int, maxlen: int, batch: int, n_rep: int, use_fused: bool
) -> Callable[[], None]:
    spec = RnnModelSpec(embedding_dim=emb, layers=({"type": "lstm", "units": units},), head="flatten")
    model = build_model(spec, vocab_size=vocab, maxlen=maxlen, n_classes=2, seeds=list(range(n_rep)))
    x = torch.randint(1, vocab, (n_rep, batch, maxlen))
    y = torch.randint(0, 2, (n_rep, batch, 1)).float()

    def step() -> None:
        model.zero_grad(set_to_none=True)
        with fused(use_fused):
            F.binary_cross_entropy_with_logits(model(x), y).backward()

    return step


def keep_heap() -> None:
    """glibc: no mmap-served allocations, no heap trimming (M_MMAP_MAX = -4, M_TRIM_THRESHOLD = -1)."""
    libc = ctypes.CDLL("libc.so.6")
    if not (libc.mallopt(-4, 0) and libc.mallopt(-1, ctypes.c_int(2**31 - 1))):
        raise RuntimeError("mallopt refused the setting")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--vocab", type=int, default=6000)
    ap.add_argument("--embedding", type=int, default=400)
    ap.add_argument("--units", type=int, default=16)
    ap.add_argument("--maxlen", type=int, default=40)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--replicas", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--keep-heap", action="store_true", help="glibc: no mmap allocations, no heap trimming")
    args = ap.parse_args()
    if args.keep_heap:
        keep_heap()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    shape = (args.vocab, args.embedding, args.units, args.maxlen, args.batch)

    steps: dict[str, tuple[Callable[[], None], int]] = {"torch nn.LSTM": (torch_step(*shape), 1)}
    for n_rep in args.replicas:
        for use_fused in (False, True):
            name = f"{'fused' if use_fused else 'plain'} R={n_rep}"
            steps[name] = (sweepstat_step(*shape, n_rep, use_fused), n_rep)
    times: dict[str, list[float]] = {name: [] for name in steps}
    for fn, _ in steps.values():  # warm-up
        for _ in range(10):
            fn()
    for _ in range(args.reps):  # interleaved, so drifts in machine speed hit every configuration alike
        for name, (fn, _) in steps.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)

    print(
        f"seed-000 step (forward+backward): vocab {args.vocab}, embedding {args.embedding}, "
        f"LSTM {args.units}, T {args.maxlen}, batch {args.batch}; torch {torch.__version__}, "
        f"{torch.get_num_threads()} thread(s), {args.reps} interleaved reps, "
        f"malloc {'keep-heap' if args.keep_heap else 'default'}, "
        f"fused time loops in {'C++' if build_cpu_kernels() is not None else 'Python (no C++ build)'}"
    )
    base = statistics.median(times["torch nn.LSTM"])
    print(f"{'configuration':<20} {'ms/step':>9} {'IQR':>17} {'ms/replica-step':>16} {'vs nn.LSTM':>11}")
    for name, (_, n_rep) in steps.items():
        ts = sorted(times[name])
        med = statistics.median(ts)
        q1, q3 = ts[len(ts) // 4], ts[(3 * len(ts)) // 4]
        per = med / n_rep
        print(
            f"{name:<20} {med * 1e3:>9.3f} {q1 * 1e3:>8.3f}–{q3 * 1e3:<8.3f} {per * 1e3:>16.3f} {base / per:>10.2f}×"
        )


if __name__ == "__main__":
    main()
