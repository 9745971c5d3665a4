"""Issue 6, workload W1: time per trained epoch (train + test evaluation) of the seed-000 cell.

Cell: gospels (maxlen p99), Embedding(V, 400) → LSTM(16, whole sequence) → Flatten → Dense(1, sigmoid),
binary cross-entropy, Adam (Keras defaults: lr 1e-3, β 0.9/0.999, ε 1e-7), batch 32, shuffled each epoch,
the test split evaluated after every epoch (batch 32). Configurations, all on the same padded arrays:

- sweepstat R=1 and R=8 (``train_replicas``, ``tune_process(1)``); R=8 is reported per replica-epoch
  (epoch time / 8), the figure to compare with one run of a peer. Time = the engine's ``interval_seconds``.
- plain PyTorch as a user would write it: nn.Embedding + nn.LSTM(batch_first) + nn.Linear,
  BCEWithLogitsLoss, torch.optim.Adam(eps=1e-7), minibatches gathered from pre-built tensors (no
  DataLoader: the stronger peer), evaluation under no_grad; with PyTorch's default threads and with 1.
- Keras 3 on TensorFlow (tensorflow-cpu pinned below), ``model.fit(validation_data=test)``, default
  threads, in a separate virtual environment (.bench-venv, created on first use; never a sweepstat
  dependency). Time = on_epoch_begin → on_epoch_end (Keras calls the latter after validation).

Every configuration runs in a fresh worker process (so sweepstat's process tuning — one thread, denormals
flushed, glibc heap kept — never leaks into a peer), ``--epochs`` epochs per run of which the first is
dropped (warm-up); the runs are interleaved ``--repeats`` times so drifts in machine speed hit every
configuration alike. Reported: median and min–max over all kept epochs, and ratio = peer ÷ sweepstat.

Run: .venv/bin/python benchmarks/bench_w1.py [--repeats 3] [--epochs 4] [--no-keras]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
BENCH_VENV = REPO / ".bench-venv"
TF_PACKAGE, TF_VERSION = "tensorflow-cpu", "2.21.0"  # `pip index versions tensorflow-cpu`, 2026-11-22
EMBEDDING, UNITS, BATCH = 400, 16, 32
DATA = {"name": "gospels", "text": {"maxlen": "p99"}}


# ---------------------------------------------------------------------------------------------- workers
# Each prints one JSON line: {"epoch_seconds": [...], "versions": {...}}. Imports live inside the
# workers because the Keras worker runs under .bench-venv, which has neither torch nor sweepstat.


def load_arrays(path: str) -> dict[str, np.ndarray]:
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def worker_sweepstat(arrays: dict[str, np.ndarray], n_rep: int, epochs: int) -> dict:
    import torch

    import sweepstat
    from sweepstat.data import PreparedData, Split
    from sweepstat.engine import train_replicas, tune_process
    from sweepstat.spec import validate
    from sweepstat.spec._model import RnnModelSpec
    from sweepstat.spec._train import TrainSpec

    tuning = tune_process(1)
    data = PreparedData(
        "gospels",
        Split(arrays["x_train"], arrays["y_train"]),
        Split(arrays["x_test"], arrays["y_test"]),
        None,
        int(arrays["vocab_size"]),
        arrays["x_train"].shape[1],
        ("other", "jesus"),
    )
    model = RnnModelSpec(embedding_dim=EMBEDDING, layers=({"type": "lstm", "units": UNITS},), head="flatten")
    spec = validate(TrainSpec, {"batch_size": BATCH, "epochs": epochs}, "train")
    results = train_replicas(model, spec, data, list(range(n_rep)))
    if any(r.state != "COMPLETE" for r in results):
        raise RuntimeError(f"sweepstat run did not complete: {results[0].state} {results[0].error}")
    return {
        "epoch_seconds": [rec.interval_seconds for rec in results[0].curves],
        "test_accuracy": [r.final.test_accuracy for r in results if r.final is not None],
        "versions": {
            "sweepstat": getattr(sweepstat, "__version__", "?"),
            "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "tuning": f"flush_denormal={tuning.flush_denormal}, glibc_heap={tuning.glibc_heap}",
        },
    }


def worker_torch(arrays: dict[str, np.ndarray], threads: int | None, epochs: int) -> dict:
    import torch
    from torch import nn

    if threads is not None:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    vocab, maxlen = int(arrays["vocab_size"]), arrays["x_train"].shape[1]

    from _peers import TorchLstm  # benchmarks/_peers.py; imported here: the Keras worker has no torch

    model = TorchLstm(vocab, EMBEDDING, UNITS, maxlen)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    loss_fn = nn.BCEWithLogitsLoss()
    x, y = torch.from_numpy(arrays["x_train"]), torch.from_numpy(arrays["y_train"]).float()
    xt, yt = torch.from_numpy(arrays["x_test"]), torch.from_numpy(arrays["y_test"]).float()
    times, accuracy = [], 0.0
    for _ in range(epochs):
        t0 = time.perf_counter()
        model.train()
        order = torch.randperm(len(y))
        for i in range(0, len(y), BATCH):
            idx = order[i : i + BATCH]
            opt.zero_grad()
            loss = loss_fn(model(x[idx])[:, 0], y[idx])
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            correct, total_loss = 0.0, 0.0
            for i in range(0, len(yt), BATCH):
                logits = model(xt[i : i + BATCH])[:, 0]
                total_loss += loss_fn(logits, yt[i : i + BATCH]).item() * len(logits)
                correct += ((logits > 0).float() == yt[i : i + BATCH]).sum().item()
            accuracy = correct / len(yt)
        times.append(time.perf_counter() - t0)
    return {
        "epoch_seconds": times,
        "test_accuracy": [accuracy],
        "versions": {"torch": torch.__version__, "torch_threads": torch.get_num_threads()},
    }


def worker_keras(arrays: dict[str, np.ndarray], epochs: int) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    vocab, maxlen = int(arrays["vocab_size"]), arrays["x_train"].shape[1]
    model = keras.Sequential(
        [
            keras.Input((maxlen,), dtype="int32"),
            keras.layers.Embedding(vocab, EMBEDDING),
            keras.layers.LSTM(UNITS, return_sequences=True),
            keras.layers.Flatten(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(), loss="binary_crossentropy", metrics=["accuracy"])
    times: list[float] = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            times.append(time.perf_counter() - self.t0)

    history = model.fit(
        arrays["x_train"].astype("int32"),
        arrays["y_train"].astype("float32"),
        batch_size=BATCH,
        epochs=epochs,
        validation_data=(arrays["x_test"].astype("int32"), arrays["y_test"].astype("float32")),
        shuffle=True,
        verbose=0,
        callbacks=[EpochTimer()],
    )
    return {
        "epoch_seconds": times,
        "test_accuracy": [float(history.history["val_accuracy"][-1])],
        "versions": {
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "tf_threads": f"intra {tf.config.threading.get_intra_op_parallelism_threads()} (0 = default), "
            f"inter {tf.config.threading.get_inter_op_parallelism_threads()}",
        },
    }


def run_worker(args: argparse.Namespace) -> None:
    arrays = load_arrays(args.arrays)
    kind, _, param = args.worker.partition(":")
    if kind == "sweepstat":
        out = worker_sweepstat(arrays, int(param), args.epochs)
    elif kind == "torch":
        out = worker_torch(arrays, int(param) if param != "default" else None, args.epochs)
    elif kind == "keras":
        out = worker_keras(arrays, args.epochs)
    else:
        raise SystemExit(f"unknown worker {args.worker!r}")
    print(json.dumps(out))


# ------------------------------------------------------------------------------------------ orchestrator


def ensure_bench_venv() -> Path:
    """The peers' virtual environment with the pinned tensorflow-cpu; created or completed once."""
    python = BENCH_VENV / "bin" / "python"
    check = f"import importlib.metadata as m; assert m.version({TF_PACKAGE!r}) == {TF_VERSION!r}"
    if python.exists() and subprocess.run([python, "-c", check], capture_output=True).returncode == 0:
        return python
    print(f"installing {TF_PACKAGE}=={TF_VERSION} into {BENCH_VENV} (once; takes minutes)", flush=True)
    subprocess.run(["python3.11", "-m", "venv", BENCH_VENV], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", f"{TF_PACKAGE}=={TF_VERSION}"], check=True)
    return python


def save_arrays(path: Path) -> tuple[int, int, int, int]:
    from sweepstat.data import default_cache_dir, prepare
    from sweepstat.spec import DataSpec, validate

    data = prepare(validate(DataSpec, DATA, "data"), default_cache_dir())
    np.savez(
        path,
        x_train=data.train.x,
        y_train=data.train.y,
        x_test=data.test.x,
        y_test=data.test.y,
        vocab_size=np.int64(data.vocab_size),
    )
    return len(data.train), len(data.test), data.vocab_size, data.maxlen


def hardware() -> str:
    model = "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}; {os.cpu_count()} logical CPUs ({len(os.sched_getaffinity(0))} usable); {platform.platform()}"


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="interleaved runs per configuration")
    ap.add_argument("--epochs", type=int, default=4, help="epochs per run; the first is dropped")
    ap.add_argument("--no-keras", action="store_true", help="skip the Keras/TensorFlow peer")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--arrays", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        run_worker(args)
        return
    if args.epochs < 2:
        raise SystemExit("--epochs must be ≥ 2 (the first epoch of every run is dropped as warm-up)")

    command = shlex.join([os.path.relpath(sys.executable, REPO), os.path.relpath(__file__, REPO), *sys.argv[1:]])
    keras_python = None if args.no_keras else ensure_bench_venv()
    tmp = Path(tempfile.mkdtemp(prefix="bench_w1_"))
    arrays = tmp / "w1.npz"
    n_train, n_test, vocab, maxlen = save_arrays(arrays)

    # name → (worker, replicas per run, python)
    configs: dict[str, tuple[str, int, Path | str]] = {
        "sweepstat R=1": ("sweepstat:1", 1, sys.executable),
        "sweepstat R=8": ("sweepstat:8", 8, sys.executable),
        "torch, default threads": ("torch:default", 1, sys.executable),
        "torch, 1 thread": ("torch:1", 1, sys.executable),
    }
    if keras_python is not None:
        configs["keras/tf, model.fit"] = ("keras", 1, keras_python)
    times: dict[str, list[float]] = {name: [] for name in configs}
    info: dict[str, dict] = {}
    t_start = time.perf_counter()
    for rep in range(args.repeats):  # interleaved
        for name, (worker, n_rep, python) in configs.items():
            cmd = [str(python), __file__, "--worker", worker, "--arrays", str(arrays), "--epochs", str(args.epochs)]
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
            if proc.returncode != 0:
                raise SystemExit(f"{name} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
            out = json.loads(proc.stdout.strip().splitlines()[-1])
            times[name] += [t / n_rep for t in out["epoch_seconds"][1:]]
            info[name] = out
            print(f"  rep {rep + 1}/{args.repeats} {name}: {statistics.median(out['epoch_seconds'][1:]):.3f} s/epoch", flush=True)

    arrays.unlink()
    tmp.rmdir()

    versions: dict[str, object] = {"python": platform.python_version()}
    for out in info.values():
        versions.update({k: v for k, v in out["versions"].items() if k not in ("torch_threads", "tf_threads", "tuning")})
    print()
    print(
        f"W1 seed-000 cell: gospels (maxlen p99 = {maxlen}, vocab {vocab}, {n_train} train / {n_test} test), "
        f"Embedding({EMBEDDING}) → LSTM({UNITS}, seq) → Flatten → Dense(1), Adam, batch {BATCH}"
    )
    print(
        f"time per trained epoch (train + test evaluation); {args.repeats} interleaved runs × "
        f"{args.epochs - 1} kept epochs (first dropped); wall {time.perf_counter() - t_start:.0f} s"
    )
    base1 = statistics.median(times["sweepstat R=1"])
    base8 = statistics.median(times["sweepstat R=8"])
    print(f"{'configuration':<26} {'s/epoch':>9} {'min–max':>15} {'÷ sweepstat R=1':>16} {'÷ R=8/replica':>14}  threads")
    for name, ts in times.items():
        med = statistics.median(ts)
        label = name + (" (/replica)" if configs[name][1] > 1 else "")
        v = info[name]["versions"]
        threads = v.get("torch_threads", v.get("tf_threads", ""))
        print(
            f"{label:<26} {med:>9.3f} {min(ts):>7.3f}–{max(ts):<7.3f} {med / base1:>15.2f}× {med / base8:>13.2f}×  {threads}"
        )
    print("final test accuracy (sanity):", {n: [round(a, 3) for a in o["test_accuracy"]] for n, o in info.items()})
    print("sweepstat process tuning:", info["sweepstat R=1"]["versions"].get("tuning"))
    print("versions:", ", ".join(f"{k} {v}" for k, v in versions.items()))
    print("hardware:", hardware())
    print("command:", command)


if __name__ == "__main__":
    main()
