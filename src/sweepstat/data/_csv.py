"""Any CSV/TSV file of texts and labels, as a TextTable.

Choices, each visible to the user:

- The file must be UTF-8 (a byte-order mark is allowed). Nothing is guessed: a file in another encoding
  would give wrong words, not an error, if it were decoded leniently.
- Every cell is read as a string, and no value is taken for "missing" except an empty cell: a review that
  reads "NA" or "null" is text, and label "None" is a class name.
- Rows whose text is empty (or only whitespace) are dropped: they would become all-padding sequences that
  the model can only guess on. They are counted in a warning and in ``TextTable.source``.
- Labels are stripped of surrounding spaces. If every label is an integer, classes are sorted by value and
  named ``str(int)`` (labels 0..K-1 keep their number as class index; "01" and "1" are one class);
  otherwise by string.
- With ``split_column`` the file decides the split (values train / val / test, stripped); otherwise
  ``stratified_split(spec.split)`` does.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from sweepstat.data._dataset import SPLITS, TEXT_COLUMNS, TextTable
from sweepstat.data._split import stratified_split
from sweepstat.errors import DataError
from sweepstat.spec import CsvSpec

_TAB_SUFFIXES = (".tsv", ".tab")
_INT = re.compile(r"[+-]?\d+")
_N_SHOWN = 5  # rows or values quoted in an error message


def load_csv(spec: CsvSpec) -> TextTable:
    """Read ``spec.path`` into a TextTable (columns TEXT_COLUMNS; provenance columns are <NA>).

    Raises one DataError per bad file, naming the file, the constraint, what was found and the fix.
    """
    path = spec.path
    raw = _read_frame(path, _separator(spec))
    _check_columns(path, raw, spec)

    text = raw[spec.text_column]
    empty = text.str.strip() == ""
    n_empty = int(empty.sum())
    source = str(path)
    if n_empty:
        rows = _row_numbers(empty)
        source += f" ({n_empty} rows with empty text dropped: data rows {rows})"
        warnings.warn(f"{path}: dropped {n_empty} rows with empty text (data rows {rows})", stacklevel=2)
    kept = raw.loc[~empty].reset_index(drop=True)
    if kept.empty:
        raise DataError(
            str(path),
            f"must have at least one row with text in column {spec.text_column!r}",
            f"{len(raw)} rows, all with empty text",
            "fill in the text column, or point data.text_column at the column that holds the text",
        )

    labels = kept[spec.label_column].str.strip()
    missing = labels == ""
    if missing.any():
        raise DataError(
            str(path),
            f"must have a label in column {spec.label_column!r} on every row with text",
            f"{int(missing.sum())} rows without a label (data rows {_row_numbers(missing, kept_from=empty)})",
            "fill in the labels, or delete those rows",
        )
    class_names, label_index = _encode_labels(labels.to_numpy(dtype=str))
    if len(class_names) < 2:
        raise DataError(
            str(path),
            f"must have at least 2 classes in column {spec.label_column!r}",
            f"only class {class_names[0]!r} ({len(labels)} rows)",
            "check data.label_column, or add rows of the other classes",
        )

    if spec.split_column is not None:
        split = _read_split(path, kept[spec.split_column], spec.split_column)
    else:
        split = stratified_split(
            labels.to_numpy(dtype=str), spec.split, where=f"{path} column {spec.label_column!r}"
        )

    n = len(kept)
    frame = pd.DataFrame(
        {
            "text": kept[spec.text_column].to_numpy(dtype=object),
            "label": label_index,
            "split": split,
            "book": pd.array([pd.NA] * n, dtype="string"),
            "chapter": pd.array([pd.NA] * n, dtype="Int64"),
            "verse": pd.array([pd.NA] * n, dtype="Int64"),
            "sentence": pd.array([pd.NA] * n, dtype="Int64"),
        },
        columns=list(TEXT_COLUMNS),
    )
    return TextTable(name="csv", frame=frame, class_names=class_names, source=source)


def _separator(spec: CsvSpec) -> str:
    if spec.sep is not None:
        return spec.sep
    return "\t" if spec.path.suffix.lower() in _TAB_SUFFIXES else ","


def _read_frame(path: Path, sep: str) -> pd.DataFrame:
    """The file as a frame of strings, or one DataError that says why it cannot be."""
    if not path.exists():
        raise DataError(
            str(path),
            "must be an existing CSV/TSV file",
            "no such file",
            f"sweepstat looked at {path.absolute()}; check data.path (a relative path is taken from the "
            "directory sweepstat runs in)",
        )
    if path.is_dir():
        raise DataError(
            str(path),
            "must be a CSV/TSV file",
            "a directory",
            "point data.path at the file inside it",
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(
            str(path),
            "must be UTF-8 text",
            f"byte {data[err.start]:#04x} at byte offset {err.start}, which is not UTF-8",
            "re-save the file as UTF-8",
        ) from None
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            engine="python" if len(sep) > 1 else "c",
        )
    except pd.errors.EmptyDataError:
        raise DataError(
            str(path),
            "must have a header row and at least one data row",
            "an empty file",
            "write a header (e.g. text,label) and one row per example",
        ) from None
    except pd.errors.ParserError as err:
        raise DataError(
            str(path),
            f"must be a well-formed table with separator {sep!r}",
            str(err).strip(),
            "check the quoting and the number of fields on that line, or set data.sep",
        ) from None
    if frame.empty:
        raise DataError(
            str(path),
            "must have at least one data row below the header",
            f"a header only: {list(frame.columns)}",
            "add one row per example",
        )
    return frame


def _check_columns(path: Path, frame: pd.DataFrame, spec: CsvSpec) -> None:
    wanted = {"data.text_column": spec.text_column, "data.label_column": spec.label_column}
    if spec.split_column is not None:
        wanted["data.split_column"] = spec.split_column
    absent = [f"{name!r} ({field})" for field, name in wanted.items() if name not in frame.columns]
    if absent:
        raise DataError(
            str(path),
            f"must have the column{'s' if len(absent) > 1 else ''} {', '.join(absent)}",
            f"columns {list(frame.columns)}",
            "name one of the columns found in the spec, or fix the header row"
            + (
                f" (is the separator {_separator(spec)!r} right? set data.sep)" if frame.shape[1] == 1 else ""
            ),
        )


def _encode_labels(labels: np.ndarray) -> tuple[tuple[str, ...], np.ndarray]:
    """Class names (sorted; numerically if every label is an integer) and each row's class index."""
    if all(_INT.fullmatch(v) for v in labels):
        values = np.array([int(v) for v in labels], dtype=np.int64)
        classes, index = np.unique(values, return_inverse=True)
        return tuple(str(c) for c in classes.tolist()), index.astype(np.int64)
    names, index = np.unique(labels, return_inverse=True)
    return tuple(str(c) for c in names.tolist()), index.astype(np.int64)


