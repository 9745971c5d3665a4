"""IMDB's files: where the reviews are, and reading them as word ranks (cached when parsed from text).

A source is one of

- ``imdb.npz`` in Keras's format: ``x_train``, ``y_train``, ``x_test``, ``y_test``, the x's object arrays of
  int lists whose values are 1-based word frequency ranks; an ``imdb_word_index.json`` beside it
  (word → rank) gives the word ranks, else there are none;
- an ``aclImdb/`` folder (``train/{neg,pos}/*.txt``, ``test/{neg,pos}/*.txt``);
- a tarball of that folder (``aclImdb_v1.tar.gz``, ``aclImdb_v1_nofeat.tar.gz``), read member by member in
  memory and never extracted to disk, so no 50,000-file tree is left half-written and nothing but the
  parsed cache lands in the cache folder. It is opened with ``"r:*"`` (gzip.GzipFile underneath), which
  raises on a truncated download; tarfile's pure streaming mode ``"r|*"`` can end early without an error,
  which would silently lose the last reviews.

Raw reviews (folder or tarball) are read in sorted file-name order, ``<br />`` tags become spaces, and the
word ranking (1 = most frequent, ties in order of first appearance) is the Keras Tokenizer's fitted on the
*training* reviews only, with ``spec.text.filters`` and ``spec.text.lower``. Keras's own imdb.npz ranks
words over train and test together; here a word seen only in test reviews has no rank (0 in
``RankedReviews``) and ``load_data`` turns it into ``oov_char``, so nothing about the test set leaks into
the vocabulary. The parsed ranks are cached in the cache folder as ``imdb-ranks-<key>.npz``, keyed by the
source's path, size and modification time (for a folder: file count, total size, newest mtime) and the
tokenizer settings, written to a temporary file and renamed into place.
"""

from __future__ import annotations

import io
import json
import os
import re
import tarfile
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from sweepstat.data._cache import cache_key, write_atomic
from sweepstat.data._text import Tokenizer, text_to_word_sequence
from sweepstat.errors import DataError
from sweepstat.spec import TextSpec

CLASS_NAMES = ("neg", "pos")
NPZ_NAME = "imdb.npz"
WORD_INDEX_NAME = "imdb_word_index.json"
FOLDER_NAME = "aclImdb"
TAR_PATTERN = "aclImdb*.tar.gz"
_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
_TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar")
# A review inside the folder or tarball: [aclImdb/]{train,test}/{neg,pos}/<name>.txt
_REVIEW = re.compile(r"(?:\./)?(?:[^/]+/)?(train|test)/(neg|pos)/([^/]+\.txt)")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_CACHE_VERSION = 1

SourceKind = Literal["npz", "folder", "tar"]


@dataclass(frozen=True)
class ImdbSource:
    """Where the reviews come from."""

    kind: SourceKind
    path: Path


@dataclass(frozen=True)
class RankedReviews:
    """Reviews as word ranks, before ``load_data``'s shuffle and offsets.

    Each x is a list of (L_i,) int64 arrays of 1-based frequency ranks; 0 marks a word with no rank (only
    in test reviews of a raw source). Each y is (N,) int64, 0 = neg, 1 = pos. ``ranks`` maps word → rank.
    """

    x_train: list[np.ndarray]
    y_train: np.ndarray
    x_test: list[np.ndarray]
    y_test: np.ndarray
    ranks: dict[str, int]


Sequences = list[np.ndarray]


# --- finding the source --------------------------------------------------------------------------------


