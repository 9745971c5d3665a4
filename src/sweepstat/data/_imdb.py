"""IMDB movie reviews with the semantics of Keras 3's ``keras.datasets.imdb.load_data``.

Sources, in this order: ``spec.path`` if given (imdb.npz, an aclImdb/ folder or a tarball of it), else the
cache folder; ``_imdb_files`` finds and reads them. Then, as ``load_data`` does (checked against
keras/src/datasets/imdb.py):

1. one ``np.random.RandomState(shuffle_seed)`` shuffles the training reviews, then (continuing the same
   generator) the test reviews;
2. ``start_char`` is prepended and ``index_from`` added to every rank;
3. ``load_maxlen`` filters each split on its own, keeping reviews with ``len < load_maxlen`` (Keras's
   ``remove_long_seq``; the length counts ``start_char``; a review of exactly ``load_maxlen`` is dropped);
4. every index outside ``[skip_top, num_words)`` becomes ``oov_char``, or is dropped when ``oov_char`` is
   None. As in Keras this test also applies to ``start_char`` (``skip_top > start_char`` turns it into
   ``oov_char``), and ``oov_char`` itself is never tested. A test word the training reviews never ranked
   (raw sources only) is treated as outside.

One departure: with ``num_words`` None Keras sets ``num_words = max index`` and so turns the single largest
index into ``oov_char``, against its own docstring ("all words are kept"); here every word is kept.

After that: ``spec.val_fraction`` holds out the *last* ``n - floor(n * (1 - val_fraction))`` shuffled
training reviews, as Keras's ``fit(validation_split=...)`` does; the sequences are padded with
``spec.text`` (``maxlen`` None → the longest training sequence, ``'pNN'`` → a percentile of training
lengths; the validation part does not count); ``vocab_size`` is ``num_words`` if set, else the largest
index + 1; ``word_index`` maps each word to ``rank + index_from``, the index it has in the arrays (what
Keras users build by hand from ``get_word_index()``), for every ranked word, also those ``num_words``
turns into ``oov_char``. ``spec.text.filters`` and ``lower`` matter only for raw sources.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

import numpy as np

from sweepstat.data._dataset import PreparedData, Split
from sweepstat.data._imdb_files import (
    CLASS_NAMES,
    ImdbSource,
    RankedReviews,
    Sequences,
    find_imdb_source,
    rank_reviews,
    read_npz,
    read_ranked,
)
from sweepstat.data._split import validation_cut
from sweepstat.data._text import pad_sequences, resolve_maxlen
from sweepstat.errors import DataError, Problem, SpecError
from sweepstat.spec import ImdbSpec

__all__ = [
    "CLASS_NAMES",
    "ImdbSource",
    "RankedReviews",
    "find_imdb_source",
    "keras_load_data",
    "load_imdb",
    "rank_reviews",
    "read_npz",
    "read_ranked",
]

_UNKNOWN = -1  # a test word the training reviews never ranked; never a valid index


def load_imdb(spec: ImdbSpec, cache_dir: Path) -> PreparedData:
    """Padded IMDB arrays per split, following ``keras.datasets.imdb.load_data`` (module docstring)."""
    _check_spec(spec)
    own = cache_dir / "imdb"  # where users put the files, and where parsed reviews are cached
    source = find_imdb_source(spec.path, own)
    reviews = read_ranked(source, spec.text, own)
    (x_train, y_train), (x_test, y_test) = keras_load_data(
        reviews,
        num_words=spec.text.num_words,
        skip_top=spec.skip_top,
        maxlen=spec.load_maxlen,
        seed=spec.shuffle_seed,
        start_char=spec.start_char,
        oov_char=spec.oov_char,
        index_from=spec.index_from,
    )
    x_val: Sequences | None = None
    y_val: np.ndarray | None = None
    if spec.val_fraction > 0:
        split_at = validation_cut(len(x_train), spec.val_fraction, "review")
        x_train, x_val = x_train[:split_at], x_train[split_at:]
        y_train, y_val = y_train[:split_at], y_train[split_at:]

    text = spec.text
    maxlen = resolve_maxlen([len(s) for s in x_train], text.maxlen)

    def to_split(x: Sequences, y: np.ndarray) -> Split:
        rows = cast(Sequence[Sequence[int]], x)  # 1-D int arrays slice and assign like lists
        return Split(x=pad_sequences(rows, maxlen, text.padding, text.truncating), y=y)  # x: (N, T)

    largest = max((int(s.max()) for s in [*x_train, *x_test, *(x_val or [])] if len(s)), default=0)
    vocab_size = text.num_words if text.num_words is not None else largest + 1
    return PreparedData(
        name="imdb",
        train=to_split(x_train, y_train),
        test=to_split(x_test, y_test),
        val=to_split(x_val, y_val) if x_val is not None and y_val is not None else None,
        vocab_size=vocab_size,
        maxlen=maxlen,
        class_names=CLASS_NAMES,
        word_index={word: rank + spec.index_from for word, rank in reviews.ranks.items()},
    )


def _check_spec(spec: ImdbSpec) -> None:
    problems = []
    if spec.text.oov_token is not None:
        problems.append(
            Problem(
                "data.text.oov_token",
                "must be null for imdb (its sequences mark unknown words with data.oov_char)",
                spec.text.oov_token,
                "remove data.text.oov_token; set data.oov_char instead",
            )
        )
    num_words = spec.text.num_words
    if num_words is not None and spec.oov_char is not None and spec.oov_char >= num_words:
        problems.append(
            Problem(
                "data.oov_char",
                f"must be < data.text.num_words ({num_words}), or every unknown word falls outside the "
                "Embedding",
                spec.oov_char,
                "use the Keras default 2 with num_words ≥ 3",
            )
        )
    if problems:
        raise SpecError(problems)


# --- load_data -----------------------------------------------------------------------------------------


def keras_load_data(
    reviews: RankedReviews,
    *,
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
) -> tuple[tuple[Sequences, np.ndarray], tuple[Sequences, np.ndarray]]:
    """``keras.datasets.imdb.load_data`` on ranked reviews: ((x_train, y_train), (x_test, y_test)).

    Each x is a list of (L_i,) int64 index arrays, each y (N,) int64. Steps and the one departure from
    Keras are in the module docstring.
    """
    rng = np.random.RandomState(seed)
    order = np.arange(len(reviews.x_train))
    rng.shuffle(order)
    x_train = [reviews.x_train[i] for i in order]
    y_train = reviews.y_train[order]
    order = np.arange(len(reviews.x_test))
    rng.shuffle(order)
    x_test = [reviews.x_test[i] for i in order]
    y_test = reviews.y_test[order]

    head = np.array([start_char] if start_char is not None else [], dtype=np.int64)

    def offset(ranks: np.ndarray) -> np.ndarray:
        return np.concatenate([head, np.where(ranks == 0, _UNKNOWN, ranks + index_from)])

    x_train = [offset(s) for s in x_train]
    x_test = [offset(s) for s in x_test]

    if maxlen:
        keep = np.array([len(s) < maxlen for s in x_train], dtype=bool)
        x_train, y_train = [s for s, k in zip(x_train, keep, strict=True) if k], y_train[keep]
        keep = np.array([len(s) < maxlen for s in x_test], dtype=bool)
        x_test, y_test = [s for s, k in zip(x_test, keep, strict=True) if k], y_test[keep]
        if not x_train or not x_test:
            raise DataError(
                "data.load_maxlen",
                "must keep at least one training and one test review (Keras keeps reviews shorter than "
                "load_maxlen, counting start_char)",
                maxlen,
                "raise load_maxlen, or use null to keep every review",
            )

    limit = num_words if num_words is not None else np.iinfo(np.int64).max

    def clip(indices: np.ndarray) -> np.ndarray:
        # _UNKNOWN (< 0 ≤ skip_top) always falls outside the range.
        inside = (indices >= skip_top) & (indices < limit)
        if oov_char is None:
            return indices[inside]
        return np.where(inside, indices, oov_char)

    return ([clip(s) for s in x_train], y_train), ([clip(s) for s in x_test], y_test)


def decoder(data: PreparedData, spec: ImdbSpec) -> Callable[[np.ndarray], str]:
    """A function that turns one padded row of ``data`` back into words (lower case, no punctuation).

    Padding and the start mark are left out; the OOV index shows as ``<oov>``.
    """
    words = {i: w for w, i in data.word_index.items()}
    if spec.oov_char is not None:
        words[spec.oov_char] = "<oov>"
    skip = {0} | ({spec.start_char} if spec.start_char is not None else set())

    def decode(row: np.ndarray) -> str:
        return " ".join(words.get(int(i), "<?>") for i in row if int(i) not in skip)

    return decode
