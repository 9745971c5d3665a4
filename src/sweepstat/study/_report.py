"""`sweepstat report`: a study's tables from the store, handed to the report writer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sweepstat.spec._study import AggregateSpec, StudySpec
from sweepstat.spec._validate import validate
from sweepstat.study._store import StudyStore
from sweepstat.study._tables import spec_text, study_tables

if TYPE_CHECKING:
    from sweepstat.report import ReportFiles


def write_study_report(store: StudyStore, folder: Path) -> ReportFiles:
    """Write ``folder/report/`` (report.html, report.md, figures/) from every finished run."""
    from sweepstat.report import ReportMeta, write_report  # matplotlib and scipy: only when reporting

    runs, curves, factors = study_tables(store)
    raw = store.meta.get("spec", {})
    spec: StudySpec | None
    try:
        from sweepstat.spec._study import _first_point

        spec = validate(StudySpec, _first_point(raw))
    except Exception:  # a spec this version cannot read: report with the defaults
        spec = None
    progress = store.progress()
    finished = store.finished_trials()
    host = finished[-1].user_attrs.get("host", {}) if finished else {}
    meta = ReportMeta(
        study_name=store.name,
        factors=tuple(factors),
        objective=spec.objective.metric if spec else "test_loss",
        direction=spec.objective.resolved_direction if spec else "minimize",
        statistic=spec.aggregate.statistic if spec else "mean",
        trim=spec.aggregate.trim if spec else 0.1,
        **(_statistics(spec.aggregate) if spec else {}),
        spec_text=spec_text(store),
        versions={k: str(v) for k, v in host.items() if k in ("python", "torch", "sweepstat")},
        host=str(host.get("host", "")),
        # The finished runs are counted from the tables; only what the tables cannot show is added.
        counts={"runs not finished yet": unfinished} if (unfinished := progress.running + progress.waiting) else {},
        generated_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    return write_report(runs, curves, meta, folder / "report")


def _statistics(aggregate: AggregateSpec) -> dict[str, Any]:
    """The study file's statistics settings, as `ReportMeta` names them."""
    return {
        "diverged": aggregate.diverged,
        "penalty": dict(aggregate.penalty),
        "confidence": aggregate.confidence,
        "n_resamples": aggregate.n_resamples,
        "bootstrap_seed": aggregate.seed,
        "alpha": aggregate.alpha,
        "power": aggregate.power,
    }
