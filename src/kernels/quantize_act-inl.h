// SIMD activation converters: a float row into the vec-dot format of a
// weight type (Q8_0, Q8_1, Q8_K, F16, BF16, or a copy for F32). Results are
// bit-identical to QuantizeRow in src/quant (same operations, same
// round-to-nearest-even), which the tests check.

#if defined(SHIMMY_KERNELS_QUANTIZE_ACT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHIMMY_KERNELS_QUANTIZE_ACT_INL_H_
#undef SHIMMY_KERNELS_QUANTIZE_ACT_INL_H_
#else
#define SHIMMY_KERNELS_QUANTIZE_ACT_INL_H_
#endif

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/simd_common-inl.h"
#include "quant/block_types.h"
#include "tensor/dtype.h"
#include "tensor/half.h"

// HWY_SCALAR (1-lane vectors; CPUs without SSSE3, or GCC < 12.3 in place of
// EMU128) uses the scalar reference instead, see matmul.cpp.
#if HWY_TARGET != HWY_SCALAR
HWY_BEFORE_NAMESPACE();
namespace shimmy {
namespace HWY_NAMESPACE {

constexpr size_t kNF = kN8 / 4;  // float lanes of DF

HWY_INLINE float MaxAbs(const float* x, size_t n) {
  const DF df;
  VF m = hn::Zero(df);
  for (size_t i = 0; i < n; i += kNF) m = hn::Max(m, hn::Abs(hn::LoadU(df, x + i)));
  return hn::GetLane(hn::MaxOfLanes(df, m));
}

// Rounds x[0..n) * scale to int8 (values must fit) and returns their sum.
HWY_INLINE int RoundToI8(const float* x, size_t n, float scale, int8_t* q) {
  const DF df;
  const D32 d32;
  const hn::Rebind<int8_t, D32> d8q;
  const VF vs = hn::Set(df, scale);
  VI32 sum = hn::Zero(d32);
  for (size_t i = 0; i < n; i += kNF) {
    const VI32 r = hn::NearestInt(hn::Mul(hn::LoadU(df, x + i), vs));
    sum = hn::Add(sum, r);
    hn::StoreU(hn::DemoteTo(d8q, r), d8q, q + i);
  }
  return hn::GetLane(hn::SumOfLanes(d32, sum));
}

HWY_INLINE void QuantizeQ8_0Act(const float* x, BlockQ8_0* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    const float amax = MaxAbs(x, kQK);
    RoundToI8(x, kQK, amax != 0.0f ? 127.0f / amax : 0.0f, b[i].qs);
    b[i].d = F32ToF16(amax / 127.0f);
  }
}

HWY_INLINE void QuantizeQ8_1Act(const float* x, BlockQ8_1* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    const float amax = MaxAbs(x, kQK);
    const int sum = RoundToI8(x, kQK, amax != 0.0f ? 127.0f / amax : 0.0f, b[i].qs);
    const float d = amax / 127.0f;
    b[i].d = F32ToF16(d);
    b[i].s = F32ToF16(d * static_cast<float>(sum));
  }
}

HWY_INLINE void QuantizeQ8_KAct(const float* x, BlockQ8_K* b, int64_t nb) {
  const DF df;
  const D32 d32;
  const hn::Rebind<int8_t, D32> d8q;
  for (int64_t i = 0; i < nb; ++i, x += kQK_K) {
    const float amax = MaxAbs(x, kQK_K);
    if (amax == 0.0f) {
      std::memset(&b[i], 0, sizeof b[i]);
      continue;
    }
    // The sign of the first element of largest magnitude picks the sign of
    // the scale.
    size_t first = 0;
    while (std::fabs(x[first]) != amax) ++first;
    const float iscale = -127.0f / x[first];
    const VF vs = hn::Set(df, iscale);
    const VI32 k127 = hn::Set(d32, 127);
    for (int g = 0; g < kQK_K / 16; ++g) {
      VI32 sum = hn::Zero(d32);
      for (size_t j = 16 * static_cast<size_t>(g); j < 16 * static_cast<size_t>(g) + 16; j += kNF) {
        const VI32 r = hn::Min(hn::NearestInt(hn::Mul(hn::LoadU(df, x + j), vs)), k127);
        sum = hn::Add(sum, r);
        hn::StoreU(hn::DemoteTo(d8q, r), d8q, b[i].qs + j);
      }
      b[i].bsums[g] = static_cast<int16_t>(hn::GetLane(hn::SumOfLanes(d32, sum)));
    }
    b[i].d = 1.0f / iscale;
  }
}

