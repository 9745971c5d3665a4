// CPU time loops of the fused recurrence: per step and replica one small matrix product (addmm_small below)
// and one elementwise pass, in C++.
//
// The Python loops (models/_fused_loops.py; read those first) issue 5-7 small ATen ops per step; at the
// seed-000 size (B·H = 512 values per replica) their dispatch overhead is nearly the whole cost. Here each
// step's gate arithmetic is one plain loop per replica, vectorised by the compiler. Same algorithm,
// layouts and saved buffers as the Python loops. All tensors are contiguous, float32 or float64:
//   xw (R, T, B, G·H), u (R, H, G·H), u_t (R, G·H, H), hbuf / cbuf (R, T+1, B, H), dy (R, T, B, H);
//   step t reads state slot t (forward) or t+1 (go_backwards) and writes the other.
// float32 uses the exp / tanh below (the Cephes single-precision algorithms, about 1-2 ulp, written so
// that the loops vectorise without -ffast-math, with explicit fused multiply-adds); float64 uses
// std::exp / std::tanh.
#include <torch/extension.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "_native_simd.h"  // copied beside this file by _native.py

namespace {

using at::Tensor;

inline float exp_f(float x) {
  // exp(x) = 2^n · exp(r), n = round(x / ln 2), |r| ≤ ln2 / 2. Inputs are clamped so that 2^n stays a
  // normal number; only sigmoid and tanh use it, whose values the clamp does not change. NaN passes.
  // Fused multiply-adds (std::fma, exactly rounded in every SIMD version) make it ~1.6× faster than
  // separate multiplies and adds, at the same accuracy (max relative error of tanh 1.4e-7 on [−20, 20]).
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  const float n = std::fma(x, 1.44269504088896341f, 12582912.0f) - 12582912.0f;  // round to nearest
  float r = std::fma(n, -0.693359375f, x);
  r = std::fma(n, 2.12194440e-4f, r);  // ln 2 = 0.693359375 − 2.12194440e-4, in two parts
  float p = 1.9875691500e-4f;
  p = std::fma(p, r, 1.3981999507e-3f);
  p = std::fma(p, r, 8.3334519073e-3f);
  p = std::fma(p, r, 4.1665795894e-2f);
  p = std::fma(p, r, 1.6666665459e-1f);
  p = std::fma(p, r, 5.0000001201e-1f);
  p = std::fma(p * r, r, r) + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

inline float sigmoid(float x) { return 1.0f / (1.0f + exp_f(-x)); }
inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

inline float tanh_(float x) {
  // |x| < 0.625: odd polynomial (Cephes tanhf); else 1 − 2 / (exp(2|x|) + 1) with x's sign.
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = std::fma(p, z, 2.06390887954e-2f);
  p = std::fma(p, z, -5.37397155531e-2f);
  p = std::fma(p, z, 1.33314422036e-1f);
  p = std::fma(p, z, -3.33332819422e-1f);
  const float small = std::fma(p * z, x, x);
  const float ax = std::fabs(x);
  const float big = std::copysign(1.0f - 2.0f / (exp_f(2.0f * ax) + 1.0f), x);
  return ax < 0.625f ? small : big;
}
inline double tanh_(double x) { return std::tanh(x); }

// torch.lerp(start, end, w), both of its branches, so that GRU's h matches the Python path.
template <typename T>
inline T lerp(T start, T end, T w) {
  return w < T(0.5) ? start + w * (end - start) : end - (end - start) * (T(1) - w);
}

// z (B, N) = x (B, N) + h (B, K)·u (K, N) for one replica, all row-major and contiguous; z may be x.
// The recurrent matmuls are tiny (seed 000: 32 × 16 × 64), so a library GEMM's call overhead (and ATen's
// dispatch around it) would cost more than the arithmetic. Every element is x + Σ_k h·u summed in k order
// with fused multiply-adds, in both versions below, so they give the same bits: a portable loop, and for
// float32 on x86-64 CPUs with AVX2 and FMA a register-blocked one (4 rows × 16 columns of accumulators),
// chosen at run time.
template <typename T>
SIMD_CLONES void addmm_rows(T* __restrict__ z, const T* x, const T* __restrict__ h, const T* __restrict__ u,
                            int64_t n_b, int64_t n_k, int64_t n) {
  for (int64_t b = 0; b < n_b; ++b) {
    T* __restrict__ zr = z + b * n;
    const T* xr = x + b * n;
    for (int64_t j = 0; j < n; ++j) zr[j] = xr[j];
    for (int64_t k = 0; k < n_k; ++k) {
      const T hv = h[b * n_k + k];
      const T* __restrict__ ur = u + k * n;
      for (int64_t j = 0; j < n; ++j) zr[j] = std::fma(hv, ur[j], zr[j]);
    }
  }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SWEEPSTAT_AVX2 1
__attribute__((target("avx2,fma"))) void addmm_avx2(float* z, const float* x, const float* h, const float* u,
                                                    int64_t n_b, int64_t n_k, int64_t n) {
  int64_t b = 0;
  for (; b + 4 <= n_b; b += 4) {
    const float *h0 = h + b * n_k, *h1 = h0 + n_k, *h2 = h1 + n_k, *h3 = h2 + n_k;
    int64_t j = 0;
    for (; j + 16 <= n; j += 16) {
      const float* xb = x + b * n + j;
      __m256 a00 = _mm256_loadu_ps(xb), a01 = _mm256_loadu_ps(xb + 8);
      __m256 a10 = _mm256_loadu_ps(xb + n), a11 = _mm256_loadu_ps(xb + n + 8);
      __m256 a20 = _mm256_loadu_ps(xb + 2 * n), a21 = _mm256_loadu_ps(xb + 2 * n + 8);
      __m256 a30 = _mm256_loadu_ps(xb + 3 * n), a31 = _mm256_loadu_ps(xb + 3 * n + 8);
      const float* uk = u + j;
      for (int64_t k = 0; k < n_k; ++k, uk += n) {
        const __m256 u0 = _mm256_loadu_ps(uk), u1 = _mm256_loadu_ps(uk + 8);
        __m256 hv = _mm256_broadcast_ss(h0 + k);
        a00 = _mm256_fmadd_ps(hv, u0, a00);
        a01 = _mm256_fmadd_ps(hv, u1, a01);
        hv = _mm256_broadcast_ss(h1 + k);
        a10 = _mm256_fmadd_ps(hv, u0, a10);
        a11 = _mm256_fmadd_ps(hv, u1, a11);
        hv = _mm256_broadcast_ss(h2 + k);
        a20 = _mm256_fmadd_ps(hv, u0, a20);
        a21 = _mm256_fmadd_ps(hv, u1, a21);
        hv = _mm256_broadcast_ss(h3 + k);
        a30 = _mm256_fmadd_ps(hv, u0, a30);
        a31 = _mm256_fmadd_ps(hv, u1, a31);
      }
      float* zb = z + b * n + j;
      _mm256_storeu_ps(zb, a00);
      _mm256_storeu_ps(zb + 8, a01);
      _mm256_storeu_ps(zb + n, a10);
      _mm256_storeu_ps(zb + n + 8, a11);
      _mm256_storeu_ps(zb + 2 * n, a20);
      _mm256_storeu_ps(zb + 2 * n + 8, a21);
      _mm256_storeu_ps(zb + 3 * n, a30);
      _mm256_storeu_ps(zb + 3 * n + 8, a31);
    }
    for (; j + 8 <= n; j += 8) {
      const float* xb = x + b * n + j;
      __m256 a0 = _mm256_loadu_ps(xb), a1 = _mm256_loadu_ps(xb + n);
      __m256 a2 = _mm256_loadu_ps(xb + 2 * n), a3 = _mm256_loadu_ps(xb + 3 * n);
      const float* uk = u + j;
      for (int64_t k = 0; k < n_k; ++k, uk += n) {
        const __m256 u0 = _mm256_loadu_ps(uk);
        a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(h0 + k), u0, a0);
        a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(h1 + k), u0, a1);
        a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(h2 + k), u0, a2);
        a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(h3 + k), u0, a3);
      }
      float* zb = z + b * n + j;
      _mm256_storeu_ps(zb, a0);
      _mm256_storeu_ps(zb + n, a1);
      _mm256_storeu_ps(zb + 2 * n, a2);
      _mm256_storeu_ps(zb + 3 * n, a3);
    }
    for (; j < n; ++j) {  // columns left over
      for (int64_t i = 0; i < 4; ++i) {
        float a = x[(b + i) * n + j];
        for (int64_t k = 0; k < n_k; ++k) a = std::fma(h[(b + i) * n_k + k], u[k * n + j], a);
        z[(b + i) * n + j] = a;
      }
    }
  }
  if (b < n_b) addmm_rows(z + b * n, x + b * n, h + b * n_k, u, n_b - b, n_k, n);  // rows left over
}

