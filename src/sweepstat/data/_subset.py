"""``data.subset``: keep the first N examples of a split, after the data set's own order and encoding.

Cutting happens last, on the arrays a model trains on, so everything fitted on the data is fitted on the
whole of it: the tokenizer's vocabulary and ``num_words`` ranking, a percentile ``maxlen``, the padded
length, IMDB's ``vocab_size``, and the validation split (``val_fraction`` holds out its share of the whole
training part before ``subset.train`` cuts what is left). The order is the data set's: IMDB's after
``load_data``'s seeded shuffle (so the first N are a random sample, the same on every machine), gospels'
in book order within each split, csv's in file order, mnist's in file order.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from sweepstat.data._dataset import SPLITS, PreparedData, Split
from sweepstat.errors import Problem, SpecError
from sweepstat.spec import SubsetSpec

_SPLIT_NOUN = {"train": "training", "val": "validation", "test": "test"}


def check_subset(subset: SubsetSpec, sizes: dict[str, int | None]) -> None:
    """Raise SpecError (every problem at once) if ``subset`` asks for more than a split holds.

    ``sizes``: split → its number of examples, None for a split the data does not have.
    """
    problems = []
    for split in SPLITS:
        asked = getattr(subset, split)
        if asked is None:
            continue
        size = sizes.get(split)
        if size is None:
            problems.append(
                Problem(
                    f"data.subset.{split}",
                    f"must be null: the data has no {_SPLIT_NOUN[split]} split",
                    asked,
                    "give the data a validation split (data.val_fraction; data.split.val_fraction for gospels "
                    "and csv), or remove data.subset.val",
                )
            )
        elif asked > size:
            problems.append(
                Problem(
                    f"data.subset.{split}",
                    f"must be at most the {size:,} examples of the {_SPLIT_NOUN[split]} split",
                    asked,
                    f"use {size} or less, or null for the whole split",
                )
            )
    if problems:
        raise SpecError(problems)


def take_subset(data: PreparedData, subset: SubsetSpec) -> PreparedData:
    """``data`` with each split cut to its first ``subset.<split>`` examples (copies, so that the arrays of
    the whole data set can be freed); ``data`` itself when nothing is cut."""
    if subset.is_whole:
        return data
    check_subset(subset, {s: (len(p) if (p := getattr(data, s)) is not None else None) for s in SPLITS})

    def cut(part: Split, n: int | None) -> Split:
        return part if n is None else Split(x=part.x[:n].copy(), y=part.y[:n].copy())

    val = cut(data.val, subset.val) if data.val is not None else None
    return dataclasses.replace(data, train=cut(data.train, subset.train), test=cut(data.test, subset.test), val=val)


def subset_frame(frame: pd.DataFrame, subset: SubsetSpec) -> pd.DataFrame:
    """The rows of a TextTable frame that ``take_subset`` keeps: the first N of each split, in frame order."""
    if subset.is_whole:
        return frame
    counts = frame["split"].value_counts()
    sizes = {s: int(counts.get(s, 0)) for s in SPLITS}
    check_subset(subset, sizes | ({"val": None} if sizes["val"] == 0 else {}))  # as encode_table: no rows, no split
    rank = frame.groupby("split", sort=False).cumcount()  # position of each row within its split
    limit = frame["split"].map({s: getattr(subset, s) for s in SPLITS})
    return frame[limit.isna() | (rank < limit)]
