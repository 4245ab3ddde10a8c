// Scalar dequantization of every supported type, written to mirror the
// layout comments in block_types.h rather than for speed.
#include <cassert>
#include <cstring>

#include "quant/block_types.h"
#include "quant/quant.h"
#include "tensor/half.h"

namespace shimmy {
namespace {

void DequantizeQ4_0(const BlockQ4_0* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = F16ToF32(b[i].d);
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = d * ((b[i].qs[j] & 0xF) - 8);
      y[j + kQK / 2] = d * ((b[i].qs[j] >> 4) - 8);
    }
  }
}

void DequantizeQ4_1(const BlockQ4_1* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = F16ToF32(b[i].d);
    const float m = F16ToF32(b[i].m);
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = d * (b[i].qs[j] & 0xF) + m;
      y[j + kQK / 2] = d * (b[i].qs[j] >> 4) + m;
    }
  }
}

uint32_t LoadQh(const uint8_t* qh) {
  uint32_t v;
  std::memcpy(&v, qh, 4);
  return v;  // little-endian hosts only, as the whole project
}

void DequantizeQ5_0(const BlockQ5_0* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = F16ToF32(b[i].d);
    const uint32_t qh = LoadQh(b[i].qh);
    for (int j = 0; j < kQK / 2; ++j) {
      const int lo = (b[i].qs[j] & 0xF) | (((qh >> j) & 1) << 4);
      const int hi = (b[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
      y[j] = d * (lo - 16);
      y[j + kQK / 2] = d * (hi - 16);
    }
  }
}

void DequantizeQ5_1(const BlockQ5_1* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = F16ToF32(b[i].d);
    const float m = F16ToF32(b[i].m);
    const uint32_t qh = LoadQh(b[i].qh);
    for (int j = 0; j < kQK / 2; ++j) {
      const int lo = (b[i].qs[j] & 0xF) | (((qh >> j) & 1) << 4);
      const int hi = (b[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
      y[j] = d * lo + m;
      y[j + kQK / 2] = d * hi + m;
    }
  }
}

void DequantizeQ8_0(const BlockQ8_0* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = F16ToF32(b[i].d);
    for (int j = 0; j < kQK; ++j) y[j] = d * b[i].qs[j];
  }
}

void DequantizeQ8_1(const BlockQ8_1* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = F16ToF32(b[i].d);
    for (int j = 0; j < kQK; ++j) y[j] = d * b[i].qs[j];
  }
}

void DequantizeQ2_K(const BlockQ2_K* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = F16ToF32(b[i].d);
    const float dmin = F16ToF32(b[i].dmin);
    for (int h = 0; h < 2; ++h) {
      const uint8_t* q = b[i].qs + 32 * h;
      for (int g = 0; g < 4; ++g) {
        for (int half16 = 0; half16 < 2; ++half16) {
          const uint8_t sc = b[i].scales[8 * h + 2 * g + half16];
          const float dl = d * (sc & 0xF);
          const float ml = dmin * (sc >> 4);
          for (int l = 16 * half16; l < 16 * half16 + 16; ++l) {
            *y++ = dl * ((q[l] >> (2 * g)) & 3) - ml;
          }
        }
      }
    }
  }
}

void DequantizeQ3_K(const BlockQ3_K* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = F16ToF32(b[i].d);
    for (int h = 0; h < 2; ++h) {
      const uint8_t* q = b[i].qs + 32 * h;
      for (int g = 0; g < 4; ++g) {
        const int bit = 4 * h + g;
        for (int half16 = 0; half16 < 2; ++half16) {
          const float dl = d * Q3KScale(b[i].scales, 8 * h + 2 * g + half16);
          for (int l = 16 * half16; l < 16 * half16 + 16; ++l) {
            const int low = (q[l] >> (2 * g)) & 3;
            const int high = (b[i].hmask[l] >> bit) & 1;
            *y++ = dl * (low - (high ? 0 : 4));
          }
        }
      }
    }
  }
}

