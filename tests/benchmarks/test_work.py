"""The benchmark's work counts: FLOPs and optimizer bytes, against counts done by hand."""

from __future__ import annotations

import pytest
from _work import OPTIMIZER_PASSES, lenet_work, recurrent_params, rnn_text_work


def test_recurrent_params_match_keras_summaries() -> None:
    # Keras model.summary(): SimpleRNN(32) on 32 inputs 2,080 (seed 004); LSTM(32) on 32 inputs 8,320;
    # GRU(reset_after) with 3 units on 2 inputs: 3·(2·3 + 3·3) + 2·3·3 = 63; the lecture's RNN: 18.
    assert recurrent_params("simple_rnn", 32, 32) == 2080
    assert recurrent_params("lstm", 32, 32) == 8320
    assert recurrent_params("gru", 2, 3) == 63
    assert recurrent_params("simple_rnn", 2, 3) == 18


def test_seed_004_simple_rnn_model() -> None:
    w = rnn_text_work(vocab=10000, maxlen=500, embedding=32, cell="simple_rnn", units=32, head="last",
                      optimizer="rmsprop")
    assert w.n_params == 320_000 + 2_080 + 33  # the book's summary: 322,113
    assert w.forward_flops_per_sample == 2 * 500 * (32 * 32 + 32 * 32) + 2 * 32
    assert w.optimizer_bytes_per_step() == 322_113 * 4 * 5


def test_seed_000_cell_flatten_head_and_adam() -> None:
    w = rnn_text_work(vocab=2806, maxlen=46, embedding=400, cell="lstm", units=16, head="flatten",
                      optimizer="adam")
    lstm = 2 * 46 * 4 * (400 * 16 + 16 * 16)
    assert w.forward_flops_per_sample == lstm + 2 * 46 * 16
    assert w.n_params == 2806 * 400 + recurrent_params("lstm", 400, 16) + 46 * 16 + 1
    assert w.train_step_flops(32) == 3 * 32 * w.forward_flops_per_sample
    assert w.epoch_flops(100, 10) == (3 * 100 + 10) * w.forward_flops_per_sample
    assert w.optimizer_bytes_per_step() == w.n_params * 4 * 7


def test_caffe_lenet() -> None:
    w = lenet_work()
    assert w.n_params == 431_080  # Caffe's LeNet: 520 + 25,050 + 400,500 + 5,010
    conv1 = 2 * 24 * 24 * 20 * 25
    conv2 = 2 * 8 * 8 * 50 * 25 * 20
    assert w.forward_flops_per_sample == conv1 + conv2 + 2 * 800 * 500 + 2 * 500 * 10
    assert w.optimizer_passes == OPTIMIZER_PASSES["sgd_momentum"] == 5


def test_unknown_cell_is_refused() -> None:
    with pytest.raises(KeyError):
        rnn_text_work(vocab=10, maxlen=5, embedding=4, cell="transformer", units=2, head="last", optimizer="adam")
