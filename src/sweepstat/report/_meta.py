"""What the report needs to know about a study besides its runs, and what it writes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sweepstat.analysis import DIRECTIONS, STATISTICS, Direction, did_you_mean
from sweepstat.errors import Problem, SpecError


@dataclass(frozen=True)
class ReportMeta:
    """The study's description, as the report states it.

    ``factors``: the hyperparameter columns of ``runs`` in table order (with three, Table 1 is laid out
    like seed 000's: rows the first two, columns the third). ``objective``/``direction`` choose the best
    configuration. ``statistic``/``trim`` are passed to ``sweepstat.analysis.aggregate``. ``metrics`` are
    the (loss, accuracy) pair shown in the tables and plots. ``spec_text`` is the study file (YAML) shown in
    an appendix. ``versions`` (e.g. ``{"python": "3.11.2", "torch": "2.13.0"}``), ``host`` and ``counts``
    (e.g. ``{"runs planned": 1500}``) are shown as given. ``generated_at`` is printed if set (left to the
    caller so that the same study gives the same report).
    """

    study_name: str
    factors: tuple[str, ...]
    objective: str = "test_loss"
    direction: Direction = "minimize"
    statistic: str = "paper_trimmed"
    trim: float = 0.1
    metrics: tuple[str, str] = ("test_loss", "test_accuracy")
    spec_text: str = ""
    versions: Mapping[str, str] = field(default_factory=dict)
    host: str = ""
    counts: Mapping[str, int] = field(default_factory=dict)
    generated_at: str = ""

    def __post_init__(self) -> None:
        problems = []
        if isinstance(self.factors, str):
            problems.append(
                Problem("report.factors", "must be a list of column names", self.factors, "wrap it: [name]")
            )
        elif len(set(self.factors)) != len(self.factors):
            problems.append(
                Problem("report.factors", "must not repeat a name", self.factors, "list each once")
            )
        if self.direction not in DIRECTIONS:
            problems.append(
                Problem("objective.direction", "must be minimize or maximize", self.direction, "pick one")
            )
        if self.statistic not in STATISTICS:
            problems.append(
                Problem(
                    "aggregate.statistic",
                    "must be a known statistic",
                    self.statistic,
                    did_you_mean(self.statistic, STATISTICS),
                )
            )
        if not (isinstance(self.trim, int | float) and 0 <= self.trim < 0.5):
            problems.append(Problem("aggregate.trim", "must be ≥ 0 and < 0.5", self.trim, "use e.g. 0.1"))
        if len(self.metrics) != 2:
            problems.append(
                Problem(
                    "report.metrics",
                    "must be a (loss, accuracy) pair",
                    self.metrics,
                    "e.g. (test_loss, test_accuracy)",
                )
            )
        if problems:
            raise SpecError(problems)


@dataclass(frozen=True)
class ReportFiles:
    """Where `write_report` put the report: the two pages and every figure file (PNG and SVG)."""

    out_dir: Path
    markdown: Path
    html: Path
    figures: tuple[Path, ...]
