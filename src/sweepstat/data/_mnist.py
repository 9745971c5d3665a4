"""MNIST handwritten digits from Yann LeCun's four IDX files, as ``keras.datasets.mnist.load_data`` gives them.

Files, looked for in ``spec.path`` (a folder) or, when unset, in ``<cache>/mnist/``: ``train-images-idx3-ubyte``,
``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each as it is or with
``.gz`` (the plain file is taken when both exist). Whether a file is gzipped is read from its first two
bytes, not its name: an IDX file starts with two zero bytes, a gzip stream with ``1f 8b``.

An IDX file is a big-endian header — two zero bytes, a type code (``0x08``: unsigned bytes) and the number
of dimensions — then one uint32 per dimension, then the values in C order. Images must have magic number
``0x00000803`` and 28 × 28 pixels, labels ``0x00000801`` and values 0–9, and each file exactly as many
bytes as its header announces (a truncated download is refused, not padded); the images and labels of a
split must be equally many.

The result keeps the file order (60,000 train / 10,000 test for the published files): ``x`` is
(N, 1, 28, 28) uint8 raw pixels 0–255 (the model scales them; LeNet by 1/256 as Caffe does), ``y`` (N,)
int64 digits. ``spec.val_fraction`` holds out the *last* training images, as Keras's
``fit(validation_split=...)`` does. ``vocab_size`` and ``maxlen`` (text fields) are 0.

Parsed arrays are cached in ``<cache>/mnist/mnist-<key>.npz`` (uncompressed), keyed by the four files'
paths, sizes and modification times, written to a temporary file and renamed; a damaged cache file is
rebuilt. Decompressing the 9.9 MB of gzip takes most of a first load; the cache skips it.
"""

from __future__ import annotations

import gzip
import io
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sweepstat.data._cache import cache_key, write_atomic
from sweepstat.data._dataset import PreparedData, Split
from sweepstat.data._split import validation_cut
from sweepstat.errors import DataError
from sweepstat.spec import MnistSpec

CLASS_NAMES = tuple(str(d) for d in range(10))
IMAGE_SIDE = 28
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
_UBYTE = 0x08
_GZIP_MAGIC = b"\x1f\x8b"
_CACHE_VERSION = 1
_FIX_DOWNLOAD = "download the file again (the four MNIST files are about 11 MB gzipped)"


@dataclass(frozen=True)
class MnistArrays:
    """The four arrays of the files: x (N, 1, 28, 28) uint8, y (N,) int64, per split, in file order."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_mnist(spec: MnistSpec, cache_dir: Path) -> PreparedData:
    """MNIST as PreparedData (module docstring): raw uint8 pixels, labels 0–9, file order."""
    own = cache_dir / "mnist"
    files = find_mnist_files(spec.path, own)
    arrays = read_cached(files, own)
    x_train, y_train = arrays.x_train, arrays.y_train
    val: Split | None = None
    if spec.val_fraction > 0:
        cut = validation_cut(len(y_train), spec.val_fraction, "image")
        val = Split(x=x_train[cut:], y=y_train[cut:])
        x_train, y_train = x_train[:cut], y_train[:cut]
    return PreparedData(
        name="mnist",
        train=Split(x=x_train, y=y_train),
        test=Split(x=arrays.x_test, y=arrays.y_test),
        val=val,
        vocab_size=0,  # images: no vocabulary, no padded length
        maxlen=0,
        class_names=CLASS_NAMES,
    )


# --- finding the files ---------------------------------------------------------------------------------


def find_mnist_files(path: Path | None, cache_dir: Path) -> dict[str, Path]:
    """The four IDX files (key of FILES → path) in ``path`` (data.path), or in ``cache_dir`` when None."""
    folder = path if path is not None else cache_dir
    listed = ", ".join(f"{name}[.gz]" for name in FILES.values())
    if path is not None and not path.exists():
        raise DataError(
            str(path),
            "must be a folder holding the four MNIST IDX files (data.path)",
            "no such file or folder",
            f"sweepstat looked at {path.absolute()}; fix data.path, or leave it out to use the cache "
            f"folder {cache_dir}",
        )
    if path is not None and not path.is_dir():
        hint = f"point data.path at its folder {path.parent}" if _is_mnist_name(path.name) else (
            f"point data.path at the folder that holds {listed}"
        )
        raise DataError(str(path), "must be a folder holding the four MNIST IDX files (data.path)", "a file", hint)
    found: dict[str, Path] = {}
    missing: list[str] = []
    for key, name in FILES.items():
        plain, packed = folder / name, folder / f"{name}.gz"
        if plain.is_file():
            found[key] = plain
        elif packed.is_file():
            found[key] = packed
        else:
            missing.append(f"{name}[.gz]")
    if missing:
        where = "data.path" if path is not None else "the cache folder (data.path is unset)"
        raise DataError(
            str(folder),
            f"must hold the four MNIST IDX files ({where})",
            f"no {', '.join(missing)}",
            f"put {listed} in {folder}" + ("" if path is not None else ", or pass data.path"),
        )
    return found


def _is_mnist_name(name: str) -> bool:
    return name.removesuffix(".gz") in FILES.values()


# --- reading IDX files ---------------------------------------------------------------------------------


def _file_bytes(path: Path) -> bytes:
    """The file's content, decompressed if it is a gzip stream (told by its first bytes)."""
    data = path.read_bytes()
    if not data.startswith(_GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:  # BadGzipFile is an OSError; a cut stream is EOFError
        raise DataError(
            str(path), "must be a complete gzip file of MNIST's IDX data", f"unreadable: {err}", _FIX_DOWNLOAD
        ) from None


def read_idx(path: Path, n_dims: int) -> np.ndarray:
    """An IDX file of unsigned bytes with ``n_dims`` dimensions, as a uint8 array of the header's shape.

    Raises DataError for another magic number, or a size other than the header's (truncated or padded).
    """
    data = _file_bytes(path)
    expected = (_UBYTE << 8) | n_dims
    header = 4 + 4 * n_dims
    if len(data) < 4:
        raise DataError(
            str(path), f"must start with the IDX magic number {expected:#010x}", f"{len(data)} bytes", _FIX_DOWNLOAD
        )
    magic = int.from_bytes(data[:4], "big")
    if magic != expected:
        what = "images" if n_dims == 3 else "labels"
        raise DataError(
            str(path),
            f"must be an IDX file of MNIST {what} (magic number {expected:#010x}: unsigned bytes, {n_dims} "
            "dimensions)",
            f"magic number {magic:#010x}",
            f"check that this is MNIST's {path.name.removesuffix('.gz')}; else {_FIX_DOWNLOAD}",
        )
    if len(data) < header:
        raise DataError(
            str(path),
            f"must hold a {header}-byte IDX header",
            f"{len(data)} bytes",
            f"the file is truncated; {_FIX_DOWNLOAD}",
        )
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=n_dims, offset=4))
    n_values = int(np.prod(shape, dtype=np.int64))
    if len(data) - header != n_values:
        state = "truncated" if len(data) - header < n_values else "longer than its header says"
        raise DataError(
            str(path),
            f"must hold {n_values:,} bytes after its header (dimensions {' × '.join(map(str, shape))})",
            f"{len(data) - header:,} bytes",
            f"the file is {state}; {_FIX_DOWNLOAD}",
        )
    # A copy: frombuffer over bytes is read-only, and the engine wants writable arrays.
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()


