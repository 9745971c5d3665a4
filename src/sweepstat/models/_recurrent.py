"""Keras ``SimpleRNN``, ``LSTM``, ``GRU`` and ``Bidirectional`` over R replicas.

Tensors are time-major inside the recurrent stack: a sequence is ``(R, T, B, F)``, so that step t is the
contiguous slab ``x[:, t]`` of shape ``(R, B, F)`` and every matmul is one ``bmm`` over the replicas.

Keras 3 semantics followed (keras/src/layers/rnn/{simple_rnn,lstm,gru,rnn,bidirectional,dropout_rnn_cell}.py
and keras/src/backend/tensorflow/rnn.py, the generic loop Keras runs on CPU):
- weights ``kernel (I, G·H)``, ``recurrent_kernel (H, G·H)``; gate order LSTM i, f, c, o; GRU z, r, h.
- SimpleRNN: h = tanh(x·W + h·U + b).
- LSTM and GRU gates use ``sigmoid``, the Keras 3 default (lstm.py, gru.py). It was ``hard_sigmoid``
  in standalone Keras ≤ 2.2 and in TF 1.x tf.keras; Keras 2.3.0 and TF 2.x tf.keras (the seed-000 paper's
  TF 2.0) switched to ``sigmoid`` (keras-team/keras release 2.3.0; tensorflow/tensorflow#47495).
- LSTM: c = f·c + i·tanh(z_c); h = o·tanh(c); bias ``(4H,)`` with the forget block 1
  (``unit_forget_bias=True``).
- GRU ``reset_after=True``: bias ``(2, 3H)`` = [input bias; recurrent bias]; r is applied after the
  recurrent matmul: hh = tanh(x_h + r·(h·U_h + b_rh)); h = z·h + (1 − z)·hh.
- Masking (``mask_zero``): at a masked step every state carries over unchanged; the output there is the
  carried h (``zero_output_for_mask=False``, plain layers) or 0 (``Bidirectional`` with
  ``return_sequences``, which forces ``zero_output_for_mask=True``). The last output (``return_sequences
  =False``) is the final, carried h.
- ``go_backwards``: the sequence (and mask) is read from the end. Keras returns the backward sequence
  reversed and ``Bidirectional`` flips it back; here the backward layer returns it already in input order.
- Dropout: one mask per sequence (the same at every step), for the inputs (``dropout``) and the
  recurrent state (``recurrent_dropout``), only in training. With ``recurrent_dropout > 0`` Keras switches
  LSTM and GRU to ``implementation=1``, which draws one mask per gate (4 or 3) for the inputs and for the
  state; without it one input mask is shared by all gates. Both are reproduced.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from torch import nn

from sweepstat.models import _fused
from sweepstat.models._dropout import Generators, dropout_mask
from sweepstat.models._init import glorot_uniform, lstm_bias, orthogonal, zeros

CellType = Literal["simple_rnn", "lstm", "gru"]
MergeMode = Literal["concat", "sum", "mul", "ave"]
N_GATES: dict[str, int] = {"simple_rnn": 1, "lstm": 4, "gru": 3}


class Recurrent(nn.Module):
    """One direction of a Keras recurrent layer, for R replicas.

    Parameters: ``kernel (R, I, G·H)`` glorot_uniform, ``recurrent_kernel (R, H, G·H)`` orthogonal,
    ``bias`` zeros — ``(R, 4H)`` with forget block 1 for LSTM, ``(R, 2, 3H)`` for GRU, ``(R, H)`` for
    SimpleRNN. G is 1, 4, 3 gates. Each replica is drawn from its own generator, in that order.
    """

    def __init__(
        self,
        cell: CellType,
        input_dim: int,
        units: int,
        gens: Sequence[torch.Generator],
        *,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        go_backwards: bool = False,
    ):
        super().__init__()
        if cell not in N_GATES:
            raise ValueError(f"cell must be one of {sorted(N_GATES)}; got {cell!r}")
        n_gates = N_GATES[cell]
        self.cell = cell
        self.input_dim = input_dim
        self.units = units
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.go_backwards = go_backwards
        # Keras's implementation=1 (per-gate masks) whenever recurrent_dropout is set, for LSTM and GRU.
        self.n_masks = n_gates if recurrent_dropout > 0 and cell != "simple_rnn" else 1
        n_rep = len(gens)
        self.kernel = nn.Parameter(glorot_uniform((input_dim, n_gates * units), gens))  # (R, I, G·H)
        self.recurrent_kernel = nn.Parameter(orthogonal((units, n_gates * units), gens))  # (R, H, G·H)
        if cell == "lstm":
            bias = lstm_bias(units, n_rep)  # (R, 4H)
        elif cell == "gru":
            bias = zeros((2, 3 * units), n_rep)  # (R, 2, 3H): input bias, recurrent bias
        else:
            bias = zeros((units,), n_rep)  # (R, H)
        self.bias = nn.Parameter(bias)

    @property
    def n_gates(self) -> int:
        return N_GATES[self.cell]

    def _input_bias(self) -> torch.Tensor:
        return self.bias[:, 0] if self.cell == "gru" else self.bias  # (R, G·H)

    def fusable(self, mask: torch.Tensor | None) -> bool:
        """Whether ``forward`` would take the fused path: fused enabled, no padding mask, no active dropout."""
        dropout_active = self.training and (self.dropout > 0 or self.recurrent_dropout > 0)
        return _fused.fused_enabled() and mask is None and not dropout_active

    def input_projection(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(kernel (R, I, G·H), bias (R, G·H)) of x·W + b, the part of the step that reads the input."""
        return self.kernel, _fused.input_bias(self.cell, self.bias)

    def forward_projected(self, xw: torch.Tensor, *, return_sequences: bool = False) -> torch.Tensor:
        """The fused path from projected inputs xw = x·W + b (R, T, B, G·H) (``input_projection``)."""
        return _fused.recurrence_projected(
            self.cell,
            xw,
            self.recurrent_kernel,
            self.bias,
            go_backwards=self.go_backwards,
            return_sequences=return_sequences,
        )

    def _gate_major(self, w: torch.Tensor) -> torch.Tensor:
        """(R, K, G·H) → (R·G, K, H): one matrix per replica and gate, for per-gate dropout masks."""
        n_rep, k, _ = w.shape
        return w.view(n_rep, k, self.n_gates, self.units).transpose(1, 2).reshape(-1, k, self.units)

    def _project_inputs(self, x: torch.Tensor, in_mask: torch.Tensor | None) -> torch.Tensor:
        """x·W + b for every step at once: (R, T, B, I) → (R, T, B, G·H)."""
        n_rep, n_t, n_b, n_in = x.shape
        gh = self.n_gates * self.units
        bias = self._input_bias().unsqueeze(1)  # (R, 1, G·H)
        if in_mask is None or self.n_masks == 1:
            if in_mask is not None:
                x = x * in_mask[:, 0].unsqueeze(1)  # (R, T, B, I), the same mask at every step
            xw = torch.baddbmm(bias, x.reshape(n_rep, n_t * n_b, n_in), self.kernel)  # (R, T·B, G·H)
            return xw.view(n_rep, n_t, n_b, gh)
        # One input mask per gate (Keras implementation=1).
        xg = x.unsqueeze(1) * in_mask.unsqueeze(2)  # (R, G, T, B, I)
        xw = torch.bmm(xg.reshape(-1, n_t * n_b, n_in), self._gate_major(self.kernel))  # (R·G, T·B, H)
        xw = xw.view(n_rep, self.n_gates, n_t, n_b, self.units).permute(0, 2, 3, 1, 4)  # (R, T, B, G, H)
        return xw.reshape(n_rep, n_t, n_b, gh) + bias.unsqueeze(1)

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None = None,
        *,
        return_sequences: bool = False,
        zero_masked_output: bool = False,
        generator: Generators = None,
    ) -> torch.Tensor:
        """Run the layer over a sequence.

        x: (R, T, B, I) float; mask: (R, T, B) bool (True = real step) or None.
        Returns (R, T, B, H) in input time order if ``return_sequences``, else the last output (R, B, H).
        Without mask and active dropout this runs the fused recurrence (``models/_fused.py``) unless
        ``set_fused(False)``; otherwise the step loop below, through autograd.
        """
        n_rep, n_t, n_b, _ = x.shape
        h_units = self.units
        use_dp = self.training and self.dropout > 0
        use_rdp = self.training and self.recurrent_dropout > 0
        in_mask = (
            dropout_mask(
                (n_rep, self.n_masks, n_b, self.input_dim), self.dropout, generator, x.device, x.dtype
            )
            if use_dp
            else None
        )  # (R, M, B, I)
        rec_mask = (
            dropout_mask(
                (n_rep, self.n_masks, n_b, h_units), self.recurrent_dropout, generator, x.device, x.dtype
            )
            if use_rdp
            else None
        )  # (R, M, B, H)
        if self.fusable(mask) and n_t * n_b > 0:
            # Same results as the loop below, as one autograd node (models/_fused.py); masking and dropout
            # stay on the plain path.
            return _fused.recurrence(
                self.cell,
                x,
                self.kernel,
                self.recurrent_kernel,
                self.bias,
                go_backwards=self.go_backwards,
                return_sequences=return_sequences,
            )

        xw_steps = self._project_inputs(x, in_mask).unbind(1)  # T × (R, B, G·H)
        mask_steps = mask.unsqueeze(-1).unbind(1) if mask is not None else None  # T × (R, B, 1)
        u = self.recurrent_kernel  # (R, H, G·H)
        u_gates = self._gate_major(u) if rec_mask is not None and self.n_masks > 1 else None  # (R·G, H, H)
        if self.cell == "gru":
            rec_bias = self.bias[:, 1:2]  # (R, 1, 3H): the recurrent bias, added inside r·(h·U_h + b_rh)

        def recurrent(h: torch.Tensor, add: torch.Tensor) -> torch.Tensor:
            """add + h·U with Keras's recurrent dropout: (R, B, H) → (R, B, G·H)."""
            if rec_mask is None:
                return torch.baddbmm(add, h, u)
            if u_gates is None:
                return torch.baddbmm(add, h * rec_mask[:, 0], u)
            hg = (h.unsqueeze(1) * rec_mask).reshape(-1, n_b, h_units)  # (R·G, B, H)
            hu = torch.bmm(hg, u_gates).view(n_rep, self.n_gates, n_b, h_units)  # (R, G, B, H)
            return add + hu.transpose(1, 2).reshape(n_rep, n_b, self.n_gates * h_units)

        h = x.new_zeros((n_rep, n_b, h_units))  # (R, B, H)
        c = x.new_zeros((n_rep, n_b, h_units)) if self.cell == "lstm" else h  # (R, B, H)
        outputs: list[torch.Tensor] = []
        order = range(n_t - 1, -1, -1) if self.go_backwards else range(n_t)
        for t in order:
            xw_t = xw_steps[t]  # (R, B, G·H)
            if self.cell == "lstm":
                z = recurrent(h, xw_t)  # (R, B, 4H)
                i, f, _, o = torch.sigmoid(z).chunk(4, dim=-1)
                c_new = torch.addcmul(f * c, i, torch.tanh(z.narrow(-1, 2 * h_units, h_units)))
                h_new = o * torch.tanh(c_new)  # (R, B, H)
            elif self.cell == "gru":
                inner = recurrent(h, rec_bias)  # (R, B, 3H) = h·U + b_rec
                zr = torch.sigmoid(xw_t[..., : 2 * h_units] + inner[..., : 2 * h_units])
                z_gate, r_gate = zr.chunk(2, dim=-1)
                hh = torch.tanh(torch.addcmul(xw_t[..., 2 * h_units :], r_gate, inner[..., 2 * h_units :]))
                h_new = torch.lerp(hh, h, z_gate)  # z·h + (1 − z)·hh
                c_new = h_new
            else:
                h_new = torch.tanh(recurrent(h, xw_t))  # (R, B, H)
                c_new = h_new
            if mask_steps is None:
                h, c = h_new, c_new
                out = h
            else:
                m_t = mask_steps[t]  # (R, B, 1)
                h = torch.where(m_t, h_new, h)
                c = torch.where(m_t, c_new, c) if self.cell == "lstm" else h
                out = torch.where(m_t, h_new, 0.0) if zero_masked_output else h
            if return_sequences:
                outputs.append(out)
        if not return_sequences:
            return h  # (R, B, H): the last output, carried over masked steps
        if self.go_backwards:
            outputs.reverse()
        return torch.stack(outputs, dim=1)  # (R, T, B, H)

    def extra_repr(self) -> str:
        return (
            f"{self.cell}, {self.input_dim} → {self.units}, replicas={self.kernel.shape[0]}, "
            f"dropout={self.dropout}, recurrent_dropout={self.recurrent_dropout}, go_backwards={self.go_backwards}"
        )


