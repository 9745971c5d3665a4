"""The text pipeline against hand-computed Keras results (tokenize, index, pad, encode without leakage)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sweepstat.data._dataset import TEXT_COLUMNS, TextTable
from sweepstat.data._text import (
    NotFittedError,
    Tokenizer,
    encode_table,
    pad_sequences,
    resolve_maxlen,
    summarize_lengths,
    text_to_word_sequence,
)
from sweepstat.errors import DataError, SpecError, SweepstatError
from sweepstat.spec import TextSpec

# Counts z 1, y 2, x 3, w 1: x ranks first, then y; z and w tie and keep first-appearance order
# (an alphabetical tie-break would put w first).
TEXTS = ["z y x", "x y", "x w"]


# --- words -------------------------------------------------------------------------------------


def test_word_sequence_lowercases_and_filters_punctuation_but_keeps_apostrophes() -> None:
    text = "Hello, World! It's  me.\tNow"
    assert text_to_word_sequence(text) == ["hello", "world", "it's", "me", "now"]
    assert text_to_word_sequence(text, lower=False) == ["Hello", "World", "It's", "me", "Now"]


def test_word_sequence_custom_filters_and_split() -> None:
    assert text_to_word_sequence("a-b_c", filters="-", split="_") == ["a", "b", "c"]
    assert text_to_word_sequence("a-b c", filters="") == ["a-b", "c"]


def test_word_sequence_splits_only_on_split_like_keras() -> None:
    assert text_to_word_sequence("a\rb c") == ["a\rb", "c"]


def test_word_sequence_of_empty_or_punctuation_only_text_is_empty() -> None:
    assert text_to_word_sequence("") == []
    assert text_to_word_sequence(" ... !! ") == []


# --- tokenizer -----------------------------------------------------------------------------------


def test_word_counts_keep_first_appearance_order() -> None:
    tok = Tokenizer()
    tok.fit_on_texts(TEXTS)
    assert list(tok.word_counts.items()) == [("z", 1), ("y", 2), ("x", 3), ("w", 1)]


def test_word_index_ranks_by_count_ties_by_first_appearance_from_1() -> None:
    tok = Tokenizer()
    tok.fit_on_texts(TEXTS)
    assert tok.word_index == {"x": 1, "y": 2, "z": 3, "w": 4}
    assert 0 not in tok.word_index.values()
    assert tok.texts_to_sequences(["z y x w", "W, X!"]) == [[3, 2, 1, 4], [4, 1]]
    assert tok.vocab_size == 5


def test_fitting_twice_accumulates_counts_as_keras_does() -> None:
    tok = Tokenizer()
    tok.fit_on_texts(["a b b"])
    tok.fit_on_texts(["a a c"])
    assert tok.word_counts == {"a": 3, "b": 2, "c": 1}
    assert tok.word_index == {"a": 1, "b": 2, "c": 3}


def test_unknown_words_are_dropped_without_oov_token() -> None:
    tok = Tokenizer()
    tok.fit_on_texts(TEXTS)
    assert tok.texts_to_sequences(["x unseen w", "unseen", ""]) == [[1, 4], [], []]


def test_num_words_keeps_only_indices_below_it() -> None:
    tok = Tokenizer(num_words=3)
    tok.fit_on_texts(TEXTS)
    assert tok.word_index == {"x": 1, "y": 2, "z": 3, "w": 4}  # the index itself keeps every word
    assert tok.texts_to_sequences(["z y x w"]) == [[2, 1]]
    assert tok.vocab_size == 3


def test_vocab_size_is_len_word_index_plus_1_when_num_words_is_larger() -> None:
    tok = Tokenizer(num_words=100)
    tok.fit_on_texts(TEXTS)
    assert tok.vocab_size == 5


def test_oov_token_takes_index_1_and_replaces_unknown_words() -> None:
    tok = Tokenizer(oov_token="<OOV>")
    tok.fit_on_texts(TEXTS)
    assert tok.word_index == {"<OOV>": 1, "x": 2, "y": 3, "z": 4, "w": 5}
    assert tok.texts_to_sequences(["x unseen w"]) == [[2, 1, 5]]
    assert tok.vocab_size == 6


def test_oov_token_replaces_words_beyond_num_words() -> None:
    tok = Tokenizer(num_words=4, oov_token="<OOV>")
    tok.fit_on_texts(TEXTS)
    # z = 4 and w = 5 are ≥ num_words, q is unknown: all three become the OOV index.
    assert tok.texts_to_sequences(["z y x w q"]) == [[1, 3, 2, 1, 1]]
    assert tok.vocab_size == 4


def test_oov_token_that_is_also_a_training_word_is_refused() -> None:
    tok = Tokenizer(oov_token="unk")
    with pytest.raises(DataError, match=r"data\.text\.oov_token must not occur as a word.*'unk'"):
        tok.fit_on_texts(["an unk word"])
    assert tok.word_counts == {}  # the failed fit left no half-built state


def test_using_an_unfitted_tokenizer_raises_a_sweepstat_error() -> None:
    tok = Tokenizer()
    with pytest.raises(NotFittedError, match="call fit_on_texts"):
        tok.texts_to_sequences(["x"])
    with pytest.raises(SweepstatError, match="vocab_size"):
        _ = tok.vocab_size


def test_fitting_on_no_texts_gives_an_empty_vocabulary() -> None:
    tok = Tokenizer()
    tok.fit_on_texts([])
    assert tok.word_index == {}
    assert tok.texts_to_sequences(["anything"]) == [[]]
    assert tok.vocab_size == 1


@pytest.mark.parametrize("num_words", [0, 1, -5])
def test_num_words_below_2_is_refused(num_words: int) -> None:
    with pytest.raises(SpecError, match=r"data\.text\.num_words must be ≥ 2 or None; got " + str(num_words)):
        Tokenizer(num_words=num_words)


def test_a_bare_string_is_refused_not_read_as_characters() -> None:
    with pytest.raises(TypeError, match="not one str"):
        Tokenizer().fit_on_texts("hello world")


# --- padding ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("padding", "truncating", "expected"),
    [
        ("pre", "pre", [[2, 3], [0, 4]]),
        ("post", "post", [[1, 2], [4, 0]]),
        ("post", "pre", [[2, 3], [4, 0]]),
        ("pre", "post", [[1, 2], [0, 4]]),
    ],
)
def test_pad_and_truncate_sides(padding: str, truncating: str, expected: list[list[int]]) -> None:
    out = pad_sequences([[1, 2, 3], [4]], maxlen=2, padding=padding, truncating=truncating)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, expected)


def test_pad_defaults_are_pre_and_longest_sequence() -> None:
    np.testing.assert_array_equal(pad_sequences([[1, 2, 3], [4]]), [[1, 2, 3], [0, 0, 4]])


def test_empty_sequences_become_padding_rows() -> None:
    np.testing.assert_array_equal(pad_sequences([[], [5]], maxlen=3), [[0, 0, 0], [0, 0, 5]])
    np.testing.assert_array_equal(
        pad_sequences([[], [5]], maxlen=3, padding="post", value=-1), [[-1, -1, -1], [5, -1, -1]]
    )
    assert pad_sequences([[], []]).shape == (2, 0)


def test_pad_no_sequences() -> None:
    assert pad_sequences([]).shape == (0, 0)
    assert pad_sequences([], maxlen=4).shape == (0, 4)
    assert pad_sequences([], maxlen=4).dtype == np.int64


def test_pad_maxlen_zero_gives_empty_rows() -> None:
    assert pad_sequences([[1, 2]], maxlen=0).shape == (1, 0)


def test_pad_accepts_numpy_sequences() -> None:
    # Loaders may hand over numpy rows; the Sequence[Sequence[int]] annotation does not say so.
    rows = [np.array([7, 8, 9]), np.array([], dtype=np.int64)]
    out = pad_sequences(rows, maxlen=2)  # type: ignore[arg-type]
    np.testing.assert_array_equal(out, [[8, 9], [0, 0]])


def test_bad_padding_sides_are_all_reported() -> None:
    with pytest.raises(SpecError, match=r"data\.text\.padding .*'middle'.*data\.text\.truncating .*'end'"):
        pad_sequences([[1]], padding="middle", truncating="end")


# --- maxlen -----------------------------------------------------------------------------------

ONE_TO_TEN = list(range(1, 11))


@pytest.mark.parametrize(
    ("spec_maxlen", "expected"),
    # inverted_cdf: p90 of 1..10 is 9 (numpy's default linear method would give 9.1 → 10).
    [(7, 7), (np.int64(7), 7), ("p50", 5), ("p90", 9), ("p95", 10), ("p100", 10), (" p90 ", 9), (None, 10)],
)
def test_resolve_maxlen(spec_maxlen: int | str | None, expected: int) -> None:
    assert resolve_maxlen(ONE_TO_TEN, spec_maxlen) == expected


def test_percentile_maxlen_rounds_up_fractional_percentiles() -> None:
    assert resolve_maxlen([1, 2, 3, 4], "p62.5") == 3  # at least 62.5 % of 4 texts = 3 texts ≤ 3


def test_resolve_maxlen_is_at_least_1() -> None:
    assert resolve_maxlen([0, 0, 0], None) == 1
    assert resolve_maxlen([0, 0, 0], "p50") == 1
    assert resolve_maxlen([], None) == 1
    assert resolve_maxlen([], "p95") == 1


@pytest.mark.parametrize("bad", [0, -3, True, "95", "p0", "p101", "max", 2.5])
def test_resolve_maxlen_refuses_bad_values(bad: object) -> None:
    with pytest.raises(SpecError, match=r"data\.text\.maxlen must be"):
        resolve_maxlen(ONE_TO_TEN, bad)  # type: ignore[arg-type]


def test_summarize_lengths() -> None:
    sequences = [[1] * n for n in ONE_TO_TEN]
    assert summarize_lengths(sequences) == {"p50": 5, "p90": 9, "p95": 10, "p99": 10, "max": 10}
    assert summarize_lengths([]) == {"p50": 0, "p90": 0, "p95": 0, "p99": 0, "max": 0}


# --- encode_table -------------------------------------------------------------------------------

ROWS = [
    ("the cat sat", 1, "train"),
    ("the dog", 0, "train"),
    ("a cat", 1, "train"),
    ("the bird", 0, "val"),
    ("zebra cat", 1, "test"),
    ("Zebra, zebra! The zebra", 0, "test"),
    ("the the the the the cat", 1, "test"),
]
# Train counts: the 2, cat 2, sat 1, dog 1, a 1. "zebra" (4 test occurrences) would rank first if the
# tokenizer saw the test rows.
TRAIN_INDEX = {"the": 1, "cat": 2, "sat": 3, "dog": 4, "a": 5}


def make_table(rows: list[tuple[str, int, str]] = ROWS) -> TextTable:
    frame = pd.DataFrame(rows, columns=["text", "label", "split"])
    for column in TEXT_COLUMNS[3:]:
        frame[column] = pd.NA
    return TextTable(name="toy", frame=frame, class_names=("other", "jesus"))


def test_encode_table_hand_computed() -> None:
    data = encode_table(make_table(), TextSpec())
    assert data.word_index == TRAIN_INDEX
    assert (data.vocab_size, data.maxlen) == (6, 3)  # maxlen: longest *training* sequence
    np.testing.assert_array_equal(data.train.x, [[1, 2, 3], [0, 1, 4], [0, 5, 2]])
    np.testing.assert_array_equal(data.train.y, [1, 0, 1])
    assert data.val is not None
    np.testing.assert_array_equal(data.val.x, [[0, 0, 1]])
    np.testing.assert_array_equal(data.test.x, [[0, 0, 2], [0, 0, 1], [1, 1, 2]])
    np.testing.assert_array_equal(data.test.y, [1, 0, 1])
    assert data.train.x.dtype == data.train.y.dtype == np.int64
    assert (data.name, data.class_names, data.n_classes) == ("toy", ("other", "jesus"), 2)


def test_words_seen_only_in_test_rows_are_not_indexed_and_become_oov() -> None:
    data = encode_table(make_table(), TextSpec(oov_token="<OOV>"))
    assert "zebra" not in data.word_index and "bird" not in data.word_index
    assert data.word_index == {"<OOV>": 1, **{w: i + 1 for w, i in TRAIN_INDEX.items()}}
    np.testing.assert_array_equal(data.test.x[:2], [[0, 1, 3], [1, 2, 1]])  # zebra → 1, cut 'pre'


def test_encode_table_applies_spec_padding_num_words_and_percentile_maxlen() -> None:
    spec = TextSpec(num_words=3, maxlen="p50", padding="post", truncating="post")
    data = encode_table(make_table(), spec)
    # With num_words=3 only the (1) and cat (2) survive: train sequences [1, 2], [1], [2]; p50 → 1.
    assert (data.vocab_size, data.maxlen) == (3, 1)
    np.testing.assert_array_equal(data.train.x, [[1], [1], [2]])
    np.testing.assert_array_equal(data.test.x, [[2], [1], [1]])


def test_encode_table_without_val_rows_has_no_val_split() -> None:
    rows = [r for r in ROWS if r[2] != "val"]
    assert encode_table(make_table(rows), TextSpec()).val is None


_ENCODE_SCRIPT = """
import json, sys
sys.path[:0] = {paths!r}
from tests.data.test_text import make_table
from sweepstat.data._text import encode_table
from sweepstat.spec import TextSpec
d = encode_table(make_table(), TextSpec(oov_token="<OOV>", maxlen="p90"))
print(json.dumps([list(d.word_index.items()), d.train.x.tolist(), d.test.x.tolist(), d.vocab_size]))
"""


def test_encode_table_is_deterministic_across_processes_and_hash_seeds() -> None:
    # Different PYTHONHASHSEEDs reorder sets and string hashes; the encoding must not move.
    script = _ENCODE_SCRIPT.format(paths=sys.path)
    outputs = [
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    ]
    in_process = encode_table(make_table(), TextSpec(oov_token="<OOV>", maxlen="p90"))
    expected = [
        list(in_process.word_index.items()),
        in_process.train.x.tolist(),
        in_process.test.x.tolist(),
        in_process.vocab_size,
    ]
    assert [json.loads(out) for out in outputs] == [json.loads(json.dumps(expected))] * 2


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ([*ROWS, ("x", 0, "dev")], r"column 'split' must hold only train, val, test; got \['dev'\]"),
        ([r for r in ROWS if r[2] != "train"], r"must have at least one 'train' row"),
        ([r for r in ROWS if r[2] != "test"], r"must have at least one 'test' row"),
        (
            [*ROWS, (None, 0, "train")],
            r"column 'text' must be a string in every row \(1 bad; the first is row 7\); got nan",
        ),
        ([*ROWS, ("x", 2, "train")], r"column 'label' must lie in 0\.\.1 .*; got \[2\]"),
    ],
)
def test_encode_table_refuses_rows_it_cannot_encode(rows: list[tuple[str, int, str]], match: str) -> None:
    with pytest.raises(DataError, match=match):
        encode_table(make_table(rows), TextSpec())


def test_encode_table_refuses_missing_labels() -> None:
    table = make_table()
    frame = table.frame.assign(label=pd.array([1, 0, None, 0, 1, 0, 1], dtype="Int64"))
    with pytest.raises(DataError, match=r"column 'label' must hold integer class indices"):
        encode_table(TextTable(name="toy", frame=frame, class_names=table.class_names), TextSpec())
