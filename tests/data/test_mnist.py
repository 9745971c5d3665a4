"""MNIST from its four IDX files: shapes, file order, gzip or not, the cache, and every refused file."""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import numpy as np
import pytest

from sweepstat.data import _mnist, prepare
from sweepstat.data._mnist import cache_path, find_mnist_files, load_mnist
from sweepstat.errors import DataError
from sweepstat.spec import MnistSpec

from .mnist_files import NAMES, digits, idx_bytes, write_mnist


def test_images_and_labels_in_file_order(tmp_path: Path) -> None:
    data = prepare(MnistSpec(path=write_mnist(tmp_path / "m")), tmp_path / "cache")
    x_train, y_train = digits(20, seed=1)
    x_test, y_test = digits(10, seed=2)
    assert data.name == "mnist" and data.class_names == tuple("0123456789")
    assert data.train.x.shape == (20, 1, 28, 28) and data.train.x.dtype == np.uint8
    assert data.train.y.dtype == np.int64 and data.test.x.shape == (10, 1, 28, 28)
    np.testing.assert_array_equal(data.train.x[:, 0], x_train)
    np.testing.assert_array_equal(data.train.y, y_train)
    np.testing.assert_array_equal(data.test.x[:, 0], x_test)
    np.testing.assert_array_equal(data.test.y, y_test)
    assert data.val is None and (data.vocab_size, data.maxlen, data.word_index) == (0, 0, {})
    assert data.train.x.flags.writeable and data.train.x.flags.c_contiguous


def test_plain_and_gzipped_files_give_the_same_arrays(tmp_path: Path) -> None:
    packed = load_mnist(MnistSpec(path=write_mnist(tmp_path / "gz")), tmp_path / "c1")
    plain = load_mnist(MnistSpec(path=write_mnist(tmp_path / "raw", gz=False)), tmp_path / "c2")
    for a, b in ((packed.train, plain.train), (packed.test, plain.test)):
        np.testing.assert_array_equal(a.x, b.x)
        np.testing.assert_array_equal(a.y, b.y)


def test_a_plain_file_is_taken_before_its_gz_and_gzip_is_told_by_content(tmp_path: Path) -> None:
    folder = write_mnist(tmp_path / "m")
    (folder / NAMES["test_labels"]).write_bytes(gzip.decompress((folder / f"{NAMES['test_labels']}.gz").read_bytes()))
    files = find_mnist_files(folder, tmp_path / "cache")
    assert files["test_labels"].name == NAMES["test_labels"] and files["train_images"].name.endswith(".gz")
    # A gzipped file without .gz in its name is still read (the first bytes tell).
    (folder / NAMES["test_labels"]).write_bytes((folder / f"{NAMES['test_labels']}.gz").read_bytes())
    data = load_mnist(MnistSpec(path=folder), tmp_path / "cache")
    np.testing.assert_array_equal(data.test.y, digits(10, seed=2)[1])


