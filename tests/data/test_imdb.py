"""IMDB loading with keras.datasets.imdb.load_data semantics, on a 10-review fixture built in tmp_path.

Hand-computed ranking of the training reviews (Keras Tokenizer: count, ties by first appearance; train
files in sorted order neg/0_1, neg/1_2, neg/2_3, pos/0_9, pos/1_8, pos/2_7):
bad 3 → 1, movie 2 → 2, acting 2 → 3, the 2 → 4, film 2 → 5, great 2 → 6, boring → 7, and → 8,
worst → 9, good → 10, fun → 11, best → 12. "plot" and "awful" occur only in test reviews: no rank.
"""

from __future__ import annotations

import io
import json
import os
import re
import tarfile
from pathlib import Path

import numpy as np
import pytest

from sweepstat.data import _imdb_files
from sweepstat.data._imdb import (
    RankedReviews,
    find_imdb_source,
    keras_load_data,
    load_imdb,
    read_npz,
    read_ranked,
)
from sweepstat.errors import DataError, SpecError
from sweepstat.spec import ImdbSpec, TextSpec

REVIEWS = {
    "train/neg/0_1.txt": "Bad movie.<br /><br />Bad acting!",
    "train/neg/1_2.txt": "boring and bad",
    "train/neg/2_3.txt": "The worst film",
    "train/pos/0_9.txt": "great movie",
    "train/pos/1_8.txt": "good acting, great fun",
    "train/pos/2_7.txt": "the best film",
    "test/neg/0_2.txt": "bad plot",
    "test/neg/1_1.txt": "awful film",
    "test/pos/0_10.txt": "great plot",
    "test/pos/1_9.txt": "good movie",
}
RANKS = {"bad": 1, "movie": 2, "acting": 3, "the": 4, "film": 5, "great": 6, "boring": 7, "and": 8,
         "worst": 9, "good": 10, "fun": 11, "best": 12}  # fmt: skip
TRAIN_RANKS = [[1, 2, 1, 3], [7, 8, 1], [4, 9, 5], [6, 2], [10, 3, 6, 11], [4, 12, 5]]
TRAIN_Y = [0, 0, 0, 1, 1, 1]
TEST_RANKS = [[1, 0], [0, 5], [6, 0], [10, 2]]  # 0: no rank ("plot", "awful")
TEST_Y = [0, 0, 1, 1]

# np.random.RandomState(113) shuffling arange(6), then (same generator) arange(4): Keras's order.
TRAIN_ORDER = [1, 0, 3, 2, 4, 5]
TEST_ORDER = [0, 1, 3, 2]
# Default load_data (start_char 1, oov_char 2, index_from 3), in shuffled order.
X_TRAIN = [[1, 10, 11, 4], [1, 4, 5, 4, 6], [1, 9, 5], [1, 7, 12, 8], [1, 13, 6, 9, 14], [1, 7, 15, 8]]
Y_TRAIN = [0, 0, 1, 0, 1, 1]
X_TEST = [[1, 4, 2], [1, 2, 8], [1, 13, 5], [1, 9, 2]]
Y_TEST = [0, 0, 1, 1]


def make_folder(root: Path, reviews: dict[str, str] = REVIEWS) -> Path:
    folder = root / "aclImdb"
    for name, text in reviews.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "imdb.vocab").write_text("bad\n", encoding="utf-8")  # other files are ignored
    (folder / "train" / "unsup").mkdir()
    (folder / "train" / "unsup" / "0_0.txt").write_text("unlabelled words", encoding="utf-8")
    return folder


def make_tar(root: Path, name: str = "aclImdb_v1.tar.gz", build: Path | None = None) -> Path:
    folder = make_folder(build or root / "src")
    path = root / name
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        archive.add(folder, arcname="aclImdb")
    return path


def _object_array(rows: list[list[int]]) -> np.ndarray:
    out = np.empty(len(rows), dtype=object)
    for i, row in enumerate(rows):
        out[i] = list(row)
    return out


