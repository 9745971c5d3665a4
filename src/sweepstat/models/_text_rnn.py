"""The text classifier of seeds 000 and 004: Embedding → recurrent layers → head → Dense, R replicas."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from sweepstat.errors import Problem, SpecError
from sweepstat.models import _projection
from sweepstat.models._base import ReplicatedModel, output_units
from sweepstat.models._dense import Dense
from sweepstat.models._dropout import Generators
from sweepstat.models._embedding import Embedding
from sweepstat.models._heads import apply_head, head_features, head_takes_sequence
from sweepstat.models._init import replica_generators
from sweepstat.models._recurrent import Bidirectional, Recurrent
from sweepstat.spec._model import RnnModelSpec


class TextRnn(ReplicatedModel):
    """Keras ``Sequential([Embedding, *recurrent, head, Dense])`` for R replicas.

    ``forward(tokens (R, B, T) int64) → (R, B, C)`` logits, C = 1 for a sigmoid output, else n_classes;
    the sigmoid / softmax belongs to the loss. Parameters are drawn per replica in Keras's layer order:
    embedding, each recurrent layer (forward then backward), Dense.
    """

    def __init__(
        self,
        spec: RnnModelSpec,
        vocab_size: int,
        maxlen: int | None,
        n_classes: int,
        seeds: Sequence[int],
    ):
        super().__init__(seeds)
        problems = []
        if spec.head == "flatten" and maxlen is None:
            problems.append(
                Problem(
                    "model.head",
                    "'flatten' needs a fixed sequence length, but the data has none (maxlen is null)",
                    spec.head,
                    "set data.text.maxlen (e.g. 100 or 'p95'), or use head last, mean or max",
                )
            )
        try:
            n_out = output_units(spec.output, n_classes)
        except SpecError as err:
            problems += err.problems
            n_out = 1
        if problems:
            raise SpecError(problems)

        self.spec = spec
        self.maxlen = maxlen
        gens = replica_generators(seeds)
        self.embedding = Embedding(vocab_size, spec.embedding_dim, gens, mask_zero=spec.mask_zero)
        layers: list[nn.Module] = []
        features = spec.embedding_dim
        for layer in spec.layers:
            kind, units, rate, rec_rate = layer.type, layer.units, layer.dropout, layer.recurrent_dropout
            if layer.bidirectional:
                layers.append(
                    Bidirectional(
                        kind,
                        features,
                        units,
                        gens,
                        merge_mode=layer.merge_mode,
                        dropout=rate,
                        recurrent_dropout=rec_rate,
                    )
                )
            else:
                layers.append(
                    Recurrent(kind, features, units, gens, dropout=rate, recurrent_dropout=rec_rate)
                )
            features = layer.output_features
        self.recurrent = nn.ModuleList(layers)
        self.dense = Dense(head_features(spec.head, features, maxlen), n_out, gens)

    def forward(self, tokens: torch.Tensor, generator: Generators = None) -> torch.Tensor:
        """tokens (R, B, T) int64, 0 = padding → logits (R, B, C). ``generator``: dropout randomness."""
        if tokens.dim() != 3 or tokens.shape[0] != self.n_replicas:
            raise ValueError(f"tokens must be (R={self.n_replicas}, B, T); got shape {tuple(tokens.shape)}")
        if self.spec.head == "flatten" and tokens.shape[2] != self.maxlen:
            raise ValueError(f"the flatten head was built for T={self.maxlen} steps; got T={tokens.shape[2]}")
        idx = tokens.transpose(1, 2)  # (R, T, B): time-major, so each step is one contiguous slab
        mask = self.embedding.mask(idx)  # (R, T, B) or None
        last = len(self.recurrent) - 1
        layers = list(self.recurrent)
        first = layers[0] if layers else None
        if (
            _projection.enabled
            and isinstance(first, Recurrent | Bidirectional)
            and first.fusable(mask)
            and idx.numel() > 0
        ):
            # Lookup and the first layer's input projection as one node over distinct tokens
            # (models/_projection.py); then that layer's time loops.
            kernel, bias = first.input_projection()
            table, hook = self.embedding.weight, self.embedding.row_hook
            xw = _projection.embedded_projection(idx, table, kernel, bias, hook)
            x = first.forward_projected(xw, return_sequences=last > 0 or head_takes_sequence(self.spec.head))
            layers = layers[1:]
        else:
            x = self.embedding(idx)  # (R, T, B, E)
        for k, layer in enumerate(layers, start=len(self.recurrent) - len(layers)):
            seq = k < last or head_takes_sequence(self.spec.head)
            x = layer(x, mask, return_sequences=seq, generator=generator)  # (R, T, B, F) or (R, B, F)
        return self.dense(apply_head(self.spec.head, x, mask))  # (R, B, C)
