"""The package's exception hierarchy and its one error template.

Every user mistake is reported as *what* (a dotted spec path or a file), the *constraint*, what was
*received*, and the *fix*. The CLI prints ``str(error)`` on one line and exits with status 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class SweepstatError(Exception):
    """Root of every error sweepstat raises on purpose."""

    exit_code = 1


class UserError(SweepstatError):
    """A mistake the user can fix (bad spec, missing file, bad data). The CLI exits with 2."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One violated constraint, in the house template."""

    where: str  # dotted spec path ("data.maxlen") or a file path
    constraint: str  # "must be > 0"
    got: object  # the received value; shown with repr()
    fix: str = ""  # "use a positive integer such as 100"

    def __str__(self) -> str:
        text = f"{self.where} {self.constraint}; got {self.got!r}"
        return f"{text} ({self.fix})" if self.fix else text


class SpecError(UserError):
    """One or more problems in a study or data spec, collected before raising."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class DataError(UserError):
    """A data file or data set that cannot be used as it is."""

    def __init__(self, where: str, constraint: str, got: object, fix: str) -> None:
        self.problem = Problem(where, constraint, got, fix)
        super().__init__(str(self.problem))
