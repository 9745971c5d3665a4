"""One entry point from a validated model spec to a replicated model."""

from __future__ import annotations

from collections.abc import Sequence

from sweepstat.models._base import ReplicatedModel
from sweepstat.models._lenet import LeNet
from sweepstat.models._mlp import Mlp
from sweepstat.models._text_rnn import TextRnn
from sweepstat.spec._model import LeNetSpec, MlpSpec, RnnModelSpec


def build_model(
    spec: RnnModelSpec | LeNetSpec | MlpSpec,
    *,
    n_classes: int,
    seeds: Sequence[int],
    vocab_size: int | None = None,
    maxlen: int | None = None,
    n_features: int | None = None,
    image_shape: tuple[int, int, int] = (1, 28, 28),
) -> ReplicatedModel:
    """Build ``len(seeds)`` replicas of the model ``spec`` describes, replica r initialised from ``seeds[r]``.

    What the data must tell each family: ``rnn`` needs ``vocab_size`` (the Embedding's input_dim) and
    ``maxlen`` (None only for heads other than flatten); ``mlp`` needs ``n_features``; ``lenet`` uses
    ``image_shape`` (C, H, W). Raises SpecError when the spec does not fit the data (e.g. flatten without
    maxlen, a sigmoid output for more than two classes).
    """
    if isinstance(spec, RnnModelSpec):
        if vocab_size is None:
            raise TypeError("build_model needs vocab_size for an rnn model")
        return TextRnn(spec, vocab_size=vocab_size, maxlen=maxlen, n_classes=n_classes, seeds=seeds)
    if isinstance(spec, MlpSpec):
        if n_features is None:
            raise TypeError("build_model needs n_features for an mlp model")
        return Mlp(spec, n_features=n_features, n_classes=n_classes, seeds=seeds)
    if isinstance(spec, LeNetSpec):
        return LeNet(spec, n_classes=n_classes, seeds=seeds, image_shape=image_shape)
    raise TypeError(f"no model for spec type {type(spec).__name__}")
