"""A study's runs as tables: one row per run, and one row per run and evaluation interval.

These two frames are what the analysis, the report and `sweepstat export` read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sweepstat.data._cache import write_atomic
from sweepstat.study._store import StudyStore

METRICS = ("train_loss", "train_accuracy", "eval_loss", "eval_accuracy", "test_loss", "test_accuracy")
CURVE_COLUMNS = (*METRICS, "lr", "wall_seconds", "interval_seconds", "train_seconds", "ms_per_100_iterations")


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else float("nan")


def _factor_value(raw: Any) -> Any:
    """Parameters stored as JSON text (lists, mappings) are shown as that text."""
    return raw


def study_tables(store: StudyStore) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """(runs, curves, factor names) of every finished run, by its latest trial."""
    factors = list(store.meta.get("factors", []))
    run_rows: list[dict[str, Any]] = []
    curve_rows: list[dict[str, Any]] = []
    for trial in store.finished_trials():
        result = trial.user_attrs.get("result", {})
        curves = trial.user_attrs.get("curves", [])
        base: dict[str, Any] = {"run_id": trial.number, "config_id": trial.user_attrs["config_id"]}
        for name in factors:
            base[name] = _factor_value(trial.params.get(name))
        base["seed"] = int(trial.user_attrs["seed"])
        final = result.get("final") or {}
        row = {**base, "state": trial.user_attrs["state"]}
        for metric in METRICS:
            row[metric] = _num(final.get(metric))
        best = result.get("best") or {}
        epochs = [r.get("epoch") for r in curves]
        row.update(
            best_eval_loss=_num(best.get("eval_loss")),
            best_epoch=_num(result.get("best_epoch")),
            epochs_run=float(max(epochs)) if epochs else float("nan"),
            n_params=_num(result.get("n_params")),
            peak_rss_mb=_num(result.get("peak_rss_bytes")) / 2**20,
            total_seconds=_num(result.get("total_seconds")),
            seconds_per_epoch=(
                float(np.mean([_num(r.get("interval_seconds")) for r in curves])) if curves else float("nan")
            ),
            ms_per_100_iterations=(
                float(np.nanmean([_num(r.get("ms_per_100_iterations")) for r in curves])) if curves else float("nan")
            ),
            diverged_at=_num(result.get("diverged_at")),
            error=result.get("error") or "",
            n_replicas=_num(result.get("n_replicas")),
        )
        run_rows.append(row)
        for record in curves:
            curve = {**base, "epoch": int(record["epoch"]), "iteration": int(record["iteration"])}
            for col in CURVE_COLUMNS:
                curve[col] = _num(record.get(col))
            curve["seconds"] = curve["interval_seconds"]
            curve_rows.append(curve)
    runs = pd.DataFrame(run_rows)
    curves_frame = pd.DataFrame(curve_rows)
    if runs.empty:
        runs = pd.DataFrame(columns=["run_id", "config_id", *factors, "seed", "state", *METRICS])
    if curves_frame.empty:
        curves_frame = pd.DataFrame(columns=["run_id", "config_id", *factors, "seed", "epoch", "iteration", *CURVE_COLUMNS])
    return runs, curves_frame, factors


def export_tables(store: StudyStore, folder: Path, fmt: str) -> list[Path]:
    """Write runs.<fmt> and curves.<fmt> into ``folder`` (atomically); return their paths."""
    runs, curves, _ = study_tables(store)
    paths = []
    for name, frame in (("runs", runs), ("curves", curves)):
        path = folder / f"{name}.{fmt}"
        if fmt == "csv":
            data = frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
        else:
            import io

            buf = io.BytesIO()
            frame.to_parquet(buf, index=False)
            data = buf.getvalue()
        write_atomic(path, data)
        paths.append(path)
    return paths


def spec_text(store: StudyStore) -> str:
    import yaml

    return yaml.safe_dump(store.meta.get("spec", {}), sort_keys=False, allow_unicode=True)


def meta_json(store: StudyStore) -> str:
    return json.dumps(store.meta, default=str)
