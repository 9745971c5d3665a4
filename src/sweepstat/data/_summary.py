"""Figures that describe a data set (compute, then render: the CLI only prints these)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sweepstat.data._dataset import SPLITS, PreparedData, TextTable
from sweepstat.data._gospels import gospels_cache_path, gospels_frame, label_agreement
from sweepstat.data._imdb import decoder
from sweepstat.data._mnist import cache_path, find_mnist_files
from sweepstat.data._subset import subset_frame
from sweepstat.data._text import PERCENTILE_METHOD
from sweepstat.spec import DataSpec, GospelsSpec, ImdbSpec, MnistSpec


@dataclass(frozen=True)
class DataSummary:
    """What `sweepstat data show` prints about a data set, as of the given spec.

    Text data sets fill the length, vocabulary and example fields; image data sets (x of shape
    (N, C, H, W)) leave them empty and fill ``image_shape`` (C, H, W) and ``pixel_mean`` instead.
    """

    name: str
    source: str
    class_names: tuple[str, ...]
    counts: dict[str, list[int]]  # split → examples per class
    length_percentiles: dict[str, float]  # of training texts, in tokens, cut at maxlen
    vocab_size: int  # the Embedding's input_dim
    n_train_words: int  # distinct words seen in training texts
    maxlen: int
    examples: dict[str, list[str]]  # class name → a few training texts
    extra: dict[str, str] = field(default_factory=dict)  # data-set-specific lines
    image_shape: tuple[int, ...] | None = None  # (C, H, W) of image data, None for text
    pixel_mean: float | None = None  # mean raw pixel value of the training images


def _percentiles(lengths: np.ndarray) -> dict[str, float]:
    if lengths.size == 0:
        return {}
    qs = {"min": 0.0, "p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "max": 100.0}
    # The method `maxlen: pNN` uses, so that p95 here is what `maxlen: p95` gives.
    return {k: float(np.percentile(lengths, q, method=PERCENTILE_METHOD)) for k, q in qs.items()}


def summarize(
    spec: DataSpec, cache_dir: Path, table: TextTable | None, data: PreparedData, n_examples: int = 3
) -> DataSummary:
    """Describe ``data`` (and its source ``table`` when it has texts)."""
    n_classes = len(data.class_names)
    counts = {}
    for name in SPLITS:
        part = getattr(data, name)
        if part is not None:
            counts[name] = np.bincount(part.y, minlength=n_classes).astype(int).tolist()
    if data.train.x.ndim == 4:
        return _image_summary(spec, cache_dir, data, counts)
    # Padding is index 0 and no word gets 0, so the non-zero entries are the (possibly cut) tokens.
    lengths = (data.train.x != 0).sum(axis=1)
    examples: dict[str, list[str]] = {}
    rng = np.random.default_rng(0)
    if table is not None:
        frame = subset_frame(table.frame, spec.subset)
        train = frame[frame["split"] == "train"]
        for k, cname in enumerate(data.class_names):
            texts = train.loc[train["label"] == k, "text"].to_numpy()
            pick = rng.choice(len(texts), size=min(n_examples, len(texts)), replace=False)
            examples[cname] = [str(texts[i]) for i in sorted(pick)]
    elif isinstance(spec, ImdbSpec):
        decode = decoder(data, spec)
        for k, cname in enumerate(data.class_names):
            rows = np.flatnonzero(data.train.y == k)
            pick = rng.choice(rows, size=min(n_examples, len(rows)), replace=False)
            examples[cname] = [decode(data.train.x[r])[:300] for r in sorted(pick)]
    extra = _subset_line(spec)
    if isinstance(spec, GospelsSpec):
        frame = gospels_frame(spec, cache_dir)
        extra["cache file"] = str(gospels_cache_path(spec, cache_dir))
        extra["label agreement with red-letter markup"] = f"{label_agreement(frame):.2%} of sentences"
        extra["sentences"] = f"{len(frame):,} ({', '.join(f'{b} {n:,}' for b, n in frame.groupby('book', sort=False).size().items())})"
    return DataSummary(
        name=data.name,
        source=table.source if table is not None else str(getattr(spec, "path", "") or "cache folder"),
        class_names=data.class_names,
        counts=counts,
        length_percentiles=_percentiles(lengths),
        vocab_size=data.vocab_size,
        n_train_words=len(data.word_index),
        maxlen=data.maxlen,
        examples=examples,
        extra=extra,
    )


def _image_summary(spec: DataSpec, cache_dir: Path, data: PreparedData, counts: dict[str, list[int]]) -> DataSummary:
    """Sizes, class balance and image shape: images have no tokens, vocabulary or texts to show."""
    extra = _subset_line(spec)
    source = str(getattr(spec, "path", "") or "cache folder")
    if isinstance(spec, MnistSpec):
        files = find_mnist_files(spec.path, cache_dir / "mnist")
        source = str(next(iter(files.values())).parent)
        extra["files"] = ", ".join(p.name for p in files.values())
        extra["cache file"] = str(cache_path(files, cache_dir / "mnist"))
    extra["first training labels"] = " ".join(data.class_names[int(k)] for k in data.train.y[:10])
    return DataSummary(
        name=data.name,
        source=source,
        class_names=data.class_names,
        counts=counts,
        length_percentiles={},
        vocab_size=data.vocab_size,
        n_train_words=0,
        maxlen=data.maxlen,
        examples={},
        extra=extra,
        image_shape=tuple(int(d) for d in data.train.x.shape[1:]),
        pixel_mean=float(data.train.x.mean()) if data.train.x.size else None,
    )


def _subset_line(spec: DataSpec) -> dict[str, str]:
    """``{"subset": "first 5,000 of train"}`` when ``data.subset`` cuts a split, else nothing."""
    cuts = [f"first {n:,} of {split}" for split in SPLITS if (n := getattr(spec.subset, split)) is not None]
    if not cuts:
        return {}
    fitted = "" if isinstance(spec, MnistSpec) else " (vocabulary and padded length fitted on the whole data set)"
    return {"subset": ", ".join(cuts) + fitted}
