"""A synthetic study in the study store's table format: runs and curves of a units × batch × embedding grid."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

FACTORS = ["units", "batch_size", "embedding_dim"]
METRICS = ["train_loss", "train_accuracy", "eval_loss", "eval_accuracy", "test_loss", "test_accuracy"]


def synthetic_study(
    levels: dict[str, list[object]] | None = None,
    n_seeds: int = 4,
    n_epochs: int = 6,
    diverged: tuple[tuple[str, int], ...] = (("c000", 1),),
    failed: tuple[tuple[str, int], ...] = (("c001", 0),),
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(runs, curves) of a grid; ``diverged``/``failed`` name (config_id, seed) pairs given those states.

    Loss falls and accuracy rises with embedding size up to its middle level (as in seed 000), with noise
    per seed. The evaluation split is the test set (eval_* equals test_*).
    """
    levels = levels or {"units": [16, 32, 64], "batch_size": [32, 64], "embedding_dim": [200, 300, 400, 500]}
    names = list(levels)
    rng = np.random.default_rng(seed)
    runs, curves = [], []
    run_id = 0
    for c, combo in enumerate(itertools.product(*levels.values())):
        config_id = f"c{c:03d}"
        values = dict(zip(names, combo, strict=True))
        emb = values.get("embedding_dim", 300)
        base = 0.55 + 0.0000015 * (float(emb) - 400) ** 2 + 0.0008 * float(values.get("units", 16))  # type: ignore[arg-type]
        for s in range(n_seeds):
            state = "COMPLETE"
            if (config_id, s) in diverged:
                state = "DIVERGED"
            elif (config_id, s) in failed:
                state = "FAILED"
            noise = rng.normal(0, 0.03)
            epochs = n_epochs if state != "FAILED" else 0
            div_at = 2 if state == "DIVERGED" else None
            for e in range(1, epochs + 1):
                train_loss = base * 1.6 / e + 0.05 + noise / 2
                test_loss = base * (1 + 0.6 / e) + noise
                if div_at is not None and e >= div_at:
                    train_loss = test_loss = float("nan")
                acc = (lambda loss: float("nan") if np.isnan(loss) else 1.05 - 0.45 * loss)(test_loss)
                tr_acc = float("nan") if np.isnan(train_loss) else min(0.999, 1.1 - 0.5 * train_loss)
                curves.append(
                    {
                        "run_id": run_id,
                        "config_id": config_id,
                        **values,
                        "seed": s,
                        "epoch": e,
                        "iteration": e * 100,
                        "train_loss": train_loss,
                        "train_accuracy": tr_acc,
                        "eval_loss": test_loss,
                        "eval_accuracy": acc,
                        "test_loss": test_loss,
                        "test_accuracy": acc,
                        "lr": 0.001,
                        "seconds": 0.5 * e,
                    }
                )
            last = [r for r in curves if r["run_id"] == run_id and np.isfinite(r["test_loss"])]
            final = last[-1] if (last and state != "FAILED") else None
            metric = {m: (final[m] if final else float("nan")) for m in METRICS}
            runs.append(
                {
                    "run_id": run_id,
                    "config_id": config_id,
                    **values,
                    "seed": s,
                    "state": state,
                    **metric,
                    "best_eval_loss": metric["eval_loss"],
                    "best_epoch": float(n_epochs) if state == "COMPLETE" else float("nan"),
                    "epochs_run": epochs if div_at is None else div_at,
                    "n_params": 1000,
                    "peak_rss_mb": 300.0,
                    "total_seconds": 3.0,
                    "seconds_per_epoch": 0.5,
                    "diverged_at": float(div_at) if div_at is not None else float("nan"),
                    "error": "RuntimeError: out of memory" if state == "FAILED" else "",
                }
            )
            run_id += 1
    return pd.DataFrame(runs), pd.DataFrame(curves)
