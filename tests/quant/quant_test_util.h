// Small helpers shared by the quant tests (and the kernel tests).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "quant/block_types.h"
#include "quant/quant.h"
#include "tensor/dtype.h"
#include "tensor/half.h"

namespace shimmy::testing {

inline std::vector<float> RandomNormal(int64_t n, uint32_t seed, float stddev = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = dist(rng);
  return x;
}

inline std::vector<std::byte> QuantizeVec(DType type, const std::vector<float>& x) {
  std::vector<std::byte> out(*RowBytes(type, x.size()));
  QuantizeRow(type, x.data(), out.data(), static_cast<int64_t>(x.size()));
  return out;
}

inline std::vector<float> DequantizeVec(DType type, const void* data, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n));
  DequantizeRow(type, data, out.data(), n);
  return out;
}

// ||a - b|| / ||b||
inline double RelRms(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
    den += static_cast<double>(b[i]) * b[i];
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

inline double DotDouble(const std::vector<float>& a, const std::vector<float>& b, double* abs_sum) {
  double sum = 0;
  *abs_sum = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sum += static_cast<double>(a[i]) * b[i];
    *abs_sum += std::fabs(static_cast<double>(a[i]) * b[i]);
  }
  return sum;
}

// What VecDotRef(type, w, act, n) should return, from the dequantized rows
// in double. Q8_1 carries its own rounded s = F16(d * sum(q)) that
// multiplies the weight minimum, so that term uses s, not d * sum(q).
inline double ExpectedDot(DType type, const void* w, const void* act, int64_t n, double* abs_sum) {
  const DType act_type = VecDotType(type);
  const auto wf = DequantizeVec(type, w, n);
  const auto af = DequantizeVec(act_type, act, n);
  double sum = DotDouble(wf, af, abs_sum);
  if (act_type == DType::kQ8_1) {
    const auto* a = static_cast<const BlockQ8_1*>(act);
    for (int64_t b = 0; b < n / kQK; ++b) {
      // Q4_1 and Q5_1 both start with d then m.
      uint16_t m_bits;
      std::memcpy(&m_bits, static_cast<const std::byte*>(w) + b * Info(type).block_bytes + 2, 2);
      int q_sum = 0;
      for (int j = 0; j < kQK; ++j) q_sum += a[b].qs[j];
      const double m = F16ToF32(m_bits);
      sum += m * (F16ToF32(a[b].s) - static_cast<double>(F16ToF32(a[b].d)) * q_sum);
    }
  }
  return sum;
}

// Every weight type the reference and the kernels support.
inline const std::vector<DType>& AllWeightTypes() {
  static const std::vector<DType> kTypes = {
      DType::kF32,  DType::kF16,    DType::kBF16,   DType::kQ4_0, DType::kQ4_1, DType::kQ5_0,
      DType::kQ5_1, DType::kQ8_0,   DType::kQ2_K,   DType::kQ3_K, DType::kQ4_K, DType::kQ5_K,
      DType::kQ6_K, DType::kIQ4_NL, DType::kIQ4_XS, DType::kMXFP4};
  return kTypes;
}

// A row of `n` elements of weight type `type` with realistic contents: the
// quantized form of normal data, or random codes with scales near 2^-4 for
// MXFP4 (which has no quantizer).
inline std::vector<std::byte> RandomWeightRow(DType type, int64_t n, uint32_t seed) {
  if (type != DType::kMXFP4) return QuantizeVec(type, RandomNormal(n, seed, 0.05f));
  std::mt19937 rng(seed);
  std::vector<std::byte> out(*RowBytes(type, n));
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::byte>(rng() & 0xFF);
    if (i % 17 == 0) out[i] = static_cast<std::byte>(120 + rng() % 8);  // exponent byte
  }
  return out;
}

}  // namespace shimmy::testing
