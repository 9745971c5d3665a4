"""Print every number of docs/statistics.md's worked example: seed 000's own Table 1, from aggregates alone.

    .venv/bin/python tools/paper_table_statistics.py

The paper publishes one trimmed mean per configuration (30 values per metric) and no spread over its 50
runs. The script feeds those 30 values to sweepstat's analysis as a study with one run per configuration
and prints what can be computed from them, and what cannot.
"""

from __future__ import annotations

import pandas as pd
from statsmodels.stats.power import TTestIndPower

from sweepstat.analysis import StatisticsSettings, analyse_study, best_per_level, config_table, spread

# Seed 000, Table 1 (shared/SEEDS.md): (units, batch) → (loss, accuracy) for embedding 200 … 600.
TABLE_1 = {
    (16, 32): [(0.6371, 0.7745), (0.6939, 0.7654), (0.6398, 0.7923), (0.6803, 0.7836), (0.6645, 0.7973)],
    (16, 64): [(0.6721, 0.7813), (0.5977, 0.7904), (0.5079, 0.8273), (0.5934, 0.7996), (0.6328, 0.7859)],
    (32, 32): [(0.6103, 0.7585), (0.6216, 0.7904), (0.6718, 0.8018), (0.8087, 0.7676), (0.6441, 0.7904)],
    (32, 64): [(0.6117, 0.7881), (0.6020, 0.7767), (0.6899, 0.7790), (0.6467, 0.7425), (0.6492, 0.7972)],
    (64, 32): [(0.6598, 0.7835), (0.5837, 0.7904), (0.6057, 0.8018), (0.6220, 0.7927), (0.6541, 0.7972)],
    (64, 64): [(0.6206, 0.7835), (0.6155, 0.8018), (0.6205, 0.7882), (0.8753, 0.7722), (0.7435, 0.7836)],
}
EMBEDDINGS = (200, 300, 400, 500, 600)
FACTORS = ["units", "batch_size", "embedding_dim"]


def runs() -> pd.DataFrame:
    rows = []
    for (units, batch), cells in TABLE_1.items():
        for emb, (loss, acc) in zip(EMBEDDINGS, cells, strict=True):
            rows.append(
                {
                    "run_id": len(rows),
                    "config_id": f"u{units}-b{batch}-e{emb}",
                    "units": units,
                    "batch_size": batch,
                    "embedding_dim": emb,
                    "seed": 0,
                    "state": "COMPLETE",
                    "test_loss": loss,
                    "test_accuracy": acc,
                }
            )
    return pd.DataFrame(rows)


def main() -> None:
    table = config_table(runs(), FACTORS, "mean")
    print("== Spread of the 30 aggregates (both of the paper's conventions)")
    for metric in ("test_loss", "test_accuracy"):
        s = spread(table, metric)
        print(
            f"{metric}: min {s.minimum} ({s.min_config}), max {s.maximum} ({s.max_config}); "
            f"(max-min)/max = {s.pct_of_max:.2f} %, (max-min)/min = {s.pct_of_min:.2f} %"
        )
    levels = best_per_level(table, FACTORS)
    print("\n== Best loss per embedding size (Table 4)")
    print(levels["embedding_dim"][["embedding_dim", "test_loss", "test_loss_at"]].to_string(index=False))

    for metric in ("test_loss", "test_accuracy"):
        a = analyse_study(runs(), FACTORS, metric, settings=StatisticsSettings(n_resamples=200))
        print(f"\n== {metric}: factorial ANOVA on the 30 aggregates ({a.anova.formula})")
        print(f"residual df {a.anova.residual_df:g} (the three-way interaction); notes: {' '.join(a.anova.notes)}")
        for t in a.anova.terms:
            print(f"  {t.term:28s} df {t.df:g}  F {t.f:6.3f}  p {t.p:.3f}  eta^2 {100 * t.eta_sq.value:5.1f} %")  # type: ignore[operator]
        print("fANOVA importance: " + ", ".join(f"{f} {100 * v:.0f} %" for f, v in a.fanova.importance.items()))
        print("verdict:")
        for line in a.verdict:
            print(f"  - {line}")

    # The paper's best loss against the runner-up: how small must the unreported seed sd be for its 50 runs
    # per configuration to separate them (power 0.8, two-sided t, alpha 0.05 and Holm's first step 0.05/29)?
    loss = table.sort_values("test_loss")
    best, runner = loss.iloc[0], loss.iloc[1]
    gap = runner["test_loss"] - best["test_loss"]
    print(f"\n== Best {best['config_id']} {best['test_loss']} vs runner-up {runner['config_id']} {runner['test_loss']}: gap {gap:.4f}")
    for alpha in (0.05, 0.05 / 29):
        d = TTestIndPower().solve_power(nobs1=50, alpha=alpha, power=0.8)
        print(f"  50 runs each, alpha {alpha:.5f}: detectable d = {d:.3f} -> needs a seed sd below {gap / d:.4f}")


if __name__ == "__main__":
    main()