void DequantizeQ4_K(const BlockQ4_K* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = F16ToF32(b[i].d);
    const float dmin = F16ToF32(b[i].dmin);
    for (int c = 0; c < 4; ++c) {
      const uint8_t* q = b[i].qs + 32 * c;
      for (int nibble = 0; nibble < 2; ++nibble) {
        uint8_t sc, m;
        ScaleMinK4(b[i].scales, 2 * c + nibble, &sc, &m);
        const float dl = d * sc;
        const float ml = dmin * m;
        for (int l = 0; l < 32; ++l) *y++ = dl * ((q[l] >> (4 * nibble)) & 0xF) - ml;
      }
    }
  }
}

void DequantizeQ5_K(const BlockQ5_K* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = F16ToF32(b[i].d);
    const float dmin = F16ToF32(b[i].dmin);
    for (int c = 0; c < 4; ++c) {
      const uint8_t* q = b[i].qs + 32 * c;
      for (int nibble = 0; nibble < 2; ++nibble) {
        const int sub = 2 * c + nibble;
        uint8_t sc, m;
        ScaleMinK4(b[i].scales, sub, &sc, &m);
        const float dl = d * sc;
        const float ml = dmin * m;
        for (int l = 0; l < 32; ++l) {
          const int v = ((q[l] >> (4 * nibble)) & 0xF) | (((b[i].qh[l] >> sub) & 1) << 4);
          *y++ = dl * v - ml;
        }
      }
    }
  }
}

void DequantizeQ6_K(const BlockQ6_K* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = F16ToF32(b[i].d);
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = b[i].ql + 64 * h;
      const uint8_t* qh = b[i].qh + 32 * h;
      const int8_t* sc = b[i].scales + 8 * h;
      for (int l = 0; l < 32; ++l) {
        const int s = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * sc[s] * q1;
        y[l + 32] = d * sc[s + 2] * q2;
        y[l + 64] = d * sc[s + 4] * q3;
        y[l + 96] = d * sc[s + 6] * q4;
      }
      y += 128;
    }
  }
}

void DequantizeQ8_K(const BlockQ8_K* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK_K) {
    for (int j = 0; j < kQK_K; ++j) y[j] = b[i].d * b[i].qs[j];
  }
}

void DequantizeIQ4_NL(const BlockIQ4_NL* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = F16ToF32(b[i].d);
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = d * kIq4nlValues[b[i].qs[j] & 0xF];
      y[j + kQK / 2] = d * kIq4nlValues[b[i].qs[j] >> 4];
    }
  }
}

void DequantizeIQ4_XS(const BlockIQ4_XS* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = F16ToF32(b[i].d);
    for (int ib = 0; ib < kQK_K / 32; ++ib, y += 32) {
      const int ls = ((b[i].scales_l[ib / 2] >> (4 * (ib % 2))) & 0xF) |
                     (((b[i].scales_h >> (2 * ib)) & 3) << 4);
      const float dl = d * (ls - 32);
      const uint8_t* qs = b[i].qs + 16 * ib;
      for (int j = 0; j < 16; ++j) {
        y[j] = dl * kIq4nlValues[qs[j] & 0xF];
        y[j + 16] = dl * kIq4nlValues[qs[j] >> 4];
      }
    }
  }
}

void DequantizeMXFP4(const BlockMXFP4* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = Mxfp4Scale(b[i].e);
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = d * kMxfp4Values[b[i].qs[j] & 0xF];
      y[j + kQK / 2] = d * kMxfp4Values[b[i].qs[j] >> 4];
    }
  }
}

template <class Block>
const Block* As(const void* p) {
  return static_cast<const Block*>(p);
}

}  // namespace

bool CanDequantize(DType type) {
  switch (type) {
    case DType::kF32:
    case DType::kF16:
    case DType::kBF16:
    case DType::kQ4_0:
    case DType::kQ4_1:
    case DType::kQ5_0:
    case DType::kQ5_1:
    case DType::kQ8_0:
    case DType::kQ8_1:
    case DType::kQ2_K:
    case DType::kQ3_K:
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K:
    case DType::kQ8_K:
    case DType::kIQ4_NL:
    case DType::kIQ4_XS:
    case DType::kMXFP4:
      return true;
    default:
      return false;
  }
}

