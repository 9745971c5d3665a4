"""Data sets, the text pipeline, and the one call the engine uses: ``prepare(spec, cache_dir)``."""

from __future__ import annotations

from pathlib import Path

from sweepstat.data._cache import default_cache_dir
from sweepstat.data._csv import load_csv
from sweepstat.data._dataset import SPLITS, TEXT_COLUMNS, PreparedData, Split, TextTable
from sweepstat.data._gospels import build_gospels, gospels_frame, label_agreement, load_gospels
from sweepstat.data._imdb import load_imdb
from sweepstat.data._mnist import load_mnist
from sweepstat.data._split import stratified_split
from sweepstat.data._subset import subset_frame, take_subset
from sweepstat.data._text import (
    Tokenizer,
    encode_table,
    pad_sequences,
    resolve_maxlen,
    summarize_lengths,
    text_to_word_sequence,
)
from sweepstat.spec import CsvSpec, DataSpec, GospelsSpec, ImdbSpec, MnistSpec

# What `sweepstat data list` prints: name → one line.
DATA_SETS = {
    "gospels": "sentences of Matthew, Mark and Luke (World English Bible); 1 = words of Jesus [default]",
    "imdb": "IMDB movie reviews, 25,000 train / 25,000 test; needs imdb.npz or aclImdb (see data.path)",
    "csv": "your own CSV/TSV file of text and label columns (data.path)",
    "mnist": "MNIST handwritten digits, 28×28, 60,000 train / 10,000 test; needs the four IDX files (data.path)",
}


def load_table(spec: DataSpec, cache_dir: Path) -> TextTable | None:
    """The labelled texts of a text data set with their split; None for data that is already encoded
    (imdb) or not text (mnist)."""
    if isinstance(spec, GospelsSpec):
        return load_gospels(spec, cache_dir)
    if isinstance(spec, CsvSpec):
        return load_csv(spec)
    return None


def prepare(spec: DataSpec, cache_dir: Path) -> PreparedData:
    """Arrays for every split, ready for a model: padded word indices (N, T) for text (the tokenizer sees
    training rows only), raw pixels (N, 1, 28, 28) for mnist; then ``spec.subset`` keeps the first N
    examples of each split (everything fitted on the data is fitted on all of it: see ``_subset``)."""
    if isinstance(spec, ImdbSpec):
        data = load_imdb(spec, cache_dir)
    elif isinstance(spec, MnistSpec):
        data = load_mnist(spec, cache_dir)
    else:
        table = load_gospels(spec, cache_dir) if isinstance(spec, GospelsSpec) else load_csv(spec)
        data = encode_table(table, spec.text)
    return take_subset(data, spec.subset)


__all__ = [
    "DATA_SETS",
    "SPLITS",
    "TEXT_COLUMNS",
    "PreparedData",
    "Split",
    "TextTable",
    "Tokenizer",
    "build_gospels",
    "default_cache_dir",
    "encode_table",
    "gospels_frame",
    "label_agreement",
    "load_csv",
    "load_gospels",
    "load_imdb",
    "load_mnist",
    "load_table",
    "pad_sequences",
    "prepare",
    "resolve_maxlen",
    "stratified_split",
    "subset_frame",
    "summarize_lengths",
    "take_subset",
    "text_to_word_sequence",
]
