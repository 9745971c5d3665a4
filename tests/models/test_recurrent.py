"""Recurrent layers against a numpy transcription of the Keras equations (tests/models/keras_reference.py).

Hand-set random float64 weights (biases non-zero, GRU's recurrent bias included) make every term count;
masks have holes in the middle and padding at either end.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sweepstat.models import Bidirectional, Recurrent, dropout_mask, replica_generators
from tests.models import keras_reference as ref
from tests.models.helpers import (
    batch_major,
    bidirectional_random_weights,
    random_weights,
    time_major,
    time_major_mask,
)

CELLS = ["simple_rnn", "lstm", "gru"]
TOL = {"atol": 1e-12, "rtol": 1e-10}
N_B, N_T, N_IN, UNITS = 3, 5, 4, 3
MASK = np.array(
    [
        [False, False, True, True, True],  # pre-padded, Keras's pad_sequences default
        [True, False, True, False, True],  # holes
        [True, True, True, False, False],  # post-padded
    ]
)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def make(cell: str, go_backwards: bool = False, **rates: float) -> Recurrent:
    return Recurrent(cell, N_IN, UNITS, replica_generators([0]), go_backwards=go_backwards, **rates)  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_layer_matches_keras_equations(
    cell: str, go_backwards: bool, masked: bool, rng: np.random.Generator
) -> None:
    lay = make(cell, go_backwards)
    w, u, b = random_weights(lay, rng)
    x = rng.normal(size=(N_B, N_T, N_IN))
    mask = MASK if masked else None
    m = time_major_mask(mask) if mask is not None else None
    want_seq, want_last = ref.rnn(cell, x, w, u, b, mask, go_backwards=go_backwards)
    if go_backwards:
        want_seq = want_seq[:, ::-1]  # Keras returns the backward sequence reversed; we return input order
    np.testing.assert_allclose(batch_major(lay(time_major(x), m)), want_last, **TOL)
    np.testing.assert_allclose(batch_major(lay(time_major(x), m, return_sequences=True)), want_seq, **TOL)


@pytest.mark.parametrize("cell", CELLS)
def test_zero_output_for_mask(cell: str, rng: np.random.Generator) -> None:
    lay = make(cell)
    w, u, b = random_weights(lay, rng)
    x = rng.normal(size=(N_B, N_T, N_IN))
    want, _ = ref.rnn(cell, x, w, u, b, MASK, zero_output_for_mask=True)
    got = lay(time_major(x), time_major_mask(MASK), return_sequences=True, zero_masked_output=True)
    np.testing.assert_allclose(batch_major(got), want, **TOL)
    assert np.all(batch_major(got)[~MASK] == 0.0)


def test_masked_state_is_carried_not_reset(rng: np.random.Generator) -> None:
    # A masked step must leave h (and the LSTM carry c) exactly as they were: output at a hole = previous.
    lay = make("lstm")
    random_weights(lay, rng)
    x = rng.normal(size=(N_B, N_T, N_IN))
    seq = batch_major(lay(time_major(x), time_major_mask(MASK), return_sequences=True))
    np.testing.assert_array_equal(seq[1, 1], seq[1, 0])
    np.testing.assert_array_equal(seq[0, :2], 0.0)  # leading padding: initial zero state
    np.testing.assert_array_equal(seq[2, 3], seq[2, 2])
    np.testing.assert_array_equal(seq[2, 4], seq[2, 2])


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_matches_keras(
    cell: str, merge_mode: str, return_sequences: bool, rng: np.random.Generator
) -> None:
    bi = Bidirectional(cell, N_IN, UNITS, replica_generators([0]), merge_mode=merge_mode)  # type: ignore[arg-type]
    fwd, bwd = bidirectional_random_weights(bi, rng)
    x = rng.normal(size=(N_B, N_T, N_IN))
    want = ref.bidirectional(
        cell, x, fwd, bwd, MASK, merge_mode=merge_mode, return_sequences=return_sequences
    )
    got = bi(time_major(x), time_major_mask(MASK), return_sequences=return_sequences)
    np.testing.assert_allclose(batch_major(got), want, **TOL)
    assert bi.output_features == got.shape[-1] == (2 * UNITS if merge_mode == "concat" else UNITS)


def _masks(lay: Recurrent, seed: int, n_masks: int) -> tuple[list[np.ndarray] | np.ndarray | None, ...]:
    """Redraw the masks the layer draws (input mask, then recurrent mask) from an identically seeded generator."""
    g = torch.Generator().manual_seed(seed)
    out: list[list[np.ndarray] | np.ndarray | None] = []
    for rate, width in ((lay.dropout, N_IN), (lay.recurrent_dropout, UNITS)):
        if rate == 0:
            out.append(None)
            continue
        m = dropout_mask((1, n_masks, N_B, width), rate, [g], torch.device("cpu"), torch.float64)[0].numpy()
        out.append(list(m) if n_masks > 1 else m[0])
    return tuple(out)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize(("dropout", "recurrent_dropout"), [(0.4, 0.0), (0.0, 0.3), (0.4, 0.3)])
def test_dropout_one_mask_per_sequence_as_keras(
    cell: str, dropout: float, recurrent_dropout: float, rng: np.random.Generator
) -> None:
    lay = make(cell, dropout=dropout, recurrent_dropout=recurrent_dropout).train()
    w, u, b = random_weights(lay, rng)
    x = rng.normal(size=(N_B, N_T, N_IN))
    # Keras implementation=1 (one mask per gate) exactly when recurrent_dropout is set on LSTM / GRU.
    n_masks = {"simple_rnn": 1, "lstm": 4, "gru": 3}[cell] if recurrent_dropout > 0 else 1
    assert lay.n_masks == n_masks
    dp, rdp = _masks(lay, seed=7, n_masks=n_masks)
    want, _ = ref.rnn(cell, x, w, u, b, MASK, dp=dp, rdp=rdp)
    got = lay(
        time_major(x),
        time_major_mask(MASK),
        return_sequences=True,
        generator=[torch.Generator().manual_seed(7)],
    )
    np.testing.assert_allclose(batch_major(got), want, **TOL)
    # Inference ignores dropout.
    plain, _ = ref.rnn(cell, x, w, u, b, MASK)
    np.testing.assert_allclose(
        batch_major(lay.eval()(time_major(x), time_major_mask(MASK), return_sequences=True)), plain, **TOL
    )


def test_dropout_mask_values_and_rate() -> None:
    m = dropout_mask((2, 200_000), 0.25, torch.Generator().manual_seed(0), torch.device("cpu"), torch.float32)
    values = m.unique().tolist()
    assert values[0] == 0.0 and values[1:] == [pytest.approx(1 / 0.75)]
    assert (m == 0).float().mean().item() == pytest.approx(0.25, abs=0.005)


def test_dropout_generator_count_must_match_replicas() -> None:
    gens = [torch.Generator().manual_seed(0)]
    with pytest.raises(ValueError, match="2 replicas"):
        dropout_mask((2, 3), 0.5, gens, torch.device("cpu"), torch.float32)


def test_unknown_cell_is_refused() -> None:
    with pytest.raises(ValueError, match="cell must be one of"):
        Recurrent("lstn", 2, 2, replica_generators([0]))  # type: ignore[arg-type]
