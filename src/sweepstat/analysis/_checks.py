"""Input checks shared by the analysis functions, in the house error template."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Literal

import pandas as pd

from sweepstat.errors import Problem, UserError

Direction = Literal["minimize", "maximize"]
DIRECTIONS: tuple[Direction, ...] = ("minimize", "maximize")

# Run states, as the study store writes them. Only COMPLETE runs enter an aggregate.
COMPLETE, DIVERGED, FAILED = "COMPLETE", "DIVERGED", "FAILED"

# The metrics a run and a curve row carry (final values for a run, per evaluation for a curve).
CURVE_METRICS: tuple[str, ...] = (
    "train_loss",
    "train_accuracy",
    "eval_loss",
    "eval_accuracy",
    "test_loss",
    "test_accuracy",
)


class AnalysisError(UserError, ValueError):
    """A table or an argument the analysis cannot use as given (also a ValueError, for library callers)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


def did_you_mean(got: object, choices: Iterable[str]) -> str:
    """A fix hint naming the closest valid choice, or listing them all."""
    options = list(choices)
    prefixed = [o for o in options if str(got) and o.startswith(str(got))]
    close = prefixed[:1] or difflib.get_close_matches(str(got), options, n=1)
    listed = ", ".join(repr(o) for o in options)
    return f"did you mean {close[0]!r}? choices: {listed}" if close else f"choices: {listed}"


def check_choice(where: str, got: object, choices: Sequence[str]) -> None:
    if got not in choices:
        raise AnalysisError(
            [Problem(where, "must be one of the known names", got, did_you_mean(got, choices))]
        )


def check_direction(where: str, got: object) -> Direction:
    check_choice(where, got, DIRECTIONS)
    return "minimize" if got == "minimize" else "maximize"


def check_columns(where: str, frame: pd.DataFrame, required: Iterable[str]) -> None:
    """Raise one error naming every missing column at once."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise AnalysisError(
            [
                Problem(
                    where,
                    "must have the columns " + ", ".join(missing),
                    sorted(map(str, frame.columns)),
                    "build it with the study store's export, or add the columns",
                )
            ]
        )


def table_factors(table: pd.DataFrame, factors: Sequence[str] | None, where: str) -> tuple[str, ...]:
    """The factor names: given, or the ones `config_table` recorded in ``table.attrs["factors"]``."""
    if factors is None:
        recorded = table.attrs.get("factors")
        if recorded is None:
            raise AnalysisError(
                [
                    Problem(
                        f"{where}: factors",
                        "must be given when the table does not come from config_table",
                        None,
                        "pass factors=[...] with the hyperparameter column names",
                    )
                ]
            )
        factors = recorded
    names = tuple(factors)
    check_columns(f"{where}: table", table, names)
    return names
