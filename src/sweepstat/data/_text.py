"""The text pipeline shared by every text data set: words → indices → padded (N, T) int64 arrays.

Semantics are those of the Keras the seeds used (TF 2.x ``keras.preprocessing.text.Tokenizer`` and
``pad_sequences``; Keras 3 dropped the Tokenizer), so a study can be compared with the papers' numbers.
Where this module departs from Keras it says so in the docstring, and it raises instead of guessing.

The tokenizer is fitted on the training split only: words that occur only in validation or test rows
get no index, exactly as they would for a model deployed on unseen text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Final

import numpy as np
import pandas as pd

from sweepstat.data._dataset import SPLITS, PreparedData, Split, TextTable
from sweepstat.errors import DataError, Problem, SpecError, SweepstatError
from sweepstat.spec import KERAS_FILTERS, TextSpec

# "inverted_cdf" gives an observed length: the smallest L such that at least NN % of the training
# texts have length ≤ L. numpy's default "linear" interpolates between two texts and, once rounded
# up, can let fewer than NN % fit (lengths 1..10: linear p90 = 9.1 → 10, inverted_cdf p90 = 9).
PERCENTILE_METHOD: Final = "inverted_cdf"
_PERCENTILE = re.compile(r"p(\d+(?:\.\d+)?)")
_SIDES = ("pre", "post")


class NotFittedError(SweepstatError):
    """A Tokenizer was used before ``fit_on_texts``: a bug in the caller, not a user mistake."""


def text_to_word_sequence(
    text: str, filters: str = KERAS_FILTERS, lower: bool = True, split: str = " "
) -> list[str]:
    """Split one text into words, as Keras does.

    Lower-cases first (if ``lower``), replaces every character of ``filters`` by ``split``, splits on
    ``split`` and drops empty pieces. Only ``split`` separates words: whitespace that is neither
    ``split`` nor in ``filters`` (``\\r``, a no-break space) stays inside a word, as in Keras.
    """
    if lower:
        text = text.lower()
    # A dict, not maketrans(filters, split * n): Keras allows a `split` longer than one character.
    replacements: dict[str, str | int | None] = dict.fromkeys(filters, split)
    text = text.translate(str.maketrans(replacements))
    return [word for word in text.split(split) if word]


class Tokenizer:
    """Word-level tokenizer with Keras's indexing.

    ``word_counts`` holds every fitted word with its count, in order of first appearance.
    ``word_index`` ranks words by descending count, ties in order of first appearance (Keras sorts
    stably), starting at 1 because index 0 is padding. With ``oov_token`` the token takes index 1
    and every word moves up by one. ``word_index`` keeps *every* word, even those ``num_words``
    leaves out of the sequences (as Keras does).

    ``num_words`` keeps only indices below ``num_words`` in the sequences: the ``num_words - 1`` most
    frequent words, or ``num_words - 2`` words plus the OOV index when ``oov_token`` is set.

    Departure from Keras: if ``oov_token`` itself occurs as a word in the fitted texts, Keras gives
    it a second, larger index and leaves index 1 unused (so ``len(word_index) + 1`` undercounts the
    Embedding size); here ``fit_on_texts`` raises a DataError instead.
    """

    def __init__(
        self,
        num_words: int | None = None,
        filters: str = KERAS_FILTERS,
        lower: bool = True,
        oov_token: str | None = None,
    ) -> None:
        # Keras reads num_words=0 as "no cap" and num_words=1 as "no word at all, yet emit OOV index 1";
        # neither is a vocabulary a model can use, so they are refused like the spec refuses them.
        if num_words is not None and (isinstance(num_words, bool) or num_words < 2):
            raise SpecError([Problem("data.text.num_words", "must be ≥ 2 or None", num_words, "try 10000")])
        self.num_words = num_words
        self.filters = filters
        self.lower = lower
        self.oov_token = oov_token
        self.word_counts: dict[str, int] = {}
        self.word_index: dict[str, int] = {}
        self._fitted = False

    def _words(self, text: str) -> list[str]:
        return text_to_word_sequence(text, self.filters, self.lower)

    def fit_on_texts(self, texts: Iterable[str]) -> None:
        """Count the words of ``texts`` and rebuild ``word_index``.

        Calls accumulate, as in Keras: fitting twice counts both batches of texts.
        """
        _refuse_bare_string(texts, "fit_on_texts")
        counts = dict(self.word_counts)  # committed only once every check has passed
        for text in texts:
            for word in self._words(text):
                counts[word] = counts.get(word, 0) + 1
        if self.oov_token is not None and self.oov_token in counts:
            raise DataError(
                "data.text.oov_token",
                "must not occur as a word in the training texts",
                self.oov_token,
                "choose a token the filters remove, e.g. '<OOV>' with the default filters",
            )
        # sorted() is stable, also with reverse=True: equal counts keep first-appearance order.
        ranked = sorted(counts, key=counts.__getitem__, reverse=True)
        vocabulary = ([self.oov_token] if self.oov_token is not None else []) + ranked
        self.word_counts = counts
        self.word_index = {word: index for index, word in enumerate(vocabulary, start=1)}
        self._fitted = True

    def _require_fitted(self, what: str) -> None:
        if not self._fitted:
            raise NotFittedError(
                str(
                    Problem(
                        f"Tokenizer.{what}",
                        "needs a fitted tokenizer",
                        "a Tokenizer never fitted",
                        "call fit_on_texts(training texts) first",
                    )
                )
            )

    def texts_to_sequences(self, texts: Iterable[str]) -> list[list[int]]:
        """Turn each text into its list of word indices (lengths vary; 0 never occurs).

        A word that is unknown, or whose index is ≥ ``num_words``, becomes the OOV index when
        ``oov_token`` is set and is dropped otherwise.
        """
        self._require_fitted("texts_to_sequences")
        _refuse_bare_string(texts, "texts_to_sequences")
        oov = self.word_index[self.oov_token] if self.oov_token is not None else None
        limit = self.num_words if self.num_words is not None else math.inf
        sequences = []
        for text in texts:
            sequence = []
            for word in self._words(text):
                index = self.word_index.get(word)
                if index is not None and index < limit:
                    sequence.append(index)
                elif oov is not None:
                    sequence.append(oov)
            sequences.append(sequence)
        return sequences

    @property
    def vocab_size(self) -> int:
        """The Embedding ``input_dim`` a model needs: one more than the largest index that can occur.

        Indices run 1..len(word_index) (the OOV token included) and, with ``num_words``, only those
        below ``num_words`` survive (the OOV index 1 always does, since num_words ≥ 2). So this is
        ``min(num_words, len(word_index) + 1)``, or ``len(word_index) + 1`` without ``num_words`` —
        the ``Embedding(num_words, ...)`` / ``Embedding(len(word_index) + 1, ...)`` of Keras examples.
        """
        self._require_fitted("vocab_size")
        n_indices = len(self.word_index) + 1  # + 1: index 0, padding
        return min(self.num_words, n_indices) if self.num_words is not None else n_indices


def _refuse_bare_string(texts: object, method: str) -> None:
    # A bare string iterates as characters: Keras would silently build a character vocabulary.
    if isinstance(texts, str):
        raise TypeError(f"Tokenizer.{method} takes an iterable of texts, not one str; wrap it: [text]")


def pad_sequences(
    sequences: Sequence[Sequence[int]],
    maxlen: int | None = None,
    padding: str = "pre",
    truncating: str = "pre",
    value: int = 0,
) -> np.ndarray:
    """Pad or cut every sequence to one length, as Keras's ``pad_sequences`` does.

    Returns an int64 array of shape (N, T), T = ``maxlen`` or, if None, the longest sequence (0 when
    there is none). ``padding`` puts ``value`` before ('pre', Keras's default) or after ('post') a
    short sequence; ``truncating`` drops a long sequence's first ('pre', default) or last ('post')
    indices. Empty sequences become rows of ``value``.
    """
    problems = [
        Problem(f"data.text.{name}", "must be 'pre' or 'post'", side, "Keras's default is 'pre'")
        for name, side in (("padding", padding), ("truncating", truncating))
        if side not in _SIDES
    ]
    if maxlen is not None and maxlen < 0:
        problems.append(Problem("data.text.maxlen", "must be ≥ 0 or None", maxlen, "e.g. 100"))
    if problems:
        raise SpecError(problems)
    width = max((len(s) for s in sequences), default=0) if maxlen is None else maxlen
    out = np.full((len(sequences), width), value, dtype=np.int64)  # (N, T)
    if width == 0:
        return out  # also avoids s[-0:], which would keep the whole sequence
    for row, sequence in zip(out, sequences, strict=True):
        if len(sequence) == 0:
            continue
        kept = sequence[-width:] if truncating == "pre" else sequence[:width]
        if padding == "pre":
            row[width - len(kept) :] = kept
        else:
            row[: len(kept)] = kept
    return out


def _length_percentile(lengths: Sequence[int], q: float) -> int:
    return math.ceil(float(np.percentile(np.asarray(lengths, dtype=np.int64), q, method=PERCENTILE_METHOD)))


def resolve_maxlen(lengths: Sequence[int], spec_maxlen: int | str | None) -> int:
    """The padded length T from the spec's ``maxlen`` and the training sequences' lengths (words).

    An int is used as given. ``'pNN'`` is the NN-th percentile of ``lengths`` (numpy method
    PERCENTILE_METHOD, then rounded up) and None the longest length; both are at least 1, so even
    training texts with no known word give a usable width, and both give 1 when ``lengths`` is empty.
    """
    if isinstance(spec_maxlen, int | np.integer) and not isinstance(spec_maxlen, bool):
        if spec_maxlen < 1:
            raise SpecError(
                [Problem("data.text.maxlen", "must be a positive length", spec_maxlen, "e.g. 100 or 'p95'")]
            )
        return int(spec_maxlen)
    if spec_maxlen is None:
        return max(1, max((int(n) for n in lengths), default=0))
    match = _PERCENTILE.fullmatch(spec_maxlen.strip()) if isinstance(spec_maxlen, str) else None
    if match is None or not 0 < float(match.group(1)) <= 100:
        raise SpecError(
            [
                Problem(
                    "data.text.maxlen",
                    "must be a positive integer, 'pNN' with 0 < NN ≤ 100, or None",
                    spec_maxlen,
                    "e.g. 100 or 'p95'",
                )
            ]
        )
    if len(lengths) == 0:
        return 1
    return max(1, _length_percentile(lengths, float(match.group(1))))


def summarize_lengths(sequences: Sequence[Sequence[int]]) -> dict[str, int]:
    """Length statistics (in words) for ``sweepstat data show``: keys p50, p90, p95, p99, max.

    Percentiles use PERCENTILE_METHOD, so ``p95`` here is what ``maxlen: p95`` resolves to (for
    lengths ≥ 1). All values are 0 when there are no sequences.
    """
    lengths = [len(s) for s in sequences]
    if not lengths:
        return {"p50": 0, "p90": 0, "p95": 0, "p99": 0, "max": 0}
    stats = {f"p{q}": _length_percentile(lengths, q) for q in (50, 90, 95, 99)}
    stats["max"] = max(lengths)
    return stats


def _check_table(table: TextTable) -> None:
    """Raise a DataError for rows the pipeline cannot encode, rather than encode them wrongly."""
    frame, where = table.frame, table.source or f"data set {table.name!r}"
    for column in ("text", "label", "split"):
        if column not in frame.columns:
            raise DataError(where, f"must have a {column!r} column", list(frame.columns), "fix the loader")
    bad_split = ~frame["split"].isin(SPLITS)
    if bad_split.any():
        raise DataError(
            f"{where}, column 'split'",
            f"must hold only {', '.join(SPLITS)}",
            sorted({str(v) for v in frame.loc[bad_split, "split"]}),
            "rename or drop those rows",
        )
    for split in ("train", "test"):
        if not (frame["split"] == split).any():
            raise DataError(
                f"{where}, column 'split'", f"must have at least one {split!r} row", 0, "check the split"
            )
    bad_text = ~frame["text"].map(lambda t: isinstance(t, str))
    if bad_text.any():
        first = int(np.argmax(bad_text.to_numpy()))  # a position: index labels need not be unique
        raise DataError(
            f"{where}, column 'text'",
            f"must be a string in every row ({int(bad_text.sum())} bad; the first is row {first})",
            frame["text"].iloc[first],
            "drop or fill empty texts",
        )
    labels, n_classes = frame["label"], len(table.class_names)
    if not pd.api.types.is_integer_dtype(labels.dtype) or labels.isna().any():
        raise DataError(
            f"{where}, column 'label'", "must hold integer class indices", str(labels.dtype), "fix the loader"
        )
    out_of_range = (labels < 0) | (labels >= n_classes)
    if out_of_range.any():
        raise DataError(
            f"{where}, column 'label'",
            f"must lie in 0..{n_classes - 1} (one per class name {list(table.class_names)})",
            sorted(set(labels[out_of_range].tolist())),
            "fix the labels or the class names",
        )


def encode_table(table: TextTable, spec: TextSpec) -> PreparedData:
    """Tokenize and pad a TextTable into the arrays a model trains on.

    The tokenizer and the padded length (from ``spec.maxlen``) come from the "train" rows only, so
    nothing about validation or test text leaks into the vocabulary. Rows keep their table order.
    ``val`` is None when the table has no "val" rows. ``word_index`` is the tokenizer's, all words
    included; indices ≥ ``vocab_size`` never occur in the arrays.
    """
    _check_table(table)
    tokenizer = Tokenizer(
        num_words=spec.num_words, filters=spec.filters, lower=spec.lower, oov_token=spec.oov_token
    )
    parts = {split: table.part(split) for split in SPLITS}
    tokenizer.fit_on_texts(parts["train"]["text"].tolist())
    sequences = {split: tokenizer.texts_to_sequences(part["text"].tolist()) for split, part in parts.items()}
    # Lengths after tokenization: what padding cuts, so `p95` keeps 95 % of training texts whole.
    maxlen = resolve_maxlen([len(s) for s in sequences["train"]], spec.maxlen)

    def to_split(split: str) -> Split:
        x = pad_sequences(sequences[split], maxlen, spec.padding, spec.truncating)  # (N, T)
        y = parts[split]["label"].to_numpy(dtype=np.int64)  # (N,)
        return Split(x=x, y=y)

    return PreparedData(
        name=table.name,
        train=to_split("train"),
        test=to_split("test"),
        val=to_split("val") if len(parts["val"]) else None,
        vocab_size=tokenizer.vocab_size,
        maxlen=maxlen,
        class_names=tuple(table.class_names),
        word_index=dict(tokenizer.word_index),
    )
