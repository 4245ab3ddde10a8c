// Scalar reference dot products (weight row x activation row in the weight's
// VecDotType). Each block's products are summed exactly in integers, then
// scaled in float once per block (once per super-block for the K-quants,
// with the minimum term taken from the activation's bsums), which is the
// arithmetic llama.cpp's kernels perform. The SIMD kernels must agree with
// these up to float summation order.
#include <cassert>
#include <cstring>
#include <type_traits>

#include "quant/block_types.h"
#include "quant/quant.h"
#include "tensor/half.h"

namespace shimmy {
namespace {

uint32_t LoadQh(const uint8_t* qh) {
  uint32_t v;
  std::memcpy(&v, qh, 4);
  return v;
}

// Signed values of a 32-element block, per type.
void Values(const BlockQ4_0& b, int* v) {
  for (int j = 0; j < 16; ++j) {
    v[j] = (b.qs[j] & 0xF) - 8;
    v[j + 16] = (b.qs[j] >> 4) - 8;
  }
}
void Values(const BlockQ4_1& b, int* v) {
  for (int j = 0; j < 16; ++j) {
    v[j] = b.qs[j] & 0xF;
    v[j + 16] = b.qs[j] >> 4;
  }
}
void Values(const BlockQ5_0& b, int* v) {
  const uint32_t qh = LoadQh(b.qh);
  for (int j = 0; j < 16; ++j) {
    v[j] = ((b.qs[j] & 0xF) | (((qh >> j) & 1) << 4)) - 16;
    v[j + 16] = ((b.qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - 16;
  }
}
void Values(const BlockQ5_1& b, int* v) {
  const uint32_t qh = LoadQh(b.qh);
  for (int j = 0; j < 16; ++j) {
    v[j] = (b.qs[j] & 0xF) | (((qh >> j) & 1) << 4);
    v[j + 16] = (b.qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
  }
}
void Values(const BlockQ8_0& b, int* v) {
  for (int j = 0; j < 32; ++j) v[j] = b.qs[j];
}
void Values(const BlockIQ4_NL& b, int* v) {
  for (int j = 0; j < 16; ++j) {
    v[j] = kIq4nlValues[b.qs[j] & 0xF];
    v[j + 16] = kIq4nlValues[b.qs[j] >> 4];
  }
}
void Values(const BlockMXFP4& b, int* v) {
  for (int j = 0; j < 16; ++j) {
    v[j] = kMxfp4Values[b.qs[j] & 0xF];
    v[j + 16] = kMxfp4Values[b.qs[j] >> 4];
  }
}

int Dot(const int* v, const int8_t* q, int n) {
  int sum = 0;
  for (int j = 0; j < n; ++j) sum += v[j] * q[j];
  return sum;
}

// Weight scale of a block against a Q8_0 activation scale.
float Scale(const BlockQ4_0& b) { return F16ToF32(b.d); }
float Scale(const BlockQ5_0& b) { return F16ToF32(b.d); }
float Scale(const BlockQ8_0& b) { return F16ToF32(b.d); }
float Scale(const BlockIQ4_NL& b) { return F16ToF32(b.d); }

template <class Block>
float DotQ8_0(const Block* x, const BlockQ8_0* y, int64_t nb) {
  float sum = 0.0f;
  for (int64_t i = 0; i < nb; ++i) {
    int v[32];
    Values(x[i], v);
    const int sumi = Dot(v, y[i].qs, 32);
    if constexpr (std::is_same_v<Block, BlockMXFP4>) {
      sum += F16ToF32(y[i].d) * Mxfp4Scale(x[i].e) * static_cast<float>(sumi);
    } else {
      sum += static_cast<float>(sumi) * (Scale(x[i]) * F16ToF32(y[i].d));
    }
  }
  return sum;
}

template <class Block>  // Q4_1, Q5_1
float DotQ8_1(const Block* x, const BlockQ8_1* y, int64_t nb) {
  float sum = 0.0f;
  for (int64_t i = 0; i < nb; ++i) {
    int v[32];
    Values(x[i], v);
    const int sumi = Dot(v, y[i].qs, 32);
    sum += F16ToF32(x[i].d) * F16ToF32(y[i].d) * static_cast<float>(sumi) +
           F16ToF32(x[i].m) * F16ToF32(y[i].s);
  }
  return sum;
}

// A K-quant super-block decoded to integers: element e is
// scale[e / group] * q[e] - min[e / group] (min only for Q2_K/Q4_K/Q5_K).
struct DecodedK {
  int q[kQK_K];
  int scale[16];
  int min[16];
  int group;  // elements per scale: 16 or 32
  float d;
  float dmin;
};

void Decode(const BlockQ2_K& b, DecodedK* k) {
  k->group = 16;
  k->d = F16ToF32(b.d);
  k->dmin = F16ToF32(b.dmin);
  for (int j = 0; j < 16; ++j) {
    k->scale[j] = b.scales[j] & 0xF;
    k->min[j] = b.scales[j] >> 4;
  }
  for (int e = 0; e < kQK_K; ++e) {
    const int h = e / 128, g = (e % 128) / 32, l = e % 32;
    k->q[e] = (b.qs[32 * h + l] >> (2 * g)) & 3;
  }
}

void Decode(const BlockQ3_K& b, DecodedK* k) {
  k->group = 16;
  k->d = F16ToF32(b.d);
  k->dmin = 0.0f;
  for (int j = 0; j < 16; ++j) {
    k->scale[j] = Q3KScale(b.scales, j);
    k->min[j] = 0;
  }
  for (int e = 0; e < kQK_K; ++e) {
    const int h = e / 128, g = (e % 128) / 32, l = e % 32;
    const int low = (b.qs[32 * h + l] >> (2 * g)) & 3;
    const int high = (b.hmask[l] >> (4 * h + g)) & 1;
    k->q[e] = low - (high ? 0 : 4);
  }
}

template <class Block>  // Q4_K, Q5_K
void DecodeK4(const Block& b, DecodedK* k) {
  k->group = 32;
  k->d = F16ToF32(b.d);
  k->dmin = F16ToF32(b.dmin);
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    ScaleMinK4(b.scales, j, &sc, &m);
    k->scale[j] = sc;
    k->min[j] = m;
  }
  for (int e = 0; e < kQK_K; ++e) {
    const int sub = e / 32, l = e % 32;
    k->q[e] = (b.qs[32 * (sub / 2) + l] >> (4 * (sub % 2))) & 0xF;
    if constexpr (std::is_same_v<Block, BlockQ5_K>) k->q[e] |= ((b.qh[l] >> sub) & 1) << 4;
  }
}
void Decode(const BlockQ4_K& b, DecodedK* k) { DecodeK4(b, k); }
void Decode(const BlockQ5_K& b, DecodedK* k) { DecodeK4(b, k); }

void Decode(const BlockQ6_K& b, DecodedK* k) {
  k->group = 16;
  k->d = F16ToF32(b.d);
  k->dmin = 0.0f;
  for (int j = 0; j < 16; ++j) {
    k->scale[j] = b.scales[j];
    k->min[j] = 0;
  }
  for (int e = 0; e < kQK_K; ++e) {
    const int h = e / 128, g = (e % 128) / 32, l = e % 32;
    const int low = (b.ql[64 * h + l + 32 * (g & 1)] >> (4 * (g >> 1))) & 0xF;
    const int high = (b.qh[32 * h + l] >> (2 * g)) & 3;
    k->q[e] = (low | (high << 4)) - 32;
  }
}

void Decode(const BlockIQ4_XS& b, DecodedK* k) {
  k->group = 32;
  k->d = F16ToF32(b.d);
  k->dmin = 0.0f;
  for (int ib = 0; ib < 8; ++ib) {
    k->scale[ib] =
        (((b.scales_l[ib / 2] >> (4 * (ib % 2))) & 0xF) | (((b.scales_h >> (2 * ib)) & 3) << 4)) -
        32;
    k->min[ib] = 0;
    for (int j = 0; j < 16; ++j) {
      k->q[32 * ib + j] = kIq4nlValues[b.qs[16 * ib + j] & 0xF];
      k->q[32 * ib + j + 16] = kIq4nlValues[b.qs[16 * ib + j] >> 4];
    }
  }
}

template <class Block>
float DotQ8_K(const Block* x, const BlockQ8_K* y, int64_t nb) {
  float sum = 0.0f;
  for (int64_t i = 0; i < nb; ++i) {
    DecodedK k;
    Decode(x[i], &k);
    int isum = 0, msum = 0;
    for (int j = 0; j < kQK_K / k.group; ++j) {
      isum += k.scale[j] * Dot(k.q + j * k.group, y[i].qs + j * k.group, k.group);
      int bsum = 0;  // sum of this group's activation quants, from bsums
      for (int s = 0; s < k.group / 16; ++s) bsum += y[i].bsums[j * k.group / 16 + s];
      msum += k.min[j] * bsum;
    }
    sum += y[i].d * k.d * static_cast<float>(isum) - y[i].d * k.dmin * static_cast<float>(msum);
  }
  return sum;
}

template <uint16_t (*kLoad)(const uint8_t*), float (*kToF32)(uint16_t)>
float DotHalf(const void* x, const void* y, int64_t n) {
  const auto* a = static_cast<const uint8_t*>(x);
  const auto* b = static_cast<const uint8_t*>(y);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    sum += static_cast<double>(kToF32(kLoad(a + 2 * i)) * kToF32(kLoad(b + 2 * i)));
  }
  return static_cast<float>(sum);
}

uint16_t LoadU16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

template <class Block>
const Block* As(const void* p) {
  return static_cast<const Block*>(p);
}

}  // namespace

float VecDotRef(DType weight, const void* w, const void* act, int64_t n) {
  assert(IsWeightType(weight));
  assert(n % Info(weight).block_size == 0);
  const int64_t nb = n / Info(weight).block_size;
  const auto* q8_0 = As<BlockQ8_0>(act);
  const auto* q8_1 = As<BlockQ8_1>(act);
  const auto* q8_k = As<BlockQ8_K>(act);
  switch (weight) {
    case DType::kF32: {
      const auto* a = static_cast<const uint8_t*>(w);
      const auto* b = static_cast<const uint8_t*>(act);
      double sum = 0.0;
      for (int64_t i = 0; i < n; ++i) {
        float x, y;
        std::memcpy(&x, a + 4 * i, 4);
        std::memcpy(&y, b + 4 * i, 4);
        sum += static_cast<double>(x) * y;
      }
      return static_cast<float>(sum);
    }
    case DType::kF16:
      return DotHalf<LoadU16, F16ToF32>(w, act, n);
    case DType::kBF16:
      return DotHalf<LoadU16, Bf16ToF32>(w, act, n);
    case DType::kQ4_0:
      return DotQ8_0(As<BlockQ4_0>(w), q8_0, nb);
    case DType::kQ5_0:
      return DotQ8_0(As<BlockQ5_0>(w), q8_0, nb);
    case DType::kQ8_0:
      return DotQ8_0(As<BlockQ8_0>(w), q8_0, nb);
    case DType::kIQ4_NL:
      return DotQ8_0(As<BlockIQ4_NL>(w), q8_0, nb);
    case DType::kMXFP4:
      return DotQ8_0(As<BlockMXFP4>(w), q8_0, nb);
    case DType::kQ4_1:
      return DotQ8_1(As<BlockQ4_1>(w), q8_1, nb);
    case DType::kQ5_1:
      return DotQ8_1(As<BlockQ5_1>(w), q8_1, nb);
    case DType::kQ2_K:
      return DotQ8_K(As<BlockQ2_K>(w), q8_k, nb);
    case DType::kQ3_K:
      return DotQ8_K(As<BlockQ3_K>(w), q8_k, nb);
    case DType::kQ4_K:
      return DotQ8_K(As<BlockQ4_K>(w), q8_k, nb);
    case DType::kQ5_K:
      return DotQ8_K(As<BlockQ5_K>(w), q8_k, nb);
    case DType::kQ6_K:
      return DotQ8_K(As<BlockQ6_K>(w), q8_k, nb);
    case DType::kIQ4_XS:
      return DotQ8_K(As<BlockIQ4_XS>(w), q8_k, nb);
    default:
      return 0.0f;
  }
}

}  // namespace shimmy