def test_the_cache_folder_is_used_when_path_is_unset(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    write_mnist(cache / "mnist")
    data = load_mnist(MnistSpec(), cache)
    assert len(data.train) == 20 and len(data.test) == 10


def test_validation_is_the_last_fraction_of_the_training_images(tmp_path: Path) -> None:
    data = load_mnist(MnistSpec(path=write_mnist(tmp_path / "m"), val_fraction=0.25), tmp_path / "cache")
    assert data.val is not None
    assert len(data.train) == 15 and len(data.val) == 5  # floor(20 × 0.75) = 15 train
    assert data.train.x[:, 0, 0, 0].tolist() == list(range(15))
    assert data.val.x[:, 0, 0, 0].tolist() == list(range(15, 20))
    assert len(data.test) == 10


def test_a_validation_fraction_that_leaves_no_training_image(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"^data\.val_fraction must leave at least one training and one validation image of the 20 training images; got 0\.96"):
        load_mnist(MnistSpec(path=write_mnist(tmp_path / "m"), val_fraction=0.96), tmp_path / "cache")


def test_parsed_arrays_are_cached_and_read_back_without_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, cache = write_mnist(tmp_path / "m"), tmp_path / "cache"
    first = load_mnist(MnistSpec(path=folder), cache)
    cached = cache_path(find_mnist_files(folder, cache / "mnist"), cache / "mnist")
    assert cached.is_file() and cached.parent == cache / "mnist"
    assert [p.name for p in (cache / "mnist").iterdir()] == [cached.name]  # no temporary file left

    def no_reading(files: object) -> None:
        raise AssertionError("the IDX files were read again")

    monkeypatch.setattr(_mnist, "read_files", no_reading)
    again = load_mnist(MnistSpec(path=folder), cache)
    np.testing.assert_array_equal(first.train.x, again.train.x)
    np.testing.assert_array_equal(first.test.y, again.test.y)
    assert again.train.x.flags.writeable


def test_a_changed_file_gets_a_new_cache_entry(tmp_path: Path) -> None:
    folder, cache = write_mnist(tmp_path / "m"), tmp_path / "cache"
    load_mnist(MnistSpec(path=folder), cache)
    write_mnist(folder, n_train=12)
    data = load_mnist(MnistSpec(path=folder), cache)
    assert len(data.train) == 12
    assert len(list((cache / "mnist").glob("mnist-*.npz"))) == 2


def test_a_damaged_cache_file_is_rebuilt(tmp_path: Path) -> None:
    folder, cache = write_mnist(tmp_path / "m"), tmp_path / "cache"
    cached = cache_path(find_mnist_files(folder, cache / "mnist"), cache / "mnist")
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"PK\x03\x04 not really a zip")
    data = load_mnist(MnistSpec(path=folder), cache)
    assert len(data.train) == 20
    assert np.load(cached)["x_train"].shape == (20, 1, 28, 28)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_an_unwritable_cache_only_warns(tmp_path: Path) -> None:
    folder, cache = write_mnist(tmp_path / "m"), tmp_path / "cache"
    (cache / "mnist").mkdir(parents=True)
    (cache / "mnist").chmod(0o500)
    try:
        with pytest.warns(UserWarning, match="could not cache the parsed MNIST arrays"):
            data = load_mnist(MnistSpec(path=folder), cache)
    finally:
        (cache / "mnist").chmod(0o700)
    assert len(data.train) == 20


def test_the_cache_write_failing_only_warns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(path: Path, data: bytes) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(_mnist, "write_atomic", refuse)
    with pytest.warns(UserWarning, match="could not cache the parsed MNIST arrays"):
        data = load_mnist(MnistSpec(path=write_mnist(tmp_path / "m")), tmp_path / "cache")
    assert len(data.train) == 20


# --- refused sources -------------------------------------------------------------------------------------