bool CanQuantize(DType type) { return CanDequantize(type) && type != DType::kMXFP4; }

bool IsWeightType(DType type) {
  return CanDequantize(type) && type != DType::kQ8_1 && type != DType::kQ8_K;
}

void DequantizeRow(DType type, const void* src, float* dst, int64_t n) {
  assert(CanDequantize(type));
  assert(n % Info(type).block_size == 0);
  const int64_t nb = n / Info(type).block_size;
  switch (type) {
    case DType::kF32:
      std::memcpy(dst, src, sizeof(float) * n);
      return;
    case DType::kF16: {
      const auto* h = static_cast<const uint8_t*>(src);
      for (int64_t i = 0; i < n; ++i) {
        uint16_t bits;
        std::memcpy(&bits, h + 2 * i, 2);
        dst[i] = F16ToF32(bits);
      }
      return;
    }
    case DType::kBF16: {
      const auto* h = static_cast<const uint8_t*>(src);
      for (int64_t i = 0; i < n; ++i) {
        uint16_t bits;
        std::memcpy(&bits, h + 2 * i, 2);
        dst[i] = Bf16ToF32(bits);
      }
      return;
    }
    case DType::kQ4_0:
      return DequantizeQ4_0(As<BlockQ4_0>(src), dst, nb);
    case DType::kQ4_1:
      return DequantizeQ4_1(As<BlockQ4_1>(src), dst, nb);
    case DType::kQ5_0:
      return DequantizeQ5_0(As<BlockQ5_0>(src), dst, nb);
    case DType::kQ5_1:
      return DequantizeQ5_1(As<BlockQ5_1>(src), dst, nb);
    case DType::kQ8_0:
      return DequantizeQ8_0(As<BlockQ8_0>(src), dst, nb);
    case DType::kQ8_1:
      return DequantizeQ8_1(As<BlockQ8_1>(src), dst, nb);
    case DType::kQ2_K:
      return DequantizeQ2_K(As<BlockQ2_K>(src), dst, nb);
    case DType::kQ3_K:
      return DequantizeQ3_K(As<BlockQ3_K>(src), dst, nb);
    case DType::kQ4_K:
      return DequantizeQ4_K(As<BlockQ4_K>(src), dst, nb);
    case DType::kQ5_K:
      return DequantizeQ5_K(As<BlockQ5_K>(src), dst, nb);
    case DType::kQ6_K:
      return DequantizeQ6_K(As<BlockQ6_K>(src), dst, nb);
    case DType::kQ8_K:
      return DequantizeQ8_K(As<BlockQ8_K>(src), dst, nb);
    case DType::kIQ4_NL:
      return DequantizeIQ4_NL(As<BlockIQ4_NL>(src), dst, nb);
    case DType::kIQ4_XS:
      return DequantizeIQ4_XS(As<BlockIQ4_XS>(src), dst, nb);
    case DType::kMXFP4:
      return DequantizeMXFP4(As<BlockMXFP4>(src), dst, nb);
    default:
      return;
  }
}

DType VecDotType(DType weight) {
  switch (weight) {
    case DType::kF32:
    case DType::kF16:
    case DType::kBF16:
      return weight;
    case DType::kQ4_1:
    case DType::kQ5_1:
      return DType::kQ8_1;
    case DType::kQ2_K:
    case DType::kQ3_K:
    case DType::kQ4_K:
    case DType::kQ4_K_X8:
    case DType::kQ5_K:
    case DType::kQ6_K:
    case DType::kQ6_K_X8:
    case DType::kIQ4_XS:
      return DType::kQ8_K;
    default:  // Q4_0, Q5_0, Q8_0, Q8_0_X8, IQ4_NL, MXFP4
      return DType::kQ8_0;
  }
}

}  // namespace shimmy
