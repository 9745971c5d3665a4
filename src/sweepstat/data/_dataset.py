"""The two shapes data takes: a table of labelled texts, and padded index arrays ready to train on."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# Columns of a TextTable's frame. Provenance columns are empty (<NA>) for data sets without them.
TEXT_COLUMNS = ("text", "label", "split", "book", "chapter", "verse", "sentence")
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class TextTable:
    """Labelled texts, one row per example, with the split each row belongs to.

    ``frame`` has the columns of TEXT_COLUMNS: ``text`` (str), ``label`` (int class index into
    ``class_names``), ``split`` ("train" / "val" / "test"), and provenance ``book``, ``chapter``,
    ``verse``, ``sentence`` (the sentence's 1-based index among those starting in that verse).
    """

    name: str
    frame: pd.DataFrame
    class_names: tuple[str, ...]
    source: str = ""  # where the rows came from, for `data show`

    def part(self, split: str) -> pd.DataFrame:
        return self.frame[self.frame["split"] == split]


@dataclass(frozen=True)
class Split:
    """One split as arrays: ``x`` (N, T) int64 padded word indices (0 = padding), ``y`` (N,) int64."""

    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return int(self.y.shape[0])


@dataclass(frozen=True)
class PreparedData:
    """What a model trains on: padded index arrays per split and what the Embedding layer must know.

    ``vocab_size`` is the Embedding's ``input_dim``: one more than the largest index that can occur.
    """

    name: str
    train: Split
    test: Split
    val: Split | None
    vocab_size: int
    maxlen: int
    class_names: tuple[str, ...]
    word_index: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)
