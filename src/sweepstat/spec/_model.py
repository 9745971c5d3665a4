"""Model specs: which network, with which sizes. One frozen pydantic model per family, chosen by ``kind``.

Defaults are Keras's where Keras has one (``mask_zero=False``, ``merge_mode="concat"``, dropout 0), Caffe's
for LeNet. Sizes the seeds vary (units, embedding size) have no default. A spec never rewrites a value:
an out-of-range value is an error, never clamped (Keras clamps ``dropout`` into [0, 1]; we refuse).
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

RECURRENT_TYPES = ("simple_rnn", "lstm", "gru")
MERGE_MODES = ("concat", "sum", "mul", "ave")
HEADS = ("flatten", "last", "mean", "max")
OUTPUTS = ("sigmoid", "softmax")
MODEL_KINDS = ("rnn", "lenet", "mlp")

# Names users type for a choice, mapped to the choice we suggest (never accepted silently).
_ALIASES = {
    "simplernn": "simple_rnn",
    "rnn": "simple_rnn",
    "vanilla": "simple_rnn",
    "cudnnlstm": "lstm",
    "cudnngru": "gru",
    "average": "ave",
    "avg": "ave",
    "mean": "ave",
    "add": "sum",
    "multiply": "mul",
    "prod": "mul",
    "flat": "flatten",
    "final": "last",
    "avg_pool": "mean",
    "average_pool": "mean",
    "max_pool": "max",
    "binary": "sigmoid",
    "logistic": "sigmoid",
    "categorical": "softmax",
    "cnn": "lenet",
    "dense": "mlp",
    "lstm": "rnn",
    "gru": "rnn",
}


def _did_you_mean(value: object, choices: tuple[str, ...]) -> str:
    text = str(value).strip().lower().replace("-", "_")
    if text in choices:
        return f"did you mean {text!r}? (names are lower-case)"
    if _ALIASES.get(text) in choices:
        return f"did you mean {_ALIASES[text]!r}?"
    close = difflib.get_close_matches(text, choices, n=1, cutoff=0.5)
    if close:
        return f"did you mean {close[0]!r}?"
    return "use one of " + ", ".join(repr(c) for c in choices)


def _choice(value: object, choices: tuple[str, ...]) -> object:
    """Raise the house error for a value outside ``choices``; return it unchanged otherwise."""
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"must be one of {listed} | fix: {_did_you_mean(value, choices)}")
    return value


def _positive(v: int, example: str) -> int:
    if v < 1:
        raise ValueError(f"must be ≥ 1 | fix: use a positive size such as {example}")
    return v


def _rate(v: float) -> float:
    if not 0 <= v < 1:
        raise ValueError(
            "must be ≥ 0 and < 1 (a fraction of units dropped) | fix: use 0 for none, or e.g. 0.2"
        )
    return v


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RecurrentLayerSpec(_Frozen):
    """One Keras recurrent layer: ``SimpleRNN``, ``LSTM`` or ``GRU`` (``reset_after=True``), maybe bidirectional.

    ``dropout`` and ``recurrent_dropout`` are Keras's: fractions of the inputs and of the recurrent state
    dropped with one mask per sequence (the same at every time step).
    """

    type: Literal["simple_rnn", "lstm", "gru"]
    units: int
    bidirectional: bool = False
    merge_mode: Literal["concat", "sum", "mul", "ave"] = Field(
        default="concat", description="how Bidirectional combines the two directions (Keras default concat)"
    )
    dropout: float = 0.0
    recurrent_dropout: float = 0.0

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, v: Any) -> Any:
        return _choice(v, RECURRENT_TYPES)

    @field_validator("merge_mode", mode="before")
    @classmethod
    def _merge_mode(cls, v: Any) -> Any:
        return _choice(v, MERGE_MODES)

    @field_validator("units")
    @classmethod
    def _units(cls, v: int) -> int:
        return _positive(v, "16 or 32")

    @field_validator("dropout", "recurrent_dropout")
    @classmethod
    def _rates(cls, v: float) -> float:
        return _rate(v)

    @model_validator(mode="after")
    def _merge_needs_bidirectional(self) -> RecurrentLayerSpec:
        if "merge_mode" in self.model_fields_set and not self.bidirectional:
            raise ValueError(
                f"merge_mode {self.merge_mode!r} applies only to a bidirectional layer"
                " | fix: set bidirectional: true, or remove merge_mode"
            )
        return self

    @property
    def n_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def output_features(self) -> int:
        """Features per time step this layer emits: 2·units for a concatenated bidirectional layer."""
        return self.units * 2 if self.bidirectional and self.merge_mode == "concat" else self.units


class RnnModelSpec(_Frozen):
    """Text classifier: Embedding → recurrent layers → head → Dense.

    Every recurrent layer but the last returns its whole sequence (Keras ``return_sequences=True``), as
    stacking requires; the head decides what the last one returns: ``flatten`` (all steps, seed 000's
    Flatten), ``mean`` / ``max`` (GlobalAverage/MaxPooling1D) take the whole sequence, ``last`` takes the
    final output (Keras's default ``return_sequences=False``, seed 004). ``output`` is ``sigmoid``
    (binary, Dense(1)) or ``softmax`` (Dense(n_classes)).
    """

    kind: Literal["rnn"] = "rnn"
    embedding_dim: int
    layers: tuple[RecurrentLayerSpec, ...]
    head: Literal["flatten", "last", "mean", "max"] = "last"
    mask_zero: bool = Field(default=False, description="Keras Embedding default; the seed models do not mask")
    output: Literal["sigmoid", "softmax"] = "sigmoid"

    @field_validator("embedding_dim")
    @classmethod
    def _embedding_dim(cls, v: int) -> int:
        return _positive(v, "32 or 400")

    @field_validator("layers")
    @classmethod
    def _layers(cls, v: tuple[RecurrentLayerSpec, ...]) -> tuple[RecurrentLayerSpec, ...]:
        if not v:
            raise ValueError(
                "must list at least one recurrent layer | fix: e.g. layers: [{type: lstm, units: 16}]"
            )
        return v

    @field_validator("head", mode="before")
    @classmethod
    def _head(cls, v: Any) -> Any:
        return _choice(v, HEADS)

    @field_validator("output", mode="before")
    @classmethod
    def _output(cls, v: Any) -> Any:
        return _choice(v, OUTPUTS)


class LeNetSpec(_Frozen):
    """Caffe's MNIST LeNet (seed 002): conv 20@5×5 → max-pool 2 → conv 50@5×5 → max-pool 2 → fc 500 + ReLU → fc."""

    kind: Literal["lenet"] = "lenet"
    conv1_filters: int = 20
    conv2_filters: int = 50
    hidden: int = 500
    input_scale: float = Field(default=0.00390625, description="Caffe transform_param scale: 1/256")

    @field_validator("conv1_filters", "conv2_filters", "hidden")
    @classmethod
    def _sizes(cls, v: int) -> int:
        return _positive(v, "Caffe's 20, 50 and 500")

    @field_validator("input_scale")
    @classmethod
    def _scale(cls, v: float) -> float:
        if not v > 0:
            raise ValueError("must be > 0 | fix: Caffe's example uses 0.00390625 (1/256)")
        return v


class MlpSpec(_Frozen):
    """Fully connected classifier on dense feature vectors (bag of words, TF-IDF): Dense+ReLU layers → Dense.

    ``dropout`` is a Keras ``Dropout`` layer after each hidden layer (0 = none). The default sizes are
    those of the book's IMDB bag-of-words model (seed 004's chapter 3): two Dense(16, relu).
    """

    kind: Literal["mlp"] = "mlp"
    hidden: tuple[int, ...] = (16, 16)
    dropout: float = 0.0
    output: Literal["sigmoid", "softmax"] = "sigmoid"

    @field_validator("hidden")
    @classmethod
    def _hidden(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if any(h < 1 for h in v):
            raise ValueError("must hold sizes ≥ 1 | fix: use e.g. [16, 16], or [] for no hidden layer")
        return v

    @field_validator("dropout")
    @classmethod
    def _dropout(cls, v: float) -> float:
        return _rate(v)

    @field_validator("output", mode="before")
    @classmethod
    def _output(cls, v: Any) -> Any:
        return _choice(v, OUTPUTS)


def _known_kind(v: Any) -> Any:
    # pydantic's own message for a bad tag names no close match; ours does.
    if isinstance(v, dict):
        if "kind" not in v:
            raise ValueError(
                "needs a kind, one of "
                + ", ".join(repr(k) for k in MODEL_KINDS)
                + " | fix: add e.g. kind: rnn"
            )
        if v["kind"] not in MODEL_KINDS:
            listed = ", ".join(repr(k) for k in MODEL_KINDS)
            raise ValueError(
                f"kind {v['kind']!r} is not one of {listed} | fix: {_did_you_mean(v['kind'], MODEL_KINDS)}"
            )
    return v


def _tag(v: Any) -> str | None:
    # Tags start with "tagged-" so that error paths leave them out ("model.layers[0].units", not
    # "model.rnn.layers[0].units"): sweepstat.spec._validate drops such location parts.
    kind = v.get("kind") if isinstance(v, dict) else getattr(v, "kind", None)
    return f"tagged-{kind}" if kind in MODEL_KINDS else None


ModelSpec = Annotated[
    Annotated[RnnModelSpec, Tag("tagged-rnn")]
    | Annotated[LeNetSpec, Tag("tagged-lenet")]
    | Annotated[MlpSpec, Tag("tagged-mlp")],
    Discriminator(_tag),
    BeforeValidator(_known_kind),
]
"""A model spec of any family, chosen by ``kind`` (rnn, lenet, mlp)."""
