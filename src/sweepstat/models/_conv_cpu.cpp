// LeNet's convolution + max-pool layers on CPU, channels-last (NHWC), for R replicas (models/_lenet.py).
//
// A layer is a K×K convolution (valid, stride 1) + bias, then a 2×2 max-pool of stride 2 in Caffe's ceil
// mode (an odd side gives a last window of one row or column). The forward returns the pooled output and,
// for each pooled value, a uint8 code of where its window's maximum was (row·2 + column); the full-size
// convolution output is never stored. Pool rule as ATen's CPU kernel: a window is read in row-major order
// and a value replaces the maximum when it is greater, or NaN, so the first of equal maxima wins and a
// NaN in the window is the output. The backward puts each pooled gradient at its code's position (the
// windows tile the convolution output) and takes the convolution's gradients from there.
//
// Two implementations of the same sums, in different orders:
// - simd (float32 on x86-64 CPUs with AVX2 and FMA), register-blocked loops in intrinsics:
//   forward: the four convolution outputs of a pool window at once, 24 output channels (three 8-float
//   vectors) at a time, then the pool; no im2col copy. Backward: only the window maxima have gradients,
//   so the sparse kernels do a quarter of the dense products: for window p, channel o and its code q,
//   dw[o] += dy[p, o] · patch(p, q) and patch(p, q) += dy[p, o] · w[o], with vectors along a patch row
//   (K·C contiguous floats; a patch row of at most 8, as LeNet's conv1 with K·C = 5, takes one masked
//   vector per kernel row, all rows at once).
// - gemm (any float dtype, any CPU): Caffe's im2col + matrix products. Each output pixel's K×K patch is
//   copied into a row of `cols` (in NHWC a patch row is contiguous), cols · wᵀ + bias gives the pixels'
//   outputs, already NHWC; backward dw = dyᵀ · cols and dcols = dy · w added back into dx (col2im).
//   Images go in chunks of about CHUNK_ROWS output pixels so that a chunk stays in the L2 cache.
//
// On this project's 2-core AMD EPYC (one thread, batch 64), simd against gemm: conv1 forward 0.6 ms vs 2.2,
// its dw 0.5 vs 2.2; conv2 forward 2.7 vs 3.4, its dw + dx 2.6 vs 6.4.
//
// Replicas never mix: each replica's tensors are separate slices and every loop and product runs on one
// replica at a time, through the same buffers, so replica r computes the same bits as a one-replica model.
// Tensors: x (R, N, H, W, C); w (R, O, K·K·C), columns in (kh, kw, c) order; bias (R, O); pooled output,
// its gradient and the codes (R, N, PH, PW, O); all contiguous, CPU, one float dtype.
#include <ATen/ATen.h>
#include <torch/csrc/utils/pybind.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SWEEPSTAT_SIMD_CONV 1
#include <immintrin.h>
#endif

#include "_native_simd.h"  // copied beside this file by _native.py

