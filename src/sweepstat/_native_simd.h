// Shared by sweepstat's C++ sources (see _native.py).
//
// With GCC / Clang on x86-64 a function marked SIMD_CLONES is compiled for AVX2 (x86-64-v3), AVX-512
// (x86-64-v4) and plain SSE2, and the right version is picked when the module loads. The build uses
// -ffp-contract=off (no silent FMA contraction) so that every version computes the same bits; where a
// kernel needs a fused multiply-add to match a PyTorch kernel it says so with std::fma.
#pragma once

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
#endif
#ifndef SIMD_CLONES
#define SIMD_CLONES
#endif
