"""BENCHMARKS.md is rendered from the measured numbers alone: a synthetic run renders with the right
ratios and verdicts (no process is started here)."""

from __future__ import annotations

from typing import Any

import bench


def _study(seconds_per_unit: float, n_units: int = 8) -> dict[str, Any]:
    return {
        "runs": 4, "epochs": n_units, "n_units": n_units, "machine_seconds": seconds_per_unit * n_units,
        "seconds_per_unit": seconds_per_unit, "span_seconds": 20.0, "command_seconds": 30.0,
        "peak_rss_mb": 400.0, "command": "sweepstat run $TMP/x.yaml --no-report",
    }


def _results() -> dict[str, Any]:
    sweep = {"values": [1.0, 1.2, 0.8], "accuracy": [0.8], "threads": "2 workers",
             "samples": [{"study": _study(1.0)}]}
    w1 = {
        "title": "W1 · seed-000 cell",
        "info": {"n_train": 2684, "n_test": 895, "vocab": 2806, "maxlen": 46},
        "baseline": "sweepstat R=1",
        "configs": {
            "sweepstat R=1": sweep,
            bench.KERAS: {"values": [9.0, 8.0, 10.0], "accuracy": [0.84], "threads": "tf", "samples": [{}]},
            bench.TORCH: {"values": [2.0, 2.0], "accuracy": [0.78], "threads": "torch 2", "samples": [{}]},
        },
    }
    w2 = {
        "title": "W2 · seed-000 grid",
        "info": {"n_train": 2684, "n_test": 895, "vocab": 2806, "maxlen": 46},
        "baseline": "sweepstat R=1",
        "configs": {
            "sweepstat R=1": {"values": [600.0], "accuracy": [0.8], "threads": "2 workers",
                              "samples": [{"study": _study(0.35, 1500)}]},
            bench.KERAS: {"values": [6000.0], "accuracy": [0.84], "threads": "tf", "samples": [{}]},
        },
    }
    return {
        "meta": {
            "command": ".venv/bin/python benchmarks/bench.py", "date": "2026-12-01 00:00 UTC",
            "wall_seconds": 1800.0, "load_start": "1", "load_end": "1", "quick": False, "repeats": 3,
            "gemm_reps": 4, "stream_reps": 5, "data_dir": "/nonexistent",
            "hardware": {"cpu": "CPU", "cores": "2", "memory": "24 GiB", "os": "Linux"},
            "versions": {"sweepstat": "0.1.0"},
        },
        "machine": {"torch.mm GFLOP/s, all threads": [100.0], "copy GB/s, 2 processes": [20.0]},
        "workloads": {"W1": w1, "W2": w2, "W4": {"title": "W4", "skipped": "no mnist"}},
    }


def test_render_gives_ratios_verdicts_and_skips() -> None:
    text = bench.render(_results())
    # W1: Keras 9 s ÷ sweepstat 1 s = 9× ≥ 8× (met); PyTorch 2 s ÷ 1 s = 2× < 2.5× (not met)
    assert "| 9.00× | ≥ 8×: met | 2.00× | ≥ 2.5×: not met | – |" in text
    # W2: 6000 s ÷ 600 s = 10× ≥ 8× (met); no PyTorch figure
    assert "| 10.00× | ≥ 8×: met | – | – | – |" in text
    assert "skipped: no mnist" in text
    assert "## The machine, measured in this run" in text
