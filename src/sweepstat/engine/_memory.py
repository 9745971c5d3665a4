"""Peak memory of a training: the process's resident-set high-water mark, and CUDA's allocator peak.

``resource.getrusage(RUSAGE_SELF).ru_maxrss`` only grows over a process's life, so in a worker that trains
run after run it would report the largest run so far. On Linux, writing ``5`` to /proc/self/clear_refs
resets the mark (Linux ≥ 4.0), which makes it the peak of the run that follows; where that is not possible
the figure counts from the process's start and says so (scope "process").
"""

from __future__ import annotations

import resource
import sys

import torch

_CLEAR_REFS = "/proc/self/clear_refs"


def reset_peak_rss() -> str:
    """Reset the process's RSS high-water mark if the OS allows it; returns the scope: "run" or "process"."""
    try:
        with open(_CLEAR_REFS, "w") as f:
            f.write("5")
    except OSError:
        return "process"
    return "run"


def peak_rss_bytes() -> int:
    """The RSS high-water mark in bytes (ru_maxrss is in KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def reset_peak_gpu(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_gpu_bytes(device: torch.device) -> int | None:
    return int(torch.cuda.max_memory_allocated(device)) if device.type == "cuda" else None
