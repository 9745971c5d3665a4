// Row-wise ("lazy") Keras Adam and RMSprop for an embedding table whose gradient arrives as rows.
//
// Keras updates the whole (V, E) table at every step, also the rows the batch did not use: their gradient
// is zero, but Adam's moments decay and still move the weights, and RMSprop's velocity decays. Here a
// row is brought up to date only when it is read or given a gradient: the steps it missed are replayed
// with g = 0, one by one, with the same float operations as a step of the dense update, so the result is
// the same bits as updating every row at every step (tests/engine/test_sparse.py checks that). Only the
// memory traffic changes: a row is loaded once for all its missed steps instead of once per step.
//
// Tensors (all contiguous, CPU, float32 or float64 for the table):
//   p, m, v   (R·V, E)  the table and its optimizer state, rows r·V + i
//   last      (R·V,)    int64: the step each row is up to date with (steps count from 1)
//   alphas    (R, cap)  Adam only: column s − 1 holds step s's lr·sqrt(1−β2^s)/(1−β1^s), per replica
//   rows      (U,)      int64 row ids r·V + i; duplicates are harmless
//   grads     (U, E)    the gradient rows, or an empty tensor to only catch up
//   skip      (R,)      uint8: replicas left alone (frozen: learning rate 0 and zeroed state)
// With grads, each row is first caught up to step `upto` − 1 and then takes step `upto` with its gradient;
// without, rows are caught up to step `upto`.
//
// The float operations mirror the PyTorch expressions of engine/_optimizers.py: Adam's m.lerp_(g, 1 − β1)
// is torch's vectorised lerp, m + w·(g − m) as one fused multiply-add (std::fma); v likewise with g²;
// p −= (m·alpha) / (sqrt(v) + ε). RMSprop: v = v·ρ + (g·g)·(1 − ρ); p −= (g·lr) / sqrt(v + ε).
#include <torch/extension.h>

#include <cmath>
#include <cstdint>

#include "_native_simd.h"  // copied beside this file by _native.py