namespace {

using at::Tensor;

constexpr int64_t CHUNK_ROWS = 256;  // gemm path: conv output pixels per chunk (LeNet's conv2: 4 images)

int64_t pooled(int64_t size) { return (size - 1) / 2 + 1; }  // ceil((size − 2) / 2) + 1, for size ≥ 2

struct Geometry {
  int64_t n_rep, n_img, height, width, channels, kernel, conv_h, conv_w, taps, n_out, pool_h, pool_w;
  int64_t image() const { return height * width * channels; }
  int64_t run() const { return kernel * channels; }  // one patch row, contiguous in NHWC
  int64_t conv_rows() const { return conv_h * conv_w; }
  int64_t windows() const { return pool_h * pool_w; }
  int64_t pooled_image() const { return windows() * n_out; }
  int64_t chunk_images() const { return std::max<int64_t>(1, std::min(n_img, CHUNK_ROWS / conv_rows())); }
};

Geometry geometry(const Tensor& x, const Tensor& w, const Tensor& bias, int64_t kernel) {
  TORCH_CHECK(x.dim() == 5 && w.dim() == 3 && w.size(0) == x.size(0),
              "conv_pool: x must be (R, N, H, W, C) and w (R, O, K·K·C)");
  TORCH_CHECK(kernel >= 1 && x.size(2) > kernel && x.size(3) > kernel,
              "conv_pool: the image must be larger than the kernel");
  TORCH_CHECK(w.size(2) == kernel * kernel * x.size(4), "conv_pool: w must have K·K·C columns");
  TORCH_CHECK(x.device().is_cpu() && x.is_contiguous() && w.is_contiguous() && w.scalar_type() == x.scalar_type(),
              "conv_pool: x and w must be contiguous CPU tensors of one dtype");
  TORCH_CHECK(bias.is_contiguous() && bias.scalar_type() == x.scalar_type() &&
                  bias.sizes() == at::IntArrayRef({x.size(0), w.size(1)}),
              "conv_pool: bias must be contiguous (R, O) of x's dtype");
  Geometry g{};
  g.n_rep = x.size(0);
  g.n_img = x.size(1);
  g.height = x.size(2);
  g.width = x.size(3);
  g.channels = x.size(4);
  g.kernel = kernel;
  g.conv_h = g.height - kernel + 1;
  g.conv_w = g.width - kernel + 1;
  g.taps = w.size(2);
  g.n_out = w.size(1);
  g.pool_h = pooled(g.conv_h);
  g.pool_w = pooled(g.conv_w);
  return g;
}

// db[r, o] = Σ over replica r's windows of dy[..., o], summed in window order.
template <typename T>
void bias_grad(const T* __restrict__ dy, const Geometry& g, T* __restrict__ db) {
  const int64_t n_win = g.n_img * g.windows();
  for (int64_t r = 0; r < g.n_rep; ++r) {
    T* out = db + r * g.n_out;
    std::fill(out, out + g.n_out, T(0));
    const T* src = dy + r * n_win * g.n_out;
    for (int64_t p = 0; p < n_win; ++p, src += g.n_out) {
      for (int64_t o = 0; o < g.n_out; ++o) out[o] += src[o];
    }
  }
}

// --- gemm path (any float type) ---------------------------------------------------------------------------

// cols[(n, oh, ow), (kh, kw, c)] = x[n, oh + kh, ow + kw, c] for the first n_img images of x.
template <typename T>
SIMD_CLONES void im2col(const T* __restrict__ x, int64_t n_img, const Geometry& g, T* __restrict__ cols) {
  const int64_t run = g.run();
  for (int64_t n = 0; n < n_img; ++n) {
    const T* img = x + n * g.image();
    for (int64_t oh = 0; oh < g.conv_h; ++oh) {
      for (int64_t ow = 0; ow < g.conv_w; ++ow) {
        for (int64_t kh = 0; kh < g.kernel; ++kh) {
          const T* src = img + ((oh + kh) * g.width + ow) * g.channels;
          for (int64_t j = 0; j < run; ++j) cols[j] = src[j];
          cols += run;
        }
      }
    }
  }
}

// dx[n, oh + kh, ow + kw, c] += dcols[(n, oh, ow), (kh, kw, c)] for the first n_img images of dx.
template <typename T>
SIMD_CLONES void col2im(const T* __restrict__ dcols, int64_t n_img, const Geometry& g, T* __restrict__ dx) {
  const int64_t run = g.run();
  for (int64_t n = 0; n < n_img; ++n) {
    T* img = dx + n * g.image();
    for (int64_t oh = 0; oh < g.conv_h; ++oh) {
      for (int64_t ow = 0; ow < g.conv_w; ++ow) {
        for (int64_t kh = 0; kh < g.kernel; ++kh) {
          T* dst = img + ((oh + kh) * g.width + ow) * g.channels;
          for (int64_t j = 0; j < run; ++j) dst[j] += dcols[j];
          dcols += run;
        }
      }
    }
  }
}

// One output row of the pool over input rows 2·oh (and 2·oh + 1 when two_rows), all columns and channels.
template <typename T>
SIMD_CLONES void pool_row(const T* __restrict__ in, int64_t width, int64_t channels, bool two_rows,
                          T* __restrict__ out, uint8_t* __restrict__ code) {
  for (int64_t ow = 0; ow < pooled(width); ++ow) {
    const bool two_cols = 2 * ow + 1 < width;
    const T* p0 = in + 2 * ow * channels;
    const T* p1 = p0 + channels;
    const T* p2 = p0 + width * channels;
    const T* p3 = p2 + channels;
    T* o = out + ow * channels;
    uint8_t* k = code + ow * channels;
    for (int64_t c = 0; c < channels; ++c) {
      T m = p0[c];
      uint8_t at = 0;
      if (two_cols) {
        const T v = p1[c];
        const bool take = v > m || v != v;
        m = take ? v : m;
        at = take ? 1 : at;
      }
      if (two_rows) {
        T v = p2[c];
        bool take = v > m || v != v;
        m = take ? v : m;
        at = take ? 2 : at;
        if (two_cols) {
          v = p3[c];
          take = v > m || v != v;
          m = take ? v : m;
          at = take ? 3 : at;
        }
      }
      o[c] = m;
      k[c] = at;
    }
  }
}

// Its backward: each window of dx gets the gradient at its code and 0 elsewhere.
template <typename T>
SIMD_CLONES void unpool_row(const T* __restrict__ dy, const uint8_t* __restrict__ code, int64_t width,
                            int64_t channels, bool two_rows, T* __restrict__ dx) {
  for (int64_t ow = 0; ow < pooled(width); ++ow) {
    const bool two_cols = 2 * ow + 1 < width;
    const T* g = dy + ow * channels;
    const uint8_t* k = code + ow * channels;
    T* q0 = dx + 2 * ow * channels;
    T* q1 = q0 + channels;
    T* q2 = q0 + width * channels;
    T* q3 = q2 + channels;
    for (int64_t c = 0; c < channels; ++c) q0[c] = k[c] == 0 ? g[c] : T(0);
    if (two_cols) {
      for (int64_t c = 0; c < channels; ++c) q1[c] = k[c] == 1 ? g[c] : T(0);
    }
    if (two_rows) {
      for (int64_t c = 0; c < channels; ++c) q2[c] = k[c] == 2 ? g[c] : T(0);
      if (two_cols) {
        for (int64_t c = 0; c < channels; ++c) q3[c] = k[c] == 3 ? g[c] : T(0);
      }
    }
  }
}

// Pools n_img convolution outputs (conv_h, conv_w, O) into (PH, PW, O) values and codes, or back.
template <typename T>
void pool_images(const T* in, int64_t n_img, const Geometry& g, T* out, uint8_t* code) {
  for (int64_t n = 0; n < n_img * g.pool_h; ++n) {
    const int64_t oh = n % g.pool_h, o = n * g.pool_w * g.n_out;
    const T* rows = in + ((n / g.pool_h * g.conv_h + 2 * oh) * g.conv_w) * g.n_out;
    pool_row<T>(rows, g.conv_w, g.n_out, 2 * oh + 1 < g.conv_h, out + o, code + o);
  }
}

template <typename T>
void unpool_images(const T* dy, const uint8_t* code, int64_t n_img, const Geometry& g, T* dx) {
  for (int64_t n = 0; n < n_img * g.pool_h; ++n) {
    const int64_t oh = n % g.pool_h, o = n * g.pool_w * g.n_out;
    T* rows = dx + ((n / g.pool_h * g.conv_h + 2 * oh) * g.conv_w) * g.n_out;
    unpool_row<T>(dy + o, code + o, g.conv_w, g.n_out, 2 * oh + 1 < g.conv_h, rows);
  }
}

template <typename T>
void gemm_forward(const Tensor& x, const Tensor& w, const Tensor& bias, const Geometry& g, Tensor& y, Tensor& code) {
  const int64_t step = g.chunk_images(), per_img = g.conv_rows();
  Tensor cols = at::empty({step * per_img, g.taps}, x.options());
  Tensor conv = at::empty({step * per_img, g.n_out}, x.options());
  Tensor w_r = at::empty({g.n_out, g.taps}, x.options());  // every replica's product reads the same buffers
  for (int64_t r = 0; r < g.n_rep; ++r) {
    w_r.copy_(w[r]);
    const Tensor b_r = bias[r];
    const T* x_r = x.data_ptr<T>() + r * g.n_img * g.image();
    T* y_r = y.data_ptr<T>() + r * g.n_img * g.pooled_image();
    uint8_t* code_r = code.data_ptr<uint8_t>() + r * g.n_img * g.pooled_image();
    for (int64_t n0 = 0; n0 < g.n_img; n0 += step) {
      const int64_t n_img = std::min(step, g.n_img - n0), rows = n_img * per_img;
      const Tensor c = cols.narrow(0, 0, rows);
      Tensor out = conv.narrow(0, 0, rows);
      im2col<T>(x_r + n0 * g.image(), n_img, g, c.data_ptr<T>());
      at::addmm_out(out, b_r, c, w_r.t());
      pool_images<T>(out.data_ptr<T>(), n_img, g, y_r + n0 * g.pooled_image(), code_r + n0 * g.pooled_image());
    }
  }
}

template <typename T>
void gemm_backward(const Tensor& x, const Tensor& w, const Tensor& dy, const Tensor& code, const Geometry& g,
                   Tensor& dx, Tensor& dw) {
  const int64_t step = g.chunk_images(), per_img = g.conv_rows();
  const bool need_dx = dx.defined();
  Tensor cols = at::empty({step * per_img, g.taps}, x.options());
  Tensor dconv = at::empty({step * per_img, g.n_out}, x.options());
  Tensor dcols = need_dx ? at::empty({step * per_img, g.taps}, x.options()) : Tensor();
  Tensor w_r = at::empty({g.n_out, g.taps}, x.options());
  Tensor dw_r = at::empty({g.n_out, g.taps}, x.options());
  for (int64_t r = 0; r < g.n_rep; ++r) {
    w_r.copy_(w[r]);
    const T* x_r = x.data_ptr<T>() + r * g.n_img * g.image();
    const T* dy_r = dy.data_ptr<T>() + r * g.n_img * g.pooled_image();
    const uint8_t* code_r = code.data_ptr<uint8_t>() + r * g.n_img * g.pooled_image();
    for (int64_t n0 = 0; n0 < g.n_img; n0 += step) {
      const int64_t n_img = std::min(step, g.n_img - n0), rows = n_img * per_img;
      const Tensor c = cols.narrow(0, 0, rows), dc = dconv.narrow(0, 0, rows);
      unpool_images<T>(dy_r + n0 * g.pooled_image(), code_r + n0 * g.pooled_image(), n_img, g, dc.data_ptr<T>());
      im2col<T>(x_r + n0 * g.image(), n_img, g, c.data_ptr<T>());
      if (n0 == 0) {
        at::mm_out(dw_r, dc.t(), c);
      } else {
        dw_r.addmm_(dc.t(), c);
      }
      if (need_dx) {
        Tensor dcol = dcols.narrow(0, 0, rows);
        at::mm_out(dcol, dc, w_r);
        col2im<T>(dcol.data_ptr<T>(), n_img, g, dx.data_ptr<T>() + (r * g.n_img + n0) * g.image());
      }
    }
    dw[r].copy_(dw_r);
  }
}

// --- simd path (float32, AVX2 + FMA) ----------------------------------------------------------------------

#ifdef SWEEPSTAT_SIMD_CONV
#define SIMD_TARGET __attribute__((target("avx2,fma")))

constexpr int64_t BLOCK = 24;  // forward: output channels per block, three vectors
constexpr int MAX_NV = 13;     // sparse backward: vectors along a patch row per pass (LeNet's conv2: 100 floats)

bool has_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}