def _read_split(path: Path, column: pd.Series, name: str) -> np.ndarray:
    values = column.str.strip()
    bad = ~values.isin(SPLITS)
    if bad.any():
        counts = values[bad].value_counts()
        shown = ", ".join(f"{v!r} ×{n}" for v, n in list(counts.items())[:_N_SHOWN])
        more = f" and {len(counts) - _N_SHOWN} more" if len(counts) > _N_SHOWN else ""
        raise DataError(
            str(path),
            f"must have only 'train', 'val' or 'test' in split column {name!r}",
            f"{int(bad.sum())} other values: {shown}{more}",
            "rename those values, or drop data.split_column to split by seed",
        )
    for needed in ("train", "test"):
        if not (values == needed).any():
            raise DataError(
                str(path),
                f"must have at least one {needed!r} row in split column {name!r}",
                {str(k): int(v) for k, v in values.value_counts().items()},
                f"mark some rows {needed!r}, or drop data.split_column to split by seed",
            )
    return values.to_numpy(dtype=str)


def _row_numbers(mask: pd.Series, kept_from: pd.Series | None = None) -> str:
    """1-based data-row numbers (header not counted) of the True rows, the first few of them.

    ``kept_from`` is the drop mask applied before ``mask``'s frame was built, to map back to file rows.
    """
    rows = np.flatnonzero(mask.to_numpy())
    if kept_from is not None:
        rows = np.flatnonzero(~kept_from.to_numpy())[rows]
    shown = ", ".join(str(r + 1) for r in rows[:_N_SHOWN])
    return shown + (f" and {len(rows) - _N_SHOWN} more" if len(rows) > _N_SHOWN else "")
