// Element-wise operations of the forward pass that have no SIMD kernel
// yet (the common ones live in kernels/ops.h). Scalar and readable; each
// works on one row and is thread-safe.
#pragma once

namespace shimmy::ops {

// g = gelu_tanh(g) * u   (Gemma's gated FFN)
void GeluTanhMul(float* g, const float* u, int n);

// v = cap * tanh(v / cap) for each value (Gemma 2 soft-capping).
void SoftCap(float* x, int n, float cap);

}  // namespace shimmy::ops
