// Scalar quantizers: the activation formats (bit-exact with what the SIMD
// kernels and llama.cpp's x86 backend produce) and the 32-element weight
// formats. K-quants live in quantize_k.cpp.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

#include "quant/block_types.h"
#include "quant/quant.h"
#include "quant/quantize_internal.h"
#include "tensor/half.h"

namespace shimmy {
namespace {

float MaxAbs(const float* x, int n) {
  float amax = 0.0f;
  for (int j = 0; j < n; ++j) amax = std::max(amax, std::fabs(x[j]));
  return amax;
}

// Shared by Q8_0 and Q8_1. llama.cpp's SIMD path multiplies by 127 / amax
// (not by 1 / d), so we do too: the two differ in the last float bit.
int Q8Block(const float* x, int8_t* qs, float* d_out) {
  const float amax = MaxAbs(x, kQK);
  const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
  int sum = 0;
  for (int j = 0; j < kQK; ++j) {
    qs[j] = static_cast<int8_t>(RoundToInt(x[j] * id));
    sum += qs[j];
  }
  *d_out = amax / 127.0f;
  return sum;
}

void QuantizeQ8_0(const float* x, BlockQ8_0* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    float d;
    Q8Block(x, b[i].qs, &d);
    b[i].d = F32ToF16(d);
  }
}

void QuantizeQ8_1(const float* x, BlockQ8_1* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    float d;
    const int sum = Q8Block(x, b[i].qs, &d);
    b[i].d = F32ToF16(d);
    b[i].s = F32ToF16(d * static_cast<float>(sum));
  }
}

void QuantizeQ8_K(const float* x, BlockQ8_K* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK_K) {
    const float max = SignedMaxAbs(x, kQK_K);
    if (max == 0.0f) {
      std::memset(&b[i], 0, sizeof b[i]);
      continue;
    }
    const float iscale = -127.0f / max;
    for (int j = 0; j < kQK_K; ++j) {
      b[i].qs[j] = static_cast<int8_t>(std::min(127, RoundToInt(iscale * x[j])));
    }
    for (int g = 0; g < kQK_K / 16; ++g) {
      int sum = 0;
      for (int j = 0; j < 16; ++j) sum += b[i].qs[16 * g + j];
      b[i].bsums[g] = static_cast<int16_t>(sum);
    }
    b[i].d = 1.0f / iscale;
  }
}

// Symmetric types: d maps the element of largest magnitude to the most
// negative code (it has one more value on that side).
void QuantizeQ4_0(const float* x, BlockQ4_0* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    const float d = SignedMaxAbs(x, kQK) / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b[i].d = F32ToF16(d);
    for (int j = 0; j < kQK / 2; ++j) {
      const int lo = std::clamp(RoundToInt(x[j] * id) + 8, 0, 15);
      const int hi = std::clamp(RoundToInt(x[j + kQK / 2] * id) + 8, 0, 15);
      b[i].qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
}

void QuantizeQ5_0(const float* x, BlockQ5_0* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    const float d = SignedMaxAbs(x, kQK) / -16.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b[i].d = F32ToF16(d);
    uint32_t qh = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      const int lo = std::clamp(RoundToInt(x[j] * id) + 16, 0, 31);
      const int hi = std::clamp(RoundToInt(x[j + kQK / 2] * id) + 16, 0, 31);
      b[i].qs[j] = static_cast<uint8_t>((lo & 0xF) | ((hi & 0xF) << 4));
      qh |= static_cast<uint32_t>(lo >> 4) << j;
      qh |= static_cast<uint32_t>(hi >> 4) << (j + 16);
    }
    std::memcpy(b[i].qh, &qh, 4);
  }
}

// Asymmetric types: x ~ d * q + m over [min, max].
template <int kLevels>
void MinMaxBlock(const float* x, uint16_t* d_out, uint16_t* m_out, int* q) {
  float mn = x[0], mx = x[0];
  for (int j = 1; j < kQK; ++j) {
    mn = std::min(mn, x[j]);
    mx = std::max(mx, x[j]);
  }
  const float d = (mx - mn) / (kLevels - 1);
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  *d_out = F32ToF16(d);
  *m_out = F32ToF16(mn);
  for (int j = 0; j < kQK; ++j) q[j] = std::clamp(RoundToInt((x[j] - mn) * id), 0, kLevels - 1);
}

void QuantizeQ4_1(const float* x, BlockQ4_1* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    int q[kQK];
    uint16_t d, m;  // locals: packed fields may be unaligned
    MinMaxBlock<16>(x, &d, &m, q);
    b[i].d = d;
    b[i].m = m;
    for (int j = 0; j < kQK / 2; ++j) b[i].qs[j] = static_cast<uint8_t>(q[j] | (q[j + 16] << 4));
  }
}

