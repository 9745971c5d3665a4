"""Data specs: defaults, and every validation error in the house template, collected together."""

from __future__ import annotations

import pytest

from sweepstat.errors import SpecError
from sweepstat.spec import KERAS_FILTERS, DataSpec, GospelsSpec, MnistSpec, apply_overrides, validate


def test_defaults_are_the_papers_and_keras() -> None:
    spec = validate(DataSpec, {"name": "gospels"}, "data")
    assert isinstance(spec, GospelsSpec)
    assert spec.split.test_fraction == 0.25 and spec.split.val_fraction == 0
    assert (spec.text.padding, spec.text.truncating, spec.text.lower) == ("pre", "pre", True)
    assert spec.text.filters == KERAS_FILTERS and "'" not in KERAS_FILTERS
    assert spec.books == ("Matthew", "Mark", "Luke") and spec.min_words == 2


def test_specs_are_frozen() -> None:
    spec = GospelsSpec()
    with pytest.raises(Exception, match="frozen"):
        spec.min_words = 3  # type: ignore[misc]


def test_every_problem_is_reported_at_once_with_its_path() -> None:
    raw = {"name": "gospels", "min_words": 0, "split": {"test_fraction": 1.5}, "text": {"maxlen": -3}}
    with pytest.raises(SpecError) as info:
        validate(DataSpec, raw, "data")
    wheres = sorted(p.where for p in info.value.problems)
    assert wheres == ["data.min_words", "data.split.test_fraction", "data.text.maxlen"]
    assert "data.text.maxlen must be a positive length; got -3 (use e.g. 100, or 'p95'" in str(info.value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"name": "cifar"}, r"data.name must be one of gospels, imdb, csv, mnist; got 'cifar' \(see .sweepstat data list.\)"),
        ({}, r"data.name is required; got '<missing>' \(see"),
        ({"name": "csv"}, r"data.path is required; got '<missing>' \(add it to the spec\)"),
        ({"name": "csv", "path": "a.csv", "label_column": "text"}, r"^data must name three different columns"),
        ({"name": "gospels", "books": ["John"]}, r"data.books\[0\]"),
        ({"name": "gospels", "books": ["Mark", "Mark"]}, r"data.books must list each"),
        ({"name": "gospels", "text": {"num_words": 1}}, r"data.text.num_words must be ≥ 2"),
        ({"name": "gospels", "text": {"padding": "both"}}, r"data.text.padding"),
        ({"name": "gospels", "split": {"val_fraction": 1}}, r"data.split.val_fraction must be ≥ 0 and < 1"),
        ({"name": "imdb", "skip_top": -1}, r"data.skip_top must be ≥ 0; got -1"),
        ({"name": "imdb", "books": ["Mark"]}, r"data.books is not a known field"),
        ({"name": "mnist", "val_fraction": 1}, r"data.val_fraction must be ≥ 0 and < 1; got 1"),
        ({"name": "imdb", "subset": {"train": 0}}, r"^data.subset.train must be ≥ 1, or null for the whole split; got 0 \(e.g. 5000\)$"),
        ({"name": "csv", "path": "a.csv", "subset": {"tests": 5}}, r"data.subset.tests is not a known field; got 5 \(did you mean 'test'\?\)"),
        ({"name": "mnist", "subset": {"val": 2.5}}, r"data.subset.val"),
        ({"name": "gospels", "subset": 100}, r"data.subset"),
        ({"name": "mnist", "text": {"maxlen": 5}}, r"data.text is not a known field"),
    ],
)
def test_bad_values(raw: dict[str, object], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        validate(DataSpec, raw, "data")


def test_percentile_maxlen() -> None:
    spec = validate(DataSpec, {"name": "gospels", "text": {"maxlen": "p95"}}, "data")
    assert spec.text.maxlen_percentile == 95.0
    assert validate(DataSpec, {"name": "gospels", "text": {"maxlen": 40}}).text.maxlen_percentile is None


def test_overrides_parse_yaml_values_and_nest() -> None:
    raw = apply_overrides({"name": "gospels"}, ["data.split.seed=3", "text.maxlen=p90", "books=[Mark]"], "data")
    assert raw == {"name": "gospels", "split": {"seed": 3}, "text": {"maxlen": "p90"}, "books": ["Mark"]}
    with pytest.raises(SpecError, match=r"--set must look like dotted.key=value; got 'seed'"):
        apply_overrides({}, ["seed"])
    with pytest.raises(SpecError, match=r"--set name.x cannot set a field inside 'name'; got 'gospels'"):
        apply_overrides({"name": "gospels"}, ["name.x=1"])


def test_overrides_open_up_a_shorthand_name() -> None:
    raw = apply_overrides({"train": {"optimizer": "sgd"}}, ["train.optimizer.lr=0.1"])
    assert raw == {"train": {"optimizer": {"name": "sgd", "lr": 0.1}}}


def test_mnist_spec_defaults_and_path() -> None:
    spec = validate(DataSpec, {"name": "mnist", "path": "digits", "val_fraction": 0.1}, "data")
    assert isinstance(spec, MnistSpec) and str(spec.path) == "digits" and spec.val_fraction == 0.1
    assert validate(DataSpec, {"name": "mnist"}, "data") == MnistSpec(path=None, val_fraction=0.0)


@pytest.mark.parametrize("name", ["gospels", "imdb", "csv", "mnist"])
def test_every_data_set_takes_a_subset_and_keeps_all_by_default(name: str) -> None:
    raw: dict[str, object] = {"name": name} | ({"path": "a.csv"} if name == "csv" else {})
    spec = validate(DataSpec, raw, "data")
    assert spec.subset.is_whole and (spec.subset.train, spec.subset.val, spec.subset.test) == (None, None, None)
    sets = ["data.subset.train=5000", "data.subset.test=null"]
    cut = validate(DataSpec, apply_overrides(raw, sets, prefix="data"), "data")
    assert (cut.subset.train, cut.subset.val, cut.subset.test) == (5000, None, None) and not cut.subset.is_whole
    assert cut.model_dump(mode="json")["subset"] == {"train": 5000, "val": None, "test": None}