class Bidirectional(nn.Module):
    """Keras ``Bidirectional(layer, merge_mode)``: a forward and a backward copy with their own weights.

    Weights are drawn forward layer first, then backward. With ``return_sequences`` masked steps output 0
    in both directions (Keras forces ``zero_output_for_mask``); the last output of the backward layer is
    its state after reading the whole sequence from the end.
    """

    def __init__(
        self,
        cell: CellType,
        input_dim: int,
        units: int,
        gens: Sequence[torch.Generator],
        *,
        merge_mode: MergeMode = "concat",
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
    ):
        super().__init__()
        if merge_mode not in ("concat", "sum", "mul", "ave"):
            raise ValueError(f"merge_mode must be concat, sum, mul or ave; got {merge_mode!r}")
        self.merge_mode = merge_mode
        rates = {"dropout": dropout, "recurrent_dropout": recurrent_dropout}
        self.forward_layer = Recurrent(cell, input_dim, units, gens, go_backwards=False, **rates)
        self.backward_layer = Recurrent(cell, input_dim, units, gens, go_backwards=True, **rates)

    @property
    def output_features(self) -> int:
        units = self.forward_layer.units
        return 2 * units if self.merge_mode == "concat" else units

    def fusable(self, mask: torch.Tensor | None) -> bool:
        return self.forward_layer.fusable(mask) and self.backward_layer.fusable(mask)

    def input_projection(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Both directions' x·W + b side by side: kernel (R, I, 2·G·H), bias (R, 2·G·H)."""
        (k_f, b_f), (k_b, b_b) = self.forward_layer.input_projection(), self.backward_layer.input_projection()
        return torch.cat([k_f, k_b], -1), torch.cat([b_f, b_b], -1)

    def forward_projected(self, xw: torch.Tensor, *, return_sequences: bool = False) -> torch.Tensor:
        """The fused path from both directions' projected inputs (R, T, B, 2·G·H) (``input_projection``)."""
        xw_f, xw_b = xw.chunk(2, dim=-1)
        y = self.forward_layer.forward_projected(xw_f, return_sequences=return_sequences)
        y_rev = self.backward_layer.forward_projected(xw_b, return_sequences=return_sequences)
        return self._merge(y, y_rev)

    def _merge(self, y: torch.Tensor, y_rev: torch.Tensor) -> torch.Tensor:
        if self.merge_mode == "concat":
            return torch.cat([y, y_rev], dim=-1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "mul":
            return y * y_rev
        return (y + y_rev) / 2

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None = None,
        *,
        return_sequences: bool = False,
        generator: Generators = None,
    ) -> torch.Tensor:
        """x (R, T, B, I) → (R, T, B, F) or (R, B, F); F = 2H for concat, else H."""
        kw = {
            "return_sequences": return_sequences,
            "zero_masked_output": return_sequences,
            "generator": generator,
        }
        y = self.forward_layer(x, mask, **kw)
        y_rev = self.backward_layer(x, mask, **kw)  # already in input time order
        return self._merge(y, y_rev)
