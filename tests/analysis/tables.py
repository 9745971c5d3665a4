"""Tiny hand-made run tables for the analysis tests."""

from __future__ import annotations

import math

import pandas as pd

NAN = math.nan


def make_runs(rows: list[tuple[object, ...]], factors: list[str]) -> pd.DataFrame:
    """Rows of (config_id, *factor values, seed, state, test_loss, test_accuracy); run_id is the row index."""
    columns = ["config_id", *factors, "seed", "state", "test_loss", "test_accuracy"]
    frame = pd.DataFrame(rows, columns=columns)
    frame.insert(0, "run_id", range(len(frame)))
    return frame


# Seed 000, Table 1 (SEEDS.md): (units, batch) → loss, accuracy for embedding 200, 300, 400, 500, 600.
PAPER_TABLE_1 = {
    (16, 32): [(0.6371, 0.7745), (0.6939, 0.7654), (0.6398, 0.7923), (0.6803, 0.7836), (0.6645, 0.7973)],
    (16, 64): [(0.6721, 0.7813), (0.5977, 0.7904), (0.5079, 0.8273), (0.5934, 0.7996), (0.6328, 0.7859)],
    (32, 32): [(0.6103, 0.7585), (0.6216, 0.7904), (0.6718, 0.8018), (0.8087, 0.7676), (0.6441, 0.7904)],
    (32, 64): [(0.6117, 0.7881), (0.6020, 0.7767), (0.6899, 0.7790), (0.6467, 0.7425), (0.6492, 0.7972)],
    (64, 32): [(0.6598, 0.7835), (0.5837, 0.7904), (0.6057, 0.8018), (0.6220, 0.7927), (0.6541, 0.7972)],
    (64, 64): [(0.6206, 0.7835), (0.6155, 0.8018), (0.6205, 0.7882), (0.8753, 0.7722), (0.7435, 0.7836)],
}
EMBEDDINGS = [200, 300, 400, 500, 600]
PAPER_FACTORS = ["units", "batch_size", "embedding_dim"]


def paper_runs() -> pd.DataFrame:
    """One COMPLETE run per configuration whose values are the paper's aggregates (listed in reverse order)."""
    rows = []
    for (units, batch), cells in PAPER_TABLE_1.items():
        for emb, (loss, acc) in zip(EMBEDDINGS, cells, strict=True):
            rows.append((f"u{units}-b{batch}-e{emb}", units, batch, emb, 0, "COMPLETE", loss, acc))
    return make_runs(rows[::-1], PAPER_FACTORS)
