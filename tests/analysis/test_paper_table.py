"""Seed 000's own Table 1 as a worked example: its headline numbers come out of the analysis."""

from __future__ import annotations

import pytest

from sweepstat.analysis import best_config, best_per_level, config_table, factor_lines, spread

from .tables import PAPER_FACTORS, paper_runs


@pytest.fixture(scope="module")
def table():  # type: ignore[no-untyped-def]
    return config_table(paper_runs(), PAPER_FACTORS, "mean")


def test_table_1_reproduced_in_paper_order(table) -> None:  # type: ignore[no-untyped-def]
    assert len(table) == 30
    first = table.iloc[0]
    assert (first["units"], first["batch_size"], first["embedding_dim"]) == (16, 32, 200)
    assert (first["test_loss"], first["test_accuracy"]) == (0.6371, 0.7745)
    assert table["note"].eq("1 complete run: no standard deviation").all()


def test_best_is_16_units_batch_64_embedding_400(table) -> None:  # type: ignore[no-untyped-def]
    best = best_config(table, "test_loss", "minimize")
    assert best.config_id == "u16-b64-e400" and best.value == 0.5079
    assert best.row["test_accuracy"] == 0.8273
    assert best_config(table, "test_accuracy", "maximize").config_id == "u16-b64-e400"


def test_the_papers_two_percentages(table) -> None:  # type: ignore[no-untyped-def]
    loss, acc = spread(table, "test_loss"), spread(table, "test_accuracy")
    assert (loss.minimum, loss.maximum, loss.max_config) == (0.5079, 0.8753, "u64-b64-e500")
    assert loss.pct_of_max == pytest.approx(41.97, abs=0.005)  # the paper's "41.9 %"
    assert loss.pct_of_min == pytest.approx(72.34, abs=0.005)
    assert (acc.minimum, acc.maximum, acc.min_config) == (0.7425, 0.8273, "u32-b64-e500")
    assert acc.pct_of_min == pytest.approx(11.42, abs=0.005)  # the paper's "11.4 %"
    assert acc.pct_of_max == pytest.approx(10.25, abs=0.005)


def test_best_per_level_and_where(table) -> None:  # type: ignore[no-untyped-def]
    levels = best_per_level(table, PAPER_FACTORS)
    assert list(levels) == PAPER_FACTORS
    units = levels["units"].set_index("units")
    assert units.loc[16, "test_loss"] == 0.5079
    assert units.loc[32, ["test_loss", "test_loss_at"]].tolist() == [
        0.6020,
        "batch_size=64, embedding_dim=300",
    ]
    assert units.loc[32, ["test_accuracy", "test_accuracy_at"]].tolist() == [
        0.8018,
        "batch_size=32, embedding_dim=400",
    ]
    assert units.loc[64, "test_loss_config"] == "u64-b32-e300"
    # 0.8018 twice at 64 units (batch 32/emb 400 and batch 64/emb 300): the first in table order wins.
    assert units.loc[64, ["test_accuracy", "test_accuracy_config"]].tolist() == [0.8018, "u64-b32-e400"]
    assert units["n_configs"].tolist() == [10, 10, 10]
    emb = levels["embedding_dim"].set_index("embedding_dim")
    assert emb.index.tolist() == [200, 300, 400, 500, 600]
    assert emb.loc[200, ["test_loss", "test_loss_at"]].tolist() == [0.6103, "units=32, batch_size=32"]
    assert emb.loc[200, ["test_accuracy", "test_accuracy_at"]].tolist() == [0.7881, "units=32, batch_size=64"]


def test_fig_11_lines(table) -> None:  # type: ignore[no-untyped-def]
    lines = factor_lines(table, "embedding_dim", "test_accuracy")
    assert lines["line"].drop_duplicates().tolist() == [
        f"units={u}, batch_size={b}" for u in (16, 32, 64) for b in (32, 64)
    ]
    first = lines[lines["line"] == "units=16, batch_size=64"]
    assert first["embedding_dim"].tolist() == [200, 300, 400, 500, 600]
    assert first["test_accuracy"].tolist() == [0.7813, 0.7904, 0.8273, 0.7996, 0.7859]


def test_docs_worked_example_numbers() -> None:
    """docs/statistics.md §7 quotes these (printed by tools/paper_table_statistics.py)."""
    from sweepstat.analysis import factorial_anova, run_values

    loss = factorial_anova(run_values(paper_runs(), "test_loss", PAPER_FACTORS), n_resamples=100)
    emb, ub = loss.term("embedding_dim"), loss.term("units", "batch_size")
    assert loss.residual_df == 8 and emb is not None and ub is not None
    assert (round(emb.f, 2), round(emb.p, 2), round(100 * emb.eta_sq.value, 1)) == (1.47, 0.30, 22.9)  # type: ignore[arg-type,operator]
    assert (round(ub.f, 2), round(ub.p, 2), round(100 * ub.eta_sq.value, 1)) == (2.30, 0.16, 18.0)  # type: ignore[arg-type,operator]
    acc = factorial_anova(run_values(paper_runs(), "test_accuracy", PAPER_FACTORS), n_resamples=100)
    assert round(acc.term("embedding_dim").p, 2) == 0.11  # type: ignore[union-attr,arg-type]
    assert all(t.p is not None and t.p > 0.05 for t in (*loss.terms, *acc.terms))
