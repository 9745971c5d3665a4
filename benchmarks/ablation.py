"""What each of the engine's means is worth: W1 (the seed-000 cell) trained with one mean taken away at a
time, in one worker process, timed by thread CPU time (which other work on the machine disturbs less
than wall time does; figures are still only as quiet as the machine).

Means, in the order the engine applies them (issue 6 asks for each to be measured):
- ``plain``: everything off: Embedding, the autograd step loop, dense gradients and Adam, R=1, evaluation
  in training-size batches: the engine as a straightforward PyTorch port of Keras would be;
- ``fused loops``: the recurrence as two autograd nodes with C++ time loops (``models/_fused.py``);
- ``distinct tokens``: the lookup and input projection once per distinct token, the table's gradient as
  rows (``models/_projection.py``) — with dense Adam;
- ``lazy rows``: Adam updates the table row-wise (``engine/_sparse_cpu.cpp``);
- ``eval chunks``: evaluation in chunks of 2^17 input values instead of training-size batches;
- ``R=8``: eight seeds in one program with stacked weights (the study default for text models).
Each line adds one mean to the line above. A worker's process settings (``tune_process``: one thread,
denormals flushed, glibc heap kept) apply to every line.

Run: .venv/bin/python benchmarks/ablation.py [--epochs 3] [--repeats 3] [--embedding 400 --units 16 --batch 32]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STEPS = ["plain", "fused loops", "distinct tokens", "lazy rows", "eval chunks", "R=8"]


def worker(step: str, args: argparse.Namespace) -> dict[str, float]:
    """Train the W1 cell with the means up to ``step``; print CPU seconds per replica-epoch."""
    from sweepstat.data import default_cache_dir, prepare
    from sweepstat.engine import Adam, train_replicas, tune_process
    from sweepstat.models import _projection, set_fused
    from sweepstat.spec import DataSpec, validate
    from sweepstat.spec._model import RnnModelSpec
    from sweepstat.spec._train import TrainSpec

    tune_process(1)
    upto = STEPS.index(step)
    set_fused(upto >= 1)
    _projection.enabled = upto >= 2
    Adam.supports_rows = upto >= 3
    data = prepare(validate(DataSpec, {"name": "gospels", "text": {"maxlen": "p99"}}, "data"), default_cache_dir())
    train: dict[str, object] = {"batch_size": args.batch, "epochs": args.epochs}
    if upto < 4:
        train["eval_batch_size"] = args.batch
    n_rep = 8 if upto >= 5 else 1
    model = RnnModelSpec(embedding_dim=args.embedding, layers=({"type": "lstm", "units": args.units},), head="flatten")
    spec = validate(TrainSpec, train, "train")
    warm = validate(TrainSpec, {**train, "epochs": 1}, "train")
    train_replicas(model, warm, data, list(range(n_rep)))  # builds, loads kernels, warms caches
    c0, w0 = time.thread_time(), time.perf_counter()
    results = train_replicas(model, spec, data, list(range(n_rep)))
    cpu, wall = time.thread_time() - c0, time.perf_counter() - w0
    accuracy = statistics.mean(r.final.test_accuracy for r in results if r.final is not None)
    per = n_rep * args.epochs
    return {"cpu": cpu / per, "wall": wall / per, "accuracy": accuracy}


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--embedding", type=int, default=400)
    ap.add_argument("--units", type=int, default=16)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args)))
        return
    passed = [f"--epochs={args.epochs}", f"--embedding={args.embedding}", f"--units={args.units}", f"--batch={args.batch}"]
    results: dict[str, list[dict[str, float]]] = {s: [] for s in STEPS}
    for rep in range(args.repeats):  # interleaved, each configuration in a fresh process
        for step in STEPS:
            out = subprocess.run(
                [sys.executable, __file__, "--worker", step, *passed], capture_output=True, text=True, check=False
            )
            if out.returncode != 0:
                raise SystemExit(f"{step} failed:\n{out.stderr[-2000:]}")
            results[step].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"  rep {rep + 1}/{args.repeats} {step}: {results[step][-1]['cpu']:.3f} s CPU per replica-epoch", flush=True)
    print(
        f"\nW1 cell: gospels maxlen p99, Embedding({args.embedding}) → LSTM({args.units}) → Flatten → Dense(1), "
        f"Adam, batch {args.batch}; {args.epochs} epochs after a 1-epoch warm-up; median of {args.repeats} "
        "interleaved repetitions; one worker process, one thread"
    )
    print(f"{'means (each line adds one)':<28} {'CPU s per replica-epoch':>24} {'÷ line above':>13} {'÷ plain':>9} {'test acc':>9}")
    base = prev = None
    for step in STEPS:
        cpu = statistics.median(r["cpu"] for r in results[step])
        acc = statistics.mean(r["accuracy"] for r in results[step])
        base = base or cpu
        gain = f"{prev / cpu:.2f}×" if prev else ""
        print(f"{step:<28} {cpu:>24.3f} {gain:>13} {base / cpu:>8.2f}× {acc:>9.3f}")
        prev = cpu
    print(f"command: {Path(sys.executable).name} benchmarks/ablation.py {' '.join(sys.argv[1:])}; python {platform.python_version()}")


if __name__ == "__main__":
    main()
