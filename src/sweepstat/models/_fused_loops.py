"""The time loops of the fused recurrence (``models/_fused.py``): per cell, a forward and a backward loop.

Layout, as everywhere in ``models``: replicas first, then time: ``xw (R, T, B, G·H)`` the projected
inputs x·W + b, ``u (R, H, G·H)`` the recurrent kernel, ``hbuf (R, T+1, B, H)`` the states (slot t holds
the state before step t of the forward direction; ``go_backwards`` reads slot t+1 and writes slot t), and
``dy (R, T, B, H)`` the output gradients.

A forward loop fills ``hbuf`` (zeroed by the caller) and returns what its backward needs; a backward
loop returns ``da (R, T, B, G·H)``, the gradient of x·W + h·U + b at every step, and ``dxw``, the
gradient of x·W + b (the same tensor except for GRU's candidate block, where r multiplies h·U_h + b_rh).

On CPU (float32, float64) the loops run in C++ (``_fused_cpu.cpp``: per step and replica one small
matrix product and one vectorised elementwise pass), compiled on first use and cached by torch
(``sweepstat._native``); without a compiler they fall
back to the Python loops below, which do the same with torch ops and are what runs on CUDA. Both keep the
same buffers, so a forward of one may be followed by a backward of the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from sweepstat._native import cpu_kernels as _cpu_kernels

Tensor = torch.Tensor
_USE_CPU_KERNELS = True  # tests turn it off to check the Python loops on CPU


def build_cpu_kernels() -> Any | None:
    """Compile sweepstat's C++ kernels (``sweepstat._native``) and return the module, or None (with a
    warning) if they cannot be built; only the first call on a machine compiles."""
    return _cpu_kernels()


def _kernels(t: Tensor) -> Any | None:
    """The C++ loops if they apply to tensors like ``t`` (CPU, float32 / float64), else None."""
    if not _USE_CPU_KERNELS or t.device.type != "cpu" or t.dtype not in (torch.float32, torch.float64):
        return None
    return _cpu_kernels()


def _steps(n_t: int, reverse: bool) -> range:
    return range(n_t - 1, -1, -1) if reverse else range(n_t)


def before(hbuf: Tensor, reverse: bool) -> Tensor:
    """(R, T, B, H) view: the state each step starts from."""
    return hbuf[:, 1:] if reverse else hbuf[:, :-1]


def after(hbuf: Tensor, reverse: bool) -> Tensor:
    """(R, T, B, H) view: the state each step ends with, i.e. its output."""
    return hbuf[:, :-1] if reverse else hbuf[:, 1:]


def _around(buf: Tensor, reverse: bool) -> tuple[tuple[Tensor, ...], tuple[Tensor, ...]]:
    """Per step t, the (R, B, H) views of the state before and after it."""
    return before(buf, reverse).unbind(1), after(buf, reverse).unbind(1)


def _incoming(dys: Sequence[Tensor], u_t: Tensor, das: Sequence[Tensor], t: int, t_next: int) -> Tensor:
    """The gradient reaching the state after step t: its output's, plus da·Uᵀ of the step that read it."""
    return dys[t] if t_next < 0 else torch.baddbmm(dys[t], das[t_next], u_t)  # (R, B, H)


def simple_rnn_forward(
    xw: Tensor, u: Tensor, bias: Tensor, reverse: bool, hbuf: Tensor
) -> tuple[Tensor, ...]:
    kernels = _kernels(xw)
    if kernels is not None:
        kernels.simple_rnn_forward(xw, u.contiguous(), hbuf, reverse)
        return ()
    xs = xw.unbind(1)
    h_in, h_out = _around(hbuf, reverse)
    for t in _steps(xw.shape[1], reverse):
        torch.tanh(torch.baddbmm(xs[t], h_in[t], u), out=h_out[t])  # (R, B, H)
    return ()


def simple_rnn_backward(
    dy: Tensor, u: Tensor, reverse: bool, hbuf: Tensor, saved: Sequence[Tensor]
) -> tuple[Tensor, Tensor]:
    u_t = u.transpose(1, 2).contiguous()  # (R, H, H)
    kernels = _kernels(dy)
    if kernels is not None:
        da = kernels.simple_rnn_backward(dy, u_t, hbuf, reverse)
        return da, da
    h = after(hbuf, reverse)  # (R, T, B, H)
    dtanh, dys = (1 - h * h).unbind(1), dy.unbind(1)
    da = torch.empty_like(dy)  # (R, T, B, H)
    das = da.unbind(1)
    t_next = -1
    for t in reversed(_steps(dy.shape[1], reverse)):
        torch.mul(_incoming(dys, u_t, das, t, t_next), dtanh[t], out=das[t])
        t_next = t
    return da, da