const bool kHasAvx2Fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif

template <typename T>
void addmm_small(T* z, const T* x, const T* h, const T* u, int64_t n_b, int64_t n_k, int64_t n) {
#ifdef SWEEPSTAT_AVX2
  if constexpr (std::is_same_v<T, float>) {
    if (kHasAvx2Fma) {
      addmm_avx2(z, x, h, u, n_b, n_k, n);
      return;
    }
  }
#endif
  addmm_rows(z, x, h, u, n_b, n_k, n);
}

// --- one step of one replica: B rows of H units; the inner loops vectorise ---------------------------
// Gate arrays have rows of G·H (gate k at k·H), state arrays rows of H. SIMD_CLONES: _native_simd.h.

// h1 = tanh(z), da = dh·(1 − h1²).
template <typename T>
SIMD_CLONES void simple_rnn_cell(const T* __restrict__ z, T* __restrict__ h1, int64_t n) {
  for (int64_t j = 0; j < n; ++j) h1[j] = tanh_(z[j]);
}

template <typename T>
SIMD_CLONES void simple_rnn_cell_grad(const T* __restrict__ dh, const T* __restrict__ h1, T* __restrict__ da,
                                      int64_t n) {
  for (int64_t j = 0; j < n; ++j) da[j] = dh[j] * (T(1) - h1[j] * h1[j]);
}

