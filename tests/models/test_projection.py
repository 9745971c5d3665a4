"""The embedding lookup fused with the first recurrent layer's input projection (models/_projection.py).

Against the plain path (``fused(False)``: Embedding, then the step loop through autograd): the same logits
and the same gradients, the embedding table's included (it arrives as sparse rows; densified here), within
the fused recurrence's tolerance (tests/models/test_fused.py). Replica r computes exactly what its solo
model computes, a NaN in one replica's table stays there, and the row hook sees the rows about to be read.
"""

from __future__ import annotations

import pytest
import torch

from sweepstat.models import build_model, fused
from sweepstat.models._projection import embedded_projection
from sweepstat.spec._model import RnnModelSpec

VOCAB, MAXLEN, N_B = 13, 9, 6


def spec(first: dict, second: dict | None = None, head: str = "flatten") -> RnnModelSpec:
    layers = (first,) if second is None else (first, second)
    return RnnModelSpec(embedding_dim=5, layers=layers, head=head)  # type: ignore[arg-type]


CASES = {
    "lstm-flatten": spec({"type": "lstm", "units": 4}),
    "gru-last": spec({"type": "gru", "units": 3}, head="last"),
    "simple-mean": spec({"type": "simple_rnn", "units": 4}, head="mean"),
    "bi-lstm-concat": spec({"type": "lstm", "units": 3, "bidirectional": True}, head="last"),
    "bi-gru-sum-stacked": spec(
        {"type": "gru", "units": 3, "bidirectional": True, "merge_mode": "sum"}, {"type": "lstm", "units": 2}, "max"
    ),
}


def tokens(n_rep: int, seed: int = 0) -> torch.Tensor:
    x = torch.randint(1, VOCAB, (n_rep, N_B, MAXLEN), generator=torch.Generator().manual_seed(seed))
    x[:, :, :4] = 0  # 'pre' padding: token 0 repeats, as in real batches
    return x


def forward_backward(model: torch.nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    logits = model(x)
    weight = torch.randn(logits.shape, generator=torch.Generator().manual_seed(3), dtype=logits.dtype)
    grads = torch.autograd.grad((logits * weight).sum(), list(model.parameters()))
    return logits.detach(), [g.to_dense() if g.is_sparse else g for g in grads]


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_logits_and_gradients_equal_the_plain_path(case: str, dtype: torch.dtype) -> None:
    model = build_model(CASES[case], vocab_size=VOCAB, maxlen=MAXLEN, n_classes=2, seeds=[1, 2]).to(dtype)
    with torch.no_grad():  # non-zero biases, so that every bias path counts
        for name, p in model.named_parameters():
            if "bias" in name:
                p.copy_(torch.randn(p.shape, generator=torch.Generator().manual_seed(7), dtype=dtype))
    x = tokens(2)
    y, grads = forward_backward(model, x)
    emb_grad = torch.autograd.grad(model(x).sum(), model.embedding.weight)[0]
    assert emb_grad.is_sparse  # the fused node ran
    with fused(False):
        y_plain, grads_plain = forward_backward(model, x)
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(y, y_plain, rtol=tol, atol=tol)
    for (name, _), got, want in zip(model.named_parameters(), grads, grads_plain, strict=True):
        scale = max(want.abs().max().item(), 1e-30)
        torch.testing.assert_close(got, want, rtol=tol, atol=tol * scale, msg=lambda m, n=name: f"{n}: {m}")


def test_replica_r_computes_exactly_its_solo_model() -> None:
    seeds = [4, 5, 6]
    model = build_model(CASES["lstm-flatten"], vocab_size=VOCAB, maxlen=MAXLEN, n_classes=2, seeds=seeds)
    x = tokens(3, seed=1)
    y, grads = forward_backward(model, x)
    for r, s in enumerate(seeds):
        solo = build_model(CASES["lstm-flatten"], vocab_size=VOCAB, maxlen=MAXLEN, n_classes=2, seeds=[s])
        logits = solo(x[r : r + 1])
        weight = torch.randn(y.shape, generator=torch.Generator().manual_seed(3))[r : r + 1]
        solo_grads = torch.autograd.grad((logits * weight).sum(), list(solo.parameters()))
        assert torch.equal(logits.detach()[0], y[r])
        for got, want in zip(grads, solo_grads, strict=True):
            assert torch.equal(got[r], (want.to_dense() if want.is_sparse else want)[0])


def test_a_nan_row_of_one_replica_stays_in_that_replica() -> None:
    model = build_model(CASES["gru-last"], vocab_size=VOCAB, maxlen=MAXLEN, n_classes=2, seeds=[1, 2, 3])
    x = tokens(3)
    with torch.no_grad():
        model.embedding.weight[1, 0] = float("nan")  # the padding row of replica 1
    y, grads = forward_backward(model, x)
    assert torch.isnan(y[1]).all()
    assert torch.isfinite(y[[0, 2]]).all()
    for g in grads:
        assert torch.isfinite(g[[0, 2]]).all()


def test_the_row_hook_sees_each_row_once_before_it_is_read() -> None:
    seen: list[torch.Tensor] = []
    table = torch.randn(2, VOCAB, 4)
    x = tokens(2).transpose(1, 2)  # (R, T, B)
    embedded_projection(x, table, torch.randn(2, 4, 3), torch.zeros(2, 3), seen.append)
    (ids,) = seen
    want = torch.unique(torch.cat([x[0].flatten(), x[1].flatten() + VOCAB]))
    assert torch.equal(ids, want)


def test_an_index_outside_the_vocabulary_is_refused() -> None:
    x = tokens(1).transpose(1, 2).clone()
    x[0, 0, 0] = VOCAB  # would read replica 1's table if there were one
    with pytest.raises(RuntimeError, match="outside"):
        embedded_projection(x, torch.randn(1, VOCAB, 4), torch.randn(1, 4, 3), torch.zeros(1, 3))
