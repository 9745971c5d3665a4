"""Replica r of a model built with seeds [s0, s1, s2] is the one-replica model built with [s_r].

Same initial weights (bit for bit), same forward output on its own minibatch (also in training, with
dropout drawn from per-replica generators), and gradients that never leak between replicas.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from sweepstat.models import ReplicatedModel, build_model
from sweepstat.spec._model import LeNetSpec, MlpSpec, RnnModelSpec

SEEDS = [11, 22, 33]

RNN_SPEC = RnnModelSpec(
    embedding_dim=6,
    layers=(
        {"type": "lstm", "units": 4, "bidirectional": True, "dropout": 0.2, "recurrent_dropout": 0.1},
        {"type": "gru", "units": 3, "recurrent_dropout": 0.3},
        {"type": "simple_rnn", "units": 5, "dropout": 0.25},
    ),
    head="mean",
    mask_zero=True,
)


def text_rnn(seeds: list[int]) -> ReplicatedModel:
    return build_model(RNN_SPEC, vocab_size=30, maxlen=None, n_classes=2, seeds=seeds)


def text_input(n_rep: int) -> torch.Tensor:
    x = torch.randint(1, 30, (n_rep, 4, 7), generator=torch.Generator().manual_seed(0))
    x[:, :, :2] = 0  # padding, masked
    return x


def lenet(seeds: list[int]) -> ReplicatedModel:
    return build_model(LeNetSpec(conv1_filters=3, conv2_filters=4, hidden=5), n_classes=10, seeds=seeds)


def lenet_input(n_rep: int) -> torch.Tensor:
    return torch.randint(0, 256, (n_rep, 2, 1, 28, 28), generator=torch.Generator().manual_seed(0))


def mlp(seeds: list[int]) -> ReplicatedModel:
    return build_model(MlpSpec(hidden=(8, 6), dropout=0.5), n_features=12, n_classes=2, seeds=seeds)


def mlp_input(n_rep: int) -> torch.Tensor:
    return torch.rand((n_rep, 5, 12), generator=torch.Generator().manual_seed(0))


CASES: dict[str, tuple[Callable[[list[int]], ReplicatedModel], Callable[[int], torch.Tensor]]] = {
    "text_rnn": (text_rnn, text_input),
    "lenet": (lenet, lenet_input),
    "mlp": (mlp, mlp_input),
}


def dropout_gens(replicas: list[int]) -> list[torch.Generator]:
    return [torch.Generator().manual_seed(1000 + r) for r in replicas]


@pytest.mark.parametrize("case", CASES)
def test_replica_equals_single_seed_model(case: str) -> None:
    make, inputs = CASES[case]
    big = make(SEEDS).train()
    x = inputs(len(SEEDS))  # each replica its own minibatch
    out = big(x, generator=dropout_gens([0, 1, 2]))
    for r, seed in enumerate(SEEDS):
        small = make([seed]).train()
        for (name, p_big), (_, p_small) in zip(big.named_parameters(), small.named_parameters(), strict=True):
            assert torch.equal(p_big[r], p_small[0]), name
        out_r = small(x[r : r + 1], generator=dropout_gens([r]))
        torch.testing.assert_close(out[r : r + 1], out_r, atol=1e-6, rtol=1e-5)
    assert not torch.equal(out[0], out[1])


@pytest.mark.parametrize("case", CASES)
def test_gradients_stay_in_their_replica(case: str) -> None:
    make, inputs = CASES[case]
    model = make(SEEDS)
    model(inputs(len(SEEDS)))[0].sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert torch.count_nonzero(p.grad[1:]) == 0, name
    assert any(torch.count_nonzero(p.grad[0]) > 0 for p in model.parameters() if p.grad is not None)


def test_dropout_is_off_in_eval_and_random_in_training() -> None:
    model = text_rnn(SEEDS)
    x = text_input(len(SEEDS))
    model.eval()
    torch.testing.assert_close(model(x), model(x), atol=0, rtol=0)
    model.train()
    a = model(x, generator=torch.Generator().manual_seed(1))  # one generator for all replicas
    b = model(x, generator=torch.Generator().manual_seed(2))
    c = model(x, generator=torch.Generator().manual_seed(1))
    assert not torch.equal(a, b)
    assert torch.equal(a, c)
    assert model(x).shape == (3, 4, 1)  # the global RNG


def test_inputs_must_carry_the_replica_axis() -> None:
    model = text_rnn(SEEDS)
    with pytest.raises(ValueError, match=r"tokens must be \(R=3, B, T\)"):
        model(text_input(1))
    with pytest.raises(ValueError, match="images must be"):
        lenet(SEEDS)(lenet_input(2))