// z: pre-activations (rows of 4H: i, f, g, o) → act: activations; c1 = f·c0 + i·g, tc = tanh(c1),
// h1 = o·tc.
template <typename T>
SIMD_CLONES void lstm_cell(const T* __restrict__ z, T* __restrict__ act, const T* __restrict__ c0,
                           T* __restrict__ c1, T* __restrict__ tc, T* __restrict__ h1, int64_t rows, int64_t n) {
  for (int64_t b = 0; b < rows; ++b, z += 4 * n, act += 4 * n, c0 += n, c1 += n, tc += n, h1 += n) {
    for (int64_t j = 0; j < n; ++j) {
      const T i = sigmoid(z[j]), f = sigmoid(z[n + j]), g = tanh_(z[2 * n + j]), o = sigmoid(z[3 * n + j]);
      act[j] = i, act[n + j] = f, act[2 * n + j] = g, act[3 * n + j] = o;
      const T c = f * c0[j] + i * g;
      const T t = tanh_(c);
      c1[j] = c, tc[j] = t, h1[j] = o * t;
    }
  }
}

// dh: the gradient reaching h; dc: in, the carry's gradient from the next step (zero before the first
// backward step), which flows back through that step's forget gate (in act_next); out, this step's.
// Writes da, the pre-activation gradients (rows of 4H). No branch inside, so that the loop vectorises.
template <typename T>
SIMD_CLONES void lstm_cell_grad(const T* __restrict__ act, const T* __restrict__ act_next, const T* __restrict__ c0,
                                const T* __restrict__ tc, const T* __restrict__ dh, T* __restrict__ dc,
                                T* __restrict__ da, int64_t rows, int64_t n) {
  for (int64_t b = 0; b < rows; ++b, act += 4 * n, act_next += 4 * n, c0 += n, tc += n, dh += n, dc += n, da += 4 * n) {
    for (int64_t j = 0; j < n; ++j) {
      const T i = act[j], f = act[n + j], g = act[2 * n + j], o = act[3 * n + j], t = tc[j], d_h = dh[j];
      const T d_c = d_h * (o * (T(1) - t * t)) + dc[j] * act_next[n + j];
      dc[j] = d_c;
      da[j] = d_c * (g * i * (T(1) - i));
      da[n + j] = d_c * (c0[j] * f * (T(1) - f));
      da[2 * n + j] = d_c * (i * (T(1) - g * g));
      da[3 * n + j] = d_h * (t * o * (T(1) - o));
    }
  }
}

