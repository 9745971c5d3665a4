"""`sweepstat data export`: one CSV row per example, with its split and provenance."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sweepstat.data._cache import frame_to_csv_bytes, write_atomic
from sweepstat.data._csv import load_csv
from sweepstat.data._gospels import load_gospels
from sweepstat.data._imdb import decoder, load_imdb
from sweepstat.data._subset import subset_frame, take_subset
from sweepstat.errors import DataError
from sweepstat.spec import CsvSpec, DataSpec, GospelsSpec, MnistSpec

EXPORT_COLUMNS = ("book", "chapter", "verse", "text", "label", "split")


def export_frame(spec: DataSpec, cache_dir: Path) -> pd.DataFrame:
    """The rows `data export` writes (text data sets only; mnist is refused), ``data.subset`` applied. ``label`` is the data set's own label: 0/1 for gospels and imdb,
    the label column's value for csv. IMDB texts are decoded from word indices (lower case, no
    punctuation; words outside the vocabulary show as ``<oov>``)."""
    if isinstance(spec, GospelsSpec | CsvSpec):
        table = load_gospels(spec, cache_dir) if isinstance(spec, GospelsSpec) else load_csv(spec)
        frame = subset_frame(table.frame, spec.subset).copy()
        if isinstance(spec, CsvSpec):
            frame["label"] = [table.class_names[k] for k in frame["label"]]
        return frame[list(EXPORT_COLUMNS)]
    if isinstance(spec, MnistSpec):
        raise DataError(
            "data.name",
            "must be a text data set for `data export`, which writes one text per row",
            spec.name,
            "MNIST's images are in its IDX files already; `sweepstat data show mnist` describes them",
        )
    data = take_subset(load_imdb(spec, cache_dir), spec.subset)
    decode = decoder(data, spec)
    rows = []
    for split in ("train", "val", "test"):
        part = getattr(data, split)
        if part is None:
            continue
        for x, y in zip(part.x, part.y, strict=True):
            rows.append({"text": decode(x), "label": int(y), "split": split})
    frame = pd.DataFrame(rows, columns=["text", "label", "split"])
    for col in ("book", "chapter", "verse"):
        frame[col] = ""
    return frame[list(EXPORT_COLUMNS)]


def export_rows(spec: DataSpec, cache_dir: Path, file: Path) -> int:
    """Write the export CSV atomically; return the number of rows."""
    frame = export_frame(spec, cache_dir)
    write_atomic(file, frame_to_csv_bytes(frame))
    return len(frame)
