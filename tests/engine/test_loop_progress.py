"""The progress hook: called once per evaluation with the iterations done and the total."""

from __future__ import annotations

import numpy as np

from sweepstat.data import PreparedData, Split
from sweepstat.engine import train_replicas
from sweepstat.spec import RnnModelSpec, TrainSpec


def test_progress_is_reported_after_each_evaluation() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(1, 20, size=(40, 6))
    y = (x[:, 0] > 10).astype(np.int64)
    data = PreparedData("toy", Split(x[:30], y[:30]), Split(x[30:], y[30:]), None, 20, 6, ("a", "b"))
    model = RnnModelSpec.model_validate({"embedding_dim": 4, "layers": [{"type": "lstm", "units": 2}], "head": "last"})
    calls: list[tuple[int, int]] = []
    train_replicas(model, TrainSpec(batch_size=10, epochs=3), data, [0, 1], on_progress=lambda d, t: calls.append((d, t)))
    assert calls == [(3, 9), (6, 9), (9, 9)]