// z: rows of 3H [a_z, a_r, a_h = h·U_h + b_rh]; x_h: the candidate's input part. z, r = σ(a_z), σ(a_r)
// → zr (rows of 2H); cand = tanh(x_h + r·a_h); a_h is kept for the backward; h1 = z·h0 + (1 − z)·cand.
template <typename T>
SIMD_CLONES void gru_cell(const T* __restrict__ z, const T* __restrict__ x_h, const T* __restrict__ h0,
                          T* __restrict__ zr, T* __restrict__ cand, T* __restrict__ a_h, T* __restrict__ h1,
                          int64_t rows, int64_t n) {
  for (int64_t b = 0; b < rows; ++b, z += 3 * n, x_h += n, h0 += n, zr += 2 * n, cand += n, a_h += n, h1 += n) {
    for (int64_t j = 0; j < n; ++j) {
      const T zg = sigmoid(z[j]), r = sigmoid(z[n + j]), ah = z[2 * n + j];
      const T c = tanh_(x_h[j] + r * ah);
      zr[j] = zg, zr[n + j] = r, cand[j] = c, a_h[j] = ah;
      h1[j] = lerp(c, h0[j], zg);
    }
  }
}

// dh: the output's gradient plus U·da of the next step; dh_full: in, the next step's full state gradient
// (zero before the first backward step), which flows back through that step's z (in zr_next); out, this
// step's. Writes da (rows of 3H: d a_z, d a_r, d a_h) and d_cand, the candidate's pre-activation gradient.
template <typename T>
SIMD_CLONES void gru_cell_grad(const T* __restrict__ zr, const T* __restrict__ zr_next, const T* __restrict__ cand,
                               const T* __restrict__ a_h, const T* __restrict__ h0, const T* __restrict__ dh,
                               T* __restrict__ dh_full, T* __restrict__ da, T* __restrict__ d_cand, int64_t rows,
                               int64_t n) {
  for (int64_t b = 0; b < rows;
       ++b, zr += 2 * n, zr_next += 2 * n, cand += n, a_h += n, h0 += n, dh += n, dh_full += n, da += 3 * n, d_cand += n) {
    for (int64_t j = 0; j < n; ++j) {
      const T z = zr[j], r = zr[n + j], c = cand[j];
      const T d_h = dh[j] + zr_next[j] * dh_full[j];
      dh_full[j] = d_h;
      const T d_c = d_h * ((T(1) - z) * (T(1) - c * c));
      d_cand[j] = d_c;
      da[j] = d_h * ((h0[j] - c) * z * (T(1) - z));
      da[n + j] = d_c * (a_h[j] * r * (T(1) - r));
      da[2 * n + j] = d_c * r;
    }
  }
}

// --- the time loops ---------------------------------------------------------------------------------

// Where step t's data sit: per replica r, a (T or T+1, B, width) tensor's slab at time slot s.
struct Layout {
  int64_t n_rep, n_t, n_b, units;
  bool reverse;
  int64_t time(int64_t k) const { return reverse ? n_t - 1 - k : k; }  // k-th step processed
  int64_t before(int64_t t) const { return reverse ? t + 1 : t; }      // state slot step t reads
  int64_t after(int64_t t) const { return reverse ? t : t + 1; }       // state slot step t writes
  // offset of (r, slot) in a tensor with `slots` time slots and rows of `width`
  int64_t at(int64_t r, int64_t slot, int64_t slots, int64_t width) const {
    return (r * slots + slot) * n_b * width;
  }
};

