from __future__ import annotations

import math

import numpy as np
import pytest

from sweepstat.data._split import stratified_split
from sweepstat.errors import DataError
from sweepstat.spec import SplitSpec


def _labels(counts: dict[str, int]) -> np.ndarray:
    rows = [name for name, n in counts.items() for _ in range(n)]
    return np.array(rows)[np.random.default_rng(99).permutation(len(rows))]


def test_same_seed_gives_the_same_split_and_another_seed_another() -> None:
    labels = _labels({"a": 60, "b": 40})
    first = stratified_split(labels, SplitSpec(seed=3, val_fraction=0.2))
    again = stratified_split(labels, SplitSpec(seed=3, val_fraction=0.2))
    other = stratified_split(labels, SplitSpec(seed=4, val_fraction=0.2))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    # Another seed moves rows, not counts.
    for split in ("train", "val", "test"):
        assert (first == split).sum() == (other == split).sum()


def test_values_are_the_three_split_names() -> None:
    out = stratified_split(_labels({"a": 10, "b": 10}), SplitSpec(val_fraction=0.25))
    assert out.dtype.kind == "U"
    assert set(out.tolist()) == {"train", "val", "test"}


@pytest.mark.parametrize("test_fraction", [0.1, 0.25, 0.3, 0.5])
@pytest.mark.parametrize("val_fraction", [0.0, 0.2])
def test_every_class_is_split_within_one_row_of_exact(test_fraction: float, val_fraction: float) -> None:
    counts = {"x": 37, "y": 101, "z": 13}
    labels = _labels(counts)
    out = stratified_split(labels, SplitSpec(test_fraction=test_fraction, val_fraction=val_fraction))
    for name, n in counts.items():
        mine = out[labels == name]
        n_test = int((mine == "test").sum())
        assert abs(n_test - test_fraction * n) <= 1
        n_rest = n - n_test
        assert abs(int((mine == "val").sum()) - val_fraction * n_rest) <= 1
        assert (mine == "train").sum() >= 1


def test_sizes_follow_the_fractions() -> None:
    # 3,752 rows as in the paper: 25 % test is 938 rows, 2,814 train.
    labels = _labels({"0": 1876, "1": 1876})
    out = stratified_split(labels, SplitSpec(test_fraction=0.25))
    assert (out == "test").sum() == 938
    assert (out == "train").sum() == 2814
    assert (out == "val").sum() == 0

    out = stratified_split(labels, SplitSpec(test_fraction=0.25, val_fraction=0.2))
    assert (out == "test").sum() == 938
    assert (out == "val").sum() == math.floor(0.2 * 2814 + 0.5)  # 563
    assert (out == "train").sum() == 2814 - 563


def test_rounding_gives_the_extra_row_to_the_largest_remainder() -> None:
    # 0.25 × (5, 7) = (1.25, 1.75): floors (1, 1), total round(3.0) = 3, so the 7-row class gets the extra.
    labels = np.array(["a"] * 5 + ["b"] * 7)
    out = stratified_split(labels, SplitSpec(test_fraction=0.25))
    assert (out[labels == "a"] == "test").sum() == 1
    assert (out[labels == "b"] == "test").sum() == 2


def test_integer_labels_work_like_strings() -> None:
    labels = np.array([0, 1] * 20)
    out = stratified_split(labels, SplitSpec())
    assert (out[labels == 0] == "test").sum() == 5
    assert (out[labels == 1] == "test").sum() == 5


def test_a_two_row_class_gets_one_train_and_one_test_row() -> None:
    # Its exact test share is 0.2 rows; it is still kept on both sides.
    labels = np.array(["big"] * 40 + ["tiny"] * 2)
    out = stratified_split(labels, SplitSpec(test_fraction=0.1))
    assert sorted(out[labels == "tiny"].tolist()) == ["test", "train"]
    # At test_fraction 0.75 the ceil would leave no training row; the class still keeps one.
    out = stratified_split(labels, SplitSpec(test_fraction=0.75))
    assert sorted(out[labels == "tiny"].tolist()) == ["test", "train"]


def test_a_one_row_class_is_refused_with_its_name_and_count() -> None:
    labels = np.array(["a"] * 10 + ["b"] * 10 + ["lonely"])
    with pytest.raises(
        DataError,
        match=r"^notes\.csv column 'label' must have at least 2 rows in every class.*"
        r"got \"class 'lonely' has 1 row\" \(add rows",
    ):
        stratified_split(labels, SplitSpec(), where="notes.csv column 'label'")


def test_a_validation_fraction_that_leaves_no_row_is_refused() -> None:
    labels = np.array(["a"] * 3 + ["b"] * 3)
    with pytest.raises(
        DataError, match=r"^data\.split\.val_fraction must leave at least one validation row.*got 0\.01"
    ):
        stratified_split(labels, SplitSpec(test_fraction=0.34, val_fraction=0.01))
