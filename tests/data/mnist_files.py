"""Tiny MNIST IDX files written with numpy and gzip, in the published format (big-endian header)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def idx_bytes(values: np.ndarray, magic: int | None = None) -> bytes:
    """An IDX file of unsigned bytes: magic 0x0000080<ndim>, one big-endian uint32 per dimension, data."""
    values = np.asarray(values, dtype=np.uint8)
    magic = magic if magic is not None else 0x0800 | values.ndim
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in values.shape)
    return header + values.tobytes()


def digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(images (n, 28, 28) uint8, labels (n,) uint8): image i is filled with i's label ×10 plus noise,
    so that a test can tell images apart and check they stay with their labels."""
    rng = np.random.default_rng(seed)
    labels = (np.arange(n) * 7 + seed) % 10
    images = rng.integers(0, 20, size=(n, 28, 28)) + (labels * 20)[:, None, None]
    images[:, 0, 0] = np.arange(n)  # a running number in the first pixel: the file order
    return images.astype(np.uint8), labels.astype(np.uint8)


def write_mnist(
    folder: Path, n_train: int = 20, n_test: int = 10, gz: bool = True, overrides: dict[str, bytes] | None = None
) -> Path:
    """The four files in ``folder`` (gzipped when ``gz``); ``overrides`` replaces a file's bytes (by key of
    NAMES) before compression. Returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    x_train, y_train = digits(n_train, seed=1)
    x_test, y_test = digits(n_test, seed=2)
    content = {
        "train_images": idx_bytes(x_train),
        "train_labels": idx_bytes(y_train),
        "test_images": idx_bytes(x_test),
        "test_labels": idx_bytes(y_test),
    } | (overrides or {})
    for key, data in content.items():
        if gz:
            (folder / f"{NAMES[key]}.gz").write_bytes(gzip.compress(data, mtime=0))
        else:
            (folder / NAMES[key]).write_bytes(data)
    return folder