// Offsets (in floats from a patch's corner) of the taps, in w's column order (kh, kw, c).
std::vector<int64_t> tap_offsets(const Geometry& g) {
  std::vector<int64_t> off;
  for (int64_t kh = 0; kh < g.kernel; ++kh) {
    for (int64_t kw = 0; kw < g.kernel; ++kw) {
      for (int64_t c = 0; c < g.channels; ++c) off.push_back((kh * g.width + kw) * g.channels + c);
    }
  }
  return off;
}

// Calls f(std::integral_constant<int, n>()) for n in [1, MAX_NV]: f can take n as a template argument.
template <typename F>
void with_vectors(int64_t n, F&& f) {
  switch (n) {
    case 1: f(std::integral_constant<int, 1>()); break;
    case 2: f(std::integral_constant<int, 2>()); break;
    case 3: f(std::integral_constant<int, 3>()); break;
    case 4: f(std::integral_constant<int, 4>()); break;
    case 5: f(std::integral_constant<int, 5>()); break;
    case 6: f(std::integral_constant<int, 6>()); break;
    case 7: f(std::integral_constant<int, 7>()); break;
    case 8: f(std::integral_constant<int, 8>()); break;
    case 9: f(std::integral_constant<int, 9>()); break;
    case 10: f(std::integral_constant<int, 10>()); break;
    case 11: f(std::integral_constant<int, 11>()); break;
    case 12: f(std::integral_constant<int, 12>()); break;
    default: f(std::integral_constant<int, 13>()); break;
  }
}