namespace {

using at::Tensor;

template <typename T>
SIMD_CLONES void adam_idle(T* __restrict__ p, T* __restrict__ m, T* __restrict__ v, const T* __restrict__ alphas,
                           int64_t n_steps, int64_t n, T w1, T w2, T eps) {
  for (int64_t s = 0; s < n_steps; ++s) {
    const T a = alphas[s];
    for (int64_t j = 0; j < n; ++j) {
      const T mj = std::fma(w1, T(0) - m[j], m[j]);
      const T vj = std::fma(w2, T(0) - v[j], v[j]);  // g·g − v with g = 0
      m[j] = mj;
      v[j] = vj;
      p[j] = p[j] - (mj * a) / (std::sqrt(vj) + eps);
    }
  }
}

template <typename T>
SIMD_CLONES void adam_grad(T* __restrict__ p, T* __restrict__ m, T* __restrict__ v, const T* __restrict__ g, T a,
                           int64_t n, T w1, T w2, T eps) {
  for (int64_t j = 0; j < n; ++j) {
    const T gj = g[j];
    const T mj = std::fma(w1, gj - m[j], m[j]);
    const T vj = std::fma(w2, gj * gj - v[j], v[j]);
    m[j] = mj;
    v[j] = vj;
    p[j] = p[j] - (mj * a) / (std::sqrt(vj) + eps);
  }
}

template <typename T>
SIMD_CLONES void rmsprop_idle(T* __restrict__ v, int64_t n_steps, int64_t n, T rho) {
  for (int64_t s = 0; s < n_steps; ++s) {
    for (int64_t j = 0; j < n; ++j) v[j] = v[j] * rho;  // + (0·0)·(1 − ρ) adds exactly 0
  }
}

template <typename T>
SIMD_CLONES void rmsprop_grad(T* __restrict__ p, T* __restrict__ v, const T* __restrict__ g, T lr, int64_t n, T rho,
                              T w, T eps) {
  for (int64_t j = 0; j < n; ++j) {
    const T gj = g[j];
    const T vj = v[j] * rho + (gj * gj) * w;
    v[j] = vj;
    p[j] = p[j] - (gj * lr) / std::sqrt(vj + eps);
  }
}

struct Rows {
  int64_t n_rows, width, vocab;
  const int64_t* ids;
  int64_t* last;
  const uint8_t* skip;
};

Rows rows_of(const Tensor& p, const Tensor& last, const Tensor& rows, const Tensor& skip, int64_t vocab,
             const Tensor& grads) {
  for (const Tensor* t : {&p, &last, &rows, &skip, &grads}) {
    TORCH_CHECK(t->device().is_cpu() && t->is_contiguous(), "sparse optimizer: expected contiguous CPU tensors");
  }
  TORCH_CHECK(p.dim() == 2 && last.dim() == 1 && last.size(0) == p.size(0), "sparse optimizer: bad shapes");
  TORCH_CHECK(last.scalar_type() == at::kLong && rows.scalar_type() == at::kLong, "sparse optimizer: int64 ids");
  TORCH_CHECK(skip.scalar_type() == at::kByte && skip.size(0) * vocab == p.size(0), "sparse optimizer: bad skip");
  TORCH_CHECK(grads.numel() == 0 || (grads.dim() == 2 && grads.size(0) == rows.size(0) && grads.size(1) == p.size(1) &&
                                     grads.scalar_type() == p.scalar_type()),
              "sparse optimizer: gradient rows must be (U, E) of the table's dtype");
  const int64_t* ids = rows.data_ptr<int64_t>();
  for (int64_t k = 0; k < rows.size(0); ++k) {
    TORCH_CHECK(ids[k] >= 0 && ids[k] < p.size(0), "sparse optimizer: row id out of range");
  }
  return {rows.size(0), p.size(1), vocab, ids, last.data_ptr<int64_t>(), skip.data_ptr<uint8_t>()};
}

void adam_rows(Tensor p, Tensor m, Tensor v, Tensor last, const Tensor& alphas, const Tensor& rows, const Tensor& grads,
               const Tensor& skip, int64_t upto, int64_t vocab, double beta_1_weight, double beta_2_weight,
               double epsilon) {
  const Rows r = rows_of(p, last, rows, skip, vocab, grads);
  TORCH_CHECK(m.sizes() == p.sizes() && v.sizes() == p.sizes() && m.is_contiguous() && v.is_contiguous(),
              "sparse optimizer: state must be shaped like the table");
  TORCH_CHECK(alphas.is_contiguous() && alphas.dim() == 2 && alphas.size(1) >= upto &&
                  alphas.scalar_type() == p.scalar_type(),
              "sparse optimizer: alphas must be (R, ≥ steps) of the table's dtype");
  const bool with_grad = grads.numel() > 0;
  const int64_t target = with_grad ? upto - 1 : upto;
  AT_DISPATCH_FLOATING_TYPES(p.scalar_type(), "adam_rows", [&] {
    using T = scalar_t;
    T *pp = p.data_ptr<T>(), *mp = m.data_ptr<T>(), *vp = v.data_ptr<T>();
    const T* ap = alphas.data_ptr<T>();
    const T* gp = with_grad ? grads.data_ptr<T>() : nullptr;
    const int64_t cap = alphas.size(1), e = r.width;
    const T w1 = static_cast<T>(beta_1_weight), w2 = static_cast<T>(beta_2_weight), eps = static_cast<T>(epsilon);
    for (int64_t k = 0; k < r.n_rows; ++k) {
      const int64_t id = r.ids[k], rep = id / r.vocab;
      if (r.skip[rep]) continue;
      const int64_t behind = target - r.last[id];
      T *prow = pp + id * e, *mrow = mp + id * e, *vrow = vp + id * e;
      if (behind > 0) adam_idle(prow, mrow, vrow, ap + rep * cap + r.last[id], behind, e, w1, w2, eps);
      if (with_grad) adam_grad(prow, mrow, vrow, gp + k * e, ap[rep * cap + upto - 1], e, w1, w2, eps);
      r.last[id] = upto;
    }
  });
}

void rmsprop_rows(Tensor p, Tensor v, Tensor last, const Tensor& lr, const Tensor& rows, const Tensor& grads,
                  const Tensor& skip, int64_t upto, int64_t vocab, double rho, double epsilon) {
  const Rows r = rows_of(p, last, rows, skip, vocab, grads);
  TORCH_CHECK(v.sizes() == p.sizes() && v.is_contiguous(), "sparse optimizer: state must be shaped like the table");
  TORCH_CHECK(lr.is_contiguous() && lr.dim() == 1 && lr.scalar_type() == p.scalar_type() &&
                  lr.size(0) * vocab == p.size(0),
              "sparse optimizer: lr must be (R,) of the table's dtype");
  const bool with_grad = grads.numel() > 0;
  const int64_t target = with_grad ? upto - 1 : upto;
  AT_DISPATCH_FLOATING_TYPES(p.scalar_type(), "rmsprop_rows", [&] {
    using T = scalar_t;
    T *pp = p.data_ptr<T>(), *vp = v.data_ptr<T>();
    const T* lp = lr.data_ptr<T>();
    const T* gp = with_grad ? grads.data_ptr<T>() : nullptr;
    const int64_t e = r.width;
    const T rho_t = static_cast<T>(rho), w = static_cast<T>(1.0 - rho), eps = static_cast<T>(epsilon);
    for (int64_t k = 0; k < r.n_rows; ++k) {
      const int64_t id = r.ids[k], rep = id / r.vocab;
      if (r.skip[rep]) continue;
      const int64_t behind = target - r.last[id];
      if (behind > 0) rmsprop_idle(vp + id * e, behind, e, rho_t);
      if (with_grad) rmsprop_grad(pp + id * e, vp + id * e, gp + k * e, lp[rep], e, rho_t, w, eps);
      r.last[id] = upto;
    }
  });
}

}  // namespace

void register_sparse_optimizers(pybind11::module_& m) {
  m.def("adam_rows", &adam_rows);
  m.def("rmsprop_rows", &rmsprop_rows);
}
