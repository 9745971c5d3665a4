"""One measurement in a fresh process: ``python benchmarks/_worker.py '<job as JSON>'`` prints one JSON line.

Run by bench.py with sweepstat's .venv Python (PyTorch jobs, torch GEMM, bandwidth) or with .bench-venv's
(Keras jobs, TF GEMM). Imports happen inside each branch: .bench-venv has neither torch nor sweepstat.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np


def load_arrays(path: str) -> dict[str, np.ndarray]:
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def run(job: dict[str, Any]) -> dict[str, Any]:
    kind = job["job"]
    if kind == "torch":
        from _peers import train_torch

        return train_torch(job, load_arrays(job["arrays"]))
    if kind == "keras":
        from _keras_peer import train_keras

        return train_keras(job, load_arrays(job["arrays"]))
    if kind == "torch_gemm":
        from _machine import torch_gemm

        return torch_gemm(job.get("threads"), int(job["reps"]))
    if kind == "tf_gemm":
        from _machine import tf_gemm

        return tf_gemm(job.get("threads"), int(job["reps"]))
    if kind == "bandwidth":
        from _machine import bandwidth

        return bandwidth(job["kind"], int(job["processes"]), int(job["reps"]))
    raise SystemExit(f"unknown job {kind!r}")


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))))