def lstm_forward(xw: Tensor, u: Tensor, bias: Tensor, reverse: bool, hbuf: Tensor) -> tuple[Tensor, ...]:
    """Saves the gates after their activations (R, T, B, 4H; Keras order i, f, g, o), the carries
    (R, T+1, B, H, slots as hbuf) and tanh of each new carry (R, T, B, H)."""
    n_rep, n_t, n_b, gh = xw.shape
    units = gh // 4
    gates = torch.empty_like(xw)
    cbuf = torch.zeros_like(hbuf)
    tanh_c = xw.new_empty((n_rep, n_t, n_b, units))
    kernels = _kernels(xw)
    if kernels is not None:
        kernels.lstm_forward(xw, u.contiguous(), hbuf, cbuf, gates, tanh_c, reverse)
        return gates, cbuf, tanh_c
    z = xw.new_empty((n_rep, n_b, gh))  # pre-activations of one step
    z_g = z[..., 2 * units : 3 * units]
    xs, acts, tcs = xw.unbind(1), gates.unbind(1), tanh_c.unbind(1)
    i_s, f_s, g_s, o_s = (gates[..., k * units : (k + 1) * units].unbind(1) for k in range(4))
    h_in, h_out = _around(hbuf, reverse)
    c_in, c_out = _around(cbuf, reverse)
    for t in _steps(n_t, reverse):
        torch.baddbmm(xs[t], h_in[t], u, out=z)
        torch.sigmoid(z, out=acts[t])  # one op over all gates; g's block is overwritten next
        torch.tanh(z_g, out=g_s[t])
        torch.mul(f_s[t], c_in[t], out=c_out[t]).addcmul_(i_s[t], g_s[t])  # c = f·c + i·g
        torch.tanh(c_out[t], out=tcs[t])
        torch.mul(o_s[t], tcs[t], out=h_out[t])  # h = o·tanh(c)
    return gates, cbuf, tanh_c


def lstm_backward(
    dy: Tensor, u: Tensor, reverse: bool, hbuf: Tensor, saved: Sequence[Tensor]
) -> tuple[Tensor, Tensor]:
    gates, cbuf, tanh_c = saved
    u_t = u.transpose(1, 2).contiguous()  # (R, 4H, H)
    kernels = _kernels(dy)
    if kernels is not None:
        da = kernels.lstm_backward(dy, u_t, hbuf, cbuf, gates, tanh_c, reverse)
        return da, da
    n_rep, n_t, n_b, gh = gates.shape
    units = gh // 4
    i, f, g, o = gates.split(units, -1)  # (R, T, B, H) each
    # d(pre-activation) per unit of dc for i, f, g and per unit of dh for o, all steps at once
    slope = torch.cat(
        [g * i * (1 - i), before(cbuf, reverse) * f * (1 - f), i * (1 - g * g), tanh_c * o * (1 - o)], -1
    ).view(n_rep, n_t, n_b, 4, units)
    dc_dh = (o * (1 - tanh_c * tanh_c)).unbind(1)  # (R, B, H) per step
    da = torch.empty_like(gates)  # (R, T, B, 4H)
    da4 = da.view(n_rep, n_t, n_b, 4, units)
    das, d_ifg, d_o = da.unbind(1), da4[..., :3, :].unbind(1), da4[..., 3, :].unbind(1)
    s_ifg, s_o, f_s, dys = slope[..., :3, :].unbind(1), slope[..., 3, :].unbind(1), f.unbind(1), dy.unbind(1)
    t_next = -1
    dc = gates.new_zeros(())
    for t in reversed(_steps(n_t, reverse)):
        dh = _incoming(dys, u_t, das, t, t_next)  # (R, B, H)
        dc = dh * dc_dh[t] if t_next < 0 else torch.addcmul(dh * dc_dh[t], dc, f_s[t_next])
        torch.mul(dc.unsqueeze(-2), s_ifg[t], out=d_ifg[t])
        torch.mul(dh, s_o[t], out=d_o[t])
        t_next = t
    return da, da


