"""Settings for a process that trains: threads, denormals, and glibc's heap.

Call ``tune_process`` once at the start of a worker process, before training. Each setting is
process-wide, which is why the engine never changes them by itself.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
from dataclasses import dataclass

import torch

# glibc <malloc.h>
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
_NEVER_TRIM = 2**31 - 1  # the largest value mallopt's int takes: 2 GiB of free heap kept


@dataclass(frozen=True)
class ProcessTuning:
    """What ``tune_process`` did: the thread count set (None: left as it was), and which settings took."""

    threads: int | None
    flush_denormal: bool
    glibc_heap: bool


def keep_heap() -> bool:
    """Tell glibc malloc to serve every allocation from the heap and never give it back.

    The dense embedding gradient, (R, V, E) floats per step (77 MB at R=8, V=6000, E=400), is larger than
    glibc's mmap threshold: by default each step maps fresh pages, faults every one of them in, and unmaps
    them again. With ``M_MMAP_MAX = 0`` and a huge ``M_TRIM_THRESHOLD`` the same heap memory is reused
    step after step (seed-000 model, R=8, one thread, whole training step: 91 ms → 42 ms with
    ``tune_process``; ``benchmarks/engine_step.py`` with and without ``--no-tune``). The price is that
    the process keeps its peak heap until it exits, which suits a worker. Returns False, changing nothing,
    where the C library is not glibc.
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, _NEVER_TRIM))


def tune_process(threads: int | None = 1) -> ProcessTuning:
    """Prepare this process for training: ``threads`` intra-op threads (None leaves PyTorch's choice),
    denormals flushed to zero, and glibc's heap kept (``keep_heap``).

    One thread per worker process is the fast setting for these small models: PyTorch's own two threads
    on a 2-core machine made a 32-unit LSTM step 8× slower (issue 6). Flushing denormals avoids the slow
    path tiny gradients of saturated gates take on x86; results stay within float32 rounding.
    Metrics are bit-reproducible only for a fixed thread count.
    """
    if threads is not None:
        if threads < 1:
            raise ValueError(f"threads must be ≥ 1 or None; got {threads}")
        torch.set_num_threads(threads)
    flushed = bool(torch.set_flush_denormal(True))
    return ProcessTuning(threads=threads, flush_denormal=flushed, glibc_heap=keep_heap())
