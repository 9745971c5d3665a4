"""What the report needs to know about a study besides its runs, and what it writes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sweepstat.analysis import (
    DIRECTIONS,
    DIVERGED_TREATMENTS,
    STATISTICS,
    Direction,
    StatisticsSettings,
    did_you_mean,
)
from sweepstat.errors import Problem, SpecError


@dataclass(frozen=True)
class ReportMeta:
    """The study's description, as the report states it.

    ``factors``: the hyperparameter columns of ``runs`` in table order (with three, Table 1 is laid out
    like seed 000's: rows the first two, columns the third). ``objective``/``direction`` choose the best
    configuration. ``statistic``/``trim`` are passed to ``sweepstat.analysis.aggregate``. ``metrics`` are
    the (loss, accuracy) pair shown in the tables and plots. ``diverged``/``penalty`` say how diverged
    runs count (``"exclude"``, ``"worst"``, ``"penalty"`` with a value per metric); ``confidence``,
    ``n_resamples`` and ``bootstrap_seed`` set every bootstrap interval, ``alpha`` every test and
    ``power`` the seeds-needed estimate (`sweepstat.analysis.StatisticsSettings`). ``spec_text`` is the study file (YAML) shown in
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
    diverged: str = "exclude"
    penalty: Mapping[str, float] = field(default_factory=dict)
    confidence: float = 0.95
    n_resamples: int = 2000
    bootstrap_seed: int = 0
    alpha: float = 0.05
    power: float = 0.8
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
        if self.diverged not in DIVERGED_TREATMENTS:
            problems.append(
                Problem(
                    "aggregate.diverged",
                    "must be a known treatment",
                    self.diverged,
                    did_you_mean(self.diverged, DIVERGED_TREATMENTS),
                )
            )
        elif self.diverged == "penalty":
            missing = [m for m in dict.fromkeys([self.objective, *self.metrics]) if m not in self.penalty]
            if missing:
                problems.append(
                    Problem(
                        "aggregate.penalty",
                        "must give a value for every metric shown when diverged is 'penalty'",
                        dict(self.penalty),
                        f"add {', '.join(missing)}, e.g. {{test_loss: 10, test_accuracy: 0.5}}",
                    )
                )
        if not (isinstance(self.confidence, int | float) and 0.5 <= self.confidence < 1):
            problems.append(
                Problem("aggregate.confidence", "must be ≥ 0.5 and < 1", self.confidence, "e.g. 0.95")
            )
        if (
            isinstance(self.n_resamples, bool)
            or not isinstance(self.n_resamples, int)
            or self.n_resamples < 100
        ):
            problems.append(
                Problem("aggregate.n_resamples", "must be an integer ≥ 100", self.n_resamples, "e.g. 2000")
            )
        for name in ("alpha", "power"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0 < value < 1):
                problems.append(
                    Problem(f"aggregate.{name}", "must be > 0 and < 1", value, "e.g. 0.05 and 0.8")
                )
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

    def settings(self) -> StatisticsSettings:
        """The statistics settings this report uses (`sweepstat.analysis.analyse_study`)."""
        return StatisticsSettings(
            statistic=self.statistic,
            trim=self.trim,
            diverged=self.diverged,
            penalty=dict(self.penalty) or None,
            confidence=self.confidence,
            n_resamples=self.n_resamples,
            seed=self.bootstrap_seed,
            alpha=self.alpha,
            power=self.power,
        )


@dataclass(frozen=True)
class ReportFiles:
    """Where `write_report` put the report: the two pages and every figure file (PNG and SVG)."""

    out_dir: Path
    markdown: Path
    html: Path
    figures: tuple[Path, ...]
    verdict: tuple[str, ...] = ()  # the report's verdict sentences, for the command line to print