Layout layout(const Tensor& x, const Tensor& hbuf, bool reverse) {
  return {x.size(0), x.size(1), x.size(2), hbuf.size(3), reverse};
}

void check(std::initializer_list<const Tensor*> ts) {
  for (const Tensor* t : ts) {
    TORCH_CHECK(t->device().is_cpu() && t->is_contiguous(), "fused recurrence: expected contiguous CPU tensors");
  }
}

// dh (B, H) = dy[r, t] + da[r, t_next]·Uᵀ, replica r's gradient reaching the state after step t.
template <typename T>
void incoming(T* dh, const Tensor& dy, const Tensor& u_t, const Tensor& da, int64_t r, int64_t t, int64_t t_next) {
  const int64_t n_t = dy.size(1), n_b = dy.size(2), units = dy.size(3), gh = da.size(3);
  const T* dyp = dy.data_ptr<T>() + (r * n_t + t) * n_b * units;
  if (t_next < 0) {
    std::memcpy(dh, dyp, sizeof(T) * n_b * units);
  } else {
    const T* dap = da.data_ptr<T>() + (r * n_t + t_next) * n_b * gh;
    addmm_small(dh, dyp, dap, u_t.data_ptr<T>() + r * gh * units, n_b, gh, units);
  }
}

// z (B, G·H) = xw[r, t] + hbuf[r, slot]·U, replica r's pre-activations at step t.
template <typename T>
void preactivation(T* z, const Tensor& xw, const Tensor& hbuf, const Tensor& u, int64_t r, int64_t t, int64_t slot) {
  const int64_t n_t = xw.size(1), n_b = xw.size(2), gh = xw.size(3), units = hbuf.size(3);
  addmm_small(z, xw.data_ptr<T>() + (r * n_t + t) * n_b * gh, hbuf.data_ptr<T>() + (r * (n_t + 1) + slot) * n_b * units,
              u.data_ptr<T>() + r * units * gh, n_b, units, gh);
}

void simple_rnn_forward(const Tensor& xw, const Tensor& u, Tensor hbuf, bool reverse) {
  check({&xw, &u, &hbuf});
  const Layout l = layout(xw, hbuf, reverse);
  const int64_t nh = l.n_b * l.units, s1 = l.n_t + 1;
  Tensor z = at::empty({l.n_b, l.units}, xw.options());  // one replica's pre-activations
  AT_DISPATCH_FLOATING_TYPES(xw.scalar_type(), "simple_rnn_forward", [&] {
    scalar_t *h = hbuf.data_ptr<scalar_t>(), *zp = z.data_ptr<scalar_t>();
    for (int64_t k = 0; k < l.n_t; ++k) {
      const int64_t t = l.time(k);
      for (int64_t r = 0; r < l.n_rep; ++r) {
        preactivation(zp, xw, hbuf, u, r, t, l.before(t));
        simple_rnn_cell(zp, h + l.at(r, l.after(t), s1, l.units), nh);
      }
    }
  });
}

Tensor simple_rnn_backward(const Tensor& dy, const Tensor& u_t, const Tensor& hbuf, bool reverse) {
  check({&dy, &u_t, &hbuf});
  const Layout l = layout(dy, hbuf, reverse);
  const int64_t nh = l.n_b * l.units, s1 = l.n_t + 1;
  Tensor da = at::empty_like(dy);  // (R, T, B, H)
  Tensor dh = at::empty({l.n_rep, l.n_b, l.units}, dy.options());
  AT_DISPATCH_FLOATING_TYPES(dy.scalar_type(), "simple_rnn_backward", [&] {
    const scalar_t* h = hbuf.data_ptr<scalar_t>();
    scalar_t *d = da.data_ptr<scalar_t>(), *dhp = dh.data_ptr<scalar_t>();
    int64_t t_next = -1;
    for (int64_t k = l.n_t - 1; k >= 0; --k) {
      const int64_t t = l.time(k);
      for (int64_t r = 0; r < l.n_rep; ++r) {
        incoming(dhp + r * nh, dy, u_t, da, r, t, t_next);
        simple_rnn_cell_grad(dhp + r * nh, h + l.at(r, l.after(t), s1, l.units), d + l.at(r, t, l.n_t, l.units), nh);
      }
      t_next = t;
    }
  });
  return da;
}

