"""The issue-6 workloads: what sweepstat's study trains, what the peers train, and how much work it is.

Every workload is the same model, data, optimizer and batch size on all three sides; only the code
differs. sweepstat trains it as a study (``sweepstat run`` on the study file ``study_spec`` returns); the
peers train ``peer_runs`` one after another in one process each, as a user's script would.

``REPLICAS`` holds each workload's default number of seeds trained together in one sweepstat worker
(the study field ``replicas``: a number, or ``auto`` for sweepstat's own choice); ``bench.py --replicas
W1=1,8,auto`` measures other values (the first one listed is the one the ratios use).
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from _env import REPO
from _work import Work, lenet_work, rnn_text_work

# Where W3 and W4 find IMDB (imdb/aclImdb_v1*.tar.gz) and MNIST (mnist/, the four IDX files): the
# project's reference copies by default (the benchmark may read them; sweepstat itself never does).
DATA_DIR = Path("/work/shared/data")
IMDB_TARBALL = "imdb/aclImdb_v1_nofeat.tar.gz"
MNIST_FOLDER = "mnist"

REPLICAS: dict[str, tuple[int | str, ...]] = {w: ("auto",) for w in ("W1", "W2", "W3-rnn", "W3-lstm", "W4")}

# Targets of issue 6: peer time ÷ sweepstat time must reach these.
TARGETS = {
    "W1": {"keras": 8.0, "torch": 2.5},
    "W2": {"keras": 8.0, "torch": 2.5},
    "W3-rnn": {"keras": 4.0, "torch": 4.0},
    "W3-lstm": {"keras": 2.0, "torch": 2.0},
    "W4": {"keras": 1.5, "torch": 1.5},
}


@dataclass(frozen=True)
class Sizes:
    """How long each side trains, per repetition (full and --quick differ only here)."""

    seeds: int  # sweepstat study seeds (per configuration)
    length: int  # sweepstat: epochs per run, or iterations per run
    peer_length: int  # peers: epochs per run (first dropped), or iterations (first 100 dropped)
    grid: dict[str, list[Any]] | None = None  # W2: the grid measured (None: the preset's whole grid)
    subset: dict[str, int] | None = None  # replaces data.subset (quick mode's smaller IMDB)


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    what: str  # one paragraph for BENCHMARKS.md
    unit: str  # "epoch" or "100 iterations"
    data: dict[str, Any]
    model: dict[str, Any]  # sweepstat model spec
    train: dict[str, Any]  # sweepstat train spec (without its length)
    peer_model: dict[str, Any]
    peer_optimizer: dict[str, Any]
    full: Sizes
    quick: Sizes
    grid: dict[str, list[Any]] = field(default_factory=dict)  # W2 only
    labels: dict[str, str] = field(default_factory=dict)

    def sizes(self, quick: bool) -> Sizes:
        return self.quick if quick else self.full

    def data_spec(self, quick: bool) -> dict[str, Any]:
        subset = self.sizes(quick).subset
        return copy.deepcopy(self.data if subset is None else {**self.data, "subset": subset})

    def configurations(self, quick: bool) -> list[dict[str, Any]]:
        """Grid points as {path: value} (one empty point for a single-configuration workload)."""
        grid = self.sizes(quick).grid or self.grid
        paths = list(grid)
        return [dict(zip(paths, combo, strict=True)) for combo in itertools.product(*grid.values())]

    def study_spec(self, quick: bool, replicas: int | str, name: str, seeds: int | None = None) -> dict[str, Any]:
        s = self.sizes(quick)
        train = {**self.train, ("epochs" if self.unit == "epoch" else "iterations"): s.length}
        if self.unit != "epoch":
            train["epochs"] = None
        spec: dict[str, Any] = {
            "name": name,
            "data": self.data_spec(quick),
            "model": self.model,
            "train": train,
            "seeds": seeds or s.seeds,
            "replicas": replicas,
        }
        grid = s.grid or self.grid
        if grid:
            spec["search"] = {"grid": grid, "labels": self.labels}
        return copy.deepcopy(spec)

    def peer_runs(self, quick: bool) -> list[dict[str, Any]]:
        s = self.sizes(quick)
        runs = []
        for point in self.configurations(quick):
            model, batch = dict(self.peer_model), int(self.train["batch_size"])
            for path, value in point.items():
                if path == "model.layers[0].units":
                    model["units"] = value
                elif path == "model.embedding_dim":
                    model["embedding"] = value
                elif path == "train.batch_size":
                    batch = value
                else:
                    raise ValueError(f"the peers cannot sweep {path}")
            label = " ".join(f"{k.split('.')[-1].split('[')[0]}={v}" for k, v in point.items()) or self.key
            run: dict[str, Any] = {"label": label, "model": model, "optimizer": self.peer_optimizer, "batch": batch}
            run["epochs" if self.unit == "epoch" else "iterations"] = s.peer_length
            runs.append(run)
        return runs

    def work(self, run: dict[str, Any], vocab: int, maxlen: int) -> Work:
        m = run["model"]
        if m["kind"] == "lenet":
            return lenet_work(optimizer="sgd_momentum")
        opt = self.peer_optimizer["name"]
        return rnn_text_work(
            vocab=vocab, maxlen=maxlen, embedding=m["embedding"], cell=m["cell"], units=m["units"],
            head=m["head"], optimizer=opt,
        )


def _paper_rnn() -> dict[str, Any]:
    return yaml.safe_load((REPO / "studies" / "paper-rnn.yaml").read_text(encoding="utf-8"))


def workloads(data_dir: Path = DATA_DIR) -> dict[str, Workload]:
    paper = _paper_rnn()
    gospels = {"name": "gospels", "text": {"maxlen": "p99"}}
    adam = {"optimizer": {"name": "adam"}}
    lstm_cell = {"kind": "rnn", "embedding_dim": 400, "layers": [{"type": "lstm", "units": 16}], "head": "flatten"}
    imdb = {
        "name": "imdb",
        "path": str(data_dir / IMDB_TARBALL),
        "text": {"num_words": 10000, "maxlen": 500},
        "subset": {"train": 5000, "test": 1000},
    }
    rmsprop = {"optimizer": {"name": "rmsprop"}, "batch_size": 128}
    w3_text = (
        "IMDB (`aclImdb_v1` tarball, Keras `load_data` semantics), num_words 10,000, maxlen 500, a fixed "
        "subset: the first 5,000 training and the first 1,000 test reviews after `load_data`'s seeded "
        "shuffle (sweepstat's `data.subset: {train: 5000, test: 1000}`; the peers train on the very arrays "
        "sweepstat prepares), Embedding(10000, 32) → {cell}(32) → Dense(1, sigmoid), RMSprop "
        "(Keras defaults), batch 128. Time per epoch = training + evaluation of the 1,000 test reviews, for "
        "every configuration."
    )
    out = [
        Workload(
            key="W1",
            title="W1 · seed-000 cell",
            what=(
                "`gospels` (maxlen p99), Embedding(400) → LSTM(16, whole sequence) → Flatten → Dense(1, sigmoid), "
                "Adam (Keras defaults, ε 1e-7), batch 32. Time per trained epoch = training + evaluation of the "
                "test split."
            ),
            unit="epoch",
            data=gospels,
            model={**lstm_cell, "output": "sigmoid"},
            train={**adam, "batch_size": 32},
            peer_model={"kind": "rnn", "cell": "lstm", "embedding": 400, "units": 16, "head": "flatten"},
            peer_optimizer={"name": "adam"},
            full=Sizes(seeds=16, length=3, peer_length=4),
            quick=Sizes(seeds=4, length=2, peer_length=2),
        ),
        Workload(
            key="W2",
            title="W2 · seed-000 grid",
            what=(
                "`studies/paper-rnn.yaml` with `seeds: 5`: units {16, 32, 64} × batch {32, 64} × embedding "
                "{200, …, 600} = 30 configurations × 5 seeds, 10 epochs each. sweepstat: the whole study, "
                "timed as one `sweepstat run` command. Peers: every configuration trained once (1 seed) for a "
                "few epochs, the first dropped; the study's time is extrapolated as Σ over configurations of "
                "seeds × epochs × that configuration's median epoch (so the peers' model building, compiling "
                "and first-epoch warm-up are not counted: in their favour)."
            ),
            unit="epoch",
            data=paper["data"],
            model=paper["model"],
            train=paper["train"] | {"epochs": None},
            peer_model={"kind": "rnn", "cell": "lstm", "embedding": 400, "units": 16, "head": "flatten"},
            peer_optimizer={"name": "adam"},
            grid=paper["search"]["grid"],
            labels=paper["search"]["labels"],
            full=Sizes(seeds=5, length=10, peer_length=3),
            quick=Sizes(
                seeds=2, length=2, peer_length=2,
                grid={"model.layers[0].units": [16, 64], "train.batch_size": [32], "model.embedding_dim": [400]},
            ),
        ),
        *(
            Workload(
                key=f"W3-{short}",
                title=f"W3 · seed-004, {title}",
                what=w3_text.replace("{cell}", title),
                unit="epoch",
                data=imdb,
                model={"kind": "rnn", "embedding_dim": 32, "layers": [{"type": cell, "units": 32}], "head": "last"},
                train=rmsprop,
                peer_model={"kind": "rnn", "cell": cell, "embedding": 32, "units": 32, "head": "last"},
                peer_optimizer={"name": "rmsprop"},
                full=Sizes(seeds=4, length=1, peer_length=2),
                quick=Sizes(seeds=2, length=1, peer_length=2, subset={"train": 1000, "test": 200}),
            )
            for short, cell, title in (("rnn", "simple_rnn", "SimpleRNN"), ("lstm", "lstm", "LSTM"))
        ),
        Workload(
            key="W4",
            title="W4 · seed-002, LeNet on MNIST",
            what=(
                "Caffe's LeNet on MNIST (all 60,000 training images, pixels × 1/256; the first 1,000 test images "
                "for the untimed final evaluation), batch 64, SGD lr 0.01, "
                "momentum 0.9, weight decay 5e-4 (Caffe's: added to the gradient), `inv` policy (γ 0.001, "
                "power 0.75). Time per 100 training iterations, updates only (no evaluation inside the timed "
                "part, for every configuration)."
            ),
            unit="100 iterations",
            data={"name": "mnist", "path": str(data_dir / MNIST_FOLDER), "subset": {"test": 1000}},
            model={"kind": "lenet"},
            train={
                "optimizer": {"name": "sgd", "lr": 0.01, "momentum": 0.9, "weight_decay": 0.0005},
                "lr_policy": {"name": "inv", "gamma": 0.001, "power": 0.75},
                "batch_size": 64,
            },
            peer_model={"kind": "lenet"},
            peer_optimizer={"name": "sgd", "lr": 0.01, "momentum": 0.9, "weight_decay": 0.0005, "inv": [0.001, 0.75]},
            full=Sizes(seeds=4, length=300, peer_length=400),
            quick=Sizes(seeds=2, length=200, peer_length=300),
        ),
    ]
    return {w.key: w for w in out}
