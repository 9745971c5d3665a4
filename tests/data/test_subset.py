"""``data.subset``: the first N examples of each split, after the data set's own order and encoding, with
everything fitted on the data (vocabulary, ranking, padded length, validation split) fitted on all of it."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from sweepstat.data import prepare
from sweepstat.data._export import export_frame
from sweepstat.errors import SpecError
from sweepstat.spec import DataSpec, validate

from .mnist_files import write_mnist
from .test_imdb import make_folder


def write_reviews(path: Path) -> Path:
    """24 rows with a file-decided split: train rows 0–15, val 16–19, test 20–23; words grow with the row."""
    rows = [("text", "label", "part")]
    for i in range(24):
        part = "train" if i < 16 else "val" if i < 20 else "test"
        words = " ".join(f"w{k}" for k in range(i % 5 + 1))
        rows.append((f"{words} row{i}", "pos" if i % 2 else "neg", part))
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def spec(raw: dict[str, object]) -> DataSpec:
    result: DataSpec = validate(DataSpec, raw, "data")
    return result


def test_csv_keeps_the_first_rows_of_each_split_with_the_full_vocabulary(tmp_path: Path) -> None:
    base = {"name": "csv", "path": str(write_reviews(tmp_path / "r.csv")), "split_column": "part",
            "text": {"maxlen": "p50"}}  # fmt: skip
    full = prepare(spec(base), tmp_path)
    cut = prepare(spec(base | {"subset": {"train": 5, "val": 2, "test": 3}}), tmp_path)
    assert (len(cut.train), len(cut.val or []), len(cut.test)) == (5, 2, 3)
    np.testing.assert_array_equal(cut.train.x, full.train.x[:5])
    np.testing.assert_array_equal(cut.train.y, full.train.y[:5])
    assert cut.val is not None and full.val is not None
    np.testing.assert_array_equal(cut.val.x, full.val.x[:2])
    np.testing.assert_array_equal(cut.test.x, full.test.x[:3])
    # Fitted on the whole training split: the words of rows 5–15 are still in the vocabulary.
    assert cut.word_index == full.word_index and "row15" in cut.word_index
    assert (cut.vocab_size, cut.maxlen) == (full.vocab_size, full.maxlen)


def test_a_split_left_at_null_is_whole(tmp_path: Path) -> None:
    base = {"name": "csv", "path": str(write_reviews(tmp_path / "r.csv")), "split_column": "part"}
    cut = prepare(spec(base | {"subset": {"test": 1}}), tmp_path)
    assert (len(cut.train), len(cut.val or []), len(cut.test)) == (16, 4, 1)


def test_imdb_keeps_the_first_reviews_after_the_keras_shuffle(tmp_path: Path) -> None:
    base = {"name": "imdb", "path": str(make_folder(tmp_path)), "val_fraction": 0.34, "text": {"maxlen": "p50"}}
    full = prepare(spec(base), tmp_path / "cache")
    cut = prepare(spec(base | {"subset": {"train": 2, "val": 1, "test": 3}}), tmp_path / "cache")
    assert full.val is not None and cut.val is not None
    assert (len(full.train), len(full.val)) == (3, 3)  # the validation split is taken from all 6 first
    np.testing.assert_array_equal(cut.train.x, full.train.x[:2])
    np.testing.assert_array_equal(cut.val.x, full.val.x[:1])
    np.testing.assert_array_equal(cut.test.y, full.test.y[:3])
    assert (cut.vocab_size, cut.maxlen, cut.word_index) == (full.vocab_size, full.maxlen, full.word_index)


def test_mnist_keeps_the_first_images_in_file_order(tmp_path: Path) -> None:
    base = {"name": "mnist", "path": str(write_mnist(tmp_path / "m")), "val_fraction": 0.25}
    cut = prepare(spec(base | {"subset": {"train": 4, "val": 2, "test": 1}}), tmp_path / "cache")
    assert cut.val is not None
    assert cut.train.x[:, 0, 0, 0].tolist() == [0, 1, 2, 3]
    assert cut.val.x[:, 0, 0, 0].tolist() == [15, 16]  # the validation split is the last 5 of all 20
    assert len(cut.test) == 1


def test_the_kept_arrays_are_copies(tmp_path: Path) -> None:
    base = {"name": "mnist", "path": str(write_mnist(tmp_path / "m"))}
    cut = prepare(spec(base | {"subset": {"train": 4}}), tmp_path / "cache")
    assert cut.train.x.base is None and cut.train.y.base is None  # the 20 images can be freed
    assert cut.train.x.flags.c_contiguous and cut.train.x.flags.writeable


def test_more_than_a_split_holds_is_refused_with_its_size(tmp_path: Path) -> None:
    base = {"name": "csv", "path": str(write_reviews(tmp_path / "r.csv")), "split_column": "part"}
    with pytest.raises(SpecError) as info:
        prepare(spec(base | {"subset": {"train": 17, "test": 5}}), tmp_path)
    assert [p.where for p in info.value.problems] == ["data.subset.train", "data.subset.test"]
    assert str(info.value) == (
        "data.subset.train must be at most the 16 examples of the training split; got 17 (use 16 or less, or "
        "null for the whole split); data.subset.test must be at most the 4 examples of the test split; got 5 "
        "(use 4 or less, or null for the whole split)"
    )


def test_a_validation_subset_without_a_validation_split_is_refused(tmp_path: Path) -> None:
    base = {"name": "mnist", "path": str(write_mnist(tmp_path / "m"))}
    with pytest.raises(SpecError, match=r"^data\.subset\.val must be null: the data has no validation split; got 3 \(give the data a validation split \(data\.val_fraction"):
        prepare(spec(base | {"subset": {"val": 3}}), tmp_path / "cache")


def test_export_writes_the_subset(tmp_path: Path) -> None:
    base = {"name": "csv", "path": str(write_reviews(tmp_path / "r.csv")), "split_column": "part"}
    frame = export_frame(spec(base | {"subset": {"train": 3, "val": 1}}), tmp_path)
    assert frame["split"].tolist() == ["train"] * 3 + ["val"] + ["test"] * 4
    assert frame["text"].str.extract(r"row(\d+)")[0].astype(int).tolist() == [0, 1, 2, 16, 20, 21, 22, 23]
    with pytest.raises(SpecError, match=r"data\.subset\.train must be at most the 16 examples"):
        export_frame(spec(base | {"subset": {"train": 99}}), tmp_path)
    imdb = {"name": "imdb", "path": str(make_folder(tmp_path / "imdb"))}
    rows = export_frame(spec(imdb | {"subset": {"test": 2}}), tmp_path / "cache")
    assert rows["split"].value_counts().to_dict() == {"train": 6, "test": 2}
