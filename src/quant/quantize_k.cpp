// Reference quantizers for the K-quants and IQ4_XS: plain min/max (or
// signed-max) fits per sub-block, then the sub-block scales quantized
// against the super-block's F16 scale. No search for better scales: these
// exist for tests and random models, not to compete with llama-quantize.
#include <algorithm>
#include <cstring>

#include "quant/block_types.h"
#include "quant/quantize_internal.h"
#include "tensor/half.h"

namespace shimmy {
namespace {

// x ~ scale * q - min_neg over q in [0, max_q]; the range always includes 0
// (min_neg >= 0) as the format's subtracted minimum is unsigned.
void FitScaleMin(const float* x, int n, int max_q, float* scale, float* min_neg) {
  float mn = 0.0f, mx = 0.0f;
  for (int j = 0; j < n; ++j) {
    mn = std::min(mn, x[j]);
    mx = std::max(mx, x[j]);
  }
  *scale = (mx - mn) / max_q;
  *min_neg = -mn;
}

// Quantizes non-negative sub-block values against d = max / max_level stored
// as F16; returns the F16-rounded d that the codes are relative to.
float QuantizeUnsigned(const float* v, int n, int max_level, uint8_t* out, uint16_t* d_half) {
  const float max = *std::max_element(v, v + n);
  *d_half = F32ToF16(max / max_level);
  const float d = F16ToF32(*d_half);
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  for (int j = 0; j < n; ++j)
    out[j] = static_cast<uint8_t>(std::clamp(RoundToInt(v[j] * id), 0, max_level));
  return d;
}

// Signed values against d = signed_max / -neg_level (largest magnitude maps
// to -neg_level); codes clamp to [-neg_level, neg_level - 1].
float QuantizeSigned(const float* v, int n, int neg_level, int* out, uint16_t* d_half) {
  *d_half = F32ToF16(SignedMaxAbs(v, n) / static_cast<float>(-neg_level));
  const float d = F16ToF32(*d_half);
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  for (int j = 0; j < n; ++j) out[j] = std::clamp(RoundToInt(v[j] * id), -neg_level, neg_level - 1);
  return d;
}

int QuantizeValue(float x, float step, float offset, int lo, int hi) {
  if (step == 0.0f) return std::clamp(0, lo, hi);
  return std::clamp(RoundToInt((x + offset) / step), lo, hi);
}

void QuantizeQ2_K(const float* x, BlockQ2_K* b) {
  float scale[16], mins[16];
  for (int j = 0; j < 16; ++j) FitScaleMin(x + 16 * j, 16, 3, &scale[j], &mins[j]);
  uint8_t sc[16], m[16];
  uint16_t d_half, dmin_half;  // locals: b is packed, its fields may be unaligned
  const float d = QuantizeUnsigned(scale, 16, 15, sc, &d_half);
  const float dmin = QuantizeUnsigned(mins, 16, 15, m, &dmin_half);
  b->d = d_half;
  b->dmin = dmin_half;
  std::memset(b->qs, 0, sizeof b->qs);
  for (int j = 0; j < 16; ++j) b->scales[j] = static_cast<uint8_t>(sc[j] | (m[j] << 4));
  for (int e = 0; e < kQK_K; ++e) {
    const int sub = e / 16;
    const int q = QuantizeValue(x[e], d * sc[sub], dmin * m[sub], 0, 3);
    const int h = e / 128, g = (e % 128) / 32, l = e % 32;
    b->qs[32 * h + l] |= static_cast<uint8_t>(q << (2 * g));
  }
}

void QuantizeQ3_K(const float* x, BlockQ3_K* b) {
  float scale[16];
  for (int j = 0; j < 16; ++j) scale[j] = SignedMaxAbs(x + 16 * j, 16) / -4.0f;
  int sc[16];
  uint16_t d_half;
  const float d = QuantizeSigned(scale, 16, 32, sc, &d_half);
  b->d = d_half;
  std::memset(b->hmask, 0, sizeof b->hmask);
  std::memset(b->qs, 0, sizeof b->qs);
  std::memset(b->scales, 0, sizeof b->scales);
  for (int j = 0; j < 16; ++j) {
    const int u = sc[j] + 32;
    if (j < 8) {
      b->scales[j] |= static_cast<uint8_t>(u & 0xF);
    } else {
      b->scales[j - 8] |= static_cast<uint8_t>((u & 0xF) << 4);
    }
    b->scales[8 + j % 4] |= static_cast<uint8_t>((u >> 4) << (2 * (j / 4)));
  }
  for (int e = 0; e < kQK_K; ++e) {
    const int sub = e / 16;
    const int u = QuantizeValue(x[e], d * sc[sub], 0.0f, -4, 3) + 4;
    const int h = e / 128, g = (e % 128) / 32, l = e % 32;
    b->qs[32 * h + l] |= static_cast<uint8_t>((u & 3) << (2 * g));
    b->hmask[l] |= static_cast<uint8_t>((u >> 2) << (4 * h + g));
  }
}

// The 12-byte scale/min packing of Q4_K and Q5_K (inverse of ScaleMinK4).
void PackScaleMinK4(const uint8_t* sc, const uint8_t* m, uint8_t* scales) {
  std::memset(scales, 0, 12);
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      scales[j] |= sc[j];
      scales[j + 4] |= m[j];
    } else {
      scales[j + 4] = static_cast<uint8_t>((sc[j] & 0xF) | ((m[j] & 0xF) << 4));
      scales[j - 4] |= static_cast<uint8_t>((sc[j] >> 4) << 6);
      scales[j] |= static_cast<uint8_t>((m[j] >> 4) << 6);
    }
  }
}

