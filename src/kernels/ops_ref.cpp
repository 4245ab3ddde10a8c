#include "kernels/ops_ref.h"

#include <algorithm>
#include <cmath>

namespace shimmy::ref {

void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  const float scale = 1.0f / std::sqrt(static_cast<float>(sum / static_cast<double>(n)) + eps);
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale * (weight != nullptr ? weight[i] : 1.0f);
}

void Softmax(float* x, int64_t n) {
  const float max = *std::max_element(x, x + n);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void SiluMul(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void Add(const float* a, const float* b, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

void Scale(float* x, int64_t n, float scale) {
  for (int64_t i = 0; i < n; ++i) x[i] *= scale;
}

float Dot(const float* a, const float* b, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(sum);
}

void AddScaled(float* y, const float* x, float a, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void DotRows(const float* q, int64_t q_stride, int64_t n_q, const float* base, int64_t stride,
             const int* rows, int64_t n_rows, int64_t d, float scale, float* scores) {
  for (int64_t i = 0; i < n_q; ++i) {
    for (int64_t j = 0; j < n_rows; ++j) {
      scores[i * n_rows + j] = scale * Dot(q + i * q_stride, base + rows[j] * stride, d);
    }
  }
}

void WeightedSumRows(const float* w, int64_t n_q, const float* base, int64_t stride,
                     const int* rows, int64_t n_rows, int64_t d, float* out, int64_t out_stride) {
  for (int64_t i = 0; i < n_q; ++i) {
    for (int64_t x = 0; x < d; ++x) {
      double sum = 0.0;
      for (int64_t j = 0; j < n_rows; ++j) {
        sum += static_cast<double>(w[i * n_rows + j]) * base[rows[j] * stride + x];
      }
      out[i * out_stride + x] = static_cast<float>(sum);
    }
  }
}

}  // namespace shimmy::ref
