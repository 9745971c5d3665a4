"""The whole fast engine against the plain one: the same training, epoch by epoch, within a pinned tolerance.

Fast (the default): embedding lookup and input projection over distinct tokens, the recurrence's C++
time loops, the table's gradient as rows and the lazy row-wise Adam / RMSprop. Plain (``fused(False)``):
Embedding, the autograd step loop, a dense table gradient and the dense optimizer update, as the code
reads in Keras. Both train in float32 from the same seeds on the same minibatches, so their curves may
differ only by float rounding.

Adam and RMSprop with their default ε divide a gradient by its own size, so a parameter whose gradient is
~0 by cancellation (an embedding row used with opposite signs) moves by ±lr on the sign of its rounding
error: two correct implementations then part after a few updates (measured: 6e-4 in the first epoch's
loss for the bidirectional case). Single steps are compared at default ε elsewhere
(tests/models/test_projection.py, tests/engine/test_sparse.py); here ε = 1 keeps the updates
proportional to the gradients, so that the rounding stays rounding: every recorded loss and accuracy
within rtol 1e-4 after 18 updates. A replica that diverges does so alone.
"""

from __future__ import annotations

import math

import pytest

from sweepstat.engine import RunState, train_replicas
from sweepstat.models import fused
from sweepstat.spec._model import RnnModelSpec
from tests.engine.helpers import keyword_data, train_spec

SEEDS = [0, 1, 2]
MODELS = {
    "seed-000 lstm flatten, adam": (
        RnnModelSpec(embedding_dim=8, layers=({"type": "lstm", "units": 6},), head="flatten"),
        {"name": "adam", "lr": 1.0, "epsilon": 1.0},
    ),
    "seed-004 simple_rnn last, rmsprop": (
        RnnModelSpec(embedding_dim=8, layers=({"type": "simple_rnn", "units": 6},), head="last"),
        {"name": "rmsprop", "lr": 0.3, "epsilon": 1.0},
    ),
    "bidirectional gru + lstm, adam": (
        RnnModelSpec(
            embedding_dim=8,
            layers=({"type": "gru", "units": 4, "bidirectional": True}, {"type": "lstm", "units": 3}),
            head="mean",
        ),
        {"name": "adam", "lr": 1.0, "epsilon": 1.0},
    ),
}


def curves(results: list) -> list[list[tuple[float, ...]]]:
    return [
        [(c.train_loss, c.train_accuracy, c.eval_loss, c.eval_accuracy, c.test_loss) for c in r.curves]
        for r in results
    ]


@pytest.mark.parametrize("case", sorted(MODELS))
def test_the_fast_engine_trains_as_the_plain_one(case: str) -> None:
    model, optimizer = MODELS[case]
    data = keyword_data(n_train=96, n_val=32)
    spec = train_spec(epochs=3, batch_size=16, optimizer=optimizer)
    fast = train_replicas(model, spec, data, SEEDS)
    with fused(False):
        plain = train_replicas(model, spec, data, SEEDS)
    assert [r.state for r in fast] == [RunState.COMPLETE] * 3 == [r.state for r in plain]
    for got_run, want_run in zip(curves(fast), curves(plain), strict=True):
        assert len(got_run) == len(want_run) == 3
        for got, want in zip(got_run, want_run, strict=True):
            for g, w in zip(got, want, strict=True):
                assert math.isclose(g, w, rel_tol=1e-4, abs_tol=1e-6), (got, want)
    assert curves(fast) != curves(plain)  # two different code paths ran


def test_a_diverging_replica_leaves_the_others_as_their_solo_runs() -> None:
    model, _ = MODELS["seed-000 lstm flatten, adam"]
    data = keyword_data(n_train=96, n_val=32)
    spec = train_spec(epochs=3, batch_size=16, optimizer={"name": "rmsprop", "lr": 0.01})
    together = train_replicas(model, spec, data, SEEDS, base_lrs=[0.01, 1e30, 0.01])
    assert together[1].state == RunState.DIVERGED
    for r in (0, 2):
        (solo,) = train_replicas(model, spec, data, [SEEDS[r]])
        assert together[r].state == RunState.COMPLETE
        assert curves([together[r]]) == curves([solo])  # bit for bit
