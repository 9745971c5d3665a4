"""Model specs: every user mistake is a SpecError in the house template, all collected, nothing clamped."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from sweepstat.errors import SpecError
from sweepstat.models import build_model
from sweepstat.spec import validate
from sweepstat.spec._model import LeNetSpec, MlpSpec, ModelSpec, RnnModelSpec


class _Study(BaseModel):
    """Stands for the study spec, which embeds the model spec under ``model``."""

    model: ModelSpec


def load(raw: dict[str, Any]) -> RnnModelSpec | LeNetSpec | MlpSpec:
    return validate(_Study, {"model": raw}).model


def rnn(**over: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {"kind": "rnn", "embedding_dim": 400, "layers": [{"type": "lstm", "units": 16}]}
    raw.update(over)
    return raw


def layer(**over: Any) -> dict[str, Any]:
    return rnn(layers=[{"type": "lstm", "units": 16, **over}])


def test_seed_000_spec_loads_with_keras_defaults() -> None:
    spec = load(rnn(head="flatten"))
    assert isinstance(spec, RnnModelSpec)
    assert spec.mask_zero is False and spec.output == "sigmoid"
    (lay,) = spec.layers
    assert (lay.type, lay.units, lay.bidirectional, lay.merge_mode, lay.dropout, lay.recurrent_dropout) == (
        "lstm",
        16,
        False,
        "concat",
        0.0,
        0.0,
    )
    assert isinstance(load({"kind": "lenet"}), LeNetSpec)
    assert isinstance(load({"kind": "mlp"}), MlpSpec)


def test_values_are_stored_as_given() -> None:
    spec = load(layer(dropout=0.999, recurrent_dropout=0.5))
    assert isinstance(spec, RnnModelSpec)
    assert spec.layers[0].dropout == 0.999
    model = build_model(spec, vocab_size=10, maxlen=None, n_classes=2, seeds=[0])
    assert model.recurrent[0].dropout == 0.999  # never clamped on the way to the layer


@pytest.mark.parametrize(
    ("raw", "pattern"),
    [
        (layer(units=0), r"^model\.layers\[0\]\.units must be ≥ 1; got 0 \(use a positive size"),
        (rnn(embedding_dim=0), r"^model\.embedding_dim must be ≥ 1; got 0"),
        (layer(dropout=1.0), r"layers\[0\]\.dropout must be ≥ 0 and < 1 .*; got 1\.0"),
        (layer(dropout=-0.1), r"layers\[0\]\.dropout must be ≥ 0 and < 1 .*; got -0\.1"),
        (layer(recurrent_dropout=1.5), r"layers\[0\]\.recurrent_dropout must be ≥ 0 and < 1 .*; got 1\.5"),
        (
            layer(type="lstn"),
            r"layers\[0\]\.type must be one of 'simple_rnn', 'lstm', 'gru'; got 'lstn' \(did you mean 'lstm'\?\)",
        ),
        (layer(type="SimpleRNN"), r"got 'SimpleRNN' \(did you mean 'simple_rnn'\?"),
        (layer(type="LSTM"), r"got 'LSTM' \(did you mean 'lstm'\? \(names are lower-case\)\)"),
        (
            layer(bidirectional=True, merge_mode="avg"),
            r"merge_mode must be one of .*; got 'avg' \(did you mean 'ave'\?\)",
        ),
        (
            layer(merge_mode="sum"),
            r"layers\[0\] merge_mode 'sum' applies only to a bidirectional layer.*set bidirectional: true",
        ),
        (
            rnn(head="flat"),
            r"head must be one of 'flatten', 'last', 'mean', 'max'; got 'flat' \(did you mean 'flatten'\?\)",
        ),
        (
            rnn(output="binary"),
            r"output must be one of 'sigmoid', 'softmax'; got 'binary' \(did you mean 'sigmoid'\?\)",
        ),
        (rnn(layers=[]), r"layers must list at least one recurrent layer; got \[\]"),
        (rnn(layers=[{"units": 4}]), r"layers\[0\]\.type is required"),
        (rnn(embeding_dim=3), r"embeding_dim is not a known field"),
        (
            {"kind": "cnn"},
            r"model kind 'cnn' is not one of 'rnn', 'lenet', 'mlp'.*\(did you mean 'lenet'\?\)",
        ),
        ({"embedding_dim": 3}, r"model needs a kind, one of 'rnn', 'lenet', 'mlp'.*\(add e\.g\. kind: rnn\)"),
        ({"kind": "lenet", "hidden": 0}, r"^model\.hidden must be ≥ 1; got 0"),
        (
            {"kind": "lenet", "input_scale": 0},
            r"input_scale must be > 0; got 0 \(Caffe's example uses 0\.00390625",
        ),
        (
            {"kind": "mlp", "hidden": [16, 0]},
            r"hidden must hold sizes ≥ 1; got \[16, 0\] \(use e\.g\. \[16, 16\]",
        ),
        ({"kind": "mlp", "dropout": 1}, r"dropout must be ≥ 0 and < 1"),
    ],
)
def test_each_spec_error(raw: dict[str, Any], pattern: str) -> None:
    with pytest.raises(SpecError, match=pattern):
        load(raw)


def test_all_problems_are_reported_at_once() -> None:
    raw = rnn(
        embedding_dim=-1,
        head="flat",
        layers=[{"type": "lstn", "units": 0}, {"type": "gru", "units": 4, "dropout": 2}],
    )
    with pytest.raises(SpecError) as info:
        load(raw)
    assert [p.where for p in info.value.problems] == [
        "model.embedding_dim",
        "model.layers[0].type",
        "model.layers[0].units",
        "model.layers[1].dropout",
        "model.head",
    ]


def test_flatten_needs_a_fixed_length() -> None:
    spec = load(rnn(head="flatten"))
    assert isinstance(spec, RnnModelSpec)
    with pytest.raises(
        SpecError,
        match=r"^model\.head 'flatten' needs a fixed sequence length.*; got 'flatten' \(set data\.text\.maxlen",
    ):
        build_model(spec, vocab_size=10, maxlen=None, n_classes=2, seeds=[0])
    for head in ("last", "mean", "max"):
        build_model(
            spec.model_copy(update={"head": head}), vocab_size=10, maxlen=None, n_classes=2, seeds=[0]
        )


def test_sigmoid_output_needs_two_classes() -> None:
    spec = load(rnn(head="flatten"))
    assert isinstance(spec, RnnModelSpec)
    with pytest.raises(SpecError) as info:
        build_model(spec, vocab_size=10, maxlen=None, n_classes=3, seeds=[0])
    assert [p.where for p in info.value.problems] == ["model.head", "model.output"]  # both, at once
    assert "use output: softmax" in str(info.value)
    model = build_model(
        spec.model_copy(update={"output": "softmax"}), vocab_size=10, maxlen=5, n_classes=3, seeds=[0]
    )
    assert model.dense.units == 3
    with pytest.raises(SpecError, match=r"^data must hold at least 2 classes"):
        build_model(MlpSpec(), n_features=3, n_classes=1, seeds=[0])


def test_builder_needs_what_the_family_needs() -> None:
    with pytest.raises(TypeError, match="vocab_size"):
        build_model(
            RnnModelSpec(embedding_dim=2, layers=({"type": "gru", "units": 2},)), n_classes=2, seeds=[0]
        )
    with pytest.raises(TypeError, match="n_features"):
        build_model(MlpSpec(), n_classes=2, seeds=[0])
    with pytest.raises(ValueError, match="at least one seed"):
        build_model(MlpSpec(), n_features=3, n_classes=2, seeds=[])
    with pytest.raises(ValueError, match="too small for LeNet"):
        build_model(LeNetSpec(), n_classes=10, seeds=[0], image_shape=(1, 12, 12))


def test_specs_round_trip_and_instances_pass_through() -> None:
    for spec in (
        load(rnn(head="flatten", layers=[{"type": "gru", "units": 3, "bidirectional": True}])),
        LeNetSpec(),
        MlpSpec(),
    ):
        assert load(spec.model_dump()) == spec  # what is stored with a run loads back identically
        assert _Study(model=spec).model is spec
    assert "oneOf" in str(_Study.model_json_schema())