// Q4_K (kBits 4) and Q5_K (kBits 5) share everything but the value width.
template <int kBits>
void FitK4(const float* x, uint16_t* d_half, uint16_t* dmin_half, uint8_t* scales, uint8_t* q) {
  constexpr int kMaxQ = (1 << kBits) - 1;
  float scale[8], mins[8];
  for (int j = 0; j < 8; ++j) FitScaleMin(x + 32 * j, 32, kMaxQ, &scale[j], &mins[j]);
  uint8_t sc[8], m[8];
  const float d = QuantizeUnsigned(scale, 8, 63, sc, d_half);
  const float dmin = QuantizeUnsigned(mins, 8, 63, m, dmin_half);
  PackScaleMinK4(sc, m, scales);
  for (int e = 0; e < kQK_K; ++e) {
    const int sub = e / 32;
    q[e] = static_cast<uint8_t>(QuantizeValue(x[e], d * sc[sub], dmin * m[sub], 0, kMaxQ));
  }
}

void QuantizeQ4_K(const float* x, BlockQ4_K* b) {
  uint8_t q[kQK_K];
  uint16_t d_half, dmin_half;
  FitK4<4>(x, &d_half, &dmin_half, b->scales, q);
  b->d = d_half;
  b->dmin = dmin_half;
  for (int c = 0; c < 4; ++c) {
    for (int l = 0; l < 32; ++l) {
      b->qs[32 * c + l] = static_cast<uint8_t>(q[64 * c + l] | (q[64 * c + 32 + l] << 4));
    }
  }
}

void QuantizeQ5_K(const float* x, BlockQ5_K* b) {
  uint8_t q[kQK_K];
  uint16_t d_half, dmin_half;
  FitK4<5>(x, &d_half, &dmin_half, b->scales, q);
  b->d = d_half;
  b->dmin = dmin_half;
  std::memset(b->qh, 0, sizeof b->qh);
  for (int c = 0; c < 4; ++c) {
    for (int l = 0; l < 32; ++l) {
      const int lo = q[64 * c + l], hi = q[64 * c + 32 + l];
      b->qs[32 * c + l] = static_cast<uint8_t>((lo & 0xF) | ((hi & 0xF) << 4));
      b->qh[l] |= static_cast<uint8_t>(((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
    }
  }
}

void QuantizeQ6_K(const float* x, BlockQ6_K* b) {
  float scale[16];
  for (int j = 0; j < 16; ++j) scale[j] = SignedMaxAbs(x + 16 * j, 16) / -32.0f;
  int sc[16];
  uint16_t d_half;
  const float d = QuantizeSigned(scale, 16, 128, sc, &d_half);
  b->d = d_half;
  std::memset(b->ql, 0, sizeof b->ql);
  std::memset(b->qh, 0, sizeof b->qh);
  for (int j = 0; j < 16; ++j) b->scales[j] = static_cast<int8_t>(sc[j]);
  for (int e = 0; e < kQK_K; ++e) {
    const int u = QuantizeValue(x[e], d * sc[e / 16], 0.0f, -32, 31) + 32;
    const int h = e / 128, g = (e % 128) / 32, l = e % 32;
    const int byte = 64 * h + l + 32 * (g & 1);
    b->ql[byte] |= static_cast<uint8_t>((u & 0xF) << (4 * (g >> 1)));
    b->qh[32 * h + l] |= static_cast<uint8_t>((u >> 4) << (2 * g));
  }
}

void QuantizeIQ4_XS(const float* x, BlockIQ4_XS* b) {
  float scale[8];
  uint8_t codes[32];
  for (int ib = 0; ib < 8; ++ib) scale[ib] = FitIq4Codes(x + 32 * ib, 32, codes);
  int ls[8];
  uint16_t d_half;
  const float d = QuantizeSigned(scale, 8, 32, ls, &d_half);
  b->d = d_half;
  b->scales_h = 0;
  std::memset(b->scales_l, 0, sizeof b->scales_l);
  for (int ib = 0; ib < 8; ++ib) {
    const int u = ls[ib] + 32;
    b->scales_l[ib / 2] |= static_cast<uint8_t>((u & 0xF) << (4 * (ib % 2)));
    b->scales_h = static_cast<uint16_t>(b->scales_h | ((u >> 4) << (2 * ib)));
    const float dl = d * ls[ib];
    const float idl = dl != 0.0f ? 1.0f / dl : 0.0f;
    for (int j = 0; j < 16; ++j) {
      const int lo = NearestIq4Code(x[32 * ib + j] * idl);
      const int hi = NearestIq4Code(x[32 * ib + j + 16] * idl);
      b->qs[16 * ib + j] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
}

}  // namespace

void QuantizeKRow(DType type, const float* src, void* dst, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, src += kQK_K) {
    switch (type) {
      case DType::kQ2_K:
        QuantizeQ2_K(src, static_cast<BlockQ2_K*>(dst) + i);
        break;
      case DType::kQ3_K:
        QuantizeQ3_K(src, static_cast<BlockQ3_K*>(dst) + i);
        break;
      case DType::kQ4_K:
        QuantizeQ4_K(src, static_cast<BlockQ4_K*>(dst) + i);
        break;
      case DType::kQ5_K:
        QuantizeQ5_K(src, static_cast<BlockQ5_K*>(dst) + i);
        break;
      case DType::kQ6_K:
        QuantizeQ6_K(src, static_cast<BlockQ6_K*>(dst) + i);
        break;
      case DType::kIQ4_XS:
        QuantizeIQ4_XS(src, static_cast<BlockIQ4_XS*>(dst) + i);
        break;
      default:
        return;
    }
  }
}

}  // namespace shimmy
