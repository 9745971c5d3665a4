"""Parameter counts equal Keras's ``model.summary()`` for the seeds' examples (SEEDS.md), per replica."""

from __future__ import annotations

import pytest
import torch

from sweepstat.models import Bidirectional, Embedding, Recurrent, build_model, replica_generators
from sweepstat.spec._model import LeNetSpec, MlpSpec, RnnModelSpec


def n_params(module: torch.nn.Module, n_rep: int = 1) -> int:
    return sum(p.numel() for p in module.parameters()) // n_rep


def rnn(*layers: dict, embedding_dim: int = 32, vocab: int = 10000, head: str = "last", n_rep: int = 1):
    spec = RnnModelSpec(embedding_dim=embedding_dim, layers=layers, head=head)  # type: ignore[arg-type]
    return build_model(spec, vocab_size=vocab, maxlen=40, n_classes=2, seeds=list(range(n_rep)))


def test_embedding_10000_32() -> None:
    assert n_params(Embedding(10000, 32, replica_generators([0]))) == 320_000


@pytest.mark.parametrize("n_rep", [1, 3])
def test_seed_004_simple_rnn(n_rep: int) -> None:
    # Book listing: Embedding(10000, 32) + SimpleRNN(32) → 322,080; our model adds the Dense(1) head (33).
    model = rnn({"type": "simple_rnn", "units": 32}, n_rep=n_rep)
    assert n_params(model.recurrent, n_rep) == 2_080
    assert model.count_params() - n_params(model.dense, n_rep) == 322_080
    assert model.count_params() == 322_113


def test_seed_004_four_stacked_simple_rnn() -> None:
    model = rnn(*[{"type": "simple_rnn", "units": 32}] * 4)
    assert model.count_params() - n_params(model.dense) == 328_320


def test_seed_003_simple_rnn_2_inputs_3_units() -> None:
    assert n_params(Recurrent("simple_rnn", 2, 3, replica_generators([0]))) == 18


def test_seed_003_bidirectional_lstm_outputs_64_features() -> None:
    model = rnn({"type": "lstm", "units": 32, "bidirectional": True}, vocab=200)
    assert model.dense.in_features == 64
    layer = model.recurrent[0]
    assert isinstance(layer, Bidirectional)
    out = layer(torch.zeros(1, 7, 5, 32))  # (R, T, B, E)
    assert out.shape == (1, 5, 64)
    # Keras summary: Embedding 6,400 + Bidirectional(LSTM(32)) 16,640 + Dense(1) 65.
    assert model.count_params() == 6_400 + 16_640 + 65


@pytest.mark.parametrize(("n_in", "units"), [(2, 3), (32, 32), (400, 16), (7, 1)])
def test_lstm_and_gru_counts_by_formula(n_in: int, units: int) -> None:
    gens = replica_generators([0, 1])
    lstm = Recurrent("lstm", n_in, units, gens)
    gru = Recurrent("gru", n_in, units, gens)  # reset_after=True: input and recurrent bias
    assert n_params(lstm, 2) == 4 * (n_in * units + units * units + units)
    assert n_params(gru, 2) == 3 * (n_in * units + units * units + 2 * units)
    assert n_params(Bidirectional("gru", n_in, units, gens), 2) == 2 * n_params(gru, 2)


def test_seed_000_model() -> None:
    model = rnn({"type": "lstm", "units": 16}, embedding_dim=400, vocab=6000, head="flatten")
    assert model.count_params() == 6000 * 400 + 4 * (400 * 16 + 16 * 16 + 16) + (40 * 16 + 1)


def test_lenet_matches_caffe() -> None:
    # conv1 20·1·25+20, conv2 50·20·25+50, ip1 800·500+500, ip2 500·10+10
    model = build_model(LeNetSpec(), n_classes=10, seeds=[0, 1])
    assert model.count_params() == 520 + 25_050 + 400_500 + 5_010 == 431_080


def test_mlp() -> None:
    model = build_model(MlpSpec(hidden=(16, 16)), n_features=10000, n_classes=2, seeds=[0])
    assert model.count_params() == (10000 * 16 + 16) + (16 * 16 + 16) + (16 + 1) == 160_305