def find_imdb_source(path: Path | None, cache_dir: Path) -> ImdbSource:
    """The source at ``path`` (data.path) if given, else the first found in ``cache_dir``.

    In a folder the order is imdb.npz, aclImdb/, then aclImdb*.tar.gz (sorted by name).
    """
    if path is None:
        found = _source_in(cache_dir)
        if found is None:
            raise DataError(
                str(cache_dir),
                "must hold the IMDB data set",
                f"none of {_places(cache_dir)}",
                f"put imdb.npz or aclImdb_v1.tar.gz in {cache_dir}, or pass data.path",
            )
        return found
    if not path.exists():
        raise DataError(
            str(path),
            "must be imdb.npz, an aclImdb/ folder or aclImdb_v1.tar.gz (data.path)",
            "no such file or folder",
            f"sweepstat looked at {path.absolute()}; fix data.path, or leave it out to use the cache "
            f"folder {cache_dir}",
        )
    if path.is_dir():
        if (path / "train").is_dir() or (path / "test").is_dir():
            return ImdbSource("folder", path)
        found = _source_in(path)
        if found is None:
            raise DataError(
                str(path),
                "must be an aclImdb/ folder (with train/ and test/) or hold the IMDB data set (data.path)",
                f"a folder with none of {_places(path)}",
                f"put imdb.npz or aclImdb_v1.tar.gz in {path}, or point data.path at the file",
            )
        return found
    name = path.name.lower()
    if name.endswith(".npz"):
        return ImdbSource("npz", path)
    if name.endswith(_TAR_SUFFIXES):
        return ImdbSource("tar", path)
    raise DataError(
        str(path),
        "must be imdb.npz, an aclImdb/ folder or a .tar.gz of it (data.path)",
        f"a file named {path.name!r}",
        "point data.path at imdb.npz, aclImdb/ or aclImdb_v1.tar.gz",
    )


def _places(folder: Path) -> list[str]:
    return [str(folder / NPZ_NAME), str(folder / FOLDER_NAME) + "/", str(folder / TAR_PATTERN)]


def _source_in(folder: Path) -> ImdbSource | None:
    if not folder.is_dir():
        return None
    if (folder / NPZ_NAME).is_file():
        return ImdbSource("npz", folder / NPZ_NAME)
    if (folder / FOLDER_NAME).is_dir():
        return ImdbSource("folder", folder / FOLDER_NAME)
    tarballs = sorted(p for p in folder.glob(TAR_PATTERN) if p.is_file())
    return ImdbSource("tar", tarballs[0]) if tarballs else None


# --- reading a source ----------------------------------------------------------------------------------


def read_ranked(source: ImdbSource, text: TextSpec, cache_dir: Path) -> RankedReviews:
    """The reviews of ``source`` as ranks; a raw source goes through (and fills) the cache."""
    if source.kind == "npz":
        return read_npz(source.path)
    stamp = _stamp(source)
    key = cache_key({"version": _CACHE_VERSION, "stamp": stamp, "filters": text.filters, "lower": text.lower})
    cached = cache_dir / f"imdb-ranks-{key}.npz"
    reviews = _read_cache(cached)
    if reviews is not None:
        return reviews
    raw = _read_tar(source.path) if source.kind == "tar" else _read_folder(source.path)
    reviews = rank_reviews(raw, text.filters, text.lower)
    try:
        write_atomic(cached, _cache_bytes(reviews))
    except OSError as err:  # the cache only saves time; a read-only cache folder must not stop a study
        warnings.warn(f"could not cache the parsed IMDB reviews in {cached}: {err}", stacklevel=2)
    return reviews


def read_npz(path: Path) -> RankedReviews:
    """A Keras ``imdb.npz`` (and ``imdb_word_index.json`` beside it, if there)."""

    def bad(got: object) -> DataError:
        return DataError(
            str(path),
            "must be a Keras imdb.npz: arrays x_train, y_train, x_test, y_test of word-rank lists and 0/1 "
            "labels",
            got,
            "download imdb.npz again, or point data.path at an aclImdb folder or aclImdb_v1.tar.gz",
        )

    if not zipfile.is_zipfile(path):
        raise bad("a file that is not an npz (zip) archive")
    try:
        # Object arrays of lists need pickle, as in Keras; zipfile.is_zipfile above keeps np.load from
        # unpickling a whole non-npz file.
        with np.load(path, allow_pickle=True) as archive:
            names = sorted(archive.files)
            arrays = {k: archive[k] for k in _NPZ_KEYS if k in names}
    except Exception as err:  # unpickling a damaged object array can raise almost anything
        raise bad(f"unreadable: {type(err).__name__}: {err}") from None
    absent = [k for k in _NPZ_KEYS if k not in arrays]
    if absent:
        raise bad(f"arrays {names}; missing {absent}")

    parts = {}
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 1 or y.ndim != 1 or len(x) != len(y):
            raise bad(f"x_{split} of shape {x.shape} and y_{split} of shape {y.shape}")
        try:
            seqs = [np.asarray(s, dtype=np.int64).reshape(-1) for s in x]
            labels = np.asarray(y, dtype=np.int64)
        except (TypeError, ValueError) as err:
            raise bad(f"x_{split} or y_{split} not integers: {err}") from None
        if any(len(s) and s.min() < 1 for s in seqs):
            raise bad(f"a rank below 1 in x_{split} (ranks start at 1)")
        if not np.isin(labels, (0, 1)).all():
            raise bad(f"labels {sorted(set(labels.tolist()))} in y_{split}")
        parts[split] = (seqs, labels)
    return RankedReviews(
        *parts["train"], *parts["test"], ranks=_read_word_index(path.parent / WORD_INDEX_NAME)
    )


