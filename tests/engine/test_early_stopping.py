"""Early stopping: Keras 3's rules, per replica, with the replica's best weights restored."""

from __future__ import annotations

import torch

from sweepstat.engine import RunState, evaluate, fit
from sweepstat.engine._early_stopping import ReplicaEarlyStopping
from sweepstat.models import build_model
from sweepstat.spec._train import EarlyStoppingSpec
from tests.engine.helpers import MAXLEN, VOCAB, keyword_data, rnn_spec, train_spec


def stop_index(values: list[float], **spec: object) -> int | None:
    """The 0-based evaluation at which Keras's rules stop, or None."""
    es = ReplicaEarlyStopping(EarlyStoppingSpec.model_validate(spec), [torch.zeros(1, 2)], 0)
    for k, v in enumerate(values):
        if es.update(v):
            return k
    return None


def test_patience_counts_evaluations_without_improvement() -> None:
    assert stop_index([1.0, 0.9, 0.95, 0.96, 0.5], patience=2) == 3
    assert stop_index([1.0, 0.9, 0.95, 0.8, 0.85, 0.9], patience=2) == 5
    assert stop_index([1.0, 0.9, 0.8, 0.7], patience=1) is None


def test_patience_zero_never_stops_at_the_first_evaluation() -> None:
    assert stop_index([1.0, 1.0], patience=0) == 1
    assert stop_index([1.0], patience=0) is None


def test_min_delta_and_monitor_direction() -> None:
    assert stop_index([1.0, 0.9995, 0.999], patience=1, min_delta=1e-3) == 1
    assert stop_index([1.0, 0.99, 0.98], patience=1, min_delta=1e-3) is None
    assert stop_index([0.5, 0.6, 0.55, 0.58], patience=2, monitor="val_accuracy") == 3
    assert stop_index([0.5, 0.6, 0.7], patience=1, monitor="val_accuracy") is None


def test_each_replica_stops_alone_and_keeps_its_best_weights() -> None:
    data = keyword_data(n_train=96, n_val=32)
    adam = {"name": "adam", "lr": 0.02}
    spec = train_spec(
        epochs=7, optimizer=adam, early_stopping={"patience": 3, "min_delta": 0.05}, eval_batch_size=16
    )
    # Replica 0 barely learns (lr 1e-7): no improvement beyond min_delta after the first evaluation.
    # Replica 1 learns; its validation loss falls by more than 0.05 per epoch up to epoch 5, less after
    # (0.65, 0.51, 0.30, 0.14, 0.068, 0.034, 0.018), so its best epoch for early stopping is 5.
    model = build_model(rnn_spec(), n_classes=2, seeds=[1, 2], vocab_size=VOCAB, maxlen=MAXLEN)
    slow, fast = fit(model, spec, data, base_lrs=[1e-7, 0.02])
    assert slow.state == RunState.COMPLETE and slow.stopped_epoch == 4
    assert [r.epoch for r in slow.curves] == [1, 2, 3, 4]
    assert slow.final == slow.curves[0]  # its best weights came back, so its final metrics are epoch 1's
    assert fast.stopped_epoch is None and len(fast.curves) == 7
    assert fast.final == fast.curves[4] != fast.curves[-1]  # restored at the end too (Keras 3)
    assert fast.best == fast.curves[-1]  # ``best`` is by lowest loss, without min_delta

    # The model holds exactly the restored weights: evaluating it gives the final records again.
    x_val, y_val = torch.from_numpy(data.val.x), torch.from_numpy(data.val.y)
    loss, accuracy = evaluate(model, x_val, y_val, batch_size=16)
    assert loss.tolist() == [slow.final.eval_loss, fast.final.eval_loss]
    assert accuracy.tolist() == [slow.final.eval_accuracy, fast.final.eval_accuracy]

    # Replica 1 is unaffected by replica 0's stop: the same as training it without early stopping.
    plain = build_model(rnn_spec(), n_classes=2, seeds=[1, 2], vocab_size=VOCAB, maxlen=MAXLEN)
    _, fast_plain = fit(plain, train_spec(epochs=7, optimizer=adam, eval_batch_size=16), data, base_lrs=[1e-7, 0.02])
    assert [r.eval_loss for r in fast.curves] == [r.eval_loss for r in fast_plain.curves]
    assert fast_plain.final == fast_plain.curves[-1]


def test_without_restore_the_final_weights_are_the_last() -> None:
    data = keyword_data(n_val=32)
    spec = train_spec(epochs=6, early_stopping={"patience": 1, "min_delta": 10.0, "restore_best": False})
    (result,) = fit(
        build_model(rnn_spec(), n_classes=2, seeds=[3], vocab_size=VOCAB, maxlen=MAXLEN), spec, data
    )
    assert result.stopped_epoch == 2 and result.final == result.curves[-1] and len(result.curves) == 2
