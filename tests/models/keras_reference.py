"""The Keras 3 recurrent equations in plain numpy, one sample batch, batch-major as Keras writes them.

Written from keras/src/layers/rnn/{simple_rnn,lstm,gru,bidirectional}.py and the generic loop of
keras/src/backend/tensorflow/rnn.py, independently of sweepstat's code, to check it against.
Shapes: x (B, T, I); kernel (I, G·H); recurrent_kernel (H, G·H); mask (B, T) bool or None.
Dropout masks, when given, are lists of per-gate masks (Keras implementation=1) or a single mask.
"""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _cell_step(cell, x_t, h, c, w, u, b, dp, rdp):
    """One Keras cell call; returns (output, h, c)."""
    units = u.shape[0]
    if cell == "simple_rnn":
        xin = x_t * dp if dp is not None else x_t
        hin = h * rdp if rdp is not None else h
        out = np.tanh(xin @ w + b + hin @ u)
        return out, out, c
    n_gates = 4 if cell == "lstm" else 3
    # Per-gate inputs: implementation=1 when masks are lists, else one shared input.
    xs = [x_t * m for m in dp] if isinstance(dp, list) else [x_t * dp if dp is not None else x_t] * n_gates
    hs = [h * m for m in rdp] if isinstance(rdp, list) else [h * rdp if rdp is not None else h] * n_gates
    wk = [w[:, k * units : (k + 1) * units] for k in range(n_gates)]
    uk = [u[:, k * units : (k + 1) * units] for k in range(n_gates)]
    if cell == "lstm":
        bk = [b[k * units : (k + 1) * units] for k in range(4)]
        i = sigmoid(xs[0] @ wk[0] + bk[0] + hs[0] @ uk[0])
        f = sigmoid(xs[1] @ wk[1] + bk[1] + hs[1] @ uk[1])
        c_new = f * c + i * np.tanh(xs[2] @ wk[2] + bk[2] + hs[2] @ uk[2])
        o = sigmoid(xs[3] @ wk[3] + bk[3] + hs[3] @ uk[3])
        h_new = o * np.tanh(c_new)
        return h_new, h_new, c_new
    b_in, b_rec = b[0], b[1]
    bi = [b_in[k * units : (k + 1) * units] for k in range(3)]
    br = [b_rec[k * units : (k + 1) * units] for k in range(3)]
    z = sigmoid(xs[0] @ wk[0] + bi[0] + hs[0] @ uk[0] + br[0])
    r = sigmoid(xs[1] @ wk[1] + bi[1] + hs[1] @ uk[1] + br[1])
    hh = np.tanh(xs[2] @ wk[2] + bi[2] + r * (hs[2] @ uk[2] + br[2]))
    h_new = z * h + (1 - z) * hh
    return h_new, h_new, h_new


def rnn(
    cell: str,
    x: np.ndarray,
    w: np.ndarray,
    u: np.ndarray,
    b: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    go_backwards: bool = False,
    zero_output_for_mask: bool = False,
    dp=None,
    rdp=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Keras ``RNN`` layer: returns (outputs (B, T, H) in processing order as Keras does, last output)."""
    n_b, n_t, _ = x.shape
    units = u.shape[0]
    h = np.zeros((n_b, units))
    c = np.zeros((n_b, units))
    prev_out = np.zeros((n_b, units))
    steps = range(n_t - 1, -1, -1) if go_backwards else range(n_t)
    outs = []
    for t in steps:
        out, h_new, c_new = _cell_step(cell, x[:, t], h, c, w, u, b, dp, rdp)
        if mask is not None:
            m = mask[:, t][:, None]
            out = np.where(m, out, 0.0 if zero_output_for_mask else prev_out)
            h = np.where(m, h_new, h)
            c = np.where(m, c_new, c)
        else:
            h, c = h_new, c_new
        prev_out = out
        outs.append(out)
    return np.stack(outs, axis=1), outs[-1]


def bidirectional(
    cell: str,
    x: np.ndarray,
    fwd: tuple[np.ndarray, np.ndarray, np.ndarray],
    bwd: tuple[np.ndarray, np.ndarray, np.ndarray],
    mask: np.ndarray | None = None,
    *,
    merge_mode: str = "concat",
    return_sequences: bool = True,
) -> np.ndarray:
    """Keras ``Bidirectional``: zero_output_for_mask = return_sequences; backward output flipped back."""
    y_seq, y_last = rnn(cell, x, *fwd, mask, zero_output_for_mask=return_sequences)
    r_seq, r_last = rnn(cell, x, *bwd, mask, go_backwards=True, zero_output_for_mask=return_sequences)
    y, y_rev = (y_seq, r_seq[:, ::-1]) if return_sequences else (y_last, r_last)
    if merge_mode == "concat":
        return np.concatenate([y, y_rev], axis=-1)
    if merge_mode == "sum":
        return y + y_rev
    if merge_mode == "mul":
        return y * y_rev
    return (y + y_rev) / 2
