"""Data specs: which data set, how to split it, how to turn its text into padded index sequences.

One frozen pydantic model per data set, chosen by ``name``. Defaults are Keras's where Keras has one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# keras.preprocessing.text.Tokenizer default `filters` (every ASCII punctuation mark but the apostrophe,
# plus tab and newline).
KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'

Book = Literal["Matthew", "Mark", "Luke"]
GOSPEL_BOOKS: tuple[Book, ...] = ("Matthew", "Mark", "Luke")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TextSpec(_Frozen):
    """Tokenizer and padding, with Keras semantics. Fitted on the training split only."""

    num_words: int | None = Field(
        default=None, description="keep the num_words-1 most frequent words (Keras); None keeps all"
    )
    lower: bool = True
    filters: str = KERAS_FILTERS
    oov_token: str | None = Field(default=None, description="None drops unknown words, as Keras does")
    maxlen: int | str | None = Field(
        default=None,
        description="padded length: an int, a percentile of training lengths ('p95'), or None (longest)",
    )
    padding: Literal["pre", "post"] = "pre"
    truncating: Literal["pre", "post"] = "pre"

    @field_validator("num_words")
    @classmethod
    def _num_words(cls, v: int | None) -> int | None:
        if v is not None and v < 2:
            raise ValueError("must be ≥ 2 or null (Keras keeps indices below num_words) | fix: try 10000")
        return v

    @field_validator("maxlen")
    @classmethod
    def _maxlen(cls, v: int | str | None) -> int | str | None:
        if v is None:
            return v
        if isinstance(v, int):
            if v < 1:
                raise ValueError("must be a positive length | fix: use e.g. 100, or 'p95' for a percentile")
            return v
        m = re.fullmatch(r"p(\d+(?:\.\d+)?)", v.strip())
        if not m or not 0 < float(m.group(1)) <= 100:
            raise ValueError(
                "must be a positive integer, 'pNN' (a percentile of training lengths, 0 < NN ≤ 100) or null"
                " | fix: use e.g. 100 or 'p95'"
            )
        return v.strip()

    @property
    def maxlen_percentile(self) -> float | None:
        """The percentile asked for by ``maxlen: pNN``, else None."""
        return float(self.maxlen[1:]) if isinstance(self.maxlen, str) else None


class SplitSpec(_Frozen):
    """A deterministic stratified split; used where the data set has no fixed split of its own."""

    seed: int = 0
    test_fraction: float = Field(default=0.25, description="the paper's 75/25 ratio")
    val_fraction: float = Field(default=0.0, description="share of the training part held out")

    @field_validator("test_fraction")
    @classmethod
    def _test(cls, v: float) -> float:
        if not 0 < v < 1:
            raise ValueError("must be > 0 and < 1 | fix: the paper used 0.25")
        return v

    @field_validator("val_fraction")
    @classmethod
    def _val(cls, v: float) -> float:
        if not 0 <= v < 1:
            raise ValueError("must be ≥ 0 and < 1 | fix: use 0 for no validation split, or e.g. 0.2")
        return v


class SubsetSpec(_Frozen):
    """Keep only the first N examples of a split (null keeps the whole split), for pilot studies.

    Taken after the data set's own order, split and encoding: IMDB's first N are those after
    ``load_data``'s seeded shuffle (a random sample); gospels' and csv's are the first N of the split in
    book or file order (not a random sample). The vocabulary, the ``num_words`` ranking, a percentile
    ``maxlen`` and the validation split stay those of the full data set. A number larger than the split
    is an error.
    """

    train: int | None = None
    val: int | None = None
    test: int | None = None

    @field_validator("train", "val", "test")
    @classmethod
    def _count(cls, v: int | None) -> int | None:
        if v is not None and v < 1:
            raise ValueError("must be ≥ 1, or null for the whole split | fix: e.g. 5000")
        return v

    @property
    def is_whole(self) -> bool:
        """True when no split is cut (the default)."""
        return self.train is None and self.val is None and self.test is None


class GospelsSpec(_Frozen):
    """Sentences of Matthew, Mark and Luke (World English Bible); label 1 = words of Jesus."""

    name: Literal["gospels"] = "gospels"
    books: tuple[Book, ...] = GOSPEL_BOOKS
    min_words: int = Field(default=2, description="fragments with fewer words are dropped")
    split_speech: bool = Field(default=True, description="cut sentences before an opening quotation mark")
    speech_intros: Literal["drop", "keep"] = Field(
        default="drop", description="narration that only introduces a quotation ('He said to them,')"
    )
    sword_path: Path | None = Field(
        default=None, description="folder holding mods.d/ and modules/; None searches the standard places"
    )
    split: SplitSpec = SplitSpec()
    text: TextSpec = TextSpec()
    subset: SubsetSpec = SubsetSpec()

    @field_validator("books")
    @classmethod
    def _books(cls, v: tuple[Book, ...]) -> tuple[Book, ...]:
        if not v or len(set(v)) != len(v):
            raise ValueError("must list each of Matthew, Mark, Luke at most once, and at least one")
        return tuple(b for b in GOSPEL_BOOKS if b in v)  # canonical order; the set is what the user gave

    @field_validator("min_words")
    @classmethod
    def _min_words(cls, v: int) -> int:
        if v < 1:
            raise ValueError("must be ≥ 1 | fix: the default 2 drops one-word fragments")
        return v


class ImdbSpec(_Frozen):
    """IMDB reviews with keras.datasets.imdb.load_data semantics; 25,000 train / 25,000 test."""

    name: Literal["imdb"] = "imdb"
    path: Path | None = Field(
        default=None,
        description="imdb.npz, an aclImdb/ folder or aclImdb_v1.tar.gz; None looks in the cache folder",
    )
    skip_top: int = 0
    load_maxlen: int | None = Field(default=None, description="load_data(maxlen=): drop longer reviews")
    start_char: int | None = 1
    oov_char: int | None = 2
    index_from: int = 3
    shuffle_seed: int = Field(default=113, description="load_data's own shuffle seed")
    val_fraction: float = Field(default=0.0, description="share of the training part held out")
    text: TextSpec = TextSpec()
    subset: SubsetSpec = SubsetSpec()

    @field_validator("skip_top", "index_from")
    @classmethod
    def _non_negative(cls, v: int) -> int:
        if v < 0:
            raise ValueError("must be ≥ 0")
        return v

    @field_validator("load_maxlen")
    @classmethod
    def _load_maxlen(cls, v: int | None) -> int | None:
        if v is not None and v < 1:
            raise ValueError("must be a positive length or null | fix: e.g. 500")
        return v

    @field_validator("val_fraction")
    @classmethod
    def _val(cls, v: float) -> float:
        if not 0 <= v < 1:
            raise ValueError("must be ≥ 0 and < 1 | fix: use 0, or e.g. 0.2")
        return v


class CsvSpec(_Frozen):
    """Any CSV/TSV file of text and label columns; binary or multi-class."""

    name: Literal["csv"] = "csv"
    path: Path
    text_column: str = "text"
    label_column: str = "label"
    split_column: str | None = Field(
        default=None, description="a column of train/test/val values; None splits by `split`"
    )
    sep: str | None = Field(default=None, description="None: tab for .tsv/.tab files, else comma")
    split: SplitSpec = SplitSpec()
    text: TextSpec = TextSpec()
    subset: SubsetSpec = SubsetSpec()

    @model_validator(mode="after")
    def _columns(self) -> CsvSpec:
        cols = [self.text_column, self.label_column] + ([self.split_column] if self.split_column else [])
        if len(set(cols)) != len(cols):
            raise ValueError("must name three different columns in text_column, label_column, split_column")
        if self.split_column is not None and "split" in self.model_fields_set:
            raise ValueError(
                "must not set both split and split_column (the file's column decides the split)"
                " | fix: remove data.split, or remove data.split_column to split by seed"
            )
        return self


class MnistSpec(_Frozen):
    """MNIST handwritten digits from the four IDX files (gzipped or not); 60,000 train / 10,000 test."""

    name: Literal["mnist"] = "mnist"
    path: Path | None = Field(
        default=None, description="the folder holding the four IDX files; None looks in the cache folder"
    )
    val_fraction: float = Field(
        default=0.0, description="share of the training images held out, the last ones (Keras)"
    )
    subset: SubsetSpec = SubsetSpec()

    @field_validator("val_fraction")
    @classmethod
    def _val(cls, v: float) -> float:
        if not 0 <= v < 1:
            raise ValueError("must be ≥ 0 and < 1 | fix: use 0, or e.g. 0.1 (54,000 / 6,000 images)")
        return v


DataSpec = Annotated[GospelsSpec | ImdbSpec | CsvSpec | MnistSpec, Field(discriminator="name")]
DATA_SET_NAMES = ("gospels", "imdb", "csv", "mnist")
