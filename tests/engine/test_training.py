"""The training loop: it learns, it is reproducible, replicas are independent runs, it records what it says."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import torch

from sweepstat.data import PreparedData, Split
from sweepstat.engine import (
    EpochRecord,
    RunResult,
    RunState,
    StackedOptimizer,
    lr_factor,
    train_replicas,
    train_run,
)
from sweepstat.spec._model import LeNetSpec, MlpSpec
from sweepstat.spec._train import InvPolicy
from tests.engine.helpers import keyword_data, rnn_spec, train_spec

TIMES = ("wall_seconds", "interval_seconds", "train_seconds", "eval_seconds", "ms_per_100_iterations")


def metrics(result: RunResult) -> list[dict[str, Any]]:
    """The curves without the timings, which differ from run to run."""
    return [{k: v for k, v in rec.to_dict().items() if k not in TIMES} for rec in result.curves]


def test_a_learnable_problem_is_learned() -> None:
    data = keyword_data(n_train=256, n_test=128)
    spec = train_spec(epochs=12, optimizer={"name": "adam", "lr": 0.01})
    (result,) = train_replicas(rnn_spec(), spec, data, [5])
    assert result.state == RunState.COMPLETE and result.error is None
    assert result.final is not None and result.final.test_accuracy >= 0.95
    first, last = result.curves[0], result.curves[-1]
    assert last.train_loss < first.train_loss / 3
    assert [r.epoch for r in result.curves] == list(range(1, 13))
    assert [r.iteration for r in result.curves] == [16 * e for e in range(1, 13)]  # 256 / 16 per epoch


@pytest.mark.parametrize(
    "optimizer",
    [{"name": "rmsprop", "lr": 0.01}, {"name": "sgd", "lr": 0.5, "momentum": 0.9, "nesterov": True}],
)
def test_every_optimizer_trains_a_multiclass_model(optimizer: Any) -> None:
    data = keyword_data(n_train=192, n_test=60, n_classes=3)
    (result,) = train_replicas(
        rnn_spec(output="softmax"), train_spec(epochs=8, optimizer=optimizer), data, [1]
    )
    assert result.state == RunState.COMPLETE
    assert result.curves[-1].train_loss < result.curves[0].train_loss
    assert result.curves[-1].train_accuracy > 0.85  # the majority class is 55 %


def test_same_spec_and_seed_give_bit_identical_metrics() -> None:
    data = keyword_data()
    spec = train_spec(epochs=3, clip_norm=1.0)
    model = rnn_spec(dropout=0.3)
    a = train_replicas(model, spec, data, [7, 8])
    b = train_replicas(model, spec, data, [7, 8])
    assert [metrics(r) for r in a] == [metrics(r) for r in b]
    assert metrics(a[0]) != metrics(a[1])  # different seeds, different runs


def test_seed_fixes_order_and_dropout_too() -> None:
    """Same initial weights, different batch order or masks: the seed must fix all three."""
    data = keyword_data()
    runs = [
        train_run(rnn_spec(dropout=0.5), train_spec(epochs=2, shuffle=shuffle), data, 3)
        for shuffle in (True, False)
    ]
    assert metrics(runs[0]) != metrics(runs[1])


@pytest.mark.parametrize(
    ("output", "n_classes", "dropout"),
    [("softmax", 3, 0.2), ("sigmoid", 2, 0.2), ("sigmoid", 2, 0.0)],  # dropout 0: the fused recurrence
)
def test_replica_r_is_the_run_of_seed_r(output: str, n_classes: int, dropout: float) -> None:
    """Replica r of R=3 is bit-identical to the R=1 run of its seed (models/_dense.py keeps Dense(1)
    on the same BLAS path for every R)."""
    data = keyword_data(n_classes=n_classes, n_val=24)
    spec = train_spec(epochs=3, optimizer="adam")
    model = rnn_spec(output=output, dropout=dropout)
    group = train_replicas(model, spec, data, [11, 22, 33])
    for seed, in_group in zip([11, 22, 33], group, strict=True):
        alone = train_run(model, spec, data, seed)
        assert metrics(in_group) == metrics(alone)
        assert in_group.n_replicas == 3 and alone.n_replicas == 1


def test_iterations_mode_evaluates_every_eval_every_and_at_the_end() -> None:
    data = keyword_data(n_train=40)  # 3 batches per epoch: 16, 16, 8
    spec = train_spec(iterations=10, eval_every=4, optimizer={"name": "sgd", "lr": 0.1}, lr_policy="inv")
    (result,) = train_replicas(rnn_spec(), spec, data, [0])
    assert [(r.epoch, r.iteration) for r in result.curves] == [(2, 4), (3, 8), (4, 10)]
    # the rate of each interval's last update: base·(1 + γ·iter)^(−power), iter = updates before it
    assert [r.lr for r in result.curves] == [
        pytest.approx(0.1 * lr_factor(InvPolicy(), k)) for k in (3, 7, 9)
    ]
    assert result.evaluated_on == "test"
    assert all(r.eval_loss == r.test_loss for r in result.curves)  # no validation split: eval is the test


def test_the_policy_sets_the_rate_of_every_update(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[float]] = []
    original = StackedOptimizer.step

    def spy(self: StackedOptimizer, grads: Any, lr: torch.Tensor) -> None:
        seen.append(lr.tolist())
        original(self, grads, lr)

    monkeypatch.setattr(StackedOptimizer, "step", spy)
    spec = train_spec(
        iterations=5, optimizer={"name": "sgd", "lr": 0.1}, lr_policy={"name": "step", "step_size": 2}
    )
    train_replicas(rnn_spec(), spec, keyword_data(), [0, 1], base_lrs=[0.1, 0.02])
    want = [[0.1 * 0.1 ** (k // 2), 0.02 * 0.1 ** (k // 2)] for k in range(5)]
    np.testing.assert_allclose(seen, want, rtol=1e-6)


def test_records_and_summary() -> None:
    data = keyword_data(n_val=30)
    (result,) = train_replicas(rnn_spec(), train_spec(epochs=3), data, [4])
    assert result.evaluated_on == "val"
    assert all(r.eval_loss != r.test_loss for r in result.curves)  # a validation split of its own
    assert result.final == result.curves[-1]
    assert result.best == min(result.curves, key=lambda r: r.eval_loss)
    assert result.best_epoch == result.best.epoch
    assert result.n_params == 12 * 8 + 4 * 8 * (8 + 8 + 1) + 6 * 8 + 1  # Keras summary: emb, LSTM, Dense
    assert result.peak_rss_bytes > 10**7 and result.peak_rss_scope in ("run", "process")
    assert result.peak_gpu_bytes is None and result.device == "cpu"
    assert result.base_lr == 0.001 and result.stopped_epoch is None and result.diverged_at is None
    for rec in result.curves:
        assert 0 <= rec.train_accuracy <= 1 and rec.lr == 0.001
        assert rec.interval_seconds >= rec.train_seconds > 0 and rec.eval_seconds > 0
        assert rec.ms_per_100_iterations == pytest.approx(1e5 * rec.train_seconds / 6)  # 96 / 16 updates
    walls = [r.wall_seconds for r in result.curves]
    assert walls == sorted(walls) and result.total_seconds >= walls[-1]


def test_a_batch_larger_than_the_training_set_is_one_batch() -> None:
    (result,) = train_replicas(
        rnn_spec(), train_spec(epochs=2, batch_size=1000), keyword_data(n_train=20), [0]
    )
    assert result.state == RunState.COMPLETE
    assert [r.iteration for r in result.curves] == [1, 2]


def test_to_dict_is_json_with_nan_as_null() -> None:
    (result,) = train_replicas(rnn_spec(), train_spec(epochs=1), keyword_data(), [0])
    text = json.dumps(result.to_dict(), allow_nan=False)
    back = json.loads(text)
    assert back["state"] == "COMPLETE" and back["best_epoch"] == 1 and len(back["curves"]) == 1
    assert back["final"]["test_loss"] == result.final.test_loss if result.final else False
    assert result.final is not None
    broken = replace(result, final=replace(result.final, eval_loss=float("nan"), test_loss=float("inf")))
    out = broken.to_dict()["final"]
    assert out["eval_loss"] is None and out["test_loss"] is None
    json.dumps(broken.to_dict(), allow_nan=False)


def test_record_metric_takes_keras_names() -> None:
    rec = EpochRecord(1, 1, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 0.1, 1.0, 1.0, 0.5, 0.5, 10.0)
    assert (rec.metric("val_loss"), rec.metric("val_accuracy"), rec.metric("loss")) == (0.7, 0.8, 0.5)


def test_lenet_and_mlp_train_through_the_same_loop() -> None:
    """Seed 002's shape of training: LeNet, SGD with momentum and weight decay, inv policy, iterations."""
    rng = np.random.default_rng(0)

    def images(n: int) -> Split:
        y = rng.integers(0, 10, size=n)
        x = rng.integers(0, 60, size=(n, 1, 28, 28)).astype(np.uint8)
        x[np.arange(n), 0, 2 * y + 3, 4:24] = 255  # a bright row whose position is the class
        return Split(x=x, y=y.astype(np.int64))

    digits = PreparedData("digits", images(64), images(32), None, 0, 0, tuple(str(c) for c in range(10)))
    sgd = {"name": "sgd", "lr": 0.01, "momentum": 0.9, "weight_decay": 0.0005}
    spec = train_spec(iterations=12, eval_every=6, batch_size=16, optimizer=sgd, lr_policy="inv")
    lenet = LeNetSpec(conv1_filters=4, conv2_filters=6, hidden=16)
    results = train_replicas(lenet, spec, digits, [0, 1])
    assert [r.state for r in results] == [RunState.COMPLETE] * 2
    assert [rec.iteration for rec in results[0].curves] == [6, 12]
    assert results[0].n_params == 4 * 25 + 4 + 6 * 4 * 25 + 6 + 96 * 16 + 16 + 16 * 10 + 10

    def features(n: int) -> Split:
        x = rng.normal(size=(n, 5)).astype(np.float32)
        return Split(x=x, y=(x[:, 0] > 0).astype(np.int64))

    table = PreparedData("table", features(128), features(64), None, 0, 0, ("neg", "pos"))
    (mlp,) = train_replicas(
        MlpSpec(hidden=(8,)), train_spec(epochs=15, optimizer={"name": "adam", "lr": 0.02}), table, [0]
    )
    assert mlp.state == RunState.COMPLETE and mlp.final is not None and mlp.final.test_accuracy > 0.9