SIMD_TARGET inline __m256i first_lanes(int64_t n) {  // mask of lanes [0, n)
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// dst[0 … 8·NV) += acc, the last vector's lanes only where `last` is set.
template <int NV>
SIMD_TARGET inline void add_vectors(float* dst, const __m256* acc, __m256i last) {
  for (int v = 0; v < NV - 1; ++v) _mm256_storeu_ps(dst + 8 * v, _mm256_add_ps(_mm256_loadu_ps(dst + 8 * v), acc[v]));
  float* tail = dst + 8 * (NV - 1);
  _mm256_maskstore_ps(tail, last, _mm256_add_ps(_mm256_maskload_ps(tail, last), acc[NV - 1]));
}

// Forward of one image for output channels [o0, o0 + n_o), n_o ≤ 8·V: pooled values and codes. wp holds
// the block's weights as (taps, BLOCK) and bp its bias (BLOCK), zero beyond n_o.
template <int V>
SIMD_TARGET void forward_image(const float* __restrict__ img, const Geometry& g, const int64_t* __restrict__ toff,
                               const float* __restrict__ wp, const float* __restrict__ bp, int64_t o0, int64_t n_o,
                               float* __restrict__ out, uint8_t* __restrict__ code) {
  const int64_t C = g.channels, W = g.width, taps = g.taps;
  alignas(32) float vals[BLOCK];
  alignas(32) int32_t ats[BLOCK];
  __m256 b[V];
  for (int v = 0; v < V; ++v) b[v] = _mm256_loadu_ps(bp + 8 * v);
  for (int64_t i = 0; i < g.pool_h; ++i) {
    for (int64_t j = 0; j < g.pool_w; ++j) {
      const bool two_rows = 2 * i + 1 < g.conv_h, two_cols = 2 * j + 1 < g.conv_w;
      const float* p[4];  // the window's positions; a missing one reads position 0 and is dropped below
      p[0] = img + (2 * i * W + 2 * j) * C;
      p[1] = p[0] + (two_cols ? C : 0);
      p[2] = p[0] + (two_rows ? W * C : 0);
      p[3] = p[2] + (two_cols ? C : 0);
      __m256 acc[4][V];
      for (int q = 0; q < 4; ++q) {
        for (int v = 0; v < V; ++v) acc[q][v] = _mm256_setzero_ps();
      }
      for (int64_t t = 0; t < taps; ++t) {
        __m256 wv[V];
        for (int v = 0; v < V; ++v) wv[v] = _mm256_loadu_ps(wp + t * BLOCK + 8 * v);
        const int64_t o = toff[t];
        for (int q = 0; q < 4; ++q) {
          const __m256 xv = _mm256_broadcast_ss(p[q] + o);
          for (int v = 0; v < V; ++v) acc[q][v] = _mm256_fmadd_ps(xv, wv[v], acc[q][v]);
        }
      }
      for (int v = 0; v < V; ++v) {
        __m256 m = _mm256_add_ps(acc[0][v], b[v]);
        __m256 at = _mm256_setzero_ps();
        for (int q = 1; q < 4; ++q) {
          if (!((q & 1 ? two_cols : true) && (q & 2 ? two_rows : true))) continue;
          const __m256 val = _mm256_add_ps(acc[q][v], b[v]);
          const __m256 take = _mm256_or_ps(_mm256_cmp_ps(val, m, _CMP_GT_OQ), _mm256_cmp_ps(val, val, _CMP_UNORD_Q));
          m = _mm256_blendv_ps(m, val, take);
          at = _mm256_blendv_ps(at, _mm256_set1_ps(static_cast<float>(q)), take);
        }
        _mm256_store_ps(vals + 8 * v, m);
        _mm256_store_si256(reinterpret_cast<__m256i*>(ats + 8 * v), _mm256_cvttps_epi32(at));
      }
      float* o = out + (i * g.pool_w + j) * g.n_out + o0;
      uint8_t* k = code + (i * g.pool_w + j) * g.n_out + o0;
      for (int64_t c = 0; c < n_o; ++c) {
        o[c] = vals[c];
        k[c] = static_cast<uint8_t>(ats[c]);
      }
    }
  }
}

void simd_forward(const Tensor& x, const Tensor& w, const Tensor& bias, const Geometry& g, Tensor& y, Tensor& code) {
  const std::vector<int64_t> toff = tap_offsets(g);
  std::vector<float> wp(g.taps * BLOCK), bp(BLOCK);
  for (int64_t r = 0; r < g.n_rep; ++r) {
    const float* w_r = w.data_ptr<float>() + r * g.n_out * g.taps;
    const float* b_r = bias.data_ptr<float>() + r * g.n_out;
    for (int64_t o0 = 0; o0 < g.n_out; o0 += BLOCK) {
      const int64_t n_o = std::min(BLOCK, g.n_out - o0);
      std::fill(wp.begin(), wp.end(), 0.0f);
      std::fill(bp.begin(), bp.end(), 0.0f);
      for (int64_t c = 0; c < n_o; ++c) {
        bp[c] = b_r[o0 + c];
        for (int64_t t = 0; t < g.taps; ++t) wp[t * BLOCK + c] = w_r[(o0 + c) * g.taps + t];
      }
      for (int64_t n = 0; n < g.n_img; ++n) {
        const int64_t at = r * g.n_img + n;
        const float* img = x.data_ptr<float>() + at * g.image();
        float* out = y.data_ptr<float>() + at * g.pooled_image();
        uint8_t* k = code.data_ptr<uint8_t>() + at * g.pooled_image();
        with_vectors((n_o + 7) / 8, [&](auto n_vec) {
          constexpr int V = decltype(n_vec)::value;
          if constexpr (V <= 3) forward_image<V>(img, g, toff.data(), wp.data(), bp.data(), o0, n_o, out, k);
        });
      }
    }
  }
}

// Sparse backward, per image: `corner` (per window) and `qoff` (per code) locate patch(p, q) in the image.
struct Windows {
  std::vector<int32_t> corner;
  int64_t qoff[4];
};

Windows windows(const Geometry& g) {
  Windows win;
  for (int64_t i = 0; i < g.pool_h; ++i) {
    for (int64_t j = 0; j < g.pool_w; ++j) {
      win.corner.push_back(static_cast<int32_t>((2 * i * g.width + 2 * j) * g.channels));
    }
  }
  win.qoff[0] = 0;
  win.qoff[1] = g.channels;
  win.qoff[2] = g.width * g.channels;
  win.qoff[3] = (g.width + 1) * g.channels;
  return win;
}

// dw[o, kh·run + col0 + j] += Σ_p dy[p, o] · x[corner(p) + qoff(code(p, o)) + kh·row + col0 + j] for one
// image, all o and kh, and j in [0, width): NV vectors, the last one masked.
template <int NV>
SIMD_TARGET void sparse_dw_image(const float* __restrict__ img, const float* __restrict__ dy,
                                 const uint8_t* __restrict__ code, const Geometry& g, const Windows& win,
                                 int64_t col0, int64_t width, float* __restrict__ dw) {
  const __m256i mask = first_lanes(width - 8 * (NV - 1));
  const int64_t n_win = g.windows(), n_out = g.n_out, row = g.width * g.channels;
  const int32_t* corner = win.corner.data();
  for (int64_t o = 0; o < n_out; ++o) {
    for (int64_t kh = 0; kh < g.kernel; ++kh) {
      const float* base = img + kh * row + col0;
      __m256 acc[NV];
      for (int v = 0; v < NV; ++v) acc[v] = _mm256_setzero_ps();
      for (int64_t p = 0; p < n_win; ++p) {
        const __m256 gv = _mm256_broadcast_ss(dy + p * n_out + o);
        const float* src = base + corner[p] + win.qoff[code[p * n_out + o]];
        for (int v = 0; v < NV - 1; ++v) acc[v] = _mm256_fmadd_ps(gv, _mm256_loadu_ps(src + 8 * v), acc[v]);
        acc[NV - 1] = _mm256_fmadd_ps(gv, _mm256_maskload_ps(src + 8 * (NV - 1), mask), acc[NV - 1]);
      }
      add_vectors<NV>(dw + o * g.taps + kh * g.run() + col0, acc, mask);
    }
  }
}

// The same for patch rows of at most 8 floats (LeNet's conv1: 5 pixels × 1 channel): one masked vector per
// kernel row, all K rows of a patch at once.
template <int K>
SIMD_TARGET void sparse_dw_narrow_image(const float* __restrict__ img, const float* __restrict__ dy,
                                        const uint8_t* __restrict__ code, const Geometry& g, const Windows& win,
                                        float* __restrict__ dw) {
  const __m256i mask = first_lanes(g.run());
  const int64_t n_win = g.windows(), n_out = g.n_out, row = g.width * g.channels, run = g.run();
  const int32_t* corner = win.corner.data();
  for (int64_t o = 0; o < n_out; ++o) {
    __m256 acc[K];
    for (int kh = 0; kh < K; ++kh) acc[kh] = _mm256_setzero_ps();
    for (int64_t p = 0; p < n_win; ++p) {
      const __m256 gv = _mm256_broadcast_ss(dy + p * n_out + o);
      const float* src = img + corner[p] + win.qoff[code[p * n_out + o]];
      for (int kh = 0; kh < K; ++kh) acc[kh] = _mm256_fmadd_ps(gv, _mm256_maskload_ps(src + kh * row, mask), acc[kh]);
    }
    for (int kh = 0; kh < K; ++kh) add_vectors<1>(dw + o * g.taps + kh * run, acc + kh, mask);
  }
}

// x's gradient: patch(p, q)[kh·row + col0 + (0 … width)] += Σ over the channels o of window p with code q of
// dy[p, o] · w[o, kh, col0 + (0 … width)], for one image. `order` lists each window's channels grouped by
// code and `start` (5 per window) bounds the groups; wpad is w as (O, K, padded run), 32-byte aligned.
template <int NV>
SIMD_TARGET void sparse_dx_image(const float* __restrict__ wpad, int64_t wpad_row, const float* __restrict__ dy,
                                 const int32_t* __restrict__ order, const int32_t* __restrict__ start,
                                 const Geometry& g, const Windows& win, int64_t col0, int64_t width,
                                 float* __restrict__ dx) {
  const __m256i mask = first_lanes(width - 8 * (NV - 1));
  const int64_t n_win = g.windows(), n_out = g.n_out, row = g.width * g.channels, w_stride = g.kernel * wpad_row;
  for (int64_t kh = 0; kh < g.kernel; ++kh) {  // one kernel row of w at a time: 20 KB for LeNet's conv2, in L1
    const float* wk = wpad + kh * wpad_row + col0;
    for (int64_t p = 0; p < n_win; ++p) {
      const float* gp = dy + p * n_out;
      const int32_t* st = start + 5 * p;
      for (int q = 0; q < 4; ++q) {
        if (st[q] == st[q + 1]) continue;
        __m256 acc[NV];
        for (int v = 0; v < NV; ++v) acc[v] = _mm256_setzero_ps();
        for (int32_t k = st[q]; k < st[q + 1]; ++k) {
          const int32_t o = order[k];
          const __m256 gv = _mm256_broadcast_ss(gp + o);
          const float* src = wk + o * w_stride;  // padded with zeros: whole vectors can be read
          for (int v = 0; v < NV; ++v) acc[v] = _mm256_fmadd_ps(gv, _mm256_load_ps(src + 8 * v), acc[v]);
        }
        add_vectors<NV>(dx + win.corner[p] + win.qoff[q] + kh * row + col0, acc, mask);
      }
    }
  }
}

void sparse_backward(const Tensor& x, const Tensor& w, const Tensor& dy, const Tensor& code, const Geometry& g,
                     Tensor& dx, Tensor& dw) {
  const Windows win = windows(g);
  const int64_t n_win = g.windows(), run = g.run(), wpad_row = (run + 7) / 8 * 8;
  const bool need_dx = dx.defined(), narrow = run <= 8 && g.kernel <= MAX_NV;
  std::vector<int32_t> order(n_win * g.n_out), start(n_win * 5);
  Tensor wpad = need_dx ? at::zeros({g.n_out, g.kernel, wpad_row}, w.options()) : Tensor();
  dw.zero_();
  for (int64_t r = 0; r < g.n_rep; ++r) {
    if (need_dx) wpad.narrow(2, 0, run).copy_(w[r].view({g.n_out, g.kernel, run}));
    float* dw_r = dw.data_ptr<float>() + r * g.n_out * g.taps;
    for (int64_t n = 0; n < g.n_img; ++n) {
      const int64_t at = r * g.n_img + n;
      const float* img = x.data_ptr<float>() + at * g.image();
      const float* dy_n = dy.data_ptr<float>() + at * g.pooled_image();
      const uint8_t* k = code.data_ptr<uint8_t>() + at * g.pooled_image();
      if (need_dx) {  // group each window's channels by code (a counting sort)
        for (int64_t p = 0; p < n_win; ++p) {
          const uint8_t* kp = k + p * g.n_out;
          int32_t* st = start.data() + 5 * p;
          int32_t count[4] = {0, 0, 0, 0};
          for (int64_t o = 0; o < g.n_out; ++o) ++count[kp[o]];
          st[0] = static_cast<int32_t>(p * g.n_out);
          for (int q = 0; q < 4; ++q) st[q + 1] = st[q] + count[q];
          int32_t next[4] = {st[0], st[1], st[2], st[3]};
          for (int64_t o = 0; o < g.n_out; ++o) order[next[kp[o]]++] = static_cast<int32_t>(o);
        }
      }
      if (narrow) {
        with_vectors(g.kernel, [&](auto n_rows) {
          sparse_dw_narrow_image<decltype(n_rows)::value>(img, dy_n, k, g, win, dw_r);
        });
      }
      for (int64_t col0 = 0; col0 < run; col0 += 8 * MAX_NV) {  // column blocks of the patch rows
        const int64_t width = std::min<int64_t>(8 * MAX_NV, run - col0);
        with_vectors((width + 7) / 8, [&](auto n_vec) {
          constexpr int NV = decltype(n_vec)::value;
          if (!narrow) sparse_dw_image<NV>(img, dy_n, k, g, win, col0, width, dw_r);
          if (need_dx) {
            sparse_dx_image<NV>(wpad.data_ptr<float>(), wpad_row, dy_n, order.data(), start.data(), g, win, col0,
                                width, dx.data_ptr<float>() + at * g.image());
          }
        });
      }
    }
  }
}
#endif

bool use_simd(bool simd, const Tensor& x) {
#ifdef SWEEPSTAT_SIMD_CONV
  return simd && x.scalar_type() == at::kFloat && has_avx2();
#else
  return false;
#endif
}

// (pooled (R, N, PH, PW, O), codes uint8 shaped alike) of conv(x, w) + bias. `simd` takes the simd path
// where it applies (float32, AVX2 + FMA), the gemm path otherwise.
std::tuple<Tensor, Tensor> conv_pool_forward(const Tensor& x, const Tensor& w, const Tensor& bias, int64_t kernel,
                                             bool simd) {
  const Geometry g = geometry(x, w, bias, kernel);
  Tensor y = at::empty({g.n_rep, g.n_img, g.pool_h, g.pool_w, g.n_out}, x.options());
  Tensor code = at::empty(y.sizes(), x.options().dtype(at::kByte));
#ifdef SWEEPSTAT_SIMD_CONV
  if (use_simd(simd, x)) {
    simd_forward(x, w, bias, g, y, code);
    return {y, code};
  }
#endif
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "conv_pool_forward",
                             [&] { gemm_forward<scalar_t>(x, w, bias, g, y, code); });
  return {y, code};
}

