#include "kernels/ops_ref.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "quant/quant.h"

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

namespace {

// Row j of a gathered set, dequantized as DequantizeRow reads the type.
std::vector<float> CachedRow(const CachedRows& c, int64_t j, int64_t d) {
  std::vector<float> row(static_cast<size_t>(d));
  DequantizeRow(c.type, static_cast<const uint8_t*>(c.base) + c.rows[j] * c.stride, row.data(), d);
  return row;
}

}  // namespace

void DotRows(const float* q, int64_t q_stride, int64_t n_q, const CachedRows& k, int64_t d,
             float scale, float* scores) {
  for (int64_t j = 0; j < k.n; ++j) {
    const std::vector<float> row = CachedRow(k, j, d);
    for (int64_t i = 0; i < n_q; ++i)
      scores[i * k.n + j] = scale * Dot(q + i * q_stride, row.data(), d);
  }
}

void WeightedSumRows(const float* w, int64_t n_q, const CachedRows& v, int64_t d, float* out,
                     int64_t out_stride) {
  std::vector<double> sums(static_cast<size_t>(n_q * d), 0.0);
  for (int64_t j = 0; j < v.n; ++j) {
    const std::vector<float> row = CachedRow(v, j, d);
    for (int64_t i = 0; i < n_q; ++i) {
      for (int64_t x = 0; x < d; ++x)
        sums[static_cast<size_t>(i * d + x)] +=
            static_cast<double>(w[i * v.n + j]) * row[static_cast<size_t>(x)];
    }
  }
  for (int64_t i = 0; i < n_q; ++i) {
    for (int64_t x = 0; x < d; ++x)
      out[i * out_stride + x] = static_cast<float>(sums[static_cast<size_t>(i * d + x)]);
  }
}

}  // namespace shimmy::ref
