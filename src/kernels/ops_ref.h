// Scalar reference twins of kernels/ops.h: straightforward loops with
// double accumulation, the oracle for the SIMD versions. Same contracts.
#pragma once

#include <cstdint>

#include "kernels/attention_rows.h"

namespace shimmy::ref {

void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out);
void Softmax(float* x, int64_t n);
void SiluMul(const float* gate, const float* up, int64_t n, float* out);
void Add(const float* a, const float* b, int64_t n, float* out);
void Scale(float* x, int64_t n, float scale);
float Dot(const float* a, const float* b, int64_t n);
void AddScaled(float* y, const float* x, float a, int64_t n);
// kernels/attention_rows.h: each cached row dequantized with DequantizeRow.
void DotRows(const float* q, int64_t q_stride, int64_t n_q, const CachedRows& k, int64_t d,
             float scale, float* scores);
void WeightedSumRows(const float* w, int64_t n_q, const CachedRows& v, int64_t d, float* out,
                     int64_t out_stride);

}  // namespace shimmy::ref
