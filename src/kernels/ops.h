// Float32 vector ops of the forward pass besides matmul, SIMD with run-time
// dispatch (Highway). Each has a plain scalar twin in ops_ref.h that the
// tests use as the oracle; results agree to float rounding (the SIMD exp is
// within 1 ulp of std::exp).
//
// All functions take rows of n floats (any n >= 1), need no alignment, are
// thread-safe, and allow `out` to alias an input.
#pragma once

#include <cstdint>

namespace shimmy {

// out = x / sqrt(mean(x^2) + eps) * weight; weight == nullptr means 1.
void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out);

// x = exp(x - max(x)) / sum(exp(x - max(x))), in place.
void Softmax(float* x, int64_t n);

// out = silu(gate) * up, silu(g) = g / (1 + exp(-g)): the SwiGLU FFN gate.
void SiluMul(const float* gate, const float* up, int64_t n, float* out);

// out = a + b (residual connections).
void Add(const float* a, const float* b, int64_t n, float* out);

// x *= scale, in place.
void Scale(float* x, int64_t n, float scale);

// sum(a[i] * b[i]) in float (attention scores: query . key).
float Dot(const float* a, const float* b, int64_t n);

// y += a * x (attention: accumulating probability-weighted values).
void AddScaled(float* y, const float* x, float a, int64_t n);

}  // namespace shimmy
