"""Time per training step of Caffe's LeNet in sweepstat's engine pieces, C++ layers against torch's.

One replica, batch 64 of random 28×28 images, softmax cross-entropy, SGD with momentum 0.9 and Caffe's
weight decay 5e-4 (seed 002's solver), one thread with ``tune_process``. The step is forward, loss,
backward and update; "cpp" is the default CPU path (models/_conv_cpu.cpp), "torch" is conv2d +
max_pool2d, the path CUDA and builds without a compiler take. Median over repetitions, interleaved.

Run: .venv/bin/python benchmarks/lenet_step.py [--steps 200] [--repeats 5] [--batch 64]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from sweepstat.engine import build_optimizer, tune_process
from sweepstat.models import _lenet, build_model
from sweepstat.spec import validate
from sweepstat.spec._model import LeNetSpec
from sweepstat.spec._train import SgdSpec


def step_ms(path: str, steps: int, batch: int) -> float:
    _lenet._CPU_PATH = path  # type: ignore[assignment]  # "simd" (the default) or "torch"
    torch.manual_seed(0)
    model = build_model(validate(LeNetSpec, {}, "model"), n_classes=10, seeds=[0])
    params = list(model.parameters())
    opt = build_optimizer(validate(SgdSpec, {"lr": 0.01, "momentum": 0.9, "weight_decay": 5e-4}, "opt"), params)
    lr = torch.full((1,), 0.01)
    images = torch.randint(0, 256, (1, batch, 1, 28, 28)).float()
    labels = torch.randint(0, 10, (1, batch))
    times = []
    for k in range(steps + 20):  # the first 20 warm up
        t0 = time.perf_counter()
        logits = model(images)
        loss = F.cross_entropy(logits.flatten(0, 1), labels.flatten())
        grads = torch.autograd.grad(loss, params)
        opt.step(grads, lr)
        if k >= 20:
            times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    tune_process(1)
    results: dict[str, list[float]] = {"cpp": [], "torch": []}
    for _ in range(args.repeats):
        results["cpp"].append(step_ms("simd", args.steps, args.batch))
        results["torch"].append(step_ms("torch", args.steps, args.batch))
    for name, values in results.items():
        print(f"LeNet step, batch {args.batch}, 1 thread, {name:>5}: {statistics.median(values):.2f} ms "
              f"(min {min(values):.2f}, max {max(values):.2f}, {args.repeats} × {args.steps} steps)")
    print(f"torch ÷ cpp: {statistics.median(results['torch']) / statistics.median(results['cpp']):.2f}×")


if __name__ == "__main__":
    main()
