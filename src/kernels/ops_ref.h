// Scalar reference twins of kernels/ops.h: straightforward loops with
// double accumulation, the oracle for the SIMD versions. Same contracts.
#pragma once

#include <cstdint>

namespace shimmy::ref {

void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out);
void Softmax(float* x, int64_t n);
void SiluMul(const float* gate, const float* up, int64_t n, float* out);
void Add(const float* a, const float* b, int64_t n, float* out);
void Scale(float* x, int64_t n, float scale);
float Dot(const float* a, const float* b, int64_t n);
void AddScaled(float* y, const float* x, float a, int64_t n);

}  // namespace shimmy::ref
