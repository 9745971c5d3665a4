"""Which device each worker process trains on, decided once by the runner before any worker starts.

- ``cpu``: one worker per CPU core by default (each single-threaded), all on the CPU.
- ``cuda``: one worker per GPU that PyTorch sees by default, worker i on ``cuda:i``: several processes
  sharing one small GPU compete for its memory and kernels and are rarely faster. A worker count given
  (``--workers`` or the spec's ``workers``) wins; the workers then take the GPUs in turn.
- ``cuda:N``: GPU N only, one worker by default.
- ``auto``: ``cuda`` when PyTorch sees a GPU, else ``cpu``.

Asking for CUDA where PyTorch sees no GPU, or for a GPU index it does not have, is a SpecError, raised
before anything is written.
"""

from __future__ import annotations

import os
from typing import Literal

from sweepstat.errors import Problem, SpecError
from sweepstat.spec._study import check_device


def default_workers() -> int:
    """The CPU cores this process may run on: the default worker count on the CPU."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def worker_devices(
    device: str, workers: int | None, spec_workers: int | Literal["auto"], *, where: str = "device"
) -> list[str]:
    """One torch device name per worker process (module docstring for the rules).

    ``workers`` is the command line's count (None: not given), ``spec_workers`` the spec's; ``where`` names
    the option or field the device came from in error messages.
    """
    import torch

    check_device(device, where)
    given = workers if workers is not None else (None if spec_workers == "auto" else int(spec_workers))
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        return ["cpu"] * (given or default_workers())
    if not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"built with CUDA {torch.version.cuda}"
        raise SpecError(
            [
                Problem(
                    where,
                    f"asks for a GPU, but PyTorch {torch.__version__} ({build}) sees none on this machine",
                    device,
                    "use cpu, or auto to take a GPU only when there is one",
                )
            ]
        )
    n_gpus = torch.cuda.device_count()
    if device == "cuda":
        return [f"cuda:{i % n_gpus}" for i in range(given or n_gpus)]
    index = int(device.split(":", 1)[1])
    if index >= n_gpus:
        raise SpecError(
            [
                Problem(
                    where,
                    f"must name one of the {n_gpus} GPU(s) PyTorch sees (cuda:0 … cuda:{n_gpus - 1})",
                    device,
                    "use cuda for the first, or check CUDA_VISIBLE_DEVICES",
                )
            ]
        )
    return [f"cuda:{index}"] * (given or 1)
