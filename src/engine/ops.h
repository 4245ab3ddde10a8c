// Element-wise and row operations of the transformer forward pass, scalar
// and readable. (The matrix products, where the time goes, are SIMD kernels
// in src/kernels.) Every function works on one row and is thread-safe.
#pragma once

#include <cstdint>

namespace shimmy::ops {

// out = x / sqrt(mean(x^2) + eps) * w   (w may be null: no scale). out may be x.
void RmsNorm(const float* x, const float* w, int n, float eps, float* out);

// y += x
void Add(float* y, const float* x, int n);

// g = silu(g) * u  and  g = gelu_tanh(g) * u
void SiluMul(float* g, const float* u, int n);
void GeluTanhMul(float* g, const float* u, int n);

// In-place softmax over n values; returns nothing, values sum to 1.
void Softmax(float* x, int n);

// v = cap * tanh(v / cap) for each value.
void SoftCap(float* x, int n, float cap);

}  // namespace shimmy::ops
