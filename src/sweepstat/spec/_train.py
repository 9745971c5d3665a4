"""Training specs: optimizer, learning-rate policy, batches, length of training, evaluation, early stopping.

Defaults are Keras 3's where Keras has one (``Adam(0.001, 0.9, 0.999, 1e-7)``, ``RMSprop(0.001, rho=0.9,
epsilon=1e-7)``, ``SGD(0.01, momentum=0.0, nesterov=False)``, ``batch_size=32``, ``shuffle=True``), Caffe's
for what Keras lacks (the ``inv`` and ``step`` learning-rate policies, SGD weight decay added to the
gradient). Where sweepstat departs from Keras it says so on the field: ``epochs`` is 10 (Keras ``fit``: 1),
``early_stopping.restore_best`` is true (Keras: false). A value is stored as given or refused, never
clamped: an ``lr`` of 5 is an error, not a silently tamed 1.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sweepstat.spec._model import _choice, _did_you_mean

OPTIMIZER_NAMES = ("adam", "rmsprop", "sgd")
LR_POLICIES = ("constant", "inv", "step")
MONITORS = ("val_loss", "val_accuracy")
EVALUATE_ON = ("val", "test", "auto")

# Keras 3 default learning rates (keras/src/optimizers/{adam,rmsprop,sgd}.py).
KERAS_DEFAULT_LR = {"adam": 0.001, "rmsprop": 0.001, "sgd": 0.01}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _short(x: float) -> str:
    """5e-3 rather than 0.005 or 5e-03: the form people type."""
    exp = math.floor(math.log10(x))
    return f"{x / 10**exp:.3g}e{exp}"


def _learning_rate(v: float, name: str) -> float:
    if not math.isfinite(v) or v <= 0:
        raise ValueError(
            f"must be > 0 and ≤ 1 | fix: Keras's default for {name} is {KERAS_DEFAULT_LR[name]:g}"
        )
    if v > 1:
        raise ValueError(f"must be > 0 and ≤ 1 | fix: did you mean {_short(v / 1000)}?")
    return v


def _decay(v: float, example: str) -> float:
    if not 0 <= v < 1:
        raise ValueError(f"must be ≥ 0 and < 1 (a decay rate) | fix: Keras's default is {example}")
    return v


def _epsilon(v: float) -> float:
    if not (math.isfinite(v) and v > 0):
        raise ValueError(
            "must be > 0 (it keeps the update finite where the second moment is 0) | fix: use 1e-7"
        )
    return v


class AdamSpec(_Frozen):
    """Keras ``Adam``: alpha = lr·sqrt(1−β2^t)/(1−β1^t); m += (g−m)(1−β1); v += (g²−v)(1−β2);
    p −= alpha·m/(sqrt(v)+ε). ε is Kingma & Ba's "epsilon hat", outside the bias correction
    (torch.optim.Adam puts it inside)."""

    name: Literal["adam"] = "adam"
    lr: float = KERAS_DEFAULT_LR["adam"]
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-7

    @field_validator("lr")
    @classmethod
    def _lr(cls, v: float) -> float:
        return _learning_rate(v, "adam")

    @field_validator("beta_1")
    @classmethod
    def _beta_1(cls, v: float) -> float:
        return _decay(v, "0.9")

    @field_validator("beta_2")
    @classmethod
    def _beta_2(cls, v: float) -> float:
        return _decay(v, "0.999")

    @field_validator("epsilon")
    @classmethod
    def _eps(cls, v: float) -> float:
        return _epsilon(v)


class RmspropSpec(_Frozen):
    """Keras ``RMSprop`` (no momentum, not centered): v = ρ·v + (1−ρ)·g²; p −= lr·g / sqrt(v + ε).
    ε sits inside the square root, as in Keras."""

    name: Literal["rmsprop"] = "rmsprop"
    lr: float = KERAS_DEFAULT_LR["rmsprop"]
    rho: float = 0.9
    epsilon: float = 1e-7

    @field_validator("lr")
    @classmethod
    def _lr(cls, v: float) -> float:
        return _learning_rate(v, "rmsprop")

    @field_validator("rho")
    @classmethod
    def _rho(cls, v: float) -> float:
        return _decay(v, "0.9")

    @field_validator("epsilon")
    @classmethod
    def _eps(cls, v: float) -> float:
        return _epsilon(v)


class SgdSpec(_Frozen):
    """Keras ``SGD``: m = μ·m − lr·g; p += m (nesterov: p += μ·m − lr·g); plain p −= lr·g when μ = 0.

    ``weight_decay`` is Caffe's L2 regularisation, added to the gradient before the update
    (g ← g + wd·p, after clipping), as Caffe's ``SGDSolver`` does (seed 002's LeNet solver uses 0.0005).
    It is not Keras's ``weight_decay``, which shrinks the weights apart from the gradient.
    """

    name: Literal["sgd"] = "sgd"
    lr: float = KERAS_DEFAULT_LR["sgd"]
    momentum: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0

    @field_validator("lr")
    @classmethod
    def _lr(cls, v: float) -> float:
        return _learning_rate(v, "sgd")

    @field_validator("momentum")
    @classmethod
    def _momentum(cls, v: float) -> float:
        if not 0 <= v <= 1:
            raise ValueError("must be ≥ 0 and ≤ 1 | fix: 0 for plain SGD; Caffe's LeNet uses 0.9")
        return v

    @field_validator("weight_decay")
    @classmethod
    def _weight_decay(cls, v: float) -> float:
        if not (math.isfinite(v) and v >= 0):
            raise ValueError("must be ≥ 0 | fix: 0 for none; Caffe's LeNet uses 0.0005")
        return v

    @field_validator("nesterov")
    @classmethod
    def _nesterov_needs_momentum(cls, v: bool, info: ValidationInfo) -> bool:
        if v and info.data.get("momentum") == 0:
            raise ValueError(
                "applies only with momentum > 0 (with momentum 0 it changes nothing)"
                " | fix: set momentum (e.g. 0.9), or remove nesterov"
            )
        return v


class ConstantPolicy(_Frozen):
    """The learning rate stays ``lr``."""

    name: Literal["constant"] = "constant"


class InvPolicy(_Frozen):
    """Caffe ``inv``: lr·(1 + gamma·iter)^(−power), iter = updates done before this one (0 for the first).
    The defaults are Caffe's LeNet solver's (seed 002)."""

    name: Literal["inv"] = "inv"
    gamma: float = 0.001
    power: float = 0.75

    @field_validator("gamma", "power")
    @classmethod
    def _non_negative(cls, v: float) -> float:
        if not (math.isfinite(v) and v >= 0):
            raise ValueError("must be ≥ 0 | fix: Caffe's LeNet uses gamma 0.001, power 0.75")
        return v


class StepPolicy(_Frozen):
    """Caffe ``step``: lr·gamma^floor(iter / step_size), iter = updates done before this one."""

    name: Literal["step"] = "step"
    step_size: int
    gamma: float = Field(default=0.1, description="Caffe's examples and torch StepLR use 0.1")

    @field_validator("step_size")
    @classmethod
    def _step_size(cls, v: int) -> int:
        if v < 1:
            raise ValueError("must be ≥ 1 (iterations between two drops) | fix: e.g. 1000")
        return v

    @field_validator("gamma")
    @classmethod
    def _gamma(cls, v: float) -> float:
        if not (math.isfinite(v) and v > 0):
            raise ValueError("must be > 0 (the factor applied at each drop) | fix: e.g. 0.1")
        return v


class EarlyStoppingSpec(_Frozen):
    """Keras ``EarlyStopping``: stop a replica after ``patience`` evaluations without an improvement larger
    than ``min_delta`` in ``monitor`` (never at the first evaluation); with ``restore_best`` its weights
    return to those of the best evaluation, also when training ends without stopping (Keras 3)."""

    monitor: Literal["val_loss", "val_accuracy"] = "val_loss"
    patience: int
    min_delta: float = 0.0
    restore_best: bool = Field(
        default=True, description="Keras's restore_best_weights, which defaults to False"
    )

    @field_validator("monitor", mode="before")
    @classmethod
    def _monitor(cls, v: Any) -> Any:
        return _choice(v, MONITORS)

    @field_validator("patience")
    @classmethod
    def _patience(cls, v: int) -> int:
        if v < 0:
            raise ValueError("must be ≥ 0 (evaluations without improvement) | fix: e.g. 3")
        return v

    @field_validator("min_delta")
    @classmethod
    def _min_delta(cls, v: float) -> float:
        if not (math.isfinite(v) and v >= 0):
            raise ValueError(
                "must be ≥ 0 | fix: Keras takes its absolute value; write it positive, e.g. 0.001"
            )
        return v


def _named(choices: tuple[str, ...], example: str) -> Any:
    """Before-validator for a union chosen by ``name``: a bare string is shorthand for ``{name: ...}``."""

    def check(v: Any) -> Any:
        if isinstance(v, str):
            v = {"name": v}
        if isinstance(v, dict):
            if "name" not in v:
                listed = ", ".join(repr(c) for c in choices)
                raise ValueError(f"needs a name, one of {listed} | fix: add e.g. name: {example}")
            if v["name"] not in choices:
                listed = ", ".join(repr(c) for c in choices)
                raise ValueError(
                    f"name {v['name']!r} is not one of {listed} | fix: {_did_you_mean(v['name'], choices)}"
                )
        return v

    return check


def _tag(v: Any) -> str | None:
    # "tagged-" tags are dropped from error paths (train.optimizer.lr, not train.optimizer.adam.lr).
    name = v.get("name") if isinstance(v, dict) else getattr(v, "name", None)
    return f"tagged-{name}" if isinstance(name, str) else None


OptimizerSpec = Annotated[
    Annotated[AdamSpec, Tag("tagged-adam")]
    | Annotated[RmspropSpec, Tag("tagged-rmsprop")]
    | Annotated[SgdSpec, Tag("tagged-sgd")],
    Discriminator(_tag),
    BeforeValidator(_named(OPTIMIZER_NAMES, "adam")),
]
"""An optimizer spec chosen by ``name`` (adam, rmsprop, sgd); a bare name takes that optimizer's defaults."""

