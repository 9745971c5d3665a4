"""How a hyperparameter value and a set of them are named in tables, legends and statements."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd


def format_level(value: object) -> str:
    """A factor value as text: integers plainly, floats in their shortest form (0.001, 1e-05), text as is."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return f"{float(value):g}" if float(value) == float(f"{float(value):g}") else repr(float(value))
    return str(value)


def describe(values: Mapping[str, object] | pd.Series, names: Sequence[str]) -> str:
    """``"units=16, batch_size=64"`` for the given factor names (empty text for no names)."""
    return ", ".join(f"{name}={format_level(values[name])}" for name in names)


def sorted_levels(values: Iterable[object]) -> list[object]:
    """The distinct values, ascending when they can be compared, else in order of first appearance."""
    distinct = list(dict.fromkeys(values))
    try:
        return sorted(distinct)  # type: ignore[type-var]
    except TypeError:
        return distinct