HWY_INLINE void QuantizeF16Act(const float* x, uint8_t* dst, size_t n) {
  size_t i = 0;
#if SHIMMY_X86_256
  // F16C rounds to nearest even; Highway's software fallback on other
  // targets truncates, so those use the scalar conversion below.
  const hn::ScalableTag<float> df;
  const hn::Rebind<hwy::float16_t, decltype(df)> dh;
  for (; i + hn::Lanes(df) <= n; i += hn::Lanes(df)) {
    hn::StoreU(hn::DemoteTo(dh, hn::LoadU(df, x + i)), dh,
               reinterpret_cast<hwy::float16_t*>(dst) + i);
  }
#endif
  for (; i < n; ++i) {
    const uint16_t h = F32ToF16(x[i]);
    std::memcpy(dst + 2 * i, &h, 2);
  }
}

HWY_INLINE void QuantizeBF16Act(const float* x, uint8_t* dst, size_t n) {
  // Round to nearest even in integer arithmetic (Highway 1.0.3's DemoteTo
  // truncates); NaNs are kept quiet.
  const hn::ScalableTag<float> df;
  const hn::RebindToUnsigned<decltype(df)> du32;
  const hn::RebindToSigned<decltype(df)> di32;
  const hn::Rebind<uint16_t, decltype(df)> du16;
  size_t i = 0;
  for (; i + hn::Lanes(df) <= n; i += hn::Lanes(df)) {
    const auto v = hn::LoadU(df, x + i);
    const auto u = hn::BitCast(du32, v);
    const auto lsb = hn::And(hn::ShiftRight<16>(u), hn::Set(du32, 1));
    const auto rounded = hn::ShiftRight<16>(hn::Add(hn::Add(u, hn::Set(du32, 0x7FFF)), lsb));
    const auto nan = hn::Or(hn::ShiftRight<16>(u), hn::Set(du32, 0x40));
    const auto bits = hn::IfThenElse(hn::RebindMask(du32, hn::IsNaN(v)), nan, rounded);
    hn::StoreU(hn::DemoteTo(du16, hn::BitCast(di32, bits)), du16,
               reinterpret_cast<uint16_t*>(dst) + i);
  }
  for (; i < n; ++i) {
    const uint16_t h = F32ToBf16(x[i]);
    std::memcpy(dst + 2 * i, &h, 2);
  }
}

// dst receives RowBytes(type, n) bytes. Precondition: type is one of the
// activation formats and n a multiple of its block size.
HWY_INLINE void QuantizeActRow(DType type, const float* x, void* dst, int64_t n) {
  switch (type) {
    case DType::kQ8_0:
      return QuantizeQ8_0Act(x, static_cast<BlockQ8_0*>(dst), n / kQK);
    case DType::kQ8_1:
      return QuantizeQ8_1Act(x, static_cast<BlockQ8_1*>(dst), n / kQK);
    case DType::kQ8_K:
      return QuantizeQ8_KAct(x, static_cast<BlockQ8_K*>(dst), n / kQK_K);
    case DType::kF16:
      return QuantizeF16Act(x, static_cast<uint8_t*>(dst), static_cast<size_t>(n));
    case DType::kBF16:
      return QuantizeBF16Act(x, static_cast<uint8_t*>(dst), static_cast<size_t>(n));
    default:
      std::memcpy(dst, x, sizeof(float) * static_cast<size_t>(n));
      return;
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace shimmy
HWY_AFTER_NAMESPACE();
#endif  // HWY_TARGET != HWY_SCALAR

#endif  // include guard toggle