void lstm_forward(const Tensor& xw, const Tensor& u, Tensor hbuf, Tensor cbuf, Tensor gates, Tensor tanh_c,
                  bool reverse) {
  check({&xw, &u, &hbuf, &cbuf, &gates, &tanh_c});
  const Layout l = layout(xw, hbuf, reverse);
  const int64_t H = l.units, s1 = l.n_t + 1;
  Tensor z = at::empty({l.n_b, 4 * H}, xw.options());  // one replica's pre-activations
  AT_DISPATCH_FLOATING_TYPES(xw.scalar_type(), "lstm_forward", [&] {
    scalar_t *h = hbuf.data_ptr<scalar_t>(), *c = cbuf.data_ptr<scalar_t>(), *zp = z.data_ptr<scalar_t>();
    scalar_t *act = gates.data_ptr<scalar_t>(), *tc = tanh_c.data_ptr<scalar_t>();
    for (int64_t k = 0; k < l.n_t; ++k) {
      const int64_t t = l.time(k), t0 = l.before(t), t1 = l.after(t);
      for (int64_t r = 0; r < l.n_rep; ++r) {
        preactivation(zp, xw, hbuf, u, r, t, t0);
        lstm_cell(zp, act + l.at(r, t, l.n_t, 4 * H), c + l.at(r, t0, s1, H),
                  c + l.at(r, t1, s1, H), tc + l.at(r, t, l.n_t, H), h + l.at(r, t1, s1, H), l.n_b, H);
      }
    }
  });
}

Tensor lstm_backward(const Tensor& dy, const Tensor& u_t, const Tensor& hbuf, const Tensor& cbuf,
                     const Tensor& gates, const Tensor& tanh_c, bool reverse) {
  check({&dy, &u_t, &hbuf, &cbuf, &gates, &tanh_c});
  const Layout l = layout(dy, hbuf, reverse);
  const int64_t H = l.units, s1 = l.n_t + 1;
  Tensor da = at::empty_like(gates);  // (R, T, B, 4H)
  Tensor dh = at::empty({l.n_rep, l.n_b, H}, dy.options());
  Tensor dc = at::zeros_like(dh);  // the carry's gradient, updated in place step by step
  AT_DISPATCH_FLOATING_TYPES(dy.scalar_type(), "lstm_backward", [&] {
    const scalar_t *c = cbuf.data_ptr<scalar_t>(), *act = gates.data_ptr<scalar_t>();
    const scalar_t* tc = tanh_c.data_ptr<scalar_t>();
    scalar_t *d = da.data_ptr<scalar_t>(), *dcp = dc.data_ptr<scalar_t>(), *dhp = dh.data_ptr<scalar_t>();
    int64_t t_next = -1;
    for (int64_t k = l.n_t - 1; k >= 0; --k) {
      const int64_t t = l.time(k), tn = t_next >= 0 ? t_next : t;  // tn's f meets dc = 0 at first
      for (int64_t r = 0; r < l.n_rep; ++r) {
        incoming(dhp + r * l.n_b * H, dy, u_t, da, r, t, t_next);
        lstm_cell_grad(act + l.at(r, t, l.n_t, 4 * H), act + l.at(r, tn, l.n_t, 4 * H), c + l.at(r, l.before(t), s1, H),
                       tc + l.at(r, t, l.n_t, H), dhp + r * l.n_b * H, dcp + r * l.n_b * H,
                       d + l.at(r, t, l.n_t, 4 * H), l.n_b, H);
      }
      t_next = t;
    }
  });
  return da;
}