def _read_word_index(path: Path) -> dict[str, int]:
    if not path.is_file():
        return {}
    try:
        ranks = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataError(
            str(path), "must be a JSON object of word → rank", f"unreadable: {err}", "download it again"
        ) from None
    if not isinstance(ranks, dict) or not all(
        isinstance(w, str) and isinstance(r, int) and not isinstance(r, bool) for w, r in ranks.items()
    ):
        raise DataError(
            str(path),
            "must be a JSON object of word → rank",
            f"a JSON {type(ranks).__name__}",
            "download it again, or delete it (word_index is then empty)",
        )
    return ranks


# Raw reviews: {"train": [(label, text), ...], "test": [...]} in sorted file-name order.
RawReviews = dict[str, list[tuple[int, str]]]


def rank_reviews(raw: RawReviews, filters: str, lower: bool) -> RankedReviews:
    """Rank words by frequency in the training reviews (Keras Tokenizer) and encode both splits.

    A test word without a rank is encoded as 0 (``load_data`` turns it into ``oov_char``).
    """
    train_texts = [text for _, text in raw["train"]]
    tokenizer = Tokenizer(filters=filters, lower=lower)
    tokenizer.fit_on_texts(train_texts)
    ranks = tokenizer.word_index

    def encode(texts: list[str]) -> Sequences:
        return [
            np.fromiter((ranks.get(w, 0) for w in text_to_word_sequence(t, filters, lower)), dtype=np.int64)
            for t in texts
        ]

    def labels(split: str) -> np.ndarray:
        return np.array([label for label, _ in raw[split]], dtype=np.int64)

    return RankedReviews(
        x_train=encode(train_texts),
        y_train=labels("train"),
        x_test=encode([text for _, text in raw["test"]]),
        y_test=labels("test"),
        ranks=dict(ranks),
    )


def _clean(text: str) -> str:
    return _BREAK.sub(" ", text)


def _collect(items: Iterator[tuple[str, bytes]], where: Path, kind: str) -> RawReviews:
    """Sort (relative name, bytes) pairs of review files into splits, decoding each as UTF-8."""
    found: dict[str, list[tuple[str, int, str]]] = {"train": [], "test": []}
    seen: set[tuple[str, str]] = set()
    for name, data in items:
        match = _REVIEW.fullmatch(name)
        if match is None:
            continue
        split, polarity, _ = match.groups()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise DataError(
                f"{where}: {name}",
                "must be UTF-8 text",
                f"byte {data[err.start]:#04x} at byte offset {err.start}",
                "re-save the file as UTF-8, or unpack a fresh copy of the data set",
            ) from None
        found[split].append((name, CLASS_NAMES.index(polarity), _clean(text)))
        seen.add((split, polarity))
    absent = [f"{s}/{p}/*.txt" for s in ("train", "test") for p in CLASS_NAMES if (s, p) not in seen]
    if absent:
        raise DataError(
            str(where),
            f"must be {kind} holding train/{{neg,pos}}/*.txt and test/{{neg,pos}}/*.txt reviews",
            f"no reviews in {', '.join(absent)}",
            "point data.path at a complete aclImdb folder or aclImdb_v1.tar.gz",
        )
    return {split: [(label, text) for _, label, text in sorted(rows)] for split, rows in found.items()}


