"""Keras's own golden values: outputs Keras 3 produced for Constant(0.01/0.02/0.03) initialisers.

The expected numbers are copied from keras-team/keras tests (keras/src/layers/rnn/{lstm,gru,simple_rnn,
bidirectional}_test.py: ``test_correctness`` and ``test_masking``), so these tests compare sweepstat with
Keras itself, not with our reading of it. Keras asserts them with atol = rtol = 1e-5 (or its default
1e-6); we use 1e-5.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sweepstat.models import Bidirectional, Recurrent, replica_generators
from tests.models.helpers import batch_major, keras_constant_weights, time_major, time_major_mask

TOL = {"atol": 1e-5, "rtol": 1e-5}
SEQ_3_6_4 = np.arange(72).reshape((3, 6, 4)).astype("float32")
SEQ_2_3_4 = np.arange(24).reshape((2, 3, 4)).astype("float32")
SEQ_2_4_3 = np.arange(24).reshape((2, 4, 3)).astype("float32")


def layer(cell: str, n_in: int, units: int, *, go_backwards: bool = False, n_rep: int = 1) -> Recurrent:
    out = Recurrent(cell, n_in, units, replica_generators(range(n_rep)), go_backwards=go_backwards)  # type: ignore[arg-type]
    keras_constant_weights(out)
    return out


def last(lay: Recurrent, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    m = time_major_mask(mask) if mask is not None else None
    return batch_major(lay(time_major(x), m))


def sequence(lay: Recurrent, x: np.ndarray, mask: np.ndarray, zero: bool) -> np.ndarray:
    return batch_major(
        lay(time_major(x), time_major_mask(mask), return_sequences=True, zero_masked_output=zero)
    )


@pytest.mark.parametrize(
    ("cell", "go_backwards", "expected"),
    [
        ("lstm", False, [0.6288687, 0.86899155, 0.9460773]),
        ("lstm", True, [0.35622165, 0.74789524, 0.8872726]),
        ("gru", False, [0.5217289, 0.6371659, 0.39384964]),
        ("gru", True, [0.24406259, 0.611516, 0.3928808]),
    ],
)
def test_lstm_gru_correctness(cell: str, go_backwards: bool, expected: list[float]) -> None:
    out = last(layer(cell, 4, 3, go_backwards=go_backwards), SEQ_3_6_4)
    np.testing.assert_allclose(out, np.repeat(np.array(expected)[:, None], 3, axis=1), **TOL)


def test_lstm_without_unit_forget_bias() -> None:
    lay = layer("lstm", 4, 3)
    keras_constant_weights(lay, unit_forget_bias=False)
    np.testing.assert_allclose(last(lay, SEQ_3_6_4)[:, 0], [0.57019705, 0.8661914, 0.9459622], **TOL)


@pytest.mark.parametrize(
    ("go_backwards", "expected"), [(False, [0.405432, 0.73605347]), (True, [0.11144729, 0.5528889])]
)
def test_simple_rnn_correctness(go_backwards: bool, expected: list[float]) -> None:
    out = last(layer("simple_rnn", 4, 4, go_backwards=go_backwards), SEQ_2_3_4)
    np.testing.assert_allclose(out, np.repeat(np.array(expected)[:, None], 4, axis=1), **TOL)


def test_lstm_masking() -> None:
    mask = np.array([[True, True, True, False], [True, True, False, False]])
    np.testing.assert_allclose(
        last(layer("lstm", 3, 2), SEQ_2_4_3, mask)[:, 0], [0.11755939, 0.28556206], **TOL
    )
    carried = [
        [0.01588910, 0.05552048, 0.11755939, 0.11755939],
        [0.14185596, 0.28556206, 0.28556206, 0.28556206],
    ]
    np.testing.assert_allclose(
        sequence(layer("lstm", 3, 2), SEQ_2_4_3, mask, zero=False)[..., 0], carried, **TOL
    )
    zeroed = [[0.01588910, 0.05552048, 0.11755939, 0.0], [0.14185596, 0.28556206, 0.0, 0.0]]
    np.testing.assert_allclose(
        sequence(layer("lstm", 3, 2), SEQ_2_4_3, mask, zero=True)[..., 0], zeroed, **TOL
    )
    backwards_mask = np.array([[False, True, True, True], [False, False, True, True]])
    out = last(layer("lstm", 3, 2, go_backwards=True), SEQ_2_4_3, backwards_mask)
    np.testing.assert_allclose(out[:, 0], [0.15341201, 0.3844719], **TOL)


def test_gru_masking() -> None:
    mask = np.array([[True, True, False, True], [True, False, False, True]])
    np.testing.assert_allclose(
        last(layer("gru", 3, 2), SEQ_2_4_3, mask)[:, 0], [0.19393763, 0.30818558], **TOL
    )
    carried = [
        [0.03606692, 0.09497581, 0.09497581, 0.19393763],
        [0.16051409, 0.16051409, 0.16051409, 0.30818558],
    ]
    np.testing.assert_allclose(
        sequence(layer("gru", 3, 2), SEQ_2_4_3, mask, zero=False)[..., 0], carried, **TOL
    )
    zeroed = [[0.03606692, 0.09497581, 0.0, 0.19393763], [0.16051409, 0.0, 0.0, 0.30818558]]
    np.testing.assert_allclose(
        sequence(layer("gru", 3, 2), SEQ_2_4_3, mask, zero=True)[..., 0], zeroed, **TOL
    )
    out = last(layer("gru", 3, 2, go_backwards=True), SEQ_2_4_3, mask)
    np.testing.assert_allclose(out[:, 0], [0.11669192, 0.28380975], **TOL)


def test_simple_rnn_masking() -> None:
    mask = np.array([[True, True, False, True], [True, False, False, True]])
    out = last(layer("simple_rnn", 3, 4), SEQ_2_4_3, mask)
    np.testing.assert_allclose(out[:, 0], [0.32951632, 0.61799484], **TOL)
    carried = [[0.0599281, 0.15122814, 0.15122814, 0.32394567], [0.3969304, 0.3969304, 0.3969304, 0.608085]]
    out = sequence(layer("simple_rnn", 3, 2), SEQ_2_4_3, mask, zero=False)
    np.testing.assert_allclose(out[..., 0], carried, **TOL)
    zeroed = [[0.0599281, 0.15122814, 0.0, 0.32394567], [0.3969304, 0.0, 0.0, 0.608085]]
    np.testing.assert_allclose(
        sequence(layer("simple_rnn", 3, 2), SEQ_2_4_3, mask, zero=True)[..., 0], zeroed, **TOL
    )
    out = last(layer("simple_rnn", 3, 4, go_backwards=True), SEQ_2_4_3, mask)
    np.testing.assert_allclose(out[:, 0], [0.07376196, 0.43645123], **TOL)


def bidirectional(cell: str, n_in: int, units: int, merge_mode: str = "concat") -> Bidirectional:
    bi = Bidirectional(cell, n_in, units, replica_generators([0]), merge_mode=merge_mode)  # type: ignore[arg-type]
    keras_constant_weights(bi.forward_layer)
    keras_constant_weights(bi.backward_layer)
    return bi


@pytest.mark.parametrize(
    ("merge_mode", "expected"),
    [
        (
            "concat",
            [
                [0.39687276, 0.39687276, 0.10004295, 0.10004295],
                [0.7237238, 0.7237238, 0.53391594, 0.53391594],
            ],
        ),
        ("ave", [[0.24845785, 0.24845785], [0.6288199, 0.6288199]]),
    ],
)
def test_bidirectional_simple_rnn(merge_mode: str, expected: list[list[float]]) -> None:
    out = batch_major(bidirectional("simple_rnn", 4, 2, merge_mode)(time_major(SEQ_2_3_4)))
    np.testing.assert_allclose(out, expected, **TOL)


def test_bidirectional_mul_with_other_backward_weights() -> None:
    bi = bidirectional("simple_rnn", 4, 2, "mul")
    keras_constant_weights(bi.backward_layer, k=0.03, u=0.02, b=0.01)
    out = batch_major(bi(time_major(SEQ_2_3_4)))
    np.testing.assert_allclose(out, [[0.08374989, 0.08374989], [0.6740834, 0.6740834]], **TOL)


def test_bidirectional_gru_sum_sequences() -> None:
    out = batch_major(bidirectional("gru", 4, 2, "sum")(time_major(SEQ_2_3_4), return_sequences=True))
    expected = [[0.20937867, 0.34462988, 0.40290534], [0.59829646, 0.6734641, 0.6479671]]
    np.testing.assert_allclose(out[..., 0], expected, **TOL)
    np.testing.assert_allclose(out[..., 1], expected, **TOL)


def test_bidirectional_gru_masking() -> None:
    mask = np.array([[True, True, False, True], [True, False, False, True]])
    out = batch_major(bidirectional("gru", 3, 2)(time_major(SEQ_2_4_3), time_major_mask(mask)))
    expected = [
        [0.19393763, 0.19393763, 0.11669192, 0.11669192],
        [0.30818558, 0.30818558, 0.28380975, 0.28380975],
    ]
    np.testing.assert_allclose(out, expected, **TOL)


def test_bidirectional_lstm_last() -> None:
    out = batch_major(bidirectional("lstm", 3, 2)(time_major(SEQ_2_4_3)))
    expected = [
        [0.1990008, 0.1990008, 0.12659755, 0.12659755],
        [0.52335435, 0.52335435, 0.44717982, 0.44717982],
    ]
    np.testing.assert_allclose(out, expected, **TOL)


def test_every_replica_gives_the_keras_value() -> None:
    lay = layer("lstm", 4, 3, n_rep=3)
    out = lay(time_major(SEQ_3_6_4, n_rep=3))  # (R, B, H)
    assert out.shape == (3, 3, 3)
    for r in range(3):
        np.testing.assert_allclose(out[r, :, 0].detach().numpy(), [0.6288687, 0.86899155, 0.9460773], **TOL)
    assert torch.equal(out[0], out[2])