void gru_forward(const Tensor& xw, const Tensor& x_h, const Tensor& u, Tensor hbuf, Tensor zr, Tensor hh,
                 Tensor a_h, bool reverse) {
  check({&xw, &x_h, &u, &hbuf, &zr, &hh, &a_h});
  const Layout l = layout(xw, hbuf, reverse);
  const int64_t H = l.units, s1 = l.n_t + 1;
  Tensor z = at::empty({l.n_b, 3 * H}, xw.options());  // one replica's pre-activations
  AT_DISPATCH_FLOATING_TYPES(xw.scalar_type(), "gru_forward", [&] {
    const scalar_t* xh = x_h.data_ptr<scalar_t>();
    scalar_t* zp = z.data_ptr<scalar_t>();
    scalar_t *h = hbuf.data_ptr<scalar_t>(), *zrp = zr.data_ptr<scalar_t>();
    scalar_t *cand = hh.data_ptr<scalar_t>(), *ah = a_h.data_ptr<scalar_t>();
    for (int64_t k = 0; k < l.n_t; ++k) {
      const int64_t t = l.time(k), t0 = l.before(t), t1 = l.after(t);
      for (int64_t r = 0; r < l.n_rep; ++r) {
        const int64_t o = l.at(r, t, l.n_t, H);
        preactivation(zp, xw, hbuf, u, r, t, t0);
        gru_cell(zp, xh + o, h + l.at(r, t0, s1, H), zrp + l.at(r, t, l.n_t, 2 * H), cand + o,
                 ah + o, h + l.at(r, t1, s1, H), l.n_b, H);
      }
    }
  });
}

std::vector<Tensor> gru_backward(const Tensor& dy, const Tensor& u_t, const Tensor& hbuf, const Tensor& zr,
                                 const Tensor& hh, const Tensor& a_h, bool reverse) {
  check({&dy, &u_t, &hbuf, &zr, &hh, &a_h});
  const Layout l = layout(dy, hbuf, reverse);
  const int64_t H = l.units, s1 = l.n_t + 1;
  Tensor da = at::empty({l.n_rep, l.n_t, l.n_b, 3 * H}, dy.options());
  Tensor d_cand = at::empty_like(hh);  // (R, T, B, H)
  Tensor dh = at::empty({l.n_rep, l.n_b, H}, dy.options());
  Tensor dh_full = at::zeros_like(dh);  // the full gradient of the next step's state, for h → z·h
  AT_DISPATCH_FLOATING_TYPES(dy.scalar_type(), "gru_backward", [&] {
    const scalar_t *h = hbuf.data_ptr<scalar_t>(), *zrp = zr.data_ptr<scalar_t>();
    const scalar_t *cand = hh.data_ptr<scalar_t>(), *ah = a_h.data_ptr<scalar_t>();
    scalar_t *d = da.data_ptr<scalar_t>(), *dc = d_cand.data_ptr<scalar_t>(), *dfull = dh_full.data_ptr<scalar_t>();
    scalar_t* dhp = dh.data_ptr<scalar_t>();
    int64_t t_next = -1;
    for (int64_t k = l.n_t - 1; k >= 0; --k) {
      const int64_t t = l.time(k), tn = t_next >= 0 ? t_next : t;  // tn's z meets dh_full = 0 at first
      for (int64_t r = 0; r < l.n_rep; ++r) {
        const int64_t o = l.at(r, t, l.n_t, H);
        incoming(dhp + r * l.n_b * H, dy, u_t, da, r, t, t_next);
        gru_cell_grad(zrp + l.at(r, t, l.n_t, 2 * H), zrp + l.at(r, tn, l.n_t, 2 * H), cand + o, ah + o,
                      h + l.at(r, l.before(t), s1, H), dhp + r * l.n_b * H, dfull + r * l.n_b * H,
                      d + l.at(r, t, l.n_t, 3 * H), dc + o, l.n_b, H);
      }
      t_next = t;
    }
  });
  return {da, d_cand};
}

}  // namespace

void register_recurrence(pybind11::module_& m) {
  m.def("simple_rnn_forward", &simple_rnn_forward);
  m.def("simple_rnn_backward", &simple_rnn_backward);
  m.def("lstm_forward", &lstm_forward);
  m.def("lstm_backward", &lstm_backward);
  m.def("gru_forward", &gru_forward);
  m.def("gru_backward", &gru_backward);
}