def _read_folder(root: Path) -> RawReviews:
    def items() -> Iterator[tuple[str, bytes]]:
        for split in ("train", "test"):
            for polarity in CLASS_NAMES:
                folder = root / split / polarity
                if folder.is_dir():
                    for file in folder.glob("*.txt"):
                        yield f"{split}/{polarity}/{file.name}", file.read_bytes()

    return _collect(items(), root, "an aclImdb folder")


def _read_tar(path: Path) -> RawReviews:
    def items(archive: tarfile.TarFile) -> Iterator[tuple[str, bytes]]:
        for member in archive:  # members are read in archive order, each as it passes
            if member.isfile() and _REVIEW.fullmatch(member.name):
                handle = archive.extractfile(member)
                if handle is not None:
                    yield member.name, handle.read()

    try:
        with tarfile.open(path, mode="r:*") as archive:
            return _collect(items(archive), path, "a tarball of the aclImdb folder")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        raise DataError(
            str(path),
            "must be a readable .tar.gz of the aclImdb folder",
            f"unreadable: {err}",
            "download aclImdb_v1.tar.gz again (its sha256 should match the published one)",
        ) from None


# --- the parsed-review cache ---------------------------------------------------------------------------


def _stamp(source: ImdbSource) -> dict[str, object]:
    """What the parsed ranks depend on in the source: its path and size and mtime, cheap to compute."""
    path = source.path.resolve()
    if source.kind == "tar":
        st = path.stat()
        return {"kind": "tar", "path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    n_files, size, newest = 0, 0, 0
    for split in ("train", "test"):
        for polarity in CLASS_NAMES:
            folder = path / split / polarity
            if not folder.is_dir():
                continue
            for entry in os.scandir(folder):
                if entry.name.endswith(".txt"):
                    st = entry.stat()
                    n_files, size, newest = n_files + 1, size + st.st_size, max(newest, st.st_mtime_ns)
    return {"kind": "folder", "path": str(path), "n_files": n_files, "size": size, "mtime_ns": newest}


def _flat(seqs: Sequences) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    return (np.concatenate(seqs) if seqs else np.zeros(0, np.int64)), lengths


def _unflat(flat: np.ndarray, lengths: np.ndarray) -> Sequences:
    return np.split(flat.astype(np.int64), np.cumsum(lengths)[:-1]) if len(lengths) else []


def _cache_bytes(reviews: RankedReviews) -> bytes:
    # Plain arrays only (no pickle): words as one UTF-8 blob with their byte lengths, in rank order.
    words = sorted(reviews.ranks, key=reviews.ranks.__getitem__)
    encoded = [w.encode("utf-8") for w in words]
    arrays: dict[str, np.ndarray] = {}
    for split, seqs, y in (
        ("train", reviews.x_train, reviews.y_train),
        ("test", reviews.x_test, reviews.y_test),
    ):
        flat, lengths = _flat(seqs)
        arrays |= {f"{split}_flat": flat.astype(np.int32), f"{split}_lengths": lengths, f"{split}_y": y}
    arrays["words"] = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    arrays["word_lengths"] = np.array([len(b) for b in encoded], dtype=np.int64)
    arrays["version"] = np.array(_CACHE_VERSION)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]  # numpy stubs: **kwds clash with allow_pickle
    return buffer.getvalue()


def _read_cache(path: Path) -> RankedReviews | None:
    """The cached ranks, or None when absent or unreadable (then it is rebuilt and replaced)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            if int(f["version"]) != _CACHE_VERSION:
                return None
            blob = f["words"].tobytes()
            ends = np.cumsum(f["word_lengths"]).tolist()
            starts = [0, *ends[:-1]]
            words = [blob[a:b].decode("utf-8") for a, b in zip(starts, ends, strict=True)]
            return RankedReviews(
                x_train=_unflat(f["train_flat"], f["train_lengths"]),
                y_train=f["train_y"].astype(np.int64),
                x_test=_unflat(f["test_flat"], f["test_lengths"]),
                y_test=f["test_y"].astype(np.int64),
                ranks={w: i for i, w in enumerate(words, start=1)},
            )
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, UnicodeDecodeError):
        return None