// Gradients given the pooled gradient dy and the forward's codes: (dx, or an undefined tensor when
// need_dx is false; dw (R, O, K·K·C); db (R, O)).
std::tuple<Tensor, Tensor, Tensor> conv_pool_backward(const Tensor& x, const Tensor& w, const Tensor& bias,
                                                      const Tensor& dy, const Tensor& code, int64_t kernel,
                                                      bool need_dx, bool simd) {
  const Geometry g = geometry(x, w, bias, kernel);
  const std::vector<int64_t> shape{g.n_rep, g.n_img, g.pool_h, g.pool_w, g.n_out};
  TORCH_CHECK(dy.is_contiguous() && dy.scalar_type() == x.scalar_type() && dy.sizes() == at::IntArrayRef(shape),
              "conv_pool: dy must be contiguous, of x's dtype, shaped like the pooled output");
  TORCH_CHECK(code.is_contiguous() && code.scalar_type() == at::kByte && code.sizes() == at::IntArrayRef(shape),
              "conv_pool: codes must be contiguous uint8 shaped like the pooled output");
  Tensor dw = at::empty_like(w), db = at::empty_like(bias);
  Tensor dx = need_dx ? at::zeros_like(x) : Tensor();
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "conv_pool_bias_grad",
                             [&] { bias_grad<scalar_t>(dy.data_ptr<scalar_t>(), g, db.data_ptr<scalar_t>()); });
#ifdef SWEEPSTAT_SIMD_CONV
  if (use_simd(simd, x)) {
    sparse_backward(x, w, dy, code, g, dx, dw);
    return {dx, dw, db};
  }
#endif
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "conv_pool_backward",
                             [&] { gemm_backward<scalar_t>(x, w, dy, code, g, dx, dw); });
  return {dx, dw, db};
}

}  // namespace

void register_conv(pybind11::module_& m) {
  m.def("conv_pool_forward", &conv_pool_forward);
  m.def("conv_pool_backward", &conv_pool_backward);
}
