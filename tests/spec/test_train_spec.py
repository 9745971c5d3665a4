"""Train specs: Keras (and Caffe) defaults, shorthands, and every validation error in the house template."""

from __future__ import annotations

from typing import Any

import pytest

from sweepstat.errors import SpecError
from sweepstat.spec import apply_overrides, validate
from sweepstat.spec._train import (
    AdamSpec,
    ConstantPolicy,
    InvPolicy,
    RmspropSpec,
    SgdSpec,
    StepPolicy,
    TrainSpec,
)


def load(raw: dict[str, Any]) -> TrainSpec:
    return validate(TrainSpec, raw, "train")


def test_defaults_are_keras_s() -> None:
    spec = load({})
    assert spec.optimizer == AdamSpec(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
    assert (spec.batch_size, spec.epochs, spec.iterations, spec.shuffle) == (32, 10, None, True)
    assert spec.lr_policy == ConstantPolicy() and spec.eval_every is None and spec.eval_batch_size is None
    assert (spec.clip_norm, spec.clip_value, spec.early_stopping, spec.evaluate_on) == (
        None,
        None,
        None,
        "auto",
    )
    assert load({"optimizer": "rmsprop"}).optimizer == RmspropSpec(lr=0.001, rho=0.9, epsilon=1e-7)
    assert load({"optimizer": "sgd"}).optimizer == SgdSpec(
        lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0
    )


def test_caffe_lenet_solver_spec() -> None:
    """Seed 002: SGD, momentum 0.9, weight decay 5e-4, inv policy, 1,000 iterations evaluated every 100."""
    spec = load(
        {
            "optimizer": {"name": "sgd", "lr": 0.01, "momentum": 0.9, "weight_decay": 0.0005},
            "lr_policy": "inv",
            "batch_size": 64,
            "iterations": 1000,
            "eval_every": 100,
            "eval_batch_size": 128,
        }
    )
    assert spec.epochs is None and spec.iterations == 1000
    assert spec.lr_policy == InvPolicy(gamma=0.001, power=0.75)
    assert isinstance(spec.optimizer, SgdSpec) and spec.optimizer.weight_decay == 0.0005


def test_early_stopping_defaults() -> None:
    es = load({"early_stopping": {"patience": 3}}).early_stopping
    assert es is not None and (es.monitor, es.patience, es.min_delta, es.restore_best) == (
        "val_loss",
        3,
        0.0,
        True,
    )


def test_values_are_stored_as_given() -> None:
    spec = load(
        {
            "optimizer": {"name": "sgd", "lr": 1.0, "momentum": 1.0},
            "lr_policy": {"name": "step", "step_size": 5},
        }
    )
    assert isinstance(spec.optimizer, SgdSpec) and (spec.optimizer.lr, spec.optimizer.momentum) == (1.0, 1.0)
    assert spec.lr_policy == StepPolicy(step_size=5, gamma=0.1)


def test_specs_are_frozen() -> None:
    with pytest.raises(Exception, match="frozen"):
        load({}).batch_size = 3  # type: ignore[misc]


def test_every_problem_is_reported_at_once_with_its_path() -> None:
    raw = {
        "optimizer": {"name": "adam", "lr": 5, "beta_1": 1.5},
        "batch_size": 0,
        "lr_policy": {"name": "step"},
    }
    with pytest.raises(SpecError) as info:
        load(raw)
    wheres = sorted(p.where for p in info.value.problems)
    assert wheres == [
        "train.batch_size",
        "train.lr_policy.step_size",
        "train.optimizer.beta_1",
        "train.optimizer.lr",
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"optimizer": {"name": "adam", "lr": 5.0}},
            r"^train.optimizer.lr must be > 0 and ≤ 1; got 5.0 \(did you mean 5e-3\?\)$",
        ),
        (
            {"optimizer": {"name": "sgd", "lr": 20}},
            r"train.optimizer.lr must be > 0 and ≤ 1; got 20 \(did you mean 2e-2\?\)",
        ),
        (
            {"optimizer": {"name": "sgd", "lr": 0}},
            r"train.optimizer.lr must be > 0 and ≤ 1; got 0 \(Keras's default for sgd is 0.01\)",
        ),
        (
            {"optimizer": {"name": "rmsprop", "lr": -1e-3}},
            r"train.optimizer.lr must be > 0 and ≤ 1; got -0.001",
        ),
        (
            {"optimizer": {"name": "adam", "lr": float("nan")}},
            r"train.optimizer.lr must be > 0 and ≤ 1; got nan",
        ),
        (
            {"optimizer": "adma"},
            r"train.optimizer name 'adma' is not one of 'adam', 'rmsprop', 'sgd'; got 'adma' \(did you mean 'adam'\?\)",
        ),
        (
            {"optimizer": {"name": "SGD"}},
            r"train.optimizer name 'SGD' is not one of .*\(did you mean 'sgd'\? \(names are lower-case\)\)",
        ),
        (
            {"optimizer": {"lr": 0.01}},
            r"train.optimizer needs a name, one of 'adam', 'rmsprop', 'sgd'; got \{'lr': 0.01\}",
        ),
        (
            {"optimizer": {"name": "adam", "momentum": 0.9}},
            r"train.optimizer.momentum is not a known field; got 0.9",
        ),
        (
            {"optimizer": {"name": "adam", "beta_2": 1.0}},
            r"train.optimizer.beta_2 must be ≥ 0 and < 1 \(a decay rate\); got 1.0 \(Keras's default is 0.999\)",
        ),
        (
            {"optimizer": {"name": "adam", "epsilon": 0}},
            r"train.optimizer.epsilon must be > 0 .*; got 0 \(use 1e-7\)",
        ),
        ({"optimizer": {"name": "rmsprop", "rho": -0.1}}, r"train.optimizer.rho must be ≥ 0 and < 1"),
        (
            {"optimizer": {"name": "sgd", "momentum": 1.5}},
            r"train.optimizer.momentum must be ≥ 0 and ≤ 1; got 1.5",
        ),
        (
            {"optimizer": {"name": "sgd", "nesterov": True}},
            r"train.optimizer.nesterov applies only with momentum > 0 .*; got True",
        ),
        (
            {"optimizer": {"name": "sgd", "weight_decay": -5e-4}},
            r"train.optimizer.weight_decay must be ≥ 0; got -0.0005",
        ),
        (
            {"lr_policy": "exp"},
            r"train.lr_policy name 'exp' is not one of 'constant', 'inv', 'step'; got 'exp'",
        ),
        ({"lr_policy": {"name": "step"}}, r"train.lr_policy.step_size is required; got '<missing>'"),
        ({"lr_policy": {"name": "step", "step_size": 0}}, r"train.lr_policy.step_size must be ≥ 1 .*; got 0"),
        (
            {"lr_policy": {"name": "step", "step_size": 5, "gamma": 0}},
            r"train.lr_policy.gamma must be > 0 .*; got 0",
        ),
        ({"lr_policy": {"name": "inv", "power": -1}}, r"train.lr_policy.power must be ≥ 0; got -1"),
        ({"batch_size": 0}, r"train.batch_size must be ≥ 1; got 0 \(use a positive count\)"),
        ({"epochs": 0}, r"train.epochs must be ≥ 1; got 0"),
        (
            {"epochs": 3, "iterations": 1000},
            r"train.iterations must not be set together with epochs \(epochs is 3\).*; got 1000",
        ),
        ({"epochs": None}, r"train.iterations must be set when epochs is null; got None"),
        ({"iterations": 0}, r"train.iterations must be ≥ 1; got 0"),
        ({"eval_every": 0}, r"train.eval_every must be ≥ 1; got 0"),
        ({"eval_batch_size": -1}, r"train.eval_batch_size must be ≥ 1; got -1"),
        ({"clip_norm": 0}, r"train.clip_norm must be > 0, or null for no clipping; got 0"),
        (
            {"clip_norm": 1.0, "clip_value": 0.5},
            r"train.clip_value must not be set together with clip_norm .*; got 0.5 \(remove one of them\)",
        ),
        ({"early_stopping": {"patience": -1}}, r"train.early_stopping.patience must be ≥ 0 .*; got -1"),
        ({"early_stopping": {}}, r"train.early_stopping.patience is required"),
        (
            {"early_stopping": {"patience": 1, "monitor": "loss"}},
            r"train.early_stopping.monitor must be one of 'val_loss', 'val_accuracy'; got 'loss' \(did you mean 'val_loss'\?\)",
        ),
        (
            {"early_stopping": {"patience": 1, "min_delta": -0.01}},
            r"train.early_stopping.min_delta must be ≥ 0; got -0.01 \(Keras takes its absolute value",
        ),
        (
            {"evaluate_on": "validation"},
            r"train.evaluate_on must be one of 'val', 'test', 'auto'; got 'validation'",
        ),
        ({"learning_rate": 0.1}, r"train.learning_rate is not a known field; got 0.1"),
    ],
)
def test_bad_values(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load(raw)


def test_a_bare_name_is_shorthand_for_its_defaults() -> None:
    assert load({"optimizer": "sgd", "lr_policy": "inv"}) == load(
        {"optimizer": {"name": "sgd"}, "lr_policy": {"name": "inv"}}
    )
    raw = apply_overrides({}, ["train.optimizer=rmsprop", "train.lr_policy=constant"], "train")
    assert load(raw).optimizer == RmspropSpec()


def test_overrides_reach_nested_fields() -> None:
    raw = apply_overrides(
        {"optimizer": {"name": "sgd"}}, ["train.optimizer.lr=5", "train.iterations=100"], "train"
    )
    with pytest.raises(
        SpecError, match=r"train.optimizer.lr must be > 0 and ≤ 1; got 5 \(did you mean 5e-3\?\)"
    ):
        load(raw)


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {
            "optimizer": {"name": "sgd", "momentum": 0.9, "nesterov": True},
            "iterations": 100,
            "lr_policy": "inv",
        },
        {
            "optimizer": "rmsprop",
            "early_stopping": {"patience": 2, "monitor": "val_accuracy"},
            "clip_norm": 1,
        },
    ],
)
def test_a_dumped_spec_loads_back_unchanged(raw: dict[str, Any]) -> None:
    """The store keeps the resolved spec as JSON; reading it back must give the same spec."""
    spec = load(raw)
    assert load(spec.model_dump(mode="json")) == spec
