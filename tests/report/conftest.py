"""One report of a synthetic 3-factor study, written once for the whole folder."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest

from sweepstat.report import ReportFiles, ReportMeta, write_report

from .synthetic import FACTORS, synthetic_study

SPEC_TEXT = "name: synthetic\nsearch:\n  grid:\n    units: [16, 32, 64]\n"


@dataclass(frozen=True)
class Sample:
    runs: pd.DataFrame
    curves: pd.DataFrame
    meta: ReportMeta
    files: ReportFiles
    markdown: str
    html: str


def sample_meta(**changes: object) -> ReportMeta:
    values: dict[str, object] = dict(
        study_name="synthetic-rnn",
        factors=tuple(FACTORS),
        statistic="paper_trimmed",
        trim=0.1,
        spec_text=SPEC_TEXT,
        versions={"python": "3.11", "sweepstat": "0.1.0"},
        host="testhost",
        counts={"runs planned": 96},
    )
    values.update(changes)
    return ReportMeta(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    runs, curves = synthetic_study()
    meta = sample_meta()
    files = write_report(runs, curves, meta, tmp_path_factory.mktemp("study") / "report-here")
    return Sample(runs, curves, meta, files, files.markdown.read_text("utf-8"), files.html.read_text("utf-8"))
