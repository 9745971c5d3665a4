"""The machine's own limits, measured in the benchmark's run: fp32 GEMM peak and memory bandwidth.

- GEMM: the best of several large square fp32 products (``torch.mm`` under .venv, ``tf.matmul`` under
  .bench-venv), 2·n³ FLOPs each, with 1 thread and with the library's default (all cores).
- Bandwidth: STREAM-style copy (b ← a; 2 arrays of bytes moved) and triad (a ← b + s·c; 3 arrays), one
  single-threaded torch kernel per process on arrays far larger than the caches, in 1 process and in one
  process per core started together; the aggregate is all bytes ÷ the slowest process's time, best of
  several repetitions. Write-allocate traffic is not counted (the STREAM convention).

Each function runs inside a fresh worker process (benchmarks/_worker.py) and returns plain numbers.
"""

from __future__ import annotations

import os
import time
from typing import Any

GEMM_N = 3072
GEMM_REPS = 4
STREAM_FLOATS = 2**25  # 128 MiB per array
STREAM_REPS = 5


def torch_gemm(threads: int | None, reps: int = GEMM_REPS, n: int = GEMM_N) -> dict[str, Any]:
    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    c = torch.empty(n, n)
    torch.mm(a, b, out=c)  # warm-up
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.mm(a, b, out=c)
        best = min(best, time.perf_counter() - t0)
    return {"gflops": 2 * n**3 / best / 1e9, "threads": torch.get_num_threads()}


def tf_gemm(threads: int | None, reps: int = GEMM_REPS, n: int = GEMM_N) -> dict[str, Any]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    if threads is not None:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    tf.reduce_sum(tf.matmul(a, b)).numpy()  # warm-up
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        tf.reduce_sum(tf.matmul(a, b)).numpy()  # the sum forces the product; it costs n² of n³
        best = min(best, time.perf_counter() - t0)
    return {"gflops": 2 * n**3 / best / 1e9, "threads": threads or "default"}


def _stream_process(kind: str, n: int, reps: int, barrier: Any, out: Any) -> None:
    import torch

    torch.set_num_threads(1)
    a = torch.ones(n)
    b = torch.full((n,), 2.0)
    c = torch.full((n,), 0.5)
    times = []
    for _ in range(reps + 1):  # the first touches the pages; dropped
        barrier.wait()
        t0 = time.perf_counter()
        if kind == "copy":
            b.copy_(a)
        else:
            torch.add(b, c, alpha=3.0, out=a)
        times.append(time.perf_counter() - t0)
    out.put(times[1:])


def bandwidth(kind: str, processes: int, reps: int = STREAM_REPS, n: int = STREAM_FLOATS) -> dict[str, Any]:
    """Aggregate GB/s of ``processes`` single-threaded copy or triad loops started together."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(processes), ctx.Queue()
    procs = [ctx.Process(target=_stream_process, args=(kind, n, reps, barrier, out)) for _ in range(processes)]
    for p in procs:
        p.start()
    per_process = [out.get() for _ in procs]
    for p in procs:
        p.join()
    arrays = 2 if kind == "copy" else 3
    slowest = [max(ts[i] for ts in per_process) for i in range(reps)]
    return {"gbs": processes * arrays * n * 4 / min(slowest) / 1e9, "processes": processes}
