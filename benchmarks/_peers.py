"""The plain-PyTorch peer: the benchmark models as a user would write them with PyTorch's own layers, and
the training loop such a user would write (shared by bench.py, model_step.py and engine_step.py).

The loop is the stronger of the usual choices: the whole split is a pre-built tensor, each epoch draws a
``torch.randperm`` and slices minibatches from it (no DataLoader, no per-step ``.item()``), evaluation
runs under ``no_grad``. Threads are PyTorch's default unless the job says otherwise. PyTorch's own
layers keep their own conventions: nn.RNN and nn.LSTM carry two bias vectors (Keras one), and the
initialisers are PyTorch's; neither changes the work of a step.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
from torch import nn


class TorchLstm(nn.Module):
    """nn.Embedding → nn.LSTM (batch first, whole sequence) → flatten → nn.Linear(·, 1)."""

    def __init__(self, vocab: int, emb: int, units: int, maxlen: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, units, batch_first=True)
        self.dense = nn.Linear(maxlen * units, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y, _ = self.lstm(self.embedding(x))  # (B, T, H)
        return self.dense(y.flatten(1))  # (B, 1)


class TorchTextRnn(nn.Module):
    """nn.Embedding → nn.RNN (tanh) or nn.LSTM, batch first → the last step's output (Keras's default
    ``return_sequences=False``) or the whole sequence flattened → nn.Linear(·, 1)."""

    def __init__(self, vocab: int, emb: int, cell: str, units: int, head: str, maxlen: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.rnn: nn.Module = (
            nn.LSTM(emb, units, batch_first=True) if cell == "lstm" else nn.RNN(emb, units, batch_first=True)
        )
        self.head = head
        self.dense = nn.Linear(maxlen * units if head == "flatten" else units, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y, _ = self.rnn(self.embedding(x))  # (B, T, H)
        return self.dense(y.flatten(1) if self.head == "flatten" else y[:, -1])  # (B, 1)


class TorchLeNet(nn.Module):
    """Caffe's LeNet: conv 20@5×5 → max-pool 2 → conv 50@5×5 → max-pool 2 → fc 500 + ReLU → fc 10."""

    def __init__(self, n_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 20, 5), nn.MaxPool2d(2), nn.Conv2d(20, 50, 5), nn.MaxPool2d(2), nn.Flatten()
        )
        self.classifier = nn.Sequential(nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))  # (B, C)


def _model(spec: dict[str, Any], vocab: int, maxlen: int, n_classes: int) -> nn.Module:
    if spec["kind"] == "lenet":
        return TorchLeNet(n_classes)
    if spec["cell"] == "lstm" and spec["head"] == "flatten":
        return TorchLstm(vocab, spec["embedding"], spec["units"], maxlen)
    return TorchTextRnn(vocab, spec["embedding"], spec["cell"], spec["units"], spec["head"], maxlen)


def _optimizer(spec: dict[str, Any], params: Any) -> tuple[torch.optim.Optimizer, Any]:
    """torch.optim with Keras's defaults where they differ from PyTorch's (ε 1e-7, RMSprop ρ 0.9); SGD's
    weight_decay is PyTorch's coupled L2 term (added to the gradient, as Caffe does); ``inv`` is a
    LambdaLR stepped every iteration."""
    name = spec["name"]
    if name == "adam":
        opt: torch.optim.Optimizer = torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    elif name == "rmsprop":
        opt = torch.optim.RMSprop(params, lr=1e-3, alpha=0.9, eps=1e-7)
    else:
        opt = torch.optim.SGD(
            params, lr=spec["lr"], momentum=spec.get("momentum", 0.0), weight_decay=spec.get("weight_decay", 0.0)
        )
    schedule = None
    if "inv" in spec:
        gamma, power = spec["inv"]
        schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda it: (1 + gamma * it) ** -power)
    return opt, schedule


def train_torch(job: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Train each run of ``job`` one after another in this process; time epochs or 100-iteration chunks."""
    if job.get("threads") is not None:
        torch.set_num_threads(int(job["threads"]))
    torch.manual_seed(job.get("seed", 0))
    images = arrays["x_train"].ndim > 2
    if images:  # pixels scaled once, as Caffe's transform_param does, into pre-built (N, 1, H, W) tensors
        scale = float(job.get("input_scale", 1 / 256))
        x = torch.from_numpy(arrays["x_train"].astype(np.float32) * scale).reshape(len(arrays["x_train"]), 1, 28, 28)
        xt = torch.from_numpy(arrays["x_test"].astype(np.float32) * scale).reshape(len(arrays["x_test"]), 1, 28, 28)
    else:
        x, xt = torch.from_numpy(arrays["x_train"]), torch.from_numpy(arrays["x_test"])
    n_classes = int(arrays["n_classes"])
    binary = n_classes == 2
    y = torch.from_numpy(arrays["y_train"])
    yt = torch.from_numpy(arrays["y_test"])
    y, yt = (y.float(), yt.float()) if binary else (y.long(), yt.long())
    loss_fn: nn.Module = nn.BCEWithLogitsLoss() if binary else nn.CrossEntropyLoss()
    vocab, maxlen = int(arrays["vocab_size"]), int(x.shape[1])

    def evaluate(model: nn.Module, batch: int) -> float:
        model.eval()
        correct = 0.0
        with torch.no_grad():
            for i in range(0, len(yt), batch):
                out = model(xt[i : i + batch])
                pred = (out[:, 0] > 0).float() if binary else out.argmax(1)
                correct += (pred == yt[i : i + batch]).sum().item()
        model.train()
        return correct / len(yt)

    runs = []
    for run in job["runs"]:
        model = _model(run["model"], vocab, maxlen, n_classes)
        opt, schedule = _optimizer(run["optimizer"], model.parameters())
        batch = int(run["batch"])
        iterations = run.get("iterations")
        n_epochs = int(run["epochs"]) if iterations is None else 10**9
        times: list[float] = []
        accuracy = float("nan")
        it = 0
        t0 = time.perf_counter()
        for _ in range(n_epochs):
            order = torch.randperm(len(y))
            for i in range(0, len(y), batch):
                idx = order[i : i + batch]
                opt.zero_grad()
                out = model(x[idx])
                loss = loss_fn(out[:, 0], y[idx]) if binary else loss_fn(out, y[idx])
                loss.backward()
                opt.step()
                if schedule is not None:
                    schedule.step()
                it += 1
                if iterations is not None and it % 100 == 0:
                    now = time.perf_counter()
                    times.append(now - t0)
                    t0 = now
                    if it >= iterations:
                        break
            if iterations is None:
                accuracy = evaluate(model, batch)  # inside the epoch's time (W1, W3: train + evaluation)
                now = time.perf_counter()
                times.append(now - t0)
                t0 = now
            elif it >= iterations:
                accuracy = evaluate(model, 1000)  # untimed: a sanity figure only
                break
        runs.append({"label": run["label"], "seconds": times, "test_accuracy": accuracy})
    return {
        "runs": runs,
        "versions": {"torch": torch.__version__},
        "threads": f"torch {torch.get_num_threads()} intra-op",
    }