def gru_forward(xw: Tensor, u: Tensor, bias: Tensor, reverse: bool, hbuf: Tensor) -> tuple[Tensor, ...]:
    """``xw`` must hold x·W + b_in + [b_rz, b_rr, 0]; its candidate block is replaced by b_rh here, so that
    one baddbmm gives [a_z, a_r, a_h = h·U_h + b_rh]. Saves z and r (R, T, B, 2H), the candidate after
    tanh and a_h (R, T, B, H each)."""
    n_rep, n_t, n_b, gh = xw.shape
    units = gh // 3
    x_h = xw[..., 2 * units :].clone()  # (R, T, B, H): the candidate's x·W_h + b_ih
    xw[..., 2 * units :] = bias[:, 1, 2 * units :].view(n_rep, 1, 1, units)
    zr = xw.new_empty((n_rep, n_t, n_b, 2 * units))
    hh, a_h = torch.empty_like(x_h), torch.empty_like(x_h)
    kernels = _kernels(xw)
    if kernels is not None:
        kernels.gru_forward(xw, x_h, u.contiguous(), hbuf, zr, hh, a_h, reverse)
        return zr, hh, a_h
    z = xw.new_empty((n_rep, n_b, gh))  # [a_z, a_r, a_h] of one step
    xs, zr_s, xh_s, hh_s, ah_s = xw.unbind(1), zr.unbind(1), x_h.unbind(1), hh.unbind(1), a_h.unbind(1)
    z_s, r_s = zr[..., :units].unbind(1), zr[..., units:].unbind(1)
    h_in, h_out = _around(hbuf, reverse)
    for t in _steps(n_t, reverse):
        torch.baddbmm(xs[t], h_in[t], u, out=z)
        torch.sigmoid(z[..., : 2 * units], out=zr_s[t])
        ah_s[t].copy_(z[..., 2 * units :])
        torch.addcmul(xh_s[t], r_s[t], ah_s[t], out=hh_s[t]).tanh_()  # tanh(x_h + r·(h·U_h + b_rh))
        torch.lerp(hh_s[t], h_in[t], z_s[t], out=h_out[t])  # z·h + (1 − z)·hh
    return zr, hh, a_h


def gru_backward(
    dy: Tensor, u: Tensor, reverse: bool, hbuf: Tensor, saved: Sequence[Tensor]
) -> tuple[Tensor, Tensor]:
    zr, hh, a_h = saved
    n_rep, n_t, n_b, units = hh.shape
    u_t = u.transpose(1, 2).contiguous()  # (R, 3H, H)
    kernels = _kernels(dy)
    if kernels is not None:
        da, d_hh = kernels.gru_backward(dy, u_t, hbuf, zr, hh, a_h, reverse)
        return da, torch.cat([da[..., : 2 * units], d_hh], -1)
    z, r = zr.split(units, -1)  # (R, T, B, H) each
    s_hh = ((1 - z) * (1 - hh * hh)).unbind(1)  # d(candidate pre-activation) / dh
    s_z = ((before(hbuf, reverse) - hh) * z * (1 - z)).unbind(1)  # d a_z / dh
    s_rh = torch.stack([a_h * r * (1 - r), r], -2).unbind(1)  # (R, B, 2, H): d a_r, d a_h per d(cand.)
    da = hh.new_empty((n_rep, n_t, n_b, 3 * units))
    da3 = da.view(n_rep, n_t, n_b, 3, units)
    das, d_z, d_rh = da.unbind(1), da3[..., 0, :].unbind(1), da3[..., 1:, :].unbind(1)
    d_hh = torch.empty_like(hh)  # (R, T, B, H): gradient of the candidate's pre-activation
    d_hh_s, z_s, dys = d_hh.unbind(1), z.unbind(1), dy.unbind(1)
    t_next = -1
    dh_next = hh.new_zeros(())
    for t in reversed(_steps(n_t, reverse)):
        dh = _incoming(dys, u_t, das, t, t_next)
        if t_next >= 0:
            dh.addcmul_(z_s[t_next], dh_next)  # the direct path h → z·h of the next step
        torch.mul(dh, s_hh[t], out=d_hh_s[t])
        torch.mul(dh, s_z[t], out=d_z[t])
        torch.mul(d_hh_s[t].unsqueeze(-2), s_rh[t], out=d_rh[t])
        dh_next, t_next = dh, t
    return da, torch.cat([da[..., : 2 * units], d_hh], -1)


LOOPS = {
    "simple_rnn": (simple_rnn_forward, simple_rnn_backward),
    "lstm": (lstm_forward, lstm_backward),
    "gru": (gru_forward, gru_backward),
}
