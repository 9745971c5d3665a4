"""Failures are data: a diverged replica stops alone, an exception becomes FAILED, bad input is an error."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import torch

from sweepstat.data import Split
from sweepstat.engine import RunResult, RunState, fit, train_replicas, train_run
from sweepstat.errors import DataError, SpecError
from sweepstat.models import build_model
from sweepstat.spec._model import LeNetSpec, MlpSpec
from tests.engine.helpers import MAXLEN, VOCAB, keyword_data, rnn_spec, train_spec

TIMES = ("wall_seconds", "interval_seconds", "train_seconds", "eval_seconds", "ms_per_100_iterations")


def metrics(result: RunResult) -> list[dict[str, Any]]:
    return [{k: v for k, v in rec.to_dict().items() if k not in TIMES} for rec in result.curves]


@pytest.mark.parametrize(
    "optimizer", [{"name": "sgd", "lr": 0.1, "momentum": 0.9}, {"name": "adam", "lr": 0.01}]
)
def test_a_replica_whose_loss_explodes_stops_alone(optimizer: dict[str, Any]) -> None:
    data = keyword_data()
    spec = train_spec(iterations=8, eval_every=1, optimizer=optimizer)
    lr = optimizer["lr"]
    calm = train_replicas(rnn_spec(), spec, data, [1, 2, 3], base_lrs=[lr, lr, lr])
    wild = train_replicas(rnn_spec(), spec, data, [1, 2, 3], base_lrs=[lr, 3e38, lr])
    bad = wild[1]
    assert bad.state == RunState.DIVERGED and bad.error is None
    assert bad.diverged_iteration is not None and 1 <= bad.diverged_iteration <= 8
    assert bad.diverged_at == 1  # 6 updates per epoch: the first epoch
    # the curves stop at the last evaluation before the first non-finite loss, and are finite
    assert [r.iteration for r in bad.curves] == list(range(1, bad.diverged_iteration))
    assert all(math.isfinite(v) for r in bad.curves for v in (r.train_loss, r.eval_loss, r.test_loss))
    assert bad.final == (bad.curves[-1] if bad.curves else None)
    for r in (0, 2):  # the others are exactly the runs without the wild one
        assert wild[r].state == RunState.COMPLETE
        assert metrics(wild[r]) == metrics(calm[r])


def test_a_replica_with_nan_weights_diverges_at_its_first_update_and_the_others_go_on() -> None:
    data = keyword_data()
    spec = train_spec(epochs=2)
    results = []
    for poison in (False, True):
        model = build_model(rnn_spec(), n_classes=2, seeds=[4, 5], vocab_size=VOCAB, maxlen=MAXLEN)
        if poison:
            with torch.no_grad():
                model.embedding.weight[0, 3, 0] = float("nan")  # replica 0 only
        results.append(fit(model, spec, data))
    (clean_0, clean_1), (poisoned_0, poisoned_1) = results
    assert poisoned_0.state == RunState.DIVERGED
    assert (poisoned_0.diverged_at, poisoned_0.diverged_iteration) == (1, 1)
    assert poisoned_0.curves == () and poisoned_0.final is None and poisoned_0.best is None
    assert poisoned_1.state == RunState.COMPLETE and metrics(poisoned_1) == metrics(clean_1)
    assert clean_0.state == RunState.COMPLETE


class Exploding(torch.nn.Module):
    """Wraps a model; its forward raises on call number ``at``."""

    def __init__(self, model: Any, at: int, error: BaseException):
        super().__init__()
        self.inner, self.at, self.error, self.calls = model, at, error, 0

    def forward(self, x: torch.Tensor, generator: Any = None) -> torch.Tensor:
        self.calls += 1
        if self.calls == self.at:
            raise self.error
        return self.inner(x, generator=generator)


def exploding_model(at: int, error: BaseException) -> Any:
    model = build_model(rnn_spec(), n_classes=2, seeds=[1, 2], vocab_size=VOCAB, maxlen=MAXLEN)
    wrapper = Exploding(model, at, error)
    wrapper.seeds, wrapper.n_replicas, wrapper.count_params = model.seeds, 2, model.count_params  # type: ignore[assignment]
    return wrapper


def test_an_exception_in_training_becomes_failed_with_the_curves_so_far() -> None:
    # 6 updates and 2 evaluation forwards (eval split = test split) per epoch: call 12 is in epoch 2
    model = exploding_model(at=12, error=RuntimeError("out of cheese"))
    results = fit(model, train_spec(epochs=3), keyword_data())
    for result in results:
        assert result.state == RunState.FAILED
        assert result.error == "RuntimeError: out of cheese"
        assert result.traceback is not None and "out of cheese" in result.traceback
        assert [r.epoch for r in result.curves] == [1]
        assert result.n_params is not None


def test_a_replica_that_diverged_before_the_exception_stays_diverged() -> None:
    model = exploding_model(at=12, error=RuntimeError("boom"))
    with torch.no_grad():
        model.inner.embedding.weight[1] = float("nan")
    first, second = fit(model, train_spec(epochs=3), keyword_data())
    assert first.state == RunState.FAILED and second.state == RunState.DIVERGED
    assert second.error is None


def test_keyboard_interrupt_is_not_swallowed() -> None:
    with pytest.raises(KeyboardInterrupt):
        fit(exploding_model(at=3, error=KeyboardInterrupt()), train_spec(epochs=1), keyword_data())


def test_a_model_that_cannot_be_built_fails_every_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError("no room")

    monkeypatch.setattr("sweepstat.engine._run.build_model", broken)
    results = train_replicas(rnn_spec(), train_spec(), keyword_data(), [1, 2])
    assert [r.state for r in results] == [RunState.FAILED, RunState.FAILED]
    assert all(r.error == "MemoryError: no room" and r.n_params is None and r.curves == () for r in results)
    assert [r.seed for r in results] == [1, 2]


def test_an_empty_training_set_is_a_data_error() -> None:
    data = keyword_data()
    empty = replace(data, train=Split(x=np.zeros((0, MAXLEN), dtype=np.int64), y=np.zeros(0, dtype=np.int64)))
    with pytest.raises(DataError, match=r"data \(training split\) must hold at least one example; got 0"):
        train_run(rnn_spec(), train_spec(), empty, 0)


def test_labels_outside_the_classes_are_a_data_error() -> None:
    data = keyword_data()
    y = data.test.y.copy()
    y[0] = 2
    with pytest.raises(DataError, match=r"data \(test split\) labels must be class indices 0…1 .*; got 2"):
        train_run(rnn_spec(), train_spec(), replace(data, test=Split(x=data.test.x, y=y)), 0)


def test_word_indices_outside_the_vocabulary_are_a_data_error() -> None:
    data = keyword_data()
    x = data.train.x.copy()
    x[0, 0] = VOCAB
    with pytest.raises(DataError, match=r"must hold word indices 0…11; got 12"):
        train_run(rnn_spec(), train_spec(), replace(data, train=Split(x=x, y=data.train.y)), 0)


def test_evaluating_on_a_missing_validation_split_is_a_spec_error() -> None:
    with pytest.raises(
        SpecError, match=r"train.evaluate_on asks for the validation split, but the data has none"
    ):
        train_run(rnn_spec(), train_spec(evaluate_on="val"), keyword_data(), 0)


def test_bad_devices_are_spec_errors() -> None:
    with pytest.raises(SpecError, match=r"^device must be cpu, cuda, cuda:N \(a GPU's index\) or auto; got 'tpu' \(e.g. cpu, cuda or cuda:0\)$"):
        train_run(rnn_spec(), train_spec(), keyword_data(), 0, device="tpu")
    with pytest.raises(SpecError, match=r"^device must be cpu, cuda, cuda:N .*; got 'cuda:x'"):
        train_run(rnn_spec(), train_spec(), keyword_data(), 0, device="cuda:x")
    if not torch.cuda.is_available():
        with pytest.raises(
            SpecError, match=r"device is a CUDA device, but PyTorch sees none here; got 'cuda'"
        ):
            train_run(rnn_spec(), train_spec(), keyword_data(), 0, device="cuda")
        assert train_run(rnn_spec(), train_spec(epochs=1), keyword_data(), 0, device="auto").device == "cpu"


def test_a_model_that_does_not_fit_the_data_is_a_spec_error() -> None:
    data = keyword_data(n_classes=3)
    with pytest.raises(
        SpecError, match=r"model.output 'sigmoid' is a binary output but the data has 3 classes"
    ):
        train_run(rnn_spec(output="sigmoid"), train_spec(), data, 0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seeds": []}, r"seeds must hold at least one seed"),
        ({"base_lrs": [0.1]}, r"base_lrs must hold one learning rate per replica \(2\); got 1"),
        ({"base_lrs": [0.1, float("inf")]}, r"base_lrs must be finite and > 0"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"seeds": [1, 2], **kwargs}
    with pytest.raises(ValueError, match=message):
        train_replicas(rnn_spec(), train_spec(), keyword_data(), **args)


def test_data_of_the_wrong_shape_for_the_model_is_a_data_error() -> None:
    data = keyword_data()
    with pytest.raises(
        DataError, match=r"data \(training split\) must hold images \(N, C, H, W\) for this model"
    ):
        train_run(LeNetSpec(), train_spec(), data, 0)
    images = replace(data, train=Split(x=np.zeros((4, 1, 8, 8)), y=np.zeros(4, dtype=np.int64)))
    with pytest.raises(
        DataError, match=r"must hold feature vectors \(N, F\) for this model; got \(4, 1, 8, 8\)"
    ):
        train_run(MlpSpec(), train_spec(), images, 0)
