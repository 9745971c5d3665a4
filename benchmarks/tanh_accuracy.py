"""Accuracy of the C++ kernels' tanh against float64 tanh, through the SimpleRNN time loop.

With a zero recurrent matrix a SimpleRNN step is h = tanh(x·W + b), so the C++ loop's output at every
position is its vectorised tanh of the input. The script feeds evenly spaced float32 values and prints
the largest relative error against torch's float64 tanh (zero excluded).

Run: .venv/bin/python benchmarks/tanh_accuracy.py [--low -20] [--high 20] [--points 2000000]
"""

from __future__ import annotations

import argparse

import torch

from sweepstat._native import cpu_kernels


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--low", type=float, default=-20.0)
    ap.add_argument("--high", type=float, default=20.0)
    ap.add_argument("--points", type=int, default=2_000_000)
    args = ap.parse_args()
    kernels = cpu_kernels()
    if kernels is None:
        raise SystemExit("the C++ kernels could not be built (see the warning above); nothing to measure")
    units = 64
    rows = max(1, args.points // units)
    x = torch.linspace(args.low, args.high, rows * units, dtype=torch.float32).reshape(1, 1, rows, units)
    h = torch.zeros(1, 2, rows, units)  # (R, T + 1, B, H): the state before and after the one step
    kernels.simple_rnn_forward(x, torch.zeros(1, units, units), h, False)
    got, ref = h[0, 1].double().flatten(), torch.tanh(x.double().flatten())
    nonzero = ref != 0
    rel = ((got - ref).abs() / ref.abs())[nonzero]
    print(
        f"C++ tanh vs float64 tanh on [{args.low:g}, {args.high:g}], {rows * units:,} float32 points: "
        f"max relative error {rel.max().item():.3g}, median {rel.median().item():.3g}"
    )


if __name__ == "__main__":
    main()
