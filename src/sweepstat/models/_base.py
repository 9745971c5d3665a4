"""What every model in the zoo shares: R replicas, one seed each, and a Keras-style parameter count."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from sweepstat.errors import Problem, SpecError


class ReplicatedModel(nn.Module):
    """A model holding R independent replicas; every parameter has the replica axis first.

    Replica r is initialised from ``seeds[r]`` alone: it equals replica 0 of the same model built with
    ``[seeds[r]]``. ``forward`` takes ``(R, B, ...)`` inputs, each replica its own minibatch, and returns
    ``(R, B, C)`` logits.
    """

    def __init__(self, seeds: Sequence[int]):
        super().__init__()
        if len(seeds) == 0:
            raise ValueError("seeds must hold at least one seed (one per replica)")
        self.seeds = tuple(int(s) for s in seeds)

    @property
    def n_replicas(self) -> int:
        return len(self.seeds)

    def count_params(self) -> int:
        """Parameters of one replica: the "Total params" of Keras's ``model.summary()``."""
        return sum(p.numel() for p in self.parameters()) // self.n_replicas


def output_units(output: str, n_classes: int, where: str = "model.output") -> int:
    """Dense units for the output: 1 logit for ``sigmoid`` (binary only), ``n_classes`` for ``softmax``."""
    if n_classes < 2:
        raise SpecError([Problem("data", "must hold at least 2 classes to classify", n_classes)])
    if output == "sigmoid":
        if n_classes != 2:
            raise SpecError(
                [
                    Problem(
                        where,
                        f"'sigmoid' is a binary output but the data has {n_classes} classes",
                        output,
                        "use output: softmax",
                    )
                ]
            )
        return 1
    return n_classes
