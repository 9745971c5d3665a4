"""Validated, frozen specs: the one way configuration enters sweepstat."""

from __future__ import annotations

from sweepstat.spec._data import (
    DATA_SET_NAMES,
    GOSPEL_BOOKS,
    KERAS_FILTERS,
    CsvSpec,
    DataSpec,
    GospelsSpec,
    ImdbSpec,
    MnistSpec,
    SplitSpec,
    SubsetSpec,
    TextSpec,
)
from sweepstat.spec._model import (
    HEADS,
    MERGE_MODES,
    MODEL_KINDS,
    OUTPUTS,
    RECURRENT_TYPES,
    LeNetSpec,
    MlpSpec,
    ModelSpec,
    RecurrentLayerSpec,
    RnnModelSpec,
)
from sweepstat.spec._overrides import apply_overrides
from sweepstat.spec._study import (
    AggregateSpec,
    Configuration,
    ObjectiveSpec,
    SearchSpec,
    StorageSpec,
    StudySpec,
    check_device,
    expand,
    load_spec,
    parse_spec,
    spec_hash,
)
from sweepstat.spec._train import TrainSpec
from sweepstat.spec._validate import problems_from, validate

__all__ = [
    "AggregateSpec",
    "Configuration",
    "ObjectiveSpec",
    "SearchSpec",
    "StorageSpec",
    "StudySpec",
    "TrainSpec",
    "check_device",
    "expand",
    "load_spec",
    "parse_spec",
    "spec_hash",
    "DATA_SET_NAMES",
    "GOSPEL_BOOKS",
    "HEADS",
    "MERGE_MODES",
    "MODEL_KINDS",
    "OUTPUTS",
    "RECURRENT_TYPES",
    "LeNetSpec",
    "MlpSpec",
    "ModelSpec",
    "RecurrentLayerSpec",
    "RnnModelSpec",
    "KERAS_FILTERS",
    "apply_overrides",
    "CsvSpec",
    "DataSpec",
    "GospelsSpec",
    "ImdbSpec",
    "MnistSpec",
    "SplitSpec",
    "SubsetSpec",
    "TextSpec",
    "problems_from",
    "validate",
]