def make_npz(folder: Path, test_ranks: list[list[int]], word_index: dict[str, int] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "imdb.npz"
    np.savez(
        path,
        x_train=_object_array(TRAIN_RANKS),
        y_train=np.array(TRAIN_Y),
        x_test=_object_array(test_ranks),
        y_test=np.array(TEST_Y),
    )
    if word_index is not None:
        (folder / "imdb_word_index.json").write_text(json.dumps(word_index), encoding="utf-8")
    return path


# Keras's imdb.npz ranks words over train and test: "plot" and "awful" get ranks 13 and 14.
CORPUS_TEST_RANKS = [[1, 13], [14, 5], [6, 13], [10, 2]]
CORPUS_INDEX = RANKS | {"plot": 13, "awful": 14}


def hand_ranked() -> RankedReviews:
    return RankedReviews(
        x_train=[np.array(r, dtype=np.int64) for r in TRAIN_RANKS],
        y_train=np.array(TRAIN_Y),
        x_test=[np.array(r, dtype=np.int64) for r in TEST_RANKS],
        y_test=np.array(TEST_Y),
        ranks=dict(RANKS),
    )


def as_lists(x: list[np.ndarray]) -> list[list[int]]:
    return [s.tolist() for s in x]


# --- ranking raw reviews -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["folder", "tar"])
def test_raw_reviews_are_ranked_on_the_training_reviews(tmp_path: Path, kind: str) -> None:
    path = make_folder(tmp_path) if kind == "folder" else make_tar(tmp_path)
    reviews = read_ranked(find_imdb_source(path, tmp_path), TextSpec(), tmp_path / "cache")
    assert reviews.ranks == RANKS  # no "br" from <br />, nothing from unsup/ or test/
    assert as_lists(reviews.x_train) == TRAIN_RANKS
    assert reviews.y_train.tolist() == TRAIN_Y
    assert as_lists(reviews.x_test) == TEST_RANKS
    assert reviews.y_test.tolist() == TEST_Y


def test_the_shuffle_is_keras_randomstate_113() -> None:
    rng = np.random.RandomState(113)
    train, test = np.arange(6), np.arange(4)
    rng.shuffle(train)
    rng.shuffle(test)  # the same generator goes on, as in Keras
    assert train.tolist() == TRAIN_ORDER
    assert test.tolist() == TEST_ORDER


# --- load_data semantics -------------------------------------------------------------------------------


def test_defaults_prepend_start_char_and_add_index_from() -> None:
    (x_train, y_train), (x_test, y_test) = keras_load_data(hand_ranked())
    assert as_lists(x_train) == X_TRAIN
    assert y_train.tolist() == Y_TRAIN
    # A test word without a rank becomes oov_char 2.
    assert as_lists(x_test) == X_TEST
    assert y_test.tolist() == Y_TEST


def test_start_char_none_and_index_from_zero_keep_the_ranks() -> None:
    (x_train, _), (x_test, _) = keras_load_data(hand_ranked(), start_char=None, index_from=0)
    assert as_lists(x_train) == [TRAIN_RANKS[i] for i in TRAIN_ORDER]
    assert as_lists(x_test)[0] == [1, 2]  # unknown → oov_char 2, which here collides with rank 2: Keras's too


def test_num_words_and_skip_top_turn_outside_indices_into_oov() -> None:
    ranked = RankedReviews(
        x_train=[np.array([1, 2, 3, 4, 5, 6])],
        y_train=np.array([1]),
        x_test=[np.array([6, 0])],
        y_test=np.array([0]),
        ranks={},
    )
    # offsets: [1, 4, 5, 6, 7, 8, 9]; kept: 5 ≤ i < 8. start_char 1 < skip_top also becomes oov (Keras).
    (x_train, _), (x_test, _) = keras_load_data(ranked, num_words=8, skip_top=5, seed=0)
    assert as_lists(x_train) == [[2, 2, 5, 6, 7, 2, 2]]
    assert as_lists(x_test) == [[2, 2, 2]]
    (x_train, _), (x_test, _) = keras_load_data(ranked, num_words=8, skip_top=5, oov_char=None, seed=0)
    assert as_lists(x_train) == [[5, 6, 7]]
    assert as_lists(x_test) == [[]]


def test_without_num_words_every_word_is_kept() -> None:
    # Keras would set num_words = max index (15) and turn index 15 ("best") into oov; we keep it.
    (x_train, _), _ = keras_load_data(hand_ranked())
    assert max(int(s.max()) for s in x_train) == 15


def test_unknown_test_words_are_dropped_when_oov_char_is_none() -> None:
    _, (x_test, _) = keras_load_data(hand_ranked(), oov_char=None)
    assert as_lists(x_test) == [[1, 4], [1, 8], [1, 13, 5], [1, 9]]


def test_load_maxlen_keeps_shorter_reviews_per_split() -> None:
    # Lengths with start_char: train (shuffled) 4, 5, 3, 4, 5, 4; test 3, 3, 3, 3.
    (x_train, y_train), (x_test, _) = keras_load_data(hand_ranked(), maxlen=5)
    assert as_lists(x_train) == [X_TRAIN[i] for i in (0, 2, 3, 5)]  # length 5 is dropped (len < maxlen)
    assert y_train.tolist() == [0, 1, 0, 1]
    assert len(x_test) == 4
    (x_train, _), (x_test, _) = keras_load_data(hand_ranked(), maxlen=4)
    assert as_lists(x_train) == [[1, 9, 5]]
    assert len(x_test) == 4


def test_load_maxlen_that_empties_a_split_is_refused() -> None:
    with pytest.raises(
        DataError,
        match=r"^data\.load_maxlen must keep at least one training and one test review .*; got 3 \(raise",
    ):
        keras_load_data(hand_ranked(), maxlen=3)


# --- load_imdb -----------------------------------------------------------------------------------------


def test_load_imdb_from_a_folder(tmp_path: Path) -> None:
    data = load_imdb(ImdbSpec(path=make_folder(tmp_path)), tmp_path / "cache")
    assert data.name == "imdb"
    assert data.class_names == ("neg", "pos")
    assert data.maxlen == 5  # longest training sequence, start_char included
    assert data.train.x.tolist() == [
        [0, 1, 10, 11, 4],
        [1, 4, 5, 4, 6],
        [0, 0, 1, 9, 5],
        [0, 1, 7, 12, 8],
        [1, 13, 6, 9, 14],
        [0, 1, 7, 15, 8],
    ]
    assert data.train.x.dtype == np.int64
    assert data.train.y.tolist() == Y_TRAIN
    assert data.test.x.tolist() == [[0, 0] + s for s in X_TEST]
    assert data.val is None
    assert data.vocab_size == 16  # largest index 15 ("best" = rank 12 + 3) + 1
    assert data.word_index == {w: r + 3 for w, r in RANKS.items()}


def test_word_index_decodes_the_arrays(tmp_path: Path) -> None:
    data = load_imdb(ImdbSpec(path=make_folder(tmp_path)), tmp_path / "cache")
    words = {i: w for w, i in data.word_index.items()} | {1: "[START]", 2: "[OOV]"}
    decoded = [" ".join(words[int(i)] for i in row if i) for row in data.test.x]
    assert decoded == ["[START] bad [OOV]", "[START] [OOV] film", "[START] good movie", "[START] great [OOV]"]


def test_tar_and_folder_give_the_same_data(tmp_path: Path) -> None:
    spec = ImdbSpec(text=TextSpec(num_words=10))
    from_folder = load_imdb(spec.model_copy(update={"path": make_folder(tmp_path / "f")}), tmp_path / "c1")
    from_tar = load_imdb(spec.model_copy(update={"path": make_tar(tmp_path / "t")}), tmp_path / "c2")
    for a, b in ((from_folder.train, from_tar.train), (from_folder.test, from_tar.test)):
        np.testing.assert_array_equal(a.x, b.x)
        np.testing.assert_array_equal(a.y, b.y)
    assert from_folder.word_index == from_tar.word_index
    assert from_folder.vocab_size == from_tar.vocab_size == 10
    assert int(from_tar.train.x.max()) == 9


def test_npz_and_folder_agree_when_the_test_only_words_fall_outside_num_words(tmp_path: Path) -> None:
    # Corpus-wide ranks 13, 14 become 16, 17 ≥ num_words 16: oov, as the folder's unknown words are.
    npz = make_npz(tmp_path / "k", CORPUS_TEST_RANKS, CORPUS_INDEX)
    spec = ImdbSpec(text=TextSpec(num_words=16))
    from_npz = load_imdb(spec.model_copy(update={"path": npz}), tmp_path / "c")
    from_folder = load_imdb(spec.model_copy(update={"path": make_folder(tmp_path)}), tmp_path / "c")
    for split in ("train", "test"):
        np.testing.assert_array_equal(getattr(from_npz, split).x, getattr(from_folder, split).x)
        np.testing.assert_array_equal(getattr(from_npz, split).y, getattr(from_folder, split).y)
    assert from_npz.word_index == {w: r + 3 for w, r in CORPUS_INDEX.items()}
    assert from_npz.vocab_size == from_folder.vocab_size == 16


def test_npz_without_a_word_index_gives_an_empty_one(tmp_path: Path) -> None:
    npz = make_npz(tmp_path, CORPUS_TEST_RANKS)
    data = load_imdb(ImdbSpec(path=npz), tmp_path / "c")
    assert data.word_index == {}
    assert data.test.x.tolist()[0] == [0, 0, 1, 4, 16]  # "bad plot": plot = 13 + 3 kept without num_words
    assert data.vocab_size == 18  # "awful" = 14 + 3 = 17 is the largest index


def test_validation_is_the_last_fraction_of_the_shuffled_training_reviews(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    full = load_imdb(ImdbSpec(path=folder), tmp_path / "c")
    held = load_imdb(ImdbSpec(path=folder, val_fraction=0.34), tmp_path / "c")
    # floor(6 × 0.66) = 3 training reviews; the last 3 are validation. maxlen comes from the 3 kept: 5.
    assert held.val is not None
    assert held.train.x.tolist() == full.train.x[:3].tolist()
    assert held.val.x.tolist() == full.train.x[3:].tolist()
    assert held.val.y.tolist() == Y_TRAIN[3:]
    np.testing.assert_array_equal(held.test.x, full.test.x)


def test_maxlen_percentile_uses_training_lengths_and_pads_as_asked(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    # Training lengths 4, 5, 3, 4, 5, 4: the 50th percentile (inverted cdf) is 4.
    data = load_imdb(ImdbSpec(path=folder, text=TextSpec(maxlen="p50")), tmp_path / "c")
    assert data.maxlen == 4
    assert data.train.x[1].tolist() == [4, 5, 4, 6]  # 'pre' truncation drops start_char, as Keras does
    data = load_imdb(
        ImdbSpec(path=folder, text=TextSpec(maxlen=6, padding="post", truncating="post")), tmp_path / "c"
    )
    assert data.train.x[2].tolist() == [1, 9, 5, 0, 0, 0]


def test_loading_is_deterministic_and_the_shuffle_seed_matters(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    a = load_imdb(ImdbSpec(path=folder), tmp_path / "c")
    b = load_imdb(ImdbSpec(path=folder), tmp_path / "c")
    c = load_imdb(ImdbSpec(path=folder, shuffle_seed=7), tmp_path / "c")
    np.testing.assert_array_equal(a.train.x, b.train.x)
    np.testing.assert_array_equal(a.test.x, b.test.x)
    assert a.train.x.tolist() != c.train.x.tolist()
    assert sorted(a.train.x.tolist()) == sorted(c.train.x.tolist())


# --- sources and the cache -----------------------------------------------------------------------------


def test_the_cache_folder_is_searched_npz_first(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    make_tar(cache)
    assert find_imdb_source(None, cache).kind == "tar"
    make_folder(cache)
    assert find_imdb_source(None, cache).kind == "folder"
    make_npz(cache, CORPUS_TEST_RANKS)
    assert find_imdb_source(None, cache) == _imdb_files.ImdbSource("npz", cache / "imdb.npz")
    # data.path may also name a folder that holds a source.
    assert find_imdb_source(cache, tmp_path).kind == "npz"


def test_a_tarball_is_read_without_extracting_and_parsed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    tar = make_tar(cache / "imdb", build=tmp_path / "build")  # the cache folder's imdb/ is searched
    first = load_imdb(ImdbSpec(), cache)
    (tarball, cached) = sorted(p.name for p in (cache / "imdb").iterdir())
    assert tarball == tar.name
    assert re.fullmatch(r"imdb-ranks-[0-9a-f]+\.npz", cached)  # and no aclImdb/, no leftover .tmp

    def no_parsing(path: Path) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(_imdb_files, "_read_tar", no_parsing)
    again = load_imdb(ImdbSpec(), cache)
    np.testing.assert_array_equal(first.train.x, again.train.x)
    assert first.word_index == again.word_index

    # A changed tarball (new mtime) is parsed again.
    os.utime(tar, ns=(1, 1))
    with pytest.raises(AssertionError, match="parsed again"):
        load_imdb(ImdbSpec(), cache)


def test_a_damaged_cache_file_is_rebuilt(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    cache = tmp_path / "cache"
    first = load_imdb(ImdbSpec(path=folder), cache)
    (cached,) = (cache / "imdb").glob("imdb-ranks-*.npz")
    cached.write_bytes(b"half a file")
    again = load_imdb(ImdbSpec(path=folder), cache)
    np.testing.assert_array_equal(first.train.x, again.train.x)
    assert cached.read_bytes()[:2] == b"PK"  # replaced by a whole npz


def test_an_unwritable_cache_only_warns(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    with pytest.warns(UserWarning, match="could not cache the parsed IMDB reviews"):
        data = load_imdb(ImdbSpec(path=folder), not_a_folder)
    assert len(data.train) == 6


# --- errors --------------------------------------------------------------------------------------------


def test_nothing_in_the_cache_names_every_place_looked(tmp_path: Path) -> None:
    top = tmp_path / "cache"
    cache = top / "imdb"
    places = [f"{cache}/imdb.npz", f"{cache}/aclImdb/", f"{cache}/aclImdb*.tar.gz"]
    with pytest.raises(
        DataError,
        match=rf"^{re.escape(str(cache))} must hold the IMDB data set; got \"none of "
        rf"{re.escape(repr(places))}\" \(put imdb\.npz or aclImdb_v1\.tar\.gz in {re.escape(str(cache))}, "
        r"or pass data\.path\)$",
    ):
        load_imdb(ImdbSpec(), top)


def test_a_missing_path_says_where_sweepstat_looked(tmp_path: Path) -> None:
    path = tmp_path / "imdb.npz"
    with pytest.raises(
        DataError,
        match=rf"^{re.escape(str(path))} must be imdb\.npz, an aclImdb/ folder or aclImdb_v1\.tar\.gz "
        rf"\(data\.path\); got 'no such file or folder' \(sweepstat looked at {re.escape(str(path))};",
    ):
        load_imdb(ImdbSpec(path=path), tmp_path)


def test_a_file_of_another_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text("text,label\n")
    with pytest.raises(
        DataError, match=r"reviews\.csv must be imdb\.npz, .*; got \"a file named 'reviews\.csv'\""
    ):
        load_imdb(ImdbSpec(path=path), tmp_path)


def test_a_folder_without_a_source_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        DataError, match=r"must be an aclImdb/ folder \(with train/ and test/\) .*got \"a folder"
    ):
        load_imdb(ImdbSpec(path=tmp_path), tmp_path)


def test_an_incomplete_folder_names_what_is_missing(tmp_path: Path) -> None:
    reviews = {k: v for k, v in REVIEWS.items() if not k.startswith("test/pos")}
    folder = make_folder(tmp_path, reviews)
    with pytest.raises(
        DataError,
        match=rf"^{re.escape(str(folder))} must be an aclImdb folder holding .*; "
        r"got 'no reviews in test/pos/\*\.txt'",
    ):
        load_imdb(ImdbSpec(path=folder), tmp_path / "c")


def test_a_non_utf8_review_is_named_with_its_offset(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    (folder / "train" / "pos" / "0_9.txt").write_bytes("great café".encode("latin-1"))
    with pytest.raises(
        DataError, match=r"aclImdb: train/pos/0_9\.txt must be UTF-8 text; got 'byte 0xe9 at byte offset 9'"
    ):
        load_imdb(ImdbSpec(path=folder), tmp_path / "c")


@pytest.mark.parametrize("damage", ["garbage", "1 byte", "1/4", "1/2", "3/4"])
def test_a_corrupt_or_truncated_tarball_is_named(tmp_path: Path, damage: str) -> None:
    # A truncated download must fail, not load the reviews that came before the cut.
    tar = make_tar(tmp_path)
    data = tar.read_bytes()
    cuts = {"1 byte": 1, "1/4": len(data) // 4, "1/2": len(data) // 2, "3/4": 3 * len(data) // 4}
    tar.write_bytes(b"not a tarball at all" * 10 if damage == "garbage" else data[: cuts[damage]])
    with pytest.raises(
        DataError, match=rf"^{re.escape(str(tar))} must be a readable \.tar\.gz of the aclImdb folder; got"
    ):
        load_imdb(ImdbSpec(path=tar), tmp_path / "c")


def test_a_tarball_of_something_else_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "aclImdb_v1.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("aclImdb/README")
        archive.addfile(info, io.BytesIO(b""))
    with pytest.raises(
        DataError, match=r"must be a tarball of the aclImdb folder holding .*got 'no reviews in"
    ):
        load_imdb(ImdbSpec(path=path), tmp_path / "c")


def test_a_corrupt_npz_is_named(tmp_path: Path) -> None:
    path = tmp_path / "imdb.npz"
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(
        DataError,
        match=rf"^{re.escape(str(path))} must be a Keras imdb\.npz: .*; "
        r"got 'a file that is not an npz \(zip\) archive' \(download imdb\.npz again",
    ):
        load_imdb(ImdbSpec(path=path), tmp_path)


def test_an_npz_without_the_keras_arrays_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "imdb.npz"
    np.savez(path, x=np.arange(3))
    with pytest.raises(
        DataError, match=r"got \"arrays \['x'\]; missing \['x_train', 'y_train', 'x_test', 'y_test'\]\""
    ):
        read_npz(path)


def test_an_npz_with_bad_labels_or_ranks_is_refused(tmp_path: Path) -> None:
    path = make_npz(tmp_path, CORPUS_TEST_RANKS)
    with np.load(path, allow_pickle=True) as f:
        arrays = dict(f)
    np.savez(path, **(arrays | {"y_test": np.array([0, 1, 2, 1])}))
    with pytest.raises(DataError, match=r"got 'labels \[0, 1, 2\] in y_test'"):
        read_npz(path)
    np.savez(path, **(arrays | {"x_test": _object_array([[1], [0], [2], [3]])}))
    with pytest.raises(DataError, match=r"got 'a rank below 1 in x_test \(ranks start at 1\)'"):
        read_npz(path)


def test_a_bad_word_index_is_named(tmp_path: Path) -> None:
    path = make_npz(tmp_path, CORPUS_TEST_RANKS)
    (tmp_path / "imdb_word_index.json").write_text("[1, 2]")
    with pytest.raises(
        DataError, match=r"imdb_word_index\.json must be a JSON object of word → rank; got 'a JSON list'"
    ):
        load_imdb(ImdbSpec(path=path), tmp_path)


def test_too_few_training_reviews_for_the_validation_fraction(tmp_path: Path) -> None:
    with pytest.raises(
        DataError, match=r"^data\.val_fraction must leave at least one training and one validation review"
    ):
        # load_maxlen 4 keeps one training review; floor(1 × 0.9) = 0 would leave none for training.
        load_imdb(ImdbSpec(path=make_folder(tmp_path), load_maxlen=4, val_fraction=0.1), tmp_path / "c")


def test_spec_combinations_imdb_cannot_use(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    with pytest.raises(SpecError, match=r"^data\.text\.oov_token must be null for imdb"):
        load_imdb(ImdbSpec(path=folder, text=TextSpec(oov_token="<OOV>")), tmp_path / "c")
    with pytest.raises(SpecError, match=r"^data\.oov_char must be < data\.text\.num_words \(2\)"):
        load_imdb(ImdbSpec(path=folder, text=TextSpec(num_words=2)), tmp_path / "c")