def read_files(files: dict[str, Path]) -> MnistArrays:
    """Read and check the four IDX files (module docstring)."""
    parts: dict[str, np.ndarray] = {}
    for split in ("train", "test"):
        images_path, labels_path = files[f"{split}_images"], files[f"{split}_labels"]
        images = read_idx(images_path, 3)  # (N, 28, 28)
        if images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
            raise DataError(
                str(images_path),
                f"must hold {IMAGE_SIDE} × {IMAGE_SIDE}-pixel images (MNIST)",
                f"{images.shape[1]} × {images.shape[2]} pixels",
                "use MNIST's own files (Fashion-MNIST's have the same format and size)",
            )
        labels = read_idx(labels_path, 1)  # (N,)
        if len(labels) != len(images):
            raise DataError(
                f"{images_path} and {labels_path}",
                "must hold as many labels as images",
                f"{len(images):,} images and {len(labels):,} labels",
                f"both files must come from one download; {_FIX_DOWNLOAD}",
            )
        if len(labels) and int(labels.max()) > 9:
            raise DataError(
                str(labels_path), "must hold digit labels 0–9", f"label {int(labels.max())}", _FIX_DOWNLOAD
            )
        parts[f"x_{split}"] = images[:, None, :, :]  # (N, 1, 28, 28): one channel
        parts[f"y_{split}"] = labels.astype(np.int64)
    return MnistArrays(**parts)


# --- the parsed-array cache ----------------------------------------------------------------------------


def cache_path(files: dict[str, Path], cache_dir: Path) -> Path:
    """Where the parsed arrays of ``files`` are cached: keyed by each file's path, size and mtime."""
    stamp: dict[str, object] = {"version": _CACHE_VERSION}
    for key, path in files.items():
        st = path.stat()
        stamp[key] = [str(path.resolve()), st.st_size, st.st_mtime_ns]
    return cache_dir / f"mnist-{cache_key(stamp)}.npz"


def read_cached(files: dict[str, Path], cache_dir: Path) -> MnistArrays:
    """The arrays of ``files``, from the cache when it holds them, else read and cached."""
    cached = cache_path(files, cache_dir)
    arrays = _read_cache(cached)
    if arrays is not None:
        return arrays
    arrays = read_files(files)
    buffer = io.BytesIO()
    np.savez(buffer, version=np.array(_CACHE_VERSION), **vars(arrays))  # uncompressed: loads in a blink
    try:
        write_atomic(cached, buffer.getvalue())
    except OSError as err:  # the cache only saves time; a read-only cache folder must not stop a study
        warnings.warn(f"could not cache the parsed MNIST arrays in {cached}: {err}", stacklevel=2)
    return arrays


def _read_cache(path: Path) -> MnistArrays | None:
    """The cached arrays, or None when absent, unreadable or not as written (then they are rebuilt)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            if int(f["version"]) != _CACHE_VERSION:
                return None
            arrays = MnistArrays(*(f[k] for k in ("x_train", "y_train", "x_test", "y_test")))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    for x, y in ((arrays.x_train, arrays.y_train), (arrays.x_test, arrays.y_test)):
        if x.dtype != np.uint8 or x.shape[1:] != (1, IMAGE_SIDE, IMAGE_SIDE) or y.shape != (len(x),):
            return None
    return arrays