def test_nothing_in_the_cache_folder_says_where_to_put_the_files(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(DataError) as info:
        load_mnist(MnistSpec(), cache)
    text = str(info.value)
    assert text.startswith(f"{cache / 'mnist'} must hold the four MNIST IDX files (the cache folder")
    assert "got 'no train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz]" in text
    assert "put train-images-idx3-ubyte[.gz]," in text and f"in {cache / 'mnist'}, or pass data.path)" in text


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    folder = write_mnist(tmp_path / "m")
    (folder / f"{NAMES['test_labels']}.gz").unlink()
    with pytest.raises(DataError, match=re.escape(f"{folder} must hold the four MNIST IDX files (data.path); got 'no t10k-labels-idx1-ubyte[.gz]'")):
        load_mnist(MnistSpec(path=folder), tmp_path / "cache")


def test_a_missing_path_says_where_sweepstat_looked(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no such file or folder'.*fix data\.path, or leave it out to use the cache folder"):
        load_mnist(MnistSpec(path=tmp_path / "nowhere"), tmp_path / "cache")


def test_a_path_to_one_of_the_files_points_at_its_folder(tmp_path: Path) -> None:
    folder = write_mnist(tmp_path / "m")
    with pytest.raises(DataError, match=re.escape(f"got 'a file' (point data.path at its folder {folder})")):
        load_mnist(MnistSpec(path=folder / f"{NAMES['train_images']}.gz"), tmp_path / "cache")


def test_a_labels_file_in_the_place_of_images_is_named_by_its_magic_number(tmp_path: Path) -> None:
    folder = write_mnist(tmp_path / "m", overrides={"train_images": idx_bytes(np.zeros(20))})
    with pytest.raises(DataError) as info:
        load_mnist(MnistSpec(path=folder), tmp_path / "cache")
    assert str(info.value).startswith(
        f"{folder / NAMES['train_images']}.gz must be an IDX file of MNIST images (magic number 0x00000803"
    )
    assert "got 'magic number 0x00000801'" in str(info.value)


@pytest.mark.parametrize("gz", [True, False])
def test_a_truncated_file_is_refused(tmp_path: Path, gz: bool) -> None:
    full = idx_bytes(digits(20, seed=1)[0])
    folder = write_mnist(tmp_path / "m", gz=gz, overrides={"train_images": full[:-100]})
    with pytest.raises(DataError, match=r"must hold 15,680 bytes after its header \(dimensions 20 × 28 × 28\); got '15,580 bytes' \(the file is truncated"):
        load_mnist(MnistSpec(path=folder), tmp_path / "cache")


def test_a_cut_gzip_stream_is_refused(tmp_path: Path) -> None:
    folder = write_mnist(tmp_path / "m")
    packed = folder / f"{NAMES['train_images']}.gz"
    packed.write_bytes(packed.read_bytes()[:-200])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz must be a complete gzip file of MNIST's IDX data; got 'unreadable: "):
        load_mnist(MnistSpec(path=folder), tmp_path / "cache")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"must start with the IDX magic number 0x00000803; got '0 bytes'"),
        (b"\x00\x00\x08\x03\x00\x00", r"must hold a 16-byte IDX header; got '6 bytes'"),
        (idx_bytes(digits(20, seed=1)[0]) + b"\x00", r"got '15,681 bytes' \(the file is longer than its header says"),
        (idx_bytes(np.zeros((20, 32, 32))), r"must hold 28 × 28-pixel images \(MNIST\); got '32 × 32 pixels'"),
    ],
)
def test_damaged_image_files(tmp_path: Path, content: bytes, message: str) -> None:
    folder = write_mnist(tmp_path / "m", gz=False, overrides={"train_images": content})
    with pytest.raises(DataError, match=message):
        load_mnist(MnistSpec(path=folder), tmp_path / "cache")


def test_images_and_labels_must_be_as_many(tmp_path: Path) -> None:
    folder = write_mnist(tmp_path / "m", overrides={"test_labels": idx_bytes(np.zeros(9))})
    with pytest.raises(DataError) as info:
        load_mnist(MnistSpec(path=folder), tmp_path / "cache")
    assert "must hold as many labels as images; got '10 images and 9 labels'" in str(info.value)
    assert str(info.value).startswith(f"{folder / NAMES['test_images']}.gz and {folder / NAMES['test_labels']}.gz")


def test_labels_must_be_digits(tmp_path: Path) -> None:
    folder = write_mnist(tmp_path / "m", overrides={"train_labels": idx_bytes(np.full(20, 10))})
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte\.gz must hold digit labels 0–9; got 'label 10'"):
        load_mnist(MnistSpec(path=folder), tmp_path / "cache")


def test_a_refused_file_leaves_no_cache_file(tmp_path: Path) -> None:
    folder = write_mnist(tmp_path / "m", overrides={"test_labels": idx_bytes(np.zeros(9))})
    with pytest.raises(DataError):
        load_mnist(MnistSpec(path=folder), tmp_path / "cache")
    assert not (tmp_path / "cache" / "mnist").exists() or not any((tmp_path / "cache" / "mnist").iterdir())