void QuantizeQ5_1(const float* x, BlockQ5_1* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    int q[kQK];
    uint16_t d, m;
    MinMaxBlock<32>(x, &d, &m, q);
    b[i].d = d;
    b[i].m = m;
    uint32_t qh = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      b[i].qs[j] = static_cast<uint8_t>((q[j] & 0xF) | ((q[j + 16] & 0xF) << 4));
      qh |= static_cast<uint32_t>(q[j] >> 4) << j;
      qh |= static_cast<uint32_t>(q[j + 16] >> 4) << (j + 16);
    }
    std::memcpy(b[i].qh, &qh, 4);
  }
}

void QuantizeIQ4_NL(const float* x, BlockIQ4_NL* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    uint8_t codes[kQK];
    const float d = FitIq4Codes(x, kQK, codes);
    b[i].d = F32ToF16(d);
    for (int j = 0; j < kQK / 2; ++j) {
      b[i].qs[j] = static_cast<uint8_t>(codes[j] | (codes[j + 16] << 4));
    }
  }
}

template <class Block>
Block* As(void* p) {
  return static_cast<Block*>(p);
}

}  // namespace

int NearestIq4Code(float v) {
  int best = 0;
  float best_err = std::fabs(v - kIq4nlValues[0]);
  for (int k = 1; k < 16; ++k) {
    const float err = std::fabs(v - kIq4nlValues[k]);
    if (err < best_err) {
      best_err = err;
      best = k;
    }
  }
  return best;
}

float FitIq4Codes(const float* x, int n, uint8_t* codes) {
  const float d0 = SignedMaxAbs(x, n) / kIq4nlValues[0];
  if (d0 == 0.0f) {
    std::fill(codes, codes + n, static_cast<uint8_t>(NearestIq4Code(0.0f)));
    return 0.0f;
  }
  for (int j = 0; j < n; ++j) codes[j] = static_cast<uint8_t>(NearestIq4Code(x[j] / d0));
  // One least-squares refit of the scale for the chosen codes, then reassign.
  double xv = 0, vv = 0;
  for (int j = 0; j < n; ++j) {
    xv += static_cast<double>(x[j]) * kIq4nlValues[codes[j]];
    vv += static_cast<double>(kIq4nlValues[codes[j]]) * kIq4nlValues[codes[j]];
  }
  const float d = vv > 0 ? static_cast<float>(xv / vv) : d0;
  for (int j = 0; j < n; ++j) codes[j] = static_cast<uint8_t>(NearestIq4Code(x[j] / d));
  return d;
}

float SignedMaxAbs(const float* x, int n) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < n; ++j) {
    const float ax = std::fabs(x[j]);
    if (ax > amax) {
      amax = ax;
      max = x[j];
    }
  }
  return max;
}

void QuantizeRow(DType type, const float* src, void* dst, int64_t n) {
  assert(CanQuantize(type));
  assert(n % Info(type).block_size == 0);
  const int64_t nb = n / Info(type).block_size;
  switch (type) {
    case DType::kF32:
      std::memcpy(dst, src, sizeof(float) * n);
      return;
    case DType::kF16:
    case DType::kBF16: {
      auto* out = static_cast<uint8_t*>(dst);
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = type == DType::kF16 ? F32ToF16(src[i]) : F32ToBf16(src[i]);
        std::memcpy(out + 2 * i, &h, 2);
      }
      return;
    }
    case DType::kQ4_0:
      return QuantizeQ4_0(src, As<BlockQ4_0>(dst), nb);
    case DType::kQ4_1:
      return QuantizeQ4_1(src, As<BlockQ4_1>(dst), nb);
    case DType::kQ5_0:
      return QuantizeQ5_0(src, As<BlockQ5_0>(dst), nb);
    case DType::kQ5_1:
      return QuantizeQ5_1(src, As<BlockQ5_1>(dst), nb);
    case DType::kQ8_0:
      return QuantizeQ8_0(src, As<BlockQ8_0>(dst), nb);
    case DType::kQ8_1:
      return QuantizeQ8_1(src, As<BlockQ8_1>(dst), nb);
    case DType::kQ8_K:
      return QuantizeQ8_K(src, As<BlockQ8_K>(dst), nb);
    case DType::kIQ4_NL:
      return QuantizeIQ4_NL(src, As<BlockIQ4_NL>(dst), nb);
    default:
      return QuantizeKRow(type, src, dst, nb);
  }
}

}  // namespace shimmy