LrPolicySpec = Annotated[
    Annotated[ConstantPolicy, Tag("tagged-constant")]
    | Annotated[InvPolicy, Tag("tagged-inv")]
    | Annotated[StepPolicy, Tag("tagged-step")],
    Discriminator(_tag),
    BeforeValidator(_named(LR_POLICIES, "inv")),
]
"""A learning-rate policy chosen by ``name`` (constant, inv, step)."""


class TrainSpec(_Frozen):
    """How one run trains: the same for every replica (seed) of a group.

    Length: ``epochs`` or ``iterations`` (optimizer updates; seed 002 counts these), exactly one. An epoch
    is one pass over the training split in batches of ``batch_size``, the last batch smaller when the
    size does not divide (kept, as Keras does). Evaluation happens every ``eval_every`` iterations, or at
    the end of every epoch when it is null, and at the end of training; each evaluation records the
    ``evaluate_on`` split (``auto``: the validation split if the data has one, else the test split) as
    the "validation" curve, and the test split as well. ``eval_batch_size`` changes only speed and memory, not the
    metrics (beyond rounding); null lets the engine choose chunks of about 2^17 input values (at least
    ``batch_size`` examples), since every evaluation pass has a fixed cost.
    ``clip_norm`` clips each variable's gradient by its own L2 norm (Keras ``clipnorm``), ``clip_value``
    each element (Keras ``clipvalue``); Keras allows one of them.
    """

    optimizer: OptimizerSpec = AdamSpec()
    lr_policy: LrPolicySpec = ConstantPolicy()
    batch_size: int = 32
    epochs: int | None = Field(default=10, description="Keras fit's default is 1")
    iterations: int | None = Field(default=None, validate_default=True)
    eval_every: int | None = None
    eval_batch_size: int | None = None
    shuffle: bool = True
    clip_norm: float | None = None
    clip_value: float | None = None
    early_stopping: EarlyStoppingSpec | None = None
    evaluate_on: Literal["val", "test", "auto"] = "auto"

    @model_validator(mode="before")
    @classmethod
    def _iterations_replace_default_epochs(cls, raw: Any) -> Any:
        # Giving iterations alone means "train by iterations": the default epochs does not apply.
        if isinstance(raw, dict) and raw.get("iterations") is not None and "epochs" not in raw:
            raw = {**raw, "epochs": None}
        return raw

    @field_validator("batch_size", "epochs", "iterations", "eval_every", "eval_batch_size")
    @classmethod
    def _counts(cls, v: int | None) -> int | None:
        if v is not None and v < 1:
            raise ValueError("must be ≥ 1 | fix: use a positive count")
        return v

    @field_validator("clip_norm", "clip_value")
    @classmethod
    def _clip(cls, v: float | None) -> float | None:
        if v is not None and not (math.isfinite(v) and v > 0):
            raise ValueError("must be > 0, or null for no clipping | fix: e.g. 1.0")
        return v

    @field_validator("evaluate_on", mode="before")
    @classmethod
    def _evaluate_on(cls, v: Any) -> Any:
        return _choice(v, EVALUATE_ON)

    @field_validator("iterations")
    @classmethod
    def _one_length(cls, v: int | None, info: ValidationInfo) -> int | None:
        if "epochs" not in info.data:
            return v  # epochs itself is invalid and reported
        epochs = info.data["epochs"]
        if v is not None and epochs is not None:
            raise ValueError(
                f"must not be set together with epochs (epochs is {epochs}); a run has one length"
                " | fix: remove epochs, or set epochs: null"
            )
        if v is None and epochs is None:
            raise ValueError("must be set when epochs is null | fix: e.g. iterations: 1000, or epochs: 10")
        return v

    @field_validator("clip_value")
    @classmethod
    def _one_clip(cls, v: float | None, info: ValidationInfo) -> float | None:
        if v is not None and info.data.get("clip_norm") is not None:
            raise ValueError(
                f"must not be set together with clip_norm (clip_norm is {info.data['clip_norm']}), as Keras"
                " allows one | fix: remove one of them"
            )
        return v
